#!/bin/sh
# `searchd --extract`: the plugins run on files without a daemon and print
# one JSON object per document.
. "$top_srcdir/tests/e2e/lib.sh"
plan 8

S=$SD_DATA_DIR/samples
"$SEARCHD" --extract --plugin-dir "$SD_PLUGIN_DIR" \
    "$S/000_ab6247428a11f59d.txt" "$S/002_fdfd5999a0eb1361.txt" >"$T/out.json" 2>"$T/err"
check "--extract on both samples exits 0" [ $? = 0 ]

# field FILE-INDEX EXPR: evaluate a Python expression on document d.
field() {
    "$PYTHON3" - "$T/out.json" "$1" "$2" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
d = docs[int(sys.argv[2])]
print(eval(sys.argv[3]))
PY
}
check "one JSON object per sample" [ "$(wc -l <"$T/out.json")" = 2 ]
check "Business Standard dump goes to business-standard" \
    [ "$(field 0 'd["plugin"]')" = business-standard ]
check "Geo News dump goes to geo-news" [ "$(field 1 'd["plugin"]')" = geo-news ]
check "every field is present" \
    [ "$(field 1 'sorted(k for k in ("title","authors","date","outlet","body","plugin_version") if k in d) == sorted(("title","authors","date","outlet","body","plugin_version"))')" = True ]
check "Geo News title, authors and place" \
    [ "$(field 1 '(d["title"], d["authors"], d["place"])')" = "('Afghan peace: Biden administration assures Pakistan of continued assistance', ['Web Desk'], 'RAWALPINDI')" ]
check "body paragraphs are separated by blank lines" \
    [ "$(field 1 'd["body"].count("\n\n") >= 5')" = True ]

# Binary junk: no plugin wants it; a clear error and exit 1.
"$SEARCHD" --extract --plugin-dir "$SD_PLUGIN_DIR" \
    "$SD_DATA_DIR/binary/junk.bin" >/dev/null 2>"$T/err"; rc=$?
check "binary file: exit 1 with a reason naming the file" \
    test "$rc" = 1 -a -n "$(grep 'junk.bin' "$T/err")"
