#!/usr/bin/env python3
"""Numbers and table of bench/offline.sh (needs the `brotli` module of its venv).

    offline_report.py precache SITE OUT_JSON [--server URL]
        what the service worker downloads to keep SITE offline: the entries of the precache
        manifest (SITE/precache.*.json, entries [url, hash, size]) plus the manifest itself and
        sw.js; raw, and compressed as `sotay server` sends them. With --server, every entry is
        also fetched from that server (Accept-Encoding: br) and the bodies counted.
    offline_report.py update OLD_MANIFEST NEW_SITE OUT_JSON
        what an installed phone downloads after a rebuild: the entries of NEW_SITE's manifest
        that are new or whose hash changed, plus the new manifest and sw.js.
    offline_report.py table RAW_DIR --facts FILE
        prints the Markdown report.

Compression is the server's (sync-server/src/files.rs): brotli quality 6 (window 22) or gzip
level 6, for files over 256 bytes whose type is text/*, JSON, XML (DOCX and XLSX included),
JavaScript or a .bin; everything else (PNG, PDF) is sent as it is. HTTP headers are not counted here (about
0.7 KB per response, see the first-view numbers).
"""

import argparse
import gzip
import http.client
import json
import os
import re
import sys
import urllib.parse

import brotli

# Extensions whose content type (sync-server/src/files.rs, `content_type`) the server compresses
# (`Entry::compressible`): text/*, *json*, *xml*, *javascript*, and .bin. DOCX and XLSX are in
# because their types contain "xml" (…openxmlformats-officedocument…), although they are zip files.
TEXT_EXT = {".html", ".css", ".js", ".mjs", ".json", ".webmanifest", ".xml", ".txt", ".svg", ".bin", ".docx", ".xlsx"}


def file_of(site, url):
    path = urllib.parse.unquote(url.split("?")[0])
    if path.endswith("/"):
        path += "index.html"
    return os.path.join(site, path.lstrip("/"))


def compressible(path, n):
    return n > 256 and os.path.splitext(path)[1].lower() in TEXT_EXT


_memo = {}


def sizes(path):
    """(raw, brotli, gzip) bytes of a file as the server sends it."""
    if path in _memo:
        return _memo[path]
    b = open(path, "rb").read()
    n = len(b)
    if compressible(path, n):
        r = (n, len(brotli.compress(b, quality=6, lgwin=22)), len(gzip.compress(b, compresslevel=6, mtime=0)))
    else:
        r = (n, n, n)
    _memo[path] = r
    return r


def category(url):
    if url.endswith("/") or url.endswith(".html"):
        return "pages"
    if url.startswith("/search/"):
        return "search index"
    if url.startswith("/static/") and re.search(r"\.(css|js)$", url):
        return "CSS and JS"
    if re.search(r"\.(png|jpe?g|webp|gif|svg|ico)$", url):
        return "images"
    return "other files"


def manifest_path(site):
    names = [f for f in os.listdir(site) if re.match(r"precache\.[0-9a-f]+\.json$", f)]
    if len(names) != 1:
        raise SystemExit("expected one precache.*.json in %s, found %s" % (site, names))
    return os.path.join(site, names[0])


def tally(site, urls):
    out = {"entries": 0, "raw": 0, "br": 0, "gz": 0, "by_category": {}}
    for u in urls:
        raw, b, g = sizes(file_of(site, u))
        out["entries"] += 1
        out["raw"] += raw
        out["br"] += b
        out["gz"] += g
        c = out["by_category"].setdefault(category(u), {"entries": 0, "raw": 0, "br": 0})
        c["entries"] += 1
        c["raw"] += raw
        c["br"] += b
    return out


def worker_files(site):
    m = manifest_path(site)
    out = {}
    for name, p in (("manifest", m), ("sw.js", os.path.join(site, "sw.js"))):
        raw, b, g = sizes(p)
        out[name] = {"raw": raw, "br": b, "gz": g}
    return out


