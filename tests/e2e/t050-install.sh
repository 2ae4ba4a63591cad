#!/bin/sh
# `make install`: binaries, plugins in the package plugin folder (no .la),
# the public header, its pkg-config file and the man pages; then an
# out-of-tree plugin built with nothing but pkg-config and that header is
# loaded by the installed searchd.
. "$top_srcdir/tests/e2e/lib.sh"
: "${MAKE:=make}"
: "${CC:=cc}"
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"
plan 11

D=$T/dest
$MAKE -s -C "$top_builddir" install DESTDIR="$D" >"$T/install.log" 2>&1
st=$?
check "make install DESTDIR=... succeeds" [ $st = 0 ]
[ $st = 0 ] || diag "$(tail -20 "$T/install.log")"

check "searchd and searchc are installed" \
    [ -x "$D$SD_BINDIR/searchd" -a -x "$D$SD_BINDIR/searchc" ]
check "the three plugins are in the plugin folder" \
    [ -f "$D$SD_PLUGINDIR/plaintext.so" -a -f "$D$SD_PLUGINDIR/geo-news.so" \
      -a -f "$D$SD_PLUGINDIR/business-standard.so" ]
check "no libtool archives are left beside them" \
    [ -z "$(ls "$D$SD_PLUGINDIR" | grep -v '\.so$')" ]
check "the plugin header and protocol header are installed" \
    [ -f "$D$SD_INCLUDEDIR/searchd/plugin.h" -a -f "$D$SD_INCLUDEDIR/searchd/protocol.h" ]
check "man pages searchc(1) and searchd(8) are installed" \
    [ -f "$D$SD_MANDIR/man1/searchc.1" -a -f "$D$SD_MANDIR/man8/searchd.8" ]
check "installed searchd names the plugin folder as its default" \
    sh -c "'$D$SD_BINDIR/searchd' --help | grep -qF '(default $SD_PLUGINDIR)'"

PC="env PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$D$SD_LIBDIR/pkgconfig pkg-config"
check "pkg-config knows searchd-plugin and its plugindir" \
    [ "$($PC --variable=plugindir searchd-plugin)" = "$D$SD_PLUGINDIR" ]

# The example plugin from the header's own comment, built out of tree.
mkdir -p "$T/oot"
cat >"$T/oot/news_example.c" <<'C'
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <searchd/plugin.h>

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    (void)path;
    return len >= 5 && memcmp(head, "NEWS:", 5) == 0 ? 90 : 0;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    (void)path;
    if (n < 0)
        return -errno;
    if (sink->begin(sink->host, NULL) < 0)
        return -ENOMEM;
    sink->add_text(sink->host, SD_FIELD_TITLE, "A title", 7);
    sink->add_text(sink->host, SD_FIELD_BODY, buf, (size_t)n);
    return sink->end(sink->host);
}

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI, .size = sizeof(struct sd_plugin),
    .name = "news_example", .version = "1.0",
    .probe = probe, .extract = extract,
};
SD_PLUGIN_DEFINE(desc)
C
$CC -std=c99 -Wall -Wextra -Werror $($PC --cflags searchd-plugin) -shared -fPIC \
    -o "$T/oot/news_example.so" "$T/oot/news_example.c" 2>"$T/cc.log"
st=$?
check "an out-of-tree plugin builds with pkg-config --cflags alone" [ $st = 0 ]
[ $st = 0 ] || diag "$(cat "$T/cc.log")"

printf 'NEWS: out of tree works\n' >"$T/news.txt"
"$D$SD_BINDIR/searchd" --extract --plugin-dir "$T/oot" "$T/news.txt" \
    >"$T/out.json" 2>"$T/err"
check "installed searchd --extract uses it" \
    grep -q '"plugin": *"news_example"' "$T/out.json"
check "and extracts its body" grep -q 'out of tree works' "$T/out.json"
