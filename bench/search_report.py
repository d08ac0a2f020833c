#!/usr/bin/env python3
"""Numbers and tables of bench/search.sh (run by it; needs the `brotli` module of its venv).

    search_report.py summarize --size N --site SITE --raw DIR QUERIES_JSON
        reads DIR/build.json, DIR/latency.json, DIR/browser.json, measures the index sizes in
        SITE, computes recall, writes DIR/summary.json
    search_report.py table DIR... [--facts FILE]
        prints the Markdown report of the summaries

Recall ("truth"): the documents whose text as sotay indexes it (the title, the number, issuer
and date shown under it, and the body; not the tags line, not the links to the previous and next
documents) holds every word of the query typed WITH diacritics, as whole words,
case-insensitive; read from the built HTML. Recall of an engine for a query =
|engine's documents ∩ truth| / |truth|, over document pages only (Pagefind also indexes the list
pages; they are left out). Pagefind's "without vs with" compares its own result sets:
|found without ∩ found with| / |found with|. Precision of the unaccented query =
|found without ∩ truth| / |found without|.
"""

import argparse
import gzip
import html
import json
import os
import re
import statistics
import sys
import unicodedata

try:
    import brotli
except ImportError:  # the table does not need it
    brotli = None

DOC_URL = re.compile(r"^/s\d\d/doc-\d+/$")
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
META = re.compile(r'<dl class="doc-meta">(.*?)</dl>', re.S)
DT = re.compile(r"<dt>.*?</dt>", re.S)
BODY = re.compile(r'<div class="doc-body">(.*?)<div class="doc-end"', re.S)
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"\w+")


def words(text):
    return WORD.findall(unicodedata.normalize("NFC", text).lower())


def gz(b):
    return len(gzip.compress(b, compresslevel=6, mtime=0))


def br(b):
    return len(brotli.compress(b, quality=6)) if brotli else None


def dir_bytes(d):
    total = 0
    for root, _, files in os.walk(d):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


# --- sizes -------------------------------------------------------------------------------------


def sotay_sizes(site):
    """The browser's index: every file under SITE/search (root, groups, vocabulary, cards,
    table), each compressed on its own as a server sends it."""
    sdir = os.path.join(site, "search")
    out = {"files": 0, "bytes": 0, "gzip": 0, "brotli": 0, "largest_group_gzip": 0,
           "tantivy_bytes": dir_bytes(site.rstrip("/") + ".index")}
    for root, _, files in os.walk(sdir):
        for f in files:
            b = open(os.path.join(root, f), "rb").read()
            out["files"] += 1
            out["bytes"] += len(b)
            g = gz(b)
            out["gzip"] += g
            out["brotli"] += br(b)
            if os.path.basename(root) == "t":
                out["largest_group_gzip"] = max(out["largest_group_gzip"], g)
    return out


def pagefind_sizes(site):
    """Bytes of SITE/pagefind: all of it, what its JS search API fetches (without the UI
    bundles), and both as a static host would send them: Pagefind's own .pf_* files and the
    WebAssembly module are already gzip inside, the rest (JS, CSS, JSON) gzip -6."""
    d = os.path.join(site, "pagefind")
    out = {"files": 0, "bytes": 0, "sent": 0, "api_bytes": 0, "api_sent": 0, "index_bytes": 0, "fragment_bytes": 0,
           "fragments": 0, "index_chunks": 0}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            raw = open(p, "rb").read()
            n = len(raw)
            pre = f.endswith(".pagefind") or ".pf_" in f
            sent = n if pre else min(n, gz(raw))
            ui = "-ui." in f or "highlight" in f
            out["files"] += 1
            out["bytes"] += n
            out["sent"] += sent
            if not ui:
                out["api_bytes"] += n
                out["api_sent"] += sent
            if f.endswith(".pf_index"):
                out["index_bytes"] += n
                out["index_chunks"] += 1
            if f.endswith(".pf_fragment"):
                out["fragment_bytes"] += n
                out["fragments"] += 1
    return out


