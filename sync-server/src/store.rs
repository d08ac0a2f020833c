//! Storage: the roster, registered phones, reading events and admin tokens, behind one
//! interface ([`Storage`]), with embedded SQLite as the default implementation.
//!
//! Durability: every write goes through one writer thread that takes all the writes waiting
//! for it, applies them in one transaction (each in its own savepoint, so one bad request
//! cannot spoil the others) and commits with `synchronous=FULL` in WAL mode — an fsync — before
//! it answers any of them. That is group commit: an event is acknowledged only once it is on
//! disk, and a thousand concurrent requests cost one fsync, not a thousand.
//!
//! Cell meetings: one record per cell and month (`meetings`, keyed by both, so a second record
//! replaces the first and two secretaries writing at once leave one), and the planned meeting
//! (`meeting_schedules`).

use crate::model::{CardNumber, EventType, MemberStatus, Month, Role, UnitCode, UnitKind};
use crate::notice_db::{NewNotice, Notice, NoticeRow};
use crate::push_db::PushSubscription;
use crate::roster::Roster;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// A storage failure. `Unavailable` means "try again later" (disk full, database locked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    Unavailable(String),
    Invalid(String),
}

/// The `Invalid` message of a token creation for a unit outside the creator's subtree.
pub const OUTSIDE_SCOPE: &str = "outside_scope";

/// An admin token as the dashboard lists it: its public id (the first 8 bytes of its hash,
/// in hex), never the token.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminToken {
    pub id: String,
    pub unit_code: String,
    pub unit_name: String,
    /// Whom it was given to.
    pub holder: Option<String>,
    pub created_at: i64,
    /// The id of the admin token that created it; none for `sotay admin create`.
    pub created_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// A creation or revocation of an admin token: what, which token and unit, by whom, when.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminLogEntry {
    pub at: i64,
    /// "create" or "revoke".
    pub action: String,
    pub token_id: String,
    pub unit_code: String,
    /// The admin token that did it and its unit; none for `sotay admin create`.
    pub by: Option<String>,
    pub by_unit: Option<String>,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(m) => write!(f, "storage unavailable: {m}"),
            StoreError::Invalid(m) => write!(f, "{m}"),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A registered member, as the API needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRef {
    pub card_number: CardNumber,
    pub full_name: String,
    pub unit_code: UnitCode,
    /// The name of the member's unit ("Chi bộ 1"), shown on the phone.
    pub unit_name: String,
    pub role: Role,
    pub status: MemberStatus,
    /// Whether the member's unit is a cell (it always should be).
    pub in_cell: bool,
}

/// A reading event that passed validation, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: uuid::Uuid,
    pub kind: EventType,
    pub doc: String,
    pub version: Option<String>,
    /// Unix seconds, UTC.
    pub at: i64,
    pub ms: Option<i64>,
    /// `text` of feedback, `attendees` of a meeting, as JSON.
    pub data: Option<String>,
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stored {
    Stored,
    Duplicate,
    /// The id is already used by another member's event.
    Conflict,
}

/// A member's comment ("góp ý") on a document or, answering a notice, on that notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub at: String,
    /// The document commented on (`None` for a reply to a notice).
    pub doc: Option<String>,
    /// The notice answered (`None` for a comment on a document).
    pub notice: Option<String>,
    pub text: String,
    pub card_number: String,
    pub full_name: String,
    pub unit_code: String,
}

/// A registration request, checked, with the hash of the token to give the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub card: CardNumber,
    /// [`crate::model::name_key`] of the name typed.
    pub name_key: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    pub unit: UnitCode,
    /// The phone's own id, so that a retried registration does not count a second phone.
    pub device: Option<uuid::Uuid>,
    pub token_hash: Vec<u8>,
}

impl Registration {
    /// Whether the roster's row for the card (name, birth date, unit code as stored) is the
    /// member who typed this (DESIGN.md, "Registration matching"). Both backends find the
    /// row by card number and decide here, so that they can never disagree.
    pub fn matches(&self, full_name: &str, birth_date: &str, unit_code: &str) -> bool {
        crate::model::name_key(full_name) == self.name_key
            && birth_date == self.birth_date
            && crate::model::same_unit(&self.unit, unit_code)
    }
}

/// What a roster import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub units: usize,
    pub members: usize,
    pub members_added: usize,
    pub members_removed: usize,
    pub registrations_kept: usize,
}

/// A cell meeting as the secretary records it, checked for form (the cards are checked
/// against the roster when it is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub cell: UnitCode,
    pub month: Month,
    pub held_on: time::Date,
    pub place: Option<String>,
    pub present: Vec<CardNumber>,
    pub excused: Vec<CardNumber>,
    pub docs: Vec<String>,
    /// Who records it (the secretary or deputy).
    pub by: CardNumber,
}

/// A unit as answers name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellRef {
    pub code: String,
    pub name: String,
}

/// The record of a cell's meeting of a month (DESIGN.md, MEETING).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    pub month: String,
    pub cell: CellRef,
    pub held_on: String,
    pub place: Option<String>,
    pub present: u32,
    pub excused: u32,
    pub absent: u32,
    pub members: u32,
    /// `None` for a record made by the old `meeting_held` event, which has no lists.
    pub present_cards: Option<Vec<String>>,
    pub excused_cards: Option<Vec<String>>,
    pub docs: Vec<String>,
    /// The name of who recorded it.
    pub recorded_by: String,
    /// RFC 3339, Vietnam's time.
    pub recorded_at: String,
}

/// The planned meeting of a cell for a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub month: String,
    /// Local (Vietnam) time, `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub place: String,
    pub set_by: String,
    pub set_at: String,
}

