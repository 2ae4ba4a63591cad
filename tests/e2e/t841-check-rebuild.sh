#!/bin/bash
# An index damaged or deleted while searchd was stopped: start-up names
# the damage and refuses to run on it (pointing at --check and
# --rebuild); `searchd --check` verifies an index; `searchd --rebuild`
# rebuilds it from the watched folders, not while a daemon runs on it;
# a deleted index is made again and filled from the watched folders.
. "$top_srcdir/tests/e2e/lib.sh"
plan 19

IX=$T/index
mkdir -p "$T/spool"
for i in $(seq 0 11); do
    printf 'Note %d\n\nThe token cr%dzq marks this file.\n' "$i" "$i" \
        >"$T/spool/n$i.txt"
done
sd() { "$SEARCHD" --no-config --index "$IX" --plugin-dir "$SD_PLUGIN_DIR" \
    --watch "$T/spool" --shards 2 "$@"; }

start_daemon --watch "$T/spool" --shards 2 && wait_idle
check "12 files indexed" test "$(st documents)" = 12
out=$(sd --rebuild 2>&1); rc=$?
check "--rebuild refuses while searchd runs on the index" \
    eval '[ $rc = 1 ] && printf %s "$out" | grep -q "in use by a running searchd"' ||
    diag "exit $rc: $out"
stop_daemon

out=$(sd --check 2>&1); rc=$?
check "--check: a clean index exits 0" test $rc = 0 || diag "$out"
check "--check: says ok with the counts" \
    eval 'printf %s "$out" | grep -q "2 shards, 12 documents, 12 file records.*: ok"'

# A shard table cut short while stopped.
truncate -s 100 "$IX/shard-01/postlist.glass"
if start_daemon --watch "$T/spool" --shards 2; then
    not_ok "start-up refuses a damaged index"; stop_daemon
else
    check "start-up refuses a damaged index (exit 1, no crash)" \
        test "$DSTATUS" = 1
fi
check "the message names the shard and the way out" \
    eval 'grep "shard-01" "$T/daemon.log" | grep -q -- "--rebuild"'
out=$(sd --check 2>&1); rc=$?
check "--check: a damaged index exits 1" test $rc = 1
check "--check: names the damaged shard" \
    eval 'printf %s "$out" | grep -q "problem: .*shard-01"' || diag "$out"
out=$(sd --rebuild 2>&1); rc=$?
check "--rebuild exits 0" test $rc = 0 || diag "$out"
check "--rebuild keeps the old index beside the new one" \
    test -d "$IX.old/shard-01" -a ! -e "$IX.rebuild"
out=$(sd --check 2>&1)
check "--check: the rebuilt index is clean" \
    eval 'printf %s "$out" | grep -q "12 documents, 12 file records.*: ok"' ||
    diag "$out"
start_daemon --watch "$T/spool" --shards 2 && wait_idle
check "searchd runs on the rebuilt index: every file once" \
    test "$(st documents)" = 12
check "a search finds a file of the rebuilt index" \
    eval 'sc cr7zq | grep -q n7.txt'
stop_daemon

# A garbled stub.
echo 'this is not a stub' >"$IX/XAPIANDB"
if start_daemon --watch "$T/spool"; then
    not_ok "start-up refuses a garbled XAPIANDB"; stop_daemon
else
    ok "start-up refuses a garbled XAPIANDB"
fi
check "the message names the stub" \
    eval 'grep -q "XAPIANDB: unexpected line" "$T/daemon.log"'
out=$(sd --check 2>&1); rc=$?
check "--check: a garbled stub exits 1" test $rc = 1 || diag "$out"
sd --rebuild >/dev/null 2>&1

# The whole index deleted while stopped.
rm -rf "$IX"
start_daemon --watch "$T/spool" --shards 2 && wait_idle
check "a deleted index is made again and filled from the spool" \
    test "$(st documents)" = 12
stop_daemon
out=$(sd --check 2>&1); rc=$?
check "--check: the new index is clean" test $rc = 0 || diag "$out"
check "--check with no index there exits 1" \
    eval '! "$SEARCHD" --no-config --check --index "$T/nothing" >/dev/null 2>&1'
