#!/bin/bash
# A watched folder that goes away (as an unmounted disk does) keeps its
# documents, shows as a folder_missing fault, and is watched and
# rescanned within seconds when it comes back; an add of the missing
# folder is the way to forget it.  A folder missing at start is refused
# (a typo is likelier than a disk not mounted yet).
. "$top_srcdir/tests/e2e/lib.sh"
plan 13

D=$T/disk/news
mkdir -p "$D"
for i in 1 2 3 4; do
    printf 'Note %d\n\nThe token fm%dzq marks it.\n' $i $i >"$D/n$i.txt"
done
missing() { sc --json --status | grep -q '"folder_missing"'; }

start_daemon --watch "$D" --settle 50 && wait_idle
check "4 files indexed" test "$(st documents)" = 4
mv "$D" "$T/away"
check "the folder's going shows in status" eventually missing
check "its documents are kept" test "$(st documents)" = 4
check "and still found" eval 'sc fm3zq | grep -q n3.txt'
check "the log says it" \
    grep -q "the watched folder is gone; keeping its documents" "$T/daemon.log"

stop_daemon
if start_daemon --watch "$D" 2>/dev/null; then
    not_ok "a start naming a missing folder is refused"; stop_daemon
else
    check "a start naming a missing folder is refused (exit 2)" \
        test "$DSTATUS" = 2
fi
check "the message names the folder" \
    eval 'grep -q -- "--watch $D: .*No such file" "$T/daemon.log"'
mv "$T/away" "$D"
start_daemon --watch "$D" --settle 50 && wait_idle
mv "$D" "$T/away"
eventually missing

# It comes back changed: one file gone, one new.
rm "$T/away/n1.txt"
printf 'Note 5\n\nThe token fm5zq marks it.\n' >"$T/away/n5.txt"
mv "$T/away" "$D"
check "its return clears the fault within seconds" \
    eventually eval '! missing'
check "and it is rescanned: the new file is found" \
    eventually eval 'sc fm5zq | grep -q n5.txt'
check "the file gone meanwhile is forgotten" \
    eventually eval '[ "$(st documents)" = 4 ] && ! sc fm1zq >/dev/null 2>&1'
printf 'Note 6\n\nThe token fm6zq marks it.\n' >"$D/n6.txt"
check "it is watched again" eventually eval 'sc fm6zq | grep -q n6.txt'

# Gone for good: an add of the missing folder forgets it.
rm -rf "$D"
eventually missing
sc --add "$D" >/dev/null 2>&1
check "an add of the missing folder forgets its documents" \
    eventually eval '[ "$(st documents)" = 0 ]'
stop_and_check
