#!/usr/bin/env python3
"""Numbers and table of bench/offline.sh (needs the `brotli` module of its venv).

    offline_report.py precache SITE OUT_JSON [--server URL]
        what the service worker downloads to keep SITE offline: the entries of the precache
        manifest (SITE/precache.*.json, entries [url, hash, size]) plus the manifest itself and
        sw.js; raw, and through a reference brotli/gzip. With --server, every one is also
        fetched from that server (Accept-Encoding: br, gzip) and the bodies counted ("sent").
    offline_report.py list SITE OUT_JSON
        SITE's precache list as one file: {"entries": [...], "parts": [hash, ...]} (the list
        comes in parts named by its root since 2f45b71), for `update` after a rebuild.
    offline_report.py update OLD_LIST NEW_SITE OUT_JSON [--server URL]
        what an installed phone downloads after a rebuild: the entries of NEW_SITE's manifest
        that are new or whose hash changed, plus the new manifest's root and the parts of it
        that changed, and sw.js (and, with --server, those fetched from a server of NEW_SITE).
    offline_report.py table RAW_DIR --facts FILE
        prints the Markdown report.

The reference compression uses the server's settings (sync-server/src/files.rs): brotli
quality 6 (window 22) or gzip level 6, for files over 256 bytes whose type is text/*, JSON, XML (DOCX and XLSX included),
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


def precache_list(site):
    """The site's precache list: its entries and the hashes of its parts (none for a list
    written whole, before 2f45b71)."""
    m = json.load(open(manifest_path(site), encoding="utf-8"))
    if "entries" in m:
        return {"entries": m["entries"], "parts": []}
    entries = []
    for h in m["parts"]:
        entries += json.load(open(os.path.join(site, "precache", "%s.json" % h[0]), encoding="utf-8"))
    return {"entries": entries, "parts": [h[0] for h in m["parts"]]}


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


def worker_files(site, parts=None):
    """The service worker's own downloads: sw.js and the precache list's root and parts (all
    of them, or those in `parts`), summed as "manifest"."""
    out = {"manifest": {"raw": 0, "br": 0, "gz": 0}}
    for u in worker_urls(site, parts):
        raw, b, g = sizes(os.path.join(site, u.lstrip("/")))
        name = "sw.js" if u == "/sw.js" else "manifest"
        d = out.setdefault(name, {"raw": 0, "br": 0, "gz": 0})
        d["raw"] += raw
        d["br"] += b
        d["gz"] += g
    return out


def fetch_all(base, urls):
    """Bodies of every URL from the server, as sent with Accept-Encoding: br, gzip (one
    connection): their total, and the largest ones."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    total, by_enc, each = 0, {}, {}
    for url in urls:
        conn.request("GET", url, headers={"Accept-Encoding": "br, gzip"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit("%s: HTTP %d" % (url, r.status))
        total += len(body)
        each[url] = len(body)
        enc = r.getheader("content-encoding") or "identity"
        by_enc[enc] = by_enc.get(enc, 0) + 1
    conn.close()
    return {"sent": total, "responses_by_encoding": by_enc, "each": each}


def server_vs_reference(site, fetched):
    """Files the server sends much larger than a reference brotli (quality 6) would."""
    out = []
    for url, n in fetched["each"].items():
        raw, b, g = sizes(file_of(site, url))
        if n > b * 1.05 and n - b > 1000:
            out.append({"url": url, "raw": raw, "sent": n, "brotli_q6": b, "gzip_6": g})
    return out


def worker_urls(site, parts=None):
    if parts is None:
        parts = precache_list(site)["parts"]
    return (["/" + os.path.basename(manifest_path(site))] + ["/precache/%s.json" % h for h in parts]
            + ["/sw.js"])


def cmd_precache(a):
    m = precache_list(a.site)
    urls = [e[0] for e in m["entries"]]
    listed = sum(e[2] for e in m["entries"])
    t = tally(a.site, urls)
    if listed != t["raw"]:
        print("warning: manifest sizes add up to %d, files on disk to %d" % (listed, t["raw"]), file=sys.stderr)
    out = {"site": a.site, "manifest_listed_raw": listed, "precache": t, "worker": worker_files(a.site)}
    if a.server:
        f = fetch_all(a.server, urls + worker_urls(a.site))
        out["server"] = {"sent": f["sent"], "responses_by_encoding": f["responses_by_encoding"],
                         "larger_than_reference": server_vs_reference(a.site, f)}
    json.dump(out, open(a.out, "w"), indent=1)


def cmd_list(a):
    json.dump(precache_list(a.site), open(a.out, "w"))


def cmd_update(a):
    before = json.load(open(a.old, encoding="utf-8"))
    old = {e[0]: e[1] for e in before["entries"]}
    now = precache_list(a.site)
    new = now["entries"]
    parts = [h for h in now["parts"] if h not in set(before.get("parts", []))]
    changed = [e[0] for e in new if old.get(e[0]) != e[1]]
    removed = sorted(set(old) - {e[0] for e in new})
    out = {"changed": tally(a.site, changed), "changed_urls": changed, "removed": len(removed),
           "changed_raw": {x: sizes(file_of(a.site, x))[0] for x in changed},
           "worker": worker_files(a.site, parts), "entries": len(new), "document": a.document}
    if a.server:
        f = fetch_all(a.server, changed + worker_urls(a.site, parts))
        out["server"] = {"sent": f["sent"], "each": f["each"], "larger_than_reference": server_vs_reference(a.site, f)}
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
    names = [("sample", "sample content (`content/`)"), ("gen", "generated, %s documents" % format(a.gen_size, ","))]
    w("**(b) Total offline download**: the precache manifest's entries plus the manifest and sw.js. \"Sent\" is measured: every "
      "entry fetched from `sotay server` with `Accept-Encoding: br, gzip`; \"reference brotli\" is the same files through "
      "Python's brotli (the C library) at the server's settings (quality 6, window 22).")
    w("")
    w("| site | entries | raw | **sent by sotay server** | reference brotli q6 | gzip -6 | by kind, reference brotli: pages / search index / CSS+JS / images / other |")
    w("|---|---:|---:|---:|---:|---:|---|")
    for name, label in names:
        p = load("precache-%s.json" % name)
        if not p:
            continue
        t = p["precache"]
        wk = p["worker"]
        cat = lambda c: kb(t["by_category"].get(c, {}).get("br", 0))
        ex = lambda k: wk["manifest"][k] + wk["sw.js"][k]
        srv = p.get("server")
        w("| %s | %d | %s | **%s** | %s | %s | %s / %s / %s / %s / %s |" % (
            label, t["entries"], kb(t["raw"] + ex("raw")), kb(srv["sent"]) if srv else "—", kb(t["br"] + ex("br")),
            kb(t["gz"] + ex("gz")), cat("pages"), cat("search index"), cat("CSS and JS"), cat("images"), cat("other files")))
    if fv:
        w("")
        w("Cross-check in Chromium (sample site): the service worker's own requests after the first view of the home page came to "
          "%d responses, %s of bodies (the CSS and JS the page had just loaded come from the HTTP cache)." % (
              fv["worker"]["requests"], kb(fv["worker"]["body"])))
    w("")
    w("**(c) Update after appending a sentence to one document** (rebuild into the same folder; what an installed phone "
      "downloads: the entries that are new or have another hash, plus the new manifest and sw.js; unchanged entries are "
      "copied from the previous cache):")
    w("")
    w("| site | entries changed (of all) | **sent by sotay server** | of which manifest + sw.js | reference brotli q6 | gzip -6 | raw |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for name, label in names:
        u = load("update-%s.json" % name)
        if not u:
            continue
        c = u["changed"]
        wk = u["worker"]
        ex = lambda k: wk["manifest"][k] + wk["sw.js"][k]
        srv = u.get("server")
        w("| %s | %d (of %d) | **%s** | %s | %s | %s | %s |" % (
            label, c["entries"], u["entries"], kb(srv["sent"]) if srv else "—", kb(ex("br")), kb(c["br"] + ex("br")),
            kb(c["gz"] + ex("gz")), kb(c["raw"] + ex("raw"))))
    for name, label in names:
        u = load("update-%s.json" % name)
        if not u:
            continue
        w("")
        each = (u.get("server") or {}).get("each", {})
        w("Changed entries, %s (`%s`): %s" % (label, u.get("document", ""), ", ".join(
            "`%s` (%s raw, %s sent)" % (x, kb(u["changed_raw"].get(x)), kb(each.get(x)))
            for x in u["changed_urls"][:25])))
    larger = []
    for name, label in names:
        for f in ("precache-%s.json" % name, "update-%s.json" % name):
            p = load(f)
            for x in (p or {}).get("server", {}).get("larger_than_reference", []):
                larger.append((label, x))
    if larger:
        w("")
        w("Files `sotay server` sends much larger than reference brotli at the same quality:")
        w("")
        seen = set()
        for label, x in larger:
            if x["url"] in seen:
                continue
            seen.add(x["url"])
            w("- %s, `%s`: %s raw, sent %s; reference brotli q6 %s, gzip -6 %s" % (
                label, x["url"], kb(x["raw"]), kb(x["sent"]), kb(x["brotli_q6"]), kb(x["gzip_6"])))
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
    u.add_argument("--server")
    li = sub.add_parser("list")
    li.add_argument("site")
    li.add_argument("out")
    t = sub.add_parser("table")
    t.add_argument("raw")
    t.add_argument("--facts")
    t.add_argument("--gen-size", type=int, default=10000)
    a = p.parse_args()
    {"precache": cmd_precache, "update": cmd_update, "table": cmd_table, "list": cmd_list}[a.cmd](a)


if __name__ == "__main__":
    main()
