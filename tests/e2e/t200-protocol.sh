#!/bin/sh
# Malformed, oversized and unknown requests sent raw to the socket get the
# right error code, and the daemon keeps answering after each.
. "$top_srcdir/tests/e2e/lib.sh"

if ! start_daemon; then echo "1..1"; not_ok "searchd starts"; exit 1; fi
"$PYTHON3" "$top_srcdir/tests/e2e/protocol_cases.py" "$SOCK" 1 >"$T/tap"
cat "$T/tap"
tap_n=$(grep -c '^\(not \)\?ok ' "$T/tap")
tap_failed=$(grep -c '^not ok ' "$T/tap")
stop_and_check
