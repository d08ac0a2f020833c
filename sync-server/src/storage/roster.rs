//! The roster, on either database: reading it as a [`Current`] (one
//! snapshot), applying a roster change in one transaction (whole imports and subtree updates
//! alike: the plan is computed again inside the transaction, under a lock, and written with the
//! move records, the change log entry and the state before), uploads waiting for "Áp dụng",
//! and the change log.
//!
//! Two admins applying at once: on SQLite one writer thread makes every change wait for the
//! one before; on PostgreSQL the change takes the `roster_version` row `FOR UPDATE` first, so
//! changes from any instance run one after the other, and each sees what the previous one
//! committed. Whichever comes second finds the first in the log (`roster_changes` since its
//! preview's version) and is refused if their subtrees overlap.

use super::sql::{one, opt, rows, Array, Conn, Dialect, Row};
use super::{day_of, rfc3339_vn, Before, Result, StoreError};
use crate::model::{CardNumber, MemberStatus, Role, UnitCode, UnitKind};
use crate::roster::update::{
    pack, plan_change, scope_path, unpack, ChangeKind, Counts, Current, Logged, PlacedUnit, Plan,
    RosterChange,
};
use crate::roster::{Member, Parsed, Unit};
use serde::Serialize;
use std::collections::HashSet;

/// What an applied change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub id: i64,
    pub version: i64,
    pub scope: UnitCode,
    /// Unix seconds.
    pub at: i64,
    pub counts: Counts,
}

/// An entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeEntry {
    pub id: i64,
    pub version: i64,
    pub unit_code: String,
    pub whole: bool,
    pub who: String,
    pub source: String,
    /// RFC 3339, Vietnam's time.
    pub at: String,
    pub counts: Counts,
}

/// An upload waiting for "Áp dụng".
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub unit: UnitCode,
    /// Who uploaded it (the admin's label).
    pub admin: String,
    pub file_name: String,
    pub created_at: i64,
    pub base_version: i64,
    pub fingerprint: String,
    pub parsed: Parsed,
    pub applied_change: Option<i64>,
}

/// An admin token's unit, its holder's name if one was given, and a short id to tell tokens
/// apart in the change log (the first bytes of the token's hash, never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminInfo {
    pub unit: UnitCode,
    pub name: Option<String>,
    pub id: String,
}

/// Uploads not applied are kept this long.
pub const UPLOAD_TTL: i64 = 24 * 3600;

