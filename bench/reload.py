#!/usr/bin/env python3
"""Editors' loop benchmark: from saving one document to the reloaded page being served.

    python3 bench/reload.py [--docs 10000] [--edits 40] [--builds 3] [--title] [--sotay PATH] [--out FILE]

Uses the generated corpus of bench/gen_corpus.py (generated into bench/work/corpus/ if it is
not there yet), copied to a scratch folder because the benchmark edits it. Then:

1. `sotay serve --root COPY` is started (the real command editors run) and waited for.
2. A client subscribes to the live-reload stream (`/__sotay/events`), as an open page does.
3. N times, a document picked at random (fixed seed) gets a new sentence with a unique marker,
   saved the way most editors save: the whole file written to a temporary name in the same
   folder, then renamed over the original. The clock starts just before the write. With
   `--title` the marker goes into the document's title instead (a front matter edit: the
   lists and pages that show the title change too, so the rebuild takes its longer path).
4. The clock stops when the reload event has arrived AND a GET of the document's page returns
   the marker: what a member of the editing team sees in the browser.
5. Next to it, the same site built from scratch by `sotay build` (empty output and cache),
   `--builds` times: what Zola and mdBook do on every change.

Prints a Markdown table and writes the raw numbers as JSON (`--out`, default
bench/work/reload-results.json). Wall-clock numbers from a shared machine: the load average is
recorded with them.
"""
import argparse
import http.client
import json
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)


def pct(xs, p):
    s = sorted(xs)
    i = max(1, min(len(s), -(-p * len(s) // 100))) - 1
    return s[i]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def events(port, q, stop):
    """Reads the server-sent events and puts (time, message) on q."""
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", "/__sotay/events")
            r = c.getresponse()
            while not stop.is_set():
                line = r.fp.readline()
                if not line:
                    break
                line = line.decode("utf-8").strip()
                if line.startswith("data: "):
                    q.put((time.perf_counter(), json.loads(line[6:])))
        except OSError:
            time.sleep(0.05)


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.read().decode("utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--edits", type=int, default=40)
    ap.add_argument("--builds", type=int, default=3)
    ap.add_argument("--title", action="store_true", help="edit the title (front matter), not the body")
    ap.add_argument("--sotay", default=os.path.join(ROOT, "target", "release", "sotay"))
    ap.add_argument("--out", default=os.path.join(BENCH, "work", "reload-results.json"))
    a = ap.parse_args()

    if not os.path.exists(a.sotay):
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    corpus = os.path.join(BENCH, "work", "corpus", f"sotay-{a.docs}")
    if not os.path.isdir(os.path.join(corpus, "content")):
        subprocess.run(
            [sys.executable, os.path.join(BENCH, "gen_corpus.py"), corpus, "--docs", str(a.docs), "--flavor", "sotay"],
            check=True,
        )
    scratch = tempfile.mkdtemp(prefix="sotay-reload-")
    site = os.path.join(scratch, "site")
    shutil.copytree(corpus, site)
    docs = []
    for sec in sorted(os.listdir(os.path.join(site, "content"))):
        d = os.path.join(site, "content", sec)
        if os.path.isdir(d):
            docs += [(sec, f) for f in sorted(os.listdir(d)) if f.startswith("doc-") and f.endswith(".md")]
    load_start = os.getloadavg()[0]

    # Full builds from scratch, for comparison (before serve, so they do not compete).
    full = []
    for i in range(a.builds):
        out = os.path.join(scratch, f"full-{i}")
        cache = os.path.join(site, ".sotay")
        shutil.rmtree(cache, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([a.sotay, "build", "--root", site, "--out", out], check=True, capture_output=True)
        full.append((time.perf_counter() - t) * 1000)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out + ".index", ignore_errors=True)
    shutil.rmtree(os.path.join(site, ".sotay"), ignore_errors=True)

    port = free_port()
    log = open(os.path.join(scratch, "serve.log"), "w")
    t = time.perf_counter()
    srv = subprocess.Popen(
        [a.sotay, "serve", "--root", site, "--port", str(port), "--db", os.path.join(scratch, "db.sqlite")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stop = threading.Event()
    q = queue.Queue()
    lat, rebuilt = [], []
    try:
        while True:
            try:
                get(port, "/")
                break
            except OSError:
                if srv.poll() is not None:
                    sys.exit(f"sotay serve exited: see {log.name}")
                if time.perf_counter() - t > 600:
                    sys.exit("sotay serve did not start in 10 minutes")
                time.sleep(0.1)
        startup = (time.perf_counter() - t) * 1000
        threading.Thread(target=events, args=(port, q, stop), daemon=True).start()
        first = q.get(timeout=30)  # hello
        assert first[1].get("type") == "hello", first
        time.sleep(1.0)  # let the first search index write settle
        rnd = random.Random(7)
        for i in range(a.edits):
            sec, f = docs[rnd.randrange(len(docs))]
            path = os.path.join(site, "content", sec, f)
            url = f"/{sec}/{f[:-3]}/"
            marker = f"Ghi chú sửa lần {i} mã {rnd.randrange(10**9)}."
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            if a.title:
                text = text.replace("\ntitle: ", f"\ntitle: {marker} ", 1)
            else:
                text = text.rstrip("\n") + f"\n\n{marker}\n"
            while not q.empty():
                q.get_nowait()
            tmp = os.path.join(os.path.dirname(path), f".{f}.swp-{i}")
            t0 = time.perf_counter()
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
            while True:
                ts, msg = q.get(timeout=60)
                if msg.get("type") == "reload":
                    break
                if msg.get("type") == "error":
                    sys.exit(f"the edit made an error: {msg}")
            while marker not in get(port, url):
                time.sleep(0.002)
            t2 = time.perf_counter()
            lat.append((t2 - t0) * 1000)
            rebuilt.append((ts - t0) * 1000)
            time.sleep(0.3)
    finally:
        stop.set()
        srv.terminate()
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
    served_log = open(log.name).read()
    rebuild_ms = [int(l.split()[2]) for l in served_log.splitlines() if l.startswith("rebuilt in ")]
    shutil.rmtree(scratch, ignore_errors=True)

    res = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "docs": a.docs,
        "edits": a.edits,
        "edit": "title" if a.title else "body",
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "serve_startup_ms": startup,
        "save_to_served_ms": lat,
        "save_to_reload_event_ms": rebuilt,
        "rebuild_ms_logged": rebuild_ms,
        "full_build_ms": full,
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        json.dump(res, fh, indent=1)
    print(f"Editors' loop, {a.docs} documents, {a.edits} {res['edit']} edits ({res['date']}; load {load_start:.2f} -> {res['load_end']:.2f})\n")
    print("| | p50 | p99 | max |\n|---|---:|---:|---:|")
    for name, xs in [
        ("save → reloaded page served (ms)", lat),
        ("save → reload event (ms)", rebuilt),
        ("incremental rebuild, as logged (ms)", rebuild_ms[1:] or rebuild_ms),
    ]:
        print(f"| {name} | {pct(xs, 50):.0f} | {pct(xs, 99):.0f} | {max(xs):.0f} |")
    print(f"| full rebuild, `sotay build` from scratch (ms, median of {a.builds}) | {statistics.median(full):.0f} | | {max(full):.0f} |")
    print(f"\n`sotay serve` start-up (first build, then listening): {startup:.0f} ms")


if __name__ == "__main__":
    main()
