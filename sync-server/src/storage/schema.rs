//! The schema's history on each database: its migrations, applied in order, each once (SQLite
//! counts them in `user_version`, PostgreSQL in `sotay_migrations`). The lists only grow: a
//! database made by any earlier build is brought up to date by the migrations it has not seen,
//! so a migration, once released, never changes. A new table goes at the end of both lists
//! (PostgreSQL's types: `BIGINT` for SQLite's `INTEGER` times and counts, `BOOLEAN` for its 0/1,
//! `BYTEA` for `BLOB`; and an `xid xid8` column where other instances' reports must catch up).

/// SQLite's migrations.
pub const SQLITE: &[&str] = &[
    // 1: roster, phones, events, admin tokens, and the aggregates reports read.
    "CREATE TABLE units (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_code TEXT,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        depth INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX units_parent ON units(parent_code);
    CREATE INDEX units_path ON units(path);
    CREATE TABLE members (
        card_number TEXT PRIMARY KEY,
        full_name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        birth_date TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        status TEXT NOT NULL,
        role TEXT NOT NULL,
        smartphone INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX members_unit ON members(unit_code);
    CREATE TABLE devices (
        token_hash BLOB PRIMARY KEY,
        card_number TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX devices_member ON devices(card_number, created_at);
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        card_number TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        type TEXT NOT NULL,
        doc TEXT NOT NULL,
        version TEXT,
        at INTEGER NOT NULL,
        day TEXT NOT NULL,
        ms INTEGER,
        data TEXT,
        received_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX events_member ON events(card_number, day);
    CREATE INDEX events_doc ON events(doc, type);
    CREATE TABLE member_days (
        card_number TEXT NOT NULL,
        day TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        views INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (card_number, day)
    ) WITHOUT ROWID;
    CREATE INDEX member_days_day ON member_days(day, unit_code);
    CREATE TABLE cell_meetings (
        unit_code TEXT NOT NULL,
        day TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (unit_code, day, event_id)
    ) WITHOUT ROWID;
    CREATE TABLE admin_tokens (
        token_hash BLOB PRIMARY KEY,
        unit_code TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );",
    // 2: a phone's own id, so that a registration sent twice counts one phone.
    "ALTER TABLE devices ADD COLUMN device_id TEXT;
    CREATE UNIQUE INDEX devices_device ON devices(device_id) WHERE device_id IS NOT NULL;",
    // 3: who read which document (reading coverage), kept as events arrive.
    "CREATE TABLE doc_reads (
        doc TEXT NOT NULL,
        card_number TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (doc, card_number)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO doc_reads (doc, card_number, day) SELECT doc, card_number, min(day) FROM events WHERE type = 'read' GROUP BY doc, card_number;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('roster_version', 0);",
    // 4: cell meetings: one record per cell and month (with attendance lists, or none for a
    // record from the old meeting_held event), and the planned meeting. The old per-event
    // table becomes records: per cell and month the last event, its attendees at most the
    // cell's members.
    "CREATE TABLE meetings (
        unit_code TEXT NOT NULL,
        month TEXT NOT NULL,
        held_on TEXT NOT NULL,
        place TEXT,
        present INTEGER NOT NULL,
        excused INTEGER NOT NULL,
        members INTEGER NOT NULL,
        present_cards TEXT,
        excused_cards TEXT,
        docs TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (unit_code, month)
    ) WITHOUT ROWID;
    INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
    SELECT unit_code, substr(day, 1, 7), day, NULL,
        min(max(coalesce(json_extract(data, '$.attendees'), 0), 0), n), 0, n, NULL, NULL, json_array(doc), card_number, received_at
    FROM (SELECT e.*, (SELECT count(*) FROM members m WHERE m.unit_code = e.unit_code AND m.active = 1) AS n,
                 row_number() OVER (PARTITION BY e.unit_code, substr(e.day, 1, 7) ORDER BY e.at DESC, e.id DESC) AS k
          FROM events e WHERE e.type = 'meeting_held')
    WHERE k = 1;
    DROP TABLE cell_meetings;
    CREATE TABLE meeting_schedules (
        unit_code TEXT NOT NULL,
        month TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        place TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        PRIMARY KEY (unit_code, month)
    ) WITHOUT ROWID;",
    // 5: the committee's feedback list reads the period's feedback events only (without it, a
    // scan of every event: 2.5 s at 20,000,000 events). PostgreSQL has had it from the start.
    "CREATE INDEX events_feedback ON events(day) WHERE type = 'feedback';",
    // 6: admin tokens managed from the dashboard: a public id, whom each was given to, who
    // made and who revoked it, and the log of both.
    "ALTER TABLE admin_tokens ADD COLUMN id TEXT;
    ALTER TABLE admin_tokens ADD COLUMN holder TEXT;
    ALTER TABLE admin_tokens ADD COLUMN created_by TEXT;
    ALTER TABLE admin_tokens ADD COLUMN revoked_at INTEGER;
    ALTER TABLE admin_tokens ADD COLUMN revoked_by TEXT;
    UPDATE admin_tokens SET id = lower(hex(substr(token_hash, 1, 8)));
    CREATE UNIQUE INDEX admin_tokens_id ON admin_tokens(id);
    CREATE TABLE admin_token_log (
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        token_id TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        by_token TEXT,
        by_unit TEXT
    );",
    // 7: notices from committees (issue 19) and who opened each at least once.
    "CREATE TABLE notices (
        id TEXT PRIMARY KEY,
        unit_code TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        expires_on TEXT,
        created_at INTEGER NOT NULL,
        posted_by TEXT NOT NULL,
        withdrawn_at INTEGER
    );
    CREATE INDEX notices_unit ON notices(unit_code, created_at);
    CREATE TABLE notice_reads (
        notice_id TEXT NOT NULL,
        card_number TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (notice_id, card_number)
    ) WITHOUT ROWID;",
    // 8: Web Push for notices (issue 19): the server's VAPID key and the phones' subscriptions.
    "CREATE TABLE push_keys (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        private_key TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,
        card_number TEXT NOT NULL,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX push_subscriptions_member ON push_subscriptions(card_number);",
    // 9: roster updates from the dashboard (issue 22): whether a member's smartphone answer
    // was given, members' moves between cells (reports count their reading in
    // the cell of each day), the change log with the state before each change, and uploads
    // waiting for "Áp dụng".
    "ALTER TABLE members ADD COLUMN smartphone_answered INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE member_moves (
        card_number TEXT NOT NULL,
        day TEXT NOT NULL,
        from_unit TEXT NOT NULL,
        to_unit TEXT NOT NULL,
        change_id INTEGER NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX member_moves_card ON member_moves(card_number, at);
    CREATE TABLE roster_changes (
        id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        unit_code TEXT NOT NULL,
        scope_path TEXT NOT NULL,
        whole INTEGER NOT NULL,
        who TEXT NOT NULL,
        source TEXT NOT NULL,
        at INTEGER NOT NULL,
        counts TEXT NOT NULL,
        before BLOB NOT NULL
    );
    CREATE INDEX roster_changes_version ON roster_changes(version);
    CREATE TABLE roster_uploads (
        id TEXT PRIMARY KEY,
        unit_code TEXT NOT NULL,
        admin TEXT NOT NULL,
        file_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        base_version INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        data BLOB NOT NULL,
        applied_change INTEGER
    );",
    // 10: the committee's feedback list, newest first: read in that order within the period
    // and stopped at its limit, instead of the whole period's comments sorted (issue 18).
    "CREATE INDEX events_feedback_at ON events(at) WHERE type = 'feedback';",
];

