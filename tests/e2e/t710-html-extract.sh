#!/bin/sh
# The html plugin on small hand-written pages: charsets (declared Latin-1,
# a BOM, a false UTF-8 declaration, a false Latin-1 one), JSON-LD and
# <meta> metadata, page furniture removed; and robustness: an empty page,
# binary junk named .html, deep nesting and a 10 MB page finish quickly,
# with a document or a clear error.
. "$top_srcdir/tests/e2e/lib.sh"
plan 21

H=$SD_DATA_DIR/html
# Under SD_VALGRIND=1 the extraction itself runs under valgrind (exit 66
# on an error or a definite leak), as the plugin does all its work there.
ex() {
    if [ "${SD_VALGRIND:-0}" = 1 ] && [ -n "${VALGRIND:-}" ]; then
        "$VALGRIND" --quiet --error-exitcode=66 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite \
            "$SEARCHD" --extract --plugin-dir "$SD_PLUGIN_DIR" "$@"
    else
        "$SEARCHD" --extract --plugin-dir "$SD_PLUGIN_DIR" "$@"
    fi
}
# field FILE EXPR: evaluate a Python expression on the document d.
field() {
    "$PYTHON3" - "$1" "$2" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
print(eval(sys.argv[2]))
PY
}

ex "$H/latin1-meta.html" >"$T/l1.json" 2>"$T/err"
check "Latin-1 declared by http-equiv is read as Latin-1" \
    [ "$(field "$T/l1.json" '"café on the quay, run by Renée Müller" in d["body"] and d["title"]')" = "Café owners cheer pier plan" ]
ex "$H/bom.html" >"$T/bom.json" 2>"$T/err"
check "a UTF-8 BOM page without a declaration" \
    [ "$(field "$T/bom.json" 'd["title"]')" = "Naïve hopes cheer pier plan" ]
ex "$H/wrong-charset.html" >"$T/wc.json" 2>"$T/err"
check "declared UTF-8 on Windows-1252 bytes falls back to Windows-1252" \
    [ "$(field "$T/wc.json" '"Renée Müller, says \u201cthe pier is our future\u201d." in d["body"]')" = True ]
ex "$H/wrong-latin1.html" >"$T/wl.json" 2>"$T/err"
check "declared Latin-1 on UTF-8 bytes is read as UTF-8" \
    [ "$(field "$T/wl.json" '"Renée Müller" in d["body"] and "Ã" not in d["body"]')" = True ]

ex "$H/jsonld.html" >"$T/ld.json" 2>"$T/err"
check "JSON-LD: headline, authors split and cleaned, before <meta author>" \
    [ "$(field "$T/ld.json" '(d["plugin"], d["title"], d["authors"])')" = "('html', 'Council backs pier rebuild', ['Jane Roe', 'John Doe', 'Ann Lee'])" ]
check "JSON-LD: date, publisher as outlet, canonical URL, language" \
    [ "$(field "$T/ld.json" '(d["date"], d["outlet"], d["url"], d["lang"])')" = "('2021-03-04T05:06:07+01:00', 'The Harbour Gazette', 'https://news.example.org/2021/03/pier-vote', 'en')" ]
ex "$H/future-date.html" >"$T/fd.json" 2>"$T/err"
check "future and implausible dates refused, <time> used; outlet from the host" \
    [ "$(field "$T/fd.json" '(d["date"], d["outlet"], d["authors"])')" = "('2020-05-05', 'tidings.example.com', ['MARY MAJOR'])" ]

ex "$H/bylines.html" >"$T/by.json" 2>"$T/err"
check "bylines: no \"Analysis by\", desk, job title or glued date; long day name" \
    [ "$(field "$T/by.json" '(d["authors"], d["date"], d["outlet"])')" = "(['Jane Roe', 'April Ryan'], '2019-11-19', 'Harbour Gazette')" ]

check "paragraphs of zero-width and no-break spaces only are dropped" \
    [ "$(field "$T/by.json" '(d["body"].count("\n\n"), "\u200b" in d["body"])')" = "(2, False)" ]

ex "$H/junk.html" >"$T/junk.json" 2>"$T/err"
check "junk page: the article paragraphs, subheading and list are kept" \
    [ "$(field "$T/junk.json" 'all(s in d["body"] for s in ("rebuild the old stone pier", "Work starts in spring", "landing stage for the island ferry", "packed public meeting"))')" = True ]
check "junk page: no script, style, nav, share, cookie, related, comment, footer text" \
    [ "$(field "$T/junk.json" '[w for w in ("SCRIPT","STYLE","COOKIE","HEADER","NAV","SHARE","NEWSLETTER","ASIDE","RELATED","COMMENT","FOOTER") if "BOILER" + w in d["body"]]')" = "[]" ]
check "junk page: the h1 headline is the title, not body text" \
    [ "$(field "$T/junk.json" '(d["title"], "Pier rebuild approved" in d["body"])')" = "('Pier rebuild approved', False)" ]

