#!/usr/bin/env python3
"""Helpers for bench/server/run.sh (standard library only).

  prep.py register --addr HOST:PORT --members members.csv --n 200 --out tokens.txt
      registers N members spread over the roster (card, name, birth date and cell exactly as
      in members.csv) and writes their tokens, one per line
  prep.py register --addr HOST:PORT --members members.csv --avoid 200 --out t.txt --unit-out u.txt
      registers one member of a cell where none of those 200 is (its cell written to u.txt)
  prep.py urls --site SITE --out urls.txt [--n 20]
      ~20 paths of the built site: home, documents, section pages, the CSS and the JS files
  prep.py docs --site SITE --out docs.txt
      the document ids of catalog.json (events must name a published document)
  prep.py metric --addr HOST:PORT NAME
      prints the value of one counter of /metrics
  prep.py check-encoding --addr HOST:PORT --urls urls.txt
      prints, per path, the status, Content-Encoding and body size with Accept-Encoding: gzip
"""
import argparse
import csv
import http.client
import json
import re
import sys
import uuid
from pathlib import Path


def conn(addr):
    host, port = addr.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=30)


def register(a):
    with open(a.members, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    step = max(1, len(rows) // a.n)
    chosen = rows[::step][: a.n]
    if a.avoid:
        # One member of a cell where none of the `avoid` members registered by the same rule is.
        taken = {r["unit_code"] for r in rows[:: max(1, len(rows) // a.avoid)][: a.avoid]}
        chosen = [next(r for r in rows if r["unit_code"] not in taken)]
        if a.unit_out:
            Path(a.unit_out).write_text(chosen[0]["unit_code"] + "\n")
    tokens = []
    c = conn(a.addr)
    for r in chosen:
        body = json.dumps({
            "card_number": r["card_number"],
            "full_name": r["full_name"],
            "birth_date": r["birth_date"],
            "unit_code": r["unit_code"],
            "device_id": str(uuid.uuid4()),
        })
        c.request("POST", "/api/v1/register", body, {"content-type": "application/json"})
        resp = c.getresponse()
        data = resp.read()
        if resp.status != 201:
            sys.exit(f"register {r['card_number']}: {resp.status} {data[:300]!r}")
        tokens.append(json.loads(data)["token"])
    Path(a.out).write_text("\n".join(tokens) + "\n")
    print(f"registered {len(tokens)} members", file=sys.stderr)


def urls(a):
    site = Path(a.site)
    cat = json.loads((site / "catalog.json").read_text())
    docs = [d["url"] for d in cat["documents"]]
    home = (site / "index.html").read_text()
    assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', home)))
    sections = ["/nghi-quyet/", "/hoi-dap/", "/sinh-hoat-chi-bo/"]
    n_docs = max(1, a.n - 1 - len(assets) - len(sections))
    # An even spread over the catalog: short and long documents alike.
    step = max(1, len(docs) // n_docs)
    picked = docs[::step][:n_docs]
    paths = ["/"] + picked + sections + assets
    for p in paths:
        f = site / p.lstrip("/")
        if p.endswith("/"):
            f = f / "index.html"
        if not f.is_file():
            sys.exit(f"{p}: not in the built site ({f})")
    Path(a.out).write_text("\n".join(paths) + "\n")
    print(f"{len(paths)} paths ({len(picked)} documents, {len(sections)} sections, {len(assets)} assets)", file=sys.stderr)


def docs(a):
    cat = json.loads((Path(a.site) / "catalog.json").read_text())
    Path(a.out).write_text("\n".join(d["id"] for d in cat["documents"]) + "\n")


def metric(a):
    c = conn(a.addr)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith(a.name + " ") or line.startswith(a.name + "{"):
            print(line.rsplit(" ", 1)[1])
            return
    print(0)


def check_encoding(a):
    c = conn(a.addr)
    for p in Path(a.urls).read_text().split():
        c.request("GET", p, headers={"accept-encoding": "gzip"})
        r = c.getresponse()
        body = r.read()
        print(f"{r.status} {r.getheader('content-encoding') or '-':5} {len(body):7d} {p}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("register")
    p.add_argument("--addr", required=True)
    p.add_argument("--members", required=True)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--out", required=True)
    p.add_argument("--avoid", type=int, default=0, help="register one member of a cell that none of the N members registered by `register --n AVOID` belongs to")
    p.add_argument("--unit-out", help="with --avoid: write that member's cell here")
    p = sub.add_parser("urls")
    p.add_argument("--site", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=20)
    p = sub.add_parser("docs")
    p.add_argument("--site", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("metric")
    p.add_argument("--addr", required=True)
    p.add_argument("name")
    p = sub.add_parser("check-encoding")
    p.add_argument("--addr", required=True)
    p.add_argument("--urls", required=True)
    a = ap.parse_args()
    {"register": register, "urls": urls, "docs": docs, "metric": metric,
     "check-encoding": check_encoding}[a.cmd](a)


if __name__ == "__main__":
    main()