def pagefind_urls(site):
    """Result id (fragment hash) -> page URL, read from the fragment files."""
    d = os.path.join(site, "pagefind", "fragment")
    m = {}
    for f in os.listdir(d):
        if not f.endswith(".pf_fragment"):
            continue
        data = gzip.decompress(open(os.path.join(d, f), "rb").read())
        if data.startswith(b"pagefind_dcd"):
            data = data[len(b"pagefind_dcd"):]
        m[f[: -len(".pf_fragment")]] = json.loads(data)["url"]
    return m


# --- recall ------------------------------------------------------------------------------------


def truth_sets(site, queries):
    """For each query (with diacritics): the set of document URLs whose article has all its words."""
    want = [set(words(q)) for q in queries]
    found = [set() for _ in queries]
    for sec in sorted(os.listdir(site)):
        if not re.match(r"s\d\d$", sec):
            continue
        for doc in os.listdir(os.path.join(site, sec)):
            if not doc.startswith("doc-"):
                continue
            p = os.path.join(site, sec, doc, "index.html")
            text = open(p, encoding="utf-8").read()
            parts = [m.group(1) for m in (H1.search(text), BODY.search(text)) if m]
            meta = META.search(text)
            if meta:
                parts.append(DT.sub(" ", meta.group(1)))
            if len(parts) < 2:
                continue
            have = set(words(html.unescape(TAG.sub(" ", " ".join(parts)))))
            url = "/%s/%s/" % (sec, doc)
            for i, w in enumerate(want):
                if w <= have:
                    found[i].add(url)
    return found


def frac(a, b):
    return len(a & b) / len(b) if b else None


def recall(site, spec, latency, browser):
    pairs = spec["recall"]
    truth = truth_sets(site, [p[0] for p in pairs])
    s_rec = {r["with"]: r for r in latency.get("recall", [])}
    pf = browser.get("pagefind")
    pf_rec = {r["with"]: r for r in pf["recall"]} if pf else {}
    urls = pagefind_urls(site) if pf else {}

    def pf_docs(ids):
        return {u for u in (urls.get(i) for i in ids) if u and DOC_URL.match(u)}

    rows = []
    for (w, wo), t in zip(pairs, truth):
        row = {"with": w, "without": wo, "truth": len(t)}
        if w in s_rec:
            sw = {"/%s/" % i for i in s_rec[w]["with_ids"]}
            swo = {"/%s/" % i for i in s_rec[w]["without_ids"]}
            row.update(sotay_with=frac(sw, t), sotay_without=frac(swo, t), sotay_found_without=len(swo),
                       sotay_precision_without=frac(swo & t, swo) if swo else None)
        if w in pf_rec:
            pw = pf_docs(pf_rec[w]["with_ids"])
            pwo = pf_docs(pf_rec[w]["without_ids"])
            row.update(pf_with=frac(pw, t), pf_without=frac(pwo, t), pf_without_vs_with=frac(pwo, pw),
                       pf_found_with=len(pw), pf_found_without=len(pwo),
                       pf_precision_without=(len(pwo & t) / len(pwo)) if pwo else None)
        rows.append(row)
    return rows


