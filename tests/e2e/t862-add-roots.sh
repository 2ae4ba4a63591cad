#!/bin/sh
# An add may name only paths inside a watched folder or an add-root, once
# symlinks are resolved: ".." components, symlinks (to a file or a
# folder) leading outside, and paths outside are refused as forbidden
# before anything is read; a symlink inside the roots is indexed under
# the path it resolves to.  A reload can add a root.
. "$top_srcdir/tests/e2e/lib.sh"
plan 20

# The roots: a watched folder and an add-root; outside: a folder beside.
mkdir -p "$T/watched" "$T/roots/extra/sub" "$T/outside" "$T/later"
printf 'Inside note\n\nThe okapi grazed in the watched folder.\n' \
    >"$T/watched/w.txt"
printf 'Extra note\n\nA pangolin in the add root.\n' >"$T/roots/extra/sub/e.txt"
printf 'Secret note\n\nThe narwhal is outside every root.\n' \
    >"$T/outside/secret.txt"
printf 'Later note\n\nA tapir arrives later.\n' >"$T/later/l.txt"
ln -s "$T/outside/secret.txt" "$T/watched/to-file.txt"
ln -s "$T/outside" "$T/roots/extra/to-dir"
ln -s "$T/roots/extra/sub/e.txt" "$T/watched/inside-link.txt"
ln -s "$T/outside/not-yet.txt" "$T/watched/dangling.txt"
printf 'add-root = roots/extra\n[watch watched]\n' >"$SEARCHD_CONFIG"

# Without lib.sh's own add-root (the whole test folder): only the roots
# in the file count.
ADD_ROOT=
# raw_add PATH: send an add of PATH as it is (searchc would resolve it
# first), print the error code or "ok"; the message goes to $T/err.
raw_add() {
    "$PYTHON3" - "$SOCK" "$1" "$T/err" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"v": 1, "op": "add", "path": sys.argv[2]}).encode() + b"\n")
r = json.loads(s.makefile().readline())
open(sys.argv[3], "w").write(r.get("error", {}).get("message", ""))
print(r["error"]["code"] if not r["ok"] else "ok")
PY
}
# refused PATH: an add of PATH, sent as it is, is forbidden.
refused() { test "$(raw_add "$1")" = forbidden; }
found() { sc "$1" | grep -q "$2"; }

check "searchd starts with a watched folder and an add-root" start_daemon
check "the scan finishes" wait_idle
check "add inside the add-root" sc --add "$T/roots/extra/sub/e.txt"
check "it is found" found pangolin e.txt
check "add outside every root: forbidden" refused "$T/outside/secret.txt"
check "the message names the path and the roots" \
    grep -q "$T/outside/secret.txt is outside the watched folders and add-roots" "$T/err"
check "a .. that climbs out: forbidden" refused "$T/watched/../outside/secret.txt"
check "a .. that stays inside is refused too" \
    refused "$T/roots/extra/sub/../sub/e.txt"
check "a symlink to a file outside: forbidden" refused "$T/watched/to-file.txt"
check "the message says where it leads" \
    grep -q "to-file.txt ($T/outside/secret.txt once symlinks are resolved)" "$T/err"
check "a path through a symlinked folder outside: forbidden" \
    refused "$T/roots/extra/to-dir/secret.txt"
check "a missing file behind that symlink: forbidden, not not_found" \
    refused "$T/roots/extra/to-dir/missing.txt"
check "a dangling symlink whose target lies outside: forbidden" \
    refused "$T/watched/dangling.txt"
check "the message says the link points nowhere" \
    grep -q "points nowhere" "$T/err"
check "a missing file inside the roots: not_found" \
    test "$(raw_add "$T/watched/missing.txt")" = not_found
check "searchc's own resolving still ends outside: exit 3, forbidden" \
    sh -c "'$SEARCHC' --socket '$SOCK' --add '$T/watched/to-file.txt' 2>&1 >/dev/null | grep -q 'searchd: forbidden: '"
check "nothing outside was indexed" sh -c "! '$SEARCHC' --socket '$SOCK' narwhal"
sc --add "$T/watched/inside-link.txt" >/dev/null
check "a symlink inside the roots is indexed under its target" \
    sh -c "'$SEARCHC' --socket '$SOCK' --json pangolin | grep -q '\"path\":\"$T/roots/extra/sub/e.txt\"' &&
           ! '$SEARCHC' --socket '$SOCK' --json pangolin | grep -q inside-link"
printf 'add-root = roots/extra\nadd-root = later\n[watch watched]\n' \
    >"$SEARCHD_CONFIG"
sc --reload >/dev/null
check "after a reload a new add-root takes adds" sc --add "$T/later/l.txt"
stop_and_check
