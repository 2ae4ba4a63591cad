#!/bin/sh
# Socket activation with systemd's own tool: systemd-socket-activate owns
# the socket and starts searchd on the first connection (searchc's), with
# LISTEN_FDS; searchd serves on that socket, indexes, answers, and leaves
# the socket file (not its own) in place when it stops.
. "$top_srcdir/tests/e2e/lib.sh"

ACT=$(command -v systemd-socket-activate) ||
    skip_all "systemd-socket-activate not found (Debian package systemd)"
plan 9

mkdir -p "$T/spool"
cp "$SD_DATA_DIR"/samples/*.txt "$T/spool/"
# The tool passes on only the variables it is told to.
envs=
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TMPDIR; do
    eval "val=\${$v:-}"
    [ -n "$val" ] && envs="$envs -E $v=$val"
done
DAEMON_PREFIX="$ACT -l $SOCK $envs"
check "the socket exists before searchd runs" \
    sh -c "(exec $DAEMON_PREFIX true) & i=0
        until test -S '$SOCK' || [ \$i -ge 100 ]; do i=\$((i + 1)); sleep 0.1; done
        test -S '$SOCK'; r=\$?; kill \$! 2>/dev/null; wait; rm -f '$SOCK'; exit \$r"
check "searchc's first connection starts searchd on systemd's socket" \
    start_daemon --watch "$T/spool"
check "searchd says the socket came from systemd" \
    grep -q "socket from systemd" "$T/daemon.log"
wait_idle
check "it indexes and answers searches" \
    sh -c '"$0" --socket "$1" "Afghan peace" | grep -qi "afghan"' \
    "$SEARCHC" "$SOCK"
stop_daemon TERM
check "SIGTERM: exit 0" test "$DSTATUS" = 0
check "the socket file, systemd's, is left in place" test -S "$SOCK"
DAEMON_PREFIX=
rm -f "$SOCK"
check "without systemd, searchd makes its own socket" \
    start_daemon --watch "$T/spool"
check "and says so" grep -q "listening on $SOCK (mode" "$T/daemon.log"
stop_and_check
