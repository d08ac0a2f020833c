#!/usr/bin/env bash
# First readable content and full offline download on an emulated slow 3G link (issue 16).
#
#   bench/slow3g/run.sh                    # the work tree
#   BEFORE=d6191e3 bench/slow3g/run.sh     # and an older commit next to it, in the same run
#
# Each site (the sample handbook, built by that revision's `sotay build` from that revision's
# content/) is served by its own `sotay server --no-rate-limits` behind bench/slow3g/throttle.py,
# a proxy that carries every byte as one phone's link would: DOWN_KBPS down and UP_KBPS up shared
# by all connections (the page and its service worker compete, as on a phone), RTT_MS round
# trip, a round trip per new connection. Chromium's own throttling would not slow the service
# worker, which is what downloads the handbook. Defaults: 400/400 kbit/s, 400 ms (WebPageTest's
# "3G Slow").
#
# bench/slow3g/firstview.mjs then opens, in Debian's headless Chromium as a 360×740 phone with a
# fresh profile per run: the home page (first contentful paint, largest contentful paint = the
# first readable content, load, and the time until the service worker has saved the whole
# handbook) and a long document, the sample charter (the same paints). Revisions alternate run by
# run (RUNS, default 5) so that drift on a shared machine weighs on both alike; the table has
# medians (and min–max). Written to bench/work/slow3g-results.md.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(dirname "$BENCH")
WORK=$BENCH/work/slow3g
RUNS=${RUNS:-5}
DOWN_KBPS=${DOWN_KBPS:-400}
UP_KBPS=${UP_KBPS:-400}
RTT_MS=${RTT_MS:-400}
PATHS=(/ /dieu-le/dieu-le-mau/)
mkdir -p "$WORK"
say() { printf '%s\n' "$*" >&2; }

for tool in node python3 cargo curl git; do
    command -v "$tool" >/dev/null || { say "slow3g needs $tool"; exit 2; }
done
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { say "needs Debian's chromium (apt-get install chromium)"; exit 2; }
if [[ ! -d $ROOT/tests/browser/node_modules/playwright-core ]]; then
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund >&2)
fi

# binary LABEL SRC: a release build of the tree at SRC, copied to $WORK/bin/sotay-LABEL. The
# target folder is the work tree's, so dependencies are compiled once.
binary() {
    say "cargo build --release ($1: $2)"
    (cd "$2" && CARGO_TARGET_DIR=$ROOT/target nice -n 19 cargo build --release --bin sotay >&2)
    mkdir -p "$WORK/bin"
    cp "$ROOT/target/release/sotay" "$WORK/bin/sotay-$1"
}

LABELS=()
declare -A SRC
if [[ -n ${BEFORE:-} ]]; then
    src=$WORK/src-$BEFORE
    if [[ ! -d $src ]]; then
        mkdir -p "$src"
        git -C "$ROOT" archive "$BEFORE" | tar -x -C "$src"
    fi
    binary before "$src"
    LABELS+=(before)
    SRC[before]=$src
fi
binary after "$ROOT"
LABELS+=(after)
SRC[after]=$ROOT
REV="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- generator themes src sync-server content 2>/dev/null || echo ' + uncommitted changes')"

for l in "${LABELS[@]}"; do
    rm -rf "$WORK/site-$l" "$WORK/site-$l.index"
    "$WORK/bin/sotay-$l" build --root "${SRC[$l]}" --out "$WORK/site-$l" >&2
done

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One server per revision, each behind its own link (two proxies: no sharing between them).
declare -A PROXY
for l in "${LABELS[@]}"; do
    port=$(free_port)
    rm -f "$WORK/$l.db"*
    "$WORK/bin/sotay-$l" server --site "$WORK/site-$l" --db "sqlite://$WORK/$l.db" --listen "127.0.0.1:$port" \
        --no-rate-limits >"$WORK/server-$l.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    exec {fd}< <(python3 "$BENCH/slow3g/throttle.py" --to "127.0.0.1:$port" --down-kbps "$DOWN_KBPS" \
        --up-kbps "$UP_KBPS" --rtt-ms "$RTT_MS")
    PIDS+=($!)
    read -r -u "$fd" pport
    PROXY[$l]="http://127.0.0.1:$pport"
    say "$l: server 127.0.0.1:$port, link ${PROXY[$l]}"
done

for r in $(seq "$RUNS"); do
    for l in "${LABELS[@]}"; do
        say "run $r/$RUNS: $l"
        nice -n 19 node "$BENCH/slow3g/firstview.mjs" "${PROXY[$l]}" 1 "$WORK/run-$l-$r.json" "${PATHS[@]}" >/dev/null
    done
done

FACTS="Slow 3G benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MB RAM, load average $(cut -d' ' -f1 /proc/loadavg); link ${DOWN_KBPS}/${UP_KBPS} kbit/s, RTT ${RTT_MS} ms; $RUNS runs per revision, alternating; work tree $REV${BEFORE:+, before = $BEFORE}; $(${CHROMIUM:-/usr/bin/chromium} --version 2>/dev/null | head -n 1) headless, 360×740 phone, fresh profile per run."
python3 - "$WORK" "$RUNS" "$FACTS" "${LABELS[@]}" <<'EOF' | tee "$BENCH/work/slow3g-results.md"
import json, statistics, sys
work, runs, facts, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
data = {l: [json.load(open(f"{work}/run-{l}-{r}.json")) for r in range(1, runs + 1)] for l in labels}
def cell(l, path, key):
    v = [run[path][0][key] for run in data[l] if run[path][0].get(key) is not None]
    if not v:
        return "–"
    s = lambda x: f"{x / 1000:.2f}"
    return f"{s(statistics.median(v))} s ({s(min(v))}–{s(max(v))})" if len(v) > 1 else s(v[0]) + " s"
print(facts)
print()
paths = list(data[labels[0]][0].keys())
print("| page | measure | " + " | ".join(labels) + " |")
print("|---|---|" + "---:|" * len(labels))
names = {"fcp": "first contentful paint", "lcp": "first readable content (largest contentful paint)",
         "load": "load event", "offline_ms": "whole handbook saved offline"}
for p in paths:
    for key, name in names.items():
        if key == "offline_ms" and p != paths[0]:
            continue
        print(f"| `{p}` | {name} | " + " | ".join(cell(l, p, key) for l in labels) + " |")
for l in labels:
    last = data[l][-1][paths[0]][0]
    print(f"\n{l}: largest contentful element on `{paths[0]}`: {last.get('lcpElement')}; precache entries {last.get('offline_entries')}, missing {last.get('offline_missing')}")
EOF
