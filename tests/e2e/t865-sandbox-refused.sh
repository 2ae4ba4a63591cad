#!/bin/sh
# The documented fallback where the kernel refuses the workers' system
# call filter, on a kernel that really refuses it: searchd runs under
# tests/helpers/refuse-seccomp, whose own filter makes seccomp(2) and
# prctl(PR_SET_SECCOMP) fail with EINVAL for it and its workers.  The
# workers then run without a filter: searchd logs one warning saying
# why, status says "sandbox": "none", and indexing goes on as before
# (memory limit and deadline still apply).
. "$top_srcdir/tests/e2e/lib.sh"

REFUSE=$top_builddir/tests/helpers/refuse-seccomp
[ -x "$REFUSE" ] || bail "no $REFUSE (make check builds it)"
grep -q '^#define HAVE_SECCOMP 1' "$top_builddir/config.h" ||
    skip_all "built without libseccomp: workers never try a filter (t864)"
"$REFUSE" true 2>/dev/null || skip_all "this kernel takes no seccomp filter at all"
plan 7

mkdir -p "$T/plugins" "$T/spool"
cp "$SD_PLUGIN_DIR/plaintext.so" "$SD_FIXTURE_DIR/saboteur.so" "$T/plugins/"
printf 'A plain note\n\nThe ibex climbed the ridge.\n' >"$T/spool/plain.txt"
printf 'SABOTAGE loop\nthis plugin spins\n' >"$T/spool/loop.sab"


DAEMON_PREFIX=$REFUSE
check "searchd starts where seccomp is refused" start_daemon \
    --plugin-dir "$T/plugins" --watch "$T/spool" --workers 2 --deadline 1
check "the scan finishes" wait_idle
check "status says the workers run without a filter" \
    test "$(st sandbox)" = none
# (libseccomp, finding seccomp(2) refused, reports that it cannot sync
# the filter across threads: what a real refusing kernel shows too.)
check "one warning says why, from libseccomp" sh -c "
    test \$(grep -c 'run without a system call filter' '$T/daemon.log') = 1 &&
    grep 'run without a system call filter' '$T/daemon.log' |
        grep -q 'filter (seccomp: [a-z].*: [A-Z]'"
check "files are indexed all the same" sc ibex
check "the deadline still applies without the filter" sh -c "
    '$SEARCHC' --socket '$SOCK' --failures |
        grep 'loop.sab' | grep -q 'timed out after 1000 ms'"
stop_and_check
