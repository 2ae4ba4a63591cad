#!/bin/sh
# Reuters-21578 from ../shared: the 22 SGML files give 21,578 documents,
# one per article, every NEWID once, through a watched folder; a few known
# articles have the right fields.
. "$top_srcdir/tests/e2e/lib.sh"

TARBALL=$SD_SHARED_DIR/corpora/reuters21578/reuters21578.tar.xz
[ -f "$TARBALL" ] || skip_all "no Reuters corpus at $TARBALL (CI has ../shared)"
if [ "${SD_VALGRIND:-0}" = 1 ]; then
    skip_design "21,578 documents take too long under valgrind; the plain and ASan runs cover it"
fi
plan 11

mkdir -p "$T/corpus"
tar -xJf "$TARBALL" -C "$T/corpus"
# Only the articles: the category lists and READMEs beside them are not
# part of the collection.
mkdir "$T/spool"
mv "$T/corpus/reuters21578/"reut2-*.sgm "$T/spool/"
check "the corpus has 22 SGML files" \
    test "$(ls "$T/spool" | wc -l)" = 22

check "searchd starts watching them" start_daemon --watch "$T/spool"
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 900 ] || break; done
sc --json --status >"$T/status"
check "21,578 documents, none failed" "$PYTHON3" -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["documents"] == 21578 and s["failed"] == 0, s
' "$T/status"

# field QUERY: the JSON reply of a search with every hit.
hits() { sc --json --all --limit 1000 "$1"; }
hits 'title:"bahia cocoa review"' >"$T/bahia.json"
check "NEWID 1 has its title, date, place and outlet" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
h = [h for h in r["hits"] if h["path"].endswith("reut2-000.sgm#1")
     or h.get("member") == "1"]
assert h, r
h = h[0]
assert h["title"] == "BAHIA COCOA REVIEW", h
assert h["date"] == "1987-02-26T15:01:01Z", h
assert h["place"] == "SALVADOR", h
assert h["outlet"] == "Reuters", h
' "$T/bahia.json"
check "its topics and places are keywords" \
    sh -c "'$SEARCHC' --socket '$SOCK' --json --all 'keyword:cocoa keyword:el-salvador keyword:uruguay' | grep -q 'BAHIA COCOA REVIEW'"
check "the article with the stray 0xFC byte is indexed" \
    sh -c "'$SEARCHC' --socket '$SOCK' --json --all --limit 50 '\"lasting world economic growth\"' | grep -q 'reut2-017.sgm'"
check "no snippet keeps an entity or the sign-off" \
    sh -c "! '$SEARCHC' --socket '$SOCK' --json --limit 1000 'said' | grep -q '&amp;#[0-9]*;\\|&#[0-9]*;'"
check "a BRIEF article keeps its title" \
    sh -c "'$SEARCHC' --socket '$SOCK' --json --all 'title:\"money market mutual funds rose\"' | grep -q 'reut2-000.sgm'"
check "and not its \"Blah blah blah.\" body" \
    sh -c "'$SEARCHC' --socket '$SOCK' '\"blah blah blah\"' >/dev/null; test \$? -eq 1"
check "outlet:reuters matches every article" \
    sh -c "'$SEARCHC' --socket '$SOCK' --all --limit 1 'outlet:reuters' | tail -n 1 | grep -qx '1 of 21578 hits'"
stop_and_check