pub fn token_id(hash: &[u8]) -> String {
    hash.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

fn bad(what: &str) -> StoreError {
    StoreError::Unavailable(format!("bad {what} in the database"))
}

/// The columns [`unit`] reads.
const UNIT_COLS: &str = "code, name, parent_code, kind";

fn unit(r: &dyn Row) -> Result<Unit> {
    let of = || -> Option<Unit> {
        Some(Unit {
            code: UnitCode::parse(r.str(0).ok()?)?,
            name: r.text(1).ok()?,
            parent: match r.opt_str(2).ok()? {
                Some(p) => Some(UnitCode::parse(p)?),
                None => None,
            },
            kind: UnitKind::parse(r.str(3).ok()?)?,
        })
    };
    of().ok_or_else(|| bad("unit"))
}

/// The columns [`member`] reads.
const MEMBER_COLS: &str =
    "card_number, full_name, birth_date, unit_code, status, role, smartphone, smartphone_answered";

fn member(r: &dyn Row) -> Result<Member> {
    let of = || -> Option<Member> {
        Some(Member {
            card: CardNumber::parse(r.str(0).ok()?)?,
            full_name: r.text(1).ok()?,
            birth_date: crate::model::parse_date(r.str(2).ok()?)?,
            unit: UnitCode::parse(r.str(3).ok()?)?,
            status: MemberStatus::parse(r.str(4).ok()?)?,
            role: Role::parse(r.str(5).ok()?)?,
            smartphone: r.flag(7).ok()?.then_some(r.flag(6).ok()?),
        })
    };
    of().ok_or_else(|| bad("member"))
}

fn counts_json(c: &Counts) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// The columns [`entry`] reads, from `roster_changes`.
const ENTRY_COLS: &str = "id, version, unit_code, whole, who, source, at, counts";

fn entry(r: &dyn Row) -> Result<ChangeEntry> {
    Ok(ChangeEntry {
        id: r.int(0)?,
        version: r.int(1)?,
        unit_code: r.text(2)?,
        whole: r.flag(3)?,
        who: r.text(4)?,
        source: r.text(5)?,
        at: rfc3339_vn(r.int(6)?),
        counts: serde_json::from_str(r.str(7)?).unwrap_or_default(),
    })
}

/// The roster version: it changes with every roster change, so that derived data can be
/// rebuilt.
pub async fn version<C: Conn + ?Sized>(c: &C) -> Result<i64> {
    one(
        c,
        "SELECT value FROM meta WHERE key = 'roster_version'",
        &[],
        |r| r.int(0),
    )
    .await
}

/// Whether no member was ever imported.
pub async fn is_empty<C: Conn + ?Sized>(c: &C) -> Result<bool> {
    Ok(one(
        c,
        "SELECT count(*) FROM (SELECT 1 FROM members LIMIT 1) x",
        &[],
        |r| r.int(0),
    )
    .await?
        == 0)
}

/// The roster as stored (the caller gives the snapshot: a transaction).
pub async fn current<C: Conn + ?Sized>(c: &C) -> Result<Current> {
    let version = version(c).await?;
    let units = rows(
        c,
        &format!("SELECT {UNIT_COLS} FROM units WHERE active ORDER BY path"),
        &[],
        unit,
    )
    .await?;
    let members = rows(
        c,
        &format!("SELECT {MEMBER_COLS} FROM members WHERE active ORDER BY unit_code, card_number"),
        &[],
        member,
    )
    .await?;
    let mut registered = HashSet::new();
    c.each("SELECT DISTINCT card_number FROM devices", &[], &mut |r| {
        if let Some(card) = CardNumber::parse(r.str(0)?) {
            registered.insert(card);
        }
        Ok(())
    })
    .await?;
    Ok(Current::new(version, units, members, registered))
}

/// Applies `change` in the transaction `c` is: on PostgreSQL the roster version's row is
/// locked first, so changes from every instance run one at a time (on SQLite the one writer
/// does that).
pub async fn apply<C: Conn + ?Sized>(c: &C, change: &RosterChange, now: i64) -> Result<Applied> {
    if c.dialect() == Dialect::Postgres {
        c.exec(
            "SELECT value FROM meta WHERE key = 'roster_version' FOR UPDATE",
            &[],
        )
        .await?;
    }
    let since = match &change.kind {
        ChangeKind::Subtree {
            base_version,
            upload,
            ..
        } => claim_upload(c, upload, *base_version).await?,
        ChangeKind::Whole(_) => Vec::new(),
    };
    let current = current(c).await?;
    let plan = plan_change(&current, &change.kind, &since).map_err(StoreError::Conflict)?;
    let path = scope_path(&current, &plan);
    let before = pack(&plan.before).map_err(StoreError::Unavailable)?;
    match c.dialect() {
        Dialect::Sqlite => write_rows(c, &plan, now).await?,
        Dialect::Postgres => write_arrays(c, &plan, now).await?,
    }
    let version = one(
        c,
        "UPDATE meta SET value = value + 1 WHERE key = 'roster_version' RETURNING value",
        &[],
        |r| r.int(0),
    )
    .await?;
    let id = one(
        c,
        "INSERT INTO roster_changes (version, unit_code, scope_path, whole, who, source, at, counts, before) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        &[&version, &plan.scope.as_str(), &path, &plan.whole, &change.who, &change.source, &now, &counts_json(&plan.counts), &before],
        |r| r.int(0),
    )
    .await?;
    write_moves(c, &plan, id, now).await?;
    if let ChangeKind::Subtree { upload, .. } = &change.kind {
        c.exec(
            "UPDATE roster_uploads SET applied_change = ?2 WHERE id = ?1",
            &[upload, &id],
        )
        .await?;
    }
    Ok(Applied {
        id,
        version,
        scope: plan.scope.clone(),
        at: now,
        counts: plan.counts,
    })
}

/// Marks an upload as being applied (`Conflict` if it was, or is gone) and gives the changes
/// logged since the version it was previewed against.
async fn claim_upload<C: Conn + ?Sized>(
    c: &C,
    upload: &str,
    base_version: i64,
) -> Result<Vec<Logged>> {
    let n = c
        .exec(
            "UPDATE roster_uploads SET applied_change = -1 WHERE id = ?1 AND applied_change IS NULL",
            &[&upload],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "tệp này đã được áp dụng, hoặc không còn: hãy tải tệp lên lại".into(),
        ));
    }
    rows(
        c,
        "SELECT version, scope_path, who, at FROM roster_changes WHERE version > ?1",
        &[&base_version],
        |r| {
            Ok(Logged {
                version: r.int(0)?,
                scope_path: r.text(1)?,
                who: r.text(2)?,
                at: r.int(3)?,
            })
        },
    )
    .await
}

