//! Storage on PostgreSQL, for a deployment that outgrew one machine: several `sotay server`
//! processes share one database and behave as one.
//!
//! The contract is [`Storage`]'s, as on SQLite; what differs is how it is kept:
//! - Durability: each write is one transaction, committed (WAL flushed) before it is
//!   acknowledged; PostgreSQL groups the flushes of concurrent commits itself.
//! - Idempotent events: the event id is the primary key, inserted with `ON CONFLICT DO
//!   NOTHING`, so a batch retried against another instance, even while the first attempt is
//!   still in flight there, is stored once (the second waits for the first's row lock).
//! - Reports: every instance keeps its own in-memory aggregate ([`crate::reports`]), loaded
//!   in one snapshot and then brought up to date from rows *other* snapshots did not see.
//!   Each event and phone row carries the id of the transaction that wrote it (`xid8`); the
//!   aggregate remembers the snapshot it reflects, and a catch-up reads the rows visible now
//!   that were not visible in that snapshot (`xid >= xmin(old) AND NOT
//!   pg_visible_in_snapshot(xid, old)`). So a row is applied exactly once, whichever instance
//!   wrote it, and nothing committed is missed however commits interleave.
//! - Rate limits on registration and per member are token buckets in an UNLOGGED table,
//!   updated in one statement, so they hold across instances (see [`Postgres::take_token`]).
//! - Migrations run at start under an advisory lock, so instances starting together do not
//!   race.

use crate::model::{CardNumber, EventType, Month, UnitCode};
use crate::notice_db::{NewNotice, Notice, NoticeRow};
use crate::push_db::PushSubscription;
use crate::roster::update::{Current, RosterChange};
use crate::roster::Roster;
use crate::roster_db::{AdminInfo, Applied, ChangeEntry, Upload};
use crate::store::{
    attendees_of, check_cards, day_of, meeting_row, rfc3339_vn, CellRef, Changes, Feedback, Loaded,
    Meeting, MemberRef, NewEvent, NewMeeting, Registration, Result, RosterEntry, Schedule, Storage,
    StoreError, Stored,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};

/// Schema versions, applied in order; `sotay_migrations` records those applied.
const MIGRATIONS: &[&str] = &[
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
];

/// The schema version a database opened by this build has.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The advisory lock migrations take (any constant; "sotay" in ASCII).
const MIGRATION_LOCK: i64 = 0x0073_6f74_6179;

/// Rows written per statement in bulk loads (roster import, copy).
pub const CHUNK: usize = 5_000;

/// A pool of connections to one PostgreSQL database.
pub struct Postgres {
    pool: Pool,
    depth: Arc<AtomicUsize>,
}

pub(crate) fn pg_err(e: tokio_postgres::Error) -> StoreError {
    // Constraint violations are the caller's fault; everything else is "try again".
    match e.code() {
        Some(c) if c.code().starts_with("23") => StoreError::Invalid(e.to_string()),
        _ => StoreError::Unavailable(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        }),
    }
}

fn pool_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("postgres: {e}"))
}

/// Deadlocks and serialization failures are retried; they are PostgreSQL's way of saying
/// "two instances touched the same rows at once", not a fault.
fn retryable(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(m) if m.starts_with("40P01") || m.starts_with("40001"))
}

impl Postgres {
    /// Connects to `url` (`postgres://user:pass@host:port/db`), creating the schema or
    /// bringing it up to date.
    pub async fn open(url: &str) -> Result<Postgres> {
        let cfg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL: {e}")))?;
        let mgr = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr).max_size(16).build().map_err(pool_err)?;
        let pg = Postgres {
            pool,
            depth: Arc::new(AtomicUsize::new(0)),
        };
        pg.migrate().await?;
        Ok(pg)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_err)
    }

    /// Applies the migrations not yet applied; returns the schema version.
    pub async fn migrate(&self) -> Result<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg_err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS sotay_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(pg_err)?;
        let done: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM sotay_migrations",
                &[],
            )
            .await
            .map_err(pg_err)?
            .get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
            tx.batch_execute(sql).await.map_err(pg_err)?;
            tx.execute(
                "INSERT INTO sotay_migrations (version) VALUES ($1)",
                &[&((i + 1) as i32)],
            )
            .await
            .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(MIGRATIONS.len())
    }

    /// Runs `f` in a transaction, retrying it on deadlock or serialization failure.
    async fn write<T, F>(&self, mut f: F) -> Result<T>
    where
        F: for<'a> FnMut(
            &'a tokio_postgres::Transaction<'a>,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>,
    {
        self.depth.fetch_add(1, Ordering::SeqCst);
        let r = async {
            let mut c = self.client().await?;
            let mut attempt = 0;
            loop {
                let tx = c.transaction().await.map_err(pg_err)?;
                let r = match f(&tx).await {
                    Ok(v) => tx.commit().await.map_err(pg_err).map(|()| v),
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                };
                match r {
                    Err(e) if retryable(&e) && attempt < 4 => attempt += 1,
                    r => return r,
                }
            }
        }
        .await;
        self.depth.fetch_sub(1, Ordering::SeqCst);
        r
    }

    /// Takes one token from the shared bucket `key` (`burst` tokens refilled at `per_sec`);
    /// `Ok(Err(seconds))` says when to retry. One statement, so concurrent instances cannot
    /// both take the last token; the table is UNLOGGED (losing buckets in a crash is harmless).
    pub async fn take_token(
        &self,
        key: &str,
        burst: f64,
        per_sec: f64,
    ) -> Result<std::result::Result<(), u64>> {
        let c = self.client().await?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
        let row = c
            .query_one(
                "WITH p AS (SELECT $2::float8 AS burst, $3::float8 AS rate, $4::float8 AS now)
                 INSERT INTO rate_buckets AS r (key, tokens, at, took)
                 SELECT $1, burst - 1, now, burst >= 1 FROM p
                 ON CONFLICT (key) DO UPDATE SET
                   took = (SELECT least(burst, r.tokens + greatest(0, now - r.at) * rate) >= 1 FROM p),
                   tokens = (SELECT least(burst, r.tokens + greatest(0, now - r.at) * rate)
                            - CASE WHEN least(burst, r.tokens + greatest(0, now - r.at) * rate) >= 1 THEN 1 ELSE 0 END FROM p),
                   at = excluded.at
                 RETURNING took, tokens",
                &[&key, &burst, &per_sec, &now],
            )
            .await
            .map_err(pg_err)?;
        let took: bool = row.get(0);
        let tokens: f64 = row.get(1);
        Ok(if took {
            Ok(())
        } else {
            Err(((1.0 - tokens) / per_sec).ceil().max(1.0) as u64)
        })
    }

    /// Streams the rows of `sql` to `each`.
    async fn each_row(
        c: &tokio_postgres::Transaction<'_>,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        mut each: impl FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        use futures_util::TryStreamExt;
        let stream = c
            .query_raw(sql, params.iter().copied())
            .await
            .map_err(pg_err)?;
        let mut stream = pin!(stream);
        while let Some(row) = stream.try_next().await.map_err(pg_err)? {
            each(row)?;
        }
        Ok(())
    }
}

