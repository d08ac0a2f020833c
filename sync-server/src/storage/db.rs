//! Choosing the database: `--db sqlite://PATH` (embedded, the default) or
//! `--db postgres://...`, and [`Db`], the one store the server runs on: it implements
//! [`Storage`] by running each shared operation on the engine the URL named — on SQLite on a
//! reader or in the writer's next group transaction, on PostgreSQL on a pooled client or in a
//! transaction of its own (retried on deadlock).

use super::admin::{self, NewToken};
use super::meetings::{self, NewSchedule};
use super::notices::{self, NewNotice, Notice, NoticeRow};
use super::postgres::Postgres;
use super::push::{self, PushSubscription};
use super::roster::{self, AdminInfo, Applied, ChangeEntry, Upload};
use super::sql::at_once;
use super::sqlite::Sqlite;
use super::{
    feedback, members, Before, CellRoster, Changes, Feedback, Issuer, Loaded, Meeting, MemberRef,
    MonthRecord, NewEvent, NewMeeting, Registration, Result, Schedule, Storage, StoreError, Stored,
    TokenList,
};
use crate::model::{CardNumber, Month, UnitCode};
use crate::roster::update::{Current, RosterChange};
use std::collections::HashMap;
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

/// Runs a shared operation on a reading connection: `read!(self, |c| op(c, ...))`.
macro_rules! read {
    ($db:expr, |$c:ident| $op:expr) => {
        match $db {
            Db::Sqlite(s) => s.read(move |$c| at_once($op)).await,
            Db::Postgres(p) => {
                let client = p.client().await?;
                let $c: &tokio_postgres::Client = &client;
                $op.await
            }
        }
    };
}

/// Runs a shared operation as a write: `write!(self, (args...), |c| op(c, ...))`, where the
/// operation sees each argument as a reference. On SQLite the arguments move into the writer's
/// job; on PostgreSQL each attempt of the transaction borrows them (it may be retried).
macro_rules! write {
    ($db:expr, ($($arg:ident),*), |$c:ident| $op:expr) => {
        match $db {
            Db::Sqlite(s) => s
                .write(move |$c| {
                    $(let $arg = &$arg;)*
                    at_once($op)
                })
                .await,
            Db::Postgres(p) => {
                p.write(&($($arg,)*), |$c, ($($arg,)*)| Box::pin(async move { $op.await }))
                    .await
            }
        }
    };
}

