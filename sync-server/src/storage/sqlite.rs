//! The SQLite engine: one database file, one writer thread and readers on their own
//! connections; the schema's migrations; and storing a batch of reading events, the one write
//! SQLite does its own way (the other operations are shared, see [`super::sql`]).
//!
//! Durability: every write goes through the writer thread, which takes all the writes waiting
//! for it, applies them in one transaction (each in its own savepoint, so one bad request
//! cannot spoil the others) and commits with `synchronous=FULL` in WAL mode — an fsync — before
//! it answers any of them. That is group commit: an event is acknowledged only once it is on
//! disk, and a thousand concurrent requests cost one fsync, not a thousand.

use super::sql::at_once;
use super::{attendees_of, day_of, Loaded, MemberRef, NewEvent, Result, StoreError, Stored};
use crate::model::EventType;
use rusqlite::{params, Connection, TransactionBehavior};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// The schema version a database opened by this build has.
pub const SCHEMA_VERSION: usize = super::schema::SQLITE.len();

/// Embedded SQLite.
pub struct Sqlite {
    jobs: mpsc::Sender<Box<dyn WriteOp>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
    depth: Arc<AtomicUsize>,
}

trait WriteOp: Send {
    fn apply(&mut self, tx: &mut rusqlite::Transaction);
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct Op<T, F> {
    f: Option<F>,
    result: Option<Result<T>>,
    reply: Option<oneshot::Sender<Result<T>>>,
}

impl<T: Send, F: FnOnce(&Connection) -> Result<T> + Send> WriteOp for Op<T, F> {
    fn apply(&mut self, tx: &mut rusqlite::Transaction) {
        let Some(f) = self.f.take() else { return };
        let res = match tx.savepoint() {
            Ok(mut sp) => {
                let r = f(&sp);
                match &r {
                    Ok(_) => match sp.commit() {
                        Ok(()) => r,
                        Err(e) => Err(e.into()),
                    },
                    Err(_) => {
                        let _ = sp.rollback();
                        r
                    }
                }
            }
            Err(e) => Err(e.into()),
        };
        self.result = Some(res);
    }

    fn finish(mut self: Box<Self>, committed: std::result::Result<(), String>) {
        let res = match committed {
            Ok(()) => self
                .result
                .take()
                .unwrap_or_else(|| Err(StoreError::Unavailable("not applied".into()))),
            Err(e) => Err(StoreError::Unavailable(e)),
        };
        if let Some(r) = self.reply.take() {
            let _ = r.send(res);
        }
    }
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    // Every statement is prepared once per connection (there are about sixty).
    c.set_prepared_statement_cache_capacity(128);
    Ok(c)
}

fn migrate(c: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in super::schema::SQLITE
        .iter()
        .enumerate()
        .skip(version as usize)
    {
        let tx = c.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl Sqlite {
    /// Opens (creating and migrating if needed) the database at `path` and starts its writer.
    pub fn open(path: &Path) -> Result<Sqlite> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        let mut writer = open_conn(path)
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
        migrate(&mut writer)?;
        let (tx, rx) = mpsc::channel::<Box<dyn WriteOp>>();
        let depth = Arc::new(AtomicUsize::new(0));
        let d2 = depth.clone();
        std::thread::Builder::new()
            .name("sotay-db-writer".into())
            .spawn(move || writer_loop(writer, rx, d2))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Sqlite {
            jobs: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            path: path.to_path_buf(),
            depth,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in the writer's next group transaction; resolves once it is committed.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> impl Future<Output = Result<T>> + Send {
        let (reply, rx) = oneshot::channel();
        self.depth.fetch_add(1, Ordering::SeqCst);
        let sent = self.jobs.send(Box::new(Op {
            f: Some(f),
            result: None,
            reply: Some(reply),
        }));
        async move {
            if sent.is_err() {
                return Err(StoreError::Unavailable(
                    "the database writer stopped".into(),
                ));
            }
            rx.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the database writer stopped".into(),
                ))
            })
        }
    }

    /// Runs `f` on a reading connection, off the async threads.
    pub fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> impl Future<Output = Result<T>> + Send {
        let readers = self.readers.clone();
        let path = self.path.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let conn = readers.lock().ok().and_then(|mut v| v.pop());
                let conn = match conn {
                    Some(c) => c,
                    None => open_conn(&path)?,
                };
                let r = f(&conn);
                if let Ok(mut v) = readers.lock() {
                    if v.len() < 8 {
                        v.push(conn);
                    }
                }
                r
            })
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())))
        }
    }
}

