//! Choosing the database: `--db sqlite://PATH` (embedded, the default) or
//! `--db postgres://...`, and [`Db`], the one store type the server runs on, which hands each
//! operation to the backend the URL named.

use crate::model::{CardNumber, Month, UnitCode};
use crate::notice_db::{NewNotice, Notice, NoticeRow};
use crate::pg::Postgres;
use crate::push_db::PushSubscription;
use crate::roster::Roster;
use crate::store::{
    CellRef, Changes, Feedback, ImportSummary, Loaded, Meeting, MemberRef, NewEvent, NewMeeting,
    Registration, Result, RosterEntry, Schedule, Sqlite, Storage, Stored,
};
use std::path::PathBuf;

/// Where data lives: `sqlite://PATH` (or a plain path), or `postgres://user:pass@host/db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    pub fn parse(s: &str) -> std::result::Result<DbUrl, String> {
        if let Some(p) = s.strip_prefix("sqlite://") {
            if p.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/sotay.db".into());
            }
            Ok(DbUrl::Sqlite(PathBuf::from(p)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            s.parse::<tokio_postgres::Config>()
                .map_err(|e| format!("bad PostgreSQL URL \"{}\": {e}", redact(s)))?;
            Ok(DbUrl::Postgres(s.to_string()))
        } else if s.contains("://") {
            Err(format!(
                "unknown database URL \"{}\": use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB",
                redact(s)
            ))
        } else {
            Ok(DbUrl::Sqlite(PathBuf::from(s)))
        }
    }

    /// Opens the database, creating or migrating its schema.
    pub async fn open(&self) -> std::result::Result<Db, String> {
        match self {
            DbUrl::Sqlite(p) => Sqlite::open(p).map(Db::Sqlite).map_err(|e| e.to_string()),
            DbUrl::Postgres(u) => Postgres::open(u)
                .await
                .map(Db::Postgres)
                .map_err(|e| format!("{}: {e}", redact(u))),
        }
    }
}

impl std::fmt::Display for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DbUrl::Postgres(u) => f.write_str(&redact(u)),
        }
    }
}

/// A URL with its password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or("");
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_string(),
    }
}

/// The database the server runs on.
pub enum Db {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

macro_rules! both {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Db::Sqlite($s) => $e.await,
            Db::Postgres($s) => $e.await,
        }
    };
}

