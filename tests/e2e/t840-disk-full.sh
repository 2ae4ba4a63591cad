#!/bin/bash
# A full disk during commits: the index lives on a small tmpfs that is
# filled up while searchd runs.  The shard writers must log it, show it
# in status ("degraded", a disk_full fault), keep answering searches from
# the last commit, lose nothing committed, and once space is freed
# finish by themselves: every file indexed exactly once.
. "$top_srcdir/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "mounting a small tmpfs needs root"
MNT=$T/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=8m searchd-t840 "$MNT" 2>/dev/null ||
    skip_all "cannot mount a tmpfs here"
trap 'rc=$?; [ -n "$DPID" ] && stop_daemon KILL; umount "$MNT"; (exit $rc); cleanup' EXIT
plan 12

mkdir -p "$T/spool"
# make_files PREFIX N: N files, each with its own word PREFIXnn and text
# enough to grow the index.
make_files() {
    "$PYTHON3" - "$T/spool" "$1" "$2" <<'PY'
import os, random, sys
root, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(prefix)
for i in range(n):
    words = " ".join("w%x" % rnd.getrandbits(40) for _ in range(200))
    with open(os.path.join(root, "%s%02d.txt" % (prefix, i)), "w") as f:
        f.write("%s %02d\n\nThe word %s%02dzq marks it. %s\n"
                % (prefix, i, prefix, i, words))
PY
}
hits() { sc --json "$1" 2>/dev/null | "$PYTHON3" -c \
    'import json,sys; print(json.load(sys.stdin)["total"])'; }

make_files alpha 20
check "searchd starts on an index on the tmpfs" \
    start_daemon --index "$MNT/index" --watch "$T/spool" --shards 2 \
    --settle 50
wait_idle
check "the first 20 files are indexed" test "$(st documents)" = 20

# Fill the disk.
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
sync
make_files beta 30
SECONDS=0
until sc --json --status | grep -q '"disk_full"'; do
    [ $SECONDS -lt 30 ] || break
    sleep 0.2
done
st=$(sc --json --status)
diag "with the disk full: $st"
check "status says degraded, with a disk_full fault" \
    eval 'printf %s "$st" | grep -q "\"health\":\"degraded\".*\"what\":\"disk_full\""'
check "the log names the failed write" \
    grep -q "failed: disk full" "$T/daemon.log"
check "searchc --status shows the fault" \
    eval 'sc --status | grep -q "disk_full"'
check "searches still answer from the last commit" \
    test "$(hits alpha07zq)" = 1
check "no committed document is lost" test "$(st documents)" -ge 20
check "searchd is still running" kill -0 "$DPID"

# Space comes back: searchd finishes by itself.
rm -f "$MNT/filler"
SECONDS=0
until [ "$(st documents)" = 50 ] && [ "$(st health)" = ok ] &&
      [ "$(st queued)" = 0 ]; do
    [ $SECONDS -lt 60 ] || break
    sleep 0.3
done
diag "after freeing space (${SECONDS} s): $(sc --json --status)"
check "after space is freed every file is indexed (50 documents)" \
    test "$(st documents)" = 50
check "status is healthy again" test "$(st health)" = ok
dups=0
for f in $(seq -f alpha%02g 0 19) $(seq -f beta%02g 0 29); do
    n=$(hits "${f}zq"); [ "$n" = 1 ] || { dups=$((dups + 1)); diag "$f: $n"; }
done
check "each file is in the index exactly once" test $dups = 0
stop_and_check
