#!/bin/sh
# 20 Newsgroups from ../shared: all 18,846 posts through a watched folder,
# every one a document by the usenet plugin, none failed; the group and
# the author of known posts come out right, quotes are not indexed as
# the replier's text.
. "$top_srcdir/tests/e2e/lib.sh"

TARBALL=$SD_SHARED_DIR/corpora/20news-bydate/20news-bydate.tar.xz
[ -f "$TARBALL" ] || skip_all "no 20 Newsgroups corpus at $TARBALL (CI has ../shared)"
if [ "${SD_VALGRIND:-0}" = 1 ]; then
    skip_design "18,846 documents take too long under valgrind; the plain and ASan runs cover it"
fi
plan 8

mkdir -p "$T/spool"
tar -xJf "$TARBALL" -C "$T/spool"
check "the corpus has 18,846 files" \
    test "$(find "$T/spool" -type f | wc -l)" = 18846

check "searchd starts watching it" start_daemon --watch "$T/spool"
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 900 ] || break; done
sc --json --status >"$T/status"
check "18,846 documents, none failed" "$PYTHON3" -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["documents"] == 18846 and s["failed"] == 0, s
' "$T/status"

# The first post of the FAQ: author, title and group from the headers.
sc --json --all --limit 20 'title:"atheist resources"' >"$T/faq.json"
check "alt.atheism/49960 has its author, title and outlet" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
h = [h for h in r["hits"] if h["path"].endswith("alt.atheism/49960")]
assert h, r
h = h[0]
assert h["authors"] == ["mathew"], h
assert h["title"] == "Alt.Atheism FAQ: Atheist Resources", h
assert h["outlet"] == "Usenet", h
' "$T/faq.json"
sc --json --all --limit 1000 'keyword:sci.space' >"$T/space.json"
check "the newsgroup is a keyword: keyword:sci.space finds its 987 posts" \
    "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
paths = [h["path"] for h in r["hits"]]
assert len(paths) == 987, len(paths)
assert all("/sci.space/" in p for p in paths), [p for p in paths if "/sci.space/" not in p][:3]
' "$T/space.json"
sc --json --all --limit 1 'outlet:usenet' >"$T/usenet.json"
check "every post is in outlet Usenet" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"] == 18846 and r["total_exact"], r["total"]
' "$T/usenet.json"
# Only the quoted line of a reply carries these words; the reply itself
# must not be found by them (fields checked in check_outlets; here: no
# "writes:" attribution line is a snippet's start).
check "no snippet starts with an attribution line" \
    sh -c "! '$SEARCHC' --socket '$SOCK' --json --limit 200 'writes' | grep -q '\"snippet\":\"In article <'"
stop_and_check
