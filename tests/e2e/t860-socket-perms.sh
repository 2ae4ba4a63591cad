#!/bin/sh
# The socket file: owner-only (0600) by default; socket-mode and
# socket-group widen it to a group; an unknown group stops the start with
# a line naming it.  As root, a user the mode leaves out cannot connect.
. "$top_srcdir/tests/e2e/lib.sh"
plan 9

# perms FILE: "MODE GID" of the file.
perms() { stat -c '%a %g' "$1"; }

check "searchd starts with the defaults" start_daemon
check "the socket is 0600, in searchd's group" \
    test "$(perms "$SOCK")" = "600 $(id -g)"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    $NOBODY "$SEARCHC" --version >/dev/null 2>&1; then
    chmod 755 "$T"
    $NOBODY "$SEARCHC" --socket "$SOCK" --ping >/dev/null 2>"$T/err"; rc=$?
    check "another user cannot connect to a 0600 socket" \
        sh -c 'test "$1" = 2 && grep -qi "permission denied" "$2"' - "$rc" "$T/err"
else
    skip_point "another user cannot connect (not root, or no setpriv)"
fi
stop_daemon TERM

# A group searchd may give: as root any, else one of our own.
if [ "$(id -u)" = 0 ]; then G=4242; else G=$(id -G | tr ' ' '\n' | tail -n 1); fi
check "searchd starts with socket-mode 0660 and socket-group $G" \
    start_daemon --socket-mode 0660 --socket-group "$G"
check "the socket is 0660, group $G" test "$(perms "$SOCK")" = "660 $G"
check "the log says mode and group" \
    grep -q "listening on $SOCK (mode 0660, group $G)" "$T/daemon.log"
stop_daemon TERM

# The same from the configuration file, by group name.
GN=$(getent group "$(id -g)" | cut -d: -f1)
printf 'socket-mode = 0640\nsocket-group = %s\n' "$GN" >"$SEARCHD_CONFIG"
starts_as() { start_daemon && test "$(perms "$SOCK")" = "$1"; }
check "socket-mode 0640, socket-group $GN (a name) from searchd.conf" \
    starts_as "640 $(id -g)"
stop_daemon TERM
rm -f "$SEARCHD_CONFIG"

"$SEARCHD" --foreground --no-config --socket "$T/sock2" --index "$T/index2" \
    --plugin-dir "$SD_PLUGIN_DIR" --socket-group no-such-group-sd \
    >"$T/out" 2>&1; rc=$?
check "an unknown socket-group stops the start, naming the group" \
    sh -c 'test "$1" = 2 && grep -q "socket-group.*no-such-group-sd.*no such group" "$2"' \
    - "$rc" "$T/out"
check "and leaves no socket behind" test ! -e "$T/sock2"
