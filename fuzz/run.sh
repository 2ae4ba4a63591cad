#!/usr/bin/env bash
# run.sh: `make fuzz` (doc/fuzzing.md).  Runs each harness for
# FUZZ_SECONDS under ASan and UBSan, FUZZ_JOBS at a time, on a corpus kept
# in the build folder (fuzz/work/TARGET/corpus, so later runs go on from
# what earlier ones found) seeded from the tree; fails if any harness
# finds a crash, a leak, a timeout or a broken property, naming the input
# it saved.
# Environment: top_srcdir, top_builddir; FUZZ_SECONDS (60), FUZZ_JOBS (2),
# FUZZ_TARGETS (proto conf reply qsyntax plugin-NAME...), SD_SHARED_DIR.
set -uo pipefail
: "${top_srcdir:?}" "${top_builddir:?}"
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
targets=${FUZZ_TARGETS:?}
work=$top_builddir/fuzz/work
export top_srcdir top_builddir
if [ -d "${SD_SHARED_DIR:-}/corpora" ]; then
    export SD_FUZZ_SHARED=$SD_SHARED_DIR
fi
# Symbolised stacks; UBSan reports abort (the code is built with
# -fno-sanitize-recover=all, this prints the stack first).
sym=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
if [ -n "$sym" ]; then export ASAN_SYMBOLIZER_PATH=$sym; fi
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# The longest input per target: requests and queries are short; plugin
# inputs are files, html pages the longest of them.
max_len() {
    case $1 in
    proto) echo 8192 ;;
    qsyntax) echo 2048 ;;
    conf) echo 4096 ;;
    reply) echo 16384 ;;
    plugin-html) echo 65536 ;;
    plugin-*) echo 32768 ;;
    esac
}

# fuzz_one TARGET: seed, fuzz, and say how it went; exit status 0 clean.
fuzz_one() {
    t=$1 d=$work/$1
    bin=$top_builddir/fuzz/fuzz-${t%%-*}
    rm -rf "$d/seeds" "$d/artifacts"
    mkdir -p "$d/seeds" "$d/corpus" "$d/artifacts"
    if ! bash "$top_srcdir/fuzz/seeds.sh" "$t" "$d/seeds" >"$d/seeds.log" 2>&1; then
        echo "fuzz: $t: making the seeds failed:"; cat "$d/seeds.log"
        return 1
    fi
    # Kept inputs of this target seed it too: they were interesting once.
    kept=$top_srcdir/tests/data/fuzz/$t
    [ -d "$kept" ] || kept=
    case $t in
    plugin-*) export SD_FUZZ_PLUGIN=$top_builddir/plugins/.libs/${t#plugin-}.so ;;
    esac
    # A dictionary of the format's words, where one is kept.
    dict=$top_srcdir/fuzz/$t.dict
    if [ -f "$dict" ]; then dict=-dict=$dict; else dict=; fi
    start=$(date +%s)
    TIMEFORMAT='%U %S'
    # shellcheck disable=SC2086
    { time "$bin" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
        -artifact_prefix="$d/artifacts/" \
        "$d/corpus" "$d/seeds" $kept >"$d/fuzz.log" 2>&1; } 2>"$d/cpu"
    rc=$?
    end=$(date +%s)
    cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$d/cpu")
    # The history of every run in this build folder: when, how long
    # (wall and CPU seconds), how many inputs, and how it ended.
    printf '%s %s wall=%s cpu=%s runs=%s exit=%s\n' "$(date -u +%FT%TZ)" \
        "$t" "$((end - start))" "$cpu" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/fuzz.log" | tail -n 1)" \
        "$rc" >>"$work/history.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/fuzz.log" | tail -n 1)
    execs="${execs:-?} runs in $((end - start)) s (${cpu} s CPU)"
    cov=$(grep -o 'cov: [0-9]*' "$d/fuzz.log" | tail -n 1)
    found=$(find "$d/artifacts" -type f | head -n 5)
    if [ $rc -ne 0 ] || [ -n "$found" ]; then
        echo "fuzz: $t: FAILED (exit $rc) after $execs"
        grep -E 'ERROR: |runtime error|property failed|SUMMARY' "$d/fuzz.log" | head -n 8
        for f in $found; do echo "fuzz: $t: crashing input: $f"; done
        echo "fuzz: $t: log: $d/fuzz.log"
        return 1
    fi
    echo "fuzz: $t: ok, $execs, ${cov:-cov: ?}, corpus $(find "$d/corpus" -type f | wc -l) inputs"
    return 0
}

mkdir -p "$work"
t0=$(date +%s)
failed=0
running=0
for t in $targets; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
    fuzz_one "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
echo "fuzz: $(echo $targets | wc -w) targets, ${seconds} s each, $jobs at a time: $(( $(date +%s) - t0 )) s"
if [ $failed -ne 0 ]; then
    echo "fuzz: FAILED (findings above; doc/fuzzing.md says how to reproduce and keep them)"
    exit 1
fi
exit 0
