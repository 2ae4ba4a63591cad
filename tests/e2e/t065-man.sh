#!/bin/sh
# Man pages: every page in doc/ renders with man(1) without a single troff
# warning (all warning kinds, in the C and a UTF-8 locale, at a fixed
# width), its .TH names it with the section its file name says, and it
# has the NAME and SYNOPSIS sections whatis(1) and readers expect.
. "$top_srcdir/tests/e2e/lib.sh"
command -v man >/dev/null ||
    skip_all "man (man-db) is not installed; scripts/install-deps.sh has it"
man --help 2>&1 | grep -q -- '--warnings' ||
    skip_all "this man has no --warnings (not man-db)"

# groff picks the output device from the locale (ascii or utf8): both.
LOCALES=C
if locale -a 2>/dev/null | grep -qi '^c\.utf-\{0,1\}8$'; then
    LOCALES="C C.UTF-8"
else
    diag "no C.UTF-8 locale: checking the C locale only"
fi

pages=$(ls "$top_srcdir"/doc/*.[1-9] 2>/dev/null)
[ -n "$pages" ] || bail "no man pages in doc/"
n=0
for p in $pages; do n=$((n + 1)); done
nloc=0
for l in $LOCALES; do nloc=$((nloc + 1)); done
plan $((n * (nloc + 2)))

for p in $pages; do
    f=${p##*/}
    for l in $LOCALES; do
        LC_ALL=$l MANWIDTH=80 MANPAGER=cat PAGER=cat \
            man --warnings=w -l "$p" >"$T/out" 2>"$T/err"
        st=$?
        if [ $st = 0 ] && [ ! -s "$T/err" ] && [ -s "$T/out" ]; then
            ok "$f renders without warnings (LC_ALL=$l)"
        else
            not_ok "$f renders without warnings (LC_ALL=$l; exit $st)"
            diag "$(cat "$T/err")"
        fi
    done
    # file "searchd.conf.5": .TH SEARCHD.CONF 5
    name=${f%.*}
    sec=${f##*.}
    th=$(sed -n 's/^\.TH \([^ ]*\) \([^ ]*\) .*/\1 \2/p' "$p" | head -1)
    want="$(echo "$name" | tr '[:lower:]' '[:upper:]') $sec"
    check "$f: .TH says \"$want\"" [ "$th" = "$want" ]
    check "$f has NAME and SYNOPSIS sections naming $name" \
        sh -c "grep -q '^\\.SH NAME' '$p' && grep -q '^\\.SH SYNOPSIS' '$p' &&
               sed -n '/^\\.SH NAME/{n;p;}' '$p' | tr -d '\\\\' |
               grep -qF '$name - '"
done
