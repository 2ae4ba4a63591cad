#!/bin/sh
# The systemd units `make install` puts in place: system and user
# searchd.socket and searchd.service, the sysusers.d snippet.  Each passes
# `systemd-analyze verify` with not a word of complaint (verify exits 0 on
# unknown keys and bad values, only warning: the test fails on any
# output, and proves it would on a broken copy), names the installed
# programs and man pages, and carries the directives that make it a
# service (notify, reload, watchdog, its user, its sandbox).  Then the
# system service's own ExecStart= line, run the way systemd would (socket
# from systemd-socket-activate, SEARCHD_CONFIG from Environment=, a
# notify socket and a watchdog), starts on searchc's first connection,
# reads the configuration file, indexes and answers.
. "$top_srcdir/tests/e2e/lib.sh"
: "${MAKE:=make}"
ANALYZE=$(command -v systemd-analyze) ||
    skip_all "systemd-analyze not found (Debian package systemd)"
[ -n "${SD_SYSTEMUNITDIR:-}" ] && [ -n "${SD_USERUNITDIR:-}" ] ||
    skip_all "configured without systemd units (no systemd.pc when configured, or --with-systemd...unitdir=no)"
plan 44

D=$T/dest
$MAKE -s -C "$top_builddir" install DESTDIR="$D" >"$T/install.log" 2>&1
st=$?
check "make install DESTDIR=... succeeds" [ $st = 0 ]
[ $st = 0 ] || diag "$(tail -20 "$T/install.log")"

SYS=$D$SD_SYSTEMUNITDIR
USR=$D$SD_USERUNITDIR
check "system units installed in $SD_SYSTEMUNITDIR" \
    [ -f "$SYS/searchd.socket" -a -f "$SYS/searchd.service" ]
check "user units installed in $SD_USERUNITDIR" \
    [ -f "$USR/searchd.socket" -a -f "$USR/searchd.service" ]
check "the sysusers.d snippet installed in $SD_SYSUSERSDIR" \
    [ -f "$D$SD_SYSUSERSDIR/searchd.conf" ]
check "no @variable@ is left in them" \
    sh -c '! grep -n "@[a-z]*@" "$@"' sh "$SYS"/searchd.* "$USR"/searchd.*

# has FILE LINE...: each LINE is a whole line of FILE.
has() {
    f=$1; shift
    for l in "$@"; do
        grep -qxF -- "$l" "$f" || { diag "$f: no line '$l'"; return 1; }
    done
}
for l in \
    "ListenStream=$SD_RUNSTATEDIR/searchd/searchd.sock" \
    "SocketGroup=searchd" "SocketMode=0660" "RemoveOnStop=yes" \
    "WantedBy=sockets.target"
do
    check "system searchd.socket: $l" has "$SYS/searchd.socket" "$l"
done
for l in \
    "Type=notify" "NotifyAccess=main" \
    "ExecStart=$SD_BINDIR/searchd --foreground --index \${STATE_DIRECTORY}/index" \
    "ExecReload=/bin/kill -HUP \$MAINPID" \
    "Environment=SEARCHD_CONFIG=$SD_SYSCONFDIR/searchd.conf" \
    "WatchdogSec=60s" "User=searchd" "StateDirectory=searchd" \
    "ProtectSystem=strict" "ProtectHome=read-only" "NoNewPrivileges=yes" \
    "PrivateTmp=yes" "PrivateDevices=yes" "RestrictAddressFamilies=AF_UNIX" \
    "ProtectKernelTunables=yes" "ProtectControlGroups=yes" \
    "SystemCallArchitectures=native"
do
    check "system searchd.service: $l" has "$SYS/searchd.service" "$l"
done
check "system searchd.service: no MemoryDenyWriteExecute (plugins may JIT)" \
    sh -c '! grep -q "^MemoryDenyWriteExecute" "$1"' sh "$SYS/searchd.service"
check "user searchd.socket listens where searchc looks (%t)" \
    has "$USR/searchd.socket" "ListenStream=%t/searchd/searchd.sock" \
    "SocketMode=0600"
check "user searchd.service: notify, reload, watchdog, searchd's defaults" \
    has "$USR/searchd.service" "Type=notify" "ExecReload=/bin/kill -HUP \$MAINPID" \
    "WatchdogSec=60s" "ExecStart=$SD_BINDIR/searchd --foreground"
check "user searchd.service: no User= or privileged sandboxing" \
    sh -c '! grep -qE "^(User|Group|ProtectSystem|PrivateTmp|StateDirectory)=" "$1"' \
    sh "$USR/searchd.service"

# The units name the installed programs, which are under $D here: verify a
# copy with $D put in front of them (verify checks that ExecStart= is
# executable), with the installed man pages on MANPATH (it runs man for
# Documentation=), the copies first on the unit path.
# relocate DIR OUT: copies of DIR's units into OUT, $SD_BINDIR under $D.
relocate() {
    mkdir -p "$2" && for f in "$1"/searchd.*; do
        sed "s|$SD_BINDIR/|$D$SD_BINDIR/|g" "$f" >"$2/${f##*/}" || return 1
    done
}
# verify [--user] DIR: verify DIR's two units; the output goes to $T/verify.
verify() {
    scope=--system
    [ "$1" = --user ] && { scope=--user; shift; }
    mkdir -p "$T/xdg"
    XDG_RUNTIME_DIR=$T/xdg MANPATH=$D$SD_MANDIR SYSTEMD_UNIT_PATH="$1:" \
        "$ANALYZE" $scope verify $MANOPT "$1/searchd.socket" \
        "$1/searchd.service" >"$T/verify" 2>&1
    r=$?
    [ $r = 0 ] && [ ! -s "$T/verify" ] && return 0
    diag "systemd-analyze $scope verify exit $r:" "$(cat "$T/verify")"
    return 1
}
# Without man(1), verify cannot look the pages up: it would fail on that.
MANOPT=
command -v man >/dev/null || { MANOPT=--man=no; diag "no man: Documentation= not checked"; }
relocate "$SYS" "$T/units/system"
relocate "$USR" "$T/units/user"
check "systemd-analyze verify: the system units, not a warning" \
    verify "$T/units/system"
