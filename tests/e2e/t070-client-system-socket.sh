#!/bin/sh
# searchc with no --socket and no $SEARCHD_SOCKET: the per-user socket
# first; when it is missing, the system searchd's (RUNSTATEDIR/searchd/
# searchd.sock, searchd.socket's), compiled into searchc.  No override:
# the test puts a real searchd at that very path, so it runs only where it
# may make that folder: under `make installcheck` (and so `make
# distcheck`, whose prefix is its own), or when RUNSTATEDIR exists and is
# writable.  A folder RUNSTATEDIR/searchd that exists already (a real
# searchd's) is never touched.
. "$top_srcdir/tests/e2e/lib.sh"

SYSDIR=$SD_RUNSTATEDIR/searchd
SYSSOCK=$SYSDIR/searchd.sock
[ ! -e "$SYSDIR" ] && [ ! -L "$SYSDIR" ] ||
    skip_all "$SYSDIR exists already (a real searchd's?): not touching it"
if [ "${SD_INSTALLCHECK:-0}" = 1 ]; then
    # The installed programs, with their plugins.
    SEARCHD=$SD_BINDIR/searchd
    SEARCHC=$SD_BINDIR/searchc
    SD_PLUGIN_DIR=$SD_PLUGINDIR
elif [ ! -d "$SD_RUNSTATEDIR" ] || [ ! -w "$SD_RUNSTATEDIR" ]; then
    skip_design "$SD_RUNSTATEDIR is not a writable folder (make installcheck runs it)"
fi
plan 10

# Remove exactly what the test made: the topmost missing folder.
made=$SYSDIR
d=$SD_RUNSTATEDIR
while [ ! -e "$d" ]; do made=$d; d=$(dirname "$d"); done
trap 'rc=$?; stop_daemon KILL; [ -n "${UPID:-}" ] && kill -9 "$UPID" 2>/dev/null
      rm -rf "$made"; (exit $rc); cleanup' EXIT
mkdir -p "$SYSDIR" || bail "cannot make $SYSDIR"

# searchc as a user whose own socket is not there.
XDG=$T/xdg
USOCK=$XDG/searchd/searchd.sock
mkdir -p "$XDG"
user_sc() { env -u SEARCHD_SOCKET XDG_RUNTIME_DIR="$XDG" "$SEARCHC" "$@"; }

user_sc --ping >/dev/null 2>"$T/err"
st=$?
check "no daemon at all: --ping fails (exit $st)" test $st = 2
check "and says it found neither the user's nor the system socket" \
    sh -c 'grep -qF "cannot connect to $1" "$3" && grep -qF "no system searchd either ($2)" "$3"' \
    sh "$USOCK" "$SYSSOCK" "$T/err"

mkdir -p "$T/spool"
cp "$SD_DATA_DIR"/samples/*.txt "$T/spool/"
SOCK=$SYSSOCK
check "a searchd on the system socket $SYSSOCK" start_daemon --watch "$T/spool"
wait_idle
check "searchc, the user's socket missing, reaches the system searchd" \
    sh -c 'user_sc() { env -u SEARCHD_SOCKET XDG_RUNTIME_DIR="$1" "$2" "$3"; }
           user_sc "$0" "$1" --ping | grep -q pong' "$XDG" "$SEARCHC"
check "and searches its index" \
    sh -c 'env -u SEARCHD_SOCKET XDG_RUNTIME_DIR="$0" "$1" "Afghan peace" | grep -qi afghan' \
    "$XDG" "$SEARCHC"
user_sc --socket "$T/missing.sock" --ping >/dev/null 2>"$T/err"
st=$?
check "--socket PATH is taken as given: no fallback (exit $st)" \
    sh -c 'test "$0" = 2 && ! grep -q "system searchd" "$1"' $st "$T/err"
env SEARCHD_SOCKET="$T/missing.sock" XDG_RUNTIME_DIR="$XDG" "$SEARCHC" \
    --ping >/dev/null 2>&1
st=$?
check "so is \$SEARCHD_SOCKET (exit $st)" test $st = 2

# The user's own daemon, with an empty index, comes first once it is there.
mkdir -p "$XDG/searchd" "$T/empty"
"$SEARCHD" --foreground --socket "$USOCK" --index "$T/index2" \
    --plugin-dir "$SD_PLUGIN_DIR" --watch "$T/empty" >>"$T/daemon2.log" 2>&1 &
UPID=$!
i=0
while ! "$SEARCHC" --socket "$USOCK" --ping >/dev/null 2>&1 && [ $i -lt 300 ]; do
    i=$((i + 1)); sleep 0.1
done
check "with the user's socket there, searchc uses it (0 documents, not 2)" \
    sh -c 'env -u SEARCHD_SOCKET XDG_RUNTIME_DIR="$0" "$1" --json --status | grep -q "\"documents\":0"' \
    "$XDG" "$SEARCHC"
kill -TERM "$UPID"; wait "$UPID"; UPID=
stop_daemon TERM
check "the system searchd stops (exit $DSTATUS)" test "$DSTATUS" = 0
check "and removes its socket" test ! -e "$SYSSOCK"
