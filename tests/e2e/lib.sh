# tests/e2e/lib.sh - shared by the end-to-end tests: TAP output, a real
# searchd on a temporary socket, and a searchc wrapper.
#
# Environment (set by `make check`): top_builddir, top_srcdir, SD_PLUGIN_DIR,
# SD_FIXTURE_DIR, SD_DATA_DIR, SD_SHARED_DIR, PYTHON3.
#   SD_TEST_SOCKET=/path  aim the tests at a daemon you started yourself
#   SD_TEST_KEEP=1        keep the temporary folder
#   SD_VALGRIND=1         run searchd under valgrind (fails on errors/leaks)
set -u

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
SEARCHD=$top_builddir/daemon/searchd
SEARCHC=$top_builddir/client/searchc
PYTHON3=${PYTHON3:-python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/searchd-e2e.XXXXXX")
SOCK=${SD_TEST_SOCKET:-$T/sock}
DPID=
DSTATUS=
tap_n=0
tap_failed=0
export NO_COLOR=1

plan() { echo "1..$1"; }
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
    tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $*"
}
# check DESCRIPTION COMMAND...: one test point from a command's status;
# returns it, so `check ... || diag ...` can say more on a failure.
check() {
    desc=$1; shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# TAP says "skipped" in the plan; tap-driver.sh counts a non-zero exit
# (even 77) as an error.
# skip_all REASON: this machine lacks what the test needs (a corpus, root,
# a tool).  With SD_REQUIRE_ALL=1 (CI sets it: it has all of them) that is
# a failure naming the want, so a missing package cannot turn a test into
# a silent skip.  skip_design REASON: a skip that is not for the machine's
# want: by design in this run (too slow under valgrind, or only
# installcheck can run it), or for where the checkout is (a build folder
# other users cannot reach, for the tests that run programs as nobody).
# skip_point REASON: one test point, as skip_all.
skip_all() {
    if [ "${SD_REQUIRE_ALL:-0}" = 1 ]; then
        echo "Bail out! SD_REQUIRE_ALL=1, so this may not skip: $*"
        exit 99
    fi
    echo "1..0 # SKIP $*"; exit 0
}
skip_design() { echo "1..0 # SKIP $*"; exit 0; }
# reachable_by_nobody PATH...: whether user nobody may use every PATH (a
# folder: list and enter it; a file: run it).  The test runs after
# setpriv's exec: setpriv keeps root's capabilities until it execs, so
# running the program itself would get through a private folder.
reachable_by_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c '
        for p; do
            if [ -d "$p" ]; then [ -r "$p" ] && [ -x "$p" ] || exit 1
            else [ -x "$p" ] || exit 1; fi
        done' sh "$@"
}
skip_point() {
    if [ "${SD_REQUIRE_ALL:-0}" = 1 ]; then
        not_ok "SD_REQUIRE_ALL=1, so this may not skip: $*"
    else
        ok "# SKIP $*"
    fi
}
bail() { echo "Bail out! $*"; exit 99; }

# sc ARGS...: run searchc against the test daemon.
sc() { "$SEARCHC" --socket "$SOCK" "$@"; }

# searchd's configuration file: none unless a test writes one here.
SEARCHD_CONFIG=$T/searchd.conf; export SEARCHD_CONFIG

# start_daemon [--plugin-dir DIR] [searchd options...]
# The test's folder is an add-root, so `searchc --add` may name any file in
# it (searchd refuses an add outside the watched folders and add-roots);
# ADD_ROOT= (empty) leaves it out.
start_daemon() {
    if [ -n "${SD_TEST_SOCKET:-}" ]; then return 0; fi
    set -- --foreground --socket "$SOCK" --index "$T/index" \
        --plugin-dir "$SD_PLUGIN_DIR" "$@"
    if [ -n "${ADD_ROOT-$T}" ]; then set -- --add-root "${ADD_ROOT-$T}" "$@"; fi
    if [ "${SD_VALGRIND:-0}" = 1 ] && [ -n "${VALGRIND:-}" ]; then
        set -- "$VALGRIND" --quiet --error-exitcode=66 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite \
            --track-fds=no "$SEARCHD" "$@"
    else
        set -- "$SEARCHD" "$@"
    fi
    # DAEMON_PREFIX: words run before it, e.g. setpriv to change user.
    # shellcheck disable=SC2086
    if [ -n "${DAEMON_PREFIX:-}" ]; then set -- $DAEMON_PREFIX "$@"; fi
    "$@" >>"$T/daemon.log" 2>&1 &
    DPID=$!
    DSTATUS=
    i=0
    while ! "$SEARCHC" --socket "$SOCK" --ping >/dev/null 2>&1; do
        if ! kill -0 "$DPID" 2>/dev/null; then
            wait "$DPID"; DSTATUS=$?; DPID=
            diag "searchd died during start-up (exit $DSTATUS):"
            diag "$(cat "$T/daemon.log")"
            return 1
        fi
        i=$((i + 1))
        if [ $i -gt 300 ]; then diag "searchd did not answer in 30 s"; return 1; fi
        sleep 0.1
    done
    return 0
}

