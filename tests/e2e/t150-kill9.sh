#!/bin/bash
# Crash safety: searchd is killed with SIGKILL again and again while it
# bulk-loads a spool.  Every restart must open the index, find what is
# missing and finish: in the end every file is indexed exactly once, with
# nothing failed and no worker process left behind by a killed daemon.
. "$top_srcdir/tests/e2e/lib.sh"
plan 10

# Under valgrind searchd is some 30 times slower: fewer files still keep
# every kill in the middle of the load.
if [ "${SD_VALGRIND:-0}" = 1 ]; then FILES=${SD_KILL9_FILES:-1500}
else FILES=${SD_KILL9_FILES:-20000}; fi
CONTAINERS=40          # marker files with 5 documents each
mkdir -p "$T/plugins" "$T/spool"
# A private plugin folder: worker processes of this test are the ones
# whose command line names it.
cp "$SD_PLUGIN_DIR"/*.so "$SD_FIXTURE_DIR/marker.so" "$T/plugins/"
"$PYTHON3" - "$T/spool" "$FILES" "$CONTAINERS" <<'PY'
import os, sys
root, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 30))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.txt" % i), "w") as f:
        f.write("Note %d\n\nThe token kq%dzx marks this file. " % (i, i) +
                "Filler words about harbours and ledgers. " * 20 + "\n")
for i in range(c):
    with open(os.path.join(root, "box%03d.mk" % i), "w") as f:
        f.write("MARKER\nBox %d\n@docs 5\nboxed kb%dzx contents\n" % (i, i))
PY
expect=$((FILES + CONTAINERS * 5))

orphans() { pgrep -f -- "--plugin-dir $T/plugins" >/dev/null; }

all_started=true
kills=0
busy_kills=0
# Kill at a random moment 0.15 s to 0.6 s after each start, until 6
# kills came while files were still queued (the status is read just
# before the kill) or the load is done.
while [ $busy_kills -lt 6 ] && [ $kills -lt 12 ]; do
    if ! start_daemon --plugin-dir "$T/plugins" --watch "$T/spool"; then
        all_started=false
        break
    fi
    sleep "0.$((RANDOM % 46 + 15))"
    case $(sc --json --status 2>/dev/null) in
    *'"queued":0,'*'"scan_done":true'*) idle=1 ;;
    *) idle=0; busy_kills=$((busy_kills + 1)) ;;
    esac
    kill -KILL "$DPID"
    wait "$DPID" 2>/dev/null
    DPID=
    kills=$((kills + 1))
    [ $idle = 1 ] && break
done
check "searchd restarted after each of $kills SIGKILLs" $all_started
diag "$busy_kills of the kills came while files were queued"
check "at least 3 kills hit the daemon in the middle of the load" \
    test $busy_kills -ge 3
sleep 0.5
if orphans; then
    not_ok "no worker outlives a killed daemon"
    diag "$(pgrep -af -- "--plugin-dir $T/plugins")"
    pkill -KILL -f -- "--plugin-dir $T/plugins"
else
    ok "no worker outlives a killed daemon"
fi
check "a last start opens the index" \
    start_daemon --plugin-dir "$T/plugins" --watch "$T/spool"
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 600 ] || break; done
status=$(sc --json --status)
diag "after $kills kills: $status"
field() { printf '%s' "$status" | "$PYTHON3" -c \
    'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
check "every document is in the index exactly once ($expect)" \
    test "$(field documents)" = $expect
check "no file failed" test "$(field failed)" = 0

# exactly_one WORD: one hit, not zero, not two.
exactly_one() { sc --all --limit 5 "$1" | tail -n 1 | grep -qx '1 of 1 hits'; }
bad=0
for i in 0 1 7 499 1000 1234 $((FILES / 2)) $((FILES - 1)); do
    exactly_one "kq${i}zx" || { bad=$((bad + 1)); diag "kq${i}zx: not one hit"; }
done
check "sampled files have exactly one document each" test $bad = 0
check "a container's 5 documents are there once each" \
    sh -c "'$SEARCHC' --socket '$SOCK' --all kb7zx | tail -n 1 | grep -qx '5 of 5 hits'"
# A clean restart now finds nothing to do.
stop_daemon TERM
start_daemon --plugin-dir "$T/plugins" --watch "$T/spool"
wait_idle
status=$(sc --json --status)
check "a restart after the load re-indexes nothing" \
    test "$(field indexed_files)" = 0
stop_and_check
