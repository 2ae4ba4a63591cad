#!/usr/bin/env bash
# Run every test three ways: (1) a build with warnings as errors, `make
# check` (unit, end-to-end, and the corpus tests when ../shared is beside
# the checkout), then `make distcheck` from it (the tarball builds, passes
# make check without the corpora, installs and uninstalls cleanly); (2) a
# build with AddressSanitizer and UBSan, `make check`; (3) a clang build
# that fuzzes every harness for a minute (`make fuzz`); (4) the first
# build's tests again under valgrind (`make check-valgrind`).
# Run scripts/install-deps.sh first.
#   SD_QUICK=1        only (1), without the distcheck
#   SD_REQUIRE_ALL=1  a test that would skip for want of something (the
#                     corpora in ../shared, root, a tool, the sandbox)
#                     fails instead; .ci/run sets it.  Not in the
#                     distcheck, whose tarball has no ../shared beside it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

# show_failures DIR: print the logs of failed tests, so CI output says why.
show_failures() {
    (cd "$1" &&
    for f in $(find . -name '*.log' ! -name config.log ! -name test-suite.log); do
        trs=${f%.log}.trs
        if [ -f "$trs" ] && grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs"; then
            echo "===== $f"; cat "$f"
        fi
    done
    tail -n 50 test-suite.log 2>/dev/null) || true
}

# run_pass NAME DIR TARGET [CONFIGURE-ARGS...]: configure DIR (unless no
# arguments are given: it is already), build, make TARGET.
run_pass() {
    name=$1 dir=$2 target=$3; shift 3
    echo "==== $name: $dir"
    mkdir -p "$dir"
    if [ $# -gt 0 ]; then (cd "$dir" && "$top/configure" -q "$@"); fi
    make -C "$dir" -s -j"$jobs"
    if ! make -C "$dir" -j"$jobs" "$target"; then
        show_failures "$dir"
        echo "==== $name: FAILED" >&2
        exit 1
    fi
}

cd "$top"
./autogen.sh
run_pass "build, make check" "$build" check --enable-werror
[ "${SD_QUICK:-0}" = 1 ] && exit 0
SD_REQUIRE_ALL=0 run_pass "make distcheck" "$build" distcheck
run_pass "ASan+UBSan, make check" "$build-asan" check --enable-werror \
    --enable-sanitizers
# (3) the libFuzzer harnesses for FUZZ_SECONDS each (doc/fuzzing.md), in
# a clang build of their own; `make fuzz` builds only what they need.
echo "==== libFuzzer, make fuzz: $build-fuzz"
mkdir -p "$build-fuzz"
(cd "$build-fuzz" && "$top/configure" -q --enable-fuzzing CC=clang)
if ! make -C "$build-fuzz" -s -j"$jobs" fuzz; then
    echo "==== libFuzzer, make fuzz: FAILED" >&2
    exit 1
fi
run_pass "valgrind, make check-valgrind" "$build" check-valgrind
echo "==== all passes succeeded"
