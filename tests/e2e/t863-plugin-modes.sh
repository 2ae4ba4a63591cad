#!/bin/sh
# Plugins run as searchd: like sshd's StrictModes, a plugin file or
# folder that someone other than root or searchd's user could change is
# refused, with one log line naming it and why; the others still load.
. "$top_srcdir/tests/e2e/lib.sh"
plan 10

mkdir -p "$T/plugins"
chmod 755 "$T/plugins"
for p in plaintext usenet geo-news smart; do
    cp "$SD_PLUGIN_DIR/$p.so" "$T/plugins/"
    chmod 755 "$T/plugins/$p.so"
done
chmod o+w "$T/plugins/usenet.so"
# A group other than the owner's own, writable: refused.
if [ "$(id -u)" = 0 ]; then OG=4246; else
    OG=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -n 1); fi
if [ -n "$OG" ]; then
    chgrp "$OG" "$T/plugins/geo-news.so" && chmod g+w "$T/plugins/geo-news.so"
fi
# Owned by another user (only root can give a file away).
[ "$(id -u)" = 0 ] && chown 65534 "$T/plugins/smart.so"

# plugins: the names status lists.
plugins() {
    sc --json --status | "$PYTHON3" -c \
        'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["plugins"]))'
}

check "searchd starts with a plugin folder holding unsafe files" \
    start_daemon --plugin-dir "$T/plugins"
check "a world-writable plugin is refused, with the reason" \
    grep -q "plugins: usenet.so: writable by others (mode 0757); skipped" \
    "$T/daemon.log"
if [ -n "$OG" ]; then
    check "a plugin writable by another group is refused" \
        grep -q "plugins: geo-news.so: writable by group $OG (mode 0775); skipped" \
        "$T/daemon.log"
else
    skip_point "a plugin writable by another group (we are in one group only)"
fi
if [ "$(id -u)" = 0 ]; then
    check "a plugin owned by another user is refused" \
        grep -q "plugins: smart.so: owned by uid 65534, neither root nor searchd's user (uid 0); skipped" \
        "$T/daemon.log"
    want=plaintext
else
    skip_point "a plugin owned by another user (not root)"
    want="plaintext smart"
fi
[ -z "$OG" ] && want=$(echo "geo-news $want")
check "only the safe plugins load: $want" test "$(plugins)" = "$want"
stop_daemon TERM

# The folder itself writable by others: nothing from it.
chmod 755 "$T/plugins"/*.so
[ "$(id -u)" = 0 ] && chown 0 "$T/plugins/smart.so"
chgrp "$(id -g)" "$T/plugins"/*.so
chmod o+w "$T/plugins"
check "searchd starts with a world-writable plugin folder" \
    start_daemon --plugin-dir "$T/plugins"
check "the folder is refused, naming it" \
    grep -q "plugins: folder $T/plugins: writable by others (mode 0757); no plugin loaded from it" \
    "$T/daemon.log"
check "no plugin is loaded" test -z "$(plugins)"
chmod o-w "$T/plugins"
sc --reload >/dev/null
check "made safe, a reload loads them all" \
    test "$(plugins)" = "geo-news plaintext smart usenet"
stop_and_check
