#!/bin/sh
# The feed plugin on small hand-written feeds (tests/data/feed): RSS 2.0,
# Atom, RSS 1.0; one document per item with its fields; HTML in items
# cleaned; strict dates; declared and false encodings; undeclared HTML
# entities; and robustness: no items, binary junk named .rss, external
# and recursive entities, duplicate ids, deep markup, a large feed.
. "$top_srcdir/tests/e2e/lib.sh"
plan 30

F=$SD_DATA_DIR/feed
# Under SD_VALGRIND=1 the extraction runs under valgrind, as in t710.
ex() {
    if [ "${SD_VALGRIND:-0}" = 1 ] && [ -n "${VALGRIND:-}" ]; then
        "$VALGRIND" --quiet --error-exitcode=66 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite \
            "$SEARCHD" --extract --plugin-dir "$SD_PLUGIN_DIR" "$@"
    else
        "$SEARCHD" --extract --plugin-dir "$SD_PLUGIN_DIR" "$@"
    fi
}
# docs FILE EXPR: evaluate a Python expression on the list of documents.
docs() {
    "$PYTHON3" - "$1" "$2" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
d = docs[0] if docs else None
print(eval(sys.argv[2]))
PY
}

ex "$F/harbour.rss" >"$T/h.json" 2>"$T/err"; rc=$?
check "RSS 2.0: three items, three documents from the feed plugin (rc $rc)" \
    [ "$(docs "$T/h.json" '[x["plugin"] for x in docs]')" = "['feed', 'feed', 'feed']" ]
check "RSS: member from guid, else link, else position" \
    [ "$(docs "$T/h.json" '[x["member"] for x in docs]')" = "['gazette-ferry-0412', 'https://gazette.example.org/2021/04/lighthouse-cottage', 'item-3']" ]
check "RSS: title with &amp; decoded; author from 'mail (Name)'; pubDate with offset" \
    [ "$(docs "$T/h.json" '(d["title"], d["authors"], d["date"])')" = "('Ferry timetable & fares change in May', ['Olwen Pryce'], '2021-04-12T08:30:00+01:00')" ]
check "RSS: outlet from the channel title, link as URL, language, category" \
    [ "$(docs "$T/h.json" '(d["outlet"], d["url"], d["lang"], d["keywords"])')" = "('The Harbour Gazette', 'https://gazette.example.org/2021/04/ferry-timetable', 'en', ['transport'])" ]
check "RSS: content:encoded is the body (paragraphs, entities), description the summary" \
    [ "$(docs "$T/h.json" '(d["body"], d["summary"])')" = "('The island ferry will run twice an hour from the first of May, the operator said.\n\nReturn fares rise by 40p to £3.20 – the first rise in six years.', ['The island ferry runs twice an hour from May.'])" ]
check "RSS: no script or style text in the body" \
    [ "$(docs "$T/h.json" '"JUNK" in json.dumps(docs)')" = False ]
check "RSS: CDATA title with markup; dc:creator and dc:date; escaped HTML description" \
    [ "$(docs "$T/h.json" '(docs[1]["title"], docs[1]["authors"], docs[1]["date"], docs[1]["body"])')" = "(\"Lighthouse keeper's cottage sold\", ['Bryn Tegid'], '2021-04-10T17:05:00Z', 'The old keeper’s cottage on the headland went to a local trust.\n\nIt will open as a museum of the coastguard.')" ]
check "RSS: 31 February is dropped, not guessed, and logged" \
    [ "$(docs "$T/h.json" 'docs[2]["date"]')" = None -a -n "$(grep 'Thu, 31 Feb 2021.*dropped' "$T/err")" ]

ex "$F/quay.atom" >"$T/a.json" 2>"$T/err"
check "Atom: html title, two authors, published over updated, xml:lang" \
    [ "$(docs "$T/a.json" '(len(docs), d["title"], d["authors"], d["date"], d["lang"], d["outlet"])')" = "(3, 'Regatta returns after three years', ['Megan Rhys', 'Tomos Hughes'], '2022-06-01T18:45:00+01:00', 'cy', 'Quayside Weekly')" ]
check "Atom: xhtml content as paragraphs, summary kept, category term" \
    [ "$(docs "$T/a.json" '(d["body"], d["summary"], d["keywords"], d["member"])')" = "('Forty yachts entered the summer regatta, the first since the pandemic.\n\nThe cup went to a crew from the marina.', ['The sailing regatta is back.'], ['sport'], 'tag:quayside.example.net,2022:regatta')" ]
check "Atom: feed author inherited, relative link resolved, updated as the date" \
    [ "$(docs "$T/a.json" '(docs[1]["authors"], docs[1]["url"], docs[1]["date"], docs[1]["body"])')" = "(['Quayside Newsdesk'], 'https://quayside.example.net/2022/05/tide-gauge', '2022-05-20T12:00:00Z', 'A new tide gauge now reports the water level every minute.')" ]
check "Atom: a date in 2099 is refused; text content keeps its paragraphs" \
    [ "$(docs "$T/a.json" '(docs[2]["date"], docs[2]["body"].count("\n\n"))')" = "(None, 1)" ]

