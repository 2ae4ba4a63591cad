#!/bin/sh
# Incremental indexing across restarts: each file's record (mtime, size,
# content hash, plugin and version) lives in the index, so a restart
# re-extracts only what changed while searchd was down, forgets deleted
# files, and does not retry a failed file until it changes.
. "$top_srcdir/tests/e2e/lib.sh"
plan 14

mkdir -p "$T/spool/sub"
cp "$SD_DATA_DIR/samples/"*.txt "$T/spool/"
printf 'Monsoon floods\n\nHeavy monsoon rain in Sindh.\n' >"$T/spool/sub/m.txt"
printf '\000\001\002\003binary' >"$T/spool/b.bin"

found() { sc "$@" >/dev/null; }
# round: start, wait for the scan, then check the figures given as
# "documents failed indexed_files unchanged_files".
round() {
    want=$1; desc=$2
    if ! start_daemon --watch "$T/spool" || ! wait_idle; then
        not_ok "$desc: searchd runs its scan"; return
    fi
    got="$(st documents) $(st failed) $(st indexed_files) $(st unchanged_files)"
    if [ "$got" = "$want" ]; then ok "$desc ($want)"
    else not_ok "$desc: want '$want', got '$got'"; fi
}

round "3 1 3 0" "first start indexes the 3 texts; the binary fails"
check "monsoon is found" found monsoon
stop_daemon TERM
round "3 1 0 4" "restart with nothing changed re-extracts nothing"
stop_daemon TERM

touch "$T/spool/sub/m.txt"
round "3 1 0 4" "a touched file (same content) is not re-extracted"
stop_daemon TERM

printf 'Cyclone warning\n\nA cyclone nears Karachi.\n' >"$T/spool/sub/m.txt"
round "3 1 1 3" "a changed file alone is re-extracted"
check "its new text is found" found cyclone
check "its old text is gone" eval '! found monsoon'
stop_daemon TERM

printf 'Now it is text\n\nReadable at last.\n' >"$T/spool/b.bin"
round "4 0 1 3" "a failed file that changed is retried"
stop_daemon TERM

rm -r "$T/spool/sub"
round "3 0 0 3" "a deleted folder's files are forgotten"
check "and not found" eval '! found cyclone'

# While running, add on a deleted file forgets it too.
rm "$T/spool/b.bin"
sc --add "$T/spool/b.bin" >/dev/null 2>&1
check "--add of a deleted file drops its document" test "$(st documents)" = 2
stop_daemon TERM
round "2 0 0 2" "after a restart the record is gone as well"
check "searching still works" found "Afghan peace process"
stop_and_check
