#!/bin/sh
# The query benchmark (bench/query-bench.sh, `make bench`) in quick mode:
# 2000 files of 20 Newsgroups and 2 files of Reuters, 40 queries made from
# their headlines.  It proves the bench still runs and prints every row of
# its table with figures, not how fast anything is; it takes about 20
# seconds (recollindex and searchd each index the files once).
. "$top_srcdir/tests/e2e/lib.sh"

if [ "${SD_VALGRIND:-0}" = 1 ]; then
    skip_design "the benchmark measures speed; under valgrind it would" \
        "measure valgrind (run make bench instead)"
fi
NG=$SD_SHARED_DIR/corpora/20news-bydate/20news-bydate.tar.xz
RT=$SD_SHARED_DIR/corpora/reuters21578/reuters21578.tar.xz
[ -f "$NG" ] && [ -f "$RT" ] ||
    skip_all "no 20 Newsgroups or Reuters corpus under $SD_SHARED_DIR/corpora" \
        "(CI has ../shared)"
for tool in quest recollq recollindex; do
    command -v "$tool" >/dev/null ||
        skip_all "$tool not installed (scripts/install-deps.sh)"
done
plan 9

out=$T/bench.out
BENCH_QUICK=1 BENCH_RESULTS=$T/results.tsv BENCH_TMPDIR=$T \
    bash "$top_srcdir/bench/query-bench.sh" >"$out" 2>"$T/bench.err"
rc=$?
check "the bench exits 0 (exit $rc)" test "$rc" = 0
diag "$(cat "$out")"
[ "$rc" = 0 ] || diag "$(cat "$T/bench.err")"

num='[0-9][0-9]*\.[0-9][0-9]*'
# label | count errors p50_ms p99_ms queries/s how; no errors anywhere
# (searchc's "nothing found" exit is not an error).
row() { grep -q "^$1  *$2  *0  *$num  *$num  *$num  " "$out"; }
check "searchd 1 client: 40 queries" row "searchd 1 client" 40
check "searchd 32 clients: 32 x 40 queries" row "searchd 32 clients" 1280
check "searchc, a process per query" row "searchc per process" 40
check "xapian in-process, search alone and with snippets" \
    sh -c 'grep -q "^xapian in-process (search)  *40  *0 " "$1" &&
           grep -q "^xapian in-process (+snippets)  *40  *0 " "$1"' sh "$out"
check "quest, a process per query" row "quest per process" 40
check "recollq, a process per query" row "recollq per process" 40
check "/bin/true, the cost of a process" row "/bin/true per process" 40
check "the four targets, each met or not" \
    sh -c '[ "$(grep -c -E "^  .*: (met|NOT met)\$" "$1")" = 4 ]' sh "$out"
