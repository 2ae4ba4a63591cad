#!/bin/sh
# Index the two sample articles through a watched folder, search them with
# searchc, and make sure the boilerplate the plugins drop is not findable.
. "$top_srcdir/tests/e2e/lib.sh"
plan 21

mkdir -p "$T/spool/bs" "$T/spool/geo"
cp "$SD_DATA_DIR/samples/000_ab6247428a11f59d.txt" "$T/spool/bs/"
cp "$SD_DATA_DIR/samples/002_fdfd5999a0eb1361.txt" "$T/spool/geo/"

check "searchd starts watching the spool" start_daemon --watch "$T/spool"
check "initial scan finishes" wait_idle

# Expected output has the temp folder as $DIR.
sc "Afghan peace process" >"$T/out" 2>"$T/err"; rc=$?
check "searching 'Afghan peace process' exits 0" [ "$rc" = 0 ]
sed "s|$T|\$DIR|g" "$T/out" >"$T/out.norm"
if diff -u "$top_srcdir/tests/e2e/t100-index-search.expected" "$T/out.norm" >"$T/diff"; then
    ok "searchc output is as expected"
else
    not_ok "searchc output is as expected"; diag "$(cat "$T/diff")"
fi
check "both samples are hits" [ "$(grep -c '^[0-9]*\. ' "$T/out")" = 2 ]
check "the Geo News hit names its outlet" grep -q '^   Geo News | ' "$T/out"
check "the Business Standard hit names its outlet" \
    grep -q '^   Business Standard | ' "$T/out"

# Boilerplate dropped by the plugins must not be findable.
for q in "free articles" "subscribe" "Smart Quarterly" \
    "No US administration can ignore Pakistan, FM Qureshi says ahead of Biden's inauguration" \
    "Disclaimer"; do
    sc "$q" >/dev/null 2>"$T/err"; rc=$?
    check "'$q' finds nothing (exit 1)" [ "$rc" = 1 ]
done

# --json passes the daemon's reply through.
sc --json "Afghan peace process" >"$T/json"
check "--json reply has total 2 and snippets with <b> marks" \
    "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and r["v"] == 1 and r["total"] == 2, r
for h in r["hits"]:
    assert "<b>" in h["snippet"], h
    assert isinstance(h["authors"], list)
    assert h["rank"] in (1, 2) and h["score"] > 0
' "$T/json"

check "--limit 1 gives one hit" [ "$(sc --limit 1 'Afghan peace process' | grep -c '^[0-9]*\. ')" = 1 ]
check "--offset 1 gives the second hit, ranked 2" \
    [ "$(sc --offset 1 'Afghan peace process' | grep -c '^2\. ')" = 1 ]

# Highlighting: ANSI on request, none when NO_COLOR/piped.
check "--color=always highlights matches" \
    sh -c '"$0" --socket "$1" --color=always "Afghan peace" | grep -q "$(printf "\033")\[1;31m"' "$SEARCHC" "$SOCK"
check "piped output carries no escape codes or tags" \
    sh -c '! "$0" --socket "$1" "Afghan peace" | grep -q -e "$(printf "\033")" -e "<b>"' "$SEARCHC" "$SOCK"

# --add indexes a new file now and it is searchable at once.
printf 'Monsoon floods in Sindh\n\nHeavy monsoon rains flooded villages in Sindh province.\n' >"$T/new.txt"
sc --add "$T/new.txt" >"$T/add.out"; rc=$?
check "--add a new file exits 0 and reports one document" \
    test "$rc" = 0 -a -n "$(grep '^indexed 1 files, 1 documents, 0 failed' "$T/add.out")"
check "the added file is found" sh -c '"$0" --socket "$1" monsoon Sindh | grep -q "Monsoon floods in Sindh"' "$SEARCHC" "$SOCK"
sc --add "$T/does-not-exist" >/dev/null 2>"$T/err"; rc=$?
check "--add of a missing path: error reply (exit 3, not_found)" \
    test "$rc" = 3 -a -n "$(grep not_found "$T/err")"
stop_and_check