# stop_daemon [SIGNAL]: stop it and record its exit status in DSTATUS.
stop_daemon() {
    [ -n "$DPID" ] || return 0
    kill "-${1:-TERM}" "$DPID" 2>/dev/null
    i=0
    while kill -0 "$DPID" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
            diag "searchd still running 30 s after SIG${1:-TERM}; killing it"
            kill -KILL "$DPID" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    wait "$DPID"; DSTATUS=$?
    DPID=
    return 0
}

# make_reports DIR N FOLDERS [TAIL]: N small text files for load tests,
# DIR/dNN/fNNNNN.txt spread over FOLDERS folders; file I has the title
# "Report I" and the body "A report numbered wI about the harvestTAIL."
make_reports() {
    "$PYTHON3" - "$@" <<'PY'
import os, sys
d, n, folders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tail = sys.argv[4] if len(sys.argv) > 4 else ""
for i in range(n):
    sub = os.path.join(d, "d%02d" % (i % folders))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d.txt" % i), "w") as f:
        f.write("Report %d\n\nA report numbered w%d about the harvest%s.\n"
                % (i, i, tail))
PY
}

# wait_idle: until status says the start-up scan is done and nothing queued.
wait_idle() {
    i=0
    while :; do
        out=$(sc --json --status 2>/dev/null) || return 1
        case $out in
        *'"queued":0'*'"scan_done":true'*|*'"scan_done":true'*'"queued":0'*)
            return 0 ;;
        esac
        i=$((i + 1))
        if [ $i -gt 600 ]; then diag "indexing not done after 60 s: $out"; return 1; fi
        sleep 0.1
    done
}

# notify_listen ADDR LOG: play systemd's side of a notify socket (a path,
# or @name) in the background, appending what it gets to LOG; LPID is its
# pid.  Fails unless it is bound within 10 s.
notify_listen() {
    "$PYTHON3" "$top_srcdir/tests/e2e/notify-listener.py" "$1" "$2" &
    LPID=$!
    i=0
    until grep -q LISTENING "$2" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 200 ] && return 1; sleep 0.05
    done
}
# eventually CMD...: until CMD succeeds; fails if it has not within 15 s
# (120 s under valgrind).  What another process or thread does (a log
# line, a datagram, a count, an index update) is never checked just once.
eventually() {
    _ev_i=0 _ev_n=150
    [ "${SD_VALGRIND:-0}" = 1 ] && _ev_n=1200
    until "$@"; do
        _ev_i=$((_ev_i + 1)); [ $_ev_i -gt $_ev_n ] && return 1; sleep 0.1
    done
    return 0
}
# logged LOG PATTERN: PATTERN shows in LOG in time.  A datagram is sent
# before searchd answers, but the listener writes it when it next runs.
logged() { eventually grep_q "$2" "$1"; }
grep_q() { grep -q "$1" "$2" 2>/dev/null; }
# st KEY: one field of searchd's JSON status; empty, and status 1, when
# there is none to be had.
st() {
    sc --json --status 2>/dev/null | "$PYTHON3" -c '
import json, sys
try:
    print(json.load(sys.stdin)[sys.argv[1]])
except (ValueError, KeyError):
    sys.exit(1)' "$1"
}
# held_connections: how many connections searchd's end of $SOCK has open,
# from the kernel's table: counting them opens none (a status request
# would count itself).  A client that has gone stays counted until
# searchd's loop reads the end of file and closes its end too.
held_connections() {
    awk -v p="$SOCK" '$6 == "03" && $8 == p { n++ } END { print n + 0 }' \
        /proc/net/unix
}
# connections_held N: until searchd holds exactly N connections open.
connections_held() { eventually eval "[ \"\$(held_connections)\" = $1 ]"; }

# stop_and_check: one test point: SIGTERM gives exit 0 and removes the socket.
stop_and_check() {
    stop_daemon TERM
    if [ "$DSTATUS" = 0 ] && [ ! -e "$SOCK" ]; then
        ok "SIGTERM: searchd exits 0 and removes its socket"
    else
        not_ok "SIGTERM: searchd exits 0 and removes its socket (exit $DSTATUS)"
    fi
}

cleanup() {
    rc=$?
    if [ -n "$DPID" ]; then stop_daemon KILL; fi
    if [ "$tap_failed" -gt 0 ] && [ -f "$T/daemon.log" ]; then
        diag "daemon log:" "$(cat "$T/daemon.log")"
    fi
    if [ "${SD_TEST_KEEP:-0}" = 1 ]; then
        diag "kept $T"
    else
        rm -rf "$T"
    fi
    if [ "$rc" -eq 0 ] && [ "$tap_failed" -gt 0 ]; then exit 1; fi
    exit "$rc"
}
trap cleanup EXIT
