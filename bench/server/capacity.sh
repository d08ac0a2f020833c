#!/usr/bin/env bash
# What one server can take, for sizing the rate limits (DEPLOYMENT.md, "Rate limits") and for
# choosing between sotay's own HTTPS and a proxy in front. One command:
#
#   bench/server/capacity.sh
#
# `sotay server --no-rate-limits` on a fresh SQLite database with a 30,000-member sample roster;
# wrk (Debian) on the same 2 cores, -t2 -c32 for SECONDS each:
#   1. registration attempts that match nobody (a roster lookup, the one answer)   register.lua
#   2. registrations with a member's right details (a durable write each)          register.lua
#   3. the search API over the queries of bench/server/run.sh                        search.lua
#   4. a static page, plain HTTP and HTTPS of its own, kept-alive connections       static.lua
#   5. new HTTPS connections with a full handshake each (`openssl s_time -new`, one client:
#      a phone whose session expired), sotay's own TLS and nginx in front of it
#   6. through nginx (TLS, the DEPLOYMENT.md configuration) to sotay: a static page, and
#      registration attempts that match nobody
# The load generator shares the cores with the server: these are lower bounds. Prints a
# Markdown table and writes it to bench/work/capacity-results.md; work files in
# bench/work/capacity/. Runs under `flock /tmp/sotay-bench.lock` like the other benchmarks.
#
# Settings (environment), defaults in brackets:
#   SECONDS_EACH [15]  MEMBERS [30000]  CONNECTIONS [32]
#   SOTAY=path         use this binary instead of building target/release/sotay
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/../.." && pwd)
WORK=$ROOT/bench/work/capacity
RESULTS=$ROOT/bench/work/capacity-results.md
LOCK=/tmp/sotay-bench.lock
SECONDS_EACH=${SECONDS_EACH:-15}
MEMBERS=${MEMBERS:-30000}
CONNECTIONS=${CONNECTIONS:-32}
NICE=(nice -n 19)

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ ${1:-} != --locked ]]; then
    mkdir -p "$WORK"
    missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v flock >/dev/null || missing+=(util-linux)
    if ((${#missing[@]})); then
        say "installing ${missing[*]} (Debian)"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    fi
    if [[ -z ${SOTAY:-} ]]; then
        say "building sotay (nice -n 19 cargo build --release)"
        (cd "$ROOT" && "${NICE[@]}" cargo build --release --locked --bin sotay >&2)
        SOTAY=$ROOT/target/release/sotay
    fi
    cp "$SOTAY" "$WORK/sotay.new" && mv "$WORK/sotay.new" "$WORK/sotay"
    say "building the site and the sample roster ($MEMBERS members)"
    rm -rf "$WORK/site" "$WORK/site.index" "$WORK/roster"
    "${NICE[@]}" "$WORK/sotay" build --root "$ROOT" --out "$WORK/site" >&2
    "$WORK/sotay" roster sample --out "$WORK/roster" --members "$MEMBERS" >&2
    sed -n '/cat >"$WORK\/queries.txt"/,/^EOF/p' "$BENCH/run.sh" | sed '1d;$d' >"$WORK/queries.txt"
    [[ -s $WORK/queries.txt ]] || die "no queries found in run.sh"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
    say "waiting for $LOCK (other benchmarks)"
    exec flock "$LOCK" "$0" --locked
fi

SERVER_PID=""
NGINX_PID=""
cleanup() {
    [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kv() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }

start_server() { # ARGS...: a fresh database, the roster imported, the server started
    local db=$WORK/db.sqlite
    rm -f "$db" "$db-wal" "$db-shm"
    "$WORK/sotay" roster import --units "$WORK/roster/units.csv" --members "$WORK/roster/members.csv" \
        --db "sqlite://$db" >/dev/null 2>&1 || die "roster import failed"
    PORT=$(free_port)
    SOTAY_LOG=quiet "$WORK/sotay" server --site "$WORK/site" --db "sqlite://$db" \
        --listen "127.0.0.1:$PORT" --no-rate-limits "$@" 2>"$WORK/server.log" >/dev/null &
    SERVER_PID=$!
    for _ in $(seq 200); do
        curl -ksf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return
        curl -ksf "https://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return
        sleep 0.1
    done
    die "the server did not start: $(tail -3 "$WORK/server.log")"
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

ROWS=()
measure() { # NAME URL SCRIPT [ARGS...] [-- wrk extra]: one wrk run, one table row
    local name=$1 url=$2 script=$3; shift 3
    local out=$WORK/$(echo "$name" | tr -c 'a-z0-9\n' '-').txt
    say "$name"
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -s "$BENCH/$script" "$url" -- "$@" >"$out" 2>&1 || true
    local line req dur
    line=$(grep '^RESULT' "$out" || true)
    [[ -n $line ]] || die "$name: no result ($(tail -3 "$out"))"
    req=$(kv requests <<<"$line"); dur=$(kv duration_us <<<"$line")
    local rate
    rate=$(python3 -c "print(f'{$req / ($dur / 1e6):,.0f}')")
    ROWS+=("| $name | **$rate/s** | $(kv latency_p50_ms <<<"$line") ms | $(kv latency_p99_ms <<<"$line") ms | $(sed 's/.*latency_p99_ms=[^ ]*//' <<<"$line" | xargs) |")
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
page=/dieu-le/dieu-le-mau/
echo "$page" >"$WORK/page.txt"

start_server
measure "registration attempts matching nobody" "http://127.0.0.1:$PORT" register.lua
measure "registrations (right details, durable)" "http://127.0.0.1:$PORT" register.lua "$WORK/roster/members.csv"
measure "search API" "http://127.0.0.1:$PORT" search.lua "$WORK/queries.txt"
measure "static page, HTTP" "http://127.0.0.1:$PORT" static.lua "$WORK/page.txt"
stop_server

start_server --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
SOTAY_TLS=$PORT
measure "static page, sotay's HTTPS, kept alive" "https://127.0.0.1:$PORT" static.lua "$WORK/page.txt"
stop_server

# nginx in front, configured as DEPLOYMENT.md says (the tested snippet, its addresses replaced).
start_server --trusted-proxy 127.0.0.1/32
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
python3 - "$ROOT/DEPLOYMENT.md" "$WORK/nginx/nginx.conf" "$WORK" "$PORT" "$NGINX_PORT" <<'PY'
import re, sys
doc, out, work, port, nport = sys.argv[1:]
text = open(doc).read()
snippet = re.search(r"<!-- tested: nginx-root -->\s*```nginx\n(.*?)```", text, re.S).group(1)
for a, b in [("server 127.0.0.1:8080;", f"server 127.0.0.1:{port};"),
             ("listen 443 ssl http2;", f"listen 127.0.0.1:{nport} ssl http2;"),
             ("listen 80;", "listen 127.0.0.1:1;"),
             ("/etc/letsencrypt/live/so-tay.example.vn/fullchain.pem", f"{work}/cert.pem"),
             ("/etc/letsencrypt/live/so-tay.example.vn/privkey.pem", f"{work}/key.pem"),
             ("/var/www/letsencrypt", f"{work}/nginx")]:
    assert a in snippet, a
    snippet = snippet.replace(a, b)
t = f"{work}/nginx"
open(out, "w").write(f"""daemon off; worker_processes 2; pid {t}/nginx.pid; error_log {t}/error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; include /etc/nginx/mime.types; client_body_temp_path {t}/body;
proxy_temp_path {t}/proxy; fastcgi_temp_path {t}/fcgi; uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
{snippet}
}}""")
PY
/usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
for _ in $(seq 100); do curl -ksf "https://127.0.0.1:$NGINX_PORT/healthz" >/dev/null && break; sleep 0.1; done
measure "static page, nginx's HTTPS in front, kept alive" "https://127.0.0.1:$NGINX_PORT" static.lua "$WORK/page.txt"
measure "registration attempts through nginx" "https://127.0.0.1:$NGINX_PORT" register.lua

full_handshakes() { # NAME PORT: openssl s_time, a full handshake for every connection
    local out=$WORK/$(echo "$1" | tr -c 'a-z0-9\n' '-').txt n secs
    say "$1"
    openssl s_time -connect "127.0.0.1:$2" -new -time "$SECONDS_EACH" >"$out" 2>&1 || true
    read -r n secs < <(sed -n 's/^\([0-9]*\) connections in \([0-9.]*\)s;.*/\1 \2/p' "$out" | head -1)
    [[ -n ${n:-} ]] || die "$1: no result ($(tail -3 "$out"))"
    ROWS+=("| $1 | **$(python3 -c "print(f'{$n / $secs:,.0f}')")/s** | | | one client, new session each |")
}
full_handshakes "new HTTPS connections, full handshake, nginx's TLS" "$NGINX_PORT"
kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
stop_server
start_server --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
full_handshakes "new HTTPS connections, full handshake, sotay's TLS" "$PORT"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "Capacity, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(cd "$ROOT" && git rev-parse --short HEAD), $(nproc) cores, load average $LOAD_START before, $LOAD_END after; wrk -t2 -c$CONNECTIONS, ${SECONDS_EACH} s each, on the same cores."
    echo
    echo "| load | rate | p50 | p99 | answers |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
