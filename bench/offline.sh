#!/usr/bin/env bash
# Offline benchmark: what a phone downloads to view, to keep the handbook offline, and to update.
#
#   flock /tmp/sotay-bench.lock bench/offline.sh
#   GEN_SIZE=1000 bench/offline.sh            # a quick check with a smaller generated site
#
# (flock: so that it never runs at the same time as another benchmark on the machine.)
#
# (a) First view: builds the sample handbook (`sotay build --root . --out bench/work/sample-site`),
#     serves it with `sotay server` (brotli/gzip by Accept-Encoding) on a free loopback port, and
#     loads the home page in Debian's headless Chromium with a fresh profile
#     (bench/offline-firstview.mjs): the bytes of the page's own document, stylesheet and script
#     responses as sent (compressed bodies; headers apart). The service worker's requests (it
#     starts precaching right after the page registers it) are counted apart, not in the total.
# (b) Total offline download: the precache manifest's entries (public/precache.*.json,
#     [url, hash, size]) plus the manifest and sw.js, raw, as `sotay server` sends them (every
#     entry fetched from it) and through a reference brotli/gzip (bench/offline_report.py), for the
#     sample content and for a generated site of GEN_SIZE documents (bench/gen_corpus.py).
# (c) Update: a copy of the site root is built, one sentence is appended to one document, it is
#     rebuilt into the same folder, and the two manifests are compared: the changed entries (new
#     or another hash) plus the new manifest and sw.js are what an installed phone downloads
#     (sw.js copies unchanged entries from its previous cache); they are fetched from `sotay
#     server` to count them as sent.
# It prints Markdown tables, also written to bench/work/offline-results.md.
#
# Settings (environment): GEN_SIZE=10000, SOTAY=path (default: `cargo build --release` of the
# work tree at the start, copied to bench/work/bin/sotay-offline). Everything it makes goes under bench/work/ (sample-site, offline.db, offline/).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=$BENCH/work
OW=$WORK/offline
RAW=$OW/raw
GEN_SIZE=${GEN_SIZE:-10000}
NICE=(nice -n 19)
mkdir -p "$OW"
rm -rf "$RAW"
mkdir -p "$RAW"