const UNIT_UPSERT: &str = "ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, kind = excluded.kind, path = excluded.path, depth = excluded.depth, active = true";
const MEMBER_UPSERT: &str = "ON CONFLICT (card_number) DO UPDATE SET full_name = excluded.full_name, name_key = excluded.name_key, birth_date = excluded.birth_date, unit_code = excluded.unit_code, status = excluded.status, role = excluded.role, smartphone = excluded.smartphone, smartphone_answered = excluded.smartphone_answered, active = true, updated_at = excluded.updated_at";

/// The plan's units and members, a row a statement (SQLite: statements are cheap, in process).
async fn write_rows<C: Conn + ?Sized>(c: &C, plan: &Plan, now: i64) -> Result<()> {
    let units = format!("INSERT INTO units (code, name, parent_code, kind, path, depth, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1) {UNIT_UPSERT}");
    for PlacedUnit {
        unit: u,
        path,
        depth,
    } in &plan.units
    {
        let parent = u.parent.as_ref().map(|p| p.as_str());
        c.exec(
            &units,
            &[
                &u.code.as_str(),
                &u.name,
                &parent,
                &u.kind.as_str(),
                path,
                depth,
            ],
        )
        .await?;
    }
    for u in &plan.units_removed {
        c.exec(
            "UPDATE units SET active = false WHERE code = ?1",
            &[&u.code.as_str()],
        )
        .await?;
    }
    let members = format!("INSERT INTO members (card_number, full_name, name_key, birth_date, unit_code, status, role, smartphone, smartphone_answered, active, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10) {MEMBER_UPSERT}");
    for m in plan.upserts() {
        c.exec(
            &members,
            &[
                &m.card.as_str(),
                &m.full_name,
                &crate::model::name_key(&m.full_name),
                &crate::model::format_date(m.birth_date),
                &m.unit.as_str(),
                &m.status.as_str(),
                &m.role.as_str(),
                &m.has_smartphone(),
                &m.smartphone.is_some(),
                &now,
            ],
        )
        .await?;
    }
    for m in &plan.removed {
        c.exec(
            "UPDATE members SET active = false, updated_at = ?2 WHERE card_number = ?1",
            &[&m.card.as_str(), &now],
        )
        .await?;
    }
    Ok(())
}

