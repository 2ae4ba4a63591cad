#!/bin/sh
# Ranking quality on real relevance judgments: bench/ir-eval indexes CISI
# and Cranfield through searchd and runs every judged query; MAP and
# P@10 must reach the plain-Xapian reference of the corpora README on
# both collections.
. "$top_srcdir/tests/e2e/lib.sh"

[ -d "$SD_SHARED_DIR/corpora/cisi" ] && [ -d "$SD_SHARED_DIR/corpora/cranfield" ] ||
    skip_all "no CISI/Cranfield under $SD_SHARED_DIR/corpora (CI has ../shared)"
# The figures do not depend on memory checking, and 300 queries of 1000
# hits each under valgrind take many minutes; the plain and sanitizer
# passes run it.
[ "${SD_VALGRIND:-0}" = 1 ] && skip_design "ranking figures: run without valgrind"
plan 3

"$PYTHON3" "$top_srcdir/bench/ir-eval" --builddir "$top_builddir" \
    --shared "$SD_SHARED_DIR" >"$T/eval.out" 2>&1
rc=$?
diag "$(cat "$T/eval.out")"
check "ir-eval ran both collections" \
    test "$(grep -c '^cisi \|^cranfield ' "$T/eval.out")" = 2
check "no query was refused" sh -c "! grep -q refused '$T/eval.out'"
check "MAP and P@10 at least the reference on both (exit $rc)" test $rc = 0
