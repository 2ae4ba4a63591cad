#!/bin/sh
# The indexing benchmark (bench/index-bench.sh, `make bench`) in quick mode:
# 2000 files of 20 Newsgroups, searchd and the bare Xapian floor only.  It
# proves the bench still runs and prints its figures, not how fast
# anything is; it takes a few seconds.
. "$top_srcdir/tests/e2e/lib.sh"

if [ "${SD_VALGRIND:-0}" = 1 ]; then
    skip_design "the benchmark measures speed and memory; under valgrind it" \
        "would measure valgrind (run make bench instead)"
fi
NG=$SD_SHARED_DIR/corpora/20news-bydate/20news-bydate.tar.xz
[ -f "$NG" ] || skip_all "no 20 Newsgroups corpus at $NG (CI has ../shared)"
plan 7

out=$T/bench.out
BENCH_QUICK=1 BENCH_CORPORA=20ng BENCH_TOOLS=searchd,floor \
    BENCH_RESULTS=$T/results.tsv BENCH_TMPDIR=$T \
    bash "$top_srcdir/bench/index-bench.sh" >"$out" 2>"$T/bench.err"
rc=$?
check "the bench exits 0 (exit $rc)" test "$rc" = 0
diag "$(cat "$out")"
[ "$rc" = 0 ] || diag "$(cat "$T/bench.err")"

num='[0-9][0-9]*\(\.[0-9]*\)\{0,1\}'
# tool documents | wall_s docs/s MiB/s peak_RSS_MiB procs index_MiB
row="$num  *$num  *$num  *$num  *$num  *$num\$"
check "searchd row: 2000 documents and numeric figures" \
    grep -q "^searchd  *2000  *$row" "$out"
check "xapian-floor row: 2000 documents and numeric figures" \
    grep -q "^xapian-floor  *2000  *$row" "$out"
check "the docs/s and RSS ratio against the floor" \
    grep -q "^searchd/xapian-floor  *docs/s  *$num""x  *MiB/s  *$num""x  *peak RSS  *$num""x" "$out"
# label | count errors p50_ms p99_ms max_ms
lat="0  *$num  *$num  *$num\$"
check "query latency during the load and idle" \
    grep -q "^during bulk load  *$num  *$lat" "$out"
check "query latency when idle: 3 rounds of 50 queries" \
    grep -q "^idle after load  *150  *$lat" "$out"
check "the results file has both rows" \
    sh -c '[ "$(grep -c "^20ng	\(searchd\|xapian-floor\)	2000	" "$1")" = 2 ]' sh "$T/results.tsv"
