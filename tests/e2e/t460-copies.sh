#!/bin/sh
# Copies of one story shown once: the exact duplicates of the BBC News
# corpus (found here with sha256sum), near copies made by editing a few
# words of BBC articles, and copies under another outlet from a second
# watched folder; --all shows every copy, --copies lists them, and an
# article on the same topic with other words is never folded.
. "$top_srcdir/tests/e2e/lib.sh"

BBC=$SD_SHARED_DIR/corpora/bbc-news
[ -d "$BBC/politics" ] || skip_all "no BBC corpus at $BBC (CI has ../shared)"
plan 15

# Byte-for-byte duplicates: "path path" per group of two or more files.
(cd "$BBC" && sha256sum */*.txt) | sort >"$T/sums"
awk 'prev == $1 { print first, $2 } { if (prev != $1) first = $2; prev = $1 }' \
    "$T/sums" >"$T/dups"
check "the corpus has exact duplicates ($(wc -l <"$T/dups") pairs)" \
    test -s "$T/dups"
read -r DUP_A DUP_B <"$T/dups"
cut -d' ' -f1,2 "$T/dups" | tr ' ' '\n' >"$T/in-dups"
# The first article of a folder that has no exact duplicate.
first_single() {
    for f in "$BBC/$1"/*.txt; do
        rel=${f#"$BBC"/}
        grep -qx "$rel" "$T/in-dups" || { echo "$rel"; return; }
    done
}
X=$(first_single business)
Y=$(first_single tech)
# politics/069.txt and politics/311.txt are one file twice, 312.txt the
# same story rewritten in places (another title, some sentences), and
# 294.txt another article on the same strike.
STRIKE="politics/069.txt politics/311.txt politics/312.txt politics/294.txt"

# Under valgrind index a few articles instead of all 2,225.
if [ "${SD_VALGRIND:-0}" = 1 ]; then
    SRC=$T/bbc
    for rel in $DUP_A $DUP_B $X $Y $STRIKE $(sed -n '2,6p' "$T/sums" |
                                            cut -d' ' -f3); do
        mkdir -p "$SRC/${rel%/*}"
        cp "$BBC/$rel" "$SRC/$rel"
    done
else
    SRC=$BBC
fi

# edit FILE N...: FILE with body words N... (counted from the first word
# after the title) replaced by "edited".
edit() {
    "$PYTHON3" - "$@" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
words = set(int(n) for n in sys.argv[2:])
k = 0
for i in range(2, len(lines)):
    out = []
    for w in lines[i].split(" "):
        k += w != ""
        out.append("edited" if w != "" and k in words else w)
    lines[i] = " ".join(out)
sys.stdout.write("\n".join(lines))
PY
}
mkdir "$T/near" "$T/other"
edit "$BBC/$X" 15 60 110 >"$T/near/x-edited.txt"
cp "$BBC/$X" "$T/other/x-copy.txt"
edit "$BBC/$Y" 30 90 >"$T/other/y-edited.txt"

check "searchd starts watching the corpus and two more folders" \
    start_daemon --watch "$SRC" --outlet "BBC News" \
    --watch "$T/near" --outlet "BBC News" \
    --watch "$T/other" --outlet "Other Outlet"
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 1200 ] || break; done
check "initial scan finishes" wait_idle

# title FILE: a query for the title of FILE.
title() { printf 'title:(%s)' "$(head -n 1 "$1" | tr -d '"()')"; }

# The duplicate pair: one hit, counted, listed; both with --all.
sc --json --limit 100 --copies "$(title "$BBC/$DUP_A")" >"$T/dup.json"
check "an exact duplicate pair shows once, with 1 copy" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
a, b = sys.argv[2], sys.argv[3]
mine = [h for h in r["hits"] if h["path"].endswith(a) or h["path"].endswith(b)]
assert len(mine) == 1, mine
h = mine[0]
assert h["copies"] == 1 and h["also_in"] == [], h
other = b if h["path"].endswith(a) else a
assert [c["path"].endswith(other) and c["exact"] for c in h["copy_list"]] == [True], h
' "$T/dup.json" "$DUP_A" "$DUP_B"
sc --json --limit 100 --all "$(title "$BBC/$DUP_A")" >"$T/dup-all.json"
check "--all shows both files of the pair" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = sorted(h["path"][-len(sys.argv[2]):] for h in r["hits"]
           if h["path"].endswith(sys.argv[2]) or h["path"].endswith(sys.argv[3]))
assert p == sorted(sys.argv[2:4]), p
assert all("copies" not in h for h in r["hits"]), r
' "$T/dup-all.json" "$DUP_A" "$DUP_B"
check "searchc says \"also 1 copy\"" \
    sh -c '"$0" --socket "$1" "$2" | grep -qx "   also 1 copy"' \
    "$SEARCHC" "$SOCK" "$(title "$BBC/$DUP_A")"

# X: the original, an edited copy (same outlet), a copy in Other Outlet.
sc --json --limit 100 --copies "$(title "$BBC/$X")" >"$T/x.json"
check "an edited copy and another outlet's copy fold into one hit" \
    "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["hits"]) == 1, [h["path"] for h in r["hits"]]
h = r["hits"][0]
assert h["copies"] == 2, h
outlets = sorted([h["outlet"]] + h["also_in"])
assert outlets == ["BBC News", "Other Outlet"], h
# The original and x-copy.txt are exact copies; x-edited.txt is near.
kinds = sorted(c["exact"] for c in h["copy_list"])
assert kinds == [False, True], h["copy_list"]
' "$T/x.json"
check "searchc says \"also in 1 outlet: Other Outlet\"" \
    sh -c '"$0" --socket "$1" "$2" | grep -Eq "^   also in 1 outlet: (Other Outlet|BBC News) \(2 copies\)$"' \
    "$SEARCHC" "$SOCK" "$(title "$BBC/$X")"
sc --json --limit 100 --all "$(title "$BBC/$X")" >"$T/x-all.json"
check "--all shows the three copies" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["hits"]) == 3, [h["path"] for h in r["hits"]]
' "$T/x-all.json"

# Y: edited and carried by Other Outlet.
sc --json --limit 100 "$(title "$BBC/$Y")" >"$T/y.json"
check "an edited copy in another outlet folds, with \"also_in\"" \
    "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["hits"]) == 1, [h["path"] for h in r["hits"]]
h = r["hits"][0]
assert h["copies"] == 1, h
assert sorted([h["outlet"]] + h["also_in"]) == ["BBC News", "Other Outlet"], h
' "$T/y.json"

# The strike stories: 069 = 311 exactly, 312 nearly; 294 is its own.
sc --json --limit 100 --copies "pension strike" >"$T/strike.json"
check "a rewritten version folds; another article on the topic does not" \
    "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
def rel(p): return "/".join(p.split("/")[-2:])
by = {rel(h["path"]): h for h in r["hits"]}
group = [h for h in r["hits"]
         if rel(h["path"]) in ("politics/069.txt", "politics/311.txt", "politics/312.txt")]
assert len(group) == 1, [rel(h["path"]) for h in group]
h = group[0]
members = sorted([rel(h["path"])] + [rel(c["path"]) for c in h["copy_list"]])
assert members == ["politics/069.txt", "politics/311.txt", "politics/312.txt"], members
assert "politics/294.txt" in by, sorted(by)
assert by["politics/294.txt"]["copies"] == 0, by["politics/294.txt"]
' "$T/strike.json"

# Totals: folding takes copies off; paging never shows a story twice.
sc --json --limit 1 --all "pension strike" >"$T/strike-all1.json"
sc --json --limit 1 "pension strike" >"$T/strike-1.json"
# Every match fits the window folding reads, so the count is exact.
check "the folded total is the total less the two copies" "$PYTHON3" -c '
import json, sys
a = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2]))
assert f["total"] == a["total"] - 2, (f["total"], a["total"])
assert f["total_exact"] is True, f
' "$T/strike-all1.json" "$T/strike-1.json"
: >"$T/paged"
for off in 0 2 4 6 8 10; do
    sc --json --limit 2 --offset $off "pension strike" >>"$T/paged" || :
    echo >>"$T/paged"
done
check "pages of the folded list never repeat a story" "$PYTHON3" -c '
import json, sys
paths = []
for line in open(sys.argv[1]):
    if line.strip():
        paths += [h["path"] for h in json.loads(line)["hits"]]
assert len(paths) == len(set(paths)), paths
strike = [p for p in paths if p.endswith(("politics/069.txt", "politics/311.txt", "politics/312.txt"))]
assert len(strike) == 1, strike
' "$T/paged"
check "--all with --copies is a usage error" \
    sh -c '"$0" --socket "$1" --all --copies x 2>/dev/null; [ $? = 2 ]' \
    "$SEARCHC" "$SOCK"
stop_and_check
