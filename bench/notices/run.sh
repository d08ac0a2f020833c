#!/usr/bin/env bash
# Notices benchmark (issue 19): one command.
#
#   bench/notices/run.sh                         # 100,000 members, 30,000 phones asking: ~2 minutes
#   MEMBERS=1000000 PHONES=all bench/notices/run.sh   # the full size: a million members' paths
#
# 1. a synthetic roster (`sotay roster sample --members MEMBERS`, imported), a registered phone for
#    REGISTERED of the members with a smartphone (devices rows written by gen_notices.py, tokens
#    derived from the card), notices posted with `sotay notice post`: one to the whole province,
#    one to each unit under the root, one to each of CELLS cells; READ_SHARE of the registered
#    members under each opened it (notice_read events, member_days and notice_reads rows, as
#    the server writes them);
# 2. starts `sotay server --no-rate-limits` (the cold start loads the read bits with the reports);
# 3. phones ask for their notices, GET /api/v1/notices, each phone once, in random order, at RATE
#    requests/s (open loop: bench/server/loadgen --notices); then AGAIN of them again with the
#    ETag of their first answer (If-None-Match: 304, nothing re-sent); then MAX_PHONES of them as
#    fast as one core of load generation can send (MAX_RATE);
# 4. times the committee's report at the root, GET /api/v1/reports/notices?limit=500 (every notice
#    of the dataset, each with its reach per unit under the root; REPEAT times: median and max),
#    and checks the province's notice's counts against SQL.
#
# Prints a Markdown table and writes it to bench/work/notices-results.md (work files in
# bench/work/notices/). Builds sotay (`nice -n 19 cargo build --release`) and the load generator
# (into bench/work/target), installs Debian's sqlite3 if missing, and measures under
# `flock /tmp/sotay-bench.lock`.
#
# Settings (environment), defaults in brackets:
#   MEMBERS [100000]  REGISTERED [0.7]  CELLS [200]  READ_SHARE [0.6]  SEED [7]
#   PHONES [30000]    phones that ask ("all": every registered phone, once each)
#   RATE [1000]       requests/s of the first two rounds;  MAX_RATE [4000]
#   AGAIN [20000]     phones of the second round (their ETags are fetched one by one first)
#   MAX_PHONES [100000]  phones of the third round
#   REPEAT [5]        SOTAY=path  use this binary instead of building target/release/sotay
#   REUSE [0]         1: keep the dataset a previous run made (it takes ~15 min at 1,000,000)
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/../.." && pwd)
WORK=$ROOT/bench/work/notices
RESULTS=$ROOT/bench/work/notices-results.md
LOCK=/tmp/sotay-bench.lock
MEMBERS=${MEMBERS:-100000}
REGISTERED=${REGISTERED:-0.7}
CELLS=${CELLS:-200}
READ_SHARE=${READ_SHARE:-0.6}
SEED=${SEED:-7}
PHONES=${PHONES:-30000}
RATE=${RATE:-1000}
MAX_RATE=${MAX_RATE:-4000}
REPEAT=${REPEAT:-5}
AGAIN=${AGAIN:-20000}
MAX_PHONES=${MAX_PHONES:-100000}
NICE=(nice -n 19)

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ ${1:-} != --locked ]]; then
    mkdir -p "$WORK"
    if ! command -v sqlite3 >/dev/null; then
        say "installing sqlite3 (Debian)"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >&2
    fi
    if [[ -z ${SOTAY:-} ]]; then
        say "building sotay (nice -n 19 cargo build --release)"
        (cd "$ROOT" && "${NICE[@]}" cargo build --release --locked >&2) || die "cargo build --release failed"
        SOTAY=$ROOT/target/release/sotay
    fi
    cp "$SOTAY" "$WORK/sotay.new" && mv "$WORK/sotay.new" "$WORK/sotay"
    say "building the load generator (bench/server/loadgen)"
    (cd "$ROOT/bench/server/loadgen" && "${NICE[@]}" cargo build --release -j1 --target-dir "$ROOT/bench/work/target" >&2) ||
        die "building the load generator failed"
    rm -rf "$WORK/site" "$WORK/site.index"
    "${NICE[@]}" "$WORK/sotay" build --root "$ROOT" --out "$WORK/site" >&2
    say "waiting for $LOCK (other benchmarks)"
    exec flock "$LOCK" "$0" --locked
fi

LOADGEN=$ROOT/bench/work/target/release/sotay-loadgen
SERVER_PID=""
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    true
}
trap cleanup EXIT

