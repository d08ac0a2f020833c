#!/usr/bin/env python3
"""Synthetic usage data for the report benchmark, written straight into sotay's SQLite database.

    gen_dataset.py --db DB --units units.csv --members members.csv --catalog catalog.json \
        --events 20000000 [--registered 0.70] [--seed 7] [--now UNIX] [--verify quick|full|none]

The database must already hold the schema and the roster (`sotay roster import`). This fills, the
way the server itself would have filled them while phones registered and sent events:

- devices: one phone per registered member (token_hash = 32 random bytes, created_at = when they
  registered, device_id NULL);
- events: id (UUID v4), card_number, unit_code (the member's cell), type, doc, version (the
  document's hash, as the app sends it), at (unix s), day (YYYY-MM-DD in UTC+7), ms (reading time,
  read events only, like the app), data ({"text":...} for feedback, {"attendees":n} for meetings,
  serialised like serde_json), received_at (at + a delay: seconds online, hours when queued);
- member_days: (card, day, unit, views) for every member and day with an event, views = the number
  of view events (what append_events upserts);
- meetings: the record of every meeting_held event (one per cell and month);
- doc_reads: (doc, card, first day) for read events.

What the data looks like: registration ~70% of the roster (secretaries and their deputies more,
members without a smartphone rarely), 35% of them in the first three months of a campaign that
began 15 months ago, the rest over the last 12 months; events over the last 12 months, only from
registered members and only after they registered, with a heavy-tailed activity per member
(Pareto, alpha 1.16, capped at 500 times the least: some members very active, many barely; 35% of registered members nearly
idle), hours of the day skewed to evenings, documents by a Zipf-like popularity; types 70% view,
20% read, 5% bookmark, 4% feedback, 1% meeting_held (recorded by the cell's secretary or deputy,
one per cell per month at most, on cells with a propensity to do it).

Rows are inserted in primary-key order (event ids are random v4 UUIDs handed out in sorted order,
with no relation to what the event is), secondary indexes are dropped during the load and created
again after it with the server's own definitions, so the result is the server's schema.
Prints the time of each step on stderr and a summary as `DS_KEY=value` lines on stdout.
"""
import argparse
import csv
import json
import os
import sqlite3
import sys
import time

import numpy as np

