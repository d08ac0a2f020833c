//! Storage: the roster, registered phones, reading events, meetings, notices, push
//! subscriptions and admin tokens, behind one interface ([`Storage`]) on embedded SQLite (the
//! default) or PostgreSQL (several server instances on one database).
//!
//! Each operation is written once, in the module of its data (`members`, `feedback`, `meetings`,
//! `notices`, `push`, `roster`, `admin`, `report_data`), on a [`sql::Conn`]: the same code and, where the
//! dialects agree, the same SQL run on either database. `sqlite` and `postgres` are the engines
//! (connections, transactions, migrations, and the one write each does its own way: storing a
//! batch of events); [`Db`] is the store the server runs on, which runs each operation on the
//! engine its `--db` URL named.

mod admin;
mod copy;
pub mod db;
mod feedback;
mod meetings;
mod members;
pub mod notices;
pub mod postgres;
pub mod push;
mod records;
mod report_data;
pub mod roster;
mod schema;
pub mod sql;
pub mod sqlite;

pub use db::{Db, DbUrl};
pub use records::*;
pub use sqlite::Sqlite;

use crate::model::{CardNumber, Month, UnitCode};
use crate::roster::update::{ChangeKind, Current, RosterChange};
use crate::roster::Roster;
use notices::{NewNotice, Notice, NoticeRow};
use push::PushSubscription;
use roster::{AdminInfo, Applied, ChangeEntry, Upload};
use std::future::Future;

/// A storage failure. `Unavailable` means "try again later" (disk full, database locked);
/// `Conflict`, that what was asked no longer fits the data (a roster upload previewed before
/// another change), with a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    Unavailable(String),
    Invalid(String),
    Conflict(String),
}

/// The `Invalid` message of a token creation for a unit outside the creator's subtree.
pub const OUTSIDE_SCOPE: &str = "outside_scope";

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(m) => write!(f, "storage unavailable: {m}"),
            StoreError::Invalid(m) | StoreError::Conflict(m) => write!(f, "{m}"),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The operations the server needs from its database, with one contract on embedded SQLite and
/// on PostgreSQL; implemented by [`Db`].
pub trait Storage: Send + Sync + 'static {
    /// Replaces the whole roster (`sotay roster import`): a [`change_roster`] of the whole.
    ///
    /// [`change_roster`]: Storage::change_roster
    fn import_roster(
        &self,
        roster: Roster,
        now: i64,
    ) -> impl Future<Output = Result<ImportSummary>> + Send {
        let change = RosterChange {
            kind: ChangeKind::Whole(roster),
            who: "sotay roster import".into(),
            source: String::new(),
        };
        let f = self.change_roster(change, now);
        async move { f.await.map(ImportSummary::from) }
    }
    /// Applies a roster change in one transaction, or nothing (see [`roster`]):
    /// `Conflict` when a subtree upload no longer applies as previewed.
    fn change_roster(
        &self,
        change: RosterChange,
        now: i64,
    ) -> impl Future<Output = Result<Applied>> + Send;
    /// The roster as stored, in one snapshot.
    fn load_roster(&self) -> impl Future<Output = Result<Current>> + Send;
    /// Keeps an upload for its "Áp dụng" (and forgets those older than a day).
    fn save_upload(&self, upload: Upload) -> impl Future<Output = Result<()>> + Send;
    fn upload(&self, id: String) -> impl Future<Output = Result<Option<Upload>>> + Send;
    /// The change log of the subtrees overlapping `unit`'s, newest first.
    fn roster_changes(
        &self,
        unit: UnitCode,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ChangeEntry>>> + Send;
    /// A logged change, the roster of its scope before it, and its scope's path.
    fn roster_before(&self, id: i64) -> impl Future<Output = Result<Option<Before>>> + Send;
    /// The path of a unit (`/TU/DB1/`), active or not.
    fn unit_path(&self, unit: UnitCode) -> impl Future<Output = Result<Option<String>>> + Send;
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
    ) -> impl Future<Output = Result<()>> + Send {
        self.create_admin_named(unit, None, token_hash, now)
    }
    /// An admin token with the name of the person it is given to (shown in the change log).
    fn create_admin_named(
        &self,
        unit: UnitCode,
        name: Option<String>,
        token_hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    fn admin_for_token(
        &self,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Option<UnitCode>>> + Send;
    /// An admin token's unit, name and short id.
    fn admin_info(
        &self,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Option<AdminInfo>>> + Send;
    /// A token for `unit` given to `holder`, made by admin `by` (its id and unit; `None`: the
    /// command line), logged; `Invalid(OUTSIDE_SCOPE)` if `unit` is not in `by`'s subtree.
    fn create_admin_token(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        holder: String,
        by: Option<Issuer>,
        now: i64,
    ) -> impl Future<Output = Result<AdminToken>> + Send;
    /// The admin tokens of `scope`'s subtree (newest first) and their log (newest first).
    fn admin_tokens(&self, scope: UnitCode) -> impl Future<Output = Result<TokenList>> + Send;
    /// Revokes token `id` if it belongs to `scope`'s subtree (`None` otherwise, or if unknown),
    /// logged as done by `by`; revoking a revoked token changes nothing.
    fn revoke_admin_token(
        &self,
        id: String,
        scope: UnitCode,
        by: Issuer,
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
    ) -> impl Future<Output = Result<MonthRecord>> + Send;
    /// A cell (its name) and its active members, with how many of `docs` each has read.
    fn cell_roster(
        &self,
        cell: UnitCode,
        docs: Vec<String>,
    ) -> impl Future<Output = Result<CellRoster>> + Send;
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