# --- the dataset -------------------------------------------------------------------------------
DATA=$WORK/m$MEMBERS
DB=$DATA/db.sqlite
if [[ ${REUSE:-0} == 1 && -f $DATA/dataset.done ]]; then
    say "reusing the dataset in $DATA (REUSE=1)"
    REGISTERED_N=$(sqlite3 "$DB" "SELECT count(*) FROM devices")
    ROOT_UNIT=$(sqlite3 "$DB" "SELECT code FROM units WHERE active = 1 AND parent_code IS NULL LIMIT 1")
    ROOT_NOTICE=$(sqlite3 "$DB" "SELECT id FROM notices WHERE unit_code = '$ROOT_UNIT' ORDER BY created_at LIMIT 1")
    NOTICES=$(sqlite3 "$DB" "SELECT count(*) FROM notices")
    READERS=$(sqlite3 "$DB" "SELECT count(*) FROM notice_reads WHERE notice_id = '$ROOT_NOTICE'")
    DATASET_S=$(cat "$DATA/dataset.done")
else
rm -rf "$DATA"
mkdir -p "$DATA"
t0=$(date +%s.%N)
say "roster: $MEMBERS members"
"$WORK/sotay" roster sample --out "$DATA/roster" --members "$MEMBERS" >&2
"$WORK/sotay" roster import --units "$DATA/roster/units.csv" --members "$DATA/roster/members.csv" \
    --db "sqlite://$DB" >"$DATA/import.log" 2>&1 || { tail "$DATA/import.log" >&2; die "roster import failed"; }
