#!/usr/bin/env bash
# bench/query-bench.sh - the query benchmark (`make bench`, issue 4): search latency
# and throughput of searchd over its socket, beside the same searches run
# in-process through Xapian and by command-line tools run once per query
# (quest, recollq, searchc), on an index of 20 Newsgroups and
# Reuters-21578.  bench/README.md says what each figure means.
#
# Environment (`make bench` sets the first four):
#   top_builddir, top_srcdir   the build and source trees (default: the
#                              current folder and this script's parent)
#   SD_PLUGIN_DIR              searchd's plugins (default: the build's)
#   SD_SHARED_DIR              where corpora/ lives (default: ../shared
#                              beside the source tree)
#   BENCH_QUICK=1              2000 files of 20NG, 2 .sgm files of Reuters,
#                              40 queries, one round: a smoke test
#   BENCH_QUERIES=200          how many queries to make
#   BENCH_ROUNDS=3             passes over the queries for the 1-client and
#                              in-process rows (32 clients: one pass each)
#   BENCH_CLIENTS=32           the concurrent clients of the second row
#   BENCH_QTOOLS=quest,recoll  the per-process baselines to run
#   BENCH_TIMEOUT=1800         seconds searchd may take to load the corpora
#   BENCH_RESULTS=FILE         also write the rows, tab-separated
#   BENCH_TMPDIR=DIR           where to unpack and index (default: $TMPDIR)
#   BENCH_KEEP=1               keep the work folder (indexes, queries, logs)
# Exit status: 0, 77 when no corpus is there (a skip), 2 for usage or a
# missing helper, 1 when searchd or a tool failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$PWD}
SEARCHD=$top_builddir/daemon/searchd
SEARCHC=$top_builddir/client/searchc
QLOAD=$top_builddir/bench/qload
QSPAWN=$top_builddir/bench/qspawn
QFLOOR=$top_builddir/bench/xapian-qfloor
QGEN=$top_srcdir/bench/qgen
PLUGIN_DIR=${SD_PLUGIN_DIR:-$top_builddir/plugins/.libs}
SHARED=${SD_SHARED_DIR:-$top_srcdir/../shared}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    NQ=${BENCH_QUERIES:-40}; ROUNDS=${BENCH_ROUNDS:-1}
else
    NQ=${BENCH_QUERIES:-200}; ROUNDS=${BENCH_ROUNDS:-3}
fi
CLIENTS=${BENCH_CLIENTS:-32}
QTOOLS=${BENCH_QTOOLS:-quest,recoll}
TIMEOUT=${BENCH_TIMEOUT:-1800}
RESULTS=${BENCH_RESULTS:-}

# Targets from the issue, and the figures its author measured on 20NG.
TARGET_P50=1            # ms, over the socket, 10 hits with snippets
TARGET_P99=5            # ms
TARGET_SCALE=1.7        # 32-client queries/s over 1-client queries/s
REFERENCE="in-process Xapian search p50 ~0.26 ms; with MSet::snippet for \
the 10 hits ~4 ms; quest per process ~2.2 ms; recollq ~8 ms; a trivial \
process ~0.6 ms"

say() { printf 'query-bench: %s\n' "$*" >&2; }
die() { say "$*"; exit "${2:-2}"; }
has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }

for t in ${QTOOLS//,/ }; do
    case $t in quest|recoll) ;;
    *) die "BENCH_QTOOLS: unknown tool '$t' (quest, recoll)" ;;
    esac
done
for f in "$SEARCHD" "$SEARCHC" "$QLOAD" "$QSPAWN" "$QFLOOR"; do
    [ -x "$f" ] || die "$f missing: run 'make bench' in the build folder"
done
PYTHON3=${PYTHON3:-python3}
command -v "$PYTHON3" >/dev/null || die "python3 is needed to make the queries"

