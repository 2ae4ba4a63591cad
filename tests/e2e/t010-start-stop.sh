#!/bin/sh
# Start-up and shutdown: socket mode, stale and live sockets, a locked
# index, SIGTERM and SIGINT, detaching, and searchc without a daemon.
. "$top_srcdir/tests/e2e/lib.sh"
plan 16

mode_of() { stat -c %a "$1"; }

# searchc with no daemon: exit 2 and a hint how to start one.
sc --ping >"$T/out" 2>&1; rc=$?
check "searchc without a daemon exits 2" [ "$rc" = 2 ]
check "searchc without a daemon says how to start one" \
    grep -q "is searchd running" "$T/out"

check "searchd starts on an empty index" start_daemon
check "socket is created with mode 0600" [ "$(mode_of "$SOCK")" = 600 ]
out=$(sc --ping); rc=$?
check "ping answers" [ "$rc" = 0 ]
case $out in pong*) ok "ping prints pong";; *) not_ok "ping prints pong: $out";; esac

# A second daemon on the same socket must refuse: it is live.
"$SEARCHD" --foreground --socket "$SOCK" --index "$T/index2" \
    --plugin-dir "$SD_PLUGIN_DIR" >"$T/second.log" 2>&1; rc=$?
check "a second searchd on a live socket refuses to start" [ "$rc" != 0 ]
check "... saying another searchd is listening" \
    grep -q "another searchd is listening" "$T/second.log"

# A second daemon on the same index must refuse: the index is locked.
"$SEARCHD" --foreground --socket "$T/sock2" --index "$T/index" \
    --plugin-dir "$SD_PLUGIN_DIR" >"$T/third.log" 2>&1; rc=$?
check "a second writer on the same index refuses to start" \
    grep -q "in use by another process" "$T/third.log"

stop_and_check

# A stale socket file left by a dead daemon is replaced.
"$PYTHON3" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
check "stale socket file exists" [ -S "$SOCK" ]
check "searchd replaces a stale socket (and honours --socket-mode)" \
    start_daemon --socket-mode 0660
check "socket mode 0660" [ "$(mode_of "$SOCK")" = 660 ]
stop_daemon INT
check "SIGINT: exit 0, socket removed" test "$DSTATUS" = 0 -a ! -e "$SOCK"

# A path that is not a socket is never removed.
echo keep >"$T/notasocket"
"$SEARCHD" --foreground --socket "$T/notasocket" --index "$T/index" \
    --plugin-dir "$SD_PLUGIN_DIR" >"$T/nots.log" 2>&1
refused_and_kept() {
    grep -q "not a socket" "$T/nots.log" && [ "$(cat "$T/notasocket")" = keep ]
}
check "a non-socket file at the socket path is refused and kept" refused_and_kept

# Without --foreground searchd detaches once it is ready.
"$SEARCHD" --socket "$SOCK" --index "$T/index" \
    --plugin-dir "$SD_PLUGIN_DIR" >"$T/bg.log" 2>&1; rc=$?
pid=$(sc --json --status 2>/dev/null | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
if [ "$rc" = 0 ] && [ -n "$pid" ] && kill -TERM "$pid"; then
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    check "detached searchd answers, then stops on SIGTERM and removes its socket" \
        [ ! -e "$SOCK" ]
else
    not_ok "detached searchd answers (exit $rc, pid '$pid')"
fi
