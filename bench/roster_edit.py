#!/usr/bin/env python3
"""A year of a province's roster changes, for bench/roster.sh: members.csv of `sotay roster
sample` with MOVES members moved to another cell of the same commune or district, REMOVES
removed, ADDS new members, and CHANGES members changed (a smartphone answer, a name in
standard form). Deterministic (fixed seed), stdlib only; writes the new members.csv.
"""

import argparse
import csv
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roster", required=True, help="the folder of units.csv and members.csv")
    ap.add_argument("--moves", type=int, default=1000)
    ap.add_argument("--removes", type=int, default=500)
    ap.add_argument("--adds", type=int, default=500)
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(20261205)
    with open(f"{a.roster}/units.csv", encoding="utf-8") as f:
        units = list(csv.DictReader(f))
    with open(f"{a.roster}/members.csv", encoding="utf-8") as f:
        r = csv.DictReader(f)
        fields = r.fieldnames
        members = list(r)
    cells = [u for u in units if u["kind"] in ("chi-bo", "chi-bo-co-so")]
    siblings = {}
    for c in cells:
        siblings.setdefault(c["parent_code"], []).append(c["code"])
    plain = [i for i, m in enumerate(members) if m["role"] == "dang-vien"]
    rng.shuffle(plain)
    moved = plain[: a.moves]
    removed = set(plain[a.moves : a.moves + a.removes])
    changed = plain[a.moves + a.removes : a.moves + a.removes + a.changes]
    parent = {c["code"]: c["parent_code"] for c in cells}
    for i in moved:
        m = members[i]
        others = [c for c in siblings[parent[m["unit_code"]]] if c != m["unit_code"]]
        if others:
            m["unit_code"] = rng.choice(others)
    for k, i in enumerate(changed):
        m = members[i]
        if k % 2:
            m["smartphone"] = "khong" if m["smartphone"] == "co" else "co"
        else:
            m["full_name"] = m["full_name"] + " " + "An"
    out = [m for i, m in enumerate(members) if i not in removed]
    last = max(int(m["card_number"]) for m in members)
    for k in range(a.adds):
        c = rng.choice(cells)["code"]
        out.append({
            "card_number": str(last + 1 + k),
            "full_name": rng.choice(["Nguyễn Văn Mới", "Trần Thị Mới", "Lê Hoàng Mới"]),
            "birth_date": f"{rng.randint(1970, 2000)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}",
            "unit_code": c,
            "status": "du-bi",
            "role": "dang-vien",
            "smartphone": "co",
        })
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    print(f"{len(out)} members: {len(moved)} moved, {len(removed)} removed, {a.adds} added, {len(changed)} changed")


if __name__ == "__main__":
    main()