def stats(xs):
    s = sorted(xs)
    if not s:
        return None
    at = lambda p: s[min(len(s), max(1, -(-len(s) * p // 100))) - 1]
    return {"n": len(s), "p50": at(50), "p90": at(90), "max": s[-1], "mean": sum(s) / len(s), "min": s[0]}


def summarize(a):
    spec = json.load(open(a.queries, encoding="utf-8"))
    raw = a.raw
    load = lambda n: json.load(open(os.path.join(raw, n), encoding="utf-8")) if os.path.exists(os.path.join(raw, n)) else None
    build, latency, browser = load("build.json"), load("latency.json") or {}, load("browser.json") or {}
    s = {"size": a.size, "build": build, "index_write": load("index-write.json")}
    s["sotay_index"] = sotay_sizes(a.site)
    if os.path.isdir(os.path.join(a.site, "pagefind")):
        s["pagefind_index"] = pagefind_sizes(a.site)
    if latency:
        s["server"] = {k: latency[k] for k in ("docs", "open_ms", "first_call_ms", "rounds", "overall")}
        s["server"]["queries"] = [{k: q[k] for k in ("q", "total", "p50", "p99", "max", "first", "top")} for q in latency["queries"]]
    if browser.get("sotay"):
        b = browser["sotay"]
        s["browser"] = {k: b[k] for k in ("fetched_bytes", "fetched_files", "load_ms", "heap_loaded_mb", "heap_mb",
                                          "groups", "rounds", "overall", "errors")}
        s["browser"]["queries"] = [{k: q[k] for k in ("q", "total", "p50", "p99", "max", "top")} for q in b["queries"]]
        if latency:
            mism = []
            for sq, bq in zip(latency["queries"], b["queries"]):
                if sq["total"] != bq["total"] or sq["top"] != bq["top"]:
                    mism.append({"q": sq["q"], "server": [sq["total"], sq["top"]], "browser": [bq["total"], bq["top"]]})
            s["agreement"] = {"queries": len(b["queries"]), "mismatches": mism}
    pf = browser.get("pagefind")
    if pf:
        s["pagefind"] = {
            "init": pf["init"],
            "cold": {"bytes": stats([c["bytes"] for c in pf["cold"]]), "requests": stats([c["requests"] for c in pf["cold"]]),
                     "ms": stats([c["ms"] for c in pf["cold"]])},
            "warm": {"bytes": stats([c["bytes"] for c in pf["warm"]]), "total_bytes": sum(c["bytes"] for c in pf["warm"]),
                     "ms": stats([c["ms"] for c in pf["warm"]])},
            "queries": [{"q": c["q"], "count": c["count"], "cold_bytes": c["bytes"], "warm_bytes": w["bytes"], "cold_ms": c["ms"]}
                        for c, w in zip(pf["cold"], pf["warm"])],
        }
    if latency.get("recall") or (pf and pf.get("recall")):
        s["recall"] = recall(a.site, spec, latency, browser)
    json.dump(s, open(os.path.join(raw, "summary.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=1)


# --- table -------------------------------------------------------------------------------------


def kb(n):
    return "—" if n is None else ("%.0f KB" % (n / 1000) if n < 10e6 else "%.1f MB" % (n / 1e6))


def ms(x):
    if x is None:
        return "—"
    return "%.1f" % x if x < 100 else "%.0f" % x


def pct(x):
    return "—" if x is None else "%.2f" % x


def mean_min(rows, key):
    xs = [r[key] for r in rows if r.get(key) is not None]
    if not xs:
        return "—"
    return "%.2f (min %.2f)" % (sum(xs) / len(xs), min(xs))


def table(a):
    sums = []
    for d in a.dirs:
        p = os.path.join(d, "summary.json")
        if os.path.exists(p):
            sums.append(json.load(open(p, encoding="utf-8")))
    sums.sort(key=lambda s: s["size"])
    out = []
    w = out.append
    if a.facts and os.path.exists(a.facts):
        w(open(a.facts, encoding="utf-8").read().rstrip())
        w("")
    cols = ["%s docs" % format(s["size"], ",") for s in sums]
    w("| | " + " | ".join(cols) + " | target |")
    w("|---|" + "---:|" * len(cols) + "---|")

    def row(name, f, target=""):
        vals = []
        for s in sums:
            try:
                v = f(s)
            except (KeyError, TypeError, IndexError, ZeroDivisionError):
                v = "—"
            vals.append(v)
        w("| %s | %s | %s |" % (name, " | ".join(vals), target))

    def med(xs):
        return statistics.median(xs) if xs else None

    row("sotay build, full (s, median wall)", lambda s: "%.1f" % med(s["build"]["full"]))
    row("sotay build, tantivy index unchanged (s)", lambda s: "%.1f" % med(s["build"]["no_index"]))
    row("→ tantivy index write (s, difference)", lambda s: "%.1f" % (med(s["build"]["full"]) - med(s["build"]["no_index"])))
    row("tantivy index write alone (s, in-process)", lambda s: "%.1f" % s["index_write"]["index_write_s"])
    row("sotay build peak RSS (MB)", lambda s: "%.0f" % (max(s["build"]["rss_kb"]) / 1024))
    row("Pagefind indexing (s)", lambda s: ("failed: %s" % s["build"]["pagefind_error"].replace("|", "\\|")) if "pagefind_error" in s["build"] else "%.1f" % s["build"]["pagefind"])
    row("Pagefind indexing peak RSS (MB)", lambda s: "%.0f" % (s["build"]["pagefind_rss_kb"] / 1024) if "pagefind_error" not in s["build"] else "—")
    row("server query p50 / p99 / max (ms)", lambda s: "%s / %s / %s" % (ms(s["server"]["overall"]["p50"]), ms(s["server"]["overall"]["p99"]), ms(s["server"]["overall"]["max"])), "p99 < 10 ms at 100,000")
    row("server slowest query (its p50, ms)", lambda s: (lambda q: "%s: %s" % (q["q"].replace("|", "\\|"), ms(q["p50"])))(max(s["server"]["queries"], key=lambda q: q["p50"])))
    row("server index open (ms)", lambda s: ms(s["server"]["open_ms"]))
    row("browser index load: root + filter table (ms)", lambda s: ms(s["browser"]["load_ms"]))
    row("browser: index files fetched by all the queries (files, KB)", lambda s: "%d, %s" % (s["browser"]["fetched_files"], kb(s["browser"]["fetched_bytes"])))
    row("browser JS heap after load / after all the queries (MB)", lambda s: "%.0f / %.0f" % (s["browser"]["heap_loaded_mb"], s["browser"]["heap_mb"]), "< 40 MB at 10,000")
    row("browser query p50 / p99 / max (ms)", lambda s: "%s / %s / %s" % (ms(s["browser"]["overall"]["p50"]), ms(s["browser"]["overall"]["p99"]), ms(s["browser"]["overall"]["max"])), "< 50 ms at 10,000")
    row("browser slowest query (its p50, ms)", lambda s: (lambda q: "%s: %s" % (q["q"].replace("|", "\\|"), ms(q["p50"])))(max(s["browser"]["queries"], key=lambda q: q["p50"])))
    row("server and browser agree (total + top 3)", lambda s: "%d/%d" % (s["agreement"]["queries"] - len(s["agreement"]["mismatches"]), s["agreement"]["queries"]))
    row("sotay offline index: files, raw / gzip / brotli", lambda s: "%d, %s / %s / %s" % (s["sotay_index"]["files"], kb(s["sotay_index"]["bytes"]), kb(s["sotay_index"]["gzip"]), kb(s["sotay_index"]["brotli"])))
    row("→ gzip per 1,000 documents", lambda s: kb(s["sotay_index"]["gzip"] * 1000 / s["size"]), "≤ 300 KB")
    row("→ largest group file, gzip", lambda s: kb(s["sotay_index"]["largest_group_gzip"]))
    row("sotay tantivy index (server, raw)", lambda s: kb(s["sotay_index"]["tantivy_bytes"]))
    row("Pagefind folder: raw / as sent", lambda s: "%s / %s" % (kb(s["pagefind_index"]["bytes"]), kb(s["pagefind_index"]["sent"])))
    row("→ without UI bundles, as sent (all an offline copy needs)", lambda s: kb(s["pagefind_index"]["api_sent"]))
    row("→ files: index chunks / fragments", lambda s: "%d / %d" % (s["pagefind_index"]["index_chunks"], s["pagefind_index"]["fragments"]))
    row("Pagefind initial load (JS, worker, wasm, meta)", lambda s: kb(s["pagefind"]["init"]["bytes"]))
    row("Pagefind per query, fresh visit: median / max", lambda s: "%s / %s" % (kb(s["pagefind"]["cold"]["bytes"]["p50"]), kb(s["pagefind"]["cold"]["bytes"]["max"])))
    row("Pagefind per query, in one session: mean (total)", lambda s: "%s (%s)" % (kb(s["pagefind"]["warm"]["bytes"]["mean"]), kb(s["pagefind"]["warm"]["total_bytes"])))
    row("Pagefind query time, fresh visit: median (ms)", lambda s: ms(s["pagefind"]["cold"]["ms"]["p50"]))
    row("recall typed without diacritics: sotay, mean (min)", lambda s: mean_min(s["recall"], "sotay_without"), "~1.0")
    row("recall typed without diacritics: Pagefind, mean (min)", lambda s: mean_min(s["recall"], "pf_without"))
    row("recall typed with diacritics: Pagefind, mean (min)", lambda s: mean_min(s["recall"], "pf_with"))
    row("Pagefind without vs its own with: mean (min)", lambda s: mean_min(s["recall"], "pf_without_vs_with"))
    row("precision typed without: sotay / Pagefind, mean", lambda s: "%s / %s" % (mean_min(s["recall"], "sotay_precision_without").split(" ")[0], mean_min(s["recall"], "pf_precision_without").split(" ")[0]))

    if sums:
        big = sums[-1]
        if big.get("recall"):
            w("")
            w("Recall per query at %s documents (truth = documents whose title, number, issuer or body holds every word typed with diacritics, read from the built pages):" % format(big["size"], ","))
            w("")
            w("| query (with / without diacritics) | truth | sotay without | Pagefind with | Pagefind without | Pagefind found without (docs) | Pagefind precision without |")
            w("|---|---:|---:|---:|---:|---:|---:|")
            for r in big["recall"]:
                w("| %s / %s | %d | %s | %s | %s | %s | %s |" % (r["with"], r["without"], r["truth"], pct(r.get("sotay_without")),
                  pct(r.get("pf_with")), pct(r.get("pf_without")), r.get("pf_found_without", "—"), pct(r.get("pf_precision_without"))))
        if big.get("server") and big.get("browser"):
            w("")
            w("Per query at %s documents: matches, server p50/p99 (ms), browser p50 (ms), Pagefind bytes on a fresh visit:" % format(big["size"], ","))
            w("")
            w("| query | matches | server p50 | server p99 | browser p50 | Pagefind fresh bytes |")
            w("|---|---:|---:|---:|---:|---:|")
            pfq = {q["q"]: q for q in big.get("pagefind", {}).get("queries", [])}
            for sq, bq in zip(big["server"]["queries"], big["browser"]["queries"]):
                w("| %s | %d | %s | %s | %s | %s |" % (sq["q"].replace("|", "\\|"), sq["total"], ms(sq["p50"]), ms(sq["p99"]), ms(bq["p50"]),
                  kb(pfq[sq["q"]]["cold_bytes"]) if sq["q"] in pfq else "—"))
        mism = [(s["size"], m) for s in sums for m in s.get("agreement", {}).get("mismatches", [])]
        if mism:
            w("")
            w("Server and browser disagree on:")
            w("")
            for size, m in mism:
                w("- %s docs, `%s`: server %s, browser %s" % (format(size, ","), m["q"], json.dumps(m["server"], ensure_ascii=False), json.dumps(m["browser"], ensure_ascii=False)))
    print("\n".join(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--site", required=True)
    s.add_argument("--raw", required=True)
    s.add_argument("queries")
    t = sub.add_parser("table")
    t.add_argument("dirs", nargs="+")
    t.add_argument("--facts")
    a = p.parse_args()
    summarize(a) if a.cmd == "summarize" else table(a)


if __name__ == "__main__":
    main()
