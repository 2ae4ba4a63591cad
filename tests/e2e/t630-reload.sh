#!/bin/sh
# Reload (SIGHUP and the reload op): the configuration file and the
# plugin folder are read again without dropping connections or the index.
# A plugin dropped in takes the files it knows, old and new, and the
# other files are only probed (in a worker), not extracted again; a
# plugin's new version re-extracts its files and no others; a new folder in the
# file is watched; a broken file changes nothing and says where it is
# broken; systemd hears RELOADING=1 then READY=1.
. "$top_srcdir/tests/e2e/lib.sh"
plan 18

mkdir -p "$T/plugins" "$T/spool" "$T/more"
cp "$SD_PLUGIN_DIR"/*.so "$T/plugins/"
printf 'MARKER\nAlpha report\nThe alpha body.\n' >"$T/spool/a.mk"
printf 'Monsoon floods\n\nHeavy monsoon rain in Sindh.\n' >"$T/spool/m.txt"
printf 'Gamma note\n\nA gamma story.\n' >"$T/more/g.txt"
for i in 1 2 3 4; do
    printf 'Plain note %s\n\nA plain story.\n' $i >"$T/spool/p$i.txt"
done
C=$SEARCHD_CONFIG
cat >"$C" <<CONF
log-level = info
[watch spool]
CONF

# plugin_of WORD: the plugin of the first hit for WORD.
plugin_of() {
    sc --json "$1" 2>/dev/null | "$PYTHON3" -c \
        'import json,sys; print(json.load(sys.stdin)["hits"][0]["plugin"])' \
        2>/dev/null
}
is_plugin() { [ "$(plugin_of "$1")" = "$2" ]; }

notify_listen "$T/notify.sock" "$T/n.log" || bail "no notify listener"
NOTIFY_SOCKET=$T/notify.sock start_daemon --plugin-dir "$T/plugins" ||
    bail "searchd did not start"
wait_idle || bail "the start-up scan did not finish"
check "without the marker plugin, plaintext takes the .mk file" \
    is_plugin alpha plaintext

# A connection open across the reload keeps working: ping on it, reload
# by SIGHUP, ping on it again.
indexed0=$(st indexed_files)
cp "$SD_FIXTURE_DIR/marker.so" "$T/plugins/"
check "a connection made before SIGHUP is answered after it" \
    "$PYTHON3" -c '
import os, signal, socket, sys, time
sock, pid, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rwb")
def ping(i):
    f.write(b"{\"v\":1,\"id\":%d,\"op\":\"ping\"}\n" % i); f.flush()
    assert b"\"ok\":true" in f.readline()
ping(1)
os.kill(pid, signal.SIGHUP)
for _ in range(600):
    if "reload: done" in open(log).read(): break
    time.sleep(0.1)
else: sys.exit("no reload in the log")
ping(2)
' "$SOCK" "$DPID" "$T/daemon.log"
check "SIGHUP: the dropped-in plugin takes the file it knows" \
    eventually is_plugin alpha marker
check "the other file stays with its plugin" is_plugin monsoon plaintext
wait_idle
indexed1=$(st indexed_files)
check "only the file the new plugin takes was extracted again ($indexed0 -> $indexed1)" \
    [ $((indexed1 - indexed0)) = 1 ]
check "the 6 files were probed in a worker, not by the daemon ($(st probed_files))" \
    [ "$(st probed_files)" = 6 ]
printf 'MARKER\nBeta report\nThe beta body.\n' >"$T/spool/b.mk"
check "a new file goes to the new plugin at once" \
    eventually is_plugin beta marker
check "RELOADING=1, then READY=1 again" \
    eventually sh -c "grep -x 'RELOADING=1' -A20 '$T/n.log' | grep -qx 'READY=1'"
check "the log says the plugins changed" \
    grep -q 'reload: done; [0-9]* plugins; plugins changed' "$T/daemon.log"

# A new version: only its files are extracted again.
wait_idle
before=$(st indexed_files)
cp "$SD_FIXTURE_DIR/marker_v2.so" "$T/plugins/.marker.new"
mv "$T/plugins/.marker.new" "$T/plugins/marker.so"
sc --reload >"$T/reload.out" 2>&1
check "searchc --reload answers" grep -q '^reloaded: [0-9]* plugins$' "$T/reload.out"
wait_idle
after=$(st indexed_files)
check "a new plugin version re-extracts its 2 files, not the others ($before -> $after)" \
    [ $((after - before)) = 2 ]

# A folder added to the file is watched after a reload.
printf '[watch more]\n' >>"$C"
sc --reload >/dev/null 2>&1
wait_idle
check "a folder added to the file is indexed after a reload" \
    eventually sh -c '"$0" --socket "$1" gamma >/dev/null' "$SEARCHC" "$SOCK"

# A broken file: refused with its place, nothing changes.
cp "$C" "$T/good.conf"
printf 'workers = many\n' >>"$C"
sc --reload >"$T/bad.out" 2>&1; rc=$?
check "a broken file: --reload exits 3 naming the file and line" \
    sh -c "[ $rc = 3 ] && grep -qF '$C:4:' '$T/bad.out' && grep -q bad_config '$T/bad.out'"
check "the daemon still answers with its plugins" is_plugin beta marker
check "the log says the settings in use stay" \
    grep -q "the settings in use stay" "$T/daemon.log"
cp "$T/good.conf" "$C"
kill -HUP "$DPID"
check "SIGHUP with a good file again: reloaded" \
    eventually sh -c "[ \$(grep -c 'reload: done' '$T/daemon.log') -ge 4 ]"
# The records now hold the plugin set: a restart probes nothing again.
wait_idle
stop_daemon
start_daemon --plugin-dir "$T/plugins" || bail "searchd did not restart"
wait_idle
check "after a restart no file is probed again ($(st probed_files))" \
    [ "$(st probed_files)" = 0 ]
stop_and_check
kill "$LPID" 2>/dev/null
