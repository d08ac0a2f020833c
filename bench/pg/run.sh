#!/usr/bin/env bash
# PostgreSQL next to SQLite: one command.
#
#   bench/pg/run.sh
#
# 1. ingest: durable event ingest (wrk + bench/server/ingest.lua, batches of 50, fresh UUIDv7s,
#    round robin over REGISTER member tokens), the same load on
#      sqlite-1  one `sotay server` on embedded SQLite,
#      pg-1      one `sotay server` on PostgreSQL,
#      pg-2      two `sotay server` processes on the same PostgreSQL database, each getting half
#                of the connections (two wrk processes at once, the events/s summed);
#    then, for each: events the servers acknowledged against rows in the database, and the root
#    report's page views (read from each instance) against the database's sum;
# 2. reports: a dataset of MEMBERS_R members and EVENTS_R events of the last 12 months made by
#    bench/reports/gen_dataset.py in SQLite, moved into PostgreSQL with `sotay db copy` (timed),
#    then, on each database: the server's cold start (loading the report aggregate, from its
#    log) and the root's and the largest cell's usage report through the API, warm, REPEAT
#    times (median, max). On PostgreSQL every report call also asks the database for what other
#    instances wrote since (the catch-up), so its time includes one round trip.
#
# PostgreSQL is Debian's, as .ci/postgres.sh installs and starts it, with its default settings
# (synchronous_commit on, shared_buffers 128 MB). Prints a Markdown table and writes it to
# bench/work/pg-results.md; work files under bench/work/pg/ (gitignored). Runs the measurements
# under `flock /tmp/sotay-bench.lock` so benchmarks never overlap.
#
# Settings (environment), defaults in brackets:
#   MEMBERS [30000]  REGISTER [200]  INGEST_SECONDS [20]  INGEST_CONNECTIONS [128]
#   MEMBERS_R [200000]  EVENTS_R [4000000]  REPEAT [5]
#   SOTAY=path   use this binary instead of building target/release/sotay
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/../.." && pwd)
WORK=$ROOT/bench/work/pg
RESULTS=$ROOT/bench/work/pg-results.md
LOCK=/tmp/sotay-bench.lock
MEMBERS=${MEMBERS:-30000}
REGISTER=${REGISTER:-200}
INGEST_SECONDS=${INGEST_SECONDS:-20}
INGEST_CONNECTIONS=${INGEST_CONNECTIONS:-128}
MEMBERS_R=${MEMBERS_R:-200000}
EVENTS_R=${EVENTS_R:-4000000}
REPEAT=${REPEAT:-5}
NICE=(nice -n 19)
SUDO=""
[[ $(id -u) != 0 ]] && SUDO=sudo

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ ${1:-} != --locked ]]; then
    mkdir -p "$WORK"
    missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v sqlite3 >/dev/null || missing+=(sqlite3)
    if ((${#missing[@]})); then
        $SUDO apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
    fi
    if python3 -c 'import numpy' 2>/dev/null; then
        echo python3 >"$WORK/python"
    else
        if [[ ! -x $WORK/venv/bin/python ]]; then
            say "installing numpy from PyPI into $WORK/venv (for gen_dataset.py)"
            python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q numpy >&2
        fi
        echo "$WORK/venv/bin/python" >"$WORK/python"
    fi
    if [[ -z ${SOTAY:-} ]]; then
        say "building sotay (nice -n 19 cargo build --release)"
        (cd "$ROOT" && "${NICE[@]}" cargo build --release --locked >&2) || die "cargo build failed"
        SOTAY=$ROOT/target/release/sotay
    fi
    cp "$SOTAY" "$WORK/sotay.new" && mv "$WORK/sotay.new" "$WORK/sotay"
    rm -rf "$WORK/site" "$WORK/site.index" "$WORK/roster"
    "${NICE[@]}" "$WORK/sotay" build --root "$ROOT" --out "$WORK/site" >&2
    "$WORK/sotay" roster sample --out "$WORK/roster" --members "$MEMBERS" >&2
    python3 "$ROOT/bench/server/prep.py" docs --site "$WORK/site" --out "$WORK/docs.txt"
    say "waiting for $LOCK (other benchmarks)"
    exec flock "$LOCK" "$0" --locked
fi

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    true
}
trap cleanup EXIT

# shellcheck source=../../.ci/postgres.sh
source "$ROOT/.ci/postgres.sh"
PG_BASE=${SOTAY_TEST_PG%/*}
psql_admin() { PGPASSWORD=sotay psql -qAt -h 127.0.0.1 -p "$pg_port" -U sotay -d postgres "$@"; }
psql_db() { PGPASSWORD=sotay psql -qAt -h 127.0.0.1 -p "$pg_port" -U sotay -d "$1" -c "$2"; }
fresh_pg() { psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kv() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }

start_server() { # db-url log -> sets ADDR; appends the pid to PIDS (not in a subshell)
    local port addr
    port=$(free_port)
    addr=127.0.0.1:$port
    "$WORK/sotay" server --site "$WORK/site" --db "$1" --listen "$addr" --no-rate-limits 2>"$2" >/dev/null &
    PIDS+=($!)
    for _ in $(seq 600); do
        curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break
        kill -0 "${PIDS[-1]}" 2>/dev/null || die "server stopped: $(tail -3 "$2")"
        sleep 0.1
    done
    ADDR=$addr
}
stop_servers() { cleanup; PIDS=(); }
count() { # db-url sql
    case $1 in
        sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
        *) psql_db "${1##*/}" "$2" ;;
    esac
}
root_views() { # addr admin
    curl -fsS -H "Authorization: Bearer $2" "http://$1/api/v1/reports/usage?unit=TU&from=2020-01-01&to=$(TZ=Asia/Ho_Chi_Minh date +%F)" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["views"])'
}

