#!/usr/bin/env bash
# Known-item search: can a member find a document from a few words they remember of it, typed
# without diacritics, with them, in decomposed Unicode, or with one typing mistake? sotay's
# server and browser search next to Pagefind, on the same queries.
#
#   flock /tmp/sotay-bench.lock bench/known-item.sh            # sample handbook, 1,000, 10,000
#   SIZES="sample 1000 10000 100000" bench/known-item.sh        # and 100,000 (server only)
#
# For each size (`sample`: the handbook in content/, real Vietnamese; a number: a corpus of
# bench/gen_corpus.py): `sotay build`, `pagefind --site` (up to 10,000 documents: it needs
# about 3.5 GB at 10,000 and cannot index 100,000 within 12 GB, see BENCHMARKS.md §2), then
# bench/known_item.py draws PER_FORM windows of 2 to 5 words from the documents' bodies and
# types each four ways; the server answers in-process (bench/search-latency --known), the
# browser and Pagefind in Debian's headless Chromium (bench/known-item.mjs); known_item.py
# scores hit@1 and hit@3. The browser is run up to 10,000 documents (the offline index of
# 100,000 is not meant for a phone).
#
# Settings: SIZES, PER_FORM=200, SEED=20261205, SOTAY (a sotay binary; default: cargo build
# --release of the work tree), PAGEFIND_VERSION=1.5.2, PAGEFIND_MAX=10000 (the largest corpus
# Pagefind is run on: its 800 queries at 10,000 documents take more than 20 minutes here),
# SAVED=1 (the browser again once its service worker has saved the handbook, as on a member's
# phone: the pages the runs check reads come from its caches; 0 to skip). Everything goes under
# bench/work/known/.
# Prints a Markdown table per size, also written to bench/work/known/results.md.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=$BENCH/work
KW=$WORK/known
SIZES=${SIZES:-"sample 1000 10000"}
PER_FORM=${PER_FORM:-200}
SEED=${SEED:-20261205}
PAGEFIND_VERSION=${PAGEFIND_VERSION:-1.5.2}
PAGEFIND_MAX=${PAGEFIND_MAX:-10000}
SAVED=${SAVED:-1}
NICE=(nice -n 19)
mkdir -p "$KW"
say() { printf '%s\n' "$*" >&2; }

for tool in node python3 cargo; do
    command -v "$tool" >/dev/null || { say "known-item.sh needs $tool"; exit 2; }
done
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || {
    say "installing Debian's chromium"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
}
[[ -d $ROOT/tests/browser/node_modules/playwright-core ]] || (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund >&2)

if [[ -z ${SOTAY:-} ]]; then
    say "sotay: cargo build --release"
    (cd "$ROOT" && "${NICE[@]}" cargo build --release >&2)
    mkdir -p "$WORK/bin"
    cp "$ROOT/target/release/sotay" "$WORK/bin/sotay-known"
    SOTAY=$WORK/bin/sotay-known
fi
[[ -f $BENCH/search-latency/Cargo.lock ]] || cp "$ROOT/Cargo.lock" "$BENCH/search-latency/Cargo.lock"
say "search-latency: cargo build --release"
(cd "$BENCH/search-latency" && "${NICE[@]}" cargo build --release --target-dir "$WORK/target" >&2)
LATENCY=$WORK/target/release/sotay-search-latency

VENV=$WORK/venv-search
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV" >&2
if ! "$VENV/bin/python" -c "import importlib.metadata as m; assert m.version('pagefind_bin') == '$PAGEFIND_VERSION'" 2>/dev/null; then
    "$VENV/bin/pip" install -q "pagefind-bin==$PAGEFIND_VERSION" >&2
fi
PAGEFIND=$("$VENV/bin/python" -c "import pagefind_bin, os; print(os.path.join(os.path.dirname(pagefind_bin.__file__), 'pagefind'))")

RESULTS=$KW/results.md
{
    echo "Known-item search, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" rev-parse --short HEAD), $PER_FORM windows x 4 forms per size, seed $SEED"
    echo "($(nproc) cores, load average at start $(cut -d' ' -f1 /proc/loadavg))"
} >"$RESULTS"
for size in $SIZES; do
    say ""
    say "=== $size ==="
    dir=$KW/$size
    mkdir -p "$dir"
    if [[ $size == sample ]]; then
        src=$ROOT
    else
        src=$WORK/search/corpus-$size
        stamp="$(sha256sum "$BENCH/gen_corpus.py" | cut -d' ' -f1) sotay $size"
        if [[ ! -f $src/.stamp || $(cat "$src/.stamp") != "$stamp" ]]; then
            rm -rf "$src" && mkdir -p "$src"
            "${NICE[@]}" python3 "$BENCH/gen_corpus.py" "$src" --docs "$size" --flavor sotay >&2
            printf '%s' "$stamp" >"$src/.stamp"
        fi
    fi
    site=$dir/site
    rm -rf "$site" "$site.index"
    "${NICE[@]}" "$SOTAY" build --root "$src" --out "$site" >&2
    python3 "$BENCH/known_item.py" queries "$site" "$dir/queries.json" --per-form "$PER_FORM" --seed "$SEED"
    "${NICE[@]}" "$LATENCY" --known "$site.index" "$dir/queries.json" "$dir/server.json" >&2
    runs=("$dir/server.json")
    if [[ $size == sample ]] || ((size <= 10000)); then
        pf=()
        rm -f "$dir/pagefind.json"
        if ((${size/sample/0} <= PAGEFIND_MAX)) && "${NICE[@]}" "$PAGEFIND" --site "$site" >"$dir/pagefind.log" 2>&1; then
            pf=(--pagefind)
        else
            say "pagefind: not run (PAGEFIND_MAX=$PAGEFIND_MAX) or did not index (see $dir/pagefind.log)"
        fi
        ((SAVED)) && pf+=(--saved)
        rm -f "$dir/browser-saved.json" "$dir/browser-saved-warm.json"
        node "$BENCH/known-item.mjs" "$site" "$dir/queries.json" "$dir" "${pf[@]}" | tee "$dir/browser-summary.json" >&2
        runs+=("$dir/browser.json" "$dir/browser-warm.json")
        [[ -f $dir/browser-saved.json ]] && runs+=("$dir/browser-saved.json" "$dir/browser-saved-warm.json")
        [[ -f $dir/pagefind.json ]] && runs+=("$dir/pagefind.json")
    fi
    {
        echo ""
        echo "### $size $( [[ $size == sample ]] && echo '(the sample handbook)' || echo documents)"
        echo ""
        python3 "$BENCH/known_item.py" score "$site" "$dir/queries.json" "${runs[@]}"
        [[ -f $dir/browser-summary.json ]] && echo "" && echo "browser: $(cat "$dir/browser-summary.json")"
        echo "offline index: $(find "$site/search" -type f | wc -l) files, $(cat "$site"/search/*.json "$site"/search/*/* "$site"/search/*.bin | wc -c) bytes, $(for f in $(find "$site/search" -type f); do gzip -6c <"$f" | wc -c; done | awk '{s+=$1} END {print s}') bytes gzip"
    } | tee -a "$RESULTS"
done
say "written to $RESULTS"