fn member_from_row(r: &Row) -> Result<MemberRef> {
    let bad = |what: &str| StoreError::Unavailable(format!("bad {what} in the database"));
    let kind: Option<String> = r.get(5);
    let unit_name: Option<String> = r.get(6);
    Ok(MemberRef {
        card_number: crate::model::CardNumber::parse(r.get(0)).ok_or_else(|| bad("card"))?,
        full_name: r.get(1),
        unit_code: UnitCode::parse(r.get(2)).ok_or_else(|| bad("unit"))?,
        unit_name: unit_name.unwrap_or_default(),
        role: crate::model::Role::parse(r.get(3)).unwrap_or(crate::model::Role::DangVien),
        status: crate::model::MemberStatus::parse(r.get(4))
            .unwrap_or(crate::model::MemberStatus::ChinhThuc),
        in_cell: kind
            .as_deref()
            .and_then(crate::model::UnitKind::parse)
            .is_some_and(crate::model::UnitKind::is_cell),
    })
}

const MEMBER_COLS: &str =
    "m.card_number, m.full_name, m.unit_code, m.role, m.status, u.kind, u.name";
/// How many columns [`MEMBER_COLS`] has: a query's own columns come after them.
const MEMBER_COLS_LEN: usize = 7;

/// The record an old `meeting_held` event makes: (cell, month, day, attendees, doc, card, now).
const LEGACY_MEETING: &str = "INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
    SELECT $1, $2, $3, NULL, least($4::bigint, n), 0, n, NULL, NULL, jsonb_build_array($5::text)::text, $6, $7 FROM (SELECT count(*) AS n FROM members WHERE unit_code = $1 AND active) c
    ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = NULL, present = excluded.present, excused = 0, members = excluded.members, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, xid = pg_current_xact_id()";

/// The columns [`meeting_from_row`] reads, from `meetings t` joined with `units u` and the
/// recorder `members r`.
const MEETING_COLS: &str = "u.code, u.name, t.month, t.held_on, t.place, t.present, t.excused, t.members, t.present_cards, t.excused_cards, t.docs, coalesce(r.full_name, t.recorded_by), t.recorded_at";

fn meeting_from_row(r: &Row) -> Meeting {
    meeting_row(
        CellRef {
            code: r.get(0),
            name: r.get(1),
        },
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
        r.get(7),
        r.get(8),
        r.get(9),
        r.get(10),
        r.get(11),
        r.get(12),
    )
}

async fn read_meeting<C: tokio_postgres::GenericClient>(
    c: &C,
    cell: &str,
    month: &str,
) -> Result<Option<Meeting>> {
    let row = c
        .query_opt(
            &format!("SELECT {MEETING_COLS} FROM meetings t JOIN units u ON u.code = t.unit_code LEFT JOIN members r ON r.card_number = t.recorded_by WHERE t.unit_code = $1 AND t.month = $2"),
            &[&cell, &month],
        )
        .await
        .map_err(pg_err)?;
    Ok(row.as_ref().map(meeting_from_row))
}

async fn read_schedule<C: tokio_postgres::GenericClient>(
    c: &C,
    cell: &str,
    month: &str,
) -> Result<Option<Schedule>> {
    let row = c
        .query_opt(
            "SELECT s.month, s.starts_at, s.place, coalesce(r.full_name, s.set_by), s.set_at FROM meeting_schedules s LEFT JOIN members r ON r.card_number = s.set_by WHERE s.unit_code = $1 AND s.month = $2",
            &[&cell, &month],
        )
        .await
        .map_err(pg_err)?;
    Ok(row.map(|r| Schedule {
        month: r.get(0),
        starts_at: r.get(1),
        place: r.get(2),
        set_by: r.get(3),
        set_at: rfc3339_vn(r.get(4)),
    }))
}

impl Storage for Postgres {
    fn change_roster(
        &self,
        change: RosterChange,
        now: i64,
    ) -> impl Future<Output = Result<Applied>> + Send {
        let change = Arc::new(change);
        self.write(move |tx| {
            let change = change.clone();
            Box::pin(async move { crate::roster_db::pg::apply(tx, &change, now).await })
        })
    }

