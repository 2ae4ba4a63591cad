#!/usr/bin/env bash
# Build searchd out of tree with warnings as errors and run every test
# (`make check`): unit tests, end-to-end tests, and the corpus tests when
# ../shared is beside the checkout.  Run scripts/install-deps.sh first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top"
./autogen.sh
mkdir -p "$build"
cd "$build"
"$top/configure" --enable-werror
make -j"$jobs"
if ! make -j"$jobs" check; then
    # Show the logs of what failed, so CI output says why.
    for f in $(find . -name '*.log' ! -name config.log ! -name test-suite.log); do
        trs=${f%.log}.trs
        if [ -f "$trs" ] && grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs"; then
            echo "===== $f"; cat "$f"
        fi
    done
    cat test-suite.log 2>/dev/null | tail -n 50
    exit 1
fi