def fetch_all(base, urls):
    """Bodies of every URL from the server, as sent with Accept-Encoding: br (one connection)."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    total, by_enc = 0, {}
    for url in urls:
        conn.request("GET", url, headers={"Accept-Encoding": "br, gzip"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit("%s: HTTP %d" % (url, r.status))
        total += len(body)
        enc = r.getheader("content-encoding") or "identity"
        by_enc[enc] = by_enc.get(enc, 0) + 1
    conn.close()
    return {"br": total, "responses_by_encoding": by_enc}


def cmd_precache(a):
    m = json.load(open(manifest_path(a.site), encoding="utf-8"))
    urls = [e[0] for e in m["entries"]]
    listed = sum(e[2] for e in m["entries"])
    t = tally(a.site, urls)
    if listed != t["raw"]:
        print("warning: manifest sizes add up to %d, files on disk to %d" % (listed, t["raw"]), file=sys.stderr)
    out = {"site": a.site, "manifest_listed_raw": listed, "precache": t, "worker": worker_files(a.site)}
    if a.server:
        out["server"] = fetch_all(a.server, urls)
    json.dump(out, open(a.out, "w"), indent=1)


def cmd_update(a):
    old = {e[0]: e[1] for e in json.load(open(a.old, encoding="utf-8"))["entries"]}
    new = json.load(open(manifest_path(a.site), encoding="utf-8"))["entries"]
    changed = [e[0] for e in new if old.get(e[0]) != e[1]]
    removed = sorted(set(old) - {e[0] for e in new})
    out = {"changed": tally(a.site, changed), "changed_urls": changed, "removed": len(removed),
           "worker": worker_files(a.site), "entries": len(new), "document": a.document}
    json.dump(out, open(a.out, "w"), indent=1)


def kb(n):
    return "—" if n is None else ("%.1f KB" % (n / 1000) if n < 10e6 else "%.1f MB" % (n / 1e6))


def cmd_table(a):
    d = a.raw
    load = lambda n: json.load(open(os.path.join(d, n))) if os.path.exists(os.path.join(d, n)) else None
    fv = load("firstview.json")
    out = []
    w = out.append
    if a.facts:
        w(open(a.facts, encoding="utf-8").read().rstrip())
        w("")
    if fv:
        t = fv["totals"]
        w("**(a) First view of the home page** of the sample site (`sotay server`, brotli; Chromium, fresh profile):")
        w("")
        w("| resource | type | encoding | body sent | headers | uncompressed |")
        w("|---|---|---|---:|---:|---:|")
        for r in fv["page"]:
            w("| `%s` | %s | %s | %s | %s | %s |" % (r["url"], r["type"], r["encoding"], kb(r["body"]), kb(r["headers"]), kb(r["decoded"])))
        w("| **HTML + CSS + JS** | | | **%s** | %s | %s |" % (kb(t["html_css_js_body"]), kb(t["html_css_js_headers"]), kb(t["html_css_js_decoded"])))
        w("")
        w("HTML + CSS + JS sent: %s of bodies (%s with response headers); target at most 60 KB. Other page requests: %s. "
          "Not counted (the service worker's, after registration): %d requests, %s." % (
              kb(t["html_css_js_body"]), kb(t["html_css_js_body"] + t["html_css_js_headers"]), kb(t["other_body"]),
              fv["worker"]["requests"], kb(fv["worker"]["body"])))
        w("")
    w("**(b) Total offline download** (precache manifest entries, plus the manifest and sw.js), and **(c) the update after a one-document change**:")
    w("")
    w("| site | entries | raw | brotli (as sent) | gzip | of which: pages / search index / CSS+JS / images / other (brotli) | measured from the server |")
    w("|---|---:|---:|---:|---:|---|---:|")
    for name in ("sample", "gen"):
        p = load("precache-%s.json" % name)
        if not p:
            continue
        t = p["precache"]
        wk = p["worker"]
        cat = lambda c: kb(t["by_category"].get(c, {}).get("br", 0))
        extra_raw = wk["manifest"]["raw"] + wk["sw.js"]["raw"]
        extra_br = wk["manifest"]["br"] + wk["sw.js"]["br"]
        extra_gz = wk["manifest"]["gz"] + wk["sw.js"]["gz"]
        label = "sample content (`content/`)" if name == "sample" else "generated, %s documents" % format(a.gen_size, ",")
        srv = p.get("server")
        meas = kb(srv["br"] + extra_br) if srv else "—"
        if name == "sample" and fv:
            meas += " (Chromium, service worker: %s)" % kb(fv["worker"]["body"])
        w("| %s | %d | %s | **%s** | %s | %s / %s / %s / %s / %s | %s |" % (
            label, t["entries"], kb(t["raw"] + extra_raw), kb(t["br"] + extra_br), kb(t["gz"] + extra_gz),
            cat("pages"), cat("search index"), cat("CSS and JS"), cat("images"), cat("other files"), meas))
    w("")
    w("| update after appending a sentence to one document | entries changed (of all) | changed entries, brotli | + new manifest + sw.js (brotli) | **total download** (brotli) | gzip | raw |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("sample", "gen"):
        u = load("update-%s.json" % name)
        if not u:
            continue
        c = u["changed"]
        wk = u["worker"]
        extra = wk["manifest"]["br"] + wk["sw.js"]["br"]
        label = "sample content" if name == "sample" else "generated, %s documents" % format(a.gen_size, ",")
        w("| %s | %d (of %d) | %s | %s | **%s** | %s | %s |" % (
            label, c["entries"], u["entries"], kb(c["br"]), kb(extra), kb(c["br"] + extra),
            kb(c["gz"] + wk["manifest"]["gz"] + wk["sw.js"]["gz"]), kb(c["raw"] + wk["manifest"]["raw"] + wk["sw.js"]["raw"])))
    for name in ("sample", "gen"):
        u = load("update-%s.json" % name)
        if not u:
            continue
        w("")
        label = "sample content" if name == "sample" else "generated, %s documents" % format(a.gen_size, ",")
        cats = ", ".join("%s: %d (%s)" % (k, v["entries"], kb(v["br"])) for k, v in sorted(u["changed"]["by_category"].items()))
        w("Changed entries, %s (%s): %s" % (label, u.get("document", ""), cats))
        urls = u["changed_urls"]
        shown = ", ".join("`%s`" % x for x in urls[:25])
        w("")
        w("%s%s" % (shown, " … and %d more" % (len(urls) - 25) if len(urls) > 25 else ""))
    print("\n".join(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("precache")
    s.add_argument("site")
    s.add_argument("out")
    s.add_argument("--server")
    u = sub.add_parser("update")
    u.add_argument("old")
    u.add_argument("site")
    u.add_argument("out")
    u.add_argument("--document", default="")
    t = sub.add_parser("table")
    t.add_argument("raw")
    t.add_argument("--facts")
    t.add_argument("--gen-size", type=int, default=10000)
    a = p.parse_args()
    {"precache": cmd_precache, "update": cmd_update, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
