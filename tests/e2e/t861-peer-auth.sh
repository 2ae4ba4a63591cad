#!/bin/sh
# Operations that change state (add, reload) are allowed only to searchd's
# own user, root and members of its admin-group; searching is anyone's
# who can reach the socket.  The peer is the kernel's record
# (SO_PEERCRED), so the clients here really run as other users (setpriv).
. "$top_srcdir/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to run clients as other users"
command -v setpriv >/dev/null || skip_all "no setpriv"
reachable_by_nobody "$SEARCHC" "$SEARCHD" "$SD_PLUGIN_DIR" ||
    skip_design "nobody cannot run $SEARCHC or $SEARCHD (a private build folder?)"
plan 19

chmod 755 "$T"
printf 'Cyclone warning\n\nA cyclone nears the coast of Gujarat.\n' >"$T/a.txt"
printf 'Harvest report\n\nWheat harvest up in Punjab.\n' >"$T/b.txt"
printf 'Budget speech\n\nThe budget speech ran long.\n' >"$T/c.txt"
chmod 644 "$T"/*.txt
ADMIN=4243

# as UID GID [GROUPS] -- searchc ARGS...: searchc as that user.
as() {
    u=$1 g=$2; shift 2
    if [ "$1" = -- ]; then grp=--clear-groups; else grp="--groups=$1"; shift; fi
    shift
    setpriv --reuid="$u" --regid="$g" $grp -- "$SEARCHC" --socket "$SOCK" "$@"
}
# refused CMD...: exit 3 with "forbidden" on stderr.
refused() {
    "$@" >/dev/null 2>"$T/err"; rc=$?
    test "$rc" = 3 && grep -q "searchd: forbidden: " "$T/err"
}

check "searchd (root) starts with a socket anyone may use" \
    start_daemon --socket-mode 0666
check "nobody may ping" as 65534 65534 -- --ping
as 65534 65534 -- cyclone >/dev/null; rc=$?
check "nobody may search (exit 0 or 1, no error)" test "$rc" -le 1
peer_uid() {
    as 65534 65534 -- --json --status | "$PYTHON3" -c \
        'import json,sys; print(json.load(sys.stdin)["peer_uid"])'
}
check "status tells nobody its own uid" test "$(peer_uid)" = 65534
check "nobody may not add: forbidden" refused as 65534 65534 -- --add "$T/a.txt"
check "the refusal says who may" \
    grep -q "only its own user (uid 0) and root may.*you are uid 65534" "$T/err"
check "nobody may not reload: forbidden" refused as 65534 65534 -- --reload
check "the daemon logs the refusals" \
    test "$(grep -c 'refused: uid 65534 may not change state' "$T/daemon.log")" = 2
as 65534 65534 -- cyclone >"$T/out"
check "the refused add indexed nothing" test ! -s "$T/out"
check "root may add" sc --add "$T/a.txt"
stop_daemon TERM

check "searchd starts with admin-group $ADMIN" \
    start_daemon --socket-mode 0666 --admin-group $ADMIN
check "nobody with supplementary group $ADMIN may add" \
    as 65534 65534 $ADMIN -- --add "$T/b.txt"
check "and reload" as 65534 65534 $ADMIN -- --reload
check "nobody with primary group $ADMIN may add" \
    as 65534 $ADMIN -- --add "$T/c.txt"
check "nobody in other groups may not" \
    refused as 65534 65534 4244,4245 -- --add "$T/c.txt"
found() { sc harvest | grep -q b.txt && sc budget | grep -q c.txt; }
check "the added files are found" found
stop_daemon TERM

# searchd's own user, not root.
chown -R 65534:65534 "$T"
DAEMON_PREFIX="setpriv --reuid=65534 --regid=65534 --clear-groups --"
check "searchd starts as nobody" start_daemon --socket-mode 0666
own_user() {
    as 65534 65534 -- --add "$T/a.txt" >/dev/null &&
        refused as 65533 65533 -- --add "$T/a.txt"
}
check "nobody (searchd's own user) may add; uid 65533 may not" own_user
stop_and_check
