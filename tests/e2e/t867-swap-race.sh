#!/bin/sh
# An add is checked when it arrives (inside a root, no symlink on the
# way), but a worker reads the file later.  A folder swapped for a
# symlink to elsewhere in between must not have the worker read, and the
# index show, a file outside the roots: workers open files without
# following any symlink, and such a file is refused with a reason.
. "$top_srcdir/tests/e2e/lib.sh"
plan 8

mkdir -p "$T/plugins" "$T/roots/queue" "$T/roots/d" "$T/outside"
cp "$SD_PLUGIN_DIR"/*.so "$SD_FIXTURE_DIR/saboteur.so" "$T/plugins/"
# One worker, kept busy by this file while the next add waits its turn.
printf 'SABOTAGE slow 8000\nthe bilby was slow\n' >"$T/roots/queue/slow.sab"
printf 'Inside note\n\nThe okapi is inside.\n' >"$T/roots/d/f.txt"
printf 'Secret note\n\nThe narwhal is outside every root.\n' \
    >"$T/outside/f.txt"
ADD_ROOT="$T/roots"

# wait_queued N: until status counts at least N files queued.
wait_queued() { eventually eval "[ \"\$(st queued)\" -ge $1 ] 2>/dev/null"; }

check "searchd starts with one worker and the saboteur plugin" \
    start_daemon --plugin-dir "$T/plugins" --workers 1 --deadline 30
sc --add "$T/roots/queue/slow.sab" >"$T/slow.out" 2>&1 &
slow=$!
# The slow file first, to the worker (it sleeps 8 s there, longer than the
# steps below take on a loaded machine)...
wait_queued 1 && sleep 0.5
# ...then the file whose folder is about to be swapped.
"$SEARCHC" --socket "$SOCK" --add "$T/roots/d/f.txt" >"$T/f.out" 2>&1 &
f=$!
check "both adds pass the check and wait for the worker" wait_queued 2
# The swap: d becomes a symlink to the folder outside, where a file of
# the same name waits.
mv "$T/roots/d" "$T/roots/d.real"
ln -s "$T/outside" "$T/roots/d"
wait "$slow"
check "the slow file is indexed" grep -q "1 document" "$T/slow.out"
wait "$f"
check "the swapped path's add reports it failed" \
    grep -q "failed: $T/roots/d/f.txt: " "$T/f.out"
check "its message says a symlink is now in the path" \
    grep -q "symbolic link is now in its path" "$T/f.out"
check "nothing outside was read into the index" \
    sh -c "! '$SEARCHC' --socket '$SOCK' narwhal"
check "the failures list names the path and the reason" \
    sh -c "'$SEARCHC' --socket '$SOCK' --failures | grep '$T/roots/d/f.txt' | grep -q 'symbolic link'"
stop_and_check
