#!/bin/sh
# Isolated extraction: plugins run in worker processes.  A plugin that
# crashes, aborts, exits, hangs or eats memory costs that one file: it is
# recorded as failed with the plugin and the reason, the worker is
# replaced, and every other file is indexed.  Failed files are retried
# when they change, and not before (not even after a restart).
. "$top_srcdir/tests/e2e/lib.sh"
plan 28

mkdir -p "$T/plugins" "$T/spool/sub"
cp "$SD_PLUGIN_DIR"/*.so "$SD_FIXTURE_DIR/saboteur.so" "$T/plugins/"
cp "$SD_DATA_DIR"/samples/*.txt "$T/spool/"
printf 'A plain note\n\nThe quokka crossed the river at dawn.\n' \
    >"$T/spool/sub/plain.txt"
for mode in segv abort loop exit; do
    printf 'SABOTAGE %s\nthis file breaks its plugin\n' $mode \
        >"$T/spool/sub/$mode.sab"
done
failing=4
# Without an address-space limit (sanitizer builds reserve terabytes of
# address space, so searchd cannot set one) the hog would take gigabytes.
if [ "${SD_SANITIZERS:-no}" != yes ]; then
    printf 'SABOTAGE hog\nthis file eats memory\n' >"$T/spool/sub/hog.sab"
    failing=5
fi
printf 'SABOTAGE none\nwombat survivor text\n' >"$T/spool/sub/none.sab"
printf 'SABOTAGE slow 200\nnumbat survivor text\n' >"$T/spool/sub/slow.sab"
good=5   # 2 samples, plain.txt, none.sab, slow.sab


# finds QUERY PATTERN: the hits for QUERY show PATTERN.
finds() { sc "$1" | grep -q "$2"; }
# adds PATH PATTERN: searchc --add PATH prints PATTERN.
adds() { sc --add "$1" | grep -q "$2"; }
# not_failed NAME: NAME is not in the failures list.
not_failed() { ! sc --failures | grep -q "$1"; }

check "searchd starts with 2 workers, a 1 s deadline and 256 MB each" \
    start_daemon --plugin-dir "$T/plugins" --watch "$T/spool" \
    --workers 2 --deadline 1 --worker-mem 256
check "the scan finishes" wait_idle
check "every good file is indexed" test "$(st documents)" = $good
check "status counts the $failing failed files" test "$(st failed)" = $failing
sc --json --failures >"$T/failures.json"
check "failures names plugin and reason of each broken file" "$PYTHON3" -c '
import json, re, sys
want = {
    "segv.sab": r"plugin saboteur crashed: worker killed by signal 11 ",
    "abort.sab": r"plugin saboteur crashed: worker killed by signal 6 ",
    "exit.sab": r"plugin saboteur crashed: worker exited with status 3$",
    "loop.sab": r"plugin saboteur timed out after 1000 ms; worker killed$",
    "hog.sab": r"plugin saboteur failed: .*memory",
}
r = json.load(open(sys.argv[1]))
got = {f["path"].rsplit("/", 1)[1]: f for f in r["failures"]}
if int(sys.argv[2]) == 4:
    del want["hog.sab"]
if sys.argv[3] == "yes":
    # The sanitizers catch the NULL store themselves and end the worker
    # their own way.
    want["segv.sab"] = r"plugin saboteur crashed: worker "
assert r["total"] == len(want), r
assert sorted(got) == sorted(want), got
for name, pat in want.items():
    assert got[name]["plugin"] == "saboteur", got[name]
    assert re.search(pat, got[name]["reason"]), (name, got[name]["reason"])
' "$T/failures.json" $failing "${SD_SANITIZERS:-no}"
sc --failures >"$T/failures.txt"
check "searchc --failures prints one line per file and a total" \
    sh -c "grep -c ': saboteur: ' '$T/failures.txt' | grep -qx $failing &&
           tail -n 1 '$T/failures.txt' | grep -qx '$failing failed files'"
check "a survivor of the saboteur plugin is searchable" \
    finds wombat 'sabotage survivor'
check "so is the slow one (200 ms, within the deadline)" \
    finds numbat 'sabotage survivor'
check "a plain file beside them is searchable" finds quokka 'plain.txt'
check "searchd is still running" kill -0 "$DPID"
# Workers are replaced, never piled up: at most 2 children, and no
# zombie for more than the second the pool takes to reap an idle worker
# that restarted itself.
tidy_kids() {
    k=$(ps -o pid=,stat= --ppid "$DPID")
    [ "$(printf '%s\n' "$k" | grep -c .)" -le 2 ] &&
        ! printf '%s\n' "$k" | grep -q ' Z'
}
soon_tidy() {
    i=0
    until tidy_kids; do
        i=$((i + 1)); [ $i -gt 50 ] && return 1; sleep 0.1
    done
}
check "at most 2 worker processes, none a zombie" soon_tidy ||
    diag "children of searchd:" "$(ps -o pid=,stat=,args= --ppid "$DPID")"
check "status reports 2 workers" test "$(st workers)" = 2

# A new file after all that still goes through.
printf 'Later note\n\nThe platypus arrived late.\n' >"$T/spool/sub/later.txt"
check "a file added after the crashes is indexed" \
    adds "$T/spool/sub/later.txt" '^indexed 1 files, 1 documents, 0 failed'
check "and searchable" finds platypus 'later.txt'

# Signals meant for the daemon's terminal or for every process of a
# service (Ctrl-C, systemd's SIGTERM) must not kill a worker mid-file:
# workers sit in their own process group and ignore them.
wpids=$(ps -o pid= --ppid "$DPID" | tr -d ' ' | tr '\n' ' ')
dpgid=$(ps -o pgid= -p "$DPID" | tr -d ' ')
own_groups() {
    for p in $wpids; do
        test "$(ps -o pgid= -p "$p" | tr -d ' ')" != "$dpgid" || return 1
    done
}
check "workers are running" test -n "$wpids"
check "workers are not in the daemon's process group" own_groups
for p in $wpids; do kill -INT "$p"; kill -TERM "$p"; kill -HUP "$p"; done
printf 'SABOTAGE slow 300\nsignal survivor text\n' >"$T/spool/sub/sig.sab"
check "a file extracted after SIGINT, SIGTERM and SIGHUP to the workers" \
    adds "$T/spool/sub/sig.sab" '^indexed 1 files, 1 documents, 0 failed'
check "the same workers survived them" \
    test "$(ps -o pid= --ppid "$DPID" | tr -d ' ' | sort)" = \
    "$(printf '%s\n' $wpids | sort)"

# Fixed files are retried; unchanged failed files are not.
printf 'SABOTAGE none\nfixed aardvark text\n' >"$T/spool/sub/segv.sab"
check "a failed file that changed is retried and indexed" \
    adds "$T/spool/sub/segv.sab" '^indexed 1 files, 1 documents, 0 failed'
check "failed goes down by one" test "$(st failed)" = $((failing - 1))
check "the fixed file is no longer listed as failed" not_failed segv.sab
check "its words are found" finds aardvark 'segv.sab'

timeouts=$(grep -c "timed out" "$T/daemon.log")
check "searchd stops cleanly" stop_daemon TERM
check "and exits 0" test "$DSTATUS" = 0
check "a restart finds the index and the records" \
    start_daemon --plugin-dir "$T/plugins" --watch "$T/spool" \
    --workers 2 --deadline 1 --worker-mem 256
wait_idle
check "failed files are remembered across the restart" \
    test "$(st failed)" = $((failing - 1))
check "unchanged failed files are not retried (no new time-out)" \
    test "$(grep -c "timed out" "$T/daemon.log")" = "$timeouts"
stop_and_check
