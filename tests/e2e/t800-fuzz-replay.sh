#!/bin/sh
# The fuzzing harnesses (doc/fuzzing.md) without libFuzzer: each replay
# driver runs its harness over the seed corpus made from the tree and the
# inputs kept in tests/data/fuzz/TARGET (every crash the fuzzers found,
# fixed since), so each build (-Werror, sanitizers, valgrind) checks that
# none has come back.  The plugin harness runs once per built plugin.
. "$top_srcdir/tests/e2e/lib.sh"

F=$top_builddir/fuzz
K=$top_srcdir/tests/data/fuzz
targets="proto conf reply qsyntax"
for so in "$SD_PLUGIN_DIR"/*.so; do
    name=$(basename "$so" .so)
    targets="$targets plugin-$name"
done
# shellcheck disable=SC2086
plan $(($(echo $targets | wc -w) + 1))

# replay HARNESS ARGS...: under valgrind when SD_VALGRIND=1.
replay() {
    h=$1; shift
    if [ "${SD_VALGRIND:-0}" = 1 ] && [ -n "${VALGRIND:-}" ]; then
        "$VALGRIND" --quiet --error-exitcode=66 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite \
            "$F/replay-$h" "$@"
    else
        "$F/replay-$h" "$@"
    fi
}

for t in $targets; do
    h=${t%%-*}
    mkdir -p "$T/seeds/$t"
    if ! bash "$top_srcdir/fuzz/seeds.sh" "$t" "$T/seeds/$t" >"$T/$t.seeds" 2>&1; then
        not_ok "$t: seeds made from the tree"
        diag "$(cat "$T/$t.seeds")"
        continue
    fi
    set -- "$T/seeds/$t"
    if [ -d "$K/$t" ]; then set -- "$@" "$K/$t"; fi
    case $t in
    plugin-*) SD_FUZZ_PLUGIN=$SD_PLUGIN_DIR/${t#plugin-}.so
              export SD_FUZZ_PLUGIN ;;
    esac
    if replay "$h" "$@" >"$T/$t.out" 2>"$T/$t.err"; then
        n=$(sed -n 's/ inputs replayed$//p' "$T/$t.out")
        kept=$(find "$K/$t" -type f 2>/dev/null | wc -l)
        # An empty seed corpus would pass without testing anything.
        check "$t: $n inputs ($kept kept findings) replay cleanly" \
            [ "${n:-0}" -gt 0 ]
    else
        not_ok "$t: replay failed"
        diag "$(tail -n 30 "$T/$t.err")"
    fi
done

# Every folder of kept inputs belongs to a target, so none is skipped
# silently (a renamed plugin would orphan its folder).
orphans=
for d in "$K"/*/; do
    [ -d "$d" ] || continue
    t=$(basename "$d")
    case " $targets " in *" $t "*) ;; *) orphans="$orphans $t" ;; esac
done
check "every folder in tests/data/fuzz is a target${orphans:+ (not:$orphans)}" \
    [ -z "$orphans" ]