ex "$F/estuary.rdf" >"$T/r.json" 2>"$T/err"
check "RSS 1.0 (RDF): item with rdf:about id, dc fields, channel language" \
    [ "$(docs "$T/r.json" '(len(docs), d["member"], d["title"], d["authors"], d["date"], d["outlet"], d["lang"])')" = "(1, 'https://estuary.example.com/heron-count', 'Heron count rises on the mudflats', ['Ffion Evans'], '2020-11-03', 'Estuary Echo', 'en')" ]

ex "$F/latin1.rss" >"$T/l.json" 2>"$T/err"
check "ISO-8859-1 declared, Windows-1252 quotes; EST becomes -05:00" \
    [ "$(docs "$T/l.json" '(d["title"], d["authors"], d["body"], d["date"])')" = "('Café du quai rouvre', ['Régine Dupré'], 'Le café de Régine ouvre à nouveau – un “bon” signe.', '2021-06-05T07:00:00-05:00')" ]
# Bytes Windows-1252 leaves undefined must not stop the parse (iconv
# would): they become U+FFFD and the rest of the feed is read.
printf '<?xml version="1.0" encoding="windows-1252"?>\n<rss version="2.0"><channel><title>Odd bytes</title><item><title>One \220 odd \201 byte</title><description>After them \223quoted\224.</description></item><item><title>Second</title><description>Still read.</description></item></channel></rss>\n' >"$T/odd.rss"
ex "$T/odd.rss" >"$T/o.json" 2>"$T/err"
check "undefined Windows-1252 bytes: U+FFFD, the rest of the feed read, nothing on stderr but the log" \
    [ "$(docs "$T/o.json" '(len(docs), d["title"] == "One \ufffd odd \ufffd byte", d["body"] == "After them \u201cquoted\u201d.", docs[1]["body"])')" = "(2, True, True, 'Still read.')" -a -z "$(grep -v 'searchd\[' "$T/err")" ]
# The same feed as UTF-8 bytes under the Latin-1 declaration.
iconv -f WINDOWS-1252 -t UTF-8 "$F/latin1.rss" >"$T/false-latin1.rss"
ex "$T/false-latin1.rss" >"$T/fl.json" 2>"$T/err"
check "a Latin-1 declaration on UTF-8 bytes is read as UTF-8" \
    [ "$(docs "$T/fl.json" 'd["title"]')" = "Café du quai rouvre" ]

# UTF-16 with a BOM: probed through its ASCII, read by libxml2.
printf '<?xml version="1.0" encoding="UTF-16"?>\n<rss version="2.0"><channel><title>Sixteen</title><item><title>Wide caf\303\251 item</title><guid>w1</guid><description>Sixteen bits.</description></item></channel></rss>\n' |
    iconv -f UTF-8 -t UTF-16 >"$T/wide.xml"
ex "$T/wide.xml" >"$T/w.json" 2>"$T/err"
check "a UTF-16 feed (BOM, no .rss name) goes to feed and reads right" \
    [ "$(docs "$T/w.json" '(d["plugin"], d["title"], d["outlet"])')" = "('feed', 'Wide café item', 'Sixteen')" ]

ex "$F/broken.xml" >"$T/b.json" 2>"$T/err"; rc=$?
check "a feed cut off mid-item: recovered, HTML entities read, .xml claimed by content" \
    [ "$rc" = 0 -a "$(docs "$T/b.json" '(len(docs), d["title"], d["body"], d["date"])')" = "(2, 'Slipway repaired at last', 'The slipway reopened on Tuesday — boats can launch again.', None)" ]
check "the recovered XML error and the bad date are logged" \
    [ -n "$(grep 'XML error recovered at line' "$T/err")" -a -n "$(grep '"yesterday afternoon" dropped' "$T/err")" ]

ex "$F/dates.rss" >"$T/d.json" 2>"$T/err"
check "dates: 11 RFC 822 and ISO 8601 forms normalised, 9 bad ones dropped" \
    [ "$(docs "$T/d.json" '[x["title"] for x in docs if x["title"] != (x["date"] or "none")]')" = "[]" -a "$(docs "$T/d.json" 'len(docs)')" = 20 ]

ex "$F/empty.rss" >"$T/e.json" 2>"$T/err"; rc=$?
check "a feed with no items: no document, said so, no crash (rc $rc)" \
    [ "$rc" = 1 -a ! -s "$T/e.json" -a -n "$(grep '"Nothing Yet" has no items' "$T/err")" ]

"$PYTHON3" -c 'import random, sys
random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(30000)))' >"$T/junk.rss"
ex "$T/junk.rss" >/dev/null 2>"$T/err"; rc=$?
check "binary junk named .rss: the feed plugin fails it with a reason (rc $rc)" \
    [ "$rc" = 1 -a -n "$(grep 'junk.rss.*feed: not an XML file' "$T/err")" ]

