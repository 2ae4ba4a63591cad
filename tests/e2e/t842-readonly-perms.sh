#!/bin/bash
# Faults of permission, with searchd run as an unprivileged user (root
# may write and read anything): an index folder searchd may not write is
# served read-only (searches work, add is refused, status says so); a
# file searchd may not read fails with "Permission denied" and is
# indexed once a chmod makes it readable.
. "$top_srcdir/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to run searchd as another user"
id nobody >/dev/null 2>&1 || skip_all "no user 'nobody'"
command -v setpriv >/dev/null || skip_all "no setpriv(1)"
AS_NOBODY="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
reachable_by_nobody "$SEARCHD" "$SD_PLUGIN_DIR" ||
    skip_design "the build folder is not readable by nobody"
plan 12

chmod 755 "$T"
mkdir -p "$T/spool" "$T/run"
chown nobody "$T/run"
for i in 1 2 3; do
    printf 'Note %d\n\nThe token ro%dzq marks it.\n' $i $i >"$T/spool/n$i.txt"
done

# The index is made by root, then searched by nobody.
start_daemon --watch "$T/spool" && wait_idle
stop_daemon
chmod -R a+rX "$T/index"
SOCK=$T/run/sock
DAEMON_PREFIX=$AS_NOBODY
check "searchd starts on an index it may not write" \
    start_daemon --watch "$T/spool"
st=$(sc --json --status)
check "status: health read-only, with a read_only fault" \
    eval 'printf %s "$st" | grep -q "\"health\":\"read-only\".*\"what\":\"read_only\""' ||
    diag "$st"
check "status counts the documents" test "$(st documents)" = 3
check "searches work" eval 'sc ro2zq | grep -q n2.txt'
out=$(sc --add "$T/spool/n1.txt" 2>&1)
check "add is refused, saying the index is read-only" \
    eval 'printf %s "$out" | grep -q "read-only"' || diag "$out"
check "the log says it" grep -q "the index is read-only" "$T/daemon.log"
stop_and_check

# A writable index of nobody's, and a file nobody may not read.
mkdir -p "$T/index2" "$T/spool2"
chown nobody "$T/index2"
printf 'Open\n\nThe token op1zq is here.\n' >"$T/spool2/open.txt"
printf 'Secret\n\nThe token se1zq is here.\n' >"$T/spool2/secret.txt"
chmod 600 "$T/spool2/secret.txt"
start_daemon --index "$T/index2" --watch "$T/spool2" --settle 50 && wait_idle
check "the readable file is indexed" eval 'sc op1zq | grep -q open.txt'
out=$(sc --json --failures)
check "failures: the unreadable file, permission denied" \
    eval 'printf %s "$out" | grep -q "secret.txt.*Permission denied"' ||
    diag "$out"
chmod 644 "$T/spool2/secret.txt"
SECONDS=0
until sc se1zq >/dev/null 2>&1; do
    [ $SECONDS -lt 20 ] || break
    sleep 0.2
done
check "after chmod the file is indexed (inotify IN_ATTRIB)" \
    eval 'sc se1zq | grep -q secret.txt'
check "and is no longer failed" test "$(st failed)" = 0
stop_and_check
