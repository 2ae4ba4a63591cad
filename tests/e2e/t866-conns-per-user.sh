#!/bin/sh
# One local user must not hold every connection: past
# max-connections-per-user, a user other than searchd's own and root is
# told busy, and such users leave the last max-connections / 16 slots to
# searchd's user and root.  The clients really run as other uids
# (setpriv), since searchd counts by SO_PEERCRED.
. "$top_srcdir/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to run clients as other users"
command -v setpriv >/dev/null || skip_all "no setpriv"
# The system's python: a per-user one may sit in a home nobody can read.
PY=$PYTHON3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
setpriv --reuid=65534 --regid=65534 --clear-groups -- "$PY" -c '' \
    2>/dev/null || skip_all "nobody cannot run $PY"
plan 8

chmod 755 "$T"
mkdir "$T/held" && chmod 1777 "$T/held"
# hold UID N: as UID, open N connections, ping on each, write one line
# per connection (ok, or the error message) to $T/held-UID, then keep
# them open until $T/release exists.
hold() {
    setpriv --reuid="$1" --regid="$1" --clear-groups -- "$PY" - \
        "$SOCK" "$2" "$T/held/$1" "$T/release" <<'PY' &
import json, os, socket, sys, time
path, n, out, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
socks, lines = [], []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    socks.append(s)
    try:
        # A refused client's busy line may come before the ping goes out.
        try:
            s.sendall(b'{"v":1,"id":1,"op":"ping"}\n')
        except OSError:
            pass
        r = json.loads(s.makefile().readline())
        lines.append("ok" if r.get("ok") else r["error"]["message"])
    except (OSError, ValueError) as e:
        lines.append("lost: %s" % e)
with open(out + ".tmp", "w") as f:
    f.write("\n".join(lines) + "\n")
os.rename(out + ".tmp", out)
for _ in range(600):
    if os.path.exists(release):
        break
    time.sleep(0.05)
PY
    HOLDERS="$HOLDERS $!"
}
HOLDERS=
check "searchd starts, the socket open to all" \
    start_daemon --socket-mode 0666 --max-connections 16 \
    --max-connections-per-user 3
hold 65534 4
eventually test -e "$T/held/65534"
check "a user's first 3 connections are served" \
    test "$(grep -c '^ok$' "$T/held/65534")" = 3
check "the 4th is told busy: too many from that user" \
    grep -q "from your user" "$T/held/65534"
check "root still gets in" sc --ping
# Only the 3 held: root's ping (and any status query) may not be
# counted out yet, and would take a slot the other users want.
connections_held 3 ||
    diag "connections open: $(held_connections), not 3"
# Five more users, 3 each: of their 15 tries, 12 fill up to 15
# connections; the 16th slot is the reserve, so 3 are refused.
for u in 65533 65532 65531 65530 65529; do hold $u 3; done
for u in 65533 65532 65531 65530 65529; do eventually test -e "$T/held/$u"; done
n=$(cat "$T"/held/6552[9] "$T"/held/6553[0-3] | grep -c '^ok$')
check "other users are served up to the reserve ($n of 15; want 12)" \
    test "$n" = 12
check "the last one past the reserve is told why" \
    grep -q "kept for searchd's own user and root" "$T"/held/6552[9] \
    "$T"/held/6553[0-3]
check "root gets the reserved slot" sc --ping
touch "$T/release"
# shellcheck disable=SC2086
wait $HOLDERS || :
stop_and_check