    async fn load_roster(&self) -> Result<Current> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg_err)?;
        let current = crate::roster_db::pg::current(&tx).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(current)
    }

    fn save_upload(&self, upload: Upload) -> impl Future<Output = Result<()>> + Send {
        let upload = Arc::new(upload);
        self.write(move |tx| {
            let upload = upload.clone();
            Box::pin(async move { crate::roster_db::pg::save_upload(tx, &upload).await })
        })
    }

    async fn upload(&self, id: String) -> Result<Option<Upload>> {
        let c = self.client().await?;
        crate::roster_db::pg::upload(&c, &id).await
    }

    async fn roster_changes(&self, unit: UnitCode, limit: usize) -> Result<Vec<ChangeEntry>> {
        let c = self.client().await?;
        match crate::roster_db::pg::path(&c, unit.as_str()).await? {
            Some(path) => crate::roster_db::pg::changes(&c, &path, limit).await,
            None => Ok(Vec::new()),
        }
    }

    async fn roster_before(&self, id: i64) -> Result<Option<(ChangeEntry, Roster, String)>> {
        let c = self.client().await?;
        crate::roster_db::pg::before(&c, id).await
    }

    async fn unit_path(&self, unit: UnitCode) -> Result<Option<String>> {
        let c = self.client().await?;
        crate::roster_db::pg::path(&c, unit.as_str()).await
    }

    async fn admin_info(&self, token_hash: Vec<u8>) -> Result<Option<AdminInfo>> {
        let c = self.client().await?;
        crate::roster_db::pg::admin(&c, &token_hash).await
    }

    async fn roster_is_empty(&self) -> Result<bool> {
        let c = self.client().await?;
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM (SELECT 1 FROM members LIMIT 1) x",
                &[],
            )
            .await
            .map_err(pg_err)?
            .get(0);
        Ok(n == 0)
    }

    fn register(
        &self,
        reg: Registration,
        now: i64,
    ) -> impl Future<Output = Result<Option<MemberRef>>> + Send {
        let reg = Arc::new(reg);
        self.write(move |tx| {
            let reg = reg.clone();
            Box::pin(async move {
                let found = tx
                    .query_opt(
                        &format!("SELECT {MEMBER_COLS}, m.birth_date FROM members m LEFT JOIN units u ON u.code = m.unit_code WHERE m.card_number = $1 AND m.active"),
                        &[&reg.card.as_str()],
                    )
                    .await
                    .map_err(pg_err)?;
                let Some(row) = found else { return Ok(None) };
                let m = member_from_row(&row)?;
                let birth: String = row.get(MEMBER_COLS_LEN);
                if !reg.matches(&m.full_name, &birth, m.unit_code.as_str()) {
                    return Ok(None);
                }
                let device = reg.device.map(|d| d.hyphenated().to_string());
                // A phone registering again (same device id) replaces its token, on whichever
                // instance it lands; the first registration's day stays.
                tx.execute(
                    "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash, card_number = excluded.card_number, xid = pg_current_xact_id()",
                    &[&reg.token_hash, &m.card_number.as_str(), &now, &device],
                )
                .await
                .map_err(pg_err)?;
                Ok(Some(m))
            })
        })
    }

    async fn member_for_token(&self, token_hash: Vec<u8>) -> Result<Option<MemberRef>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {MEMBER_COLS} FROM devices d JOIN members m ON m.card_number = d.card_number LEFT JOIN units u ON u.code = m.unit_code WHERE d.token_hash = $1 AND m.active"),
                &[&token_hash],
            )
            .await
            .map_err(pg_err)?;
        row.as_ref().map(member_from_row).transpose()
    }

    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    fn append_events(
        &self,
        member: MemberRef,
        events: Vec<NewEvent>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Stored>>> + Send {
        let card = member.card_number.as_str().to_string();
        let unit = member.unit_code.as_str().to_string();
        let ids: Vec<String> = events
            .iter()
            .map(|e| e.id.hyphenated().to_string())
            .collect();
        let kinds: Vec<&'static str> = events.iter().map(|e| e.kind.as_str()).collect();
        let docs: Vec<String> = events.iter().map(|e| e.doc.clone()).collect();
        let versions: Vec<Option<String>> = events.iter().map(|e| e.version.clone()).collect();
        let ats: Vec<i64> = events.iter().map(|e| e.at).collect();
        let days: Vec<String> = events.iter().map(|e| day_of(e.at)).collect();
        let mss: Vec<Option<i64>> = events.iter().map(|e| e.ms).collect();
        let datas: Vec<Option<String>> = events.iter().map(|e| e.data.clone()).collect();
        let cols = Arc::new((
            card, unit, ids, kinds, docs, versions, ats, days, mss, datas,
        ));
        self.write(move |tx| {
            let cols = cols.clone();
            Box::pin(async move {
                let (card, unit, ids, kinds, docs, versions, ats, days, mss, datas) = &*cols;
                // One round trip: the events, and the aggregates of those actually inserted.
                let rows = tx
                    .query(
                        "WITH input AS (
                           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::text[])
                             AS t(id, type, doc, version, at, day, ms, data)
                         ), ins AS (
                           INSERT INTO events (id, card_number, unit_code, type, doc, version, at, day, ms, data, received_at)
                           SELECT id::uuid, $9, $10, type, doc, version, at, day, ms, data, $11 FROM input
                           ON CONFLICT (id) DO NOTHING
                           RETURNING id, type, doc, day, at
                         ), md AS (
                           INSERT INTO member_days (card_number, day, unit_code, views)
                           SELECT $9, day, $10, count(*) FILTER (WHERE type = 'view') FROM ins GROUP BY day ORDER BY day
                           ON CONFLICT (card_number, day) DO UPDATE SET views = member_days.views + excluded.views
                         ), dr AS (
                           INSERT INTO doc_reads (doc, card_number, day)
                           SELECT doc, $9, min(day) FROM ins WHERE type = 'read' GROUP BY doc ORDER BY doc
                           ON CONFLICT DO NOTHING
                         ), nr AS (
                           INSERT INTO notice_reads (notice_id, card_number, at)
                           SELECT doc, $9, min(at) FROM ins WHERE type = 'notice_read' GROUP BY doc ORDER BY doc
                           ON CONFLICT DO NOTHING
                         )
                         SELECT id::text FROM ins",
                        &[ids, kinds, docs, versions, ats, days, mss, datas, card, unit, &now],
                    )
                    .await
                    .map_err(pg_err)?;
                let mut inserted: std::collections::HashSet<String> =
                    rows.iter().map(|r| r.get::<_, String>(0)).collect();
                // The old meeting event makes a record without lists, replacing only such a
                // record; in event order, so the last one of a month stays.
                for (i, id) in ids.iter().enumerate() {
                    if kinds[i] == "meeting_held" && inserted.contains(id) {
                        tx.execute(
                            &format!("{LEGACY_MEETING} WHERE meetings.present_cards IS NULL"),
                            &[unit, &&days[i][..7], &days[i], &attendees_of(datas[i].as_deref()), &docs[i], card, &now],
                        )
                        .await
                        .map_err(pg_err)?;
                    }
                }
                let mut out = Vec::with_capacity(ids.len());
                let mut missing = Vec::new();
                for id in ids.iter() {
                    if inserted.remove(id) {
                        out.push(Stored::Stored);
                    } else {
                        out.push(Stored::Duplicate);
                        missing.push(id.clone());
                    }
                }
                if !missing.is_empty() {
                    let owners = tx
                        .query(
                            "SELECT id::text, card_number FROM events WHERE id = ANY($1::text[]::uuid[])",
                            &[&missing],
                        )
                        .await
                        .map_err(pg_err)?;
                    let owner: std::collections::HashMap<String, String> =
                        owners.iter().map(|r| (r.get(0), r.get(1))).collect();
                    for (st, id) in out.iter_mut().zip(ids.iter()) {
                        if *st == Stored::Duplicate
                            && owner.get(id).is_some_and(|who| who != card)
                        {
                            *st = Stored::Conflict;
                        }
                    }
                }
                Ok(out)
            })
        })
    }

    fn create_admin_named(
        &self,
        unit: UnitCode,
        name: Option<String>,
        token_hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send {
        let args = Arc::new((unit, token_hash, name));
        self.write(move |tx| {
            let args = args.clone();
            Box::pin(async move {
                let (unit, token_hash, name) = &*args;
                let exists = tx
                    .query_opt(
                        "SELECT 1 FROM units WHERE code = $1 AND active",
                        &[&unit.as_str()],
                    )
                    .await
                    .map_err(pg_err)?
                    .is_some();
                if !exists {
                    return Err(StoreError::Invalid(format!(
                        "no unit {unit} in the roster; import the roster first (sotay roster import)"
                    )));
                }
                pg_admin::insert(tx, token_hash, unit.as_str(), name.as_ref(), None, now).await?;
                Ok(())
            })
        })
    }

    fn create_admin_token(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        holder: String,
        by: Option<(String, UnitCode)>,
        now: i64,
    ) -> impl Future<Output = Result<crate::store::AdminToken>> + Send {
        let args = Arc::new((unit, token_hash, holder, by));
        self.write(move |tx| {
            let args = args.clone();
            Box::pin(async move {
                let (unit, token_hash, holder, by) = &*args;
                let path = |code: String| async move {
                    tx.query_opt(
                        "SELECT path FROM units WHERE code = $1 AND active",
                        &[&code],
                    )
                    .await
                    .map_err(pg_err)
                    .map(|r| r.map(|r| r.get::<_, String>(0)))
                };
                let Some(target) = path(unit.to_string()).await? else {
                    return Err(StoreError::Invalid(crate::store::OUTSIDE_SCOPE.into()));
                };
                if let Some((_, scope)) = by {
                    if !path(scope.to_string())
                        .await?
                        .is_some_and(|p| target.starts_with(&p))
                    {
                        return Err(StoreError::Invalid(crate::store::OUTSIDE_SCOPE.into()));
                    }
                }
                let id = pg_admin::insert(
                    tx,
                    token_hash,
                    unit.as_str(),
                    Some(holder),
                    by.as_ref(),
                    now,
                )
                .await?;
                pg_admin::get(tx, &id)
                    .await?
                    .ok_or_else(|| StoreError::Unavailable("token not stored".into()))
            })
        })
    }

    async fn admin_tokens(
        &self,
        scope: UnitCode,
    ) -> Result<(
        Vec<crate::store::AdminToken>,
        Vec<crate::store::AdminLogEntry>,
    )> {
        let c = self.client().await?;
        pg_admin::list(&**c, scope.as_str()).await
    }

    fn revoke_admin_token(
        &self,
        id: String,
        scope: UnitCode,
        by: (String, UnitCode),
        now: i64,
    ) -> impl Future<Output = Result<Option<crate::store::AdminToken>>> + Send {
        let args = Arc::new((id, scope, by));
        self.write(move |tx| {
            let args = args.clone();
            Box::pin(async move {
                let (id, scope, by) = &*args;
                let Some(t) = pg_admin::get(tx, id).await? else {
                    return Ok(None);
                };
                let within = tx
                    .query_opt(
                        "SELECT 1 FROM units a, units s WHERE a.code = $1 AND s.code = $2 AND a.path LIKE s.path || '%'",
                        &[&t.unit_code, &scope.as_str()],
                    )
                    .await
                    .map_err(pg_err)?
                    .is_some();
                if !within {
                    return Ok(None);
                }
                if t.revoked_at.is_none() {
                    tx.execute(
                        "UPDATE admin_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3",
                        &[&now, &by.0, id],
                    )
                    .await
                    .map_err(pg_err)?;
                    tx.execute(
                        "INSERT INTO admin_token_log (at, action, token_id, unit_code, by_token, by_unit) VALUES ($1, 'revoke', $2, $3, $4, $5)",
                        &[&now, id, &t.unit_code, &by.0, &by.1.as_str()],
                    )
                    .await
                    .map_err(pg_err)?;
                }
                pg_admin::get(tx, id).await
            })
        })
    }

    async fn admin_for_token(&self, token_hash: Vec<u8>) -> Result<Option<UnitCode>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT unit_code FROM admin_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&token_hash],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.and_then(|r| UnitCode::parse(r.get(0))))
    }

    async fn roster_version(&self) -> Result<i64> {
        let c = self.client().await?;
        Ok(
            c.query_one("SELECT value FROM meta WHERE key = 'roster_version'", &[])
                .await
                .map_err(pg_err)?
                .get(0),
        )
    }

    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    async fn load_reports(&self) -> Result<Loaded> {
        let mut c = self.client().await?;
        let (tx, head) = snapshot(&mut c).await?;
        let (mark, version) = head;
        let mut b = crate::reports::Builder::default();
        let none: &[&(dyn ToSql + Sync)] = &[];
        Self::each_row(
            &tx,
            "SELECT code, name, parent_code, kind, active FROM units ORDER BY code",
            none,
            |r| {
                b.unit(
                    r.get(0),
                    r.get(1),
                    r.get::<_, Option<&str>>(2),
                    r.get(3),
                    r.get(4),
                );
                Ok(())
            },
        )
        .await?;
        Self::each_row(&tx, "SELECT card_number, full_name, unit_code, status, role, smartphone FROM members WHERE active ORDER BY card_number", none, |r| {
            b.member(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            Ok(())
        })
        .await?;
        let idx = b.index();
        Self::each_row(
            &tx,
            "SELECT card_number, min(created_at) FROM devices GROUP BY card_number",
            none,
            |r| {
                idx.registered(r.get(0), crate::reports::day_of_unix(r.get(1)));
                Ok(())
            },
        )
        .await?;
        Self::each_row(
            &tx,
            "SELECT card_number, day, views FROM member_days",
            none,
            |r| {
                if let Some(d) = crate::reports::parse_day(r.get(1)) {
                    idx.load_day(
                        r.get(0),
                        d,
                        r.get::<_, i64>(2).clamp(0, i64::from(u32::MAX)) as u32,
                    );
                }
                Ok(())
            },
        )
        .await?;
        Self::each_row(&tx, MEETING_COUNTS, none, |r| {
            idx.set_meeting(&meeting_count(&r));
            Ok(())
        })
        .await?;
        Self::each_row(&tx, "SELECT doc, card_number FROM doc_reads", none, |r| {
            idx.load_read(r.get(0), r.get(1));
            Ok(())
        })
        .await?;
        Self::each_row(
            &tx,
            "SELECT card_number, day, from_unit FROM member_moves ORDER BY at, change_id",
            none,
            |r| {
                if let Some(d) = crate::reports::parse_day(r.get(1)) {
                    idx.load_move(r.get(0), d, r.get(2));
                }
                Ok(())
            },
        )
        .await?;
        Self::each_row(
            &tx,
            "SELECT notice_id, card_number FROM notice_reads",
            none,
            |r| {
                idx.load_notice_read(r.get(0), r.get(1));
                Ok(())
            },
        )
        .await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(Loaded {
            index: b.finish(),
            version,
            mark: Some(mark),
        })
    }

    async fn changes(&self, mark: String) -> Result<Changes> {
        let mut c = self.client().await?;
        let (tx, head) = snapshot(&mut c).await?;
        let mut ch = Changes {
            mark: head.0,
            version: head.1,
            events: Vec::new(),
            registrations: Vec::new(),
            meetings: Vec::new(),
        };
        let old: &(dyn ToSql + Sync) = &mark;
        Self::each_row(
            &tx,
            "SELECT card_number, unit_code, type, doc, at FROM events
             WHERE xid >= pg_snapshot_xmin($1::text::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)",
            &[old],
            |r| {
                if let Some(kind) = EventType::parse(r.get(2)) {
                    ch.events.push((r.get(0), r.get(1), kind, r.get(3), r.get(4)));
                }
                Ok(())
            },
        )
        .await?;
        Self::each_row(
            &tx,
            "SELECT card_number, created_at FROM devices
             WHERE xid >= pg_snapshot_xmin($1::text::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)",
            &[old],
            |r| {
                ch.registrations.push((r.get(0), r.get(1)));
                Ok(())
            },
        )
        .await?;
        Self::each_row(
            &tx,
            &format!("{MEETING_COUNTS} WHERE xid >= pg_snapshot_xmin($1::text::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)"),
            &[old],
            |r| {
                ch.meetings.push(meeting_count(&r));
                Ok(())
            },
        )
        .await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(ch)
    }

    async fn feedback(
        &self,
        unit: UnitCode,
        from: String,
        to: String,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        let c = self.client().await?;
        let path = c
            .query_opt("SELECT path FROM units WHERE code = $1", &[&unit.as_str()])
            .await
            .map_err(pg_err)?;
        let Some(path) = path.map(|r| r.get::<_, String>(0)) else {
            return Ok(Vec::new());
        };
        let rows = c
            .query(
                "SELECT e.at, e.doc, e.data, m.card_number, m.full_name, m.unit_code FROM events e
                 JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
                 WHERE e.type = 'feedback' AND e.day BETWEEN $1 AND $2 AND u.path LIKE $3 || '%'
                 ORDER BY e.at DESC LIMIT $4",
                &[&from, &to, &like_prefix(&path), &(limit as i64)],
            )
            .await
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| {
                let data: Option<String> = r.get(2);
                crate::store::feedback_row(r.get(0), r.get(1), data, r.get(3), r.get(4), r.get(5))
            })
            .collect())
    }

    fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::SeqCst)
    }

    fn shared(&self) -> bool {
        true
    }

    async fn take_shared_token(
        &self,
        key: String,
        burst: f64,
        per_sec: f64,
    ) -> Result<std::result::Result<(), u64>> {
        self.take_token(&key, burst, per_sec).await
    }
    fn put_meeting(&self, m: NewMeeting, now: i64) -> impl Future<Output = Result<Meeting>> + Send {
        let m = Arc::new(m);
        self.write(move |tx| {
            let m = m.clone();
            Box::pin(async move {
                let cell = m.cell.as_str();
                let members: std::collections::HashSet<String> = tx
                    .query(
                        "SELECT card_number FROM members WHERE unit_code = $1 AND active",
                        &[&cell],
                    )
                    .await
                    .map_err(pg_err)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let (present, excused) = check_cards(&m, &members)?;
                let month = m.month.to_string();
                tx.execute(
                    "INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                     ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = excluded.place, present = excluded.present, excused = excluded.excused, members = excluded.members,
                       present_cards = excluded.present_cards, excused_cards = excluded.excused_cards, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, xid = pg_current_xact_id()",
                    &[
                        &cell,
                        &month,
                        &crate::model::format_date(m.held_on),
                        &m.place,
                        &(present.len() as i64),
                        &(excused.len() as i64),
                        &(members.len() as i64),
                        &serde_json::to_string(&present).unwrap_or_default(),
                        &serde_json::to_string(&excused).unwrap_or_default(),
                        &serde_json::to_string(&m.docs).unwrap_or_default(),
                        &m.by.as_str(),
                        &now,
                    ],
                )
                .await
                .map_err(pg_err)?;
                read_meeting(tx, cell, &month).await?.ok_or_else(|| {
                    StoreError::Invalid(format!("Không có chi bộ {cell} trong danh sách."))
                })
            })
        })
    }

    fn put_schedule(
        &self,
        cell: UnitCode,
        month: Month,
        starts_at: String,
        place: String,
        by: CardNumber,
        now: i64,
    ) -> impl Future<Output = Result<Schedule>> + Send {
        let args = Arc::new((cell, month.to_string(), starts_at, place, by));
        self.write(move |tx| {
            let args = args.clone();
            Box::pin(async move {
                let (cell, month, starts_at, place, by) = &*args;
                tx.execute(
                    "INSERT INTO meeting_schedules (unit_code, month, starts_at, place, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (unit_code, month) DO UPDATE SET starts_at = excluded.starts_at, place = excluded.place, set_by = excluded.set_by, set_at = excluded.set_at",
                    &[&cell.as_str(), month, starts_at, place, &by.as_str(), &now],
                )
                .await
                .map_err(pg_err)?;
                read_schedule(tx, cell.as_str(), month).await?.ok_or_else(|| {
                    StoreError::Unavailable("the schedule just written is missing".into())
                })
            })
        })
    }

    async fn meeting(
        &self,
        cell: UnitCode,
        month: Month,
    ) -> Result<(Option<Meeting>, Option<Schedule>)> {
        let c = self.client().await?;
        let month = month.to_string();
        Ok((
            read_meeting(&**c, cell.as_str(), &month).await?,
            read_schedule(&**c, cell.as_str(), &month).await?,
        ))
    }

    async fn cell_roster(
        &self,
        cell: UnitCode,
        docs: Vec<String>,
    ) -> Result<(CellRef, Vec<RosterEntry>)> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT m.card_number, m.full_name, m.status, m.role, m.smartphone,
                    EXISTS (SELECT 1 FROM devices d WHERE d.card_number = m.card_number),
                    (SELECT count(*) FROM doc_reads r WHERE r.card_number = m.card_number AND r.doc = ANY($2::text[]))
                 FROM members m WHERE m.unit_code = $1 AND m.active ORDER BY m.name_key COLLATE \"C\", m.card_number",
                &[&cell.as_str(), &docs],
            )
            .await
            .map_err(pg_err)?;
        let name: Option<String> = c
            .query_opt("SELECT name FROM units WHERE code = $1", &[&cell.as_str()])
            .await
            .map_err(pg_err)?
            .map(|r| r.get(0));
        let cell = CellRef {
            code: cell.to_string(),
            name: name.unwrap_or_default(),
        };
        let list = rows
            .iter()
            .map(|r| RosterEntry {
                card_number: r.get(0),
                full_name: r.get(1),
                status: r.get(2),
                role: r.get(3),
                smartphone: r.get(4),
                registered: r.get(5),
                read_docs: r.get::<_, i64>(6).clamp(0, i64::from(u32::MAX)) as u32,
            })
            .collect();
        Ok((cell, list))
    }

    fn post_notice(&self, n: NewNotice, now: i64) -> impl Future<Output = Result<Notice>> + Send {
        let n = Arc::new(n);
        self.write(move |tx| {
            let n = n.clone();
            Box::pin(async move { crate::notice_db::pg::post(tx, &n, now).await })
        })
    }

    async fn notice(&self, id: String) -> Result<Option<NoticeRow>> {
        let c = self.client().await?;
        crate::notice_db::pg::one(&**c, &id).await
    }

    fn withdraw_notice(&self, id: String, now: i64) -> impl Future<Output = Result<bool>> + Send {
        let id = Arc::new(id);
        self.write(move |tx| {
            let id = id.clone();
            Box::pin(async move { crate::notice_db::pg::withdraw(tx, &id, now).await })
        })
    }

    async fn member_notices(
        &self,
        card: CardNumber,
        unit: UnitCode,
        today: Option<String>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>> {
        let c = self.client().await?;
        crate::notice_db::pg::for_member(
            &**c,
            card.as_str(),
            unit.as_str(),
            today.as_deref(),
            limit,
        )
        .await
    }

    async fn unit_notices(&self, unit: UnitCode, limit: usize) -> Result<Vec<NoticeRow>> {
        let c = self.client().await?;
        crate::notice_db::pg::for_unit(&**c, unit.as_str(), limit).await
    }

    async fn notice_reply_counts(
        &self,
        unit: UnitCode,
        notices: Vec<String>,
    ) -> Result<std::collections::HashMap<String, u64>> {
        let c = self.client().await?;
        crate::notice_db::pg::reply_counts(&**c, unit.as_str(), &notices).await
    }

    async fn notice_replies(
        &self,
        unit: UnitCode,
        notice: String,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        let c = self.client().await?;
        crate::notice_db::pg::replies(&**c, unit.as_str(), &notice, limit).await
    }

    async fn push_key(&self, generated: String, now: i64) -> Result<String> {
        let c = self.client().await?;
        crate::push_db::pg::key(&**c, &generated, now).await
    }

    async fn push_subscribe(
        &self,
        card: CardNumber,
        sub: PushSubscription,
        now: i64,
    ) -> Result<()> {
        let c = self.client().await?;
        crate::push_db::pg::subscribe(&**c, card.as_str(), &sub, now).await
    }

    async fn push_unsubscribe(&self, card: CardNumber, endpoint: String) -> Result<bool> {
        let c = self.client().await?;
        crate::push_db::pg::unsubscribe(&**c, card.as_str(), &endpoint).await
    }

    async fn push_subscriptions(&self, unit: UnitCode) -> Result<Vec<PushSubscription>> {
        let c = self.client().await?;
        crate::push_db::pg::under(&**c, unit.as_str()).await
    }

    async fn push_gone(&self, endpoint: String) -> Result<()> {
        let c = self.client().await?;
        crate::push_db::pg::gone(&**c, &endpoint).await
    }

    async fn cell_size(&self, cell: UnitCode) -> Result<u32> {
        let c = self.client().await?;
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM members WHERE unit_code = $1 AND active",
                &[&cell.as_str()],
            )
            .await
            .map_err(pg_err)?
            .get(0);
        Ok(n.clamp(0, i64::from(u32::MAX)) as u32)
    }
}

