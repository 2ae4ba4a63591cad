#!/bin/sh
# The query language through searchc on real articles: BBC News (plain
# text, outlet from --outlet, undated) and Reuters-21578 (dated, with
# places and keywords).  Phrases, upper-case operators only, fields,
# date ranges and --since/--until, --outlet, facets that add up, sort by
# date, paging, and bad_query with the position of the problem.
. "$top_srcdir/tests/e2e/lib.sh"

BBC=$SD_SHARED_DIR/corpora/bbc-news
TARBALL=$SD_SHARED_DIR/corpora/reuters21578/reuters21578.tar.xz
[ -d "$BBC/business" ] || skip_all "no BBC corpus at $BBC (CI has ../shared)"
[ -f "$TARBALL" ] || skip_all "no Reuters corpus at $TARBALL (CI has ../shared)"
plan 30

# Three of the 22 Reuters files (3,000 articles, 1987-02-26 to 03-09) and
# all 2,225 BBC articles index in seconds.  Under valgrind a third of
# that (reut2-000.sgm: 1,000 articles, 02-26 to 03-03, and the 510 BBC
# business articles) keeps every check meaningful and the run short.
mkdir -p "$T/corpus" "$T/reuters"
tar -xJf "$TARBALL" -C "$T/corpus"
if [ "${SD_VALGRIND:-0}" = 1 ]; then
    diag "valgrind: a subset (reut2-000.sgm and BBC business)"
    cp "$T/corpus/reuters21578/reut2-000.sgm" "$T/reuters/"
    mkdir -p "$T/bbc"
    cp -R "$BBC/business" "$T/bbc/"
    BBCDIR=$T/bbc
else
    cp "$T/corpus/reuters21578/"reut2-00[0-2].sgm "$T/reuters/"
    BBCDIR=$BBC
fi
rm -rf "$T/corpus"

check "searchd indexes BBC News and Reuters" \
    start_daemon --watch "$BBCDIR" --outlet "BBC News" --watch "$T/reuters"
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 1200 ] || break; done
sc --json --status >"$T/status"
nbbc=$(find "$BBCDIR" -type f ! -name '.*' | wc -l)

# py SCRIPT ARGS...: run a Python check; r(path) loads a JSON reply.
py() {
    script=$1; shift
    "$PYTHON3" -c "
import json, sys
def r(p):
    return json.load(open(p))
$script" "$@"
}
# j NAME SEARCHC-ARGS...: the JSON reply of a search, in $T/NAME.json.
# With facets, which count every match, so totals are exact and can be
# added up; with every copy of a story (--all), so totals count documents
# as facets do (t460 tests folding copies).
j() { name=$1; shift; sc --json --facets --all "$@" >"$T/$name.json"; }

j reuters --limit 1 "lang:en"
j bbc --limit 1 "outlet:bbc"
check "every document indexed: the BBC files and the Reuters articles" py '
s, reu, bbc = r(sys.argv[1]), r(sys.argv[2]), r(sys.argv[3])
assert s["failed"] == 0, s
assert bbc["total"] == int(sys.argv[4]), (bbc["total"], sys.argv[4])
assert reu["total"] > 0 and reu["total_exact"], reu
assert s["documents"] == bbc["total"] + reu["total"], (s, reu, bbc)
' "$T/status" "$T/reuters.json" "$T/bbc.json" "$nbbc"

# ---- words, phrases and operators ---------------------------------------
j words --limit 1000 "oil prices"
j phrase --limit 1000 '"oil prices"'
j rphrase --limit 1000 '"prices oil"'
check "a phrase finds fewer articles than its words, each one among them" py '
w, p, rp = r(sys.argv[1]), r(sys.argv[2]), r(sys.argv[3])
key = lambda h: (h["path"], h.get("member"))
assert 0 < p["total"] < w["total"], (p["total"], w["total"])
assert {key(h) for h in p["hits"]} <= {key(h) for h in w["hits"]}
assert {key(h) for h in p["hits"]} != {key(h) for h in rp["hits"]}
' "$T/words.json" "$T/phrase.json" "$T/rphrase.json"
j oil --limit 1 oil
j crude --limit 1 "oil crude"
j and_word --limit 1 "oil and gas"
j and_op --limit 1 "oil AND gas"
j plain --limit 1 "oil gas"
j or_op --limit 1 "oil OR gas"
j not_op --limit 1 "oil NOT gas"
check "\"and\" in lower case is a word; AND, OR, NOT are operators" py '
a, A, plain, o, n = (r(p) for p in sys.argv[1:6])
assert A["total"] == plain["total"], (A["total"], plain["total"])
assert 0 < a["total"] < A["total"], (a["total"], A["total"])
assert o["total"] > A["total"], (o["total"], A["total"])
assert n["total"] + A["total"] == r(sys.argv[6])["total"], "NOT + AND != oil"
' "$T/and_word.json" "$T/and_op.json" "$T/plain.json" "$T/or_op.json" \
  "$T/not_op.json" "$T/oil.json"