# 1. Ingest -------------------------------------------------------------------------------------
ROWS=()
ingest() { # name db-url instances
    local name=$1 url=$2 n=$3 addrs=() i admin
    say "ingest: $name"
    case $url in
        sqlite://*) rm -f "${url#sqlite://}"* ;;
        *) fresh_pg "${url##*/}" ;;
    esac
    local t0 t1
    t0=$(date +%s.%N)
    "$WORK/sotay" roster import --units "$WORK/roster/units.csv" --members "$WORK/roster/members.csv" \
        --db "$url" >"$WORK/$name-import.log" 2>&1 || die "import failed: $(tail -3 "$WORK/$name-import.log")"
    t1=$(date +%s.%N)
    local import_s
    import_s=$(python3 -c "print(round($t1 - $t0, 2))")
    admin=$("$WORK/sotay" admin create --unit TU --db "$url" 2>/dev/null | head -1)
    for i in $(seq "$n"); do
        start_server "$url" "$WORK/$name-server$i.log"
        addrs+=("$ADDR")
    done
    python3 "$ROOT/bench/server/prep.py" register --addr "${addrs[0]}" --members "$WORK/roster/members.csv" \
        --n "$REGISTER" --out "$WORK/tokens.txt"
    local before
    before=$(count "$url" 'SELECT count(*) FROM events')
    local conns=$((INGEST_CONNECTIONS / n)) wrks=()
    for i in $(seq "$n"); do
        wrk -t1 -c"$conns" -d"${INGEST_SECONDS}s" --timeout 10s --latency -s "$ROOT/bench/server/ingest.lua" \
            "http://${addrs[$((i - 1))]}" -- "$WORK/tokens.txt" "$WORK/docs.txt" "$RANDOM$RANDOM$i" 50 \
            >"$WORK/$name-wrk$i.txt" 2>&1 &
        wrks+=($!)
    done
    for p in "${wrks[@]}"; do wait "$p" || die "wrk failed"; done
    sleep 2
    local acked=0 rate=0 p99="" f s us
    for i in $(seq "$n"); do
        f=$WORK/$name-wrk$i.txt
        s=$(kv stored <"$f")
        us=$(kv duration_us <"$f")
        acked=$((acked + s))
        rate=$(python3 -c "print($rate + $s / ($us / 1e6))")
        p99="$p99${p99:+ / }$(kv latency_p99_ms <"$f")"
    done
    local stored views_db views_rep=""
    stored=$(($(count "$url" 'SELECT count(*) FROM events') - before))
    views_db=$(count "$url" 'SELECT coalesce(sum(views),0) FROM member_days')
    for a in "${addrs[@]}"; do views_rep="$views_rep${views_rep:+ / }$(root_views "$a" "$admin")"; done
    ROWS+=("| $name | $n | $import_s | $(python3 -c "print(round($rate))") | $p99 | $acked | $stored | $views_db | $views_rep |")
    say "ingest $name: $(python3 -c "print(round($rate))") ev/s, acked $acked, stored $stored, views db $views_db, reports $views_rep"
    stop_servers
}

ingest sqlite-1 "sqlite://$WORK/ingest.sqlite" 1
ingest pg-1 "$PG_BASE/sotay_bench_ingest" 1
ingest pg-2 "$PG_BASE/sotay_bench_ingest" 2

