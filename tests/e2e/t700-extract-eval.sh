#!/bin/sh
# Article-body extraction quality: bench/extract-eval runs the html plugin
# through `searchd --extract` over the article-extraction-dev pages and
# scores the bodies with the shared extract-score; F1 must reach 0.93
# (the published extractors score about 0.95 on this split).  It also
# times extract() in process (bench/extract-time) and the two HTML
# parsers; the times are printed, not asserted (the machine is shared).
. "$top_srcdir/tests/e2e/lib.sh"

AE=$SD_SHARED_DIR/corpora/article-extraction-dev
[ -f "$AE/ground-truth.json" ] && [ -f "$SD_SHARED_DIR/tools/extract-score" ] ||
    skip_all "no article-extraction-dev corpus or extract-score under $SD_SHARED_DIR (CI has ../shared)"
# The figures do not depend on memory checking, and 61 pages of 250 KB
# each take minutes under valgrind; the plain and sanitizer passes run it.
[ "${SD_VALGRIND:-0}" = 1 ] && skip_design "extraction figures: run without valgrind"
plan 4

"$PYTHON3" "$top_srcdir/bench/extract-eval" --builddir "$top_builddir" \
    --shared "$SD_SHARED_DIR" --min-f1 0.93 >"$T/eval.out" 2>&1
rc=$?
diag "$(cat "$T/eval.out")"
check "every page went to the html plugin and gave a body" \
    grep -q ' 0 without output, 0 taken by another plugin' "$T/eval.out"
check "F1, precision, recall and pages/s are printed" \
    sh -c "grep -q '^F1 0\.[0-9]*  precision' '$T/eval.out' && grep -q 'pages/s' '$T/eval.out'"
check "the in-process time distribution and the gumbo/libxml2 parse times are printed" \
    sh -c "grep -q '^  [0-9]* pages of 50-150 KB: *p50 [0-9.]*  p90 [0-9.]*  p99 [0-9.]*  max' '$T/eval.out' && grep -q 'libxml2 .*MB/s' '$T/eval.out'"
check "F1 at least 0.93 (exit $rc)" test $rc = 0
