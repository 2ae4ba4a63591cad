#!/bin/sh
# The extraction workers' sandbox (seccomp): a plugin that opens a network
# socket, runs a program, forks or writes a file is killed by the filter
# before it can; its file is recorded as failed with "seccomp violation",
# nothing was written, and searchd goes on.  An AF_UNIX socket fails
# softly (EACCES), so that plugin extracts normally.
. "$top_srcdir/tests/e2e/lib.sh"
plan 10

mkdir -p "$T/plugins" "$T/spool"
cp "$SD_PLUGIN_DIR/plaintext.so" "$SD_FIXTURE_DIR/saboteur.so" "$T/plugins/"
for mode in socket exec fork; do
    printf 'SABOTAGE %s\nthis plugin tries %s\n' $mode $mode >"$T/spool/$mode.sab"
done
printf 'SABOTAGE write %s\nthis plugin writes a file\n' "$T/owned" \
    >"$T/spool/write.sab"
printf 'SABOTAGE unix\nwalrus survivor text\n' >"$T/spool/unix.sab"
printf 'A plain note\n\nThe ibex climbed the ridge.\n' >"$T/spool/plain.txt"


check "searchd starts" start_daemon --plugin-dir "$T/plugins" \
    --watch "$T/spool" --workers 2
check "the scan finishes" wait_idle
sandbox=$(st sandbox)
if [ "$sandbox" != seccomp ]; then
    diag "sandbox: $sandbox" "$(grep 'system call filter' "$T/daemon.log")"
    check "without a filter, searchd says why once" \
        test "$(grep -c 'run without a system call filter' "$T/daemon.log")" = 1
    for i in 4 5 6 7 8 9; do skip_point "the workers run without seccomp"; done
    stop_and_check
    exit 0
fi
check "status reports the seccomp sandbox" test "$sandbox" = seccomp
sc --json --failures >"$T/failures.json"
check "each saboteur file failed with a seccomp violation" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
got = {f["path"].rsplit("/", 1)[1]: f for f in r["failures"]}
assert sorted(got) == ["exec.sab", "fork.sab", "socket.sab", "write.sab"], got
for f in got.values():
    assert f["plugin"] == "saboteur", f
    assert "seccomp violation" in f["reason"], f
    assert "signal 31" in f["reason"] or "Bad system call" in f["reason"], f
' "$T/failures.json"
check "the file the plugin tried to write does not exist" test ! -e "$T/owned"
check "an AF_UNIX socket fails softly: that file is indexed" \
    sh -c "'$SEARCHC' --socket '$SOCK' walrus | grep -q unix.sab"
check "a plain file beside them is indexed" \
    sh -c "'$SEARCHC' --socket '$SOCK' ibex | grep -q plain.txt"
check "searchd is still running" kill -0 "$DPID"
printf 'Late note\n\nA marmot came late.\n' >"$T/spool/late.txt"
check "and the workers, replaced, still extract" \
    sh -c "'$SEARCHC' --socket '$SOCK' --add '$T/spool/late.txt' | grep -q '1 document'"
stop_and_check
