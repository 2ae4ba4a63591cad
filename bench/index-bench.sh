#!/usr/bin/env bash
# bench/index-bench.sh - the indexing benchmark (`make bench`): index the
# 20 Newsgroups and Reuters-21578 corpora with searchd and with baselines
# (omindex, recollindex, a bare Xapian loop), side by side in one run, and
# print wall time, documents/s, MiB/s, peak RSS of the whole process tree,
# index size, the ratios searchd / baseline against the targets, and
# searchd's query latency during and after a bulk load.  bench/README.md
# says what each figure means.
#
# Environment (`make bench` sets the first four):
#   top_builddir, top_srcdir   the build and source trees (default: the
#                              current folder and this script's parent)
#   SD_PLUGIN_DIR              searchd's plugins (default: the build's)
#   SD_SHARED_DIR              where corpora/ lives (default: ../shared
#                              beside the source tree)
#   BENCH_CORPORA=20ng,reuters which corpora
#   BENCH_TOOLS=searchd,omindex,recoll,floor   which indexers
#   BENCH_QUICK=1              only the first BENCH_QUICK_FILES (2000)
#                              files of 20NG, the first 2 .sgm files of
#                              Reuters (about 2000 articles)
#   BENCH_LATENCY=0            skip the query latency runs
#   BENCH_TIMEOUT=1800         seconds searchd may take for one load
#   BENCH_RESULTS=FILE         also write the figures as tab-separated rows
#   BENCH_TMPDIR=DIR           where to unpack and index (default: $TMPDIR)
#   BENCH_KEEP=1               keep the work folder (indexes, logs)
# Exit status: 0, 77 when no corpus is there (a skip), 2 for usage or a
# missing helper, 1 when searchd failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$PWD}
SEARCHD=$top_builddir/daemon/searchd
SEARCHC=$top_builddir/client/searchc
TREERSS=$top_builddir/bench/treerss
QLAT=$top_builddir/bench/qlat
FLOOR=$top_builddir/bench/xapian-floor
PLUGIN_DIR=${SD_PLUGIN_DIR:-$top_builddir/plugins/.libs}
SHARED=${SD_SHARED_DIR:-$top_srcdir/../shared}
CORPORA=${BENCH_CORPORA:-20ng,reuters}
TOOLS=${BENCH_TOOLS:-searchd,omindex,recoll,floor}
QUICK=${BENCH_QUICK:-0}
QUICK_FILES=${BENCH_QUICK_FILES:-2000}
LATENCY=${BENCH_LATENCY:-1}
TIMEOUT=${BENCH_TIMEOUT:-1800}
RESULTS=${BENCH_RESULTS:-}

# Targets from the issue, and the figures its author measured for 20NG.
TARGET_SPEEDUP=2            # searchd docs/s >= 2 x omindex docs/s
TARGET_RSS_MIB=200          # searchd peak RSS (daemon and workers) < 200 MB
REFERENCE="omindex ~680 docs/s, 340 MB peak RSS; recollindex ~800 docs/s, \
630 MB; bare single-threaded C++ Xapian loop ~950-1050 docs/s, 56 MB"

say() { printf 'index-bench: %s\n' "$*" >&2; }
die() { say "$*"; exit "${2:-2}"; }
has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }

for t in ${TOOLS//,/ }; do
    case $t in searchd|omindex|recoll|floor) ;;
    *) die "BENCH_TOOLS: unknown tool '$t' (searchd, omindex, recoll, floor)" ;;
    esac
done
for c in ${CORPORA//,/ }; do
    case $c in 20ng|reuters) ;;
    *) die "BENCH_CORPORA: unknown corpus '$c' (20ng, reuters)" ;;
    esac
done
for f in "$SEARCHD" "$SEARCHC" "$TREERSS" "$QLAT" "$FLOOR"; do
    [ -x "$f" ] || die "$f missing: run 'make bench' in the build folder"
done

