#!/bin/sh
# The BBC News corpus (2,225 plain-text articles) from ../shared, indexed
# through a watched folder: every file indexed, none failed, including the
# one Latin-1 file, and known articles findable.
. "$top_srcdir/tests/e2e/lib.sh"

BBC=$SD_SHARED_DIR/corpora/bbc-news
[ -d "$BBC/sport" ] || skip_all "no BBC corpus at $BBC (CI has ../shared)"
plan 7

check "searchd starts watching bbc-news" start_daemon --watch "$BBC"
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
sc --json "title:($title)" >"$T/199.json"
check "the Latin-1 article is found by its title" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert any(h["path"].endswith("sport/199.txt") for h in r["hits"]), r
' "$T/199.json"
check "'peace process' finds politics/218.txt" \
    sh -c '"$0" --socket "$1" --limit 100 --json "\"peace process\"" | grep -q "politics/218.txt"' "$SEARCHC" "$SOCK"
stop_and_check
