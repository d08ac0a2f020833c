#!/usr/bin/env python3
"""Phones and readers for bench/notices/run.sh, written straight into the server's SQLite file.

  gen_notices.py --db DB --tokens OUT phones [--registered 0.7] [--seed 7]
      every active member with a smartphone gets a registered phone with probability
      `registered`: a `devices` row whose token hash is what the server computes (SHA-256 of
      the token, "m_" and 64 hex digits derived from the card). The tokens go to OUT, one per
      line, shuffled: the order in which phones ask.
  gen_notices.py --db DB reads NOTICE_ID SHARE [--seed 7]
      SHARE of the registered members under the notice's unit opened it: one `notice_read`
      event each (events.doc = the notice's id, as the server stores it), the `member_days` row
      and the `notice_reads` row the server writes with it. Prints how many.

Tokens are derived, not random, so that a rerun on the same database can ask as the same phones.
"""

import argparse
import hashlib
import random
import sqlite3
import sys
import time
import uuid


def token_of(card):
    return "m_" + hashlib.sha256(("sotay-bench-notices:" + card).encode()).hexdigest()


def phones(db, out, registered, seed):
    rng = random.Random(seed)
    c = sqlite3.connect(db)
    cards = [r[0] for r in c.execute(
        "SELECT card_number FROM members WHERE active = 1 AND smartphone = 1 ORDER BY card_number")]
    chosen = [k for k in cards if rng.random() < registered]
    now = int(time.time()) - 86400
    with c:
        c.execute("DELETE FROM devices")
        c.executemany(
            "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?, ?, ?, NULL)",
            ((hashlib.sha256(token_of(k).encode()).digest(), k, now) for k in chosen))
    rng.shuffle(chosen)
    with open(out, "w") as f:
        for k in chosen:
            f.write(token_of(k) + "\n")
    print(len(chosen))


def reads(db, notice, share, seed):
    # A generator of its own per notice: the same seed for each would give each notice's
    # readers the same event ids.
    rng = random.Random(f"{seed}:{notice}")
    c = sqlite3.connect(db)
    (unit,) = c.execute("SELECT unit_code FROM notices WHERE id = ?", (notice,)).fetchone()
    (path,) = c.execute("SELECT path FROM units WHERE code = ?", (unit,)).fetchone()
    members = [r for r in c.execute(
        """SELECT DISTINCT m.card_number, m.unit_code FROM members m JOIN units u ON u.code = m.unit_code
           JOIN devices d ON d.card_number = m.card_number
           WHERE m.active = 1 AND substr(u.path, 1, length(?1)) = ?1 ORDER BY m.card_number""", (path,))]
    readers = [m for m in members if rng.random() < share]
    now = int(time.time())
    day = time.strftime("%Y-%m-%d", time.gmtime(now + 7 * 3600))
    with c:
        c.executemany(
            "INSERT INTO events (id, card_number, unit_code, type, doc, version, at, day, ms, data, received_at) "
            "VALUES (?, ?, ?, 'notice_read', ?, NULL, ?, ?, NULL, NULL, ?)",
            ((str(uuid.UUID(int=rng.getrandbits(128), version=4)), k, u, notice, now, day, now) for k, u in readers))
        c.executemany(
            "INSERT INTO member_days (card_number, day, unit_code, views) VALUES (?, ?, ?, 0) "
            "ON CONFLICT (card_number, day) DO NOTHING",
            ((k, day, u) for k, u in readers))
        c.executemany(
            "INSERT OR IGNORE INTO notice_reads (notice_id, card_number, at) VALUES (?, ?, ?)",
            ((notice, k, now) for k, _ in readers))
    print(len(readers))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--tokens")
    p.add_argument("--registered", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("what", choices=["phones", "reads"])
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    if a.what == "phones":
        phones(a.db, a.tokens, a.registered, a.seed)
    else:
        if len(a.args) != 2:
            sys.exit("reads NOTICE_ID SHARE")
        reads(a.db, a.args[0], float(a.args[1]), a.seed)


if __name__ == "__main__":
    main()
