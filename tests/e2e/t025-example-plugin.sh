#!/bin/sh
# The walk-through's example plugin (doc/examples/example-outlet.c), built
# in the tree with this build's flags (so sanitizers and valgrind watch it),
# on its fixture and on the awkward variants a real export produces:
# CRLF lines, no final newline, an unreadable date, a missing byline,
# lists of authors, an empty and an oversized file.
. "$top_srcdir/tests/e2e/lib.sh"
EXDIR=$top_builddir/doc/examples/.libs
[ -f "$EXDIR/example-outlet.so" ] || bail "example-outlet.so not built"
FX=$top_srcdir/tests/fixtures/outlet/harbour-herald.txt
plan 16

# ex FILE...: searchd --extract with the example alone (under valgrind
# with SD_VALGRIND=1); JSON on $T/out.json, messages on $T/err.
ex() {
    if [ "${SD_VALGRIND:-0}" = 1 ] && [ -n "${VALGRIND:-}" ]; then
        set -- "$VALGRIND" --quiet --error-exitcode=66 --leak-check=full \
            --errors-for-leak-kinds=definite "$SEARCHD" --extract \
            --plugin-dir "$EXDIR" "$@"
    else
        set -- "$SEARCHD" --extract --plugin-dir "$EXDIR" "$@"
    fi
    "$@" >"$T/out.json" 2>"$T/err"
}
# field EXPR: a Python expression on the first document, d.
field() {
    "$PYTHON3" -c 'import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
print(eval(sys.argv[2]))' "$T/out.json" "$1"
}
fields='[d["plugin"], d["title"], d["authors"], d["date"], d["outlet"], d["keywords"], d["body"]]'

ex "$FX"; rc=$?
check "the fixture extracts (exit 0)" [ $rc = 0 ]
[ $rc = 0 ] || diag "$(cat "$T/err")"
want=$(field "$fields")
check "title, authors, ISO date, outlet and section keyword" \
    [ "$(field '[d["title"], d["authors"], d["date"], d["outlet"], d["keywords"]]')" = \
      "['Lighthouse keepers return to Gullrock after forty years', ['Marta Quillfeather', 'Oskar Brennvik'], '2024-03-14', 'Harbour Herald', ['coast']]" ]
check "two body paragraphs, each on one line, no footer" \
    [ "$(field '[len(d["body"].split("\n\n")), "\n" in d["body"].replace("\n\n", ""), "Subscribe" in d["body"]]')" = \
      "[2, False, False]" ]

# CRLF line ends give the same document.
sed 's/$/\r/' "$FX" >"$T/crlf.txt"
ex "$T/crlf.txt"; rc=$?
check "CRLF export: exit 0" [ $rc = 0 ]
check "CRLF export: the same fields as LF" [ "$(field "$fields")" = "$want" ]

# No final newline, no body: a document with a title is still one.
printf 'Title: Harbour closed\nBy: Desk\nDate: 2024-01-05' >"$T/nonl.txt"
ex "$T/nonl.txt"; rc=$?
check "header only, no final newline: exit 0" [ $rc = 0 ]
check "header only: title and ISO date kept, no body" \
    [ "$(field '[d["title"], d["date"], d["body"]]')" = \
      "['Harbour closed', '2024-01-05', None]" ]

# An unreadable date costs the date (with a warning), not the article.
printf 'Title: Storm\nBy: A. Writer, B. Writer and C. Writer\nDate: sometime in May\n\nWind.\n' \
    >"$T/baddate.txt"
ex "$T/baddate.txt"; rc=$?
check "unreadable date: exit 0" [ $rc = 0 ]
check "unreadable date: no date, three authors split on , and 'and'" \
    [ "$(field '[d["date"], d["authors"]]')" = \
      "[None, ['A. Writer', 'B. Writer', 'C. Writer']]" ]
check "unreadable date: a warning naming the plugin and the file" \
    sh -c "grep 'harbour-herald' '$T/err' | grep 'baddate.txt' | grep -q 'Date'"

# No byline: not this outlet's export, so no plugin wants it.
printf 'Title: Storm\nDate: 2024-05-01\n\nWind.\n' >"$T/noby.txt"
ex "$T/noby.txt"; rc=$?
check "no By: line: the example declines it (exit 1, 'no plugin')" \
    sh -c "[ $rc = 1 ] && grep -q 'no plugin wants this file' '$T/err'"

: >"$T/empty.txt"
ex "$T/empty.txt"; rc=$?
check "empty file: exit 1, said so" \
    sh -c "[ $rc = 1 ] && grep -q 'empty' '$T/err'"

# Over the example's own 4 MiB bound: a clean failure naming the plugin.
{ printf 'Title: Huge\nBy: X\nDate: 2024-05-01\n\n'
  head -c 5000000 /dev/zero | tr '\0' 'a'; } >"$T/huge.txt"
ex "$T/huge.txt"; rc=$?
check "oversized export: exit 1" [ $rc = 1 ]
check "oversized export: the reason names harbour-herald and the size" \
    grep -q 'harbour-herald failed: File too large' "$T/err"

# Among the bundled plugins it still takes its own files, and only those.
mkdir -p "$T/all"
cp "$SD_PLUGIN_DIR"/*.so "$EXDIR/example-outlet.so" "$T/all/"
"$SEARCHD" --extract --plugin-dir "$T/all" "$FX" "$T/noby.txt" \
    >"$T/out.json" 2>"$T/err"
check "with the bundled plugins it wins its fixture" \
    [ "$(field 'd["plugin"]')" = harbour-herald ]
check "and leaves a file without its header block to plaintext" \
    [ "$(sed -n 2p "$T/out.json" | grep -o '"plugin":"[a-z-]*"')" = '"plugin":"plaintext"' ]
