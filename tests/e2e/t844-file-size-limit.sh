#!/bin/bash
# A file size limit (RLIMIT_FSIZE) reached while committing: writes fail
# with EFBIG (searchd ignores SIGXFSZ, which would kill it), the shards
# are degraded as for a full disk, searches go on, and once the limit is
# lifted every file ends up indexed exactly once.  Then a restart finds
# a clean index.
. "$top_srcdir/tests/e2e/lib.sh"

command -v prlimit >/dev/null || skip_all "no prlimit(1)"
plan 10

mkdir -p "$T/spool"
make_files() {
    "$PYTHON3" - "$T/spool" "$1" "$2" <<'PY'
import os, random, sys
root, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(prefix)
for i in range(n):
    words = " ".join("w%x" % rnd.getrandbits(40) for _ in range(300))
    with open(os.path.join(root, "%s%02d.txt" % (prefix, i)), "w") as f:
        f.write("%s %02d\n\nThe word %s%02dzq marks it. %s\n"
                % (prefix, i, prefix, i, words))
PY
}
hits() { sc --json "$1" 2>/dev/null | "$PYTHON3" -c \
    'import json,sys; print(json.load(sys.stdin)["total"])'; }

make_files gamma 10
start_daemon --watch "$T/spool" --shards 2 --settle 50 && wait_idle
# No file of the index may grow from now on (the log stays far below).
big=$(find "$T/index" -type f -printf '%s\n' | sort -n | tail -1)
check "the limit is set on the running daemon" \
    prlimit --pid "$DPID" --fsize="$big:unlimited"
make_files delta 30
SECONDS=0
until sc --json --status | grep -q '"disk_full"'; do
    [ $SECONDS -lt 30 ] || break
    sleep 0.2
done
check "status shows a disk_full fault" \
    eval 'sc --json --status | grep -q "\"what\":\"disk_full\".*File too large"' ||
    diag "$(sc --json --status)"
check "searchd was not killed by SIGXFSZ" kill -0 "$DPID"
check "searches answer from the last commit" test "$(hits gamma04zq)" = 1
check "the limit is lifted" prlimit --pid "$DPID" --fsize=unlimited:unlimited
SECONDS=0
until [ "$(st documents)" = 40 ] && [ "$(st health)" = ok ] &&
      [ "$(st queued)" = 0 ]; do
    [ $SECONDS -lt 60 ] || break
    sleep 0.3
done
diag "recovered in ${SECONDS} s"
check "once the limit is lifted every file is indexed" \
    test "$(st documents)" = 40
dups=0
for f in $(seq -f gamma%02g 0 9) $(seq -f delta%02g 0 29); do
    n=$(hits "${f}zq"); [ "$n" = 1 ] || { dups=$((dups + 1)); diag "$f: $n"; }
done
check "each exactly once" test $dups = 0
stop_and_check
out=$("$SEARCHD" --no-config --check --index "$T/index" 2>&1)
check "--check finds the index clean" test $? = 0 || diag "$out"
start_daemon --watch "$T/spool" --shards 2 && wait_idle
check "a restart finds nothing to redo" test "$(st documents)" = 40 -a \
    "$(st indexed_files)" = 0