say() { printf '%s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------

for tool in node python3 cargo curl; do
    command -v "$tool" >/dev/null || { say "offline.sh needs $tool"; exit 2; }
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
# sotay: the work tree as it is now, built and copied aside (a rebuild by someone else during the
# run changes nothing). A failed compile (tree mid-edit?) is retried a few times.
REV="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- generator themes src sync-server content 2>/dev/null || echo ' + uncommitted changes')"
if [[ -z ${SOTAY:-} ]]; then
    built=
    for try in 1 2 3 4; do
        say "sotay: cargo build --release (the work tree at $REV, try $try)"
        if (cd "$ROOT" && "${NICE[@]}" cargo build --release >&2); then built=1; break; fi
        [[ $try -lt 4 ]] && { say "compile failed (tree mid-edit?); retrying in 180 s"; sleep 180; }
    done
    [[ -n $built ]] || { say "sotay: the release binary could not be built"; exit 1; }
    mkdir -p "$WORK/bin"
    cp "$ROOT/target/release/sotay" "$WORK/bin/sotay-offline"
    SOTAY=$WORK/bin/sotay-offline
fi
say "sotay: $SOTAY"
VENV=$WORK/venv-search
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c "import brotli" 2>/dev/null; then
    say "pip install brotli (into $VENV)"
    "$VENV/bin/pip" install -q brotli >&2
fi
PY=("${NICE[@]}" "$VENV/bin/python" "$BENCH/offline_report.py")

build() { # build ROOT OUT
    "${NICE[@]}" "$SOTAY" build --root "$1" --out "$2" >&2
}

SERVER_PID=
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
# A document changed by update_run is put back even if the script stops half-way.
RESTORE=()
cleanup() {
    stop_server
    if [[ ${#RESTORE[@]} -eq 2 ]]; then cp "${RESTORE[0]}" "${RESTORE[1]}"; fi
}
trap cleanup EXIT

start_server() { # start_server SITE: sets PORT and SERVER_PID
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    rm -f "$WORK/offline.db" "$WORK/offline.db-wal" "$WORK/offline.db-shm"
    "$SOTAY" server --site "$1" --db "sqlite://$WORK/offline.db" --listen "127.0.0.1:$PORT" --no-rate-limits \
        >"$RAW/server.log" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 1 100); do
        if curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    say "sotay server did not start:"
    cat "$RAW/server.log" >&2
    exit 1
}

# --- (a) and (b): the sample site --------------------------------------------------------------

SAMPLE=$WORK/sample-site
say "sample site: sotay build --root $ROOT --out $SAMPLE"
rm -rf "$SAMPLE" "$SAMPLE.index"
build "$ROOT" "$SAMPLE"
start_server "$SAMPLE"
say "(a) first view of http://127.0.0.1:$PORT/ in Chromium"
"${NICE[@]}" node "$BENCH/offline-firstview.mjs" "http://127.0.0.1:$PORT/" "$RAW/firstview.json" >&2
say "(b) precache of the sample site (computed, and fetched from the server)"
"${PY[@]}" precache "$SAMPLE" "$RAW/precache-sample.json" --server "http://127.0.0.1:$PORT"
stop_server

# --- (c) on the sample site ------------------------------------------------------------------

# update_run NAME SITE_ROOT DOCUMENT OUT: build, append a sentence to DOCUMENT (relative to
# SITE_ROOT), rebuild, compare the manifests and fetch the changed entries from `sotay server`;
# DOCUMENT is restored afterwards (in the sources; the site stays the changed one).
update_run() {
    local name=$1 root=$2 doc=$3 out=$4
    rm -rf "$out" "$out.index"
    build "$root" "$out"
    "${PY[@]}" list "$out" "$RAW/old-manifest-$name.json"
    cp "$root/$doc" "$RAW/original-$name.md"
    RESTORE=("$RAW/original-$name.md" "$root/$doc")
    printf '\nĐoạn bổ sung sau khi sửa văn bản: chi bộ ghi nhận ý kiến của đảng viên.\n' >>"$root/$doc"
    build "$root" "$out"
    cp "$RAW/original-$name.md" "$root/$doc"
    RESTORE=()
    start_server "$out"
    "${PY[@]}" update "$RAW/old-manifest-$name.json" "$out" "$RAW/update-$name.json" --document "$doc" \
        --server "http://127.0.0.1:$PORT"
    stop_server
}

say "(c) update after a one-document change, sample content"
SROOT=$OW/sample-root
rm -rf "$SROOT"
mkdir -p "$SROOT"
cp -a "$ROOT/content" "$SROOT/content"
[[ -f $ROOT/sotay.yaml ]] && cp "$ROOT/sotay.yaml" "$SROOT/"
update_run sample "$SROOT" content/hoi-dap/mien-sinh-hoat-dang.md "$OW/sample-update-site"
if ! cmp -s "$RAW/old-manifest-sample.json" "$(ls "$SAMPLE"/precache.*.json)"; then
    say "warning: the copy of the sample root does not build the same site as $ROOT"
fi

# --- (b) and (c) on a generated site ---------------------------------------------------------

GROOT=$OW/corpus-$GEN_SIZE
stamp="$(sha256sum "$BENCH/gen_corpus.py" | cut -d' ' -f1) sotay $GEN_SIZE"
if [[ ! -f $GROOT/.stamp || $(cat "$GROOT/.stamp") != "$stamp" ]]; then
    rm -rf "$GROOT"
    mkdir -p "$GROOT"
    "${NICE[@]}" python3 "$BENCH/gen_corpus.py" "$GROOT" --docs "$GEN_SIZE" --flavor sotay >&2
    printf '%s' "$stamp" >"$GROOT/.stamp"
fi
GSITE=$OW/gen-site-$GEN_SIZE
say "(c) update after a one-document change, generated site of $GEN_SIZE documents"
update_run gen "$GROOT" content/s01/doc-00001.md "$GSITE"
say "(b) precache of the generated site (rebuilt as generated; computed, and fetched from the server)"
build "$GROOT" "$GSITE"
start_server "$GSITE"
"${PY[@]}" precache "$GSITE" "$RAW/precache-gen.json" --server "http://127.0.0.1:$PORT"
stop_server

# --- report ----------------------------------------------------------------------------------

FACTS=$RAW/facts.md
{
    echo "Offline benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -m | awk '/^Mem:/ {print $2}') MB RAM, load average $(cut -d' ' -f1 /proc/loadavg);"
    echo "sotay $REV (built at the start, $SOTAY), $("$CHROMIUM" --version 2>/dev/null | head -n 1) headless."
    echo "Sizes are response bodies (headers are about 0.7 KB per response). \"Sent\": measured from \`sotay server\` (brotli quality 6 or gzip level 6 by Accept-Encoding, as it chooses); \"reference\": the same files through Python's brotli (quality 6, window 22) and gzip -6."
} >"$FACTS"
"$VENV/bin/python" "$BENCH/offline_report.py" table "$RAW" --facts "$FACTS" --gen-size "$GEN_SIZE" | tee "$WORK/offline-results.md"
