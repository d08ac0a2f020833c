#!/usr/bin/env python3
"""Does a slow report hold up the rest of the server? (bench/reports/run.sh, for reference)

    contention.py --addr HOST:PORT --token a_... --path '/api/v1/reports/trend?unit=TU' \
        [--clients 3] [--seconds 8] [--probe /]

Measures the latency of a cheap request (--probe, a static page by default) sent every 50 ms on
its own keep-alive connection: first with nothing else going on, then while CLIENTS admins load
the report at --path in a loop. Prints one JSON object (milliseconds).
"""
import argparse
import http.client
import json
import statistics
import threading
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs))) - 1))]


def probe(addr, path, seconds):
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        out.append((time.monotonic() - t0) * 1000)
        time.sleep(max(0, 0.05 - (time.monotonic() - t0)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--probe", default="/")
    a = ap.parse_args()
    idle = probe(a.addr, a.probe, 3)
    stop = threading.Event()
    done = []

    def admin():
        host, port = a.addr.rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=120)
        while not stop.is_set():
            t0 = time.monotonic()
            c.request("GET", a.path, headers={"authorization": "Bearer " + a.token})
            r = c.getresponse()
            r.read()
            done.append(((time.monotonic() - t0) * 1000, r.status))

    threads = [threading.Thread(target=admin, daemon=True) for _ in range(a.clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    busy = probe(a.addr, a.probe, a.seconds)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    rep = [d for d, _ in done]
    print(json.dumps({
        "probe": a.probe, "clients": a.clients, "report": a.path,
        "idle": {"n": len(idle), "p50": round(statistics.median(idle), 2), "max": round(max(idle), 2)},
        "busy": {"n": len(busy), "p50": round(statistics.median(busy), 2), "p99": round(pct(busy, 99), 2), "max": round(max(busy), 2)},
        "reports": {"n": len(rep), "p50": round(statistics.median(rep), 1) if rep else None, "max": round(max(rep), 1) if rep else None,
                    "statuses": sorted({s for _, s in done})},
    }))


if __name__ == "__main__":
    main()
