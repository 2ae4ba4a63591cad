#!/bin/sh
# A rescan must keep every file it still sees, whatever the names: the
# walk lists "x/1.txt" before "x.1.txt" ('/' sorts after '.'), and the
# list of files to keep must still be searched in the right order, or
# files would be forgotten and re-extracted at every start.
. "$top_srcdir/tests/e2e/lib.sh"
plan 6

mkdir -p "$T/spool/x" "$T/spool/x.d"
for i in 1 2 3 4 5 6; do
    printf 'Note %s\n\nInside the folder, item %s.\n' $i $i >"$T/spool/x/$i.txt"
    printf 'Note %s\n\nBeside the folder, item %s.\n' $i $i >"$T/spool/x.$i.txt"
    printf 'Note %s\n\nIn the other folder, item %s.\n' $i $i >"$T/spool/x.d/$i"
    printf 'Note %s\n\nAfter it, item %s.\n' $i $i >"$T/spool/x0$i.txt"
done
scan() { start_daemon --watch "$T/spool" && wait_idle; }
check "the first scan finishes" scan
check "24 documents" test "$(st documents)" = 24
stop_daemon TERM
check "a restart's scan finishes" scan
check "a restart finds all 24 unchanged" test "$(st unchanged_files)" = 24
check "and re-extracts none" test "$(st indexed_files)" = 0
stop_and_check