j near --limit 1000 "oil NEAR prices"
j group --limit 1 "(cocoa OR coffee) AND prices"
j cocoa_p --limit 1 "cocoa prices"
j coffee_p --limit 1 "coffee prices"
check "NEAR and groups" py '
near, g, c1, c2, w = (r(p) for p in sys.argv[1:6])
assert r(sys.argv[6])["total"] <= near["total"] <= w["total"], near["total"]
assert max(c1["total"], c2["total"]) <= g["total"] <= c1["total"] + c2["total"]
' "$T/near.json" "$T/group.json" "$T/cocoa_p.json" "$T/coffee_p.json" \
  "$T/words.json" "$T/phrase.json"
j wild --limit 1000 "negotiat*"
check "negotiat* matches negotiate, negotiations, negotiators" py '
w = r(sys.argv[1])
import re
assert w["total"] > 0, w["total"]
words = set()
for h in w["hits"]:
    words |= {m.lower() for m in re.findall(r"<b>([^<]*)</b>", h["snippet"])}
assert all(m.startswith("negotiat") for m in words), words
assert len(words) >= 2, words
' "$T/wild.json"
j plusminus --limit 1000 "+oil -crude"
check "+must -mustnot" py '
pm, oil, crude = r(sys.argv[1]), r(sys.argv[2]), r(sys.argv[3])
assert pm["total"] + crude["total"] == oil["total"], (pm, crude, oil)
assert all("<b>crude</b>" not in h["snippet"].lower() for h in pm["hits"])
' "$T/plusminus.json" "$T/oil.json" "$T/crude.json"

# ---- fields ------------------------------------------------------------
j title --limit 1000 "title:cocoa"
j place --limit 1000 "place:london"
j kw --limit 1000 "keyword:cocoa"
check "title:, place: and keyword: look in their field only" py '
t, p, k = r(sys.argv[1]), r(sys.argv[2]), r(sys.argv[3])
assert t["total"] > 0 and all("cocoa" in h["title"].lower() for h in t["hits"])
assert p["total"] > 0 and all("london" in h["place"].lower() for h in p["hits"]), p["total"]
assert k["total"] > 0
' "$T/title.json" "$T/place.json" "$T/kw.json"
check "outlet:bbc and lang:en split the two corpora" py '
bbc, reu, s = r(sys.argv[1]), r(sys.argv[2]), r(sys.argv[3])
assert bbc["total"] + reu["total"] == s["documents"]
' "$T/bbc.json" "$T/reuters.json" "$T/status"

# ---- dates -------------------------------------------------------------
j d_day --limit 1000 "oil date:1987-03-02"
j d_range --limit 1000 "oil date:1987-03-01..1987-03-02"
j d_month --limit 1000 "date:1987-03"
j d_year --limit 1 "date:1987"
j d_from --limit 1 "date:1987-03-02.."
j d_to --limit 1 "date:..1987-03-01"
check "date ranges keep only articles of those days" py '
day, rng, month = r(sys.argv[1]), r(sys.argv[2]), r(sys.argv[3])
assert day["total"] > 0
assert all(h["date"].startswith("1987-03-02") for h in day["hits"])
assert all(h["date"][:10] in ("1987-03-01", "1987-03-02") for h in rng["hits"])
assert rng["total"] >= day["total"]
assert all(h["date"].startswith("1987-03") for h in month["hits"])
' "$T/d_day.json" "$T/d_range.json" "$T/d_month.json"
check "open-ended ranges split the year exactly (partial dates cover their period)" py '
year, a, b, reu = (r(p) for p in sys.argv[1:5])
assert year["total"] == reu["total"], (year["total"], reu["total"])
assert a["total"] > 0 and b["total"] > 0
assert a["total"] + b["total"] == year["total"], (a["total"], b["total"])
' "$T/d_year.json" "$T/d_from.json" "$T/d_to.json" "$T/reuters.json"
j since --limit 1000 --since 1987-03-02 --until 1987-03-02 oil
check "--since and --until filter like date:" py '
a, b = r(sys.argv[1]), r(sys.argv[2])
key = lambda h: (h["path"], h.get("member"))
assert [key(h) for h in a["hits"]] == [key(h) for h in b["hits"]]
' "$T/since.json" "$T/d_day.json"
rc=0; sc --since 1987-02-30 oil >/dev/null 2>"$T/bad_since.err" || rc=$?
check "a bad --since: exit 3, bad_request naming \"since\"" sh -c \
    "test $rc -eq 3 && grep -q 'bad_request.*\"since\"' '$T/bad_since.err'"

