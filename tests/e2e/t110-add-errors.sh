#!/bin/sh
# `add` tells apart a path that does not exist (not_found) from one searchd
# may not look at (denied).  As root the daemon runs as nobody (setpriv),
# since root may read any folder.
. "$top_srcdir/tests/e2e/lib.sh"

if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || skip_all "root, and no setpriv to drop to nobody"
    DAEMON_PREFIX="setpriv --reuid=65534 --regid=65534 --clear-groups --"
    reachable_by_nobody "$SEARCHD" "$SD_PLUGIN_DIR" ||
        skip_design "nobody cannot run $SEARCHD (a private build folder?)"
    chmod 755 "$T" && chown 65534:65534 "$T"
fi
plan 7

echo "Monsoon floods in Sindh" >"$T/open.txt"
mkdir "$T/locked" && echo "Locked away" >"$T/locked/a.txt"
chmod 000 "$T/locked"

check "searchd starts (as $( [ -n "${DAEMON_PREFIX:-}" ] && echo nobody || id -un))" start_daemon
sc --add "$T/locked/a.txt" >/dev/null 2>"$T/err"; rc=$?
check "a file in a mode-000 folder: exit 3, denied" \
    sh -c 'test "$1" = 3 && grep -q "denied: .*Permission denied" "$2"' - "$rc" "$T/err"
sc --add "$T/missing.txt" >/dev/null 2>"$T/err"; rc=$?
check "a missing file: exit 3, not_found" \
    sh -c 'test "$1" = 3 && grep -q not_found "$2"' - "$rc" "$T/err"
sc --add "$T/open.txt/below" >/dev/null 2>"$T/err"; rc=$?
check "a path below a file (ENOTDIR): exit 3, not_found" \
    sh -c 'test "$1" = 3 && grep -q not_found "$2"' - "$rc" "$T/err"
mkfifo "$T/pipe"
check "a FIFO is refused as not a regular file, without blocking" \
    sh -c "'$SEARCHC' --socket '$SOCK' --timeout 20 --add '$T/pipe' | grep -q 'failed: .*pipe: not a regular file'"
check "a readable file is still indexed" sc --add "$T/open.txt"
chmod 700 "$T/locked"
stop_and_check
