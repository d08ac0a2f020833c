//! The PostgreSQL engine, for a deployment that outgrew one machine: several `sotay server`
//! processes share one database and behave as one. A pool of connections, the schema's
//! migrations, transactions retried on deadlock, and what only PostgreSQL does: storing a batch
//! of events in one round trip, the reports' catch-up across instances, shared rate limits.
//! (The other operations are shared with SQLite, see [`super::sql`].)
//!
//! The contract is [`super::Storage`]'s, as on SQLite; what differs is how it is kept:
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

use super::sql::pg_err;
use super::{
    attendees_of, day_of, Changes, Loaded, MemberRef, NewEvent, Result, StoreError, Stored,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio_postgres::{IsolationLevel, NoTls};

/// The schema version a database opened by this build has.
pub const SCHEMA_VERSION: usize = super::schema::POSTGRES.len();

/// The advisory lock migrations take (any constant; "sotay" in ASCII).
const MIGRATION_LOCK: i64 = 0x0073_6f74_6179;

/// A pool of connections to one PostgreSQL database.
pub struct Postgres {
    pool: Pool,
    depth: Arc<AtomicUsize>,
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

    /// A client from the pool.
    pub async fn client(&self) -> Result<deadpool_postgres::Object> {
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
        for (i, sql) in super::schema::POSTGRES
            .iter()
            .enumerate()
            .skip(done.max(0) as usize)
        {
            tx.batch_execute(sql).await.map_err(pg_err)?;
            tx.execute(
                "INSERT INTO sotay_migrations (version) VALUES ($1)",
                &[&((i + 1) as i32)],
            )
            .await
            .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(super::schema::POSTGRES.len())
    }

    /// Runs `f` on `args` in a transaction, retrying it on deadlock or serialization failure
    /// (so `f` may run more than once: it reads what it needs from `args`).
    pub async fn write<A, T, F>(&self, args: &A, mut f: F) -> Result<T>
    where
        A: Sync + ?Sized,
        F: for<'a> FnMut(
            &'a tokio_postgres::Transaction<'a>,
            &'a A,
        ) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>,
    {
        self.depth.fetch_add(1, Ordering::SeqCst);
        let r = async {
            let mut c = self.client().await?;
            let mut attempt = 0;
            loop {
                let tx = c.transaction().await.map_err(pg_err)?;
                let r = match f(&tx, args).await {
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

    /// Writes waiting for (or in) a transaction.
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::SeqCst)
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

    /// The reports' aggregate, read in one snapshot, with that snapshot as its mark.
    pub async fn load_reports(&self) -> Result<Loaded> {
        let mut c = self.client().await?;
        let (tx, (mark, version)) = snapshot(&mut c).await?;
        let index = super::report_data::load(&*tx).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(Loaded {
            index,
            version,
            mark: Some(mark),
        })
    }

    /// What other instances committed since snapshot `mark`.
    pub async fn changes(&self, mark: &str) -> Result<Changes> {
        let mut c = self.client().await?;
        let (tx, head) = snapshot(&mut c).await?;
        let ch = super::report_data::changes_since(&*tx, mark, head).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(ch)
    }

    /// Stores a member's batch of events and the aggregates of those actually inserted in one
    /// round trip (the old `meeting_held` event's record one more each).
    pub async fn append_events(
        &self,
        member: &MemberRef,
        events: &[NewEvent],
        now: i64,
    ) -> Result<Vec<Stored>> {
        let batch = Batch::new(member, events);
        self.write(&batch, |tx, b| Box::pin(b.store(tx, now))).await
    }
}

/// A batch of events as PostgreSQL takes them: a column each, for `unnest`.
struct Batch {
    card: String,
    unit: String,
    ids: Vec<String>,
    kinds: Vec<&'static str>,
    docs: Vec<String>,
    versions: Vec<Option<String>>,
    ats: Vec<i64>,
    days: Vec<String>,
    mss: Vec<Option<i64>>,
    datas: Vec<Option<String>>,
}

/// The record an old `meeting_held` event makes, replacing only a record without lists:
/// (cell, month, day, attendees, doc, card, now).
const LEGACY_MEETING: &str = "INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
    SELECT $1, $2, $3, NULL, least($4::bigint, n), 0, n, NULL, NULL, jsonb_build_array($5::text)::text, $6, $7 FROM (SELECT count(*) AS n FROM members WHERE unit_code = $1 AND active) c
    ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = NULL, present = excluded.present, excused = 0, members = excluded.members, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, xid = pg_current_xact_id()
    WHERE meetings.present_cards IS NULL";

impl Batch {
    fn new(member: &MemberRef, events: &[NewEvent]) -> Batch {
        Batch {
            card: member.card_number.as_str().to_string(),
            unit: member.unit_code.as_str().to_string(),
            ids: events
                .iter()
                .map(|e| e.id.hyphenated().to_string())
                .collect(),
            kinds: events.iter().map(|e| e.kind.as_str()).collect(),
            docs: events.iter().map(|e| e.doc.clone()).collect(),
            versions: events.iter().map(|e| e.version.clone()).collect(),
            ats: events.iter().map(|e| e.at).collect(),
            days: events.iter().map(|e| day_of(e.at)).collect(),
            mss: events.iter().map(|e| e.ms).collect(),
            datas: events.iter().map(|e| e.data.clone()).collect(),
        }
    }

    async fn store(&self, tx: &tokio_postgres::Transaction<'_>, now: i64) -> Result<Vec<Stored>> {
        let b = self;
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
                &[&b.ids, &b.kinds, &b.docs, &b.versions, &b.ats, &b.days, &b.mss, &b.datas, &b.card, &b.unit, &now],
            )
            .await
            .map_err(pg_err)?;
        let mut inserted: std::collections::HashSet<String> =
            rows.iter().map(|r| r.get::<_, String>(0)).collect();
        // The old meeting event makes a record without lists, replacing only such a record;
        // in event order, so the last one of a month stays.
        for (i, id) in b.ids.iter().enumerate() {
            if b.kinds[i] == "meeting_held" && inserted.contains(id) {
                let day = &b.days[i];
                tx.execute(
                    LEGACY_MEETING,
                    &[
                        &b.unit,
                        &&day[..7],
                        day,
                        &attendees_of(b.datas[i].as_deref()),
                        &b.docs[i],
                        &b.card,
                        &now,
                    ],
                )
                .await
                .map_err(pg_err)?;
            }
        }
        let mut out = Vec::with_capacity(b.ids.len());
        let mut missing = Vec::new();
        for id in &b.ids {
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
            for (st, id) in out.iter_mut().zip(&b.ids) {
                if *st == Stored::Duplicate && owner.get(id).is_some_and(|who| *who != b.card) {
                    *st = Stored::Conflict;
                }
            }
        }
        Ok(out)
    }
}

/// A read-only transaction in one snapshot.
async fn read_only(
    c: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>> {
    c.build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(pg_err)
}

/// A read-only transaction in one snapshot, with that snapshot as text (the reports' mark)
/// and the roster version it sees.
async fn snapshot(
    c: &mut deadpool_postgres::Object,
) -> Result<(deadpool_postgres::Transaction<'_>, (String, i64))> {
    let tx = read_only(c).await?;
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

impl Postgres {
    /// The roster as stored, in one snapshot.
    pub async fn load_roster(&self) -> Result<crate::roster::update::Current> {
        let mut c = self.client().await?;
        let tx = read_only(&mut c).await?;
        let current = super::roster::current(&*tx).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(current)
    }
}
