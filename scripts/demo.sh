#!/usr/bin/env bash
# Build searchd, start it on the bundled sample articles, and search them:
#   scripts/demo.sh ["QUERY"]       (default: "Afghan peace process")
# The daemon runs on a temporary socket and index and stops at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
query=${1:-Afghan peace process}

cd "$top"
if [ ! -x "$build/daemon/searchd" ] || [ ! -x "$build/client/searchc" ]; then
    ./autogen.sh >/dev/null
    mkdir -p "$build"
    (cd "$build" && "$top/configure" --enable-werror -q && make -j"$(nproc)" -s)
else
    make -C "$build" -s -j"$(nproc)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/searchd-demo.XXXXXX")
sock=$tmp/searchd.sock
"$build/daemon/searchd" --foreground --no-config --socket "$sock" --index "$tmp/index" \
    --plugin-dir "$build/plugins/.libs" --watch "$top/tests/data/samples" \
    2>"$tmp/searchd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT

searchc() { "$build/client/searchc" --socket "$sock" "$@"; }
for _ in $(seq 100); do
    if searchc --json --status 2>/dev/null | grep -q '"scan_done":true'; then
        break
    fi
    sleep 0.1
done
echo "\$ searchc --status"
searchc --status
echo
echo "\$ searchc \"$query\""
searchc "$query"
