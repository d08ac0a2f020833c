#!/usr/bin/env bash
# Sync server benchmark: one command.
#
#   bench/server/run.sh
#
# 1. durable event ingest: events per second with batches of 50 (wrk + ingest.lua, unique UUIDs,
#    round robin over REGISTER member tokens), checked afterwards against SQLite: every event the
#    server acknowledged is stored, and nothing more than the batches still in flight at the end;
# 2. latency at a fixed rate of mixed traffic (the constant-rate generator in loadgen/: 60% static
#    pages, 20% search API, 15% event batches of 10, 5% /healthz), p50/p99;
# 3. static files: sotay against nginx serving the same built site in the same run, the same ~20
#    paths (home, documents, sections, CSS, JS), same wrk connections and duration, both with
#    Accept-Encoding: gzip; rounds alternate between the servers, the median counts. nginx runs
#    twice: as asked (gzip on: it compresses every answer) and, for reference, with gzip_static
#    on a copy of the site with precompressed .gz files (what sotay does in memory);
# 4. peak memory (VmHWM) of the sotay server over all of the above.
#
# Prints a Markdown table and writes it to bench/work/server-results.md; work files go under
# bench/work/server/ (gitignored). Installs what is missing (Debian's wrk, nginx, sqlite3),
# builds sotay (`nice -n 19 cargo build --release`) and the load generator (`-j1`), then runs
# every measurement under `flock /tmp/sotay-bench.lock` so benchmarks never overlap.
#
# Settings (environment), defaults in brackets:
#   MEMBERS [30000]            sample roster size; REGISTER [200] members register phones
#   INGEST_SECONDS [30]  INGEST_CONNECTIONS [256]  INGEST_BATCH [50]
#   RATE [1000]  LATENCY_SECONDS [30]  LATENCY_WARMUP [5]   (fixed-rate mixed traffic)
#   STATIC_SECONDS [15]  STATIC_CONNECTIONS [64]  STATIC_ROUNDS [3]
#   WRK_THREADS [2]
#   QUIET_WAIT [300]           wait up to this long for the shared machine to be >= 80% idle
#   SOTAY=path                 use this binary instead of building target/release/sotay
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/../.." && pwd)
WORK=$ROOT/bench/work/server
RESULTS=$ROOT/bench/work/server-results.md
LOCK=/tmp/sotay-bench.lock
MEMBERS=${MEMBERS:-30000}
REGISTER=${REGISTER:-200}
INGEST_SECONDS=${INGEST_SECONDS:-30}
INGEST_CONNECTIONS=${INGEST_CONNECTIONS:-256}
INGEST_BATCH=${INGEST_BATCH:-50}
RATE=${RATE:-1000}
LATENCY_SECONDS=${LATENCY_SECONDS:-30}
LATENCY_WARMUP=${LATENCY_WARMUP:-5}
STATIC_SECONDS=${STATIC_SECONDS:-15}
STATIC_CONNECTIONS=${STATIC_CONNECTIONS:-64}
STATIC_ROUNDS=${STATIC_ROUNDS:-3}
WRK_THREADS=${WRK_THREADS:-2}
QUIET_WAIT=${QUIET_WAIT:-300}
NICE=(nice -n 19)

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- outside the lock: tools, builds, inputs ---------------------------------------------------

