#!/bin/sh
# `make install`: binaries, plugins in the package plugin folder (no .la),
# the public header, its pkg-config file and the man pages; then the
# example plugin of doc/plugins.md (doc/examples/example-outlet.c) is built
# out of tree with nothing but the one pkg-config line, dropped into the
# installed plugin folder, and the installed searchd and searchc use it.
. "$top_srcdir/tests/e2e/lib.sh"
: "${MAKE:=make}"
: "${CC:=cc}"
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"
plan 20

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
check "man pages searchc(1), searchd(8), searchd-plugin(7) are installed" \
    [ -f "$D$SD_MANDIR/man1/searchc.1" -a -f "$D$SD_MANDIR/man8/searchd.8" \
      -a -f "$D$SD_MANDIR/man7/searchd-plugin.7" ]
check "installed searchd names the plugin folder as its default" \
    sh -c "'$D$SD_BINDIR/searchd' --help | grep -qF '(default $SD_PLUGINDIR)'"

PC="env PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$D$SD_LIBDIR/pkgconfig pkg-config"
check "pkg-config knows searchd-plugin and its plugindir" \
    [ "$($PC --variable=plugindir searchd-plugin)" = "$D$SD_PLUGINDIR" ]


# The walk-through's example, built from its file in the source tree with
# exactly the line doc/plugins.md gives (plus -Werror and a strict
# standard, so a warning in the example fails here).
EX=$top_srcdir/doc/examples/example-outlet.c
mkdir -p "$T/oot"
cp "$EX" "$T/oot/example-outlet.c"
(cd "$T/oot" &&
    $CC -std=c99 -Wall -Wextra -Werror \
        $($PC --cflags searchd-plugin) -shared -fPIC \
        -o example-outlet.so example-outlet.c) 2>"$T/cc.log"
st=$?
check "the example plugin builds out of tree with pkg-config --cflags alone" \
    [ $st = 0 ]
[ $st = 0 ] || diag "$(cat "$T/cc.log")"
# Every symbol it needs from outside is glibc's: it links nothing of searchd.
check "it needs nothing but libc" \
    sh -c "nm -D --undefined-only '$T/oot/example-outlet.so' >'$T/nm' &&
           ! awk '\$1 == \"U\" && \$2 !~ /@GLIBC_/' '$T/nm' | grep -q ."

# Dropped into the installed plugin folder, beside the bundled plugins.
PD=$D$SD_PLUGINDIR
cp "$T/oot/example-outlet.so" "$PD/"
FX=$top_srcdir/tests/fixtures/outlet/harbour-herald.txt
"$D$SD_BINDIR/searchd" --extract --plugin-dir "$PD" "$FX" \
    >"$T/out.json" 2>"$T/err"
st=$?
check "installed searchd --extract takes the fixture with it" [ $st = 0 ]
[ $st = 0 ] || diag "$(cat "$T/err")"
# field EXPR: a Python expression on the one document, d.
field() {
    "$PYTHON3" -c 'import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
print(eval(sys.argv[2]))' "$T/out.json" "$1"
}
check "the example wins the probe over the bundled plugins" \
    [ "$(field 'd["plugin"]')" = harbour-herald ]
check "title, authors, date and outlet come from the header block" \
    [ "$(field '[d["title"], d["authors"], d["date"], d["outlet"]]')" = \
      "['Lighthouse keepers return to Gullrock after forty years', ['Marta Quillfeather', 'Oskar Brennvik'], '2024-03-14', 'Harbour Herald']" ]
check "the body has both paragraphs, unwrapped, and no subscription footer" \
    [ "$(field '[d["body"].count("\n\n"), "storms." in d["body"], "Subscribe" in d["body"], "spring, the harbour" in d["body"]]')" = \
      "[1, True, False, True]" ]

# A real daemon, the installed binaries, the installed plugin folder.
SEARCHD=$D$SD_BINDIR/searchd
SEARCHC=$D$SD_BINDIR/searchc
mkdir -p "$T/spool"
cp "$FX" "$T/spool/3f9a0c1d.txt"
printf 'Ferries run late again\n\nThe harbour ferry was late on Monday.\n' \
    >"$T/spool/other.txt"
if start_daemon --plugin-dir "$PD" --watch "$T/spool" && wait_idle; then
    ok "installed searchd indexes a spool with the example plugin"
    check "searchc finds it by title" \
        sh -c "'$SEARCHC' --socket '$SOCK' 'title:lighthouse' | grep -q 'Gullrock'"
    check "searchc finds it by author" \
        sh -c "'$SEARCHC' --socket '$SOCK' 'author:quillfeather' | grep -q 'Lighthouse keepers'"
    check "the author matches that one article only" \
        [ "$(sc 'author:quillfeather' | grep -c '^[0-9]*\. ')" = 1 ]
    check "the dropped subscription footer is not searchable" \
        [ "$(sc 'subscribe' | grep -c '^[0-9]*\. ')" = 0 ]
    stop_and_check
else
    not_ok "installed searchd indexes a spool with the example plugin"
    for i in 1 2 3 4 5; do not_ok "skipped: no daemon"; done
fi