# 2. Reports on a larger dataset ----------------------------------------------------------------
PY=$(cat "$WORK/python")
DATA=$WORK/m$MEMBERS_R-e$EVENTS_R
DB=$DATA/db.sqlite
rm -rf "$DATA"
mkdir -p "$DATA"
say "reports dataset: $MEMBERS_R members, $EVENTS_R events (gen_dataset.py)"
"$WORK/sotay" roster sample --out "$DATA/roster" --members "$MEMBERS_R" >&2
"$WORK/sotay" roster import --units "$DATA/roster/units.csv" --members "$DATA/roster/members.csv" \
    --db "sqlite://$DB" >"$DATA/import.log" 2>&1 || die "import failed"
"$PY" "$ROOT/bench/reports/gen_dataset.py" --db "$DB" --units "$DATA/roster/units.csv" \
    --members "$DATA/roster/members.csv" --catalog "$WORK/site/catalog.json" --events "$EVENTS_R" \
    --verify none >"$DATA/dataset.env" 2>"$DATA/gen.log" || die "gen_dataset.py failed: $(tail -3 "$DATA/gen.log")"
ADMIN=$("$WORK/sotay" admin create --unit TU --db "sqlite://$DB" 2>/dev/null | head -1)
fresh_pg sotay_bench_reports
PGURL=$PG_BASE/sotay_bench_reports
say "sotay db copy into PostgreSQL"
t0=$(date +%s.%N)
"$WORK/sotay" db copy --from "sqlite://$DB" --to "$PGURL" >"$DATA/copy.txt" 2>"$DATA/copy.log" ||
    die "db copy failed: $(tail -3 "$DATA/copy.log")"
t1=$(date +%s.%N)
COPY_S=$(python3 -c "print(round($t1 - $t0, 1))")
COPY_ROWS=$(awk '{s += $2} END {print s}' "$DATA/copy.txt")
psql_db sotay_bench_reports "ANALYZE" >/dev/null 2>&1
CELL=$(sqlite3 "$DB" "SELECT unit_code FROM members WHERE active = 1 GROUP BY unit_code ORDER BY count(*) DESC LIMIT 1")

time_get() { # addr path -> "median max" ms over REPEAT
    local i ts=()
    for i in $(seq "$REPEAT"); do
        ts+=("$(curl -fsS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $ADMIN" "http://$1$2")")
    done
    python3 -c "import statistics,sys; v=[float(x)*1000 for x in sys.argv[1:]]; print(f'{statistics.median(v):.1f} {max(v):.1f}')" "${ts[@]}"
}
RROWS=()
for db in "sqlite://$DB" "$PGURL"; do
    name=sqlite
    [[ $db == postgres* ]] && name=postgres
    start_server "$db" "$DATA/$name-server.log"
    addr=$ADDR
    cold=$(sed -n 's/.*msg="reports loaded" ms=\([0-9]*\).*/\1/p' "$DATA/$name-server.log" | head -1)
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/${PIDS[-1]}/status")
    curl -fsS -o /dev/null -H "Authorization: Bearer $ADMIN" "http://$addr/api/v1/reports/usage?unit=TU"
    read -r root_med root_max < <(time_get "$addr" "/api/v1/reports/usage?unit=TU")
    read -r year_med year_max < <(time_get "$addr" "/api/v1/reports/usage?unit=TU&from=$(TZ=Asia/Ho_Chi_Minh date -d '-365 days' +%F)&to=$(TZ=Asia/Ho_Chi_Minh date +%F)")
    read -r cell_med cell_max < <(time_get "$addr" "/api/v1/reports/usage?unit=$CELL")
    views=$(root_views "$addr" "$ADMIN")
    RROWS+=("| $name | $cold | $((hwm / 1024)) | $root_med / $root_max | $year_med / $year_max | $cell_med / $cell_max | $views |")
    stop_servers
done
VIEWS_DB=$(sqlite3 "$DB" 'SELECT sum(views) FROM member_days')

{
    echo "## PostgreSQL next to SQLite ($(date -u +%F), $(nproc) cores, PostgreSQL $(psql_admin -c 'SHOW server_version'))"
    echo
    echo "Ingest: wrk, batches of 50 events, $INGEST_CONNECTIONS connections in all, ${INGEST_SECONDS}s; $MEMBERS members, $REGISTER phones."
    echo
    echo "Rows stored can exceed the events acknowledged: batches in flight when wrk stopped are committed but their answers are not read."
    echo
    echo "| setup | instances | roster import s | events/s | p99 ms (per wrk) | acknowledged | rows stored | views in db | views in each instance's report |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Reports: $MEMBERS_R members, $EVENTS_R events; \`sotay db copy\` $COPY_S s for $COPY_ROWS rows. Times in ms through the API (median / max of $REPEAT); views in db: $VIEWS_DB."
    echo
    echo "| database | cold start ms | server VmHWM MB | root, this month | root, 12 months | largest cell | root views (12 months+) |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${RROWS[@]}"
} | tee "$RESULTS"
