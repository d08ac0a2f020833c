#!/usr/bin/env bash
# Usage reports benchmark: one command.
#
#   bench/reports/run.sh
#
# 1. makes a synthetic national-size dataset: `sotay roster sample --members 1000000`, imported
#    with `sotay roster import`, then 20,000,000 events of the last 12 months and everything the
#    server derives from them (devices, events, member_days, meetings, doc_reads) written
#    straight into SQLite by gen_dataset.py (see its header for what the data looks like);
# 2. starts `sotay server` on it RESTARTS times and reads the cold start, the time to load the
#    report aggregate, from its log ("reports loaded ms=...");
# 3. times the usage report through the API (GET /api/v1/reports/usage, JSON, admin token) for
#    the root unit and for one cell (the largest), warm, REPEAT times each: median and max, for the
#    default period (this month) and for the last 12 months; also every other call the dashboard
#    makes for the root (me, trend, year, feedback; each should stay under 200 ms), and how long
#    a static page takes while three admins loop the heaviest of them (contention.py);
# 4. checks the report against the database (views, registered members, active members).
#
# Prints a Markdown table and writes it to bench/work/reports-results.md; work files go under
# bench/work/reports/ (gitignored; the full dataset takes ~6 GB). Installs what is missing
# (Debian's sqlite3; numpy from PyPI into bench/work/reports/venv if python3 lacks it), builds
# sotay with `nice -n 19 cargo build --release`, and runs everything from the dataset on under
# `flock /tmp/sotay-bench.lock`.
#
# Settings (environment), defaults in brackets:
#   MEMBERS [1000000]  EVENTS [20000000]  REGISTERED [0.70]  SEED [7]
#   REPEAT [5]  RESTARTS [3]
#   VERIFY [quick]   dataset checks: quick (counts), full (every derived table against events;
#                    minutes at full size), none
#   REUSE [0]        1: keep a dataset made earlier with the same MEMBERS/EVENTS/SEED (its
#                    generation times are reported from the run that made it)
#   QUIET_WAIT [300] before the server runs, wait up to this long for the shared machine to be
#                    >= 80% idle
#   SOTAY=path       use this binary instead of building target/release/sotay
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/../.." && pwd)
WORK=$ROOT/bench/work/reports
RESULTS=$ROOT/bench/work/reports-results.md
LOCK=/tmp/sotay-bench.lock
MEMBERS=${MEMBERS:-1000000}
EVENTS=${EVENTS:-20000000}
REGISTERED=${REGISTERED:-0.70}
SEED=${SEED:-7}
REPEAT=${REPEAT:-5}
RESTARTS=${RESTARTS:-3}
VERIFY=${VERIFY:-quick}
REUSE=${REUSE:-0}
QUIET_WAIT=${QUIET_WAIT:-300}
NICE=(nice -n 19)

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ ${1:-} != --locked ]]; then
    mkdir -p "$WORK"
    if ! command -v sqlite3 >/dev/null; then
        say "installing sqlite3 (Debian)"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >&2
    fi
    if python3 -c 'import numpy' 2>/dev/null; then
        echo python3 >"$WORK/python"
    else
        if [[ ! -x $WORK/venv/bin/python ]]; then
            say "installing numpy from PyPI into $WORK/venv"
            python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q numpy >&2
        fi
        echo "$WORK/venv/bin/python" >"$WORK/python"
    fi
    if [[ -z ${SOTAY:-} ]]; then
        say "building sotay (nice -n 19 cargo build --release)"
        for try in 1 2 3; do
            if (cd "$ROOT" && "${NICE[@]}" cargo build --release --locked >&2); then break; fi
            [[ $try == 3 ]] && die "cargo build --release failed"
            sleep 30
        done
        SOTAY=$ROOT/target/release/sotay
    fi
    cp "$SOTAY" "$WORK/sotay.new" && mv "$WORK/sotay.new" "$WORK/sotay"
    rm -rf "$WORK/site" "$WORK/site.index"
    "${NICE[@]}" "$WORK/sotay" build --root "$ROOT" --out "$WORK/site" >&2
    say "waiting for $LOCK (other benchmarks)"
    exec flock "$LOCK" "$0" --locked
