#!/bin/sh
# searchd.conf(5): the daemon's settings and [watch DIR] sections are
# read, the command line overrides them, and a mistake stops the start
# with the file and line named.
. "$top_srcdir/tests/e2e/lib.sh"
plan 14

mkdir -p "$T/spool" "$T/other"
printf 'Monsoon floods\n\nHeavy monsoon rain in Sindh.\n' >"$T/spool/m.txt"
printf 'Cricket scores\n\nA cricket report.\n' >"$T/other/c.txt"
C=$SEARCHD_CONFIG

# bad TEXT LINE WHAT: searchd refuses to start, naming the place.
bad() {
    printf '%b' "$1" >"$C"
    "$SEARCHD" --foreground --socket "$T/bad.sock" --index "$T/badindex" \
        --plugin-dir "$SD_PLUGIN_DIR" >"$T/out" 2>"$T/err"
    st=$?
    if [ $st -ne 0 ] && [ ! -e "$T/bad.sock" ] &&
        grep -qF "$C:$2: " "$T/err" && grep -qF "$3" "$T/err"; then
        ok "refused at line $2: $3"
    else
        not_ok "refused at line $2: $3 (exit $st)"
        diag "$(cat "$T/err")"
    fi
}
bad 'workers = 2\n# comment\nworkrs = 4\n' 3 "unknown key 'workrs'"
bad '[watch /no/such/folder]\n' 1 "No such file or directory"
bad "[watch $T/spool]\nshards = 2\n" 2 "only outlet and lang"
bad 'deadline = soon\n' 1 "want seconds"

# --check-config: the same checks, and nothing else.
"$SEARCHD" --check-config >"$T/out" 2>"$T/err"; st=$?
check "--check-config on a broken file: exit 2 with its line" \
    sh -c "[ $st = 2 ] && grep -qF '$C:1: ' '$T/err'"
printf 'workers = 2\n' >"$C"
"$SEARCHD" --check-config >"$T/out" 2>"$T/err"; st=$?
check "--check-config on a good file: exit 0, 'ok'" \
    sh -c "[ $st = 0 ] && grep -qxF '$C: ok' '$T/out'"

# --config names a file that must exist.
"$SEARCHD" --foreground --config "$T/missing.conf" --socket "$T/bad.sock" \
    >/dev/null 2>"$T/err"
st=$?
check "--config with a missing file: exit 2, says so" \
    sh -c "[ $st = 2 ] && grep -q 'missing.conf: No such file' '$T/err'"

# A good file: folders with their defaults; the command line's --socket
# (from start_daemon) overrides the file's.
cat >"$C" <<CONF
# searchd settings for the test
socket = $T/not-this.sock
commit-interval = 0.2
log-level = info

[watch spool]
outlet = "The Test Times"
lang = en

[watch "$T/other"]
CONF
start_daemon || bail "searchd did not start with a config file"
wait_idle || bail "the config's folders were not indexed"
check "the command line's socket wins over the file's" [ ! -e "$T/not-this.sock" ]
check "both [watch] folders are indexed" \
    sh -c '"$0" --socket "$1" monsoon >/dev/null && "$0" --socket "$1" cricket >/dev/null' \
    "$SEARCHC" "$SOCK"
sc --json monsoon >"$T/m.json"
check "the folder's outlet default is applied" \
    "$PYTHON3" -c 'import json,sys; h=json.load(open(sys.argv[1]))["hits"][0]; assert h["outlet"]=="The Test Times", h' "$T/m.json"
check "the log says where the settings came from" \
    grep -qF "settings from $C" "$T/daemon.log"
stop_and_check

# --no-config ignores the file (its folders too).
start_daemon --no-config || bail "searchd did not start with --no-config"
# The index is the same one, so the documents stay; nothing is watched:
printf 'Zebra crossing\n\nA zebra story.\n' >"$T/other/z.txt"
sleep 1.5
"$SEARCHC" --socket "$SOCK" zebra >/dev/null 2>&1; st=$?
check "--no-config: a new file in the file's folder is not indexed" [ $st = 1 ]
stop_and_check