NG=$SHARED/corpora/20news-bydate/20news-bydate.tar.xz
RT=$SHARED/corpora/reuters21578/reuters21578.tar.xz
have=()
[ -f "$NG" ] && have+=(20ng) || say "SKIP 20ng: no corpus at $NG"
[ -f "$RT" ] && have+=(reuters) || say "SKIP reuters: no corpus at $RT"
if [ ${#have[@]} -eq 0 ]; then
    say "SKIP: no corpus found under $SHARED/corpora (set SD_SHARED_DIR)"
    exit 77
fi

if [ -n "${BENCH_TMPDIR:-}" ]; then
    work=$(mktemp -d -p "$BENCH_TMPDIR" searchd-qbench.XXXXXX)
else
    work=$(mktemp -d -t searchd-qbench.XXXXXX)
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

field() {
    if [[ $2 =~ \"$1\":([0-9]+|true|false) ]]; then
        printf '%s\n' "${BASH_REMATCH[1]}"
    else
        printf '?\n'
    fi
}
kv() {
    if [[ $2 =~ (^|[[:space:]])$1=([^[:space:]]+) ]]; then
        printf '%s\n' "${BASH_REMATCH[2]}"
    else
        printf '?\n'
    fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the corpora: unpacked as bench/index-bench.sh does ----------------
dirs=()
for c in "${have[@]}"; do
    say "$c: unpacking"
    mkdir -p "$work/$c"
    case $c in
    20ng)
        tar -xJf "$NG" -C "$work/$c"
        d=$work/$c/data
        mkdir -p "$d"
        mv "$work/$c"/20news-bydate-* "$d/"
        if [ "$QUICK" = 1 ]; then
            find "$d" -type f | LC_ALL=C sort | tail -n +2001 |
                tr '\n' '\0' | xargs -0 -r rm -f
        fi
        ;;
    reuters)
        tar -xJf "$RT" -C "$work/$c"
        d=$work/$c/reuters21578
        mkdir -p "$work/$c/other"
        find "$d" -type f ! -name 'reut2-*.sgm' -exec mv {} "$work/$c/other/" \;
        if [ "$QUICK" = 1 ]; then
            find "$d" -type f | LC_ALL=C sort | tail -n +3 |
                tr '\n' '\0' | xargs -0 -r rm -f
        fi
        ;;
    esac
    dirs+=("$d")
done

# ---- the queries --------------------------------------------------------
"$PYTHON3" "$QGEN" --count "$NQ" "$work/searchd.q" "$work/plain.q" "${dirs[@]}" ||
    die "making the queries failed" 1
nq=$(wc -l <"$work/searchd.q")

# ---- searchd: a fresh index of both corpora -------------------------------
sock=$work/sock
index=$work/index
watch=()
for d in "${dirs[@]}"; do watch+=(--watch "$d"); done
say "searchd: indexing ${have[*]}"
"$SEARCHD" --foreground --no-config --socket "$sock" --index "$index" \
    --plugin-dir "$PLUGIN_DIR" "${watch[@]}" 2>>"$work/daemon.log" &
dpid=$!
pids+=("$dpid")
t_end=$((EPOCHSECONDS + TIMEOUT))
while :; do
    if status_json=$("$SEARCHC" --socket "$sock" --json --status 2>/dev/null) &&
        [ "$(field scan_done "$status_json")" = true ] &&
        [ "$(field queued "$status_json")" = 0 ]; then
        break
    fi
    if ! kill -0 "$dpid" 2>/dev/null; then
        tail -n 20 "$work/daemon.log" >&2
        die "searchd died" 1
    fi
    [ "$EPOCHSECONDS" -lt "$t_end" ] ||
        die "searchd not done after $TIMEOUT s: $status_json" 1
    sleep 0.05
done
docs=$(field documents "$status_json")
say "searchd: $docs documents"

# ---- recoll: its own index of the same files (not timed) -----------------
if has "$QTOOLS" recoll && ! command -v recollindex >/dev/null; then
    say "recollindex not installed (recollcmd, scripts/install-deps.sh): skipped"
    QTOOLS=${QTOOLS//recoll/}
fi
if has "$QTOOLS" quest && ! command -v quest >/dev/null; then
    say "quest not installed (xapian-tools, scripts/install-deps.sh): skipped"
    QTOOLS=${QTOOLS//quest/}
fi
if has "$QTOOLS" recoll; then
    say "recollindex: indexing ${have[*]} (not timed)"
    mkdir -p "$work/recoll"
    # As bench/index-bench.sh: every file without a known extension is
    # text/plain (recoll still reads the posts it takes for mail as mail).
    cat >"$work/recoll/recoll.conf" <<CONF
topdirs = ${dirs[*]}
dbdir = $work/recoll/db
loglevel = 2
logfilename = stderr
noaspell = 1
usesystemfilecommand = 1
systemfilecommand = printf text/plain
CONF
    recollindex -c "$work/recoll" -z >"$work/recoll/log" 2>&1 ||
        { tail -n 20 "$work/recoll/log" >&2; die "recollindex failed" 1; }
fi

# ---- the runs -------------------------------------------------------------
: >"$work/rows"
rc=0
# row LABEL QUERIES NOTE LINE: keep one row of figures.
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$work/rows"; }
# run LABEL QUERIES NOTE COMMAND...: run a helper, keep its last line.
run() {
    local label=$1 q=$2 note=$3 out
    shift 3
    say "$label"
    if out=$("$@" 2>>"$work/errors.log" | tail -n 1) && [ -n "$out" ]; then
        row "$label" "$q" "$note" "$out"
    else
        say "$label failed: $(tail -n 3 "$work/errors.log")"
        row "$label" "$q" "$note" failed
        rc=1
    fi
}

say "warming up: every query once over the socket"
"$QLOAD" -s "$sock" -f "$work/searchd.q" -r 1 >/dev/null ||
    die "searchd does not answer the queries" 1
run "searchd 1 client" searchd "socket, 10 hits with snippets" \
    "$QLOAD" -s "$sock" -f "$work/searchd.q" -c 1 -r "$ROUNDS"
run "searchd $CLIENTS clients" searchd "socket, one connection each" \
    "$QLOAD" -s "$sock" -f "$work/searchd.q" -c "$CLIENTS" -r 1
run "searchc per process" searchd "searchc -n 10, a process each" \
    "$QSPAWN" -f "$work/searchd.q" -o 1 -- "$SEARCHC" --socket "$sock" -n 10
status_json=$("$SEARCHC" --socket "$sock" --json --status 2>/dev/null || true)
kill -TERM "$dpid" 2>/dev/null || true
wait "$dpid" || { say "searchd exited with status $?"; rc=1; }

# xapian-qfloor prints two lines: search, then search + snippets.
say "xapian in-process"
if "$QFLOOR" "$index" "$work/plain.q" "$ROUNDS" >"$work/qfloor" \
        2>>"$work/errors.log"; then
    row "xapian in-process (search)" plain "get_mset(0, 10)" \
        "$(sed -n 1p "$work/qfloor")"
    row "xapian in-process (+snippets)" plain "and MSet::snippet x10" \
        "$(sed -n 2p "$work/qfloor")"
else
    say "xapian-qfloor failed: $(tail -n 3 "$work/errors.log")"
    row "xapian in-process (search)" plain "" failed
    row "xapian in-process (+snippets)" plain "" failed
    rc=1
fi
if has "$QTOOLS" quest; then
    run "quest per process" plain "quest -m 10 -o and" \
        "$QSPAWN" -f "$work/plain.q" -- quest -d "$index" -m 10 -o and \
        -p title:S
fi
if has "$QTOOLS" recoll; then
    run "recollq per process" plain "recollq -n 10, own index" \
        "$QSPAWN" -f "$work/plain.q" -- recollq -c "$work/recoll" -n 10
fi
run "/bin/true per process" plain "the cost of a process" \
    "$QSPAWN" -f "$work/plain.q" -- /bin/true

# ---- the report -----------------------------------------------------------
host_line() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    printf '%s CPUs (%s), %s MiB RAM, %s' "$(nproc)" "${cpu:-unknown CPU}" \
        "$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" \
        "$(uname -sr)"
}
echo "searchd query benchmark$([ "$QUICK" = 1 ] && echo " (quick mode)")"
echo "host: $(host_line)"
echo "load average: $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end" \
    "(other work on the machine skews every row)"
echo "index: ${have[*]}, $docs documents, $(field shards "$status_json") shards;" \
    "$nq queries, $ROUNDS round(s) for the 1-client and in-process rows," \
    "one each for $CLIENTS clients"
echo "queries: searchd rows take them in searchd's syntax; the others get" \
    "the same queries with the date: ranges dropped (searchd-only syntax;" \
    "phrases and title: kept)"
awk -F'\t' -v clients="$CLIENTS" -v tp50="$TARGET_P50" -v tp99="$TARGET_P99" \
    -v tscale="$TARGET_SCALE" '
    function kv(line, k,   m) {
        if (match(line, "(^| )" k "=[^ ]+")) {
            m = substr(line, RSTART, RLENGTH); sub(/^ /, "", m)
            return substr(m, length(k) + 2)
        }
        return ""
    }
    {
        n++; label[n] = $1; note[n] = $3
        if ($4 == "failed") { failed[n] = 1; next }
        # + 0: substr gives strings, and awk compares strings as text
        cnt[n] = kv($4, "count") + 0; err[n] = kv($4, "errors") + 0
        p50[n] = kv($4, "p50_ms") + 0; p99[n] = kv($4, "p99_ms") + 0
        qps[n] = kv($4, "qps") + 0
        by[$1] = n
    }
    function st(ok) { return ok ? "met" : "NOT met" }
    END {
        printf "\n%-30s %7s %6s %8s %8s %10s  %s\n", "", "count", "errors",
            "p50_ms", "p99_ms", "queries/s", "how"
        for (i = 1; i <= n; i++) {
            if (failed[i]) { printf "%-30s %7s\n", label[i], "FAILED"; continue }
            printf "%-30s %7d %6d %8.3f %8.3f %10.1f  %s\n", label[i], cnt[i],
                err[i], p50[i], p99[i], qps[i], note[i]
        }
        one = by["searchd 1 client"]; many = by["searchd " clients " clients"]
        sc = by["searchc per process"]; qu = by["quest per process"]
        print "\ntargets:"
        if (one) {
            printf "  over the socket, p50 < %g ms (%.3f): %s\n", tp50, p50[one],
                st(p50[one] < tp50)
            printf "  over the socket, p99 < %g ms (%.3f): %s\n", tp99, p99[one],
                st(p99[one] < tp99)
        }
        if (sc && qu)
            printf "  searchc per process faster than quest (p50 %.3f vs " \
                "%.3f ms): %s\n", p50[sc], p50[qu], st(p50[sc] < p50[qu])
        if (one && many && qps[one] > 0)
            printf "  %d clients >= %.1fx the queries/s of 1 (%.0f / %.0f = " \
                "%.2fx): %s\n", clients, tscale, qps[many], qps[one],
                qps[many] / qps[one], st(qps[many] >= tscale * qps[one])
    }' "$work/rows"
echo
echo "issue reference (20NG alone, 10 hits, measured by the issue's author):"
echo "  $REFERENCE"
if [ -n "$RESULTS" ]; then
    {
        printf 'row\tqueries\thow\tfigures\n'
        cat "$work/rows"
    } >"$RESULTS"
fi
if grep -q . "$work/errors.log" 2>/dev/null; then
    say "stderr of the tools (first lines):"
    head -n 5 "$work/errors.log" >&2
fi
exit "$rc"
