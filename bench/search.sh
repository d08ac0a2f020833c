#!/usr/bin/env bash
# Search benchmark: sotay's server and offline search, against Pagefind, on generated corpora.
#
#   flock /tmp/sotay-bench.lock bench/search.sh          # 1,000, 10,000 and 100,000 documents
#   SIZES=1000 bench/search.sh                           # a quick check
#
# (flock: so that it never runs at the same time as another benchmark on the machine.)
#
# For each size it generates a corpus (bench/gen_corpus.py, flavor sotay; reused when unchanged),
# and reports (details in the comments of each helper):
# - build: `sotay build` into an emptied folder (the full build), then again into an emptied
#   folder with the tantivy index `<out>.index/` already there and unchanged (sotay then skips
#   rewriting it): the difference is the tantivy index write. RUNS runs each, median. The
#   browser index (search/: root, groups, vocabulary, cards) is part of both. The tantivy write is also timed alone,
#   in-process (bench/search-latency --index-write: `generate`, then `search::index::write`).
#   Then `pagefind --site OUT`, timed.
# - server query latency: bench/search-latency (its own cargo project) opens the tantivy index
#   with `SearchIndex::open` and times `search(q, &Filter::default(), 0, 10)` in-process over the
#   latency queries of bench/search-queries.json, REPS rounds;
# - browser: bench/search-browser.mjs in Debian's headless Chromium: SotaySearch.load (fetch +
#   parse) and `idx.search(q, {}, 0, 10)` per query; Pagefind's initial load and bytes per query;
# - sizes: the files of search/ raw, each gzip -6 and brotli 6 (what `sotay server` sends); the Pagefind
#   folder;
# - recall of queries typed without diacritics, for sotay and Pagefind (bench/search_report.py).
# It prints a Markdown table, also written to bench/work/search-results.md.
#
# Settings (environment):
#   SIZES="1000 10000 100000"   corpus sizes, in documents
#   RUNS=3                      timed builds per mode and size (sizes >= 50,000: RUNS_LARGE=1)
#   REPS=30                     rounds of the query list (server and browser; both stop early
#                               after a few minutes at large sizes, after at least 3 rounds)
#   SOTAY=path                  a sotay binary (default: `cargo build --release` of the work tree
#                               at the start, copied to bench/work/bin/sotay-search)
#   PAGEFIND_VERSION=1.5.2      the PyPI pagefind-bin version
#   PAGEFIND_MEM_GB=12          address-space cap for Pagefind (prlimit --as): it needed 3.5 GB
#                               of RSS at 10,000 documents, growing linearly, so at 100,000 it
#                               would take the machine's memory from everyone else; over the cap
#                               it fails, and that size has no Pagefind numbers
#   SOTAY_MEM_GB=18             the same cap for `sotay build` (about 1 GB of RSS per 10,000)
#
# Everything it makes goes under bench/work/ (search/, venv-search/, target/). Compiles and timed
# runs are under `nice -n 19`.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=$BENCH/work
SW=$WORK/search
SIZES=${SIZES:-"1000 10000 100000"}
RUNS=${RUNS:-3}
RUNS_LARGE=${RUNS_LARGE:-1}
REPS=${REPS:-30}
PAGEFIND_VERSION=${PAGEFIND_VERSION:-1.5.2}
PAGEFIND_MEM_GB=${PAGEFIND_MEM_GB:-12}
SOTAY_MEM_GB=${SOTAY_MEM_GB:-18}
QUERIES=$BENCH/search-queries.json
NICE=(nice -n 19)
mkdir -p "$SW"

say() { printf '%s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------

TIME=/usr/bin/time
if [[ ! -x $TIME ]]; then
    say "installing Debian's time package for $TIME"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi
for tool in node python3 cargo; do
    command -v "$tool" >/dev/null || { say "search.sh needs $tool"; exit 2; }
done
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
    say "installing Debian's chromium"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
if [[ ! -d $ROOT/tests/browser/node_modules/playwright-core ]]; then
    say "installing playwright-core for tests/browser (npm ci)"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund >&2)
fi

# A compile of the work tree may fail while someone is mid-edit: retry a few times.
compile() {
    local dir=$1 try
    shift
    for try in 1 2 3 4; do
        if (cd "$dir" && "${NICE[@]}" cargo build --release "$@" >&2); then
            return 0
        fi
        if [[ $try -lt 4 ]]; then
            say "compile in $dir failed (tree mid-edit?); retrying in 180 s"
            sleep 180
        fi
    done
    return 1
}

