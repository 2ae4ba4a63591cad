#!/bin/sh
# Clients that queue searches and hang up: the searches that no query
# thread has started are dropped unrun (status counts them in
# searches_abandoned), so such clients cannot keep the query threads busy
# for nobody.  What is not dropped: the replies owed to a client that
# only shut down its write side (it still reads them), and an add sent by
# a client that hung up (its file is still indexed).
. "$top_srcdir/tests/e2e/lib.sh"
plan 8

N=1000
ROUNDS=15
[ "${SD_VALGRIND:-0}" = 1 ] && { N=200; ROUNDS=10; }
make_reports "$T/spool" "$N" 10 ", the market and oil prices"
mkdir -p "$T/late"
printf 'Late note\n\nThe axolotl came with a hang-up.\n' >"$T/late/late.txt"


check "searchd starts with one query thread" start_daemon --query-threads 1
check "the spool is indexed" sc --add "$T/spool"
check "status counts no abandoned search yet" test "$(st searches_abandoned)" = 0

# ROUNDS clients each send 64 searches (the most one may have running) in
# one write and close their socket at once; fewer than the 1024 searches
# the queue takes in all, so none is refused busy.
"$PYTHON3" - "$SOCK" "$ROUNDS" >"$T/hangup.out" 2>&1 <<'PY'
import json, socket, sys
path, rounds = sys.argv[1], int(sys.argv[2])
for r in range(rounds):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    lines = b"".join(json.dumps({"v": 1, "id": i, "op": "search",
                                 "q": "report harvest market oil prices",
                                 "match": "any", "limit": 100,
                                 "facets": True}).encode() + b"\n"
                     for i in range(64))
    s.sendall(lines)
    s.close()
print("sent", rounds * 64)
PY
sent=$((ROUNDS * 64))
# Let the query thread get through (or past) all of them.
i=0
while [ $i -lt 100 ]; do
    a=$(st searches_abandoned)
    [ "$a" -ge $((sent / 2)) ] && break
    i=$((i + 1)); sleep 0.1
done
diag "searches abandoned: $a of $sent sent by clients that hung up"
check "most searches of clients that hung up were never run" \
    test "$a" -ge $((sent / 2))

# A client that shuts down only its write side still gets every reply.
check "after shutdown(SHUT_WR) all 20 replies still come" \
    "$PYTHON3" - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"".join(json.dumps({"v": 1, "id": i, "op": "search",
                               "q": "harvest"}).encode() + b"\n"
                   for i in range(20)))
s.shutdown(socket.SHUT_WR)
got = [json.loads(l) for l in s.makefile("rb")]
ids = sorted(r["id"] for r in got if r.get("ok"))
sys.exit(0 if ids == list(range(20)) else 1)
PY

# An add from a client that hangs up at once is still done.
"$PYTHON3" - "$SOCK" "$T/late/late.txt" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"v": 1, "id": 1, "op": "add",
                      "path": sys.argv[2]}).encode() + b"\n")
s.close()
PY
i=0
until "$SEARCHC" --socket "$SOCK" axolotl >/dev/null 2>&1 || [ $i -ge 100 ]; do
    i=$((i + 1)); sleep 0.1
done
check "the add of a client that hung up still indexed its file" \
    sc axolotl
check "searchd still answers searches" sc harvest
stop_and_check
