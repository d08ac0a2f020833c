#!/usr/bin/env python3
"""Known-item search benchmark: queries a member would type to find a document they remember a
few words of, and whether a document holding those words comes back first or in the top 3.

    python3 bench/known_item.py queries SITE_DIR OUT.json [--per-form N] [--seed S]
    python3 bench/known_item.py score SITE_DIR QUERIES.json RESULTS.json [RESULTS.json ...]

`queries`: draws windows of 2 to 5 consecutive words at random from the bodies of the built
site's documents (the text of each page's `.doc-body`, as a member reads it) and types each
window four ways: `folded` (no diacritics, lowercase), `exact` (with diacritics, lowercase),
`nfd` (with diacritics, decomposed Unicode, as some keyboards send it) and `typo` (folded, then
one letter deleted, inserted, replaced or two swapped in one word, or one space removed). Every
query keeps the window it came from.

`score`: each RESULTS.json is {"system": name, "results": [[url, url, url], ...], "ms": [...]}
in query order (as bench/search-latency --known and bench/known-item.mjs write them). A query
is a hit at k when one of the first k documents holds the window's words side by side, in
order (folded, as a member would count it: any document with the words, not only the one the
window came from). Prints a Markdown table: hit@1 and hit@3 per system and form, and latency.

Only the standard library is used; the same seed gives the same queries.
"""

import html
import json
import os
import random
import re
import sys
import unicodedata

FORMS = ["folded", "exact", "nfd", "typo"]
WORD = re.compile(r"[^\W_]+")
BODY = re.compile(r'<div class="doc-body">(.*?)<div class="doc-end"', re.S)
SKIP = re.compile(r'<(nav|script|style|button)\b.*?</\1>|<[^>]*\bdata-nosearch\b[^>]*>.*?</(p|summary)>', re.S)
TAG = re.compile(r"<[^>]+>")


def fold(w):
    w = unicodedata.normalize("NFD", w.lower()).replace("đ", "d").replace("\u0111", "d")
    return "".join(c for c in w if not unicodedata.combining(c))


def page_text(path):
    """The text of a document page's body, or None for other pages."""
    try:
        with open(path, encoding="utf-8") as f:
            h = f.read()
    except OSError:
        return None
    m = BODY.search(h)
    if not m:
        return None
    body = SKIP.sub(" ", m.group(1))
    return html.unescape(TAG.sub(" ", body))


def documents(site):
    """(url, path) of every document page of a built site, sorted."""
    out = []
    for dirpath, _, files in os.walk(site):
        if "index.html" not in files:
            continue
        rel = os.path.relpath(dirpath, site)
        if rel.split(os.sep)[0] in ("search", "static", "pagefind"):
            continue
        out.append(("/" + ("" if rel == "." else rel.replace(os.sep, "/") + "/"), os.path.join(dirpath, "index.html")))
    out.sort()
    return out


def typo(rng, words):
    """The folded window with one typing mistake."""
    words = list(words)
    kinds = ["delete", "insert", "replace", "swap"] + (["space"] if len(words) >= 2 else [])
    for _ in range(50):
        k = rng.choice(kinds)
        if k == "space":
            i = rng.randrange(len(words) - 1)
            return " ".join(words[:i] + [words[i] + words[i + 1]] + words[i + 2:])
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) < 2:
            continue
        j = rng.randrange(len(w))
        if k == "delete":
            nw = w[:j] + w[j + 1:]
        elif k == "insert":
            nw = w[:j] + rng.choice("abcdefghiklmnopqrstuvxy") + w[j:]
        elif k == "replace":
            nw = w[:j] + rng.choice([c for c in "abcdefghiklmnopqrstuvxy" if c != w[j]]) + w[j + 1:]
        else:
            if j + 1 >= len(w) or w[j] == w[j + 1]:
                continue
            nw = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        if nw and nw != w:
            return " ".join(words[:i] + [nw] + words[i + 1:])
    return " ".join(words)


def make_queries(site, out, per_form, seed):
    rng = random.Random(seed)
    docs = documents(site)
    texts = {}
    queries = []
    tries = 0
    while len(queries) < per_form and tries < per_form * 20:
        tries += 1
        url, path = rng.choice(docs)
        if url not in texts:
            t = page_text(path)
            texts[url] = WORD.findall(unicodedata.normalize("NFC", t)) if t else []
        words = texts[url]
        n = rng.randint(2, 5)
        if len(words) < n:
            continue
        i = rng.randrange(len(words) - n + 1)
        window = [w.lower() for w in words[i:i + n]]
        folded = [fold(w) for w in window]
        exact = " ".join(window)
        queries.append({"source": url, "window": folded, "forms": {
            "folded": " ".join(folded),
            "exact": exact,
            "nfd": unicodedata.normalize("NFD", exact),
            "typo": typo(rng, folded),
        }})
    flat = []
    for q in queries:
        for form in FORMS:
            flat.append({"q": q["forms"][form], "form": form, "source": q["source"], "window": q["window"]})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"site": site, "seed": seed, "queries": flat}, f, ensure_ascii=False)
    print("%d queries (%d windows x %d forms) from %d documents" % (len(flat), len(queries), len(FORMS), len(docs)),
          file=sys.stderr)


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs), max(1, int(-(-p * len(xs) // 100)))) - 1]


def score(site, queries_file, results_files):
    with open(queries_file, encoding="utf-8") as f:
        queries = json.load(f)["queries"]
    runs = []
    for rf in results_files:
        with open(rf, encoding="utf-8") as f:
            runs.append(json.load(f))
    folded_of = {}

    def holds(url, window):
        if url not in folded_of:
            path = os.path.join(site, url.split("#")[0].lstrip("/"), "index.html")
            t = page_text(path)
            folded_of[url] = " " + " ".join(fold(w) for w in WORD.findall(t or "")) + " "
        return (" " + " ".join(window) + " ") in folded_of[url]

    rows = []
    for run in runs:
        res = run["results"]
        assert len(res) == len(queries), "%s: %d results for %d queries" % (run["system"], len(res), len(queries))
        for form in FORMS:
            idx = [i for i, q in enumerate(queries) if q["form"] == form]
            h1 = sum(1 for i in idx if any(holds(u.split("#")[0], queries[i]["window"]) for u in res[i][:1]))
            h3 = sum(1 for i in idx if any(holds(u.split("#")[0], queries[i]["window"]) for u in res[i][:3]))
            ms = [run["ms"][i] for i in idx] if run.get("ms") else []
            rows.append((run["system"], form, len(idx), h1 / max(1, len(idx)), h3 / max(1, len(idx)),
                         pct(ms, 50) if ms else None, pct(ms, 99) if ms else None))
    print("| system | typed | queries | hit@1 | hit@3 | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for s, form, n, h1, h3, p50, p99 in rows:
        lat = ("%.1f | %.1f" % (p50, p99)) if p50 is not None else "— | —"
        print("| %s | %s | %d | %.1f%% | %.1f%% | %s |" % (s, form, n, 100 * h1, 100 * h3, lat))
    return rows


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "queries":
        per, seed = 200, 20261205
        if "--per-form" in a:
            per = int(a[a.index("--per-form") + 1])
        if "--seed" in a:
            seed = int(a[a.index("--seed") + 1])
        make_queries(a[1], a[2], per, seed)
    elif len(a) >= 4 and a[0] == "score":
        score(a[1], a[2], a[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
