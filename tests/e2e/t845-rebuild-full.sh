#!/bin/bash
# `searchd --rebuild` onto a disk that fills up: unlike the daemon, a
# batch run must not retry for ever holding the old index's locks.  It
# gives up, exits 1 naming the fault, removes its half-built
# DIR.rebuild (giving the space back) and leaves DIR as it was.
. "$top_srcdir/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "mounting a small tmpfs needs root"
MNT=$T/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=3m searchd-t845 "$MNT" 2>/dev/null ||
    skip_all "cannot mount a tmpfs here"
trap 'rc=$?; umount "$MNT"; (exit $rc); cleanup' EXIT
plan 5

mkdir -p "$T/spool" "$MNT/index"
# Text that takes far more than 3 MB of index.
"$PYTHON3" - "$T/spool" <<'PY'
import os, random, sys
rnd = random.Random(845)
for i in range(1500):
    words = " ".join("w%x" % rnd.getrandbits(40) for _ in range(300))
    with open(os.path.join(sys.argv[1], "f%04d.txt" % i), "w") as f:
        f.write("Title %d\n\n%s\n" % (i, words))
PY
echo keep >"$MNT/index/marker"
start=$(date +%s)
timeout 120 "$SEARCHD" --no-config --plugin-dir "$SD_PLUGIN_DIR" \
    --index "$MNT/index" --watch "$T/spool" --rebuild >"$T/out" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
diag "exit $rc after ${took} s"
check "--rebuild exits 1 (not killed by the 120 s timeout)" test "$rc" = 1
check "it names the fault" grep -q -- "--rebuild: .*No space left" "$T/out"
check "it says the index is unchanged" grep -q "is unchanged" "$T/out"
check "the half-built index is removed" test ! -e "$MNT/index.rebuild"
check "the old index folder is as it was" test -f "$MNT/index/marker"