fi

SERVER_PID=""
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    true
}
trap cleanup EXIT
PY=$(cat "$WORK/python")

# --- the dataset -------------------------------------------------------------------------------

NAME="m$MEMBERS-e$EVENTS-s$SEED"
DATA=$WORK/$NAME
DB=$DATA/db.sqlite
if [[ $REUSE == 1 && -f $DATA/dataset.env ]]; then
    say "reusing the dataset in $DATA"
else
    rm -rf "$DATA"
    mkdir -p "$DATA"
    say "roster: sotay roster sample --members $MEMBERS"
    t0=$(date +%s.%N)
    "$WORK/sotay" roster sample --out "$DATA/roster" --members "$MEMBERS" >&2
    t1=$(date +%s.%N)
    say "roster: sotay roster import"
    "$WORK/sotay" roster import --units "$DATA/roster/units.csv" --members "$DATA/roster/members.csv" \
        --db "sqlite://$DB" >"$DATA/import.log" 2>&1 || { tail "$DATA/import.log" >&2; die "roster import failed"; }
    t2=$(date +%s.%N)
    say "events: gen_dataset.py --events $EVENTS"
    "$PY" "$BENCH/gen_dataset.py" --db "$DB" --units "$DATA/roster/units.csv" \
        --members "$DATA/roster/members.csv" --catalog "$WORK/site/catalog.json" --events "$EVENTS" \
        --registered "$REGISTERED" --seed "$SEED" --verify "$VERIFY" >"$DATA/gen.env" 2> >(tee "$DATA/gen.log" >&2) ||
        die "gen_dataset.py failed: $(tail -3 "$DATA/gen.log")"
    t3=$(date +%s.%N)
    {
        cat "$DATA/gen.env"
        echo "SAMPLE_SECONDS=$(python3 -c "print(round($t1 - $t0, 1))")"
        echo "IMPORT_SECONDS=$(python3 -c "print(round($t2 - $t1, 1))")"
        echo "DATASET_SECONDS=$(python3 -c "print(round($t3 - $t0, 1))")"
        echo "DATASET_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "VERIFY=$VERIFY"
    } >"$DATA/dataset.env"
fi
# shellcheck disable=SC1091
source "$DATA/dataset.env"
ADMIN=$("$WORK/sotay" admin create --unit TU --db "sqlite://$DB" 2>/dev/null | head -1)
[[ $ADMIN == a_* ]] || die "no admin token"
CELL=$(sqlite3 "$DB" "SELECT unit_code FROM members WHERE active = 1 GROUP BY unit_code ORDER BY count(*) DESC, unit_code LIMIT 1")
CELL_MEMBERS=$(sqlite3 "$DB" "SELECT count(*) FROM members WHERE active = 1 AND unit_code = '$CELL'")
ROOT_CHILDREN=$(sqlite3 "$DB" "SELECT count(*) FROM units WHERE active = 1 AND parent_code = 'TU'")
UNITS=$(sqlite3 "$DB" "SELECT count(*) FROM units WHERE active = 1")
TODAY=$(TZ=Asia/Ho_Chi_Minh date +%F)
YEAR_FROM=$(TZ=Asia/Ho_Chi_Minh date -d '364 days ago' +%F)
MONTH_FROM=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-01)
DB_SIZE=$(du -cb "$DB"* | tail -1 | cut -f1)