/// What reports read of a meeting record (see [`crate::store::MeetingCount`]).
const MEETING_COUNTS: &str =
    "SELECT unit_code, held_on, present, members, present_cards IS NOT NULL FROM meetings";

fn meeting_count(r: &Row) -> crate::store::MeetingCount {
    let n = |x: i64| x.clamp(0, i64::from(u32::MAX)) as u32;
    (r.get(0), r.get(1), n(r.get(2)), n(r.get(3)), r.get(4))
}

/// A read-only transaction in one snapshot, with that snapshot as text (the reports' mark)
/// and the roster version it sees.
async fn snapshot(
    c: &mut deadpool_postgres::Object,
) -> Result<(deadpool_postgres::Transaction<'_>, (String, i64))> {
    let tx = c
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(pg_err)?;
    let head = tx
        .query_one(
            "SELECT pg_current_snapshot()::text, (SELECT value FROM meta WHERE key = 'roster_version')",
            &[],
        )
        .await
        .map_err(pg_err)?;
    let head = (head.get(0), head.get(1));
    Ok((tx, head))
}

/// `path` with LIKE's wildcards escaped.
pub(crate) fn like_prefix(path: &str) -> String {
    path.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A table as `sotay db copy` moves it: its columns with their PostgreSQL types, read from
/// SQLite as text (blobs as hex) and cast on the way in.
struct CopyTable {
    name: &'static str,
    cols: &'static [(&'static str, &'static str)],
}

const COPY_TABLES: &[CopyTable] = &[
    CopyTable {
        name: "units",
        cols: &[
            ("code", "text"),
            ("name", "text"),
            ("parent_code", "text"),
            ("kind", "text"),
            ("path", "text"),
            ("depth", "int"),
            ("active", "bool"),
        ],
    },
    CopyTable {
        name: "members",
        cols: &[
            ("card_number", "text"),
            ("full_name", "text"),
            ("name_key", "text"),
            ("birth_date", "text"),
            ("unit_code", "text"),
            ("status", "text"),
            ("role", "text"),
            ("smartphone", "bool"),
            ("active", "bool"),
            ("updated_at", "bigint"),
            ("smartphone_answered", "bool"),
        ],
    },
    CopyTable {
        name: "devices",
        cols: &[
            ("token_hash", "bytea"),
            ("card_number", "text"),
            ("created_at", "bigint"),
            ("device_id", "text"),
        ],
    },
    CopyTable {
        name: "events",
        cols: &[
            ("id", "uuid"),
            ("card_number", "text"),
            ("unit_code", "text"),
            ("type", "text"),
            ("doc", "text"),
            ("version", "text"),
            ("at", "bigint"),
            ("day", "text"),
            ("ms", "bigint"),
            ("data", "text"),
            ("received_at", "bigint"),
        ],
    },
    CopyTable {
        name: "member_days",
        cols: &[
            ("card_number", "text"),
            ("day", "text"),
            ("unit_code", "text"),
            ("views", "bigint"),
        ],
    },
    CopyTable {
        name: "meetings",
        cols: &[
            ("unit_code", "text"),
            ("month", "text"),
            ("held_on", "text"),
            ("place", "text"),
            ("present", "bigint"),
            ("excused", "bigint"),
            ("members", "bigint"),
            ("present_cards", "text"),
            ("excused_cards", "text"),
            ("docs", "text"),
            ("recorded_by", "text"),
            ("recorded_at", "bigint"),
        ],
    },
    CopyTable {
        name: "meeting_schedules",
        cols: &[
            ("unit_code", "text"),
            ("month", "text"),
            ("starts_at", "text"),
            ("place", "text"),
            ("set_by", "text"),
            ("set_at", "bigint"),
        ],
    },
    CopyTable {
        name: "doc_reads",
        cols: &[("doc", "text"), ("card_number", "text"), ("day", "text")],
    },
    CopyTable {
        name: "notices",
        cols: &[
            ("id", "text"),
            ("unit_code", "text"),
            ("title", "text"),
            ("body", "text"),
            ("expires_on", "text"),
            ("created_at", "bigint"),
            ("posted_by", "text"),
            ("withdrawn_at", "bigint"),
        ],
    },
    CopyTable {
        name: "notice_reads",
        cols: &[
            ("notice_id", "text"),
            ("card_number", "text"),
            ("at", "bigint"),
        ],
    },
    CopyTable {
        name: "push_keys",
        cols: &[
            ("id", "integer"),
            ("private_key", "text"),
            ("created_at", "bigint"),
        ],
    },
    CopyTable {
        name: "push_subscriptions",
        cols: &[
            ("endpoint", "text"),
            ("card_number", "text"),
            ("p256dh", "text"),
            ("auth", "text"),
            ("created_at", "bigint"),
        ],
    },
    CopyTable {
        name: "admin_tokens",
        cols: &[
            ("token_hash", "bytea"),
            ("unit_code", "text"),
            ("created_at", "bigint"),
            ("id", "text"),
            ("holder", "text"),
            ("created_by", "text"),
            ("revoked_at", "bigint"),
            ("revoked_by", "text"),
        ],
    },
    CopyTable {
        name: "admin_token_log",
        cols: &[
            ("at", "bigint"),
            ("action", "text"),
            ("token_id", "text"),
            ("unit_code", "text"),
            ("by_token", "text"),
            ("by_unit", "text"),
        ],
    },
    CopyTable {
        name: "member_moves",
        cols: &[
            ("card_number", "text"),
            ("day", "text"),
            ("from_unit", "text"),
            ("to_unit", "text"),
            ("change_id", "bigint"),
            ("at", "bigint"),
        ],
    },
    CopyTable {
        name: "roster_changes",
        cols: &[
            ("id", "bigint"),
            ("version", "bigint"),
            ("unit_code", "text"),
            ("scope_path", "text"),
            ("whole", "bool"),
            ("who", "text"),
            ("source", "text"),
            ("at", "bigint"),
            ("counts", "text"),
            ("before", "bytea"),
        ],
    },
    CopyTable {
        name: "roster_uploads",
        cols: &[
            ("id", "text"),
            ("unit_code", "text"),
            ("admin", "text"),
            ("file_name", "text"),
            ("created_at", "bigint"),
            ("base_version", "bigint"),
            ("fingerprint", "text"),
            ("data", "bytea"),
            ("applied_change", "bigint"),
        ],
    },
];

impl Postgres {
    /// `sotay db copy`: every row of the SQLite database at `path` into this (empty)
    /// database, in one transaction, read in one SQLite snapshot; the row counts of both
    /// sides are compared before committing. Returns (table, rows) copied.
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    pub async fn copy_from_sqlite(
        &self,
        path: &std::path::Path,
    ) -> std::result::Result<Vec<(&'static str, u64)>, String> {
        let src = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let version: i64 = src
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if version as usize != crate::store::SCHEMA_VERSION {
            return Err(format!(
                "{} is at schema version {version}, not {}: open it once with this sotay (sotay db migrate --db sqlite://{}) and copy again",
                path.display(),
                crate::store::SCHEMA_VERSION,
                path.display()
            ));
        }
        src.execute_batch("BEGIN")
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c = self.client().await.map_err(|e| e.to_string())?;
        let tx = c.transaction().await.map_err(|e| pg_err(e).to_string())?;
        for t in COPY_TABLES {
            let n: i64 = tx
                .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])
                .await
                .map_err(|e| pg_err(e).to_string())?
                .get(0);
            if n > 0 {
                return Err(format!(
                    "the PostgreSQL database is not empty ({} has {n} rows): copy only into a new database",
                    t.name
                ));
            }
        }
        let mut copied = Vec::new();
        for t in COPY_TABLES {
            let select = t
                .cols
                .iter()
                .map(|(c, ty)| match *ty {
                    "bytea" => format!("hex({c})"),
                    _ => format!("CAST({c} AS TEXT)"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let names = t
                .cols
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", ");
            let params = (1..=t.cols.len())
                .map(|i| format!("${i}::text[]"))
                .collect::<Vec<_>>()
                .join(", ");
            let casts = t
                .cols
                .iter()
                .map(|(c, ty)| match *ty {
                    "bytea" => format!("decode({c}, 'hex')"),
                    "text" => c.to_string(),
                    ty => format!("{c}::{ty}"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let insert = format!(
                "INSERT INTO {} ({names}) SELECT {casts} FROM unnest({params}) AS x({names})",
                t.name
            );
            let insert = tx
                .prepare(&insert)
                .await
                .map_err(|e| pg_err(e).to_string())?;
            let mut q = src
                .prepare(&format!("SELECT {select} FROM {}", t.name))
                .map_err(|e| e.to_string())?;
            let mut rows = q.query([]).map_err(|e| e.to_string())?;
            let mut total = 0u64;
            let mut cols: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(CHUNK); t.cols.len()];
            loop {
                let row = rows.next().map_err(|e| e.to_string())?;
                if let Some(r) = row {
                    for (i, col) in cols.iter_mut().enumerate() {
                        col.push(r.get::<_, Option<String>>(i).map_err(|e| e.to_string())?);
                    }
                }
                let full = cols[0].len() >= CHUNK;
                if (full || row.is_none()) && !cols[0].is_empty() {
                    let params: Vec<&(dyn ToSql + Sync)> =
                        cols.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
                    total += tx
                        .execute(&insert, &params)
                        .await
                        .map_err(|e| format!("{}: {}", t.name, pg_err(e)))?;
                    for c in cols.iter_mut() {
                        c.clear();
                    }
                }
                if row.is_none() {
                    break;
                }
            }
            let want: i64 = src
                .query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| {
                    r.get(0)
                })
                .map_err(|e| e.to_string())?;
            if want as u64 != total {
                return Err(format!(
                    "{}: {total} rows copied but SQLite has {want}; nothing was committed",
                    t.name
                ));
            }
            copied.push((t.name, total));
        }
        let rv: i64 = src
            .query_row(
                "SELECT value FROM meta WHERE key = 'roster_version'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        tx.execute(
            "UPDATE meta SET value = $1 WHERE key = 'roster_version'",
            &[&rv],
        )
        .await
        .map_err(|e| pg_err(e).to_string())?;
        // The change log's ids were copied as they were: new ones follow them.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('roster_changes', 'id'), coalesce(max(id), 0) + 1, false) FROM roster_changes",
            &[],
        )
        .await
        .map_err(|e| pg_err(e).to_string())?;
        tx.commit().await.map_err(|e| pg_err(e).to_string())?;
        let _ = src.execute_batch("COMMIT");
        Ok(copied)
    }
}

/// Admin tokens in PostgreSQL (see [`Storage::create_admin_token`]).
mod pg_admin {
    use super::pg_err;
    use crate::store::{AdminLogEntry, AdminToken, Result};
    use tokio_postgres::GenericClient;

    /// Stores a token (and logs its creation); returns its public id.
    pub async fn insert<C: GenericClient>(
        c: &C,
        hash: &[u8],
        unit: &str,
        holder: Option<&String>,
        by: Option<&(String, crate::model::UnitCode)>,
        now: i64,
    ) -> Result<String> {
        let id = crate::auth::public_id(hash);
        let (by_token, by_unit) = (by.map(|b| b.0.as_str()), by.map(|b| b.1.as_str()));
        c.execute(
            "INSERT INTO admin_tokens (token_hash, unit_code, created_at, id, holder, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&hash, &unit, &now, &id, &holder, &by_token],
        )
        .await
        .map_err(pg_err)?;
        c.execute(
            "INSERT INTO admin_token_log (at, action, token_id, unit_code, by_token, by_unit) VALUES ($1, 'create', $2, $3, $4, $5)",
            &[&now, &id, &unit, &by_token, &by_unit],
        )
        .await
        .map_err(pg_err)?;
        Ok(id)
    }

    const COLS: &str = "t.id, t.unit_code, coalesce(u.name, t.unit_code), t.holder, t.created_at, t.created_by, t.revoked_at, t.revoked_by";

    fn token(r: &tokio_postgres::Row) -> AdminToken {
        AdminToken {
            id: r.get(0),
            unit_code: r.get(1),
            unit_name: r.get(2),
            holder: r.get(3),
            created_at: r.get(4),
            created_by: r.get(5),
            revoked_at: r.get(6),
            revoked_by: r.get(7),
        }
    }

    pub async fn get<C: GenericClient>(c: &C, id: &str) -> Result<Option<AdminToken>> {
        Ok(c
            .query_opt(
                &format!("SELECT {COLS} FROM admin_tokens t LEFT JOIN units u ON u.code = t.unit_code WHERE t.id = $1"),
                &[&id],
            )
            .await
            .map_err(pg_err)?
            .map(|r| token(&r)))
    }

    pub async fn list<C: GenericClient>(
        c: &C,
        scope: &str,
    ) -> Result<(Vec<AdminToken>, Vec<AdminLogEntry>)> {
        let Some(path) = c
            .query_opt("SELECT path FROM units WHERE code = $1", &[&scope])
            .await
            .map_err(pg_err)?
            .map(|r| r.get::<_, String>(0))
        else {
            return Ok((Vec::new(), Vec::new()));
        };
        let tokens = c
            .query(
                &format!(
                    "SELECT {COLS} FROM admin_tokens t JOIN units u ON u.code = t.unit_code
                     WHERE u.path LIKE $1 || '%' ORDER BY t.created_at DESC, t.id"
                ),
                &[&path],
            )
            .await
            .map_err(pg_err)?
            .iter()
            .map(token)
            .collect();
        let log = c
            .query(
                "SELECT l.at, l.action, l.token_id, l.unit_code, l.by_token, l.by_unit FROM admin_token_log l JOIN units u ON u.code = l.unit_code
                 WHERE u.path LIKE $1 || '%' ORDER BY l.at DESC, l.seq DESC LIMIT 500",
                &[&path],
            )
            .await
            .map_err(pg_err)?
            .iter()
            .map(|r| AdminLogEntry {
                at: r.get(0),
                action: r.get(1),
                token_id: r.get(2),
                unit_code: r.get(3),
                by: r.get(4),
                by_unit: r.get(5),
            })
            .collect();
        Ok((tokens, log))
    }
}
