#!/usr/bin/env bash
# Every benchmark, one after the other, on a machine left alone for the duration (about two
# hours; the reports dataset alone is ~6 GB and is reused once made):
#
#   bench/all.sh
#
# Each one is also its own command (see bench/README.md); each writes its table to
# bench/work/*-results.md, and this script gathers them in bench/work/all-results.md, with the
# machine and the commit, for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/work
out=bench/work/all-results.md
{
    echo "# Benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (+ local changes)')"
    echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -m | awk '/Mem:/ {print $2}') MB RAM, $(uname -sr)"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
} > "$out"
cargo build --release --locked
# run NAME RESULTS LOCK COMMAND...: LOCK=lock takes /tmp/sotay-bench.lock around the command;
# LOCK=self for the scripts that take it themselves (after their own preparation).
run() {
    local name=$1 results=$2 lock=$3
    shift 3
    echo "== $name" >&2
    if [[ $lock == lock ]]; then flock /tmp/sotay-bench.lock "$@"; else "$@"; fi
    { echo "## $name"; echo; cat "$results"; echo; } >> "$out"
}
run "Full build (sotay, Hugo, Zola)" bench/work/results.md lock bench/build.sh
run "Search (sotay server and browser, Pagefind)" bench/work/search-results.md lock bench/search.sh
run "Offline (first view, offline download, update)" bench/work/offline-results.md lock bench/offline.sh
run "Editors' loop (sotay serve)" bench/work/reload-results.md lock \
    sh -c 'python3 bench/reload.py > bench/work/reload-results.md'
run "Sync server (ingest, mixed latency, static vs nginx, memory)" bench/work/server-results.md self bench/server/run.sh
run "Usage reports (1,000,000 members, 20,000,000 events)" bench/work/reports-results.md self bench/reports/run.sh
run "PostgreSQL next to SQLite (ingest, copy, reports)" bench/work/pg-results.md self bench/pg/run.sh
run "Notices (phones asking, read counts at the root)" bench/work/notices-results.md self \
    env MEMBERS=1000000 PHONES=all SOTAY="$PWD/target/release/sotay" bench/notices/run.sh
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
echo "all results: $out" >&2