archive_of() {
    case $1 in
    20ng) echo "$SHARED/corpora/20news-bydate/20news-bydate.tar.xz" ;;
    reuters) echo "$SHARED/corpora/reuters21578/reuters21578.tar.xz" ;;
    esac
}
title_of() {
    case $1 in
    20ng) echo "20 Newsgroups (20news-bydate)" ;;
    reuters) echo "Reuters-21578 (the 22 reut2-*.sgm files)" ;;
    esac
}
corpora=()
for c in ${CORPORA//,/ }; do
    if [ -f "$(archive_of "$c")" ]; then
        corpora+=("$c")
    else
        say "SKIP $c: no corpus at $(archive_of "$c")"
    fi
done
if [ ${#corpora[@]} -eq 0 ]; then
    say "SKIP: no corpus found under $SHARED/corpora (set SD_SHARED_DIR)"
    exit 77
fi

# ---- the work folder, and the processes we start ----------------------
if [ -n "${BENCH_TMPDIR:-}" ]; then
    work=$(mktemp -d -p "$BENCH_TMPDIR" searchd-bench.XXXXXX)
else
    work=$(mktemp -d -t searchd-bench.XXXXXX)
fi
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { printf '%s\n' "$EPOCHREALTIME"; }
# field NAME JSON: an integer or boolean member of a one-line JSON object.
field() {
    if [[ $2 =~ \"$1\":([0-9]+|true|false) ]]; then
        printf '%s\n' "${BASH_REMATCH[1]}"
    else
        printf '?\n'
    fi
}
# kv NAME LINE: the value of NAME=VALUE in a helper's report line.
kv() {
    if [[ $2 =~ (^|[[:space:]])$1=([^[:space:]]+) ]]; then
        printf '%s\n' "${BASH_REMATCH[2]}"
    else
        printf '?\n'
    fi
}
delve_docs() {
    if command -v xapian-delve >/dev/null; then
        xapian-delve "$1" 2>/dev/null |
            sed -n 's/^number of documents = //p' | grep . || echo '?'
    else
        echo '?'
    fi
}
du_kb() { du -sk "$1" | cut -f1; }

# result CORPUS TOOL DOCS WALL_S RSS_KB PROCS INDEX_KB: one row of figures.
result() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$work/results.tsv"; }
: >"$work/results.tsv"
: >"$work/latency.tsv"

# ---- corpora ---------------------------------------------------------------
# prepare CORPUS: unpack into $work/CORPUS and print the folder to index.
prepare() {
    local c=$1 dir
    mkdir -p "$work/$c"
    tar -xJf "$(archive_of "$c")" -C "$work/$c"
    case $c in
    20ng)
        dir=$work/$c
        if [ "$QUICK" = 1 ]; then
            find "$dir" -type f | LC_ALL=C sort | tail -n +$((QUICK_FILES + 1)) |
                tr '\n' '\0' | xargs -0 -r rm -f
        fi
        ;;
    reuters)
        # Only the articles: the DTD, category lists and READMEs go aside.
        dir=$work/$c/reuters21578
        mkdir -p "$work/$c/other"
        find "$dir" -type f ! -name 'reut2-*.sgm' -exec mv {} "$work/$c/other/" \;
        if [ "$QUICK" = 1 ]; then
            find "$dir" -type f | LC_ALL=C sort | tail -n +3 |
                tr '\n' '\0' | xargs -0 -r rm -f
        fi
        ;;
    esac
    printf '%s\n' "$dir"
}

# ---- searchd ---------------------------------------------------------------
# start_searchd DIR CORPUSDIR: start the daemon on a fresh index; sets
# dpid and sock.
start_searchd() {
    sock=$1/sock
    "$SEARCHD" --foreground --no-config --socket "$sock" --index "$1/index" \
        --plugin-dir "$PLUGIN_DIR" --watch "$2" 2>>"$1/daemon.log" &
    dpid=$!
    pids+=("$dpid")
}
# wait_loaded: poll status until the start-up scan is done and nothing is
# queued (searchd sets scan_done after the scan's last commit); sets
# status_json.  Fails when searchd dies or takes over BENCH_TIMEOUT.
wait_loaded() {
    local t_end
    t_end=$((EPOCHSECONDS + TIMEOUT))
    while :; do
        if status_json=$("$SEARCHC" --socket "$sock" --json --status 2>/dev/null) &&
            [ "$(field scan_done "$status_json")" = true ] &&
            [ "$(field queued "$status_json")" = 0 ]; then
            return 0
        fi
        kill -0 "$dpid" 2>/dev/null || { say "searchd died"; return 1; }
        [ "$EPOCHSECONDS" -lt "$t_end" ] ||
            { say "searchd not done after $TIMEOUT s: $status_json"; return 1; }
        sleep 0.05
    done
}
# wait_answering: until searchd answers a ping.
wait_answering() {
    local i=0
    until "$SEARCHC" --socket "$sock" --ping >/dev/null 2>&1; do
        kill -0 "$dpid" 2>/dev/null || { say "searchd died"; return 1; }
        i=$((i + 1))
        [ $i -lt 600 ] || { say "searchd not answering after 30 s"; return 1; }
        sleep 0.05
    done
}
stop_searchd() {
    kill -TERM "$dpid" 2>/dev/null || true
    wait "$dpid" || say "searchd exited with status $?"
}

run_searchd() {
    local c=$1 dir=$2 t0 t1 tpid rss docs
    local d=$work/run-searchd-$c
    mkdir -p "$d"
    sync
    t0=$(now)
    start_searchd "$d" "$dir"
    "$TREERSS" -p "$dpid" -o "$d/rss" &
    tpid=$!
    pids+=("$tpid")
    if ! wait_loaded; then
        tail -n 20 "$d/daemon.log" >&2
        kill "$tpid" 2>/dev/null || true
        stop_searchd
        return 1
    fi
    t1=$(now)
    kill -USR1 "$tpid"
    wait "$tpid"
    docs=$(field documents "$status_json")
    printf '%s\t%s\t%s\n' "$c" "$(field workers "$status_json")" \
        "$(field shards "$status_json")" >"$work/searchd-shape-$c"
    stop_searchd
    rss=$(cat "$d/rss")
    result "$c" searchd "$docs" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
        "$(kv peak_rss_kb "$rss")" "$(kv peak_procs "$rss")" "$(du_kb "$d/index")"
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$d/index"
}

# run_latency CORPUS DIR: load again with qlat looping over its queries
# until the load is done, then qlat once more on the idle daemon.
run_latency() {
    local c=$1 dir=$2 t0 t1 qpid
    local d=$work/run-latency-$c
    mkdir -p "$d"
    sync
    t0=$(now)
    start_searchd "$d" "$dir"
    wait_answering || { stop_searchd; return 1; }
    "$QLAT" -s "$sock" -l >"$d/qlat-load" &
    qpid=$!
    pids+=("$qpid")
    if ! wait_loaded; then
        kill "$qpid" 2>/dev/null || true
        stop_searchd
        return 1
    fi
    t1=$(now)
    kill -USR1 "$qpid"
    wait "$qpid" || { say "qlat (during load) failed"; stop_searchd; return 1; }
    "$QLAT" -s "$sock" -r 3 >"$d/qlat-idle" ||
        { say "qlat (idle) failed"; stop_searchd; return 1; }
    stop_searchd
    printf '%s\t%s\t%s\n' "$c" load "$(cat "$d/qlat-load")" >>"$work/latency.tsv"
    printf '%s\t%s\t%s\n' "$c" idle "$(cat "$d/qlat-idle")" >>"$work/latency.tsv"
    printf '%s\t%s\n' "$c" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
        >"$work/latency-wall-$c"
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$d/index"
}

# ---- baselines, each run to completion under treerss ------------------
# measure CORPUS TOOL DIR DOCS_CMD...: record the treerss report in
# DIR/rss with the documents DOCS_CMD prints and the size of DIR/db.
measure() {
    local c=$1 tool=$2 d=$3 rss docs
    shift 3
    rss=$(cat "$d/rss")
    if [ "$(kv status "$rss")" != 0 ]; then
        say "$tool on $c failed ($rss); the end of its output:"
        tail -n 20 "$d/log" >&2
        result "$c" "$tool" failed - - - -
        return 0
    fi
    docs=$("$@")
    result "$c" "$tool" "$docs" "$(kv wall_s "$rss")" "$(kv peak_rss_kb "$rss")" \
        "$(kv peak_procs "$rss")" "$(du_kb "$d/db")"
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$d/db"
}

run_omindex() {
    local c=$1 dir=$2
    local d=$work/run-omindex-$c
    if ! command -v omindex >/dev/null; then
        say "omindex not installed (xapian-omega, scripts/install-deps.sh): skipped"
        return 0
    fi
    mkdir -p "$d"
    sync
    # Files of 20NG have no extension: without -G, omindex would ask
    # libmagic and skip what it does not take for text.  Every file is
    # text/plain here (Reuters .sgm files too: one document per file).
    "$TREERSS" -o "$d/rss" -- omindex --db "$d/db" --url / \
        --mime-type-match='*:text/plain' "$dir" >"$d/log" 2>&1 || true
    measure "$c" omindex "$d" delve_docs "$d/db"
}

run_recoll() {
    local c=$1 dir=$2
    local d=$work/run-recoll-$c
    if ! command -v recollindex >/dev/null; then
        say "recollindex not installed (recollcmd, scripts/install-deps.sh): skipped"
        return 0
    fi
    mkdir -p "$d/conf"
    # Files without a known extension go to the "system file command":
    # by default `file -i`, whose "message/rfc822" answer for most 20NG
    # posts recoll does not take, so they would be indexed by name only.
    # Saying text/plain for all of them is the closest to the others.
    # Recoll still takes the posts it recognises as mail itself with its
    # mail handler, and it indexes each folder as a document too.
    cat >"$d/conf/recoll.conf" <<EOF
topdirs = $dir
dbdir = $d/db
loglevel = 2
logfilename = stderr
noaspell = 1
usesystemfilecommand = 1
systemfilecommand = printf text/plain
EOF
    sync
    "$TREERSS" -o "$d/rss" -- recollindex -c "$d/conf" -z >"$d/log" 2>&1 || true
    measure "$c" recollindex "$d" delve_docs "$d/db"
}

floor_docs() { kv documents "$(cat "$1")"; }
run_floor() {
    local c=$1 dir=$2
    local d=$work/run-floor-$c
    mkdir -p "$d"
    sync
    "$TREERSS" -o "$d/rss" -- "$FLOOR" "$d/db" "$dir" >"$d/out" 2>"$d/log" || true
    measure "$c" xapian-floor "$d" floor_docs "$d/out"
}

# ---- the report -----------------------------------------------------------
host_line() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    printf '%s CPUs (%s), %s MiB RAM, %s; load average %s\n' "$(nproc)" \
        "${cpu:-unknown CPU}" \
        "$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" \
        "$(uname -sr)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
versions_line() {
    local v=("searchd $("$SEARCHD" --version 2>/dev/null | awk '{ print $2 }')")
    if command -v omindex >/dev/null; then
        v+=("omindex $(omindex --version 2>/dev/null | awk '{ print $NF; exit }')")
    fi
    if command -v recollindex >/dev/null; then
        v+=("recoll $(dpkg-query -W -f '${Version}' recollcmd 2>/dev/null || echo '?')")
    fi
    v+=("xapian $(xapian-delve --version 2>/dev/null | awk '{ print $NF; exit }')")
    local IFS=,
    printf '%s\n' "${v[*]}" | sed 's/,/, /g'
}

# report CORPUS FILES BYTES: the table and the ratios of one corpus.
report() {
    local c=$1 files=$2 bytes=$3 lat_wall='' shape=''
    [ -f "$work/latency-wall-$c" ] && lat_wall=$(cut -f2 "$work/latency-wall-$c")
    [ -f "$work/searchd-shape-$c" ] &&
        shape=$(awk -F'\t' '{ printf "%s workers, %s shards", $2, $3 }' "$work/searchd-shape-$c")
    awk -F'\t' -v c="$c" -v files="$files" -v bytes="$bytes" \
        -v title="$(title_of "$c")" -v tsp="$TARGET_SPEEDUP" \
        -v trss="$TARGET_RSS_MIB" -v latwall="$lat_wall" -v shape="$shape" '
    function mib(kb) { return kb / 1024 }
    function num(x) { return x ~ /^[0-9.]+$/ }
    $1 == c { n++; tool[n] = $2; docs[$2] = $3; wall[$2] = $4; rss[$2] = $5
              procs[$2] = $6; idx[$2] = $7 }
    END {
        printf "\n== %s: %d files, %.1f MiB\n", title, files, bytes / 1048576
        printf "%-13s %9s %9s %9s %8s %12s %6s %10s\n", "tool", "documents",
            "wall_s", "docs/s", "MiB/s", "peak_RSS_MiB", "procs", "index_MiB"
        for (i = 1; i <= n; i++) {
            t = tool[i]
            if (!num(wall[t]) || wall[t] <= 0) {
                printf "%-13s %9s\n", t, "FAILED"; continue
            }
            dps[t] = num(docs[t]) ? docs[t] / wall[t] : 0
            mbs[t] = bytes / 1048576 / wall[t]
            printf "%-13s %9s %9.2f %9.1f %8.2f %12.1f %6s %10.1f\n", t,
                docs[t], wall[t], dps[t], mbs[t], mib(rss[t]), procs[t],
                mib(idx[t])
        }
        if (!("searchd" in dps))
            exit
        printf "-- ratios, searchd / baseline (higher docs/s and lower RSS " \
            "are better)\n"
        for (i = 1; i <= n; i++) {
            t = tool[i]
            if (t == "searchd" || !(t in dps) || dps[t] <= 0) continue
            differ = !num(docs[t]) || !num(docs["searchd"]) ||
                docs[t] > 1.1 * docs["searchd"] ||
                docs["searchd"] > 1.1 * docs[t]
            line = sprintf("searchd/%-12s docs/s %6.2fx  MiB/s %6.2fx  " \
                "peak RSS %6.2fx", t, dps["searchd"] / dps[t],
                mbs["searchd"] / mbs[t], rss["searchd"] / rss[t])
            if (t == "omindex")
                line = line sprintf("   target docs/s >= %dx: %s", tsp,
                    differ ? "n/a" : \
                    dps["searchd"] >= tsp * dps[t] ? "met" : "MISSED")
            print line
            if (differ)
                printf "  (searchd and %s made different numbers of " \
                    "documents: compare MiB/s)\n", t
        }
        printf "searchd peak RSS %.1f MiB (daemon and its children; %s)   " \
            "target < %d MB: %s\n", mib(rss["searchd"]), shape, trss,
            mib(rss["searchd"]) < trss ? "met" : "MISSED"
        if (latwall != "")
            printf "(the load with queries running, below, took %.2f s)\n",
                latwall
    }' "$work/results.tsv"
}

latency_report() {
    local c=$1
    grep -q "^$c	" "$work/latency.tsv" || return 0
    printf -- '-- searchd query latency, %s: 50 queries of common words, one at a time, 10 hits each\n' "$c"
    printf '%-18s %7s %7s %9s %9s %9s\n' "" count errors p50_ms p99_ms max_ms
    while IFS=$'\t' read -r lc phase line; do
        [ "$lc" = "$c" ] || continue
        case $phase in load) label="during bulk load" ;; *) label="idle after load" ;; esac
        printf '%-18s %7s %7s %9s %9s %9s\n' "$label" "$(kv count "$line")" \
            "$(kv errors "$line")" "$(kv p50_ms "$line")" "$(kv p99_ms "$line")" \
            "$(kv max_ms "$line")"
    done <"$work/latency.tsv"
}

# ---- run ------------------------------------------------------------------
echo "searchd indexing benchmark$([ "$QUICK" = 1 ] && echo " (quick mode)")"
echo "host: $(host_line)"
echo "versions: $(versions_line)"
echo "tools: $TOOLS; corpora: ${corpora[*]}"
rc=0
declare -A corpus_files corpus_bytes
for c in "${corpora[@]}"; do
    say "$c: unpacking"
    dir=$(prepare "$c")
    corpus_files[$c]=$(find "$dir" -type f | wc -l)
    corpus_bytes[$c]=$(find "$dir" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    if has "$TOOLS" searchd; then
        say "$c: searchd"
        run_searchd "$c" "$dir" || { result "$c" searchd failed - - - -; rc=1; }
        if [ "$LATENCY" = 1 ] && [ "$c" = 20ng ]; then
            say "$c: searchd again, with queries during the load"
            run_latency "$c" "$dir" || rc=1
        fi
    fi
    if has "$TOOLS" omindex; then say "$c: omindex"; run_omindex "$c" "$dir"; fi
    if has "$TOOLS" recoll; then say "$c: recollindex"; run_recoll "$c" "$dir"; fi
    if has "$TOOLS" floor; then say "$c: xapian-floor"; run_floor "$c" "$dir"; fi
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "${work:?}/$c"
    report "$c" "${corpus_files[$c]}" "${corpus_bytes[$c]}"
    latency_report "$c"
done
echo
echo "issue reference (20NG, measured by the issue's author on a similar machine):"
echo "  $REFERENCE"
if [ -n "$RESULTS" ]; then
    {
        printf 'corpus\ttool\tdocuments\twall_s\tpeak_rss_kb\tpeak_procs\tindex_kb\n'
        cat "$work/results.tsv"
    } >"$RESULTS"
fi
exit "$rc"
