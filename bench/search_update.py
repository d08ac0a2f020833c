#!/usr/bin/env python3
"""What a phone downloads of the offline search index after one edit.

    python3 bench/search_update.py SOTAY CORPUS_DIR [--work DIR] [--doc N]

Builds the corpus (a copy of CORPUS_DIR, e.g. one made by bench/gen_corpus.py) with the sotay
binary SOTAY, appends one sentence (22 words) to one document (the N-th Markdown file in
sorted order, default the middle one), builds again, and compares the two sites' `search/`
folders file by file: the files that are new after the edit are what the service worker
downloads (every file is named by its content's hash). Prints the whole index's size (raw and
gzip -6, by part), the new files and their gzip bytes, as JSON on stdout. Also, under
"phone", everything else a phone downloads for that update, by kind: `sw.js`, the precache
list (its root and the parts that changed), and the other changed files (pages, feeds).

Only the standard library is used.
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

SENTENCE = ("Chi bộ thống nhất tăng cường kiểm tra việc thực hiện nghị quyết "
            "và sinh hoạt định kỳ hằng tháng đúng quy định.")


def files(d):
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def gz(b):
    return len(gzip.compress(b, 6))


def precached(site):
    """The paths of the files the service worker saves: the precache list's entries (its root
    is named in sw.js, its parts in the root)."""
    sw = site["sw.js"].decode()
    name = sw.split('const MANIFEST = "', 1)[1].split('"', 1)[0].lstrip("/")
    root = json.loads(site[name])
    # Builds before 4888e53 wrote the list whole, as "entries".
    entries = root.get("entries") or [e for h in root["parts"]
                                      for e in json.loads(site["precache/%s.json" % (h[0] if isinstance(h, list) else h)])]
    paths = set()
    for url, _, _ in entries:
        u = url.lstrip("/")
        paths.add(u + "index.html" if u == "" or u.endswith("/") else u)
    return paths


def list_parts(site):
    """The paths of the precache list's parts that the root names (none before c172706)."""
    sw = site["sw.js"].decode()
    name = sw.split('const MANIFEST = "', 1)[1].split('"', 1)[0].lstrip("/")
    root = json.loads(site[name])
    return {"precache/%s.json" % (h[0] if isinstance(h, list) else h) for h in root.get("parts", [])}


def part(path):
    if "/" in path:
        return path.split("/")[0]
    return path.split(".")[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sotay")
    ap.add_argument("corpus")
    ap.add_argument("--work", default=None)
    ap.add_argument("--doc", type=int, default=None)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="sotay-update-")
    src = os.path.join(work, "src")
    if os.path.exists(src):
        shutil.rmtree(src)
    shutil.copytree(a.corpus, src)
    docs = sorted(
        os.path.join(r, n)
        for r, _, ns in os.walk(os.path.join(src, "content"))
        for n in ns
        if n.endswith(".md") and n != "_index.md"
    )
    if not docs:
        sys.exit("no documents under %s/content" % a.corpus)
    doc = docs[a.doc if a.doc is not None else len(docs) // 2]
    sites = []
    for step in ("before", "after"):
        out = os.path.join(work, step)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out + ".index", ignore_errors=True)
        if step == "after":
            with open(doc, "a", encoding="utf-8") as f:
                f.write("\n" + SENTENCE + "\n")
        subprocess.run([a.sotay, "build", "--root", src, "--out", out], check=True,
                       stdout=subprocess.DEVNULL)
        sites.append(files(out))
    whole_before, whole_after = sites
    before = {k[len("search/"):]: v for k, v in whole_before.items() if k.startswith("search/")}
    after = {k[len("search/"):]: v for k, v in whole_after.items() if k.startswith("search/")}
    saved = precached(whole_after)
    phone = {}
    for k, v in whole_after.items():
        # (.sotay-build: the build's own state, never served.)
        if k.startswith(("search/", ".")) or whole_before.get(k) == v:
            continue
        # Of the precache list's parts, the phone downloads those the old list did not have
        # (not the whole list, which is for a first install).
        if k.startswith("precache/") and k not in list_parts(whole_after) - list_parts(whole_before):
            continue
        kind = ("sw.js" if k == "sw.js" else "precache list" if k.startswith("precache")
                else "pages and other files" if k in saved else "not saved offline")
        p = phone.setdefault(kind, {"files": 0, "gzip": 0, "largest": []})
        p["files"] += 1
        p["gzip"] += gz(v)
        p["largest"] = sorted(p["largest"] + [[k, gz(v)]], key=lambda x: -x[1])[:4]
    new = sorted((k for k in after if k not in before), key=lambda k: -gz(after[k]))
    parts = {}
    for k, v in after.items():
        p = parts.setdefault(part(k), {"files": 0, "bytes": 0, "gzip": 0})
        p["files"] += 1
        p["bytes"] += len(v)
        p["gzip"] += gz(v)
    report = {
        "documents": len(docs),
        "edited": os.path.relpath(doc, src),
        "index": {
            "files": len(after),
            "bytes": sum(len(v) for v in after.values()),
            "gzip": sum(p["gzip"] for p in parts.values()),
            "parts": parts,
        },
        "update": {
            "files": len(new),
            "gzip": sum(gz(after[k]) for k in new),
            "largest": [[k, gz(after[k])] for k in new[:10]],
        },
        "phone": phone,
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
