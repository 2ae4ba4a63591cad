#!/bin/sh
# Limits on clients: with max-connections N, connection N+1 gets a
# `busy` error line and is closed while the N others go on; a client that
# sends searches and never reads the replies makes searchd stop reading
# it once max-pending-out is unsent, so the daemon's memory stays bounded
# (measured while it spams), and the write timeout then closes it.
. "$top_srcdir/tests/e2e/lib.sh"
plan 12

N=1500
[ "${SD_VALGRIND:-0}" = 1 ] && N=300
make_reports "$T/spool" "$N" 20 ", its yield and its prices in the valley"

start_daemon --max-connections 8 --max-pending-out 256K --write-timeout 2 \
    || bail "searchd did not start"
sc --add "$T/spool" >/dev/null || bail "indexing the spool failed"

# ---- max-connections ----
"$PYTHON3" - "$SOCK" >"$T/conns.out" 2>&1 <<'PY'
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    return s
def line(s):
    b = b""
    while not b.endswith(b"\n"):
        c = s.recv(4096)
        if not c:
            break
        b += c
    return b
held = [conn() for _ in range(8)]
# Every one of the 8 is served (and so counted by searchd).
for i, s in enumerate(held):
    s.sendall(b'{"v":1,"id":%d,"op":"ping"}\n' % i)
    assert json.loads(line(s))["ok"] is True
extra = conn()
r = line(extra)
print("ninth:", r.decode().strip())
assert json.loads(r)["error"]["code"] == "busy", r
assert "id" not in json.loads(r)
assert extra.recv(100) == b"", "the ninth connection was not closed"
held[0].sendall(b'{"v":1,"id":99,"op":"ping"}\n')
assert json.loads(line(held[0]))["ok"] is True
print("the eight go on")
PY
prc=$?
cat "$T/conns.out" | sed 's/^/# /'
check "connection 9 of max-connections 8: busy, no id, closed" [ "$prc" = 0 ]
# With 8 a stale count would turn even root away: wait it out, and
# again before each count of connections.
connections_held 0 || diag "connections still open: $(held_connections)"
check "status counts the refused connection" [ "$(st connections_refused)" -ge 1 ]
check "the log says why it refused" \
    grep -q 'refusing new ones' "$T/daemon.log"
connections_held 0 || diag "connections still open: $(held_connections)"
sc --status >"$T/status.txt"
check "searchc --status shows the clients" \
    grep -Eq '^connections: +1 \(refused busy [1-9][0-9]*, timed out 0\)$' \
    "$T/status.txt" || diag "$(cat "$T/status.txt")"

# ---- the query queue is fair between clients ----
# A client pipelines 64 searches (the per-connection cap); once they are
# queued another client asks one.  Fair queueing (qpool.c) runs it next,
# after the hog's searches already running; a single FIFO would run it
# after all 64.  An order, not a time: it holds on a loaded machine.
"$PYTHON3" - "$SOCK" >"$T/fair.out" 2>&1 <<'PY'
import json, socket, sys, threading
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(path)
    return s
hog, good = conn(), conn()
order, first = [], threading.Event()
lock = threading.Lock()
def read_hog():
    f = hog.makefile("rb")
    for _ in range(64):
        r = json.loads(f.readline())
        assert r["ok"] is True, r
        with lock:
            order.append("hog")
        first.set()
t = threading.Thread(target=read_hog)
t.start()
hog.sendall(b"".join(b'{"v":1,"id":%d,"op":"search","q":"harvest OR report",'
                     b'"limit":200}\n' % i for i in range(64)))
first.wait(60)
good.sendall(b'{"v":1,"id":"g","op":"search","q":"harvest","limit":5}\n')
r = json.loads(good.makefile("rb").readline())
assert r["ok"] is True, r
with lock:
    before = len(order)
    order.append("good")
t.join()
print("hog replies before the other client's search: %d of 64" % before)
PY
frc=$?
cat "$T/fair.out" | sed 's/^/# /'
before=$(sed -n 's/.*search: \([0-9]*\) of 64/\1/p' "$T/fair.out")
check "another client's search overtakes a 64-search pipeline (after $before)" \
    [ "$frc" = 0 -a "${before:-64}" -le 16 ]