DAY = 86400
VN = 7 * 3600
TYPES = ["view", "read", "bookmark", "feedback"]  # meeting_held handled separately
FEEDBACK = [
    "Tài liệu rất hữu ích, dễ hiểu.",
    "Đề nghị bổ sung ví dụ minh họa cho chi bộ nông thôn.",
    "Phần hướng dẫn đóng đảng phí còn khó hiểu, mong được giải thích thêm.",
    "Cỡ chữ trên điện thoại hơi nhỏ.",
    "Cảm ơn ban biên tập, nội dung ngắn gọn.",
    "Mong có thêm câu hỏi trắc nghiệm để ôn tập.",
    "Đọc được cả khi không có mạng, rất tiện.",
    "Nên có bản tóm tắt ở đầu mỗi văn bản.",
    "Chi bộ đã dùng tài liệu này trong buổi sinh hoạt tháng.",
    "Có một số lỗi chính tả ở mục III.",
    "Đề nghị cập nhật văn bản mới của Trung ương.",
    "Tìm kiếm không dấu hoạt động tốt.",
    "Tôi chưa rõ thủ tục chuyển sinh hoạt đảng tạm thời.",
    "Nội dung chuyên đề tháng này thiết thực.",
    "Mong có bản đọc to cho đảng viên lớn tuổi.",
    "Biểu mẫu tải về mở được trên máy tính, rất tốt.",
]
HOURS = np.array([1, .5, .3, .3, .5, 2, 4, 6, 6, 5, 5, 5, 6, 5, 4, 4, 4, 5, 6, 8, 9, 8, 5, 2], float)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def day_str(day_number):
    return time.strftime("%Y-%m-%d", time.gmtime(int(day_number) * DAY))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--units", required=True)
    ap.add_argument("--members", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--registered", type=float, default=0.70)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--now", type=int, default=None)
    ap.add_argument("--verify", choices=["none", "quick", "full"], default="quick")
    a = ap.parse_args()
    t_start = time.time()
    rng = np.random.default_rng(a.seed)
    now = a.now or int(time.time())
    window = now - 365 * DAY
    campaign = now - 456 * DAY

    # --- the roster ------------------------------------------------------------------------
    t0 = time.time()
    cells = set()
    with open(a.units, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["kind"] in ("chi-bo", "chi-bo-co-so"):
                cells.add(r["code"])
    cards, units, roles, phone = [], [], [], []
    with open(a.members, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            cards.append(r["card_number"])
            units.append(r["unit_code"])
            roles.append(r["role"])
            phone.append(r.get("smartphone", "co") != "khong")
    n = len(cards)
    order_ok = all(cards[i] < cards[i + 1] for i in range(n - 1))
    if not order_ok:
        sys.exit("members.csv is not sorted by card number (the sample roster is): sort it first")
    phone = np.array(phone)
    secretary = np.array([r in ("bi-thu", "pho-bi-thu") for r in roles])
    unit_codes = sorted(set(units))
    unit_index = {u: i for i, u in enumerate(unit_codes)}
    unit_of = np.array([unit_index[u] for u in units], dtype=np.int32)
    log(f"roster: {n:,} members in {len(unit_codes):,} cells ({time.time() - t0:.1f} s)")

    cat = json.load(open(a.catalog, encoding="utf-8"))["documents"]
    docs = sorted(cat, key=lambda d: d["id"])  # doc index order = the text order of the id
    doc_ids = [d["id"] for d in docs]
    doc_hash = [d["hash"] for d in docs]
    meeting_docs = {}
    for i, d in enumerate(docs):
        if d.get("meeting"):
            meeting_docs.setdefault(d["meeting"], []).append(i)
    all_meeting_docs = [i for v in meeting_docs.values() for i in v] or list(range(len(docs)))

    # --- registrations ---------------------------------------------------------------------
    t0 = time.time()
    p = np.where(phone, 0.0, 0.08)
    p[secretary & phone] = 0.95
    rest = phone & ~secretary
    need = a.registered * n - p.sum()
    p[rest] = min(1.0, max(0.0, need / max(1, rest.sum())))
    reg = rng.random(n) < p
    reg_idx = np.nonzero(reg)[0]
    early = rng.random(n) < 0.35
    reg_at = np.where(early,
                      campaign + rng.random(n) * (window - campaign),
                      window + rng.random(n) * (now - DAY - window)).astype(np.int64)
    log(f"registrations: {len(reg_idx):,} ({len(reg_idx) / n:.1%}) ({time.time() - t0:.1f} s)")

    # --- meetings: one per cell per month at most, by the secretary or deputy -----------------
    t0 = time.time()
    target_meetings = round(0.01 * a.events)
    months = []  # (first day number, last day number, 'YYYY-MM') of local calendar months
    d = (window + VN) // DAY
    last = (now + VN) // DAY
    while d <= last:
        ym = day_str(d)[:7]
        start = d
        while d <= last and day_str(d)[:7] == ym:
            d += 1
        months.append((start, d - 1, ym))
    recorders = {}
    for i in np.nonzero(reg & secretary)[0]:
        recorders.setdefault(int(unit_of[i]), []).append(int(i))
    cand = []  # (cell, month index, recorder, earliest day)
    propensity = rng.beta(0.8, 0.8, size=len(unit_codes))
    for cell, recs in recorders.items():
        for mi, (m0, m1, _) in enumerate(months):
            ok = [r for r in recs if (reg_at[r] + VN) // DAY <= m1]
            if ok:
                r = ok[int(rng.integers(len(ok)))]
                cand.append((cell, mi, r, max(m0, (reg_at[r] + VN) // DAY + 1, (window + VN) // DAY + 1)))
    cand = [c for c in cand if c[3] <= months[c[1]][1]]
    weights = np.array([propensity[c[0]] for c in cand]) + 1e-9
    keys = rng.random(len(cand)) ** (1.0 / weights)  # weighted sampling without replacement
    k = min(target_meetings, len(cand))
    chosen = np.argpartition(-keys, k - 1)[:k] if k > 0 else np.array([], dtype=int)
    m_mem, m_at, m_doc, m_att = [], [], [], []
    cell_size = np.bincount(unit_of, minlength=len(unit_codes))
    for ci in chosen:
        cell, mi, r, d0 = cand[ci]
        d1 = min(months[mi][1], (now + VN) // DAY)
        day = int(rng.integers(d0, d1 + 1))
        at = day * DAY - VN + int(rng.integers(8 * 3600, 21 * 3600))
        at = min(at, now - 60)
        m_mem.append(r)
        m_at.append(at)
        pool = meeting_docs.get(months[mi][2]) or all_meeting_docs
        m_doc.append(pool[int(rng.integers(len(pool)))])
        m_att.append(max(1, int(round(cell_size[cell] * rng.uniform(0.6, 1.0)))))
    n_meet = len(m_mem)
    log(f"meetings: {n_meet:,} of {len(cand):,} possible cell-months (target {target_meetings:,}) ({time.time() - t0:.1f} s)")

    # --- other events: who, when, what -----------------------------------------------------
    t0 = time.time()
    n_other = a.events - n_meet
    w = np.minimum(rng.pareto(1.16, size=len(reg_idx)) + 1.0, 500.0)
    w[rng.random(len(reg_idx)) < 0.35] *= 0.03
    lo = np.maximum(reg_at[reg_idx], window)
    w *= (now - lo) / (365 * DAY)
    counts = rng.multinomial(n_other, w / w.sum())
    mem = np.repeat(reg_idx.astype(np.int32), counts)
    rng.shuffle(mem)
    lo_e = np.maximum(reg_at[mem], window)
    t = lo_e + rng.random(n_other) * (now - lo_e)
    hour = rng.choice(24, size=n_other, p=HOURS / HOURS.sum())
    at = ((t.astype(np.int64) + VN) // DAY) * DAY - VN + hour * 3600 + rng.integers(0, 3600, size=n_other)
    bad = (at < lo_e) | (at > now)
    at[bad] = t[bad].astype(np.int64)
    typ = rng.choice(4, size=n_other, p=np.array([70, 20, 5, 4]) / 99.0).astype(np.int8)
    pop = 1.0 / (rng.permutation(len(docs)) + 1.0) ** 0.9
    doc = rng.choice(len(docs), size=n_other, p=pop / pop.sum()).astype(np.int16)
    del lo_e, t, hour, bad
    # All events together, in a random order (meetings are type 4).
    mem = np.concatenate([mem, np.array(m_mem, dtype=np.int32)])
    at = np.concatenate([at, np.array(m_at, dtype=np.int64)])
    typ = np.concatenate([typ, np.full(n_meet, 4, dtype=np.int8)])
    doc = np.concatenate([doc, np.array(m_doc, dtype=np.int16)])
    att = np.concatenate([np.zeros(n_other, dtype=np.int32), np.array(m_att, dtype=np.int32)])
    perm = rng.permutation(a.events)
    mem, at, typ, doc, att = mem[perm], at[perm], typ[perm], doc[perm], att[perm]
    del perm
    day = ((at + VN) // DAY).astype(np.int32)
    ms = np.where(typ == 1, np.minimum(3000 + rng.lognormal(np.log(60000), 0.8, size=a.events), 3_600_000), -1).astype(np.int64)
    online = rng.random(a.events) < 0.85
    delay = np.where(online, rng.integers(0, 4, size=a.events), rng.exponential(4 * 3600, size=a.events).astype(np.int64))
    recv = np.minimum(at + delay, now)
    fb = rng.integers(0, len(FEEDBACK), size=a.events).astype(np.int16)
    del online, delay
    log(f"events planned: {a.events:,} from {int((counts > 0).sum()) + 0:,} members; max per member {int(counts.max()):,}, median {int(np.median(counts))} ({time.time() - t0:.1f} s)")

    # --- write -------------------------------------------------------------------------------
    con = sqlite3.connect(a.db, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")  # a generated file: no rollback journal while loading
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    con.execute("PRAGMA temp_store=FILE")
    have = con.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM devices), (SELECT count(*) FROM members WHERE active = 1)").fetchone()
    if have[0] or have[1]:
        sys.exit(f"the database already has {have[0]} events and {have[1]} devices: start from a fresh roster import")
    if have[2] != n:
        sys.exit(f"the database has {have[2]} active members, members.csv {n}: import this roster first")
    index_sql = {name: sql for name, sql in con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('events', 'member_days', 'meetings', 'doc_reads')")}
    for name in index_sql:
        con.execute(f"DROP INDEX {name}")

    t0 = time.time()
    con.execute("BEGIN")
    tokens = np.frombuffer(rng.bytes(32 * len(reg_idx)), dtype=np.uint8).reshape(-1, 32)
    dev = sorted((bytes(tokens[j]), cards[i], int(reg_at[i])) for j, i in enumerate(reg_idx))
    con.executemany("INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?, ?, ?, NULL)", dev)
    con.execute("COMMIT")
    del dev, tokens
    log(f"devices: {len(reg_idx):,} rows ({time.time() - t0:.1f} s)")

    t0 = time.time()
    days = {}
    def ds(x):
        s = days.get(x)
        if s is None:
            s = days[x] = day_str(x)
        return s
    fb_json = [json.dumps({"text": t}, ensure_ascii=False, separators=(",", ":")) for t in FEEDBACK]
    type_names = TYPES + ["meeting_held"]
    # Ids: random v4 UUIDs in sorted order: the k-th id lies in the k-th of n equal slices of the
    # 122 random bits, anywhere in it; nothing else about the event depends on k.
    E = a.events
    step = (1 << 64) // E
    hi_all = np.arange(E, dtype=np.uint64) * np.uint64(step) + (rng.integers(0, step, size=E, dtype=np.uint64))
    lo_all = rng.integers(0, 1 << 58, size=E, dtype=np.uint64)
    chunk = 500_000
    sql = "INSERT INTO events (id, card_number, unit_code, type, doc, version, at, day, ms, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    for c0 in range(0, E, chunk):
        c1 = min(E, c0 + chunk)
        hi = hi_all[c0:c1].tolist()
        lo = lo_all[c0:c1].tolist()
        rows = []
        for j, (h, l, m, t_, ty, dc, dy, mss, rc, at_, f) in enumerate(zip(
                hi, lo, mem[c0:c1].tolist(), at[c0:c1].tolist(), typ[c0:c1].tolist(), doc[c0:c1].tolist(),
                day[c0:c1].tolist(), ms[c0:c1].tolist(), recv[c0:c1].tolist(), att[c0:c1].tolist(), fb[c0:c1].tolist())):
            c = ((h & 0xF) << 58) | l
            uid = "%08x-%04x-4%03x-%x%03x-%012x" % (h >> 32, (h >> 16) & 0xFFFF, (h >> 4) & 0xFFF,
                                                   8 | (c >> 60), (c >> 48) & 0xFFF, c & 0xFFFFFFFFFFFF)
            if ty == 4:
                rows.append((uid, cards[m], units[m], "meeting_held", doc_ids[dc], None, t_, ds(dy), None,
                             '{"attendees":%d}' % at_, rc))
            else:
                rows.append((uid, cards[m], units[m], type_names[ty], doc_ids[dc], doc_hash[dc], t_, ds(dy),
                             mss if ty == 1 else None, fb_json[f] if ty == 3 else None, rc))
        con.execute("BEGIN")
        con.executemany(sql, rows)
        con.execute("COMMIT")
        if (c1 // chunk) % 4 == 0 or c1 == E:
            el = time.time() - t0
            log(f"events: {c1:,}/{E:,} ({c1 / el:,.0f} rows/s)")
    del hi_all, lo_all
    t_events = time.time() - t0

    # member_days: every (member, day) with an event; views = its view events.
    t0 = time.time()
    key = mem.astype(np.int64) * 65536 + (day - day.min()).astype(np.int64)
    uniq, inv = np.unique(key, return_inverse=True)
    views = np.bincount(inv, weights=(typ == 0)).astype(np.int64)
    d_min = int(day.min())
    con.execute("BEGIN")
    B = 1_000_000
    for c0 in range(0, len(uniq), B):
        u = uniq[c0:c0 + B]
        ms_ = (u >> 16).tolist()
        dd = ((u & 0xFFFF) + d_min).tolist()
        con.executemany("INSERT INTO member_days (card_number, day, unit_code, views) VALUES (?, ?, ?, ?)",
                        [(cards[m], ds(x), units[m], v) for m, x, v in zip(ms_, dd, views[c0:c0 + B].tolist())])
    con.execute("COMMIT")
    n_days = len(uniq)
    del key, uniq, inv
    log(f"member_days: {n_days:,} rows ({time.time() - t0:.1f} s)")

    # doc_reads: the first day each member read each document.
    t0 = time.time()
    r = typ == 1
    rk = doc[r].astype(np.int64) * n + mem[r].astype(np.int64)
    rd = day[r]
    o = np.lexsort((rd, rk))
    rk, rd = rk[o], rd[o]
    first = np.ones(len(rk), dtype=bool)
    first[1:] = rk[1:] != rk[:-1]
    rk, rd = rk[first], rd[first]
    con.execute("BEGIN")
    con.executemany("INSERT INTO doc_reads (doc, card_number, day) VALUES (?, ?, ?)",
                    [(doc_ids[k // n], cards[k % n], ds(x)) for k, x in zip(rk.tolist(), rd.tolist())])
    con.execute("COMMIT")
    n_reads = len(rk)
    log(f"doc_reads: {n_reads:,} rows ({time.time() - t0:.1f} s)")

    # meetings: the record each meeting_held event makes (one per cell and month, as the
    # server writes it: attendees at most the cell's members, no attendance lists).
    t0 = time.time()
    con.execute("BEGIN")
    con.execute("""INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
        SELECT e.unit_code, substr(e.day, 1, 7), e.day, NULL, min(json_extract(e.data, '$.attendees'), c.n), 0, c.n, NULL, NULL, json_array(e.doc), e.card_number, e.received_at
        FROM events e JOIN (SELECT unit_code, count(*) AS n FROM members WHERE active = 1 GROUP BY unit_code) c USING (unit_code)
        WHERE e.type = 'meeting_held' ORDER BY e.unit_code, e.day""")
    con.execute("COMMIT")
    log(f"meetings ({time.time() - t0:.1f} s)")

    t0 = time.time()
    for name, s in sorted(index_sql.items()):
        con.execute(s)
    log(f"indexes {', '.join(sorted(index_sql))} created again ({time.time() - t0:.1f} s)")
    con.execute("PRAGMA journal_mode=WAL")
    mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    con.close()
    total = time.time() - t_start
    size = os.path.getsize(a.db)

    # --- checks --------------------------------------------------------------------------------
    t0 = time.time()
    con = sqlite3.connect(a.db)
    q = lambda s: con.execute(s).fetchone()[0]
    problems = []
    def check(what, got, want):
        if got != want:
            problems.append(f"{what}: {got} != {want}")
    if a.verify != "none":
        check("events", q("SELECT count(*) FROM events"), E)
        check("member_days views = view events", q("SELECT sum(views) FROM member_days"), q("SELECT count(*) FROM events WHERE type = 'view'"))
        check("meetings = meeting events (one per cell and month)", q("SELECT count(*) FROM meetings"), n_meet)
        check("journal_mode", mode, "wal")
    if a.verify == "full":
        check("member_days = aggregate of events", q("SELECT count(*) FROM (SELECT card_number, day, unit_code, sum(type = 'view') FROM events GROUP BY card_number, day EXCEPT SELECT card_number, day, unit_code, views FROM member_days)"), 0)
        check("member_days rows", q("SELECT count(*) FROM member_days"), q("SELECT count(*) FROM (SELECT DISTINCT card_number, day FROM events)"))
        check("doc_reads = first reads", q("SELECT count(*) FROM (SELECT doc, card_number, min(day) FROM events WHERE type = 'read' GROUP BY doc, card_number EXCEPT SELECT doc, card_number, day FROM doc_reads)"), 0)
        check("doc_reads rows", q("SELECT count(*) FROM doc_reads"), n_reads)
        check("day is the UTC+7 date of at", q("SELECT count(*) FROM events WHERE day != date(at, 'unixepoch', '+7 hours')"), 0)
        check("events only after registration", q("SELECT count(*) FROM events e JOIN (SELECT card_number, min(created_at) c FROM devices GROUP BY card_number) d USING (card_number) WHERE e.at < d.c"), 0)
        check("events only from registered members", q("SELECT count(*) FROM events WHERE card_number NOT IN (SELECT card_number FROM devices)"), 0)
        check("meetings only by secretaries", q("SELECT count(*) FROM events e JOIN members m USING (card_number) WHERE e.type = 'meeting_held' AND m.role NOT IN ('bi-thu', 'pho-bi-thu')"), 0)
        check("events in the last 12 months", q(f"SELECT count(*) FROM events WHERE at < {window} OR at > {now}"), 0)
        check("integrity", q("PRAGMA integrity_check"), "ok")
    shares = dict(con.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall())
    con.close()
    if a.verify != "none":
        log(f"checks ({a.verify}): {'ok' if not problems else problems} ({time.time() - t0:.1f} s)")
    print(f"DS_MEMBERS={n}")
    print(f"DS_REGISTERED={len(reg_idx)}")
    print(f"DS_EVENTS={E}")
    print(f"DS_MEETINGS={n_meet}")
    print(f"DS_MEMBER_DAYS={n_days}")
    print(f"DS_DOC_READS={n_reads}")
    print(f"DS_ACTIVE_MEMBERS={int((counts > 0).sum())}")
    print(f"DS_TYPE_SHARES=" + ",".join(f"{k}:{v / E:.3f}" for k, v in sorted(shares.items())))
    print(f"DS_EVENTS_SECONDS={t_events:.1f}")
    print(f"DS_GENERATE_SECONDS={total:.1f}")
    print(f"DS_DB_BYTES={size}")
    print(f"DS_NOW={now}")
    print(f"DS_CHECKS={'ok' if not problems else 'FAILED: ' + '; '.join(problems)}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