/// PostgreSQL's migrations. The same tables as on SQLite, plus the writing transaction of the
/// rows reports catch up on (events, phones, meeting records) and the shared rate-limit buckets.
pub const POSTGRES: &[&str] = &[
    // 1: the same tables as on SQLite, plus the writing transaction of events and phones
    // (for the reports' catch-up across instances) and the shared rate-limit buckets.
    "CREATE TABLE units (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_code TEXT,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        depth INTEGER NOT NULL,
        active BOOLEAN NOT NULL DEFAULT true
    );
    CREATE INDEX units_parent ON units(parent_code);
    CREATE INDEX units_path ON units(path text_pattern_ops);
    CREATE TABLE members (
        card_number TEXT PRIMARY KEY,
        full_name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        birth_date TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        status TEXT NOT NULL,
        role TEXT NOT NULL,
        smartphone BOOLEAN NOT NULL,
        active BOOLEAN NOT NULL DEFAULT true,
        updated_at BIGINT NOT NULL
    );
    CREATE INDEX members_unit ON members(unit_code);
    CREATE TABLE devices (
        token_hash BYTEA PRIMARY KEY,
        card_number TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        device_id TEXT UNIQUE,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id()
    );
    CREATE INDEX devices_member ON devices(card_number, created_at);
    CREATE INDEX devices_xid ON devices(xid);
    CREATE TABLE events (
        id UUID PRIMARY KEY,
        card_number TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        type TEXT NOT NULL,
        doc TEXT NOT NULL,
        version TEXT,
        at BIGINT NOT NULL,
        day TEXT NOT NULL,
        ms BIGINT,
        data TEXT,
        received_at BIGINT NOT NULL,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id()
    );
    CREATE INDEX events_member ON events(card_number, day);
    CREATE INDEX events_doc ON events(doc, type);
    CREATE INDEX events_feedback ON events(day) WHERE type = 'feedback';
    CREATE INDEX events_xid ON events(xid);
    CREATE TABLE member_days (
        card_number TEXT NOT NULL,
        day TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        views BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (card_number, day)
    );
    CREATE INDEX member_days_day ON member_days(day, unit_code);
    CREATE TABLE cell_meetings (
        unit_code TEXT NOT NULL,
        day TEXT NOT NULL,
        event_id UUID NOT NULL,
        PRIMARY KEY (unit_code, day, event_id)
    );
    CREATE TABLE doc_reads (
        doc TEXT NOT NULL,
        card_number TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (doc, card_number)
    );
    CREATE TABLE admin_tokens (
        token_hash BYTEA PRIMARY KEY,
        unit_code TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('roster_version', 0);
    CREATE UNLOGGED TABLE rate_buckets (
        key TEXT PRIMARY KEY,
        tokens DOUBLE PRECISION NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        took BOOLEAN NOT NULL
    );",
    // 2: cell meetings, as on SQLite (migration 4 there): one record per cell and month, the
    // old per-event table made into records, and the planned meeting. Records carry their
    // writing transaction, like events, for the reports' catch-up.
    "CREATE TABLE meetings (
        unit_code TEXT NOT NULL,
        month TEXT NOT NULL,
        held_on TEXT NOT NULL,
        place TEXT,
        present BIGINT NOT NULL,
        excused BIGINT NOT NULL,
        members BIGINT NOT NULL,
        present_cards TEXT,
        excused_cards TEXT,
        docs TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at BIGINT NOT NULL,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        PRIMARY KEY (unit_code, month)
    );
    CREATE INDEX meetings_xid ON meetings(xid);
    INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
    SELECT DISTINCT ON (e.unit_code, substr(e.day, 1, 7)) e.unit_code, substr(e.day, 1, 7), e.day, NULL,
        least(greatest(CASE WHEN jsonb_typeof(e.data::jsonb -> 'attendees') = 'number' THEN (e.data::jsonb ->> 'attendees')::numeric::bigint ELSE 0 END, 0), n.n),
        0, n.n, NULL, NULL, jsonb_build_array(e.doc)::text, e.card_number, e.received_at
    FROM events e, LATERAL (SELECT count(*) AS n FROM members m WHERE m.unit_code = e.unit_code AND m.active) n
    WHERE e.type = 'meeting_held'
    ORDER BY e.unit_code, substr(e.day, 1, 7), e.at DESC, e.id DESC;
    DROP TABLE cell_meetings;
    CREATE TABLE meeting_schedules (
        unit_code TEXT NOT NULL,
        month TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        place TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at BIGINT NOT NULL,
        PRIMARY KEY (unit_code, month)
    );",
    // Admin tokens managed from the dashboard: a public id, whom each was given to, who made
    // and who revoked it, and the log of both (SQLite's migration 6).
    "ALTER TABLE admin_tokens ADD COLUMN id TEXT;
    ALTER TABLE admin_tokens ADD COLUMN holder TEXT;
    ALTER TABLE admin_tokens ADD COLUMN created_by TEXT;
    ALTER TABLE admin_tokens ADD COLUMN revoked_at BIGINT;
    ALTER TABLE admin_tokens ADD COLUMN revoked_by TEXT;
    UPDATE admin_tokens SET id = encode(substring(token_hash from 1 for 8), 'hex');
    CREATE UNIQUE INDEX admin_tokens_id ON admin_tokens(id);
    CREATE TABLE admin_token_log (
        seq BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        action TEXT NOT NULL,
        token_id TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        by_token TEXT,
        by_unit TEXT
    );",
    // 4: notices from committees (issue 19) and who opened each, as on SQLite (migration 7
    // there). Reads need no transaction id: the `notice_read` events that write them have one,
    // and the reports' catch-up reads those.
    "CREATE TABLE notices (
        id TEXT PRIMARY KEY,
        unit_code TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        expires_on TEXT,
        created_at BIGINT NOT NULL,
        posted_by TEXT NOT NULL,
        withdrawn_at BIGINT
    );
    CREATE INDEX notices_unit ON notices(unit_code, created_at);
    CREATE TABLE notice_reads (
        notice_id TEXT NOT NULL,
        card_number TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (notice_id, card_number)
    );",
    // 5: Web Push for notices, as on SQLite (migration 8 there).
    "CREATE TABLE push_keys (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        private_key TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,
        card_number TEXT NOT NULL,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE INDEX push_subscriptions_member ON push_subscriptions(card_number);",
    // 6: roster updates from the dashboard, as on SQLite (migration 9 there).
    "ALTER TABLE members ADD COLUMN smartphone_answered BOOLEAN NOT NULL DEFAULT true;
    CREATE TABLE member_moves (
        card_number TEXT NOT NULL,
        day TEXT NOT NULL,
        from_unit TEXT NOT NULL,
        to_unit TEXT NOT NULL,
        change_id BIGINT NOT NULL,
        at BIGINT NOT NULL
    );
    CREATE INDEX member_moves_card ON member_moves(card_number, at);
    CREATE TABLE roster_changes (
        id BIGSERIAL PRIMARY KEY,
        version BIGINT NOT NULL,
        unit_code TEXT NOT NULL,
        scope_path TEXT NOT NULL,
        whole BOOLEAN NOT NULL,
        who TEXT NOT NULL,
        source TEXT NOT NULL,
        at BIGINT NOT NULL,
        counts TEXT NOT NULL,
        before BYTEA NOT NULL
    );
    CREATE INDEX roster_changes_version ON roster_changes(version);
    CREATE TABLE roster_uploads (
        id TEXT PRIMARY KEY,
        unit_code TEXT NOT NULL,
        admin TEXT NOT NULL,
        file_name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        base_version BIGINT NOT NULL,
        fingerprint TEXT NOT NULL,
        data BYTEA NOT NULL,
        applied_change BIGINT
    );",
    // As on SQLite: the feedback list read newest first and stopped at its limit.
    "CREATE INDEX events_feedback_at ON events(at) WHERE type = 'feedback';",
];
