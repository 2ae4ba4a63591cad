#!/bin/sh
# Live watching under pressure.  (1) A crawler-like burst while searchd
# runs: thousands of files in folders made during the burst, half written
# under a hidden temporary name and renamed into place, some rewritten and
# some deleted soon after; at the end every file present is indexed
# exactly once with its latest content.  (2) inotify queue overflow:
# searchd is stopped (SIGSTOP) while far more events than the kernel
# queue holds happen, and files are created whose events are lost; after
# SIGCONT the overflow becomes a rescan and those files are indexed.
. "$top_srcdir/tests/e2e/lib.sh"
plan 11

N=3000 LIMIT=600
if [ "${SD_VALGRIND:-0}" = 1 ]; then N=300 LIMIT=2400; fi
S=$T/spool
mkdir -p "$S"

# hits QUERY: the number of documents matching QUERY.
hits() {
    sc --json "$1" | "$PYTHON3" -c \
        'import json, sys; print(json.load(sys.stdin)["total"])'
}
# poll_eq FUNC ARG WANT: until "FUNC ARG" prints WANT (0) or time runs out.
poll_eq() {
    i=0
    until [ "$("$1" "$2" 2>/dev/null)" = "$3" ]; do
        i=$((i + 1))
        if [ $i -gt $LIMIT ]; then
            diag "$1 $2: want $3, got $("$1" "$2" 2>&1)"; return 1
        fi
        sleep 0.1
    done
}

check "searchd starts watching an empty spool" \
    start_daemon --watch "$S" --settle 100
check "the start-up scan finishes" wait_idle

# The burst.  File i lives in folder d(i % 30) and holds the word
# "burstword" and its own number spelt as a word (wNNNN); every file with
# i % 10 == 0 is rewritten a moment later to hold "rewrittenword" instead,
# every file with i % 10 == 5 is deleted.
"$PYTHON3" - "$S" "$N" <<'PY'
import os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
def body(i, word):
    return "Burst report %d\n\nA %s about item w%05d.\n" % (i, word, i)
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 30))
    os.makedirs(d, exist_ok=True)
    final = os.path.join(d, "f%05d.txt" % i)
    if i % 2:
        tmp = os.path.join(d, ".f%05d.txt.tmp" % i)
        with open(tmp, "w") as f:
            f.write(body(i, "burstword"))
        os.rename(tmp, final)
    else:
        with open(final, "w") as f:
            f.write(body(i, "burstword"))
    j = i - 50
    if j >= 0 and j % 10 == 0:
        with open(os.path.join(root, "d%02d" % (j % 30), "f%05d.txt" % j),
                  "w") as f:
            f.write(body(j, "rewrittenword"))
    elif j >= 0 and j % 10 == 5:
        os.unlink(os.path.join(root, "d%02d" % (j % 30), "f%05d.txt" % j))
# The last 50 get their rewrites and deletions now.
for j in range(max(0, n - 50), n):
    p = os.path.join(root, "d%02d" % (j % 30), "f%05d.txt" % j)
    if j % 10 == 0:
        with open(p, "w") as f:
            f.write(body(j, "rewrittenword"))
    elif j % 10 == 5:
        os.unlink(p)
PY
present=$((N - N / 10))
rewritten=$((N / 10))
check "every file present is indexed, once ($present documents)" \
    poll_eq st documents "$present"
# A path still settling (--settle 100) is not counted as queued yet.
sleep 0.5
wait_idle
check "and no more" test "$(st documents)" = "$present"
check "every rewritten file has its new words ($rewritten)" \
    poll_eq hits rewrittenword "$rewritten"
check "and not its old ones" \
    test "$(hits burstword)" = $((present - rewritten))
check "deleted files are gone" \
    sh -c '! "$0" --socket "$1" --json w00005 | grep -q f00005' \
    "$SEARCHC" "$SOCK"
check "failures: none" test "$(st failed)" = 0

# Overflow.  Touching two files in turn makes events the kernel cannot
# merge; the files created after that have no event left in the queue.
max=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null || echo 0)
before=$(st documents)
kill -STOP "$DPID"
"$PYTHON3" - "$S" "$max" <<'PY'
import os, sys
root, m = sys.argv[1], int(sys.argv[2])
a = os.path.join(root, "d01", "f00001.txt")
b = os.path.join(root, "d03", "f00003.txt")
for _ in range(m // 2 + 1000):
    os.utime(a)
    os.utime(b)
os.makedirs(os.path.join(root, "late"), exist_ok=True)
for i in range(50):
    with open(os.path.join(root, "late", "l%02d.txt" % i), "w") as f:
        f.write("Late report %d\n\nAn overflowword item.\n" % i)
PY
kill -CONT "$DPID"
check "after an inotify queue overflow, files whose events were lost are indexed" \
    poll_eq hits overflowword 50
check "searchd logged the overflow and rescanned" \
    grep -q "inotify queue overflowed" "$T/daemon.log"
wait_idle
stop_and_check