# ---- outlet filter, facets --------------------------------------------
j outlet --limit 1000 --outlet "bbc news" --facets oil
j facets --limit 5 --facets oil
check "--outlet keeps one outlet (any case), and its facet agrees" py '
o, f = r(sys.argv[1]), r(sys.argv[2])
assert o["total"] > 0 and all(h["outlet"] == "BBC News" for h in o["hits"])
counts = {e["value"]: e["count"] for e in f["facets"]["outlet"]}
assert counts["BBC News"] == o["total"], (counts, o["total"])
assert [e["value"] for e in o["facets"]["outlet"]] == ["BBC News"]
' "$T/outlet.json" "$T/facets.json"
check "facets cover the whole result set: outlets add up to total" py '
f = r(sys.argv[1])
assert f["total_exact"] and len(f["hits"]) == 5
assert sum(e["count"] for e in f["facets"]["outlet"]) == f["total"], f["facets"]
assert set(e["value"] for e in f["facets"]["outlet"]) == {"BBC News", "Reuters"}
' "$T/facets.json"
check "years count the dated (Reuters) matches" py '
f = r(sys.argv[1])
reu = {e["value"]: e["count"] for e in f["facets"]["outlet"]}["Reuters"]
assert f["facets"]["year"] == [{"value": "1987", "count": reu}], f["facets"]
' "$T/facets.json"
sc --facets --all --limit 2 oil >"$T/facets.out"
check "searchc prints the facets under the hits" sh -c "
grep -q '^outlet: .*Reuters [0-9]' '$T/facets.out' &&
grep -q '^year: 1987 [0-9]' '$T/facets.out' &&
tail -n 1 '$T/facets.out' | grep -q '^2 of [0-9]* hits$'"

# ---- sort and paging ---------------------------------------------------
j newest --limit 1000 --sort newest oil
j oldest --limit 1000 --sort oldest oil
check "--sort newest: dates never rise, undated last" py '
h = r(sys.argv[1])["hits"]
d = [x["date"] for x in h if x["date"]]
assert d == sorted(d, reverse=True) and len(set(d)) > 1
first_undated = next(i for i, x in enumerate(h) if not x["date"])
assert all(not x["date"] for x in h[first_undated:])
assert r(sys.argv[1])["sort"] == "newest"
' "$T/newest.json"
check "--sort oldest: dates never fall, undated last" py '
h = r(sys.argv[1])["hits"]
d = [x["date"] for x in h if x["date"]]
assert d == sorted(d) and len(set(d)) > 1
first_undated = next(i for i, x in enumerate(h) if not x["date"])
assert all(not x["date"] for x in h[first_undated:])
' "$T/oldest.json"
check "equal dates go by relevance" py '
h = r(sys.argv[1])["hits"]
for a, b in zip(h, h[1:]):
    if a["date"] == b["date"]:
        assert a["score"] >= b["score"], (a, b)
' "$T/newest.json"
j page_all --limit 30 --sort newest oil
j page_1 --limit 10 --sort newest oil
j page_2 --limit 10 --offset 10 --sort newest oil
j page_3 --limit 10 --offset 20 --sort newest oil
check "pages join up into the longer list" py '
key = lambda h: (h["path"], h.get("member"), h["rank"])
whole = [key(h) for h in r(sys.argv[1])["hits"]]
parts = sum(([key(h) for h in r(p)["hits"]] for p in sys.argv[2:5]), [])
assert whole == parts and len(whole) == 30, (whole, parts)
' "$T/page_all.json" "$T/page_1.json" "$T/page_2.json" "$T/page_3.json"
sc --all --limit 10 --offset 10 --sort oldest oil >"$T/paging.out"
check "searchc says which hits and the order" sh -c \
    "tail -n 1 '$T/paging.out' | grep -q '^hits 11-20 of [0-9]*, oldest first$'"
j big --limit 1000 said
check "--limit 1000 gives up to 1000 hits" py '
b = r(sys.argv[1])
assert len(b["hits"]) == min(1000, b["total"]) and len(b["hits"]) > 100, len(b["hits"])
' "$T/big.json"
rc=0; sc --limit 1001 said >/dev/null 2>&1 || rc=$?
check "--limit 1001 is a usage error" test "$rc" -eq 2

# ---- refusals ----------------------------------------------------------
rc=0; sc --json "oil AND (gas" >"$T/badq.json" 2>/dev/null || rc=$?
check "an unclosed '(': bad_query at its position, exit 3" py '
e = r(sys.argv[1])["error"]
assert e["code"] == "bad_query" and e["position"] == 8, e
assert "position 8" in e["message"], e
assert sys.argv[2] == "3", sys.argv[2]
' "$T/badq.json" "$rc"
rc=0; sc 'palm "oil' >/dev/null 2>"$T/badq.err" || rc=$?
check "an unclosed quote: the message and a caret under it" sh -c "
test $rc -eq 3 && grep -q 'bad_query: the .\".* is never closed' '$T/badq.err' &&
grep -qx '       ^' '$T/badq.err'"
bad_position() {
    sc --json "$1" 2>/dev/null | "$PYTHON3" -c '
import json, sys
e = json.load(sys.stdin)["error"]
assert e["code"] == "bad_query" and e["position"] == int(sys.argv[1]), e
' "$2"
}
check "a dangling AND" bad_position "oil AND" 4
check "two operators in a row" bad_position "oil OR OR gas" 7
bad_dates() {
    bad_position "oil date:1987-02-30" 9 &&
        bad_position "date:1987-03..1987-02" 5
}
check "a bad date and a reversed range" bad_dates
stop_and_check
