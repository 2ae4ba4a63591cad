#!/bin/sh
# The BBC News corpus (2,225 plain-text articles) from ../shared, indexed
# through a watched folder: every file indexed, none failed, including the
# one Latin-1 file, and known articles findable.
. "$top_srcdir/tests/e2e/lib.sh"

BBC=$SD_SHARED_DIR/corpora/bbc-news
[ -d "$BBC/sport" ] || skip_all "no BBC corpus at $BBC (CI has ../shared)"
plan 9

# The folder's outlet comes from the command line: plain text cannot say.
check "searchd starts watching bbc-news" \
    start_daemon --watch "$BBC" --outlet "BBC News"
# Under valgrind this takes minutes: wait_idle gives up after 60 s.
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 1200 ] || break; done
check "initial scan finishes" wait_idle
sc --json --status >"$T/status"
files=$(find "$BBC" -type f ! -name '.*' | wc -l)
check "every article is a document ($files)" "$PYTHON3" -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["documents"] == int(sys.argv[2]), (s["documents"], sys.argv[2])
' "$T/status" "$files"
check "no file failed" "$PYTHON3" -c '
import json, sys
s = json.load(open(sys.argv[1]))
# README.TXT is indexed too (it is text); nothing may fail.
assert s["failed"] == 0, s
' "$T/status"
# sport/199.txt holds a bare Latin-1 pound sign: it must come out as UTF-8.
title=$(head -n 1 "$BBC/sport/199.txt")
sc --json --all "title:($title)" >"$T/199.json"
check "the Latin-1 article is found by its title" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert any(h["path"].endswith("sport/199.txt") for h in r["hits"]), r
' "$T/199.json"
check "its outlet is the folder default" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
h = [h for h in r["hits"] if h["path"].endswith("sport/199.txt")][0]
assert h["outlet"] == "BBC News", h
' "$T/199.json"
sc --json --all --limit 1 "outlet:bbc" >"$T/outlet.json"
check "outlet:bbc matches every document" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"] == int(sys.argv[2]), (r["total"], sys.argv[2])
' "$T/outlet.json" "$files"
check "'peace process' finds politics/218.txt" \
    sh -c '"$0" --socket "$1" --limit 100 --all --json "\"peace process\"" | grep -q "politics/218.txt"' "$SEARCHC" "$SOCK"
stop_and_check
