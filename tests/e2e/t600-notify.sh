#!/bin/sh
# The systemd notify protocol, with this test playing systemd's side of
# the socket: READY=1 once searchd answers, STATUS= lines with the load's
# progress, WATCHDOG=1 from the event loop at half the asked interval,
# STOPPING=1 on SIGTERM; the workers never see the variables.  Both a
# socket path and an abstract name.
. "$top_srcdir/tests/e2e/lib.sh"
plan 12

mkdir -p "$T/spool"
cp "$SD_DATA_DIR"/samples/*.txt "$T/spool/"
i=0
while [ $i -lt 200 ]; do
    printf 'Note %d\n\nA numbered note about item%d.\n' $i $i >"$T/spool/n$i.txt"
    i=$((i + 1))
done
check "a listener on a socket path" notify_listen "$T/notify.sock" "$T/n1.log"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=300000 \
    start_daemon --watch "$T/spool"
check "READY=1 is sent" logged "$T/n1.log" '^READY=1$'
check "STATUS reports the load, then idle with the document count" \
    logged "$T/n1.log" '^STATUS=idle; 202 documents, 0 failed$'
# The first line is sent with READY=1, while the start-up scan is queued.
check "the first STATUS line says it is indexing" \
    sh -c "grep '^STATUS=' '$T/n1.log' | head -1 | grep -q '^STATUS=indexing [0-9]*/[0-9]* files'"
# Repeated pings, not a rate: a loaded machine may starve the loop or
# the listener for a while.  The interval is the log's "watchdog every".
w1=$(grep -c '^WATCHDOG=1$' "$T/n1.log")
check "WATCHDOG=1 again and again (3 more after $w1)" \
    eventually eval '[ "$(grep -c "^WATCHDOG=1$" "$T/n1.log")" -ge $((w1 + 3)) ]'
check "at half WATCHDOG_USEC" grep -q "watchdog every 0\.15 s" "$T/daemon.log"
wpid=$(ps -o pid= --ppid "$DPID" | head -1 | tr -d ' ')
check "the worker processes do not inherit NOTIFY_SOCKET or WATCHDOG_USEC" \
    sh -c "test -n '$wpid' && ! tr '\0' '\n' </proc/$wpid/environ | grep -q '^NOTIFY_SOCKET=\|^WATCHDOG_USEC='"
stop_daemon TERM
check "STOPPING=1 on SIGTERM" logged "$T/n1.log" '^STOPPING=1$'
check "and exits 0" test "$DSTATUS" = 0
kill "$LPID"

name="@searchd-test-$$-$(date +%s)"
check "a listener on an abstract socket" notify_listen "$name" "$T/n2.log"
NOTIFY_SOCKET=$name start_daemon --watch "$T/spool"
check "READY=1 reaches an abstract socket too" logged "$T/n2.log" '^READY=1$'
check "no WATCHDOG=1 when none was asked for" \
    sh -c "sleep 0.5; ! grep -q WATCHDOG '$T/n2.log'"
stop_daemon TERM
kill "$LPID"
