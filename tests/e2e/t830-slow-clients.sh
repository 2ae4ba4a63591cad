#!/bin/sh
# Slow and hostile clients, with short timeouts: clients that connect and
# send nothing (idle timeout), send a byte every half second (read
# timeout: slowloris), send searches and never read the replies (output
# cap, then write timeout), or send a 100 MB line (refused after
# max-line bytes, without buffering the rest) are each closed, with the
# documented error where the client can still read one, and logged;
# meanwhile a well-behaved client's latency stays what it is without
# them (measured both ways in this test).
. "$top_srcdir/tests/e2e/lib.sh"
plan 11

LOADGEN=$top_builddir/tests/load/loadgen
[ -x "$LOADGEN" ] || bail "no $LOADGEN (make check builds it)"
N=500
[ "${SD_VALGRIND:-0}" = 1 ] && N=100
make_reports "$T/spool" "$N" 10 ", the market and oil prices"
IDLE=1.5 READ=1.5 WRITE=2
start_daemon --idle-timeout $IDLE --read-timeout $READ \
    --write-timeout $WRITE --max-pending-out 128K \
    || bail "searchd did not start"
sc --add "$T/spool" >/dev/null || bail "indexing the spool failed"

# The well-behaved client: one connection, a ping or a search every 5 ms,
# one at a time, for 6 seconds.
good() {
    "$LOADGEN" -s "$SOCK" -c 1 -d 1 -m ping,search -i 5 -D 6 -n 100000 \
        -t 30 -L "$1"
}
p99() { sed -n 's/.* all_p99_ms=\([0-9.]*\) .*/\1/p' "$1"; }

good baseline >"$T/base.out" 2>&1 || { diag "$(cat "$T/base.out")"; bail "baseline run"; }
diag "$(cat "$T/base.out")"
# Descriptors once the query threads have opened the index.
fd0=$(ls "/proc/$DPID/fd" | wc -l)

# The hostile clients, all at once, while the good client runs again.
"$PYTHON3" - "$SOCK" "$IDLE" "$READ" "$WRITE" >"$T/hostile.out" 2>&1 <<'PY' &
import errno, json, socket, sys, threading, time
path = sys.argv[1]
idle, read_t, write_t = map(float, sys.argv[2:5])
results = {}
lock = threading.Lock()
def report(kind, **kw):
    with lock:
        results.setdefault(kind, []).append(kw)
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s
def read_to_eof(s, timeout):
    """All bytes until end-of-file, and whether it came."""
    s.settimeout(timeout)
    b = b""
    try:
        while True:
            c = s.recv(1 << 20)
            if not c:
                return b, True
            b += c
    except ConnectionResetError:
        return b, True
    except OSError:
        return b, False
def silent():
    s = conn(); t0 = time.time()
    b, eof = read_to_eof(s, idle + 5)
    report("silent", eof=eof, after=time.time() - t0, got=b.decode())
def dribble():
    s = conn(); t0 = time.time()
    line = b'{"v":1,"id":1,"op":"ping"}'
    sent = 0
    try:
        for ch in line:
            s.send(bytes([ch]))
            sent += 1
            time.sleep(0.5)
    except OSError:
        pass
    b, eof = read_to_eof(s, read_t + 5)
    report("dribble", eof=eof, after=time.time() - t0, sent=sent,
           got=b.decode())
def no_read():
    s = conn(); s.setblocking(False); t0 = time.time()
    req = b'{"v":1,"id":%d,"op":"search","q":"report","limit":20}\n'
    sent, pend, blocked = 0, b"", None
    while time.time() - t0 < 3:
        if not pend:
            pend = req % sent
        try:
            n = s.send(pend); pend = pend[n:]
            if not pend:
                sent += 1
            blocked = None
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    # Never read: the write timeout closes it.
    time.sleep(write_t + 2)
    s.setblocking(True)
    b, eof = read_to_eof(s, 5)
    report("no_read", eof=eof, sent=sent)
def huge():
    s = conn(); t0 = time.time()
    chunk = memoryview(b"x" * (1 << 20))
    sent, err = 0, None
    try:
        while sent < 100 << 20:
            sent += s.send(chunk[:min(len(chunk), (100 << 20) - sent)])
    except OSError as e:
        err = e.errno
    b, eof = read_to_eof(s, 5)
    report("huge", eof=eof, sent=sent, err=err, after=time.time() - t0,
           got=b.decode())
threads = []
time.sleep(0.5)   # the good client is under way
for f, n in ((silent, 40), (dribble, 10), (no_read, 4), (huge, 2)):
    for _ in range(n):
        threads.append(threading.Thread(target=f))
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(results))
PY
HPID=$!
good hostile >"$T/hostile-good.out" 2>&1
grc=$?
wait "$HPID"
diag "$(cat "$T/hostile-good.out")"
check "the good client's requests all answered beside the hostile ones" \
    [ "$grc" = 0 ]

