#!/bin/sh
# Spelling suggestions and "more like this" through searchc, on the BBC
# News corpus: a misspelt query gets the right "did you mean", --correct
# searches it, a correct query gets none; --like on an article finds
# articles of its own topic (the corpus is filed by topic), never itself,
# and --like on something not indexed is not_found.
. "$top_srcdir/tests/e2e/lib.sh"

BBC=$SD_SHARED_DIR/corpora/bbc-news
[ -d "$BBC/sport" ] || skip_all "no BBC corpus at $BBC (CI has ../shared)"
plan 12

mkdir -p "$T/spool"
# Under valgrind a part of it: two topics.
if [ "${SD_VALGRIND:-0}" = 1 ]; then
    cp -r "$BBC/sport" "$BBC/politics" "$T/spool/"
else
    cp -r "$BBC/business" "$BBC/entertainment" "$BBC/politics" "$BBC/sport" \
        "$BBC/tech" "$T/spool/"
fi
check "searchd indexes BBC News" \
    start_daemon --watch "$T/spool" --outlet "BBC News"
SECONDS=0
while ! wait_idle; do [ $SECONDS -lt 1200 ] || break; done

check "a misspelt query finds nothing and suggests the right words" \
    sh -c '! "$0" --socket "$1" "goverment electoin" 2>"$2/err1" &&
           grep -q "did you mean \"government election\"" "$2/err1"' \
    "$SEARCHC" "$SOCK" "$T"
sc --json "goverment electoin" >"$T/j1"
check "the reply carries the suggestion, not applied" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["suggestion"] == "government election" and r["corrected"] is False, r
assert r["total"] == 0, r
' "$T/j1"
check "--correct searches it: hits, and says so" \
    sh -c '"$0" --socket "$1" --correct "goverment electoin" >"$2/out2" &&
           head -1 "$2/out2" | grep -q "^Showing hits for \"government election\""' \
    "$SEARCHC" "$SOCK" "$T"
check "and its hits hold the corrected words" \
    grep -q "^1\. " "$T/out2"
sc --json "government election" >"$T/j3"
check "a correctly spelt query gets no suggestion" "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert "suggestion" not in r and r["total"] > 0, r
' "$T/j3"

# topic_share PATH: how many of the 10 hits like PATH are in its folder.
topic_share() {
    topic=$(basename "$(dirname "$1")")
    sc --json -n 10 --like "$1" | "$PYTHON3" -c '
import json, sys
r = json.load(sys.stdin)
paths = [h["path"] for h in r["hits"]]
assert sys.argv[1] not in paths, "the article itself is a hit"
print(sum(1 for p in paths if "/%s/" % sys.argv[2] in p))
' "$1" "$topic"
}
s1=$(topic_share "$T/spool/sport/010.txt")
check "--like a sport article: most of the 10 hits are sport ($s1)" \
    test "${s1:-0}" -ge 8
s2=$(topic_share "$T/spool/politics/010.txt")
# Politics shares words with business and tech, and this one (Scottish
# super-casinos) with Scottish sport: 6.  The terms come from exact
# frequencies, so the hits do not depend on the shard the path hashes to
# (with 1.4's default estimate from that shard alone they were 5 to 8).
check "--like a politics article: most are politics ($s2)" \
    test "${s2:-0}" -ge 6
check "--like with words: only hits that have them" \
    sh -c '"$0" --socket "$1" --json -n 5 --like "$2" football |
           grep -q "\"total\":[1-9]"' "$SEARCHC" "$SOCK" "$T/spool/sport/010.txt"
check "--like a relative path works from the current folder" \
    sh -c 'cd "$2/spool/sport" && "$0" --socket "$1" -n 1 --like 010.txt |
           grep -q "^1\. "' "$SEARCHC" "$SOCK" "$T"
sc --like "$T/nowhere.txt" 2>"$T/err4"
rc=$?
check "--like on a file not indexed: exit 3, not_found" \
    sh -c "test $rc = 3 && grep -q not_found '$T/err4'"
stop_and_check