# Probe by content: an HTML page named .txt still goes to html.
cp "$H/junk.html" "$T/page.txt"
ex "$T/page.txt" >"$T/p.json" 2>"$T/err"
check "probe: HTML content wins whatever the file name" \
    [ "$(field "$T/p.json" 'd["plugin"]')" = html ]

# Robustness: each must end quickly, with a document or a clear error.
: >"$T/empty.html"
ex "$T/empty.html" >/dev/null 2>"$T/err"; rc=$?
check "empty .html: exit 1 naming the file" \
    test "$rc" = 1 -a -n "$(grep 'empty.html' "$T/err")"
"$PYTHON3" -c 'import random, sys
random.seed(6); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(50000)))' >"$T/junk.html"
ex "$T/junk.html" >/dev/null 2>"$T/err"; rc=$?
check "binary junk named .html: exit 1 naming the file, no crash" \
    test "$rc" = 1 -a -n "$(grep 'junk.html' "$T/err")"
# "<html>" then the junk: html takes it and must not crash either.
{ printf '<!doctype html><html><body><p>'; cat "$T/junk.html"; } >"$T/junk2.html"
ex "$T/junk2.html" >/dev/null 2>"$T/err"; rc=$?
check "binary junk after a doctype: a result or a clear error (rc $rc)" \
    test "$rc" -le 1

# The fuzzer's find (doc/fuzzing.md): a class as long as the buffer the
# plugin scores class and id in wrote one byte past it (the sanitizer and
# valgrind passes would see it).
ex "$SD_DATA_DIR/fuzz/plugin-html/long-class-and-id.html" >"$T/cls.json" 2>"$T/err"; rc=$?
check "a class attribute over the scoring buffer: text kept (rc $rc)" \
    [ "$rc" = 0 -a "$(field "$T/cls.json" '"rebuild the pier" in d["body"]')" = True ]

# Deep nesting: gumbo is quadratic in depth; the plugin must bound it.
n=50000; [ "${SD_VALGRIND:-0}" = 1 ] && n=5000
"$PYTHON3" -c 'import sys; n = int(sys.argv[1])
sys.stdout.write("<!doctype html><html><body>" + "<div><b><i>" * n +
    "Deep text, nested far below the body, still reaches the index." +
    "</i></b></div>" * n + "</body></html>")' "$n" >"$T/deep.html"
SECONDS=0
ex "$T/deep.html" >"$T/deep.json" 2>"$T/err"; rc=$?
check "deeply nested tags: text kept, within 60 s (rc $rc, ${SECONDS}s)" \
    [ "$rc" = 0 -a $SECONDS -lt 60 -a "$(field "$T/deep.json" '"Deep text, nested far below" in d["body"]')" = True ]

# One tag with 40,000 attributes: the parser compares each with the ones
# before it (7.9 s before such tags lost their attributes), so it must
# not see them.
"$PYTHON3" -c 'import sys
a = " ".join("data-a%d=\"x\"" % i for i in range(40000))
p = "<p>" + "The ferry left the harbour on time again today. " * 20 + "</p>"
sys.stdout.write("<html><head><title>Attributes</title></head><body><article>"
                 "<div %s>%s</div>%s</article></body></html>" % (a, p, p))' >"$T/attrs.html"
SECONDS=0
ex "$T/attrs.html" >"$T/attrs.json" 2>"$T/err"; rc=$?
check "a tag with 40,000 attributes: text kept, within 5 s (rc $rc, ${SECONDS}s)" \
    [ "$rc" = 0 -a $SECONDS -lt 5 -a "$(field "$T/attrs.json" 'd["body"].count("The ferry left")')" = 40 ]

# A 10 MB page (2 MB under valgrind).
mb=10; [ "${SD_VALGRIND:-0}" = 1 ] && mb=2
"$PYTHON3" -c 'import sys
p = "<p>Paragraph %d of a very long page, with enough words in it to count as text.</p>\n"
out, i, size = [], 0, int(sys.argv[1]) << 20
n = 0
while n < size:
    s = p % i; out.append(s); n += len(s); i += 1
sys.stdout.write("<!doctype html><html><head><title>Long</title></head><body><article>" +
                 "".join(out) + "</article></body></html>")
sys.stderr.write("%d\n" % i)' "$mb" >"$T/big.html" 2>"$T/big.count"
paras=$(cat "$T/big.count")
SECONDS=0
ex "$T/big.html" >"$T/big.json" 2>"$T/err"; rc=$?
check "$mb MB page: extracted within 60 s (rc $rc, ${SECONDS}s)" \
    [ "$rc" = 0 -a $SECONDS -lt 60 ]
check "$mb MB page: all $paras paragraphs, the last one included" \
    [ "$(field "$T/big.json" '(d["body"].count("Paragraph "), "Paragraph %d of" % ('"$paras"' - 1) in d["body"])')" = "($paras, True)" ]