REGISTERED_N=$(python3 "$BENCH/gen_notices.py" --db "$DB" --tokens "$DATA/tokens.txt" --registered "$REGISTERED" --seed "$SEED" phones)
ROOT_UNIT=$(sqlite3 "$DB" "SELECT code FROM units WHERE active = 1 AND parent_code IS NULL LIMIT 1")
echo "Kính gửi các đồng chí đảng viên,
Tỉnh ủy thông báo lịch học tập nghị quyết trong tháng. Tài liệu: /dieu-le/
Đề nghị các chi bộ tổ chức cho đảng viên nghiên cứu trước buổi sinh hoạt." >"$DATA/body.txt"
post() { # unit title -> id
    "$WORK/sotay" notice post --unit "$1" --title "$2" --body-file "$DATA/body.txt" --db "sqlite://$DB" 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
say "notices: each unit under the province, $CELLS cells, then the province (the newest: on the report's first page)"
CHILD_NOTICES=()
for u in $(sqlite3 "$DB" "SELECT code FROM units WHERE active = 1 AND parent_code = '$ROOT_UNIT' ORDER BY code"); do
    CHILD_NOTICES+=("$(post "$u" "Thông báo của đơn vị $u")")
done
for u in $(sqlite3 "$DB" "SELECT code FROM units WHERE active = 1 AND kind IN ('chi-bo', 'chi-bo-co-so') ORDER BY abs(random()) LIMIT $CELLS"); do
    post "$u" "Lịch sinh hoạt chi bộ $u" >/dev/null
done
ROOT_NOTICE=$(post "$ROOT_UNIT" "Thông báo của Tỉnh ủy")
NOTICES=$(sqlite3 "$DB" "SELECT count(*) FROM notices")
say "readers: $READ_SHARE of the registered members under each notice of the province and its units"
READERS=$(python3 "$BENCH/gen_notices.py" --db "$DB" --seed "$SEED" reads "$ROOT_NOTICE" "$READ_SHARE")
for n in "${CHILD_NOTICES[@]}"; do
    python3 "$BENCH/gen_notices.py" --db "$DB" --seed "$SEED" reads "$n" "$READ_SHARE" >/dev/null
done
t1=$(date +%s.%N)
DATASET_S=$(python3 -c "print(round($t1 - $t0, 1))")
echo "$DATASET_S" >"$DATA/dataset.done"
fi
ADMIN=$("$WORK/sotay" admin create --unit "$ROOT_UNIT" --db "sqlite://$DB" 2>/dev/null | head -1)
[[ $ADMIN == a_* ]] || die "no admin token"
if [[ $PHONES == all ]]; then PHONES=$REGISTERED_N; fi
(( PHONES > REGISTERED_N )) && PHONES=$REGISTERED_N
head -n "$PHONES" "$DATA/tokens.txt" >"$DATA/phones.txt"

# --- the server --------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
"$WORK/sotay" server --site "$WORK/site" --db "sqlite://$DB" --listen "$ADDR" --no-rate-limits 2>"$DATA/server.log" >/dev/null &
SERVER_PID=$!
for _ in $(seq 6000); do
    grep -q 'msg=listening' "$DATA/server.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped: $(tail -3 "$DATA/server.log")"
    sleep 0.05
done
# The reports' aggregate (with the read bits) loads on the first report.
LOAD_T=$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $ADMIN" "http://$ADDR/api/v1/reports/me")
LOADED_MS=$(python3 -c "print(round($LOAD_T * 1000))")

cpu_idle() { # percent of CPU time idle over $1 seconds
    local a b
    read -r -a a </proc/stat; sleep "$1"; read -r -a b </proc/stat
    local busy=$(( (b[1]+b[2]+b[3]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[6]+a[7]) )) idle=$(( (b[4]+b[5]) - (a[4]+a[5]) ))
    echo $(( 100 * idle / (busy + idle) ))
}
IDLE=$(cpu_idle 3)
round() { # name rate phones-file -> loadgen JSON in $WORK
    local secs
    secs=$(python3 -c "print(max(1.0, $(wc -l <"$3") / $2))")
    "$LOADGEN" --addr "$ADDR" --rate "$2" --duration "$secs" --warmup 0 --notices "$3" --timeout 30 >"$DATA/$1.json"
}
say "round 1: $PHONES phones ask once at $RATE/s"
round first "$RATE" "$DATA/phones.txt"
say "the ETags of their answers (for round 2)"
head -n "$AGAIN" "$DATA/phones.txt" >"$DATA/phones-again.txt"
python3 - "$ADDR" "$DATA/phones-again.txt" "$DATA/phones-etag.txt" <<'PY'
import http.client, sys
addr, src, out = sys.argv[1:]
host, port = addr.split(":")
c = http.client.HTTPConnection(host, int(port))
with open(src) as f, open(out, "w") as o:
    for line in f:
        t = line.strip()
        c.request("GET", "/api/v1/notices", headers={"Authorization": "Bearer " + t})
        r = c.getresponse()
        r.read()
        o.write(f"{t} {r.getheader('etag')}\n")
PY
say "round 2: the same phones again with If-None-Match at $RATE/s"
round again "$RATE" "$DATA/phones-etag.txt"
say "round 3: as fast as it goes ($MAX_RATE/s offered)"
head -n "$MAX_PHONES" "$DATA/phones.txt" >"$DATA/phones-max.txt"
round max "$MAX_RATE" "$DATA/phones-max.txt"

# --- the committee's report at the root ----------------------------------------------------------
: >"$DATA/report.times"
for _ in $(seq "$REPEAT"); do
    curl -sS -o "$DATA/report.json" -H "Authorization: Bearer $ADMIN" -w '%{http_code} %{time_total} %{size_download}\n' \
        "http://$ADDR/api/v1/reports/notices?unit=$ROOT_UNIT&limit=500" >>"$DATA/report.times"
done
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
SQL_READ=$(sqlite3 "$DB" "SELECT count(*) FROM notice_reads r JOIN members m ON m.card_number = r.card_number WHERE m.active = 1 AND r.notice_id = '$ROOT_NOTICE'")
SQL_MEMBERS=$(sqlite3 "$DB" "SELECT count(*) FROM members WHERE active = 1")

python3 - "$DATA" "$ROOT_NOTICE" "$SQL_READ" "$SQL_MEMBERS" "$RESULTS" <<PY
import json, statistics, sys, platform, subprocess, datetime
data, root_notice, sql_read, sql_members, results = sys.argv[1:]
def lg(name):
    return json.load(open(f"{data}/{name}.json"))
rounds = [("first", "each phone once, no ETag"), ("again", "again with If-None-Match"), ("max", "each phone once, as fast as offered")]
rep = json.load(open(f"{data}/report.json"))
root = next((n for n in rep["notices"] if n["id"] == root_notice), None)
assert root, f"the province's notice {root_notice} is not among the report's {len(rep['notices'])}"
assert root["read"] == int(sql_read), (root["read"], sql_read)
assert root["recipients"] == int(sql_members), (root["recipients"], sql_members)
times = [l.split() for l in open(f"{data}/report.times") if l.strip()]
ms = [float(t[1]) * 1000 for t in times]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
out = []
out.append(f"Notices benchmark, {datetime.date.today()}: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores (shared; CPU idle before: $IDLE%).")
out.append("")
out.append(f"Dataset: $MEMBERS members ({int(sql_members):,} active), $REGISTERED_N registered phones, $NOTICES notices "
           f"(the province, each unit under it, $CELLS cells), $READERS readers of the province's notice; made in ${DATASET_S} s. "
           f"Reports' aggregate loaded on the first report: $LOADED_MS ms.")
out.append("")
out.append("| round | phones | offered /s | achieved /s | 200 | 304 | errors | p50 ms | p90 ms | p99 ms | max ms |")
out.append("|---|---|---|---|---|---|---|---|---|---|---|")
for name, what in rounds:
    j = lg(name)
    n = j["notices"]
    st = n["statuses"]
    out.append(f"| {what} | {j['completed']:,} | {j['rate']:.0f} | {j['achieved_rps']:.0f} | {st.get('200', 0):,} | {st.get('304', 0):,} | "
               f"{n['errors'] + sum(v for k, v in st.items() if k not in ('200', '304')):,} | {n['p50_ms']:.2f} | {n['p90_ms']:.2f} | {n['p99_ms']:.2f} | {n['max_ms']:.1f} |")
out.append("")
out.append(f"GET /api/v1/reports/notices at the root ({len(rep['notices'])} notices, {len(root['units'])} units per notice): "
           f"median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms over {len(ms)} requests, {times[-1][2]} bytes; "
           f"the province's notice: {root['read']:,} of {root['recipients']:,} read (equal to SQL). Server peak RSS {int('$RSS_KB') // 1024} MB.")
text = "\n".join(out) + "\n"
open(results, "w").write(text)
print(text)
PY
