#!/bin/sh
# Live watching: while searchd runs with --watch, files dropped in, renamed
# into place, changed, deleted, and folders created, moved out and moved in
# reach the index within seconds, each file indexed once.  Every step
# polls (with a timeout) rather than sleeping; only the checks that
# nothing more happens wait out a few settle times.
. "$top_srcdir/tests/e2e/lib.sh"
plan 21

SETTLE=200
# The wait for anything more to happen, in seconds.
QUIET=1
if [ "${SD_VALGRIND:-0}" = 1 ]; then QUIET=4; fi

mkdir -p "$T/spool" "$T/outside"
S=$T/spool

found() { sc "$@" >/dev/null 2>&1; }
absent() { ! sc "$@" >/dev/null 2>&1; }
# hits_under WORD DIR: some hit for WORD has a path with /DIR/ in it.
hits_under() { sc --json "$1" 2>/dev/null | grep -q "/$2/"; }
has() { test "$(st "$1")" = "$2"; }
# quiet: long enough for any pending report to reach the indexer and
# its job to finish, so the counts below are final.
quiet() {
    sleep "$QUIET"
    eventually has queued 0
}
# step DESC DOCS INDEXED CMD...: CMD (a search that must come true) holds
# in time, then documents and indexed_files are exactly DOCS and INDEXED.
step() {
    desc=$1 docs=$2 indexed=$3; shift 3
    if ! eventually "$@"; then not_ok "$desc (timed out)"; return; fi
    quiet
    got="$(st documents) $(st indexed_files)"
    if [ "$got" = "$docs $indexed" ]; then ok "$desc ($got)"
    else not_ok "$desc: want documents/indexed '$docs $indexed', got '$got'"
    fi
}
article() { printf '%s\n\n%s\n' "$1" "$2"; }

check "searchd starts watching an empty spool" \
    start_daemon --watch "$S" --settle "$SETTLE"
check "the (empty) start-up scan finishes" wait_idle

article "Quokka sighting" "A quokka was seen near the harbour." >"$S/a.txt"
step "a file dropped in is searchable" 1 1 found quokka

article "Wombat report" "Wombats dig burrows." >"$S/.b.txt.tmp"
check "a hidden temporary file is not indexed" eval 'quiet && absent wombats'
mv "$S/.b.txt.tmp" "$S/b.txt"
step "renamed to its real name it is indexed, once" 2 2 found wombats

article "Kestrel report" "A kestrel hovers." >"$S/c.txt.part"
mv "$S/c.txt.part" "$S/c.txt"
step "a .part file renamed into place is indexed once" 3 3 found kestrel

article "Harbour update" "Pelicans have replaced them." >"$S/a.txt"
step "a changed file: its new words are found" 3 4 found pelicans
check "and its old words are not" absent quokka

rm "$S/a.txt"
step "a deleted file leaves the index" 2 4 absent pelicans

mkdir -p "$S/batch/deep"
article "Numbat news" "A numbat eats termites." >"$S/batch/n.txt"
article "Bilby news" "The bilby is nocturnal." >"$S/batch/deep/b.txt"
step "a new folder and the files in it are indexed" 4 6 found numbat
check "including its subfolder" found bilby

mv "$S/batch" "$T/outside/batch"
step "a folder moved out: its documents go" 2 6 absent numbat
check "all of them" absent bilby
article "Dingo news" "A dingo howls." >"$T/outside/batch/d.txt"
check "a file added to it outside the spool is not indexed" \
    eval 'quiet && absent dingo && has documents 2'

mv "$T/outside/batch" "$S/returned"
step "a folder moved in is indexed, all of it" 5 9 found numbat
check "its new file too" found dingo

# The old paths answer numbat until the rename is handled: wait for
# the new ones.
mv "$S/returned" "$S/renamed"
step "a folder renamed within the spool: documents under the new name" \
    5 12 hits_under numbat renamed
check "none left under the old name" eval '! hits_under numbat returned'

mkdir -p "$S/x/y/z"
article "Echidna news" "An echidna rolls." >"$S/x/y/z/e.txt"
step "mkdir -p and a file at once" 6 13 found echidna
check "failures: none" has failed 0

stop_and_check