# sotay: the work tree as it is now, built and copied aside, so that a rebuild by someone else
# during the run (it takes an hour at 100,000 documents) changes nothing; the latency tool is
# compiled right after from the same tree.
REV="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- generator themes src sync-server 2>/dev/null || echo ' + uncommitted changes')"
if [[ -z ${SOTAY:-} ]]; then
    say "sotay: cargo build --release (the work tree at $REV)"
    compile "$ROOT" || { say "sotay: the release binary could not be built"; exit 1; }
    mkdir -p "$WORK/bin"
    cp "$ROOT/target/release/sotay" "$WORK/bin/sotay-search"
    SOTAY=$WORK/bin/sotay-search
fi
say "sotay: $SOTAY"

LATENCY=$WORK/target/release/sotay-search-latency
if [[ ! -f $BENCH/search-latency/Cargo.lock ]]; then
    # Same dependency versions as the main workspace.
    cp "$ROOT/Cargo.lock" "$BENCH/search-latency/Cargo.lock"
fi
say "search-latency: cargo build --release (bench/search-latency, target bench/work/target)"
compile "$BENCH/search-latency" --target-dir "$WORK/target" || { say "search-latency could not be built"; exit 1; }

VENV=$WORK/venv-search
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c "import brotli, importlib.metadata as m; assert m.version('pagefind_bin') == '$PAGEFIND_VERSION'" 2>/dev/null; then
    say "pip install pagefind-bin==$PAGEFIND_VERSION brotli (into $VENV)"
    "$VENV/bin/pip" install -q "pagefind-bin==$PAGEFIND_VERSION" brotli >&2
fi
PAGEFIND=$("$VENV/bin/python" -c "import pagefind_bin, os; print(os.path.join(os.path.dirname(pagefind_bin.__file__), 'pagefind'))")
[[ -x $PAGEFIND ]] || { say "no pagefind binary at $PAGEFIND"; exit 1; }
say "pagefind: $("$PAGEFIND" --version)"

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD_START" 'BEGIN {exit !(l > 0.7)}'; then
    say "warning: load average is $LOAD_START before the benchmark; other work on the machine will make the timings noisy"
fi

# --- per size --------------------------------------------------------------------------------