# --- the server: cold starts and warm reports ---------------------------------------------------

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
ADDR=127.0.0.1:$PORT
start_server() { # log file
    "$WORK/sotay" server --site "$WORK/site" --db "sqlite://$DB" --listen "$ADDR" 2>"$1" >/dev/null &
    SERVER_PID=$!
    local t0 t1
    t0=$(date +%s.%N)
    for _ in $(seq 6000); do
        grep -q 'msg=listening' "$1" && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped: $(tail -3 "$1")"
        sleep 0.05
    done
    curl -fsS "http://$ADDR/healthz" >/dev/null || die "the server did not answer: $(tail -3 "$1")"
    t1=$(date +%s.%N)
    READY_MS=$(python3 -c "print(round(($t1 - $t0) * 1000))")
    LOADED_MS=$(sed -n 's/.*msg="reports loaded" ms=\([0-9]*\).*/\1/p' "$1" | head -1)
}
stop_server() {
    kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
# GET an API path REPEAT times; prints "median max status bytes" of the client-side times (ms).
timed() { # name path
    local out=$WORK/$1.times
    : >"$out"
    for _ in $(seq "$REPEAT"); do
        curl -sS -o "$WORK/$1.json" -H "Authorization: Bearer $ADMIN" \
            -w '%{http_code} %{time_total} %{size_download}\n' "http://$ADDR$2" >>"$out"
    done
    python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ms = [float(r[1]) * 1000 for r in rows]
codes = sorted({r[0] for r in rows})
print(f"{statistics.median(ms):.1f} {max(ms):.1f} {','.join(codes)} {rows[-1][2]}")
PY
}

# The machine is shared: wait (up to QUIET_WAIT s) until others leave it mostly idle.
cpu_idle() {
    local u1 n1 s1 i1 w1 q1 sq1 u2 n2 s2 i2 w2 q2 sq2
    read -r _ u1 n1 s1 i1 w1 q1 sq1 _ </proc/stat
    sleep "$1"
    read -r _ u2 n2 s2 i2 w2 q2 sq2 _ </proc/stat
    echo $(( 100 * ((i2 + w2) - (i1 + w1)) / ((u2+n2+s2+i2+w2+q2+sq2) - (u1+n1+s1+i1+w1+q1+sq1)) ))
}
IDLE_BEFORE=$(cpu_idle 5)
waited=0
while (( IDLE_BEFORE < 80 && waited < ${QUIET_WAIT:-300} )); do
    say "the machine is busy ($IDLE_BEFORE% idle): waiting for it to calm down"
    sleep 25
    waited=$((waited + 30))
    IDLE_BEFORE=$(cpu_idle 5)
done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
COLD=()
READY=()
for i in $(seq "$RESTARTS"); do
    say "server start $i/$RESTARTS"
    start_server "$WORK/server-$i.log"
    COLD+=("$LOADED_MS")
    READY+=("$READY_MS")
    say "  reports loaded in $LOADED_MS ms; answering after $READY_MS ms"
    if [[ $i == 1 ]]; then
        HWM_START=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
        curl -fsS -H "Authorization: Bearer $ADMIN" "http://$ADDR/api/v1/reports/usage?unit=TU" >/dev/null  # first use
        say "  warm: usage root / cell, this month and 12 months; trend; feedback (x$REPEAT each)"
        R_ROOT_MONTH=$(timed root-month "/api/v1/reports/usage?unit=TU")
        R_CELL_MONTH=$(timed cell-month "/api/v1/reports/usage?unit=$CELL")
        R_ROOT_YEAR=$(timed root-year "/api/v1/reports/usage?unit=TU&from=$YEAR_FROM&to=$TODAY")
        R_CELL_YEAR=$(timed cell-year "/api/v1/reports/usage?unit=$CELL&from=$YEAR_FROM&to=$TODAY")
        R_ROOT_TREND=$(timed root-trend "/api/v1/reports/trend?unit=TU&weeks=12")
        R_ROOT_FEEDBACK=$(timed root-feedback "/api/v1/reports/feedback?unit=TU")
        R_CELL_MEMBERS=$(timed cell-members "/api/v1/reports/members?unit=$CELL")
        # The dashboard's other calls at the root (issue 18): who the token is, the year's
        # months; then the heaviest root call is the one three admins loop.
        R_ROOT_ME=$(timed root-me "/api/v1/reports/me")
        R_ROOT_YEARVIEW=$(timed root-yearview "/api/v1/reports/year?unit=TU&year=${TODAY:0:4}")
        HEAVIEST=$(for k in "root-month:/api/v1/reports/usage?unit=TU" "root-year:/api/v1/reports/usage?unit=TU&from=$YEAR_FROM&to=$TODAY" \
                "root-trend:/api/v1/reports/trend?unit=TU&weeks=12" "root-feedback:/api/v1/reports/feedback?unit=TU" \
                "root-yearview:/api/v1/reports/year?unit=TU&year=${TODAY:0:4}"; do
            n=${k%%:*}; printf '%s %s\n' "$(awk '{print $2 * 1000}' "$WORK/$n.times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "${k#*:}"
        done | sort -n | tail -1 | cut -d' ' -f2-)
        say "  a static page while 3 admins loop the heaviest root call ($HEAVIEST)"
        python3 "$BENCH/contention.py" --addr "$ADDR" --token "$ADMIN" --clients 3 --seconds 8 \
            --path "$HEAVIEST" --probe / >"$WORK/contention.json"
        # The report against the database, over the 12 months.
        read -r REP_VIEWS REP_REG REP_ACTIVE REP_MEMBERS < <(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
print(t["views"], t["registered"], t["active"], t["members"])' "$WORK/root-year.json")
        DB_VIEWS=$(sqlite3 "$DB" "SELECT sum(views) FROM member_days WHERE day BETWEEN '$YEAR_FROM' AND '$TODAY'")
        DB_REG=$(sqlite3 "$DB" "SELECT count(DISTINCT d.card_number) FROM devices d JOIN members m ON m.card_number = d.card_number AND m.active = 1 WHERE date(d.created_at, 'unixepoch', '+7 hours') <= '$TODAY'")
        DB_ACTIVE=$(sqlite3 "$DB" "SELECT count(DISTINCT card_number) FROM member_days WHERE day BETWEEN '$YEAR_FROM' AND '$TODAY'")
        DB_MEMBERS=$(sqlite3 "$DB" "SELECT count(*) FROM members WHERE active = 1")
        HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
        grep -h 'path=/api/v1/reports' "$WORK/server-1.log" | sed -n 's/.*path=\([^ ]*\) status=\([0-9]*\) ms=\([0-9.]*\).*/\1 \2 \3/p' >"$WORK/server-side-ms.txt"
    fi
    stop_server
done
server_errors=$(cat "$WORK"/server-*.log | grep -c 'level=error' || true)
server_panics=$(cat "$WORK"/server-*.log | grep -ci 'panicked' || true)

# --- the table -----------------------------------------------------------------------------------

export MEMBERS EVENTS SEED REPEAT RESTARTS LOAD_START CELL CELL_MEMBERS ROOT_CHILDREN UNITS TODAY \
    IDLE_BEFORE YEAR_FROM MONTH_FROM DB_SIZE HWM HWM_START R_ROOT_MONTH R_CELL_MONTH R_ROOT_YEAR R_CELL_YEAR \
    R_ROOT_TREND R_ROOT_FEEDBACK R_CELL_MEMBERS R_ROOT_ME R_ROOT_YEARVIEW HEAVIEST REP_VIEWS REP_REG REP_ACTIVE REP_MEMBERS DB_VIEWS \
    DB_REG DB_ACTIVE DB_MEMBERS server_errors server_panics WORK ROOT DATA
export COLD_LIST="${COLD[*]}" READY_LIST="${READY[*]}"
python3 - >"$RESULTS" <<'PY'
import json, os, platform, statistics, subprocess
e = os.environ
def sh(c):
    return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
env = dict(l.strip().split("=", 1) for l in open(os.path.join(e["DATA"], "dataset.env")) if "=" in l)
yes = lambda b: "yes" if b else "**no**"
def timing(key):
    med, mx, codes, size = e[key].split()
    return float(med), float(mx), codes, int(size)
# The server's own time per call (its request log), in the order the calls were made: one first
# call, then REPEAT of each.
server_ms = [float(l.split()[2]) for l in open(os.path.join(e["WORK"], "server-side-ms.txt")) if l.strip()][1:]
R = int(e["REPEAT"])
order = ["R_ROOT_MONTH", "R_CELL_MONTH", "R_ROOT_YEAR", "R_CELL_YEAR", "R_ROOT_TREND", "R_ROOT_FEEDBACK", "R_CELL_MEMBERS", "R_ROOT_ME", "R_ROOT_YEARVIEW"]
def server(key):
    i = order.index(key)
    xs = server_ms[i * R:(i + 1) * R]
    return f"server {statistics.median(xs):.1f} ms" if xs else "server ?"
cold = [int(x) for x in e["COLD_LIST"].split()]
ready = [int(x) for x in e["READY_LIST"].split()]
mem = sh("free -m | awk '/^Mem:/ {print $2\" MB total, \"$7\" MB available\"}'")
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
commit = sh(f"git -C {e['ROOT']} rev-parse --short HEAD") + (" (+ local changes)" if sh(f"git -C {e['ROOT']} status --porcelain --untracked-files=no") else "")
out = []
w = out.append
w("# Usage reports benchmark\n")
w(f"- date: {sh('date -u +%Y-%m-%dT%H:%M:%SZ')}; sotay {commit}; dataset made {env['DATASET_DATE']}")
w(f"- machine: {sh('nproc')} cores ({cpu}), {mem}, {platform.system()} {platform.release()}; load average before the server runs {e['LOAD_START']}, CPU idle in the 5 s before {e['IDLE_BEFORE']}%")
w(f"- dataset: {int(env['DS_MEMBERS']):,} members in {int(e['UNITS']):,} units (root TU with {e['ROOT_CHILDREN']} child units), "
  f"{int(env['DS_REGISTERED']):,} registered ({int(env['DS_REGISTERED']) / int(env['DS_MEMBERS']):.0%}), {int(env['DS_EVENTS']):,} events of the last 12 months "
  f"from {int(env['DS_ACTIVE_MEMBERS']):,} members plus meeting recorders ({env['DS_TYPE_SHARES']}), {int(env['DS_MEETINGS']):,} meetings, "
  f"{int(env['DS_MEMBER_DAYS']):,} member-days, {int(env['DS_DOC_READS']):,} first reads; database {int(e['DB_SIZE']) / 2**30:.1f} GiB; seed {e['SEED']}; checks: {env['DS_CHECKS']} ({env['VERIFY']})")
w(f"- cell measured: {e['CELL']} ({e['CELL_MEMBERS']} members, the largest); periods: this month ({e['MONTH_FROM']} – {e['TODAY']}, the server's default) and 12 months ({e['YEAR_FROM']} – {e['TODAY']})")
w("")
w("| measure | result | target | met |")
w("|---|---|---|---|")
rm = timing("R_ROOT_MONTH"); cm = timing("R_CELL_MONTH")
ry = timing("R_ROOT_YEAR"); cy = timing("R_CELL_YEAR")
w(f"| usage report, root, this month (warm, ×{e['REPEAT']}) | **median {rm[0]:.0f} ms**, max {rm[1]:.0f} ms ({server('R_ROOT_MONTH')}; HTTP {rm[2]}, {rm[3]:,} bytes) | < 1 s | {yes(rm[1] < 1000)} |")
w(f"| usage report, one cell, this month (warm, ×{e['REPEAT']}) | **median {cm[0]:.1f} ms**, max {cm[1]:.1f} ms ({server('R_CELL_MONTH')}; HTTP {cm[2]}, {cm[3]:,} bytes) | < 50 ms | {yes(cm[1] < 50)} |")
w(f"| usage report, root, 12 months | median {ry[0]:.0f} ms, max {ry[1]:.0f} ms ({server('R_ROOT_YEAR')}; HTTP {ry[2]}) | < 1 s | {yes(ry[1] < 1000)} |")
w(f"| usage report, one cell, 12 months | median {cy[0]:.1f} ms, max {cy[1]:.1f} ms ({server('R_CELL_YEAR')}; HTTP {cy[2]}) | < 50 ms | {yes(cy[1] < 50)} |")
w(f"| cold start: report aggregate loaded (×{e['RESTARTS']} starts) | **median {statistics.median(cold) / 1000:.1f} s**, max {max(cold) / 1000:.1f} s (each: {', '.join(f'{x / 1000:.1f} s' for x in cold)}); answering after {statistics.median(ready) / 1000:.1f} s | | |")
w(f"| peak memory of the server (VmHWM) | {int(e['HWM']) / 1024:.0f} MB after the reports ({int(e['HWM_START']) / 1024:.0f} MB once loaded) | | |")
w(f"| report = database (12 months, root) | views {int(e['REP_VIEWS']):,} / {int(e['DB_VIEWS']):,}; registered {int(e['REP_REG']):,} / {int(e['DB_REG']):,}; active {int(e['REP_ACTIVE']):,} / {int(e['DB_ACTIVE']):,}; members {int(e['REP_MEMBERS']):,} / {int(e['DB_MEMBERS']):,} | equal | {yes(e['REP_VIEWS'] == e['DB_VIEWS'] and e['REP_REG'] == e['DB_REG'] and e['REP_ACTIVE'] == e['DB_ACTIVE'] and e['REP_MEMBERS'] == e['DB_MEMBERS'])} |")
w("")
w("Other calls of the dashboard, for reference (warm, client-side, median / max):\n")
w("| call | median | max | server median | HTTP | every root call < 200 ms (issue 18) |")
w("|---|---|---|---|---|---|")
for label, key in (("the token's unit (/api/v1/reports/me)", "R_ROOT_ME"),
                   ("usage of the root, this month (the dashboard's table)", "R_ROOT_MONTH"),
                   ("usage of the root, 12 months", "R_ROOT_YEAR"),
                   ("trend of the root, 12 weeks (/api/v1/reports/trend)", "R_ROOT_TREND"),
                   ("the root's year, month by month (/api/v1/reports/year)", "R_ROOT_YEARVIEW"),
                   ("feedback of the root, this month (/api/v1/reports/feedback)", "R_ROOT_FEEDBACK"),
                   ("members of the cell (/api/v1/reports/members)", "R_CELL_MEMBERS")):
    t = timing(key)
    root = key.startswith("R_ROOT")
    w(f"| {label} | {t[0]:.0f} ms | {t[1]:.0f} ms | {server(key)[7:]} | {t[2]} | {yes(t[1] < 200) if root else ''} |")
ct = json.load(open(os.path.join(e["WORK"], "contention.json")))
w("")
w(f"A static page (`/`) every 50 ms while {ct['clients']} admins loop the heaviest root call (`{e['HEAVIEST']}`; {ct['reports']['n']} calls, median {ct['reports']['p50']} ms): median {ct['busy']['p50']:.1f} ms, **p99 {ct['busy']['p99']:.1f} ms**, max {ct['busy']['max']:.0f} ms (idle: median {ct['idle']['p50']:.1f} ms, max {ct['idle']['max']:.1f} ms); p99 < 25 ms: {yes(ct['busy']['p99'] < 25)}.")
w("")
w("Dataset generation (one run, machine shared):\n")
w("| step | time |")
w("|---|---|")
w(f"| `sotay roster sample --members {int(e['MEMBERS']):,}` | {float(env['SAMPLE_SECONDS']):.0f} s |")
w(f"| `sotay roster import` | {float(env['IMPORT_SECONDS']):.0f} s |")
w(f"| gen_dataset.py: {int(env['DS_EVENTS']):,} events and the derived tables (events alone {float(env['DS_EVENTS_SECONDS']):.0f} s) | {float(env['DS_GENERATE_SECONDS']):.0f} s |")
w(f"| total | **{float(env['DATASET_SECONDS']) / 60:.1f} min** |")
w("")
w(f"Times are measured by the client (curl, a new connection per request; the admin token is checked on each); 'server' is the server's own time from its request log. Server errors: {e['server_errors']} log lines at level=error, {e['server_panics']} panics. "
  "Cold start is the server's own `reports loaded ms=` (the OS page cache holds the database: the file was just written or read).")
print("\n".join(out))
PY
cat "$RESULTS"
say "written to $RESULTS"
