#!/bin/sh
# SIGTERM in the middle of a bulk load loses nothing: searchd stops at
# once (exit 0), keeps what it committed, records no file in flight as
# failed, and the next start finishes the rest: every file indexed once.
. "$top_srcdir/tests/e2e/lib.sh"
plan 6

N=3000
[ "${SD_VALGRIND:-0}" = 1 ] && N=300
mkdir -p "$T/spool"
make_reports "$T/spool" "$N" 30

start_daemon --watch "$T/spool" --commit-docs 100 || bail "searchd did not start"
# Wait until the load is under way but not done.
i=0
while :; do
    done_=$(st files_done 2>/dev/null || echo 0)
    [ "$done_" -gt 0 ] && break
    i=$((i + 1)); [ $i -gt 600 ] && bail "the load did not start"
    sleep 0.05
done
queued=$(st queued)
stop_daemon TERM
check "SIGTERM mid-load ($done_ files done, $queued queued): exit 0" \
    [ "$DSTATUS" = 0 ]
check "the log says it stopped" grep -q 'main: stopped' "$T/daemon.log"

start_daemon --watch "$T/spool" || bail "searchd did not restart"
wait_idle || bail "the load did not finish after the restart"
check "every file is indexed exactly once ($N documents)" \
    [ "$(st documents)" = "$N" ]
check "no file was recorded as failed" [ "$(st failed)" = 0 ]
check "a file from the end of the load is found" \
    sh -c '"$0" --socket "$1" "w$(($2 - 1))" >/dev/null' "$SEARCHC" "$SOCK" "$N"
stop_and_check