check "systemd-analyze --user verify: the user units, not a warning" \
    verify --user "$T/units/user"
# The check itself: a typo systemd merely warns about fails it.
mkdir -p "$T/units/broken"
cp "$T/units/system"/searchd.* "$T/units/broken/"
sed -i 's/^ProtectSystem=/ProtectSytem=/' "$T/units/broken/searchd.service"
if verify "$T/units/broken" >/dev/null; then
    not_ok "and the same check fails on a unit with a misspelt key"
else
    ok "and the same check fails on a unit with a misspelt key"
fi

# The sysusers.d snippet makes the user and group, in a scratch root.
if SYSUSERS=$(command -v systemd-sysusers); then
    mkdir -p "$T/root/etc"
    "$SYSUSERS" --root="$T/root" "$D$SD_SYSUSERSDIR/searchd.conf" \
        >"$T/sysusers.log" 2>&1
    check "systemd-sysusers creates the system user searchd" \
        grep -q '^searchd:x:[0-9]*:[0-9]*:' "$T/root/etc/passwd"
    check "and its group" grep -q '^searchd:x:[0-9]*:' "$T/root/etc/group"
    uid=$(grep '^searchd:' "$T/root/etc/passwd" | cut -d: -f3)
    check "a system uid ($uid)" test "${uid:-1000}" -lt 1000
else
    skip_point "systemd-sysusers not found"
    skip_point "systemd-sysusers not found"
    skip_point "systemd-sysusers not found"
fi

# The system service's command line as systemd would run it: the socket
# passed in, ${STATE_DIRECTORY} and Environment= set, a notify socket and
# WatchdogSec= as WATCHDOG_USEC; everything the unit names under $D.
ACT=$(command -v systemd-socket-activate) || ACT=
if [ -n "$ACT" ]; then
    mkdir -p "$T/spool" "$T/state" "$D$SD_SYSCONFDIR"
    cp "$SD_DATA_DIR"/samples/*.txt "$T/spool/"
    cat >"$D$SD_SYSCONFDIR/searchd.conf" <<CONF
plugin-dir = $D$SD_PLUGINDIR
[watch $T/spool]
CONF
    cmd=$(sed -n 's/^ExecStart=//p' "$SYS/searchd.service" |
        sed -e "s|\${STATE_DIRECTORY}|$T/state|g" \
            -e "s|^$SD_BINDIR/|$D$SD_BINDIR/|")
    conf=$(sed -n 's/^Environment=SEARCHD_CONFIG=//p' "$SYS/searchd.service")
    wd=$(sed -n 's/^WatchdogSec=\([0-9]*\)s$/\1/p' "$SYS/searchd.service")
    envs=
    for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TMPDIR; do
        eval "val=\${$v:-}"
        [ -n "$val" ] && envs="$envs -E $v=$val"
    done
    notify_listen "$T/notify.sock" "$T/notify.log" ||
        bail "the notify listener did not bind $T/notify.sock"
    # shellcheck disable=SC2086
    # XDG_RUNTIME_DIR: were searchd to make its default socket folder
    # anyway, here, not in RUNSTATEDIR.
    mkdir -p "$T/xdg"
    "$ACT" -l "$SOCK" -E "SEARCHD_CONFIG=$D$conf" -E "XDG_RUNTIME_DIR=$T/xdg" \
        -E "NOTIFY_SOCKET=$T/notify.sock" -E "WATCHDOG_USEC=${wd}000000" \
        $envs $cmd >>"$T/daemon.log" 2>&1 &
    DPID=$!
    i=0
    while ! "$SEARCHC" --socket "$SOCK" --ping >/dev/null 2>&1 && [ $i -lt 300 ]; do
        i=$((i + 1)); sleep 0.1
    done
    check "ExecStart= starts on searchc's first connection to the socket" \
        sh -c '"$0" --socket "$1" --ping >/dev/null' "$SEARCHC" "$SOCK"
    check "and says READY=1" logged "$T/notify.log" '^READY=1$'
    check "and makes no folder for a socket of its own" \
        test ! -e "$T/xdg/searchd"
    check "it reads the configuration file Environment= names" \
        grep -q "settings from $D$conf" "$T/daemon.log"
    check "its watchdog is WatchdogSec=/2 (${wd} s)" \
        grep -q "watchdog every $((wd / 2)) s" "$T/daemon.log"
    wait_idle
    check "it indexes the configured folder into \${STATE_DIRECTORY}/index" \
        sh -c '"$0" --socket "$1" "Afghan peace" | grep -qi afghan && test -d "$2"' \
        "$SEARCHC" "$SOCK" "$T/state/index"
    stop_daemon TERM
    check "SIGTERM: STOPPING=1 and exit 0" \
        eval 'logged "$T/notify.log" "^STOPPING=1$" && test "$DSTATUS" = 0'
    kill "$LPID" 2>/dev/null
else
    for i in 1 2 3 4 5 6 7; do skip_point "systemd-socket-activate not found"; done
fi
