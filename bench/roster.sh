#!/usr/bin/env bash
# Roster updates at province size: one command.
#
#   bench/roster.sh
#
# A synthetic roster of MEMBERS members (`sotay roster sample`) is imported, REGISTER of them
# (spread over the roster) register a phone through the API, and the root's
# admin updates it from the dashboard's API with a workbook of the whole province in which
# bench/roster_edit.py moved MOVES members between cells, removed REMOVES, added ADDS and
# changed CHANGES (smartphone answers, names), as staff would: the file made by `sotay roster
# convert` (the template's layout, a title row above the header, dates as Excel dates). Timed,
# REPEAT times each on a fresh copy of the database, median and max:
#   upload   POST /api/v1/roster/uploads: read the .xlsx, check every value and the tree
#            against the roster as stored, compute what changes, keep the upload (the preview)
#   apply    POST /api/v1/roster/uploads/{id}/apply: the plan again in the writing
#            transaction, the rows that change, moves, the log entry with the state before
#   report   the first usage report after it (the reports' aggregate reloaded)
#   quality  GET /api/v1/roster/quality and quality.xlsx (the province's 100,000 rows)
#   import   `sotay roster import --workbook` of the whole roster as .xlsx into a new database
# The target (issue 22): upload + apply under 10 s on this machine. With PG_URL=postgres://...
# (a user that may create databases; .ci/postgres.sh prints one) the same on PostgreSQL too.
#
# Prints a Markdown table and writes it to bench/work/roster-results.md; work files under
# bench/work/roster/ (gitignored). Measures under `flock /tmp/sotay-bench.lock`.
#
# Settings (environment), defaults in brackets:
#   MEMBERS [100000]  REGISTER [10000]  MOVES [1000]  REMOVES [500]  ADDS [500]  CHANGES [1000]
#   REPEAT [3]
#   PG_URL []   SOTAY=path   use this binary instead of building target/release/sotay
#   SITE_ROOT [the repository]   the content and theme the site is built from (with SOTAY of
#   another commit, that commit's tree: `git archive COMMIT content themes sotay.yaml`)
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
WORK=$ROOT/bench/work/roster
RESULTS=$ROOT/bench/work/roster-results.md
LOCK=/tmp/sotay-bench.lock
MEMBERS=${MEMBERS:-100000}
REGISTER=${REGISTER:-10000}
MOVES=${MOVES:-1000}
REMOVES=${REMOVES:-500}
ADDS=${ADDS:-500}
CHANGES=${CHANGES:-1000}
REPEAT=${REPEAT:-3}
PG_URL=${PG_URL:-}
NICE=(nice -n 19)

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ ${1:-} != --locked ]]; then
    mkdir -p "$WORK"
    command -v curl >/dev/null || die "curl is needed"
    if [[ -z ${SOTAY:-} ]]; then
        say "building sotay (nice -n 19 cargo build --release)"
        (cd "$ROOT" && "${NICE[@]}" cargo build --release --locked >&2) || die "cargo build failed"
        SOTAY=$ROOT/target/release/sotay
    fi
    cp "$SOTAY" "$WORK/sotay.new" && mv "$WORK/sotay.new" "$WORK/sotay"
    rm -rf "$WORK/site" "$WORK/site.index" "$WORK/roster" "$WORK"/*.xlsx "$WORK"/*.sqlite* "$WORK"/*.times
    "${NICE[@]}" "$WORK/sotay" build --root "${SITE_ROOT:-$ROOT}" --out "$WORK/site" >&2
    "$WORK/sotay" roster sample --out "$WORK/roster" --members "$MEMBERS" >&2
    python3 "$BENCH/roster_edit.py" --roster "$WORK/roster" --moves "$MOVES" --removes "$REMOVES" \
        --adds "$ADDS" --changes "$CHANGES" --out "$WORK/roster/members-update.csv" >&2
    "$WORK/sotay" roster convert --units "$WORK/roster/units.csv" --members "$WORK/roster/members.csv" \
        --out "$WORK/before.xlsx" >&2
    "$WORK/sotay" roster convert --units "$WORK/roster/units.csv" --members "$WORK/roster/members-update.csv" \
        --out "$WORK/update.xlsx" >&2
    say "waiting for $LOCK (other benchmarks)"
    exec flock "$LOCK" "$0" --locked
fi

S=$WORK/sotay
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
maxof() { sort -n | tail -1 | awk '{printf "%.2f", $1}'; }
now() { date +%s.%N; }

# REGISTER members register a phone on database URL $1 (a server started for it).
register_on() {
    local db=$1 p pid
    p=$(port)
    SOTAY_LOG=quiet "$S" server --site "$WORK/site" --db "$db" --listen "127.0.0.1:$p" --no-rate-limits \
        >"$WORK/register.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
    python3 "$BENCH/server/prep.py" register --addr "127.0.0.1:$p" --members "$WORK/roster/members.csv" \
        --n "$REGISTER" --out "$WORK/tokens.txt" || { kill "$pid"; die "registrations"; }
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

# A database with the baseline roster and its registered phones, copied for each round.
base_sqlite() {
    rm -f "$WORK/base.sqlite"*
    "$S" roster import --units "$WORK/roster/units.csv" --members "$WORK/roster/members.csv" \
        --db "sqlite://$WORK/base.sqlite" 2>"$WORK/import.log" || { tail "$WORK/import.log" >&2; die "import"; }
    register_on "sqlite://$WORK/base.sqlite"
}

# One round on database URL $1: the server started, the upload, apply, report, quality.
# Appends "upload apply report quality quality_xlsx rss_mb" to $2.
round() {
    local db=$1 out=$2 p pid token t0 t1 id
    token=$("$S" admin create --unit TU --name "Bench" --db "$db")
    p=$(port)
    SOTAY_LOG=quiet "$S" server --site "$WORK/site" --db "$db" --listen "127.0.0.1:$p" --no-rate-limits \
        >"$WORK/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
    local H=(-H "authorization: Bearer $token")
    curl -sf "${H[@]}" "http://127.0.0.1:$p/api/v1/reports/usage" -o /dev/null || die "first report"
    local up ap rep q qx
    up=$(curl -s "${H[@]}" -o "$WORK/upload.json" -w '%{time_total}' --data-binary @"$WORK/update.xlsx" \
        -H 'content-type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' \
        "http://127.0.0.1:$p/api/v1/roster/uploads?unit=TU&name=update.xlsx")
    id=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v["upload"]["id"])' "$WORK/upload.json") \
        || { head -c 600 "$WORK/upload.json" >&2; die "upload refused"; }
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["preview"]["counts"]; print("preview:", c); open(sys.argv[2], "w").write(str(c["members"]))' "$WORK/upload.json" "$WORK/members.count" >&2
    ap=$(curl -s "${H[@]}" -o "$WORK/apply.json" -w '%{time_total}' -X POST \
        "http://127.0.0.1:$p/api/v1/roster/uploads/$id/apply")
    grep -q '"change"' "$WORK/apply.json" || { cat "$WORK/apply.json" >&2; die "apply refused"; }
    rep=$(curl -s "${H[@]}" -o /dev/null -w '%{time_total}' "http://127.0.0.1:$p/api/v1/reports/usage")
    q=$(curl -s "${H[@]}" -o /dev/null -w '%{time_total}' "http://127.0.0.1:$p/api/v1/roster/quality")
    qx=$(curl -s "${H[@]}" -o "$WORK/quality.xlsx" -w '%{time_total}' "http://127.0.0.1:$p/api/v1/roster/quality.xlsx")
    local rss
    rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$up $ap $rep $q $qx $rss" >>"$out"
}

run_backend() {
    local name=$1 out=$WORK/$1.times
    : >"$out"
    for r in $(seq "$REPEAT"); do
        say "$name: round $r of $REPEAT"
        if [[ $name == sqlite ]]; then
            rm -f "$WORK/run.sqlite"*
            # The import's pages may still be in its write-ahead log: copy both.
            cp "$WORK/base.sqlite" "$WORK/run.sqlite"
            [[ -f $WORK/base.sqlite-wal ]] && cp "$WORK/base.sqlite-wal" "$WORK/run.sqlite-wal"
            round "sqlite://$WORK/run.sqlite" "$out"
        else
            local db="sotay_bench_roster_$$"
            psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
            psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
            local url=${PG_URL%/*}/$db
            "$S" roster import --units "$WORK/roster/units.csv" --members "$WORK/roster/members.csv" \
                --db "$url" 2>>"$WORK/import.log" || die "pg import"
            register_on "$url"
            round "$url" "$out"
            psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
        fi
    done
}

say "baseline: sotay roster import of $MEMBERS members (CSV)"
base_sqlite
run_backend sqlite
[[ -n $PG_URL ]] && run_backend pg

# The CLI reading the whole roster from Excel.
: >"$WORK/import.times"
for r in $(seq "$REPEAT"); do
    rm -f "$WORK/cli.sqlite"*
    t0=$(now)
    "$S" roster import --workbook "$WORK/before.xlsx" --db "sqlite://$WORK/cli.sqlite" 2>"$WORK/cli.log" \
        || { tail "$WORK/cli.log" >&2; die "workbook import"; }
    t1=$(now)
    echo "$t1 - $t0" | bc -l >>"$WORK/import.times"
done

col() { awk -v c="$2" '{print $c}' "$1"; }
{
    echo "Roster updates, $(cat "$WORK/members.count") members ($REGISTER with a registered phone) in $(($(wc -l <"$WORK/roster/units.csv") - 1)) units ($(du -h "$WORK/update.xlsx" | cut -f1) .xlsx; $MOVES moved, $REMOVES removed, $ADDS added, $CHANGES changed), $REPEAT rounds, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r)"
    echo
    echo "| step | backend | median s | max s |"
    echo "|---|---|---:|---:|"
    for b in sqlite pg; do
        [[ -f $WORK/$b.times && -s $WORK/$b.times ]] || continue
        for i in 1 2 3 4 5; do
            name=$(echo "upload (read, check, preview)|apply|first report after|quality view|quality.xlsx export" | cut -d'|' -f"$i")
            echo "| $name | $b | $(col "$WORK/$b.times" "$i" | median) | $(col "$WORK/$b.times" "$i" | maxof) |"
        done
        total=$(awk '{print $1 + $2}' "$WORK/$b.times" | median)
        echo "| **upload + apply** | $b | **$total** | $(awk '{print $1 + $2}' "$WORK/$b.times" | maxof) |"
        echo "| server peak RSS (MB) | $b | $(col "$WORK/$b.times" 6 | median) | $(col "$WORK/$b.times" 6 | maxof) |"
    done
    echo "| \`sotay roster import --workbook\` (.xlsx, new database) | sqlite | $(median <"$WORK/import.times") | $(maxof <"$WORK/import.times") |"
} | tee "$RESULTS"