# ---- a client that never reads ----
# One reply's size: limit 100 hits of the spool.
one=$(sc --json --limit 100 harvest | wc -c)
PID=$DPID "$PYTHON3" - "$SOCK" "$one" >"$T/spam.out" 2>&1 <<'PY'
import os, socket, sys, threading, time
path, one = sys.argv[1], int(sys.argv[2])
pid = os.environ["PID"]
def rss():
    with open("/proc/%s/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
base = rss()
peak = [base]
stop = False
def sample():
    while not stop:
        peak[0] = max(peak[0], rss())
        time.sleep(0.02)
t = threading.Thread(target=sample)
t.start()
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.setblocking(False)
sent, total, blocked_since = 0, 20000, None
req = b'{"v":1,"id":%d,"op":"search","q":"harvest","limit":100}\n'
pending = b""
start = time.time()
while sent < total and time.time() - start < 20:
    if not pending:
        pending = req % sent
    try:
        n = s.send(pending)
        pending = pending[n:]
        if not pending:
            sent += 1
        blocked_since = None
    except BlockingIOError:
        # searchd stopped reading: the socket buffers are full.
        if blocked_since is None:
            blocked_since = time.time()
        elif time.time() - blocked_since > 1.0:
            break
        time.sleep(0.01)
    except OSError as e:
        print("send:", e)
        break
spam_s = time.time() - start
# Keep not reading: the write timeout (2 s) must close the connection.
time.sleep(4)
stop = True
t.join()
s.setblocking(True)
s.settimeout(10)
got, eof = 0, False
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            eof = True
            break
        got += len(b)
except ConnectionResetError:
    # Closed with requests of ours unread: a Unix socket says reset.
    eof = True
except OSError as e:
    print("recv:", e)
print("sent=%d of %d in %.1f s; replies read afterwards=%d bytes; "
      "closed=%s" % (sent, total, spam_s, got, eof))
print("rss_base_kb=%d rss_peak_kb=%d reply_bytes=%d" % (base, peak[0], one))
PY
cat "$T/spam.out" | sed 's/^/# /'
sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$T/spam.out")
base=$(sed -n 's/.*rss_base_kb=\([0-9]*\).*/\1/p' "$T/spam.out")
peak=$(sed -n 's/.*rss_peak_kb=\([0-9]*\).*/\1/p' "$T/spam.out")
check "searchd stopped reading the client that does not read ($sent of 20000 requests taken)" \
    [ "${sent:-20000}" -lt 20000 ]
check "the write timeout closed it" grep -q 'closed=True' "$T/spam.out"
check "the log says so" grep -q 'write timeout: .* bytes of replies not taken' \
    "$T/daemon.log"
# What searchd may hold for it: max-pending-out (256 KiB), plus the
# replies of the requests already running (64 at most), plus 16 MiB for
# the query threads' and the loop's allocator arenas.  Had it read all
# 20000 requests, their replies would be 20000 x one reply (hundreds of
# MiB).
bound=$((256 + 64 * one / 1024 + 16384))
if [ "${SD_VALGRIND:-0}" = 1 ] || [ "${SD_SANITIZERS:-no}" = yes ]; then
    ok "# SKIP RSS bound under valgrind/sanitizers ($base -> $peak kB)"
else
    check "RSS while it spams: $base -> $peak kB, growth <= $bound kB" \
        [ $((peak - base)) -le "$bound" ]
fi
check "status counts the timed-out connection" \
    [ "$(st connections_timed_out)" -ge 1 ]

# ---- a reload applies the timeouts ----
# The idle timeout was the default 300 s; the file's 0.5 s applies to
# the connections open at the reload.
"$PYTHON3" - "$SOCK" >"$T/idle.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(20)
t0 = time.time()
print("closed" if s.recv(10) == b"" else "data", "after %.1f s" % (time.time() - t0))
PY
IPID=$!
sleep 0.5
echo "idle-timeout = 0.5" >"$SEARCHD_CONFIG"
sc --reload >/dev/null || diag "reload failed"
wait "$IPID"
diag "$(cat "$T/idle.out")"
check "a reload's idle-timeout closes a connection opened before it" \
    grep -q '^closed after' "$T/idle.out"
stop_and_check