fn writer_loop(
    mut conn: Connection,
    rx: mpsc::Receiver<Box<dyn WriteOp>>,
    depth: Arc<AtomicUsize>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let outcome = (|| -> std::result::Result<(), String> {
            let mut tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| e.to_string())?;
            for job in batch.iter_mut() {
                job.apply(&mut tx);
            }
            tx.commit().map_err(|e| e.to_string())
        })();
        depth.fetch_sub(batch.len(), Ordering::SeqCst);
        for job in batch {
            job.finish(outcome.clone());
        }
    }
}

impl Sqlite {
    /// Writes waiting for the writer.
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::SeqCst)
    }

    /// The roster as stored, in one snapshot.
    pub fn load_roster(
        &self,
    ) -> impl Future<Output = Result<crate::roster::update::Current>> + Send {
        self.read(|c| {
            let tx = c.unchecked_transaction()?;
            let current = at_once(super::roster::current(&*tx))?;
            tx.commit()?;
            Ok(current)
        })
    }

    /// The reports' aggregate; SQLite has one writer, this process, so no mark.
    pub fn load_reports(&self) -> impl Future<Output = Result<Loaded>> + Send {
        self.read(|c| {
            // The version is read first: the rows read after it are at least as new.
            let version = at_once(super::roster::version(c))?;
            let index = at_once(super::report_data::load(c))?;
            Ok(Loaded {
                index,
                version,
                mark: None,
            })
        })
    }

    /// Stores a member's batch of events (each id once) and the aggregates they feed, row by
    /// row in the writer's transaction.
    pub fn append_events(
        &self,
        member: MemberRef,
        events: Vec<NewEvent>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Stored>>> + Send {
        self.write(move |tx| append(tx, &member, &events, now))
    }
}

/// The record an old `meeting_held` event makes, replacing only a record without lists:
/// (cell, month, day, attendees, doc, card, now).
const LEGACY_MEETING: &str = "INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
    SELECT ?1, ?2, ?3, NULL, min(?4, n), 0, n, NULL, NULL, json_array(?5), ?6, ?7 FROM (SELECT count(*) AS n FROM members WHERE unit_code = ?1 AND active = 1)
    WHERE true
    ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = NULL, present = excluded.present, excused = 0, members = excluded.members, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at
    WHERE meetings.present_cards IS NULL";

fn append(
    tx: &Connection,
    member: &MemberRef,
    events: &[NewEvent],
    now: i64,
) -> Result<Vec<Stored>> {
    let mut out = Vec::with_capacity(events.len());
    let mut ins = tx.prepare_cached("INSERT INTO events (id, card_number, unit_code, type, doc, version, at, day, ms, data, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO NOTHING")?;
    let mut owner = tx.prepare_cached("SELECT card_number FROM events WHERE id = ?1")?;
    let mut day_up = tx.prepare_cached("INSERT INTO member_days (card_number, day, unit_code, views) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(card_number, day) DO UPDATE SET views = views + excluded.views")?;
    let mut meet = tx.prepare_cached(LEGACY_MEETING)?;
    let mut read = tx.prepare_cached(
        "INSERT OR IGNORE INTO doc_reads (doc, card_number, day) VALUES (?1, ?2, ?3)",
    )?;
    let mut notice_read = tx.prepare_cached(
        "INSERT OR IGNORE INTO notice_reads (notice_id, card_number, at) VALUES (?1, ?2, ?3)",
    )?;
    let card = member.card_number.as_str();
    let unit = member.unit_code.as_str();
    for e in events {
        let id = e.id.hyphenated().to_string();
        let day = day_of(e.at);
        let n = ins.execute(params![
            id,
            card,
            unit,
            e.kind.as_str(),
            e.doc,
            e.version,
            e.at,
            day,
            e.ms,
            e.data,
            now
        ])?;
        if n == 0 {
            let who: String = owner.query_row([&id], |r| r.get(0))?;
            out.push(if who == card {
                Stored::Duplicate
            } else {
                Stored::Conflict
            });
            continue;
        }
        day_up.execute(params![
            card,
            day,
            unit,
            i64::from(e.kind == EventType::View)
        ])?;
        match e.kind {
            EventType::MeetingHeld => {
                meet.execute(params![
                    unit,
                    &day[..7],
                    day,
                    attendees_of(e.data.as_deref()),
                    e.doc,
                    card,
                    now
                ])?;
            }
            EventType::Read => {
                read.execute(params![e.doc, card, day])?;
            }
            EventType::NoticeRead => {
                notice_read.execute(params![e.doc, card, e.at])?;
            }
            _ => {}
        }
        out.push(Stored::Stored);
    }
    Ok(out)
}
