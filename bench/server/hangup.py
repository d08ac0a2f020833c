#!/usr/bin/env python3
"""Phones that lose their signal: event batches whose client hangs up right after sending.

    hangup.py --addr HOST:PORT --db DB --tokens tokens.txt --docs docs.txt --admin a_... \
        [--n 40] [--step 0.5] [--unit CELL] [--reset 1]

Sends N batches of 10 view events, each on its own connection that is closed before the answer
comes (with a TCP reset by default, as a dropped mobile connection often ends; --reset 0 for a
plain close): the i-th i × --step ms after the request is written (so that some hang up while the batch
waits for its commit, some before the server read it, some after the answer was sent), waits until the server's write queue is empty, and
compares what each part of the server knows afterwards: rows in SQLite (events, member_days
views), the server's counter sotay_events_stored_total, and the views of the usage report (the
in-memory aggregate committees read). A phone that got no answer sends the batch again later and
is told "duplicate", so whatever is missing from the aggregate now stays missing.
Prints one JSON object.
"""
import argparse
import http.client
import json
import os
import socket
import sqlite3
import struct
import time
import uuid
from datetime import datetime, timedelta, timezone


def get(addr, path, token=None):
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("GET", path, headers={"authorization": "Bearer " + token} if token else {})
    r = c.getresponse()
    return r.status, r.read().decode()


def metric(addr, name):
    for line in get(addr, "/metrics")[1].splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    return 0


def state(addr, db, admin, unit):
    vn = datetime.now(timezone(timedelta(hours=7))).date().isoformat()
    st, body = get(addr, f"/api/v1/reports/usage?unit={unit}&from=2020-01-01&to={vn}", admin)
    views = json.loads(body)["total"]["views"] if st == 200 else None
    c = sqlite3.connect(db)
    if unit == "TU":
        rows = c.execute("SELECT count(*) FROM events").fetchone()[0]
        db_views = c.execute("SELECT coalesce(sum(views), 0) FROM member_days").fetchone()[0]
    else:
        rows = c.execute("SELECT count(*) FROM events WHERE unit_code = ?", (unit,)).fetchone()[0]
        db_views = c.execute("SELECT coalesce(sum(views), 0) FROM member_days WHERE unit_code = ?", (unit,)).fetchone()[0]
    c.close()
    # The server's counter is for all members: it only tells something when nothing else writes.
    counter = metric(addr, "sotay_events_stored_total") if unit == "TU" else 0
    return {"db_events": rows, "db_views": db_views, "counter": counter, "report_views": views}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--step", type=float, default=0.5, help="ms")
    ap.add_argument("--wait-for", help="before comparing, wait until this file exists")
    ap.add_argument("--unit", default="TU", help="compare this unit only (a cell that only --tokens write to), so that other traffic may run at the same time")
    ap.add_argument("--reset", type=int, default=1, help="1: hang up with a TCP reset (RST), 0: with FIN")
    a = ap.parse_args()
    tokens = open(a.tokens).read().split()
    doc = open(a.docs).read().split()[0]
    host, port = a.addr.rsplit(":", 1)
    before = state(a.addr, a.db, a.admin, a.unit)
    at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for i in range(a.n):
        body = json.dumps({"events": [{"id": str(uuid.uuid4()), "type": "view", "doc": doc, "at": at} for _ in range(10)]})
        req = (f"POST /api/v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {tokens[i % len(tokens)]}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}")
        s = socket.create_connection((host, int(port)))
        if a.reset:  # close with a TCP reset, as when a network drops the connection
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(req.encode())
        time.sleep(i * a.step / 1000)
        s.close()  # hang up (before the answer, mostly)
    if a.wait_for:
        # Other load is running: compare once the caller says it is over (and the queue drained).
        while not os.path.exists(a.wait_for):
            time.sleep(0.2)
    for _ in range(600):
        time.sleep(0.1)
        if metric(a.addr, "sotay_write_queue_depth") == 0:
            break
    time.sleep(1)
    after = state(a.addr, a.db, a.admin, a.unit)
    d = {k: (after[k] - before[k]) if after[k] is not None and before[k] is not None else None for k in after}
    print(json.dumps({"unit": a.unit, "batches": a.n, "events_sent": a.n * 10, "hang_up": "RST" if a.reset else "FIN", "hang_up_after_ms": [0, (a.n - 1) * a.step], "stored_in_sqlite": d["db_events"],
                      "views_in_member_days": d["db_views"], "counted_by_server": d["counter"],
                      "views_in_report": d["report_views"]}))


if __name__ == "__main__":
    main()
