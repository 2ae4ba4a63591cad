#!/bin/sh
# Broken plugins beside good ones: each is refused with one log line naming
# its file, the good ones load, and their files are indexed as usual.
. "$top_srcdir/tests/e2e/lib.sh"
plan 12

mkdir -p "$T/plugins" "$T/spool"
cp "$SD_PLUGIN_DIR"/*.so "$T/plugins/"
for f in bad_abi short_size no_entry no_extract marker; do
    cp "$SD_FIXTURE_DIR/$f.so" "$T/plugins/"
done
# Plugins load in file-name order and the first of a name wins: make the
# impostor of "plaintext" come after the real one.
cp "$SD_FIXTURE_DIR/dup_name.so" "$T/plugins/zz_dup_name.so"
cp "$SD_DATA_DIR"/samples/*.txt "$T/spool/"
cp "$SD_DATA_DIR/marker/one.txt" "$T/spool/marker.txt"

check "searchd starts with broken plugins in its folder" \
    start_daemon --plugin-dir "$T/plugins" --watch "$T/spool"
check "initial scan finishes" wait_idle
for f in bad_abi short_size no_entry no_extract zz_dup_name; do
    check "log names the refused $f.so" \
        test "$(grep -c "plugins: $f.so: " "$T/daemon.log")" = 1
done
sc --json --status >"$T/status"
check "status lists exactly the good plugins" "$PYTHON3" -c '
import json, sys
names = sorted(p["name"] for p in json.load(open(sys.argv[1]))["plugins"])
assert names == ["business-standard", "feed", "geo-news", "html", "marker",
                 "plaintext", "reuters-sgml", "smart", "usenet"], names
' "$T/status"
check "a file for the marker plugin is indexed by it" \
    sh -c '"$0" --socket "$1" --json marker | grep -q "\"plugin\":\"marker\""' "$SEARCHC" "$SOCK"
check "the samples are still indexed" \
    test "$(sc 'Afghan peace process' | grep -c '^[0-9]*\. ')" = 2
check "status counts 3 documents" \
    sh -c '"$0" --socket "$1" --json --status | grep -q "\"documents\":3"' "$SEARCHC" "$SOCK"
stop_and_check
