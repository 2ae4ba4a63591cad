#!/bin/sh
# Generic news end to end: the real daemon watches a folder; HTML article
# pages (html plugin) and RSS and Atom feeds (feed plugin) are dropped in;
# searchc finds them by title, author, outlet and date, every feed item is
# a hit of its own with its link as URL, a changed feed loses the item it
# dropped, and removing a feed removes all of its items.
. "$top_srcdir/tests/e2e/lib.sh"
plan 23

SETTLE=200

mkdir -p "$T/spool"
S=$T/spool
H=$SD_DATA_DIR/html
F=$SD_DATA_DIR/feed

found() { sc "$@" >/dev/null 2>&1; }
absent() { ! sc "$@" >/dev/null 2>&1; }
docs_are() { test "$(st documents)" = "$1"; }
# hits EXPR QUERY...: the search as JSON, then a Python expression over
# its hits h (a list of dicts) with the spool folder as S.
hits() {
    expr=$1; shift
    sc --json --limit 50 "$@" >"$T/reply" 2>"$T/err"
    "$PYTHON3" - "$T/reply" "$S" "$expr" <<'PY'
import json, os, sys
h = json.load(open(sys.argv[1], encoding="utf-8"))["hits"]
S = sys.argv[2]
for x in h:
    x["file"] = os.path.relpath(x["path"], S)
print(eval(sys.argv[3]))
PY
}

check "searchd starts watching an empty spool" \
    start_daemon --watch "$S" --settle "$SETTLE"
check "the start-up scan finishes" wait_idle

cp "$H/jsonld.html" "$H/opengraph.html" "$S/"
check "two article pages dropped in are searchable" \
    eventually found marina pontoon
cp "$F/harbour.rss" "$F/quay.atom" "$S/"
check "two feeds dropped in are searchable" eventually found regatta yachts
check "2 pages and 6 feed items: 8 documents" eventually docs_are 8

check "by title: an RSS item, its own hit, with its link as URL" \
    [ "$(hits '[(x["plugin"], x["file"], x["member"], x["url"], x["title"]) for x in h]' 'title:lighthouse')" = "[('feed', 'harbour.rss', 'https://gazette.example.org/2021/04/lighthouse-cottage', 'https://gazette.example.org/2021/04/lighthouse-cottage', \"Lighthouse keeper's cottage sold\")]" ]
check "by title: an article page, with its canonical URL" \
    [ "$(hits '[(x["plugin"], x["file"], x.get("member"), x["url"]) for x in h]' 'title:pier')" = "[('html', 'jsonld.html', None, 'https://news.example.org/2021/03/pier-vote')]" ]
sc --color=never title:lighthouse >"$T/text"
check "searchc prints the item's link on its own line under the hit" \
    [ "$(sed -n 3p "$T/text")" = "   https://gazette.example.org/2021/04/lighthouse-cottage" ]
check "by author: an RSS item (author element)" \
    [ "$(hits '[(x["member"], x["authors"]) for x in h]' 'author:"olwen pryce"')" = "[('gazette-ferry-0412', ['Olwen Pryce'])]" ]
check "by author: an Atom entry with two authors, found by the second" \
    [ "$(hits '[(x["title"], x["authors"]) for x in h]' 'author:hughes')" = "[('Regatta returns after three years', ['Megan Rhys', 'Tomos Hughes'])]" ]
check "by author: the pages (JSON-LD and meta author)" \
    [ "$(hits 'sorted(x["file"] for x in h)' 'author:roe OR author:"carys morgan"')" = "['jsonld.html', 'opengraph.html']" ]
check "by outlet: the feed's title names every item, and the page from it" \
    [ "$(hits 'sorted((x["file"], x.get("member", "")) for x in h)' 'outlet:"harbour gazette"')" = "[('harbour.rss', 'gazette-ferry-0412'), ('harbour.rss', 'https://gazette.example.org/2021/04/lighthouse-cottage'), ('harbour.rss', 'item-3'), ('jsonld.html', '')]" ]
check "by outlet: each Atom entry is a hit of its own, with its link" \
    [ "$(hits 'sorted((x["member"], x.get("url")) for x in h)' --outlet "Quayside Weekly" 'quayside OR harbourmaster OR tide OR regatta')" = "[('tag:quayside.example.net,2022:harbourmaster', None), ('tag:quayside.example.net,2022:regatta', 'https://quayside.example.net/2022/06/regatta'), ('tag:quayside.example.net,2022:tide-gauge', 'https://quayside.example.net/2022/05/tide-gauge')]" ]
check "by date: April 2021 holds the two dated RSS items" \
    [ "$(hits 'sorted(x["date"] for x in h)' 'date:2021-04')" = "['2021-04-10T17:05:00Z', '2021-04-12T08:30:00+01:00']" ]
check "by date: a range over the Atom entries, newest first" \
    [ "$(hits '[x["title"] for x in h]' --sort newest 'date:2022-05..2022-06')" = "['Regatta returns after three years', 'Tide gauge replaced']" ]
check "by date: one day finds the page published that day" \
    [ "$(hits '[x["file"] for x in h]' 'date:2020-12-15')" = "['opengraph.html']" ]
check "body text of an item is searchable, scripts in it are not" \
    [ "$(hits '[x["member"] for x in h]' 'fares')" = "['gazette-ferry-0412']" -a "$(hits 'len(h)' 'FEEDSCRIPTJUNK OR tracker')" = 0 ]

# A feed changes: the entry it no longer carries leaves the index.
"$PYTHON3" - "$F/quay.atom" "$S/quay.atom.tmp" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
s, n = re.subn(r"<entry>\s*<title>Tide gauge replaced.*?</entry>\s*", "", s, flags=re.S)
assert n == 1
open(sys.argv[2], "w", encoding="utf-8").write(s)
PY
mv "$S/quay.atom.tmp" "$S/quay.atom"
check "a feed rewritten without an entry: that entry is gone" \
    eventually absent 'title:"tide gauge"'
check "the feed's other entries stay: 7 documents" \
    eval 'eventually docs_are 7 && found regatta yachts'

rm "$S/harbour.rss"
check "removing a feed removes all its items: 4 documents" \
    eval 'eventually absent title:lighthouse && eventually docs_are 4 && absent fares'
check "the outlet now finds only the page" \
    [ "$(hits '[x["file"] for x in h]' 'outlet:"harbour gazette"')" = "['jsonld.html']" ]
check "the pages and the other feed stay searchable" \
    eval 'found marina pontoon && found title:pier && found regatta'
stop_and_check