corpus() {
    local size=$1 dir=$SW/corpus-$1 stamp
    stamp="$(sha256sum "$BENCH/gen_corpus.py" | cut -d' ' -f1) sotay $size"
    if [[ ! -f $dir/.stamp || $(cat "$dir/.stamp") != "$stamp" ]]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        "${NICE[@]}" python3 "$BENCH/gen_corpus.py" "$dir" --docs "$size" --flavor sotay >&2
        printf '%s' "$stamp" >"$dir/.stamp"
    fi
    printf '%s\n' "$dir"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# timed LOG CMD...: runs CMD under nice and /usr/bin/time; prints "seconds max_rss_kb".
timed() {
    local log=$1
    shift
    sync
    if ! "${NICE[@]}" "$TIME" -f "%e %M" -o "$SW/time.txt" "$@" >"$log" 2>&1; then
        say "FAILED: $* (log: $log)"
        tail -n 20 "$log" >&2
        return 1
    fi
    cat "$SW/time.txt"
}

DIRS=()
for size in $SIZES; do
    say ""
    say "=== $size documents ==="
    src=$(corpus "$size")
    out=$SW/site-$size
    raw=$SW/raw-$size
    rm -rf "$raw"
    mkdir -p "$raw"
    runs=$RUNS
    if ((size >= 50000)); then runs=$RUNS_LARGE; fi

    full=() noidx=() rss=()
    for run in $(seq 1 "$runs"); do
        rm -rf "$out" "$out.index"
        res=$(timed "$raw/build-full-$run.log" prlimit --as=$((SOTAY_MEM_GB << 30)) "$SOTAY" build --root "$src" --out "$out")
        read -r secs kb <<<"$res"
        full+=("$secs") rss+=("$kb")
        say "sotay build (full) $run: ${secs} s, $((kb / 1024)) MB peak RSS: $(tail -n 1 "$raw/build-full-$run.log")"
    done
    stamp_before=$(stat -c %Y.%s "$out.index/inputs.hash")
    for run in $(seq 1 "$runs"); do
        rm -rf "$out"
        res=$(timed "$raw/build-noindex-$run.log" prlimit --as=$((SOTAY_MEM_GB << 30)) "$SOTAY" build --root "$src" --out "$out")
        read -r secs kb <<<"$res"
        noidx+=("$secs") rss+=("$kb")
        say "sotay build (tantivy index unchanged) $run: ${secs} s"
    done
    if [[ $(stat -c %Y.%s "$out.index/inputs.hash") != "$stamp_before" ]]; then
        say "warning: the tantivy index was rewritten although its inputs did not change"
    fi
    # The tantivy write alone, in-process: the site built in memory, then only the index timed.
    if "${NICE[@]}" prlimit --as=$((SOTAY_MEM_GB << 30)) "$LATENCY" --index-write "$src" "$SW/index-write-$size" \
        >"$raw/index-write.json" 2>"$raw/index-write.log"; then
        say "tantivy index write alone: $(cat "$raw/index-write.json")"
    else
        say "the in-process index write failed (see $raw/index-write.log)"
        rm -f "$raw/index-write.json"
    fi
    rm -rf "$SW/index-write-$size"

    rm -rf "$out/pagefind"
    pf_flag=--pagefind
    if res=$(timed "$raw/pagefind.log" prlimit --as=$((PAGEFIND_MEM_GB << 30)) "$PAGEFIND" --site "$out"); then
        read -r pf_secs pf_kb <<<"$res"
        say "pagefind: ${pf_secs} s, $((pf_kb / 1024)) MB peak RSS: $(grep -E 'Indexed [0-9]+ pages' "$raw/pagefind.log" | head -n 1 | xargs)"
    else
        say "pagefind failed at $size documents (over ${PAGEFIND_MEM_GB} GB of address space?): no Pagefind numbers for this size"
        rm -rf "$out/pagefind"
        pf_secs=nan pf_kb=nan pf_flag=
    fi
    python3 - "$raw/build.json" "${full[*]}" "${noidx[*]}" "${rss[*]}" "$pf_secs" "$pf_kb" "$raw/pagefind.log" <<'EOF'
import json, math, sys
f = lambda s: [float(x) for x in s.split()]
b = {"full": f(sys.argv[2]), "no_index": f(sys.argv[3]), "rss_kb": f(sys.argv[4]),
     "pagefind": float(sys.argv[5]), "pagefind_rss_kb": float(sys.argv[6])}
if math.isnan(b["pagefind"]):
    lines = [l.strip() for l in open(sys.argv[7], errors="replace") if l.strip()]
    why = [l for l in lines if "memory allocation" in l or "rror" in l or "panicked" in l] or lines[-2:]
    at = [l for l in lines if l.startswith("[")]
    b["pagefind_error"] = ("%s%s" % (" / ".join(why[:2]), " (during %s)" % at[-1] if at else ""))[:300]
json.dump(b, open(sys.argv[1], "w"))
EOF

    say "server query latency ($REPS rounds of $(python3 -c "import json;print(len(json.load(open('$QUERIES'))['latency']))" ) queries)"
    "${NICE[@]}" "$LATENCY" "$out.index" "$QUERIES" --reps "$REPS" --budget-secs 240 --recall >"$raw/latency.json"
    say "browser: sotay search.js and Pagefind in Chromium"
    if ! "${NICE[@]}" node "$BENCH/search-browser.mjs" "$out" "$QUERIES" "$raw/browser.json" --reps "$REPS" $pf_flag >&2; then
        say "the browser measurements failed at $size documents (see above); going on without them"
        rm -f "$raw/browser.json"
    fi
    say "summary (sizes, recall)"
    "${NICE[@]}" "$VENV/bin/python" "$BENCH/search_report.py" summarize --size "$size" --site "$out" --raw "$raw" "$QUERIES"
    DIRS+=("$raw")
done

# --- report ----------------------------------------------------------------------------------

FACTS=$SW/facts.md
{
    echo "Search benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -m | awk '/^Mem:/ {print $2}') MB RAM;"
    echo "load average $LOAD_START at the start, $(cut -d' ' -f1 /proc/loadavg) at the end (the machine is shared; everything ran under nice -n 19)."
    echo "sotay $REV (built at the start, $SOTAY), Pagefind $("$PAGEFIND" --version | cut -d' ' -f2) (default settings: \`pagefind --site OUT\`), $("$CHROMIUM" --version 2>/dev/null | head -n 1) headless."
    echo "Pagefind and sotay build ran under an address-space cap (prlimit --as) of $PAGEFIND_MEM_GB GB and $SOTAY_MEM_GB GB, so that neither can take the shared machine's memory."
    echo "Builds: median of $RUNS runs ($RUNS_LARGE at 50,000 documents and more); queries: the $(python3 -c "import json;print(len(json.load(open('$QUERIES'))['latency']))") queries of bench/search-queries.json, $REPS rounds (fewer at large sizes when over the time budget)."
} >"$FACTS"
RESULTS=$WORK/search-results.md
"$VENV/bin/python" "$BENCH/search_report.py" table "${DIRS[@]}" --facts "$FACTS" | tee "$RESULTS"