/// The plan's units and members, [`super::sql::CHUNK`] rows a statement (PostgreSQL:
/// each statement is a round trip).
async fn write_arrays<C: Conn + ?Sized>(c: &C, plan: &Plan, now: i64) -> Result<()> {
    use super::sql::CHUNK;
    for chunk in plan.units.chunks(CHUNK) {
        let col =
            |f: &dyn Fn(&PlacedUnit) -> String| Array::new(chunk.iter().map(f).collect::<Vec<_>>());
        let parents = Array::new(
            chunk
                .iter()
                .map(|pu| pu.unit.parent.as_ref().map(|p| p.to_string()))
                .collect::<Vec<_>>(),
        );
        let depths = Array::new(chunk.iter().map(|pu| pu.depth as i32).collect::<Vec<_>>());
        c.exec(
            &format!("INSERT INTO units (code, name, parent_code, kind, path, depth, active)
             SELECT *, true FROM unnest(?1::text[], ?2::text[], ?3::text[], ?4::text[], ?5::text[], ?6::int[])
             {UNIT_UPSERT}"),
            &[
                &col(&|pu| pu.unit.code.to_string()),
                &col(&|pu| pu.unit.name.clone()),
                &parents,
                &col(&|pu| pu.unit.kind.as_str().to_string()),
                &col(&|pu| pu.path.clone()),
                &depths,
            ],
        )
        .await?;
    }
    let gone = plan.units_removed.iter().map(|u| u.code.to_string());
    c.exec(
        "UPDATE units SET active = false WHERE code = ANY(?1)",
        &[&Array::new(gone.collect::<Vec<_>>())],
    )
    .await?;
    let upserts: Vec<&Member> = plan.upserts().collect();
    for chunk in upserts.chunks(CHUNK) {
        let col = |f: &dyn Fn(&Member) -> String| {
            Array::new(chunk.iter().map(|m| f(m)).collect::<Vec<_>>())
        };
        let flag = |f: &dyn Fn(&Member) -> bool| {
            Array::new(chunk.iter().map(|m| f(m)).collect::<Vec<_>>())
        };
        c.exec(
            &format!("INSERT INTO members (card_number, full_name, name_key, birth_date, unit_code, status, role, smartphone, smartphone_answered, active, updated_at)
             SELECT c, n, k, b, u, s, r, p, a, true, ?10 FROM unnest(?1::text[], ?2::text[], ?3::text[], ?4::text[], ?5::text[], ?6::text[], ?7::text[], ?8::bool[], ?9::bool[]) AS t(c, n, k, b, u, s, r, p, a)
             {MEMBER_UPSERT}"),
            &[
                &col(&|m| m.card.to_string()),
                &col(&|m| m.full_name.clone()),
                &col(&|m| crate::model::name_key(&m.full_name)),
                &col(&|m| crate::model::format_date(m.birth_date)),
                &col(&|m| m.unit.to_string()),
                &col(&|m| m.status.as_str().to_string()),
                &col(&|m| m.role.as_str().to_string()),
                &flag(&|m| m.has_smartphone()),
                &flag(&|m| m.smartphone.is_some()),
                &now,
            ],
        )
        .await?;
    }
    for chunk in plan.removed.chunks(CHUNK) {
        let cards = Array::new(chunk.iter().map(|m| m.card.to_string()).collect::<Vec<_>>());
        c.exec(
            "UPDATE members SET active = false, updated_at = ?2 WHERE card_number = ANY(?1)",
            &[&cards, &now],
        )
        .await?;
    }
    Ok(())
}

/// The plan's moves between cells, counted from today (in reports) and logged with change `id`.
async fn write_moves<C: Conn + ?Sized>(c: &C, plan: &Plan, id: i64, now: i64) -> Result<()> {
    let day = day_of(now);
    if c.dialect() == Dialect::Sqlite {
        for m in &plan.moved {
            c.exec(
                "INSERT INTO member_moves (card_number, day, from_unit, to_unit, change_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[&m.after.card.as_str(), &day, &m.before.unit.as_str(), &m.after.unit.as_str(), &id, &now],
            )
            .await?;
        }
        return Ok(());
    }
    for chunk in plan.moved.chunks(super::sql::CHUNK) {
        let cards = Array::new(
            chunk
                .iter()
                .map(|m| m.after.card.to_string())
                .collect::<Vec<_>>(),
        );
        let from = Array::new(
            chunk
                .iter()
                .map(|m| m.before.unit.to_string())
                .collect::<Vec<_>>(),
        );
        let to = Array::new(
            chunk
                .iter()
                .map(|m| m.after.unit.to_string())
                .collect::<Vec<_>>(),
        );
        c.exec(
            "INSERT INTO member_moves (card_number, day, from_unit, to_unit, change_id, at)
             SELECT c, ?4, f, t, ?5, ?6 FROM unnest(?1::text[], ?2::text[], ?3::text[]) AS x(c, f, t)",
            &[&cards, &from, &to, &day, &id, &now],
        )
        .await?;
    }
    Ok(())
}

/// Keeps an upload for its "Áp dụng", and forgets those older than [`UPLOAD_TTL`].
pub async fn save_upload<C: Conn + ?Sized>(c: &C, u: &Upload) -> Result<()> {
    let data = pack(&u.parsed).map_err(StoreError::Unavailable)?;
    c.exec(
        "DELETE FROM roster_uploads WHERE created_at < ?1",
        &[&(u.created_at - UPLOAD_TTL)],
    )
    .await?;
    c.exec(
        "INSERT INTO roster_uploads (id, unit_code, admin, file_name, created_at, base_version, fingerprint, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[&u.id, &u.unit.as_str(), &u.admin, &u.file_name, &u.created_at, &u.base_version, &u.fingerprint, &data],
    )
    .await?;
    Ok(())
}

/// An upload by id.
pub async fn upload<C: Conn + ?Sized>(c: &C, id: &str) -> Result<Option<Upload>> {
    opt(
        c,
        "SELECT id, unit_code, admin, file_name, created_at, base_version, fingerprint, data, applied_change FROM roster_uploads WHERE id = ?1",
        &[&id],
        |r| {
            Ok(Upload {
                id: r.text(0)?,
                unit: UnitCode::parse(r.str(1)?).ok_or_else(|| bad("upload"))?,
                admin: r.text(2)?,
                file_name: r.text(3)?,
                created_at: r.int(4)?,
                base_version: r.int(5)?,
                fingerprint: r.text(6)?,
                parsed: unpack(&r.bytes(7)?).map_err(StoreError::Unavailable)?,
                applied_change: r.opt_int(8)?,
            })
        },
    )
    .await
}

/// The changes whose scope overlaps `unit`'s subtree (above it or in it), newest first.
pub async fn changes<C: Conn + ?Sized>(
    c: &C,
    unit: &str,
    limit: usize,
) -> Result<Vec<ChangeEntry>> {
    let Some(path) = path(c, unit).await? else {
        return Ok(Vec::new());
    };
    let overlaps = c.dialect().pick(
        "substr(?1, 1, length(scope_path)) = scope_path OR substr(scope_path, 1, length(?1)) = ?1",
        "starts_with(?1, scope_path) OR starts_with(scope_path, ?1)",
    );
    rows(
        c,
        &format!(
            "SELECT {ENTRY_COLS} FROM roster_changes WHERE {overlaps} ORDER BY id DESC LIMIT ?2"
        ),
        &[&path, &(limit as i64)],
        entry,
    )
    .await
}

/// A logged change, the roster of its scope before it, and its scope's path.
pub async fn before<C: Conn + ?Sized>(c: &C, id: i64) -> Result<Option<Before>> {
    opt(
        c,
        &format!("SELECT {ENTRY_COLS}, before, scope_path FROM roster_changes WHERE id = ?1"),
        &[&id],
        |r| {
            Ok(Before {
                entry: entry(r)?,
                roster: unpack(&r.bytes(8)?).map_err(StoreError::Unavailable)?,
                scope_path: r.text(9)?,
            })
        },
    )
    .await
}

/// The path of a unit (`/TU/DB1/`), active or not.
pub async fn path<C: Conn + ?Sized>(c: &C, unit: &str) -> Result<Option<String>> {
    opt(c, "SELECT path FROM units WHERE code = ?1", &[&unit], |r| {
        r.text(0)
    })
    .await
}