if [[ ${1:-} != --locked ]]; then
    mkdir -p "$WORK"
    missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v sqlite3 >/dev/null || missing+=(sqlite3)
    command -v flock >/dev/null || missing+=(util-linux)
    [[ -x /usr/bin/time ]] || missing+=(time)
    if ((${#missing[@]})); then
        say "installing ${missing[*]} (Debian)"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
        # Debian's nginx package may start the default site; this benchmark runs its own.
        if pgrep -x nginx >/dev/null && [[ -f /run/nginx.pid ]]; then
            kill "$(cat /run/nginx.pid)" 2>/dev/null || true
        fi
    fi
    if [[ -z ${SOTAY:-} ]]; then
        say "building sotay (nice -n 19 cargo build --release)"
        # Someone else may be building the same tree: a failed compile is retried.
        for try in 1 2 3; do
            if (cd "$ROOT" && "${NICE[@]}" cargo build --release --locked >&2); then break; fi
            [[ $try == 3 ]] && die "cargo build --release failed"
            sleep 30
        done
        SOTAY=$ROOT/target/release/sotay
    fi
    # A private copy, so that a rebuild by someone else cannot swap the binary mid-run.
    cp "$SOTAY" "$WORK/sotay.new" && mv "$WORK/sotay.new" "$WORK/sotay"
    say "building the load generator (bench/server/loadgen, -j1)"
    CARGO_TARGET_DIR=$ROOT/bench/work/target "${NICE[@]}" cargo build --release -j1 --locked \
        --manifest-path "$BENCH/loadgen/Cargo.toml" >&2
    cp "$ROOT/bench/work/target/release/sotay-loadgen" "$WORK/loadgen"

    say "building the site and the sample roster ($MEMBERS members)"
    rm -rf "$WORK/site" "$WORK/site.index" "$WORK/roster"
    "${NICE[@]}" "$WORK/sotay" build --root "$ROOT" --out "$WORK/site" >&2
    "$WORK/sotay" roster sample --out "$WORK/roster" --members "$MEMBERS" >&2
    python3 "$BENCH/prep.py" urls --site "$WORK/site" --out "$WORK/urls.txt"
    python3 "$BENCH/prep.py" docs --site "$WORK/site" --out "$WORK/docs.txt"
    cat >"$WORK/queries.txt" <<'EOF'
sinh hoạt chi bộ
đảng phí
điều lệ đảng
kết nạp lại
dang vien du bi
chuyển sinh hoạt đảng
nghị quyết
kiểm điểm xếp loại
quy định nêu gương
sổ tay điện tử
phòng chống tham nhũng
miễn sinh hoạt
biên bản
chuyen doi so
học tập và làm theo
EOF
    say "waiting for $LOCK (other benchmarks)"
    exec flock "$LOCK" "$0" --locked
fi

# --- inside the lock: the measurements ---------------------------------------------------------

SERVER_PID=""
NGINX_PID=""
cleanup() {
    [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
metric() { python3 "$BENCH/prep.py" metric --addr "$ADDR" "$1"; }
kv() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }   # value of key=... in RESULT lines
# CPU accounting, to tell the server's share from the load generator's and other people's jobs:
# "time machine-busy-jiffies jiffies-of-PIDS".
cpu_mark() {
    local u n s i w q sq st rest pj=0 p
    read -r _ u n s i w q sq st rest </proc/stat
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] && pj=$((pj + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$(date +%s.%N) $((u + n + s + q + sq + st)) $pj"
}
: >"$WORK/cpu.txt"   # phase, mark before, mark after, generator "user sys" seconds
GEN=(/usr/bin/time -f '%U %S' -o "$WORK/gen.time")

DB=$WORK/db.sqlite
rm -f "$DB" "$DB-wal" "$DB-shm"
say "importing the roster into a fresh database"
"$WORK/sotay" roster import --units "$WORK/roster/units.csv" --members "$WORK/roster/members.csv" \
    --db "sqlite://$DB" >"$WORK/import.log" 2>&1 || { cat "$WORK/import.log" >&2; die "roster import failed"; }
ADMIN=$("$WORK/sotay" admin create --unit TU --db "sqlite://$DB" | grep -o 'a_[A-Za-z0-9_-]*' | head -1)

PORT=$(free_port)
ADDR=127.0.0.1:$PORT
say "starting sotay server on $ADDR (--no-rate-limits)"
"$WORK/sotay" server --site "$WORK/site" --db "sqlite://$DB" --listen "$ADDR" --no-rate-limits \
    2>"$WORK/server.log" >/dev/null &
SERVER_PID=$!
for _ in $(seq 200); do
    curl -fsS "http://$ADDR/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped: $(tail -5 "$WORK/server.log")"
    sleep 0.1
done
curl -fsS "http://$ADDR/healthz" >/dev/null || die "the server did not start"

python3 "$BENCH/prep.py" register --addr "$ADDR" --members "$WORK/roster/members.csv" \
    --n "$REGISTER" --out "$WORK/tokens.txt"
# One more member, in a cell of their own, for phones that hang up (hangup.py) during the ingest.
python3 "$BENCH/prep.py" register --addr "$ADDR" --members "$WORK/roster/members.csv" \
    --avoid "$REGISTER" --out "$WORK/hangup-token.txt" --unit-out "$WORK/hangup-unit.txt"

# The machine is shared: wait (up to QUIET_WAIT s) until others leave it mostly idle, and say how
# idle it was (CPU idle over 5 s) just before the load.
cpu_idle() {
    local u1 n1 s1 i1 w1 q1 sq1 u2 n2 s2 i2 w2 q2 sq2
    read -r _ u1 n1 s1 i1 w1 q1 sq1 _ </proc/stat
    sleep "$1"
    read -r _ u2 n2 s2 i2 w2 q2 sq2 _ </proc/stat
    echo $(( 100 * ((i2 + w2) - (i1 + w1)) / ((u2+n2+s2+i2+w2+q2+sq2) - (u1+n1+s1+i1+w1+q1+sq1)) ))
}
IDLE_BEFORE=$(cpu_idle 5)
waited=0
while (( IDLE_BEFORE < 80 && waited < QUIET_WAIT )); do
    say "the machine is busy ($IDLE_BEFORE% idle): waiting for it to calm down"
    sleep 25
    waited=$((waited + 30))
    IDLE_BEFORE=$(cpu_idle 5)
done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Durable ingest ---------------------------------------------------------------------------
say "ingest: wrk -t$WRK_THREADS -c$INGEST_CONNECTIONS -d${INGEST_SECONDS}s, batches of $INGEST_BATCH"
before_db=$(sqlite3 "$DB" 'SELECT count(*) FROM events')
before_metric=$(metric sotay_events_stored_total)
rm -f "$WORK/ingest.done"
# While wrk loads the server, 40 more batches come from phones that hang up before the answer
# (TCP reset, 0 to 20 ms after sending): each part of the server must agree on what they stored.
( sleep $((INGEST_SECONDS / 2)); python3 "$BENCH/hangup.py" --addr "$ADDR" --db "$DB" --tokens "$WORK/hangup-token.txt" \
    --docs "$WORK/docs.txt" --admin "$ADMIN" --unit "$(cat "$WORK/hangup-unit.txt")" --n 40 --step 0.5 \
    --wait-for "$WORK/ingest.done" >"$WORK/hangup.json" 2>"$WORK/hangup.err" ) &
HANGUP_PID=$!
python3 "$BENCH/cpu_top.py" snap "$WORK/top-ingest.a"
m0=$(cpu_mark "$SERVER_PID")
"${GEN[@]}" wrk -t"$WRK_THREADS" -c"$INGEST_CONNECTIONS" -d"${INGEST_SECONDS}s" --timeout 10s --latency \
    -s "$BENCH/ingest.lua" "http://$ADDR" -- "$WORK/tokens.txt" "$WORK/docs.txt" "$RANDOM$RANDOM" \
    "$INGEST_BATCH" >"$WORK/ingest.txt" 2>&1 || die "wrk failed: $(tail "$WORK/ingest.txt")"
echo "ingest $m0 $(cpu_mark "$SERVER_PID") $(cat "$WORK/gen.time")" >>"$WORK/cpu.txt"
python3 "$BENCH/cpu_top.py" snap "$WORK/top-ingest.b"
# Requests still in flight when wrk stopped are committed by the server but never read: wait
# until its write queue is empty before counting.
for _ in $(seq 100); do
    [[ $(metric sotay_write_queue_depth) == 0 ]] && break
    sleep 0.1
done
sleep 1
touch "$WORK/ingest.done"
wait "$HANGUP_PID" || die "hangup.py failed: $(tail -3 "$WORK/hangup.err")"
ing_ok=$(kv ok <"$WORK/ingest.txt")
ing_other=$(kv other <"$WORK/ingest.txt")
ing_acked=$(kv stored <"$WORK/ingest.txt")
ing_us=$(kv duration_us <"$WORK/ingest.txt")
ing_sockerr=$(grep -o 'Socket errors:.*' "$WORK/ingest.txt" || true)
ing_p50=$(kv latency_p50_ms <"$WORK/ingest.txt")
ing_p99=$(kv latency_p99_ms <"$WORK/ingest.txt")
HU=$(cat "$WORK/hangup-unit.txt")   # wrk's events: all but those of the hang-up cell
after_db=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE unit_code != '$HU'")
after_metric=$(metric sotay_events_stored_total)
ing_db=$((after_db - before_db))
ing_server=$((after_metric - before_metric))
ing_rate=$(python3 -c "print(round($ing_acked / ($ing_us / 1e6)))")
ing_integrity=$(sqlite3 "$DB" 'PRAGMA integrity_check' | head -1)
# The in-memory report aggregate must agree with the database it was updated from.
views_db=$(sqlite3 "$DB" "SELECT coalesce(sum(views),0) FROM member_days WHERE unit_code != '$HU'")
today=$(TZ=Asia/Ho_Chi_Minh date +%F)
views_report=$(curl -fsS -H "Authorization: Bearer $ADMIN" "http://$ADDR/api/v1/reports/usage?unit=TU&from=2020-01-01&to=$today" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["views"])')
HWM_INGEST=$(hwm_kb "$SERVER_PID")
say "ingest: $ing_rate events/s; acked $ing_acked, server counted $ing_server, database $ing_db; views db $views_db report $views_report"

# 2. Latency at a fixed rate of mixed traffic -------------------------------------------------
say "latency: $RATE requests/s for ${LATENCY_SECONDS}s (+${LATENCY_WARMUP}s warm-up), mix 60/20/15/5"
python3 "$BENCH/cpu_top.py" snap "$WORK/top-latency.a"
m0=$(cpu_mark "$SERVER_PID")
"${GEN[@]}" "$WORK/loadgen" --addr "$ADDR" --rate "$RATE" --duration "$LATENCY_SECONDS" --warmup "$LATENCY_WARMUP" \
    --urls "$WORK/urls.txt" --queries "$WORK/queries.txt" --tokens "$WORK/tokens.txt" \
    --docs "$WORK/docs.txt" --mix 60,20,15,5 --batch 10 >"$WORK/latency.json" 2>"$WORK/latency.err" ||
    die "loadgen failed: $(tail "$WORK/latency.err")"
echo "latency $m0 $(cpu_mark "$SERVER_PID") $(cat "$WORK/gen.time")" >>"$WORK/cpu.txt"
python3 "$BENCH/cpu_top.py" snap "$WORK/top-latency.b"
HWM_LATENCY=$(hwm_kb "$SERVER_PID")

# 3. Static files: sotay and nginx ------------------------------------------------------------
NGINX_PORT=$(free_port)
NGINX_GZS_PORT=$(free_port)
rm -rf "$WORK/site-gz"
cp -a "$WORK/site" "$WORK/site-gz"
find "$WORK/site-gz" -type f -size +255c \( -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.json' \
    -o -name '*.xml' -o -name '*.svg' -o -name '*.webmanifest' -o -name '*.txt' \) -exec gzip -k -6 {} +
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
# Generated by bench/server/run.sh: the same site as sotay, a plain production-like setup.
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    types { application/manifest+json webmanifest; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    gzip on;
    gzip_vary on;
    gzip_min_length 256;
    gzip_types text/css text/plain text/xml application/javascript application/json
               application/xml application/atom+xml image/svg+xml application/manifest+json;
    client_body_temp_path $WORK/nginx/tmp;
    proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp;
    uwsgi_temp_path $WORK/nginx/tmp;
    scgi_temp_path $WORK/nginx/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/site;
        index index.html;
    }
    # For reference: the same files precompressed once (gzip -6, like sotay's cache).
    server {
        listen 127.0.0.1:$NGINX_GZS_PORT;
        root $WORK/site-gz;
        index index.html;
        gzip_static on;
    }
}
EOF
mkdir -p "$WORK/nginx/tmp"
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$NGINX_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$NGINX_PORT/" >/dev/null || die "nginx did not start: $(cat "$WORK/nginx/error.log")"
NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
{
    echo "## sotay"; python3 "$BENCH/prep.py" check-encoding --addr "$ADDR" --urls "$WORK/urls.txt"
    echo "## nginx"; python3 "$BENCH/prep.py" check-encoding --addr "127.0.0.1:$NGINX_PORT" --urls "$WORK/urls.txt"
    echo "## nginx gzip_static"; python3 "$BENCH/prep.py" check-encoding --addr "127.0.0.1:$NGINX_GZS_PORT" --urls "$WORK/urls.txt"
} >"$WORK/encodings.txt"
grep -v '^##' "$WORK/encodings.txt" | awk '$1 != 200 {bad=1} END {exit bad}' || die "a static path did not answer 200: see $WORK/encodings.txt"

static_run() { # name port round pids...
    local m0
    m0=$(cpu_mark "${@:4}")
    "${GEN[@]}" wrk -t"$WRK_THREADS" -c"$STATIC_CONNECTIONS" -d"${STATIC_SECONDS}s" --timeout 10s -s "$BENCH/static.lua" \
        "http://127.0.0.1:$2" -- "$WORK/urls.txt" >"$WORK/static-$1-$3.txt" 2>&1 || die "wrk failed"
    echo "static-$1 $m0 $(cpu_mark "${@:4}") $(cat "$WORK/gen.time")" >>"$WORK/cpu.txt"
    local req us
    req=$(kv requests <"$WORK/static-$1-$3.txt")
    us=$(kv duration_us <"$WORK/static-$1-$3.txt")
    python3 -c "print(round($req / ($us / 1e6)))"
}
SOTAY_RPS=()
NGINX_RPS=()
NGINX_GZS_RPS=()
for r in $(seq "$STATIC_ROUNDS"); do
    say "static round $r/$STATIC_ROUNDS: wrk -t$WRK_THREADS -c$STATIC_CONNECTIONS -d${STATIC_SECONDS}s"
    SOTAY_RPS+=("$(static_run sotay "$PORT" "$r" "$SERVER_PID")")
    NGINX_RPS+=("$(static_run nginx "$NGINX_PORT" "$r" $NGINX_PIDS)")
    NGINX_GZS_RPS+=("$(static_run nginx-gzip-static "$NGINX_GZS_PORT" "$r" $NGINX_PIDS)")
    say "  sotay ${SOTAY_RPS[-1]} req/s, nginx ${NGINX_RPS[-1]} req/s, nginx gzip_static ${NGINX_GZS_RPS[-1]} req/s"
done
static_errors=$(cat "$WORK"/static-*.txt | grep -o 'status_err=[0-9]*\|connect_err=[0-9]*\|read_err=[0-9]*\|write_err=[0-9]*\|timeout=[0-9]*' |
    awk -F= '{s+=$2} END {print s+0}')
kill "$NGINX_PID" && wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""

# 4. Memory, then stop -------------------------------------------------------------------------
HWM=$(hwm_kb "$SERVER_PID")
RSS_END=$(rss_kb "$SERVER_PID")
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
server_errors=$(grep -c 'level=error' "$WORK/server.log" || true)
server_5xx=$(grep -c 'status=5[0-9][0-9]' "$WORK/server.log" || true)
server_panics=$(grep -ci 'panicked' "$WORK/server.log" || true)

# --- the table ---------------------------------------------------------------------------------

export ing_rate ing_ok ing_other ing_acked ing_server ing_db ing_us ing_p50 ing_p99 ing_sockerr \
    ing_integrity views_db views_report HWM HWM_INGEST HWM_LATENCY RSS_END server_errors server_5xx \
    server_panics static_errors LOAD_START IDLE_BEFORE MEMBERS REGISTER INGEST_SECONDS INGEST_CONNECTIONS \
    INGEST_BATCH RATE LATENCY_SECONDS LATENCY_WARMUP STATIC_SECONDS STATIC_CONNECTIONS STATIC_ROUNDS \
    WRK_THREADS WORK ROOT BENCH
export SOTAY_RPS_LIST="${SOTAY_RPS[*]}" NGINX_RPS_LIST="${NGINX_RPS[*]}" NGINX_GZS_RPS_LIST="${NGINX_GZS_RPS[*]}"
python3 - >"$RESULTS" <<'PY'
import json, os, platform, statistics, subprocess
e = os.environ
def sh(c):
    return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
lat = json.load(open(os.path.join(e["WORK"], "latency.json")))
sotay = [int(x) for x in e["SOTAY_RPS_LIST"].split()]
nginx = [int(x) for x in e["NGINX_RPS_LIST"].split()]
nginx_gzs = [int(x) for x in e["NGINX_GZS_RPS_LIST"].split()]
s_med, n_med, g_med = statistics.median(sotay), statistics.median(nginx), statistics.median(nginx_gzs)
ratio = s_med / n_med if n_med else 0
rate = int(e["ing_rate"])
acked, server, db, conns, batch = (int(e[k]) for k in ("ing_acked", "ing_server", "ing_db", "INGEST_CONNECTIONS", "INGEST_BATCH"))
hu = json.load(open(os.path.join(e["WORK"], "hangup.json")))
# The server's counter and the root report include the hang-up cell's events (all views): take
# out what the report counted for that cell.
server -= hu["views_in_report"]
views_report = int(e["views_report"]) - hu["views_in_report"]
inflight_ok = acked <= db <= acked + conns * batch
hwm_mb = int(e["HWM"]) / 1024
p99 = lat["all"]["p99_ms"]
yes = lambda b: "yes" if b else "**no**"
mem = sh("free -m | awk '/^Mem:/ {print $2\" MB total, \"$7\" MB available\"}'")
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
commit = sh(f"git -C {e['ROOT']} rev-parse --short HEAD") + (" (+ local changes)" if sh(f"git -C {e['ROOT']} status --porcelain --untracked-files=no") else "")
out = []
w = out.append
w("# Sync server benchmark\n")
w(f"- date: {sh('date -u +%Y-%m-%dT%H:%M:%SZ')}; sotay {commit}")
w(f"- machine: {sh('nproc')} cores ({cpu}), {mem}, {platform.system()} {platform.release()}; load average before the run {e['LOAD_START']}, CPU idle in the 5 s before the load {e['IDLE_BEFORE']}%")
wrk_v = sh("wrk --version 2>&1 | head -1 | cut -d' ' -f1-2")
w(f"- tools: {wrk_v}, {sh('nginx -v 2>&1')}, bench/server/loadgen (constant rate)")
w(f"- data: sample roster of {e['MEMBERS']} members, {e['REGISTER']} registered phones; server with `--no-rate-limits`, logs on (stderr to a file); load generators on the same 2 cores")
w("")
w("| measure | result | target | met |")
w("|---|---|---|---|")
w(f"| durable ingest, batches of {batch} ({conns} connections, {e['INGEST_SECONDS']} s) | **{rate:,} events/s** ({int(e['ing_ok'])/(int(e['ing_us'])/1e6):,.0f} batches/s; p50 {e['ing_p50']} ms, p99 {e['ing_p99']} ms) | ≥ 20,000 events/s | {yes(rate >= 20000)} |")
w(f"| ingest check: every acknowledged event stored | acknowledged to wrk {acked:,} (= {int(e['ing_ok']):,} answers 200 × {batch}); rows in SQLite {db:,} (+{db - acked:,} = {(db - acked) / batch:g} batches still in flight when wrk stopped); integrity_check {e['ing_integrity']} | SQLite = acknowledged, + at most {conns}×{batch} in flight | {yes(inflight_ok and e['ing_integrity'] == 'ok')} |")
w(f"| server's own counts after ingest agree with SQLite | sotay_events_stored_total {server:,} vs {db:,} rows; views in the usage report {views_report:,} vs {int(e['views_db']):,} in member_days (wrk's members) | equal | {yes(server == db and views_report == int(e['views_db']))} |")
w(f"| phones that hang up (TCP reset) during the ingest: {hu['batches']} batches of 10 views, one cell ({hu['unit']}) | stored in SQLite {hu['stored_in_sqlite']} events, {hu['views_in_member_days']} views in member_days; views in the usage report {hu['views_in_report']} | report = SQLite | {yes(hu['views_in_report'] == hu['views_in_member_days'])} |")
w(f"| mixed traffic at {lat['rate']:.0f} req/s: p50 | {lat['all']['p50_ms']:.2f} ms | | |")
w(f"| mixed traffic at {lat['rate']:.0f} req/s: p99 | **{p99:.2f} ms** (p99.9 {lat['all']['p999_ms']:.2f} ms, max {lat['all']['max_ms']:.1f} ms) | < 25 ms | {yes(p99 < 25)} |")
w(f"| static files, sotay | {s_med:,.0f} req/s (rounds: {', '.join(f'{x:,}' for x in sotay)}) | | |")
w(f"| static files, nginx | {n_med:,.0f} req/s (rounds: {', '.join(f'{x:,}' for x in nginx)}) | | |")
w(f"| static files, sotay / nginx | **{ratio:.0%}** | ≥ 70% | {yes(ratio >= 0.70)} |")
w(f"| for reference: nginx with gzip_static (precompressed files) | {g_med:,.0f} req/s (rounds: {', '.join(f'{x:,}' for x in nginx_gzs)}); sotay / that: {s_med / g_med if g_med else 0:.0%} | | |")
w(f"| peak memory of the server (VmHWM) | **{hwm_mb:.1f} MB** (after ingest {int(e['HWM_INGEST'])/1024:.1f}, after latency {int(e['HWM_LATENCY'])/1024:.1f}; RSS at the end {int(e['RSS_END'])/1024:.1f}) | < 100 MB | {yes(hwm_mb < 100)} |")
w("")
w(f"Mixed traffic at a fixed rate ({lat['duration_s']:.0f} s measured after {lat['warmup_s']:.0f} s of warm-up; {lat['completed']:,} requests, {lat['achieved_rps']:.0f} req/s achieved; {lat['connections_opened']} connections; generator lag p99 {lat['lag']['p99_ms']:.2f} ms):\n")
w("| class | share | requests | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors |")
w("|---|---|---|---|---|---|---|---|---|")
for name, share in (("static", "60%"), ("search", "20%"), ("events", "15%"), ("health", "5%"), ("all", "")):
    c = lat[name]
    w(f"| {name} | {share} | {c['n']:,} | {c['p50_ms']:.2f} | {c['p90_ms']:.2f} | {c['p99_ms']:.2f} | {c['max_ms']:.1f} | {c.get('non2xx', lat.get('non2xx'))} | {c.get('errors', lat.get('errors'))} |")
w("")
# CPU use per phase, in cores (of the machine's 2): the server (or nginx), the load generator, the rest.
clk = os.sysconf("SC_CLK_TCK")
acc = {}
for line in open(os.path.join(e["WORK"], "cpu.txt")):
    f = line.split()
    phase, t0, b0, p0, t1, b1, p1, gu, gs = f[0], *map(float, f[1:9])
    dt = t1 - t0
    a = acc.setdefault(phase, [0.0, 0.0, 0.0, 0.0])
    a[0] += (b1 - b0) / clk; a[1] += (p1 - p0) / clk; a[2] += gu + gs; a[3] += dt
w("CPU use during each phase, in cores of the 2 (from /proc: the server process, the load generator, and everything else on the machine, which includes the kernel's own threads and softirq work):\n")
w("| phase | machine busy | server | load generator | everything else | largest users (processes and kernel threads) |")
w("|---|---|---|---|---|---|")
names = {"ingest": "ingest (sotay)", "latency": "fixed-rate mixed traffic (sotay)", "static-sotay": "static (sotay)",
         "static-nginx": "static (nginx, gzip on)", "static-nginx-gzip-static": "static (nginx, gzip_static)"}
for ph, (busy, srv, gen, dt) in acc.items():
    top = ""
    if os.path.exists(os.path.join(e["WORK"], f"top-{ph}.b")):
        top = sh(f"python3 {e['BENCH']}/cpu_top.py diff {e['WORK']}/top-{ph}.a {e['WORK']}/top-{ph}.b {dt}")
    w(f"| {names.get(ph, ph)} | {busy / dt:.2f} | {srv / dt:.2f} | {gen / dt:.2f} | {max(0.0, busy - srv - gen) / dt:.2f} | {top} |")
w("")
w(f"Errors: server log lines at level=error {e['server_errors']}, 5xx answers logged {e['server_5xx']}, panics {e['server_panics']}; "
  f"wrk errors in the static runs {e['static_errors']}; ingest: non-200 answers {e['ing_other']}{', ' + e['ing_sockerr'] if e['ing_sockerr'] else ''}; "
  f"mixed traffic: non-2xx {lat['non2xx']}, failed {lat['errors']}.")
w("")
w(f"Static: wrk -t{e['WRK_THREADS']} -c{e['STATIC_CONNECTIONS']} -d{e['STATIC_SECONDS']}s over the same {sum(1 for _ in open(os.path.join(e['WORK'], 'urls.txt')))} paths with `Accept-Encoding: gzip`, "
  f"{e['STATIC_ROUNDS']} rounds alternating sotay and nginx, median; nginx 2 workers, gzip on (level 1, its default; min length 256 like sotay), keep-alive, sendfile, access_log off. "
  "sotay compresses a file once (level 6) and keeps it; nginx compresses every answer. Content-Encoding per path: bench/work/server/encodings.txt.")
print("\n".join(out))
PY
cat "$RESULTS"
say "written to $RESULTS"