impl Storage for Db {
    async fn change_roster(&self, change: RosterChange, now: i64) -> Result<Applied> {
        write!(self, (change), |c| roster::apply(c, change, now))
    }
    async fn load_roster(&self) -> Result<Current> {
        match self {
            Db::Sqlite(s) => s.load_roster().await,
            Db::Postgres(p) => p.load_roster().await,
        }
    }
    async fn save_upload(&self, upload: Upload) -> Result<()> {
        write!(self, (upload), |c| roster::save_upload(c, upload))
    }
    async fn upload(&self, id: String) -> Result<Option<Upload>> {
        read!(self, |c| roster::upload(c, &id))
    }
    async fn roster_changes(&self, unit: UnitCode, limit: usize) -> Result<Vec<ChangeEntry>> {
        read!(self, |c| roster::changes(c, unit.as_str(), limit))
    }
    async fn roster_before(&self, id: i64) -> Result<Option<Before>> {
        read!(self, |c| roster::before(c, id))
    }
    async fn unit_path(&self, unit: UnitCode) -> Result<Option<String>> {
        read!(self, |c| roster::path(c, unit.as_str()))
    }
    async fn admin_info(&self, token_hash: Vec<u8>) -> Result<Option<AdminInfo>> {
        read!(self, |c| admin::info(c, &token_hash))
    }
    async fn roster_is_empty(&self) -> Result<bool> {
        read!(self, |c| roster::is_empty(c))
    }
    async fn register(&self, reg: Registration, now: i64) -> Result<Option<MemberRef>> {
        write!(self, (reg), |c| members::register(c, reg, now))
    }
    async fn member_for_token(&self, token_hash: Vec<u8>) -> Result<Option<MemberRef>> {
        read!(self, |c| members::for_token(c, &token_hash))
    }
    async fn append_events(
        &self,
        member: MemberRef,
        events: Vec<NewEvent>,
        now: i64,
    ) -> Result<Vec<Stored>> {
        match self {
            Db::Sqlite(s) => s.append_events(member, events, now).await,
            Db::Postgres(p) => p.append_events(&member, &events, now).await,
        }
    }
    async fn create_admin_named(
        &self,
        unit: UnitCode,
        name: Option<String>,
        token_hash: Vec<u8>,
        now: i64,
    ) -> Result<()> {
        write!(self, (unit, name, token_hash), |c| async {
            let t = NewToken {
                unit: unit.as_str(),
                hash: token_hash,
                holder: name.as_deref(),
                by: None,
            };
            admin::create(c, &t, now).await
        })
    }
    async fn admin_for_token(&self, token_hash: Vec<u8>) -> Result<Option<UnitCode>> {
        read!(self, |c| admin::unit_of(c, &token_hash))
    }
    async fn create_admin_token(
        &self,
        unit: UnitCode,
        token_hash: Vec<u8>,
        holder: String,
        by: Option<Issuer>,
        now: i64,
    ) -> Result<super::AdminToken> {
        write!(self, (unit, token_hash, holder, by), |c| async {
            let t = NewToken {
                unit: unit.as_str(),
                hash: token_hash,
                holder: Some(holder.as_str()),
                by: by.as_ref(),
            };
            admin::create_in_scope(c, &t, now).await
        })
    }
    async fn admin_tokens(&self, scope: UnitCode) -> Result<TokenList> {
        read!(self, |c| admin::list(c, scope.as_str()))
    }
    async fn revoke_admin_token(
        &self,
        id: String,
        scope: UnitCode,
        by: Issuer,
        now: i64,
    ) -> Result<Option<super::AdminToken>> {
        write!(self, (id, scope, by), |c| admin::revoke(
            c,
            id,
            scope.as_str(),
            by,
            now
        ))
    }
    async fn roster_version(&self) -> Result<i64> {
        read!(self, |c| roster::version(c))
    }
    async fn load_reports(&self) -> Result<Loaded> {
        match self {
            Db::Sqlite(s) => s.load_reports().await,
            Db::Postgres(p) => p.load_reports().await,
        }
    }
    async fn changes(&self, mark: String) -> Result<Changes> {
        match self {
            Db::Sqlite(_) => Err(StoreError::Unavailable(
                "this database has no change feed".into(),
            )),
            Db::Postgres(p) => p.changes(&mark).await,
        }
    }
    fn shared(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
    async fn take_shared_token(
        &self,
        key: String,
        burst: f64,
        per_sec: f64,
    ) -> Result<std::result::Result<(), u64>> {
        match self {
            Db::Sqlite(_) => Ok(Ok(())),
            Db::Postgres(p) => p.take_token(&key, burst, per_sec).await,
        }
    }
    async fn feedback(
        &self,
        unit: UnitCode,
        from: String,
        to: String,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        read!(self, |c| feedback::between(
            c,
            unit.as_str(),
            &from,
            &to,
            limit
        ))
    }
    fn queue_depth(&self) -> usize {
        match self {
            Db::Sqlite(s) => s.queue_depth(),
            Db::Postgres(p) => p.queue_depth(),
        }
    }
    async fn put_meeting(&self, m: NewMeeting, now: i64) -> Result<Meeting> {
        write!(self, (m), |c| meetings::put(c, m, now))
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
        let month = month.to_string();
        write!(self, (cell, month, starts_at, place, by), |c| async {
            let s = NewSchedule {
                cell: cell.as_str(),
                month,
                starts_at,
                place,
                by: by.as_str(),
            };
            meetings::put_schedule(c, &s, now).await
        })
    }
    async fn meeting(&self, cell: UnitCode, month: Month) -> Result<MonthRecord> {
        let month = month.to_string();
        read!(self, |c| meetings::month(c, cell.as_str(), &month))
    }
    async fn cell_roster(&self, cell: UnitCode, docs: Vec<String>) -> Result<CellRoster> {
        read!(self, |c| meetings::cell_roster(c, cell.as_str(), docs))
    }
    async fn cell_size(&self, cell: UnitCode) -> Result<u32> {
        read!(self, |c| meetings::cell_size(c, cell.as_str()))
    }
    async fn post_notice(&self, n: NewNotice, now: i64) -> Result<Notice> {
        write!(self, (n), |c| notices::post(c, n, now))
    }
    async fn notice(&self, id: String) -> Result<Option<NoticeRow>> {
        read!(self, |c| notices::one_notice(c, &id))
    }
    async fn withdraw_notice(&self, id: String, now: i64) -> Result<bool> {
        write!(self, (id), |c| notices::withdraw(c, id, now))
    }
    async fn member_notices(
        &self,
        card: CardNumber,
        unit: UnitCode,
        today: Option<String>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>> {
        read!(self, |c| notices::for_member(
            c,
            card.as_str(),
            unit.as_str(),
            today.as_deref(),
            limit
        ))
    }
    async fn unit_notices(&self, unit: UnitCode, limit: usize) -> Result<Vec<NoticeRow>> {
        read!(self, |c| notices::for_unit(c, unit.as_str(), limit))
    }
    async fn notice_reply_counts(
        &self,
        unit: UnitCode,
        notices: Vec<String>,
    ) -> Result<HashMap<String, u64>> {
        read!(self, |c| notices::reply_counts(c, unit.as_str(), &notices))
    }
    async fn notice_replies(
        &self,
        unit: UnitCode,
        notice: String,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        read!(self, |c| notices::replies(c, unit.as_str(), &notice, limit))
    }
    async fn push_key(&self, generated: String, now: i64) -> Result<String> {
        write!(self, (generated), |c| push::key(c, generated, now))
    }
    async fn push_subscribe(
        &self,
        card: CardNumber,
        sub: PushSubscription,
        now: i64,
    ) -> Result<()> {
        write!(self, (card, sub), |c| push::subscribe(
            c,
            card.as_str(),
            sub,
            now
        ))
    }
    async fn push_unsubscribe(&self, card: CardNumber, endpoint: String) -> Result<bool> {
        write!(self, (card, endpoint), |c| push::unsubscribe(
            c,
            card.as_str(),
            endpoint
        ))
    }
    async fn push_subscriptions(&self, unit: UnitCode) -> Result<Vec<PushSubscription>> {
        read!(self, |c| push::under(c, unit.as_str()))
    }
    async fn push_gone(&self, endpoint: String) -> Result<()> {
        write!(self, (endpoint), |c| push::gone(c, endpoint))
    }
}
