#!/bin/sh
# Progress for people: `searchc --status` during a bulk load shows the
# rates, and `--status --follow` prints a plain progress line a second
# (output is not a terminal here) until the load is done, then exits 0.
. "$top_srcdir/tests/e2e/lib.sh"
plan 7

mkdir -p "$T/spool"
N=6000
[ "${SD_VALGRIND:-0}" = 1 ] && N=1500
"$PYTHON3" - "$T/spool" $N <<'PY'
import os, sys
for i in range(int(sys.argv[2])):
    d = os.path.join(sys.argv[1], "g%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "n%05d.txt" % i), "w") as f:
        f.write("Item %d\n\n" % i + "Words about sails and rigging. " * 30)
PY
check "searchd starts on $N files" start_daemon --watch "$T/spool"
sc --status >"$T/status.txt"
check "--status shows the rates, shards and workers" \
    grep -q '^files/s: .*[0-9]' "$T/status.txt"
check "and the workers" grep -q '^workers: *[1-9]' "$T/status.txt"
timeout 600 "$SEARCHC" --socket "$SOCK" --status --follow >"$T/follow.txt"
rc=$?
check "--status --follow exits 0 once the load is done" test $rc = 0
diag "$(tail -n 3 "$T/follow.txt")"
check "it printed plain progress lines" \
    grep -q '^progress: [0-9]*/[0-9]* files ([0-9]*%), [0-9.]* files/s' \
    "$T/follow.txt"
check "the last one says every file is done" \
    sh -c "tail -n 1 '$T/follow.txt' | grep -q '^progress: \([0-9]*\)/\1 files (100%)'"
stop_and_check