impl Storage for Db {
    async fn import_roster(&self, roster: Roster, now: i64) -> Result<ImportSummary> {
        both!(self, s => s.import_roster(roster, now))
    }
    async fn roster_is_empty(&self) -> Result<bool> {
        both!(self, s => s.roster_is_empty())
    }
    async fn register(&self, reg: Registration, now: i64) -> Result<Option<MemberRef>> {
        both!(self, s => s.register(reg, now))
    }
    async fn member_for_token(&self, token_hash: Vec<u8>) -> Result<Option<MemberRef>> {
        both!(self, s => s.member_for_token(token_hash))
    }
    async fn append_events(
        &self,
        member: MemberRef,
        events: Vec<NewEvent>,
        now: i64,
    ) -> Result<Vec<Stored>> {
        both!(self, s => s.append_events(member, events, now))
    }
    async fn create_admin(&self, unit: UnitCode, token_hash: Vec<u8>, now: i64) -> Result<()> {
        both!(self, s => s.create_admin(unit, token_hash, now))
    }
    async fn admin_for_token(&self, token_hash: Vec<u8>) -> Result<Option<UnitCode>> {
        both!(self, s => s.admin_for_token(token_hash))
    }
    async fn create_admin_token(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        holder: String,
        by: Option<(String, UnitCode)>,
        now: i64,
    ) -> Result<crate::store::AdminToken> {
        both!(self, s => s.create_admin_token(unit, token_hash, holder, by, now))
    }
    async fn admin_tokens(
        &self,
        scope: UnitCode,
    ) -> Result<(
        Vec<crate::store::AdminToken>,
        Vec<crate::store::AdminLogEntry>,
    )> {
        both!(self, s => s.admin_tokens(scope))
    }
    async fn revoke_admin_token(
        &self,
        id: String,
        scope: UnitCode,
        by: (String, UnitCode),
        now: i64,
    ) -> Result<Option<crate::store::AdminToken>> {
        both!(self, s => s.revoke_admin_token(id, scope, by, now))
    }
    async fn roster_version(&self) -> Result<i64> {
        both!(self, s => s.roster_version())
    }
    async fn load_reports(&self) -> Result<Loaded> {
        both!(self, s => s.load_reports())
    }
    async fn changes(&self, mark: String) -> Result<Changes> {
        both!(self, s => s.changes(mark))
    }
    fn shared(&self) -> bool {
        match self {
            Db::Sqlite(s) => s.shared(),
            Db::Postgres(p) => p.shared(),
        }
    }
    async fn take_shared_token(
        &self,
        key: String,
        burst: f64,
        per_sec: f64,
    ) -> Result<std::result::Result<(), u64>> {
        both!(self, s => s.take_shared_token(key, burst, per_sec))
    }
    async fn feedback(
        &self,
        unit: UnitCode,
        from: String,
        to: String,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        both!(self, s => s.feedback(unit, from, to, limit))
    }
    fn queue_depth(&self) -> usize {
        match self {
            Db::Sqlite(s) => s.queue_depth(),
            Db::Postgres(p) => p.queue_depth(),
        }
    }
    async fn put_meeting(&self, m: NewMeeting, now: i64) -> Result<Meeting> {
        both!(self, s => s.put_meeting(m, now))
    }
    async fn put_schedule(
        &self,
        cell: UnitCode,
        month: Month,
        starts_at: String,
        place: String,
        by: CardNumber,
        now: i64,
    ) -> Result<Schedule> {
        both!(self, s => s.put_schedule(cell, month, starts_at, place, by, now))
    }
    async fn meeting(
        &self,
        cell: UnitCode,
        month: Month,
    ) -> Result<(Option<Meeting>, Option<Schedule>)> {
        both!(self, s => s.meeting(cell, month))
    }
    async fn cell_roster(
        &self,
        cell: UnitCode,
        docs: Vec<String>,
    ) -> Result<(CellRef, Vec<RosterEntry>)> {
        both!(self, s => s.cell_roster(cell, docs))
    }
    async fn cell_size(&self, cell: UnitCode) -> Result<u32> {
        both!(self, s => s.cell_size(cell))
    }
    async fn post_notice(&self, n: NewNotice, now: i64) -> Result<Notice> {
        both!(self, s => s.post_notice(n, now))
    }
    async fn notice(&self, id: String) -> Result<Option<NoticeRow>> {
        both!(self, s => s.notice(id))
    }
    async fn withdraw_notice(&self, id: String, now: i64) -> Result<bool> {
        both!(self, s => s.withdraw_notice(id, now))
    }
    async fn member_notices(
        &self,
        card: CardNumber,
        unit: UnitCode,
        today: Option<String>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>> {
        both!(self, s => s.member_notices(card, unit, today, limit))
    }
    async fn unit_notices(&self, unit: UnitCode, limit: usize) -> Result<Vec<NoticeRow>> {
        both!(self, s => s.unit_notices(unit, limit))
    }
    async fn notice_reply_counts(
        &self,
        unit: UnitCode,
        notices: Vec<String>,
    ) -> Result<std::collections::HashMap<String, u64>> {
        both!(self, s => s.notice_reply_counts(unit, notices))
    }
    async fn notice_replies(
        &self,
        unit: UnitCode,
        notice: String,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        both!(self, s => s.notice_replies(unit, notice, limit))
    }
    async fn push_key(&self, generated: String, now: i64) -> Result<String> {
        both!(self, s => s.push_key(generated, now))
    }
    async fn push_subscribe(
        &self,
        card: CardNumber,
        sub: PushSubscription,
        now: i64,
    ) -> Result<()> {
        both!(self, s => s.push_subscribe(card, sub, now))
    }
    async fn push_unsubscribe(&self, card: CardNumber, endpoint: String) -> Result<bool> {
        both!(self, s => s.push_unsubscribe(card, endpoint))
    }
    async fn push_subscriptions(&self, unit: UnitCode) -> Result<Vec<PushSubscription>> {
        both!(self, s => s.push_subscriptions(unit))
    }
    async fn push_gone(&self, endpoint: String) -> Result<()> {
        both!(self, s => s.push_gone(endpoint))
    }
}
