#!/bin/sh
# seeds.sh TARGET OUTDIR: make the seed corpus of a harness from the tree
# (doc/fuzzing.md).  Nothing is kept in the repository twice: the seeds
# are the tests' own data, read or copied at fuzz (or replay) time.
#   proto, qsyntax, conf  fuzz/seeds.py, from the tests' sources
#   reply                 fuzz/seedtool: what a worker sends back for the
#                         files of tests/data, with this build's plugins
#   plugin-NAME           the files of tests/data and tests/fixtures/outlet
#                         (every plugin sees all of them: probes say no
#                         to most, which is worth fuzzing too), and the
#                         kept inputs of every plugin
# Environment: top_srcdir, top_builddir; PYTHON3; SD_FUZZ_SHARED=DIR adds
# a few files of the shared corpora in DIR (make fuzz does, when present).
set -eu
target=$1 out=$2
: "${top_srcdir:?}" "${top_builddir:?}"
PYTHON3=${PYTHON3:-python3}
mkdir -p "$out"

# copy_files DIR...: the regular files under each DIR, flattened, with the
# folder in the name so equal names do not collide.
copy_files() {
    for d in "$@"; do
        [ -d "$d" ] || continue
        find "$d" -type f | while read -r f; do
            rel=${f#"$top_srcdir"/}
            cp "$f" "$out/$(printf '%s' "$rel" | tr '/ ' '__')"
        done
    done
}

# shared_files N PATTERN DIR: up to N files matching PATTERN under DIR.
shared_files() {
    [ -d "$3" ] || return 0
    find "$3" -type f -name "$2" | sort | head -n "$1" | while read -r f; do
        case $f in
        *.gz) gzip -dc "$f" >"$out/shared_$(basename "$f" .gz)" ;;
        *) cp "$f" "$out/shared_$(printf '%s' "${f#"$3"/}" | tr '/ ' '__')" ;;
        esac
    done
}

case $target in
proto|qsyntax|conf)
    "$PYTHON3" "$top_srcdir/fuzz/seeds.py" "$target" "$top_srcdir" "$out" \
        >/dev/null
    ;;
reply)
    # shellcheck disable=SC2046
    "$top_builddir/fuzz/seedtool" "$top_builddir/plugins/.libs" "$out" \
        $(find "$top_srcdir/tests/data" -type f ! -path '*/fuzz/*' | sort)
    ;;
plugin-*)
    copy_files "$top_srcdir/tests/data" "$top_srcdir/tests/fixtures/outlet"
    if [ -n "${SD_FUZZ_SHARED:-}" ]; then
        c=$SD_FUZZ_SHARED/corpora
        case ${target#plugin-} in
        html) shared_files 12 '*.html.gz' "$c/article-extraction-dev" ;;
        smart) shared_files 2 '*.ALL' "$c/cisi"
               shared_files 2 '*.all*' "$c/cranfield" ;;
        *) shared_files 4 '*.txt' "$c/bbc-news" ;;
        esac
    fi
    ;;
*)
    echo "seeds.sh: unknown target $target" >&2
    exit 2
    ;;
esac
