#!/usr/bin/env python3
"""The fixed code of the offline index's group headers (generator/src/search/keycode.rs).

Counts, over the distinct folded terms of a body of Vietnamese text (each pair of adjacent
words, "dang vien", and each word, once), how often each symbol follows each other symbol,
adds one to every count (so every symbol has a code after every other), and prints, per
preceding symbol, the length of each symbol's Huffman code as one hexadecimal digit: the rows
of `keycode::MODEL`.

    python3 bench/key_model.py content > /tmp/rows.txt

The model in the source was made from the sample handbook (`content/`, 2026-12-06). It is
fixed: a new model changes every group file of every site, so it is not remade when the
handbook changes. The symbols: a-z, 0-9, space, newline, tab, '#', '=', and any other byte.
"""
import glob
import heapq
import os
import re
import sys
import unicodedata

SYMBOLS = [chr(c) for c in range(97, 123)] + [str(d) for d in range(10)] + [" ", "\n", "\t", "#", "="]
INDEX = {c: i for i, c in enumerate(SYMBOLS)}
OTHER = len(SYMBOLS)
N = OTHER + 1
MAX_LEN = 15


def fold(s):
    s = unicodedata.normalize("NFD", s.lower()).replace("đ", "d")
    return "".join(c for c in s if not "\u0300" <= c <= "\u036f")


def terms(text):
    out = set()
    for part in re.split(r"[.\n;:!?]+", text):
        w = re.findall(r"[a-z0-9]+", fold(part))
        out.update(f"{a} {b}" for a, b in zip(w, w[1:]))
        out.update(w)
    return out


def symbols(line):
    for ch in line:
        if ch in INDEX:
            yield INDEX[ch]
        else:
            for _ in ch.encode():
                yield OTHER


def lengths(counts):
    """Huffman code lengths, ties broken by symbol order; counts halved until none is longer
    than MAX_LEN."""
    while True:
        heap = [(c, i, [i]) for i, c in enumerate(counts)]
        heapq.heapify(heap)
        lens = [0] * len(counts)
        k = len(counts)
        while len(heap) > 1:
            a = heapq.heappop(heap)
            b = heapq.heappop(heap)
            for i in a[2] + b[2]:
                lens[i] += 1
            heapq.heappush(heap, (a[0] + b[0], k, a[2] + b[2]))
            k += 1
        if max(lens) <= MAX_LEN:
            return lens
        counts = [c // 2 + 1 for c in counts]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "content"
    found = set()
    for path in sorted(glob.glob(os.path.join(root, "**", "*.md"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            found |= terms(f.read())
    counts = [[1] * N for _ in range(N)]
    for line in sorted(found):
        prev = INDEX["\n"]
        for s in symbols(line + "\n"):
            counts[prev][s] += 1
            prev = s
    print(f"// {len(found)} distinct terms of {root}", file=sys.stderr)
    for row in counts:
        print('    "' + "".join(f"{l:x}" for l in lengths(row)) + '",')


if __name__ == "__main__":
    main()