printf '<?xml version="1.0"?>\n<settings><colour>blue</colour></settings>\n' >"$T/settings.xml"
ex "$T/settings.xml" >"$T/s.json" 2>"$T/err"
check "an .xml file that is not a feed is not claimed by feed" \
    [ "$(grep -c '"plugin":"feed"' "$T/s.json")" = 0 ]
cp "$F/harbour.rss" "$T/harbour.txt"
printf '<!doctype html><html><head><title>Pier</title></head><body><p>A page named .rss is still a page, and it goes to html.</p></body></html>' >"$T/page.rss"
ex "$T/harbour.txt" "$T/page.rss" >"$T/p.json" 2>"$T/err"
check "probe by content: a feed named .txt is a feed, a page named .rss is html" \
    [ "$(docs "$T/p.json" '[x["plugin"] for x in docs]')" = "['feed', 'feed', 'feed', 'html']" ]

# A feed whose first item carries a whole HTML page: html scores 60 on the
# <html>/<body> it sees in the head, feed 95 on the root.
printf '<rss version="2.0"><channel><title>Pages</title><item><title>Embedded page</title><description><![CDATA[<!doctype html><html><head><title>x</title></head><body><p>A page inside an item.</p></body></html>]]></description></item></channel></rss>' >"$T/embedded"
ex "$T/embedded" >"$T/em.json" 2>"$T/err"
check "a feed carrying HTML pages in its items goes to feed, not html" \
    [ "$(docs "$T/em.json" '(d["plugin"], d["title"], d["body"])')" = "('feed', 'Embedded page', 'A page inside an item.')" ]

# External entities are never read, internal ones never expanded.
cat >"$T/xxe.rss" <<EOF
<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY secret SYSTEM "file://$T/secret.txt">
  <!ENTITY a "lol lol lol lol lol lol lol lol lol lol">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>Trap</title>
<item><title>Entities</title><description>before &secret; middle &g;&g;&g; after</description></item>
</channel></rss>
EOF
echo "TOPSECRETVALUE" >"$T/secret.txt"
SECONDS=0
ex "$T/xxe.rss" >"$T/x.json" 2>"$T/err"; rc=$?
check "external entity not read, entity bomb not expanded (rc $rc, ${SECONDS}s)" \
    [ "$rc" = 0 -a $SECONDS -lt 10 -a "$(docs "$T/x.json" '("TOPSECRET" in json.dumps(docs), "lol" in d["body"], "before" in d["body"])')" = "(False, False, True)" ]

# Duplicate ids and links: members stay unique.
"$PYTHON3" -c 'import sys
items = "".join("<item><title>Copy %d</title><guid>same</guid><link>https://x.example/same</link><description>text %d</description></item>" % (i, i) for i in range(4))
sys.stdout.write("<rss version=\"2.0\"><channel><title>Dups</title>%s</channel></rss>" % items)' >"$T/dups.rss"
ex "$T/dups.rss" >"$T/u.json" 2>"$T/err"
check "repeated guid and link: every item still indexed under its own member" \
    [ "$(docs "$T/u.json" '[x["member"] for x in docs]')" = "['same', 'https://x.example/same', 'item-3', 'item-4']" ]

# Deep markup inside an item, and a large feed: bounded time.
n=100000; [ "${SD_VALGRIND:-0}" = 1 ] && n=5000
"$PYTHON3" -c 'import sys, html; n = int(sys.argv[1])
body = "<div><b>" * n + "Deep words survive." + "</b></div>" * n
sys.stdout.write("<rss version=\"2.0\"><channel><title>Deep</title><item><title>Deep</title><description>%s</description></item></channel></rss>" % html.escape(body))' "$n" >"$T/deep.rss"
SECONDS=0
ex "$T/deep.rss" >"$T/dp.json" 2>"$T/err"; rc=$?
check "deeply nested HTML in an item: a document within 30 s (rc $rc, ${SECONDS}s)" \
    [ "$rc" = 0 -a $SECONDS -lt 30 -a "$(docs "$T/dp.json" 'd["title"]')" = Deep ]
n=5000; [ "${SD_VALGRIND:-0}" = 1 ] && n=300
"$PYTHON3" -c 'import sys; n = int(sys.argv[1])
items = "".join("<item><title>Story %d</title><guid>s%d</guid><pubDate>Tue, 19 Nov 2019 10:00:00 GMT</pubDate><description>&lt;p&gt;Paragraph of story %d with a few words.&lt;/p&gt;</description></item>\n" % (i, i, i) for i in range(n))
sys.stdout.write("<rss version=\"2.0\"><channel><title>Big</title>%s</channel></rss>" % items)' "$n" >"$T/big.rss"
SECONDS=0
ex "$T/big.rss" >"$T/bg.json" 2>"$T/err"; rc=$?
check "a feed of $n items: $n documents (rc $rc, ${SECONDS}s)" \
    [ "$rc" = 0 -a "$(wc -l <"$T/bg.json")" = "$n" ]
check "the last of the $n items is whole" \
    [ "$(tail -n 1 "$T/bg.json" | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(d["title"], d["body"], d["date"])')" = "Story $((n - 1)) Paragraph of story $((n - 1)) with a few words. 2019-11-19T10:00:00Z" ]

cleanup