/// A member of a cell as the secretary's attendance list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    pub card_number: String,
    pub full_name: String,
    pub status: String,
    pub role: String,
    pub smartphone: bool,
    /// Has a phone registered (uses the handbook).
    pub registered: bool,
    /// How many of the month's documents they have marked or read to the end.
    pub read_docs: u32,
}

/// A meeting record as reports count it: cell, day held (YYYY-MM-DD), present, members, and
/// whether it has attendance lists (a record from the old event has not).
pub type MeetingCount = (String, String, u32, u32, bool);

/// The reports' aggregate as loaded: the roster version it reflects and, for a database
/// other processes write too, the mark to ask [`Storage::changes`] from.
pub struct Loaded {
    pub index: crate::reports::ReportIndex,
    pub version: i64,
    pub mark: Option<String>,
}

/// What other writers committed since a mark: events (card, cell, type, doc, unix time) and
/// phones (card, unix time registered).
#[derive(Debug, Default)]
pub struct Changes {
    pub mark: String,
    pub version: i64,
    pub events: Vec<(String, String, EventType, String, i64)>,
    pub registrations: Vec<(String, i64)>,
    /// Meeting records written (each the record as it now is).
    pub meetings: Vec<MeetingCount>,
}

/// The operations the server needs from its database: embedded SQLite ([`Sqlite`]) or
/// PostgreSQL ([`crate::pg::Postgres`]), with the same contract.
pub trait Storage: Send + Sync + 'static {
    fn import_roster(
        &self,
        roster: Roster,
        now: i64,
    ) -> impl Future<Output = Result<ImportSummary>> + Send;
    fn roster_is_empty(&self) -> impl Future<Output = Result<bool>> + Send;
    /// Registers a phone if the card, name key, birth date and unit match an active member.
    /// A phone that registers again (same `device`) replaces its old token.
    fn register(
        &self,
        reg: Registration,
        now: i64,
    ) -> impl Future<Output = Result<Option<MemberRef>>> + Send;
    fn member_for_token(
        &self,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Option<MemberRef>>> + Send;
    fn append_events(
        &self,
        member: MemberRef,
        events: Vec<NewEvent>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Stored>>> + Send;
    fn create_admin(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    fn admin_for_token(
        &self,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Option<UnitCode>>> + Send;
    /// A token for `unit` given to `holder`, made by admin `by` (its id and unit; `None`: the
    /// command line), logged; `Invalid(OUTSIDE_SCOPE)` if `unit` is not in `by`'s subtree.
    fn create_admin_token(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        holder: String,
        by: Option<(String, UnitCode)>,
        now: i64,
    ) -> impl Future<Output = Result<AdminToken>> + Send;
    /// The admin tokens of `scope`'s subtree (newest first) and their log (newest first).
    fn admin_tokens(
        &self,
        scope: UnitCode,
    ) -> impl Future<Output = Result<(Vec<AdminToken>, Vec<AdminLogEntry>)>> + Send;
    /// Revokes token `id` if it belongs to `scope`'s subtree (`None` otherwise, or if unknown),
    /// logged as done by `by`; revoking a revoked token changes nothing.
    fn revoke_admin_token(
        &self,
        id: String,
        scope: UnitCode,
        by: (String, UnitCode),
        now: i64,
    ) -> impl Future<Output = Result<Option<AdminToken>>> + Send;
    /// Changes with every roster import, so that derived data can be rebuilt.
    fn roster_version(&self) -> impl Future<Output = Result<i64>> + Send;
    /// Everything reports are computed from, read in one pass (one snapshot).
    fn load_reports(&self) -> impl Future<Output = Result<Loaded>> + Send;
    /// What was committed since `mark` (from [`Loaded::mark`] or a previous call). Only
    /// asked of a [`shared`](Storage::shared) database.
    fn changes(&self, mark: String) -> impl Future<Output = Result<Changes>> + Send {
        let _ = mark;
        async {
            Err(StoreError::Unavailable(
                "this database has no change feed".into(),
            ))
        }
    }
    /// Whether other processes write to this database too (then this process's aggregate is
    /// brought up to date with [`changes`](Storage::changes), and rate limits are shared).
    fn shared(&self) -> bool {
        false
    }
    /// Takes a token from the rate-limit bucket `key` shared by every process on this
    /// database; `Ok(Err(seconds))` when it is empty. Only asked of a shared database.
    fn take_shared_token(
        &self,
        key: String,
        burst: f64,
        per_sec: f64,
    ) -> impl Future<Output = Result<std::result::Result<(), u64>>> + Send {
        let _ = (key, burst, per_sec);
        async { Ok(Ok(())) }
    }
    /// Feedback from members of `unit`'s subtree between two days (inclusive), newest first.
    fn feedback(
        &self,
        unit: UnitCode,
        from: String,
        to: String,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Feedback>>> + Send;
    /// Writes waiting for the writer.
    fn queue_depth(&self) -> usize;
    /// Creates or replaces the month's meeting record of a cell; `Invalid` (in Vietnamese, for
    /// the secretary) when a card is not an active member of the cell.
    fn put_meeting(&self, m: NewMeeting, now: i64) -> impl Future<Output = Result<Meeting>> + Send;
    /// Sets the planned meeting of a cell for a month.
    fn put_schedule(
        &self,
        cell: UnitCode,
        month: Month,
        starts_at: String,
        place: String,
        by: CardNumber,
        now: i64,
    ) -> impl Future<Output = Result<Schedule>> + Send;
    /// A cell's record and schedule of a month.
    fn meeting(
        &self,
        cell: UnitCode,
        month: Month,
    ) -> impl Future<Output = Result<(Option<Meeting>, Option<Schedule>)>> + Send;
    /// A cell (its name) and its active members, with how many of `docs` each has read.
    fn cell_roster(
        &self,
        cell: UnitCode,
        docs: Vec<String>,
    ) -> impl Future<Output = Result<(CellRef, Vec<RosterEntry>)>> + Send;
    /// How many active members a cell has.
    fn cell_size(&self, cell: UnitCode) -> impl Future<Output = Result<u32>> + Send;
    /// Stores a new notice; `Invalid` (in Vietnamese) when its unit is not in the roster.
    fn post_notice(&self, n: NewNotice, now: i64) -> impl Future<Output = Result<Notice>> + Send;
    /// A notice by id, withdrawn or not.
    fn notice(&self, id: String) -> impl Future<Output = Result<Option<NoticeRow>>> + Send;
    /// Withdraws a notice (the first withdrawal's time stays); false if there is no such notice.
    fn withdraw_notice(&self, id: String, now: i64) -> impl Future<Output = Result<bool>> + Send;
    /// The notices of the units from the root to `unit` (the member's cell), newest first, with
    /// whether `card` opened each: with `today` (YYYY-MM-DD) only those shown that day.
    fn member_notices(
        &self,
        card: CardNumber,
        unit: UnitCode,
        today: Option<String>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<NoticeRow>>> + Send;
    /// The notices of `unit`'s subtree and of the units above it, withdrawn ones too, newest
    /// first.
    fn unit_notices(
        &self,
        unit: UnitCode,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<NoticeRow>>> + Send;
    /// How many replies each of `notices` has from members of `unit`'s subtree.
    fn notice_reply_counts(
        &self,
        unit: UnitCode,
        notices: Vec<String>,
    ) -> impl Future<Output = Result<std::collections::HashMap<String, u64>>> + Send;
    /// The replies to a notice from members of `unit`'s subtree, newest first.
    fn notice_replies(
        &self,
        unit: UnitCode,
        notice: String,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Feedback>>> + Send;
    /// The server's VAPID private key (base64url): the stored one, or `generated` stored first
    /// if there is none yet (so that instances on one database agree).
    fn push_key(&self, generated: String, now: i64) -> impl Future<Output = Result<String>> + Send;
    /// Keeps a phone's push subscription for `card` (replacing one with the same endpoint).
    fn push_subscribe(
        &self,
        card: CardNumber,
        sub: PushSubscription,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Forgets `card`'s subscription with this endpoint; false if it had none.
    fn push_unsubscribe(
        &self,
        card: CardNumber,
        endpoint: String,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The subscriptions of the active members under `unit`.
    fn push_subscriptions(
        &self,
        unit: UnitCode,
    ) -> impl Future<Output = Result<Vec<PushSubscription>>> + Send;
    /// Forgets a subscription the push service says is gone (404, 410).
    fn push_gone(&self, endpoint: String) -> impl Future<Output = Result<()>> + Send;
}

/// The attendees a `meeting_held` event claims (0 if it says nothing).
pub fn attendees_of(data: Option<&str>) -> i64 {
    data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["attendees"].as_i64())
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX))
}

/// A unix time as RFC 3339 in Vietnam's time.
pub fn rfc3339_vn(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.to_offset(crate::model::VN)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The cards of `m` checked against the cell's active members: present and excused as stored
/// (sorted, each once), or the Vietnamese message of the first card that does not belong.
pub fn check_cards(
    m: &NewMeeting,
    members: &std::collections::HashSet<String>,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut lists = (Vec::new(), Vec::new());
    for (list, out) in [(&m.present, &mut lists.0), (&m.excused, &mut lists.1)] {
        for c in list {
            if !members.contains(c.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "Số thẻ {c} không phải đảng viên của chi bộ {}.",
                    m.cell
                )));
            }
            out.push(c.as_str().to_string());
        }
        out.sort();
        out.dedup();
    }
    Ok(lists)
}

/// A meeting record from its stored columns.
#[allow(clippy::too_many_arguments)]
pub fn meeting_row(
    cell: CellRef,
    month: String,
    held_on: String,
    place: Option<String>,
    present: i64,
    excused: i64,
    members: i64,
    present_cards: Option<String>,
    excused_cards: Option<String>,
    docs: String,
    recorded_by: String,
    recorded_at: i64,
) -> Meeting {
    let list = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok());
    let n = |x: i64| x.clamp(0, i64::from(u32::MAX)) as u32;
    let (present, excused, members) = (n(present), n(excused), n(members));
    Meeting {
        month,
        cell,
        held_on,
        place,
        present,
        excused,
        absent: members.saturating_sub(present + excused),
        members,
        present_cards: list(present_cards),
        excused_cards: list(excused_cards),
        docs: serde_json::from_str(&docs).unwrap_or_default(),
        recorded_by,
        recorded_at: rfc3339_vn(recorded_at),
    }
}

/// The schema version a database opened by this build has.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

const MIGRATIONS: &[&str] = &[
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
];

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
    Ok(c)
}

fn migrate(c: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
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

fn member_from_row(r: &rusqlite::Row) -> rusqlite::Result<MemberRef> {
    let card: String = r.get(0)?;
    let unit: String = r.get(2)?;
    let role: String = r.get(3)?;
    let status: String = r.get(4)?;
    let kind: Option<String> = r.get(5)?;
    let unit_name: Option<String> = r.get(6)?;
    Ok(MemberRef {
        card_number: CardNumber::parse(&card).ok_or(rusqlite::Error::InvalidQuery)?,
        full_name: r.get(1)?,
        unit_code: UnitCode::parse(&unit).ok_or(rusqlite::Error::InvalidQuery)?,
        unit_name: unit_name.unwrap_or_default(),
        role: Role::parse(&role).unwrap_or(Role::DangVien),
        status: MemberStatus::parse(&status).unwrap_or(MemberStatus::ChinhThuc),
        in_cell: kind
            .as_deref()
            .and_then(UnitKind::parse)
            .is_some_and(UnitKind::is_cell),
    })
}

const MEMBER_COLS: &str =
    "m.card_number, m.full_name, m.unit_code, m.role, m.status, u.kind, u.name";
/// How many columns [`MEMBER_COLS`] has: a query's own columns come after them.
const MEMBER_COLS_LEN: usize = 7;

/// The record an old `meeting_held` event makes: (cell, month, day, attendees, doc, card, now).
const LEGACY_MEETING: &str = "INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
    SELECT ?1, ?2, ?3, NULL, min(?4, n), 0, n, NULL, NULL, json_array(?5), ?6, ?7 FROM (SELECT count(*) AS n FROM members WHERE unit_code = ?1 AND active = 1)
    WHERE true
    ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = NULL, present = excluded.present, excused = 0, members = excluded.members, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at";

/// The columns [`meeting_row`] takes, from `meetings t` joined with `units u` and the
/// recorder `members r`.
const MEETING_COLS: &str = "u.code, u.name, t.month, t.held_on, t.place, t.present, t.excused, t.members, t.present_cards, t.excused_cards, t.docs, coalesce(r.full_name, t.recorded_by), t.recorded_at";

fn meeting_from_row(r: &rusqlite::Row) -> rusqlite::Result<Meeting> {
    Ok(meeting_row(
        CellRef {
            code: r.get(0)?,
            name: r.get(1)?,
        },
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
    ))
}

fn read_meeting(c: &Connection, cell: &str, month: &str) -> rusqlite::Result<Option<Meeting>> {
    c.query_row(
        &format!("SELECT {MEETING_COLS} FROM meetings t JOIN units u ON u.code = t.unit_code LEFT JOIN members r ON r.card_number = t.recorded_by WHERE t.unit_code = ?1 AND t.month = ?2"),
        [cell, month],
        meeting_from_row,
    )
    .optional()
}

fn read_schedule(c: &Connection, cell: &str, month: &str) -> rusqlite::Result<Option<Schedule>> {
    c.query_row(
        "SELECT s.month, s.starts_at, s.place, coalesce(r.full_name, s.set_by), s.set_at FROM meeting_schedules s LEFT JOIN members r ON r.card_number = s.set_by WHERE s.unit_code = ?1 AND s.month = ?2",
        [cell, month],
        |r| {
            Ok(Schedule {
                month: r.get(0)?,
                starts_at: r.get(1)?,
                place: r.get(2)?,
                set_by: r.get(3)?,
                set_at: rfc3339_vn(r.get(4)?),
            })
        },
    )
    .optional()
}

/// Each unit's path from the root ("/TU/DB1/CB1/") and its depth, in roster order (the
/// roster reader puts a unit after its parent).
pub fn unit_paths(roster: &Roster) -> Result<Vec<(String, i64)>> {
    let mut paths: std::collections::HashMap<&str, (String, i64)> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(roster.units.len());
    for u in &roster.units {
        let (path, depth) = match &u.parent {
            Some(p) => {
                let (pp, pd) = paths.get(p.as_str()).ok_or_else(|| {
                    StoreError::Invalid(format!("unit {} comes before its parent", u.code))
                })?;
                (format!("{pp}{}/", u.code), pd + 1)
            }
            None => (format!("/{}/", u.code), 0),
        };
        paths.insert(u.code.as_str(), (path.clone(), depth));
        out.push((path, depth));
    }
    Ok(out)
}

/// A feedback event as the dashboard shows it: the time in Vietnam, the comment's text.
pub fn feedback_row(
    at: i64,
    doc: String,
    data: Option<String>,
    card_number: String,
    full_name: String,
    unit_code: String,
) -> Feedback {
    let reply = crate::notice_db::is_reply(data.as_deref());
    let text = data
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|v| v["text"].as_str().map(str::to_string))
        .unwrap_or_default();
    let (doc, notice) = if reply {
        (None, Some(doc))
    } else {
        (Some(doc), None)
    };
    Feedback {
        at: time::OffsetDateTime::from_unix_timestamp(at)
            .ok()
            .and_then(|t| {
                t.to_offset(crate::model::VN)
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default(),
        doc,
        notice,
        text,
        card_number,
        full_name,
        unit_code,
    }
}

/// The local (Vietnam) day of a unix time, "YYYY-MM-DD".
pub fn day_of(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => crate::model::format_date(t.to_offset(crate::model::VN).date()),
        Err(_) => "1970-01-01".into(),
    }
}

impl Storage for Sqlite {
    fn import_roster(
        &self,
        roster: Roster,
        now: i64,
    ) -> impl Future<Output = Result<ImportSummary>> + Send {
        self.write(move |tx| {
            let mut s = ImportSummary { units: roster.units.len(), members: roster.members.len(), ..Default::default() };
            tx.execute("UPDATE units SET active = 0", [])?;
            {
                let mut up = tx.prepare("INSERT INTO units (code, name, parent_code, kind, path, depth, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
                    ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, kind = excluded.kind, path = excluded.path, depth = excluded.depth, active = 1")?;
                for (u, (path, depth)) in roster.units.iter().zip(unit_paths(&roster)?) {
                    up.execute(params![u.code.as_str(), u.name, u.parent.as_ref().map(|p| p.as_str()), u.kind.as_str(), path, depth])?;
                }
            }
            let before: i64 = tx.query_row("SELECT count(*) FROM members WHERE active = 1", [], |r| r.get(0))?;
            tx.execute("CREATE TEMP TABLE IF NOT EXISTS import_cards (card_number TEXT PRIMARY KEY)", [])?;
            tx.execute("DELETE FROM import_cards", [])?;
            {
                let mut known = tx.prepare("SELECT 1 FROM members WHERE card_number = ?1 AND active = 1")?;
                let mut up = tx.prepare("INSERT INTO members (card_number, full_name, name_key, birth_date, unit_code, status, role, smartphone, active, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)
                    ON CONFLICT(card_number) DO UPDATE SET full_name = excluded.full_name, name_key = excluded.name_key, birth_date = excluded.birth_date, unit_code = excluded.unit_code, status = excluded.status, role = excluded.role, smartphone = excluded.smartphone, active = 1, updated_at = excluded.updated_at")?;
                let mut mark = tx.prepare("INSERT INTO import_cards (card_number) VALUES (?1)")?;
                for m in &roster.members {
                    if !known.exists([m.card.as_str()])? {
                        s.members_added += 1;
                    }
                    up.execute(params![
                        m.card.as_str(),
                        m.full_name,
                        crate::model::name_key(&m.full_name),
                        crate::model::format_date(m.birth_date),
                        m.unit.as_str(),
                        m.status.as_str(),
                        m.role.as_str(),
                        m.has_smartphone(),
                        now
                    ])?;
                    mark.execute([m.card.as_str()])?;
                }
            }
            tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'roster_version'", [])?;
            s.members_removed = tx.execute("UPDATE members SET active = 0, updated_at = ?1 WHERE active = 1 AND card_number NOT IN (SELECT card_number FROM import_cards)", [now])?;
            let _ = before;
            s.registrations_kept = tx.query_row("SELECT count(DISTINCT d.card_number) FROM devices d JOIN members m ON m.card_number = d.card_number WHERE m.active = 1", [], |r| r.get::<_, i64>(0))? as usize;
            Ok(s)
        })
    }

    fn roster_is_empty(&self) -> impl Future<Output = Result<bool>> + Send {
        self.read(|c| {
            Ok(c.query_row("SELECT count(*) FROM members", [], |r| r.get::<_, i64>(0))? == 0)
        })
    }

    fn register(
        &self,
        reg: Registration,
        now: i64,
    ) -> impl Future<Output = Result<Option<MemberRef>>> + Send {
        self.write(move |tx| {
            let found = tx
                .query_row(
                    &format!("SELECT {MEMBER_COLS}, m.birth_date FROM members m LEFT JOIN units u ON u.code = m.unit_code WHERE m.card_number = ?1 AND m.active = 1"),
                    params![reg.card.as_str()],
                    |r| Ok((member_from_row(r)?, r.get::<_, String>(MEMBER_COLS_LEN)?)),
                )
                .optional()?
                .filter(|(m, birth)| reg.matches(&m.full_name, birth, m.unit_code.as_str()))
                .map(|(m, _)| m);
            if let Some(m) = &found {
                let device = reg.device.map(|d| d.hyphenated().to_string());
                let replaced = match &device {
                    Some(d) => tx.execute(
                        "UPDATE devices SET token_hash = ?1, card_number = ?2 WHERE device_id = ?3",
                        params![reg.token_hash, m.card_number.as_str(), d],
                    )?,
                    None => 0,
                };
                if replaced == 0 {
                    tx.execute(
                        "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?1, ?2, ?3, ?4)",
                        params![reg.token_hash, m.card_number.as_str(), now, device],
                    )?;
                }
            }
            Ok(found)
        })
    }

    fn member_for_token(
        &self,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Option<MemberRef>>> + Send {
        self.read(move |c| {
            Ok(c.query_row(
                &format!("SELECT {MEMBER_COLS} FROM devices d JOIN members m ON m.card_number = d.card_number LEFT JOIN units u ON u.code = m.unit_code WHERE d.token_hash = ?1 AND m.active = 1"),
                [token_hash],
                member_from_row,
            )
            .optional()?)
        })
    }

    fn append_events(
        &self,
        member: MemberRef,
        events: Vec<NewEvent>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Stored>>> + Send {
        self.write(move |tx| {
            let mut out = Vec::with_capacity(events.len());
            let mut ins = tx.prepare_cached("INSERT INTO events (id, card_number, unit_code, type, doc, version, at, day, ms, data, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO NOTHING")?;
            let mut owner = tx.prepare_cached("SELECT card_number FROM events WHERE id = ?1")?;
            let mut day_up = tx.prepare_cached("INSERT INTO member_days (card_number, day, unit_code, views) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(card_number, day) DO UPDATE SET views = views + excluded.views")?;
            // The old event makes a record without lists, replacing only such a record.
            let mut meet = tx.prepare_cached(&format!("{LEGACY_MEETING} WHERE meetings.present_cards IS NULL"))?;
            let mut read = tx.prepare_cached("INSERT OR IGNORE INTO doc_reads (doc, card_number, day) VALUES (?1, ?2, ?3)")?;
            let mut notice_read = tx.prepare_cached("INSERT OR IGNORE INTO notice_reads (notice_id, card_number, at) VALUES (?1, ?2, ?3)")?;
            let card = member.card_number.as_str();
            let unit = member.unit_code.as_str();
            for e in &events {
                let id = e.id.hyphenated().to_string();
                let day = day_of(e.at);
                let n = ins.execute(params![id, card, unit, e.kind.as_str(), e.doc, e.version, e.at, day, e.ms, e.data, now])?;
                if n == 0 {
                    let who: String = owner.query_row([&id], |r| r.get(0))?;
                    out.push(if who == card { Stored::Duplicate } else { Stored::Conflict });
                    continue;
                }
                day_up.execute(params![card, day, unit, i64::from(e.kind == EventType::View)])?;
                if e.kind == EventType::MeetingHeld {
                    meet.execute(params![unit, &day[..7], day, attendees_of(e.data.as_deref()), e.doc, card, now])?;
                }
                if e.kind == EventType::Read {
                    read.execute(params![e.doc, card, day])?;
                }
                if e.kind == EventType::NoticeRead {
                    notice_read.execute(params![e.doc, card, e.at])?;
                }
                out.push(Stored::Stored);
            }
            Ok(out)
        })
    }

    fn create_admin(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send {
        self.write(move |tx| {
            let exists: bool = tx.query_row(
                "SELECT count(*) FROM units WHERE code = ?1 AND active = 1",
                [unit.as_str()],
                |r| r.get::<_, i64>(0),
            )? > 0;
            if !exists {
                return Err(StoreError::Invalid(format!(
                    "no unit {unit} in the roster; import the roster first (sotay roster import)"
                )));
            }
            sqlite_admin::insert(tx, &token_hash, unit.as_str(), None, None, now)?;
            Ok(())
        })
    }

    fn create_admin_token(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        holder: String,
        by: Option<(String, UnitCode)>,
        now: i64,
    ) -> impl Future<Output = Result<AdminToken>> + Send {
        self.write(move |tx| {
            let path = |code: &str| -> rusqlite::Result<Option<String>> {
                tx.query_row(
                    "SELECT path FROM units WHERE code = ?1 AND active = 1",
                    [code],
                    |r| r.get(0),
                )
                .optional()
            };
            let Some(target) = path(unit.as_str())? else {
                return Err(StoreError::Invalid(OUTSIDE_SCOPE.into()));
            };
            if let Some((_, scope)) = &by {
                if !path(scope.as_str())?.is_some_and(|p| target.starts_with(&p)) {
                    return Err(StoreError::Invalid(OUTSIDE_SCOPE.into()));
                }
            }
            let id = sqlite_admin::insert(
                tx,
                &token_hash,
                unit.as_str(),
                Some(&holder),
                by.as_ref(),
                now,
            )?;
            sqlite_admin::get(tx, &id)?
                .ok_or_else(|| StoreError::Unavailable("token not stored".into()))
        })
    }

    fn admin_tokens(
        &self,
        scope: UnitCode,
    ) -> impl Future<Output = Result<(Vec<AdminToken>, Vec<AdminLogEntry>)>> + Send {
        self.read(move |c| Ok(sqlite_admin::list(c, scope.as_str())?))
    }

    fn revoke_admin_token(
        &self,
        id: String,
        scope: UnitCode,
        by: (String, UnitCode),
        now: i64,
    ) -> impl Future<Output = Result<Option<AdminToken>>> + Send {
        self.write(move |tx| {
            let Some(t) = sqlite_admin::get(tx, &id)? else {
                return Ok(None);
            };
            if !sqlite_admin::within(tx, &t.unit_code, scope.as_str())? {
                return Ok(None);
            }
            if t.revoked_at.is_none() {
                tx.execute(
                    "UPDATE admin_tokens SET revoked_at = ?1, revoked_by = ?2 WHERE id = ?3",
                    params![now, by.0, id],
                )?;
                tx.execute(
                    "INSERT INTO admin_token_log (at, action, token_id, unit_code, by_token, by_unit) VALUES (?1, 'revoke', ?2, ?3, ?4, ?5)",
                    params![now, id, t.unit_code, by.0, by.1.as_str()],
                )?;
            }
            Ok(sqlite_admin::get(tx, &id)?)
        })
    }

    fn admin_for_token(
        &self,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Option<UnitCode>>> + Send {
        self.read(move |c| {
            let code: Option<String> = c
                .query_row(
                    "SELECT unit_code FROM admin_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
                    [token_hash],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(code.and_then(|s| UnitCode::parse(&s)))
        })
    }

    fn roster_version(&self) -> impl Future<Output = Result<i64>> + Send {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM meta WHERE key = 'roster_version'",
                [],
                |r| r.get(0),
            )?)
        })
    }

    fn load_reports(&self) -> impl Future<Output = Result<Loaded>> + Send {
        self.read(|c| {
            // The version is read first: the rows read after it are at least as new.
            let version: i64 = c.query_row("SELECT value FROM meta WHERE key = 'roster_version'", [], |r| r.get(0))?;
            let mut b = crate::reports::Builder::default();
            let mut q = c.prepare("SELECT code, name, parent_code, kind, active FROM units ORDER BY code")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                let parent: Option<String> = r.get(2)?;
                b.unit(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, parent.as_deref(), &r.get::<_, String>(3)?, r.get(4)?);
            }
            let mut q = c.prepare("SELECT card_number, full_name, unit_code, status, role, smartphone FROM members WHERE active = 1 ORDER BY card_number")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                b.member(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, &r.get::<_, String>(2)?, &r.get::<_, String>(3)?, &r.get::<_, String>(4)?, r.get(5)?);
            }
            let idx = b.index();
            let mut q = c.prepare("SELECT card_number, min(created_at) FROM devices GROUP BY card_number")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                idx.registered(&r.get::<_, String>(0)?, crate::reports::day_of_unix(r.get(1)?));
            }
            let mut q = c.prepare("SELECT card_number, day, views FROM member_days")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                let day: String = r.get(1)?;
                if let Some(d) = crate::reports::parse_day(&day) {
                    idx.load_day(&r.get::<_, String>(0)?, d, r.get::<_, i64>(2)?.clamp(0, i64::from(u32::MAX)) as u32);
                }
            }
            let mut q = c.prepare("SELECT unit_code, held_on, present, members, present_cards IS NOT NULL FROM meetings")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                idx.set_meeting(&(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
            }
            let mut q = c.prepare("SELECT doc, card_number FROM doc_reads")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                idx.load_read(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?);
            }
            let mut q = c.prepare("SELECT notice_id, card_number FROM notice_reads")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                idx.load_notice_read(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?);
            }
            Ok(Loaded { index: b.finish(), version, mark: None })
        })
    }

    fn feedback(
        &self,
        unit: UnitCode,
        from: String,
        to: String,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Feedback>>> + Send {
        self.read(move |c| {
            let path: Option<String> = c.query_row("SELECT path FROM units WHERE code = ?1", [unit.as_str()], |r| r.get(0)).optional()?;
            let Some(path) = path else { return Ok(Vec::new()) };
            let mut q = c.prepare(
                "SELECT e.at, e.doc, e.data, m.card_number, m.full_name, m.unit_code FROM events e
                 JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
                 WHERE e.type = 'feedback' AND e.day BETWEEN ?1 AND ?2 AND substr(u.path, 1, length(?3)) = ?3
                 ORDER BY e.at DESC LIMIT ?4",
            )?;
            let rows = q.query_map(params![from, to, path, limit as i64], |r| {
                Ok(feedback_row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::SeqCst)
    }
    fn put_meeting(&self, m: NewMeeting, now: i64) -> impl Future<Output = Result<Meeting>> + Send {
        self.write(move |tx| {
            let cell = m.cell.as_str();
            let mut q = tx.prepare_cached("SELECT card_number FROM members WHERE unit_code = ?1 AND active = 1")?;
            let members = q
                .query_map([cell], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<std::collections::HashSet<String>>>()?;
            let (present, excused) = check_cards(&m, &members)?;
            let month = m.month.to_string();
            tx.execute(
                "INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = excluded.place, present = excluded.present, excused = excluded.excused, members = excluded.members,
                   present_cards = excluded.present_cards, excused_cards = excluded.excused_cards, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
                params![
                    cell,
                    month,
                    crate::model::format_date(m.held_on),
                    m.place,
                    present.len() as i64,
                    excused.len() as i64,
                    members.len() as i64,
                    serde_json::to_string(&present).unwrap_or_default(),
                    serde_json::to_string(&excused).unwrap_or_default(),
                    serde_json::to_string(&m.docs).unwrap_or_default(),
                    m.by.as_str(),
                    now
                ],
            )?;
            read_meeting(tx, cell, &month)?
                .ok_or_else(|| StoreError::Invalid(format!("Không có chi bộ {cell} trong danh sách.")))
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
        self.write(move |tx| {
            let month = month.to_string();
            tx.execute(
                "INSERT INTO meeting_schedules (unit_code, month, starts_at, place, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (unit_code, month) DO UPDATE SET starts_at = excluded.starts_at, place = excluded.place, set_by = excluded.set_by, set_at = excluded.set_at",
                params![cell.as_str(), month, starts_at, place, by.as_str(), now],
            )?;
            read_schedule(tx, cell.as_str(), &month)?
                .ok_or_else(|| StoreError::Unavailable("the schedule just written is missing".into()))
        })
    }

    fn meeting(
        &self,
        cell: UnitCode,
        month: Month,
    ) -> impl Future<Output = Result<(Option<Meeting>, Option<Schedule>)>> + Send {
        self.read(move |c| {
            let month = month.to_string();
            Ok((
                read_meeting(c, cell.as_str(), &month)?,
                read_schedule(c, cell.as_str(), &month)?,
            ))
        })
    }

    fn cell_roster(
        &self,
        cell: UnitCode,
        docs: Vec<String>,
    ) -> impl Future<Output = Result<(CellRef, Vec<RosterEntry>)>> + Send {
        self.read(move |c| {
            let docs = serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into());
            let mut q = c.prepare(
                "SELECT m.card_number, m.full_name, m.status, m.role, m.smartphone,
                    EXISTS (SELECT 1 FROM devices d WHERE d.card_number = m.card_number),
                    (SELECT count(*) FROM doc_reads r WHERE r.card_number = m.card_number AND r.doc IN (SELECT value FROM json_each(?2)))
                 FROM members m WHERE m.unit_code = ?1 AND m.active = 1 ORDER BY m.name_key, m.card_number",
            )?;
            let rows = q.query_map(params![cell.as_str(), docs], |r| {
                Ok(RosterEntry {
                    card_number: r.get(0)?,
                    full_name: r.get(1)?,
                    status: r.get(2)?,
                    role: r.get(3)?,
                    smartphone: r.get(4)?,
                    registered: r.get(5)?,
                    read_docs: r.get(6)?,
                })
            })?;
            let list = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            let name: Option<String> = c
                .query_row("SELECT name FROM units WHERE code = ?1", [cell.as_str()], |r| r.get(0))
                .optional()?;
            Ok((CellRef { code: cell.to_string(), name: name.unwrap_or_default() }, list))
        })
    }

    fn cell_size(&self, cell: UnitCode) -> impl Future<Output = Result<u32>> + Send {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT count(*) FROM members WHERE unit_code = ?1 AND active = 1",
                [cell.as_str()],
                |r| r.get(0),
            )?)
        })
    }

    fn post_notice(&self, n: NewNotice, now: i64) -> impl Future<Output = Result<Notice>> + Send {
        self.write(move |tx| crate::notice_db::sqlite::post(tx, &n, now))
    }

    fn notice(&self, id: String) -> impl Future<Output = Result<Option<NoticeRow>>> + Send {
        self.read(move |c| crate::notice_db::sqlite::one(c, &id))
    }

    fn withdraw_notice(&self, id: String, now: i64) -> impl Future<Output = Result<bool>> + Send {
        self.write(move |tx| crate::notice_db::sqlite::withdraw(tx, &id, now))
    }

    fn member_notices(
        &self,
        card: CardNumber,
        unit: UnitCode,
        today: Option<String>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<NoticeRow>>> + Send {
        self.read(move |c| {
            crate::notice_db::sqlite::for_member(
                c,
                card.as_str(),
                unit.as_str(),
                today.as_deref(),
                limit,
            )
        })
    }

    fn unit_notices(
        &self,
        unit: UnitCode,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<NoticeRow>>> + Send {
        self.read(move |c| crate::notice_db::sqlite::for_unit(c, unit.as_str(), limit))
    }

    fn notice_reply_counts(
        &self,
        unit: UnitCode,
        notices: Vec<String>,
    ) -> impl Future<Output = Result<std::collections::HashMap<String, u64>>> + Send {
        self.read(move |c| crate::notice_db::sqlite::reply_counts(c, unit.as_str(), &notices))
    }

    fn notice_replies(
        &self,
        unit: UnitCode,
        notice: String,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Feedback>>> + Send {
        self.read(move |c| crate::notice_db::sqlite::replies(c, unit.as_str(), &notice, limit))
    }

    fn push_key(&self, generated: String, now: i64) -> impl Future<Output = Result<String>> + Send {
        self.write(move |tx| crate::push_db::sqlite::key(tx, &generated, now))
    }

    fn push_subscribe(
        &self,
        card: CardNumber,
        sub: PushSubscription,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send {
        self.write(move |tx| crate::push_db::sqlite::subscribe(tx, card.as_str(), &sub, now))
    }

    fn push_unsubscribe(
        &self,
        card: CardNumber,
        endpoint: String,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.write(move |tx| crate::push_db::sqlite::unsubscribe(tx, card.as_str(), &endpoint))
    }

    fn push_subscriptions(
        &self,
        unit: UnitCode,
    ) -> impl Future<Output = Result<Vec<PushSubscription>>> + Send {
        self.read(move |c| crate::push_db::sqlite::under(c, unit.as_str()))
    }

    fn push_gone(&self, endpoint: String) -> impl Future<Output = Result<()>> + Send {
        self.write(move |tx| crate::push_db::sqlite::gone(tx, &endpoint))
    }
}

/// Admin tokens in SQLite (see [`Storage::create_admin_token`]).
mod sqlite_admin {
    use super::{AdminLogEntry, AdminToken};
    use rusqlite::{params, Connection, OptionalExtension};

    /// Stores a token (and logs its creation); returns its public id.
    pub fn insert(
        c: &Connection,
        hash: &[u8],
        unit: &str,
        holder: Option<&str>,
        by: Option<&(String, crate::model::UnitCode)>,
        now: i64,
    ) -> rusqlite::Result<String> {
        let id = crate::auth::public_id(hash);
        c.execute(
            "INSERT INTO admin_tokens (token_hash, unit_code, created_at, id, holder, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![hash, unit, now, id, holder, by.map(|b| b.0.as_str())],
        )?;
        c.execute(
            "INSERT INTO admin_token_log (at, action, token_id, unit_code, by_token, by_unit) VALUES (?1, 'create', ?2, ?3, ?4, ?5)",
            params![now, id, unit, by.map(|b| b.0.as_str()), by.map(|b| b.1.as_str())],
        )?;
        Ok(id)
    }

    const COLS: &str = "t.id, t.unit_code, coalesce(u.name, t.unit_code), t.holder, t.created_at, t.created_by, t.revoked_at, t.revoked_by";

    fn token(r: &rusqlite::Row) -> rusqlite::Result<AdminToken> {
        Ok(AdminToken {
            id: r.get(0)?,
            unit_code: r.get(1)?,
            unit_name: r.get(2)?,
            holder: r.get(3)?,
            created_at: r.get(4)?,
            created_by: r.get(5)?,
            revoked_at: r.get(6)?,
            revoked_by: r.get(7)?,
        })
    }

    pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<AdminToken>> {
        c.query_row(
            &format!("SELECT {COLS} FROM admin_tokens t LEFT JOIN units u ON u.code = t.unit_code WHERE t.id = ?1"),
            [id],
            token,
        )
        .optional()
    }

    /// Whether `unit` is `scope` or under it.
    pub fn within(c: &Connection, unit: &str, scope: &str) -> rusqlite::Result<bool> {
        Ok(c.query_row(
            "SELECT count(*) FROM units a, units s WHERE a.code = ?1 AND s.code = ?2 AND substr(a.path, 1, length(s.path)) = s.path",
            [unit, scope],
            |r| r.get::<_, i64>(0),
        )? > 0)
    }

    pub fn list(
        c: &Connection,
        scope: &str,
    ) -> rusqlite::Result<(Vec<AdminToken>, Vec<AdminLogEntry>)> {
        let path: Option<String> = c
            .query_row("SELECT path FROM units WHERE code = ?1", [scope], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(path) = path else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut q = c.prepare(&format!(
            "SELECT {COLS} FROM admin_tokens t JOIN units u ON u.code = t.unit_code
             WHERE substr(u.path, 1, length(?1)) = ?1 ORDER BY t.created_at DESC, t.id"
        ))?;
        let tokens = q
            .query_map([&path], token)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut q = c.prepare(
            "SELECT l.at, l.action, l.token_id, l.unit_code, l.by_token, l.by_unit FROM admin_token_log l JOIN units u ON u.code = l.unit_code
             WHERE substr(u.path, 1, length(?1)) = ?1 ORDER BY l.at DESC, l.rowid DESC LIMIT 500",
        )?;
        let log = q
            .query_map([&path], |r| {
                Ok(AdminLogEntry {
                    at: r.get(0)?,
                    action: r.get(1)?,
                    token_id: r.get(2)?,
                    unit_code: r.get(3)?,
                    by: r.get(4)?,
                    by_unit: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((tokens, log))
    }
}