# Each kind of hostile client, checked from its own side.
hcheck() {
    "$PYTHON3" - "$T/hostile.out" "$IDLE" "$READ" "$@" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
idle, read_t = float(sys.argv[2]), float(sys.argv[3])
what = sys.argv[4]
# The sweep checks 4 times per shortest timeout: late by at most 0.4 s,
# plus scheduling on a loaded machine.
late = 2.5
if what == "silent":
    for x in r["silent"]:
        assert x["eof"] and x["got"] == "", x
        assert idle - 0.1 <= x["after"] <= idle + late, x
    print(len(r["silent"]), "closed after %.2f-%.2f s" %
          (min(x["after"] for x in r["silent"]),
           max(x["after"] for x in r["silent"])))
elif what == "dribble":
    for x in r["dribble"]:
        assert x["eof"], x
        e = json.loads(x["got"])
        assert e["error"]["code"] == "bad_request", x
        assert "read timeout" in e["error"]["message"], x
        # The line had 26 bytes, 0.5 s apart: it was cut off early.
        assert x["sent"] < 26 and x["after"] <= read_t + late + 0.5, x
    print(len(r["dribble"]), "cut off after", [x["sent"] for x in r["dribble"]],
          "bytes")
elif what == "no_read":
    for x in r["no_read"]:
        assert x["eof"], x
    print(len(r["no_read"]), "closed; requests taken",
          [x["sent"] for x in r["no_read"]])
elif what == "huge":
    for x in r["huge"]:
        assert x["eof"] and x["sent"] < 16 << 20, x
        assert json.loads(x["got"])["error"]["code"] == "too_big", x
    print(len(r["huge"]), "refused after", [x["sent"] for x in r["huge"]],
          "bytes of 100 MiB")
PY
}
hcheck silent >"$T/h1" 2>&1; h=$?; diag "silent: $(cat "$T/h1")"
check "40 silent clients closed by the idle timeout ($IDLE s)" [ $h = 0 ]
hcheck dribble >"$T/h2" 2>&1; h=$?; diag "dribble: $(cat "$T/h2")"
check "10 byte-dribbling clients cut off by the read timeout ($READ s), told why" [ $h = 0 ]
hcheck no_read >"$T/h3" 2>&1; h=$?; diag "no_read: $(cat "$T/h3")"
check "4 clients that never read closed by the write timeout ($WRITE s)" [ $h = 0 ]
hcheck huge >"$T/h4" 2>&1; h=$?; diag "huge: $(cat "$T/h4")"
check "2 clients sending a 100 MB line refused early with too_big" [ $h = 0 ]

check "the log names each timeout" sh -c '
    grep -q "idle for 1.5 s; closing" "$0" &&
    grep -q "read timeout: request line not finished" "$0" &&
    grep -q "write timeout: .* bytes of replies not taken" "$0" &&
    grep -q "request line over 65536 bytes; closing" "$0"' "$T/daemon.log"
to=$(st connections_timed_out)
check "status counts them: $to connections timed out (>= 54)" [ "$to" -ge 54 ]

# The good client's latency with the hostile ones about: p99 within five
# times the baseline's plus 20 ms.  A loop blocked by any of them (a
# 100 MB line read whole, a blocking write, a per-byte reparse) would add
# hundreds of ms; scheduling noise on a loaded 2-core machine does not.
# The hostile searches (4 clients x 64 in flight) are real work for the
# query threads: fair queueing (qpool.c) lets the good client's search
# wait for about one of them per hostile client, a few ms.
# Under ASan the slack is 100 ms: its code runs 2-3 times slower and
# the two runs, minutes apart, share the cores with other tests in other
# ways.  CI measured 5.8 ms alone and 14.8 ms beside them, a third of
# the 49 ms bound, where a plain build uses a thirtieth of its own; a
# blocked loop still shows.  Under valgrind, which runs one thread at a
# time 20-50 times slower, a search takes tens of ms and latency says
# nothing: shown only.
slack=20
[ "${SD_SANITIZERS:-no}" = yes ] && slack=100
b99=$(p99 "$T/base.out") h99=$(p99 "$T/hostile-good.out")
bound=$("$PYTHON3" -c 'import sys; print("%.3f" % (5 * float(sys.argv[1]) + int(sys.argv[2])))' "$b99" $slack)
diag "good client p99: ${b99} ms alone, ${h99} ms beside the hostile clients (bound ${bound} ms)"
n_good=$(sed -n 's/.* replies=\([0-9]*\) .*/\1/p' "$T/hostile-good.out")
if [ "${SD_VALGRIND:-0}" = 1 ]; then
    ok "# SKIP latency under valgrind (p99 $b99 ms alone, $h99 ms beside them)"
    ok "# SKIP throughput under valgrind ($n_good requests in 6 s)"
else
    check "good client's p99 with hostile clients ($h99 ms) <= 5 x baseline + $slack ms ($bound ms)" \
        "$PYTHON3" -c 'import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]))' "$h99" "$bound"
    check "the good client was served throughout ($n_good requests in 6 s)" \
        [ "${n_good:-0}" -ge 200 ]
fi

connections_held 0 || diag "connections still open: $(held_connections)"
fd1=$(ls "/proc/$DPID/fd" | wc -l)
check "no descriptor left behind ($fd0 -> $fd1)" [ "$fd1" -le "$fd0" ]
stop_and_check
