//! The roster in the database, for both backends: reading it as a [`Current`] (one
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

use crate::model::{CardNumber, MemberStatus, Role, UnitCode, UnitKind};
use crate::roster::update::{
    pack, plan_change, scope_path, unpack, ChangeKind, Counts, Current, Logged, Plan, RosterChange,
};
use crate::roster::{Member, Parsed, Roster, Unit};
use crate::store::{day_of, rfc3339_vn, Result, StoreError};
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

fn unit_of(code: &str, name: String, parent: Option<&str>, kind: &str) -> Option<Unit> {
    Some(Unit {
        code: UnitCode::parse(code)?,
        name,
        parent: match parent {
            Some(p) => Some(UnitCode::parse(p)?),
            None => None,
        },
        kind: UnitKind::parse(kind)?,
    })
}

#[allow(clippy::too_many_arguments)]
fn member_of(
    card: &str,
    name: String,
    birth: &str,
    unit: &str,
    status: &str,
    role: &str,
    smartphone: bool,
    answered: bool,
) -> Option<Member> {
    Some(Member {
        card: CardNumber::parse(card)?,
        full_name: name,
        birth_date: crate::model::parse_date(birth)?,
        unit: UnitCode::parse(unit)?,
        status: MemberStatus::parse(status)?,
        role: Role::parse(role)?,
        smartphone: answered.then_some(smartphone),
    })
}

fn counts_json(c: &Counts) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn entry(
    id: i64,
    version: i64,
    unit_code: String,
    whole: bool,
    who: String,
    source: String,
    at: i64,
    counts: &str,
) -> ChangeEntry {
    ChangeEntry {
        id,
        version,
        unit_code,
        whole,
        who,
        source,
        at: rfc3339_vn(at),
        counts: serde_json::from_str(counts).unwrap_or_default(),
    }
}

/// What every change writes besides the roster rows: (new version, the log entry's scope path,
/// the state before packed).
fn prepare(current: &Current, plan: &Plan) -> Result<(String, Vec<u8>)> {
    let before = pack(&plan.before).map_err(StoreError::Unavailable)?;
    Ok((scope_path(current, plan), before))
}

fn conflict(kind: &ChangeKind, since: &[Logged], current: &Current) -> Result<Plan> {
    plan_change(current, kind, since).map_err(StoreError::Conflict)
}

// ---- SQLite --------------------------------------------------------------------------------

pub mod sqlite {
    use super::*;
    use rusqlite::{params, Connection, OptionalExtension};

    /// The roster as stored (the caller gives the snapshot: a transaction).
    pub fn current(c: &Connection) -> Result<Current> {
        let version: i64 = c.query_row(
            "SELECT value FROM meta WHERE key = 'roster_version'",
            [],
            |r| r.get(0),
        )?;
        let mut units = Vec::new();
        let mut q = c.prepare(
            "SELECT code, name, parent_code, kind FROM units WHERE active = 1 ORDER BY path",
        )?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let parent: Option<String> = r.get(2)?;
            let u = unit_of(
                &r.get::<_, String>(0)?,
                r.get(1)?,
                parent.as_deref(),
                &r.get::<_, String>(3)?,
            )
            .ok_or_else(|| bad("unit"))?;
            units.push(u);
        }
        let mut members = Vec::new();
        let mut q = c.prepare("SELECT card_number, full_name, birth_date, unit_code, status, role, smartphone, smartphone_answered FROM members WHERE active = 1 ORDER BY unit_code, card_number")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let m = member_of(
                &r.get::<_, String>(0)?,
                r.get(1)?,
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(4)?,
                &r.get::<_, String>(5)?,
                r.get(6)?,
                r.get(7)?,
            )
            .ok_or_else(|| bad("member"))?;
            members.push(m);
        }
        let mut registered = HashSet::new();
        let mut q = c.prepare("SELECT DISTINCT card_number FROM devices")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(card) = CardNumber::parse(&r.get::<_, String>(0)?) {
                registered.insert(card);
            }
        }
        Ok(Current::new(version, units, members, registered))
    }

    fn since(c: &Connection, version: i64) -> Result<Vec<Logged>> {
        let mut q = c.prepare(
            "SELECT version, scope_path, who, at FROM roster_changes WHERE version > ?1",
        )?;
        let rows = q.query_map([version], |r| {
            Ok(Logged {
                version: r.get(0)?,
                scope_path: r.get(1)?,
                who: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Applies `change` inside the writer's transaction.
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    pub fn apply(c: &Connection, change: &RosterChange, now: i64) -> Result<Applied> {
        let current = current(c)?;
        let since = match &change.kind {
            ChangeKind::Subtree {
                base_version,
                upload,
                ..
            } => {
                let n = c.execute(
                    "UPDATE roster_uploads SET applied_change = -1 WHERE id = ?1 AND applied_change IS NULL",
                    [upload],
                )?;
                if n == 0 {
                    return Err(StoreError::Conflict(
                        "tệp này đã được áp dụng, hoặc không còn: hãy tải tệp lên lại".into(),
                    ));
                }
                since(c, *base_version)?
            }
            ChangeKind::Whole(_) => Vec::new(),
        };
        let plan = conflict(&change.kind, &since, &current)?;
        let (path, before) = prepare(&current, &plan)?;
        let day = day_of(now);
        {
            let mut up = c.prepare_cached("INSERT INTO units (code, name, parent_code, kind, path, depth, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, kind = excluded.kind, path = excluded.path, depth = excluded.depth, active = 1")?;
            for (u, path, depth) in &plan.units {
                up.execute(params![
                    u.code.as_str(),
                    u.name,
                    u.parent.as_ref().map(|p| p.as_str()),
                    u.kind.as_str(),
                    path,
                    depth
                ])?;
            }
            let mut off = c.prepare_cached("UPDATE units SET active = 0 WHERE code = ?1")?;
            for u in &plan.units_removed {
                off.execute([u.code.as_str()])?;
            }
            let mut up = c.prepare_cached("INSERT INTO members (card_number, full_name, name_key, birth_date, unit_code, status, role, smartphone, smartphone_answered, active, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10)
                ON CONFLICT(card_number) DO UPDATE SET full_name = excluded.full_name, name_key = excluded.name_key, birth_date = excluded.birth_date, unit_code = excluded.unit_code, status = excluded.status, role = excluded.role, smartphone = excluded.smartphone, smartphone_answered = excluded.smartphone_answered, active = 1, updated_at = excluded.updated_at")?;
            for m in plan.upserts() {
                up.execute(params![
                    m.card.as_str(),
                    m.full_name,
                    crate::model::name_key(&m.full_name),
                    crate::model::format_date(m.birth_date),
                    m.unit.as_str(),
                    m.status.as_str(),
                    m.role.as_str(),
                    m.has_smartphone(),
                    m.smartphone.is_some(),
                    now
                ])?;
            }
            let mut off = c.prepare_cached(
                "UPDATE members SET active = 0, updated_at = ?2 WHERE card_number = ?1",
            )?;
            for m in &plan.removed {
                off.execute(params![m.card.as_str(), now])?;
            }
        }
        c.execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'roster_version'",
            [],
        )?;
        let version: i64 = c.query_row(
            "SELECT value FROM meta WHERE key = 'roster_version'",
            [],
            |r| r.get(0),
        )?;
        c.execute(
            "INSERT INTO roster_changes (version, unit_code, scope_path, whole, who, source, at, counts, before) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![version, plan.scope.as_str(), path, plan.whole, change.who, change.source, now, counts_json(&plan.counts), before],
        )?;
        let id = c.last_insert_rowid();
        {
            let mut mv = c.prepare_cached("INSERT INTO member_moves (card_number, day, from_unit, to_unit, change_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for m in &plan.moved {
                mv.execute(params![
                    m.after.card.as_str(),
                    day,
                    m.before.unit.as_str(),
                    m.after.unit.as_str(),
                    id,
                    now
                ])?;
            }
        }
        if let ChangeKind::Subtree { upload, .. } = &change.kind {
            c.execute(
                "UPDATE roster_uploads SET applied_change = ?2 WHERE id = ?1",
                params![upload, id],
            )?;
        }
        Ok(Applied {
            id,
            version,
            scope: plan.scope.clone(),
            at: now,
            counts: plan.counts,
        })
    }

    pub fn save_upload(c: &Connection, u: &Upload) -> Result<()> {
        let data = pack(&u.parsed).map_err(StoreError::Unavailable)?;
        c.execute(
            "DELETE FROM roster_uploads WHERE created_at < ?1",
            [u.created_at - UPLOAD_TTL],
        )?;
        c.execute(
            "INSERT INTO roster_uploads (id, unit_code, admin, file_name, created_at, base_version, fingerprint, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![u.id, u.unit.as_str(), u.admin, u.file_name, u.created_at, u.base_version, u.fingerprint, data],
        )?;
        Ok(())
    }

    pub fn upload(c: &Connection, id: &str) -> Result<Option<Upload>> {
        let row = c
            .query_row(
                "SELECT id, unit_code, admin, file_name, created_at, base_version, fingerprint, data, applied_change FROM roster_uploads WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                        r.get::<_, Option<i64>>(8)?,
                    ))
                },
            )
            .optional()?;
        let Some((
            id,
            unit,
            admin,
            file_name,
            created_at,
            base_version,
            fingerprint,
            data,
            applied,
        )) = row
        else {
            return Ok(None);
        };
        Ok(Some(Upload {
            id,
            unit: UnitCode::parse(&unit).ok_or_else(|| bad("upload"))?,
            admin,
            file_name,
            created_at,
            base_version,
            fingerprint,
            parsed: unpack(&data).map_err(StoreError::Unavailable)?,
            applied_change: applied,
        }))
    }

    const ENTRY_COLS: &str = "id, version, unit_code, whole, who, source, at, counts";

    fn entry_row(r: &rusqlite::Row) -> rusqlite::Result<ChangeEntry> {
        Ok(entry(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            &r.get::<_, String>(7)?,
        ))
    }

    /// The changes whose scope overlaps `path`, newest first.
    pub fn changes(c: &Connection, path: &str, limit: usize) -> Result<Vec<ChangeEntry>> {
        let mut q = c.prepare(&format!(
            "SELECT {ENTRY_COLS} FROM roster_changes WHERE substr(?1, 1, length(scope_path)) = scope_path OR substr(scope_path, 1, length(?1)) = ?1 ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = q.query_map(params![path, limit as i64], entry_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn before(c: &Connection, id: i64) -> Result<Option<(ChangeEntry, Roster, String)>> {
        let row = c
            .query_row(
                &format!(
                    "SELECT {ENTRY_COLS}, before, scope_path FROM roster_changes WHERE id = ?1"
                ),
                [id],
                |r| {
                    Ok((
                        entry_row(r)?,
                        r.get::<_, Vec<u8>>(8)?,
                        r.get::<_, String>(9)?,
                    ))
                },
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((e, blob, path)) => Ok(Some((
                e,
                unpack(&blob).map_err(StoreError::Unavailable)?,
                path,
            ))),
        }
    }

    pub fn admin(c: &Connection, hash: &[u8]) -> Result<Option<AdminInfo>> {
        let row: Option<(String, Option<String>)> = c
            .query_row(
                "SELECT unit_code, holder FROM admin_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
                [hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(u, name)| {
            Some(AdminInfo {
                unit: UnitCode::parse(&u)?,
                name,
                id: token_id(hash),
            })
        }))
    }

    /// Unit paths (for scope checks of the change log).
    pub fn path(c: &Connection, unit: &str) -> Result<Option<String>> {
        Ok(
            c.query_row("SELECT path FROM units WHERE code = ?1", [unit], |r| {
                r.get(0)
            })
            .optional()?,
        )
    }
}

// ---- PostgreSQL ----------------------------------------------------------------------------

pub mod pg {
    use super::*;
    use crate::pg::{pg_err, CHUNK};
    use tokio_postgres::Transaction;

    pub async fn current(tx: &Transaction<'_>) -> Result<Current> {
        let version: i64 = tx
            .query_one("SELECT value FROM meta WHERE key = 'roster_version'", &[])
            .await
            .map_err(pg_err)?
            .get(0);
        let mut units = Vec::new();
        for r in tx
            .query(
                "SELECT code, name, parent_code, kind FROM units WHERE active ORDER BY path",
                &[],
            )
            .await
            .map_err(pg_err)?
        {
            units.push(
                unit_of(r.get(0), r.get(1), r.get::<_, Option<&str>>(2), r.get(3))
                    .ok_or_else(|| bad("unit"))?,
            );
        }
        let mut members = Vec::new();
        for r in tx
            .query("SELECT card_number, full_name, birth_date, unit_code, status, role, smartphone, smartphone_answered FROM members WHERE active ORDER BY unit_code, card_number", &[])
            .await
            .map_err(pg_err)?
        {
            members.push(
                member_of(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7))
                    .ok_or_else(|| bad("member"))?,
            );
        }
        let mut registered = HashSet::new();
        for r in tx
            .query("SELECT DISTINCT card_number FROM devices", &[])
            .await
            .map_err(pg_err)?
        {
            if let Some(c) = CardNumber::parse(r.get(0)) {
                registered.insert(c);
            }
        }
        Ok(Current::new(version, units, members, registered))
    }

    /// Applies `change` in `tx`: first the roster version's row is locked, so changes from
    /// every instance run one at a time.
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    pub async fn apply(tx: &Transaction<'_>, change: &RosterChange, now: i64) -> Result<Applied> {
        tx.execute(
            "SELECT value FROM meta WHERE key = 'roster_version' FOR UPDATE",
            &[],
        )
        .await
        .map_err(pg_err)?;
        let since = match &change.kind {
            ChangeKind::Subtree {
                base_version,
                upload,
                ..
            } => {
                let n = tx
                    .execute(
                        "UPDATE roster_uploads SET applied_change = -1 WHERE id = $1 AND applied_change IS NULL",
                        &[upload],
                    )
                    .await
                    .map_err(pg_err)?;
                if n == 0 {
                    return Err(StoreError::Conflict(
                        "tệp này đã được áp dụng, hoặc không còn: hãy tải tệp lên lại".into(),
                    ));
                }
                tx.query(
                    "SELECT version, scope_path, who, at FROM roster_changes WHERE version > $1",
                    &[base_version],
                )
                .await
                .map_err(pg_err)?
                .iter()
                .map(|r| Logged {
                    version: r.get(0),
                    scope_path: r.get(1),
                    who: r.get(2),
                    at: r.get(3),
                })
                .collect()
            }
            ChangeKind::Whole(_) => Vec::new(),
        };
        let current = current(tx).await?;
        let plan = conflict(&change.kind, &since, &current)?;
        let (path, before) = prepare(&current, &plan)?;
        for chunk in plan.units.chunks(CHUNK) {
            let codes: Vec<&str> = chunk.iter().map(|(u, ..)| u.code.as_str()).collect();
            let names: Vec<&str> = chunk.iter().map(|(u, ..)| u.name.as_str()).collect();
            let parents: Vec<Option<&str>> = chunk
                .iter()
                .map(|(u, ..)| u.parent.as_ref().map(|p| p.as_str()))
                .collect();
            let kinds: Vec<&str> = chunk.iter().map(|(u, ..)| u.kind.as_str()).collect();
            let paths: Vec<&str> = chunk.iter().map(|(_, p, _)| p.as_str()).collect();
            let depths: Vec<i32> = chunk.iter().map(|(.., d)| *d as i32).collect();
            tx.execute(
                "INSERT INTO units (code, name, parent_code, kind, path, depth, active)
                 SELECT *, true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[])
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, kind = excluded.kind, path = excluded.path, depth = excluded.depth, active = true",
                &[&codes, &names, &parents, &kinds, &paths, &depths],
            )
            .await
            .map_err(pg_err)?;
        }
        let gone: Vec<&str> = plan.units_removed.iter().map(|u| u.code.as_str()).collect();
        tx.execute(
            "UPDATE units SET active = false WHERE code = ANY($1)",
            &[&gone],
        )
        .await
        .map_err(pg_err)?;
        let upserts: Vec<&Member> = plan.upserts().collect();
        for chunk in upserts.chunks(CHUNK) {
            let cards: Vec<&str> = chunk.iter().map(|m| m.card.as_str()).collect();
            let names: Vec<&str> = chunk.iter().map(|m| m.full_name.as_str()).collect();
            let keys: Vec<String> = chunk
                .iter()
                .map(|m| crate::model::name_key(&m.full_name))
                .collect();
            let births: Vec<String> = chunk
                .iter()
                .map(|m| crate::model::format_date(m.birth_date))
                .collect();
            let units: Vec<&str> = chunk.iter().map(|m| m.unit.as_str()).collect();
            let statuses: Vec<&str> = chunk.iter().map(|m| m.status.as_str()).collect();
            let roles: Vec<&str> = chunk.iter().map(|m| m.role.as_str()).collect();
            let phones: Vec<bool> = chunk.iter().map(|m| m.has_smartphone()).collect();
            let answered: Vec<bool> = chunk.iter().map(|m| m.smartphone.is_some()).collect();
            tx.execute(
                "INSERT INTO members (card_number, full_name, name_key, birth_date, unit_code, status, role, smartphone, smartphone_answered, active, updated_at)
                 SELECT c, n, k, b, u, s, r, p, a, true, $10 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::bool[]) AS t(c, n, k, b, u, s, r, p, a)
                 ON CONFLICT (card_number) DO UPDATE SET full_name = excluded.full_name, name_key = excluded.name_key, birth_date = excluded.birth_date, unit_code = excluded.unit_code, status = excluded.status, role = excluded.role, smartphone = excluded.smartphone, smartphone_answered = excluded.smartphone_answered, active = true, updated_at = excluded.updated_at",
                &[&cards, &names, &keys, &births, &units, &statuses, &roles, &phones, &answered, &now],
            )
            .await
            .map_err(pg_err)?;
        }
        for chunk in plan.removed.chunks(CHUNK) {
            let cards: Vec<&str> = chunk.iter().map(|m| m.card.as_str()).collect();
            tx.execute(
                "UPDATE members SET active = false, updated_at = $2 WHERE card_number = ANY($1)",
                &[&cards, &now],
            )
            .await
            .map_err(pg_err)?;
        }
        let version: i64 = tx
            .query_one(
                "UPDATE meta SET value = value + 1 WHERE key = 'roster_version' RETURNING value",
                &[],
            )
            .await
            .map_err(pg_err)?
            .get(0);
        let id: i64 = tx
            .query_one(
                "INSERT INTO roster_changes (version, unit_code, scope_path, whole, who, source, at, counts, before) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[&version, &plan.scope.as_str(), &path, &plan.whole, &change.who, &change.source, &now, &counts_json(&plan.counts), &before],
            )
            .await
            .map_err(pg_err)?
            .get(0);
        let day = day_of(now);
        for chunk in plan.moved.chunks(CHUNK) {
            let cards: Vec<&str> = chunk.iter().map(|m| m.after.card.as_str()).collect();
            let from: Vec<&str> = chunk.iter().map(|m| m.before.unit.as_str()).collect();
            let to: Vec<&str> = chunk.iter().map(|m| m.after.unit.as_str()).collect();
            tx.execute(
                "INSERT INTO member_moves (card_number, day, from_unit, to_unit, change_id, at)
                 SELECT c, $4, f, t, $5, $6 FROM unnest($1::text[], $2::text[], $3::text[]) AS x(c, f, t)",
                &[&cards, &from, &to, &day, &id, &now],
            )
            .await
            .map_err(pg_err)?;
        }
        if let ChangeKind::Subtree { upload, .. } = &change.kind {
            tx.execute(
                "UPDATE roster_uploads SET applied_change = $2 WHERE id = $1",
                &[upload, &id],
            )
            .await
            .map_err(pg_err)?;
        }
        Ok(Applied {
            id,
            version,
            scope: plan.scope.clone(),
            at: now,
            counts: plan.counts,
        })
    }

    pub async fn save_upload(tx: &Transaction<'_>, u: &Upload) -> Result<()> {
        let data = pack(&u.parsed).map_err(StoreError::Unavailable)?;
        tx.execute(
            "DELETE FROM roster_uploads WHERE created_at < $1",
            &[&(u.created_at - UPLOAD_TTL)],
        )
        .await
        .map_err(pg_err)?;
        tx.execute(
            "INSERT INTO roster_uploads (id, unit_code, admin, file_name, created_at, base_version, fingerprint, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&u.id, &u.unit.as_str(), &u.admin, &u.file_name, &u.created_at, &u.base_version, &u.fingerprint, &data],
        )
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    pub async fn upload(c: &tokio_postgres::Client, id: &str) -> Result<Option<Upload>> {
        let Some(r) = c
            .query_opt(
                "SELECT id, unit_code, admin, file_name, created_at, base_version, fingerprint, data, applied_change FROM roster_uploads WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(pg_err)?
        else {
            return Ok(None);
        };
        let data: Vec<u8> = r.get(7);
        Ok(Some(Upload {
            id: r.get(0),
            unit: UnitCode::parse(r.get(1)).ok_or_else(|| bad("upload"))?,
            admin: r.get(2),
            file_name: r.get(3),
            created_at: r.get(4),
            base_version: r.get(5),
            fingerprint: r.get(6),
            parsed: unpack(&data).map_err(StoreError::Unavailable)?,
            applied_change: r.get(8),
        }))
    }

    const ENTRY_COLS: &str = "id, version, unit_code, whole, who, source, at, counts";

    fn entry_row(r: &tokio_postgres::Row) -> ChangeEntry {
        entry(
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
            r.get(7),
        )
    }

    pub async fn changes(
        c: &tokio_postgres::Client,
        path: &str,
        limit: usize,
    ) -> Result<Vec<ChangeEntry>> {
        Ok(c
            .query(
                &format!("SELECT {ENTRY_COLS} FROM roster_changes WHERE starts_with($1, scope_path) OR starts_with(scope_path, $1) ORDER BY id DESC LIMIT $2"),
                &[&path, &(limit as i64)],
            )
            .await
            .map_err(pg_err)?
            .iter()
            .map(entry_row)
            .collect())
    }

    pub async fn before(
        c: &tokio_postgres::Client,
        id: i64,
    ) -> Result<Option<(ChangeEntry, Roster, String)>> {
        let Some(r) = c
            .query_opt(
                &format!(
                    "SELECT {ENTRY_COLS}, before, scope_path FROM roster_changes WHERE id = $1"
                ),
                &[&id],
            )
            .await
            .map_err(pg_err)?
        else {
            return Ok(None);
        };
        let blob: Vec<u8> = r.get(8);
        Ok(Some((
            entry_row(&r),
            unpack(&blob).map_err(StoreError::Unavailable)?,
            r.get(9),
        )))
    }

    pub async fn admin(c: &tokio_postgres::Client, hash: &[u8]) -> Result<Option<AdminInfo>> {
        let row = c
            .query_opt(
                "SELECT unit_code, holder FROM admin_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&hash],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.and_then(|r| {
            Some(AdminInfo {
                unit: UnitCode::parse(r.get(0))?,
                name: r.get(1),
                id: token_id(hash),
            })
        }))
    }

    pub async fn path(c: &tokio_postgres::Client, unit: &str) -> Result<Option<String>> {
        Ok(
            c.query_opt("SELECT path FROM units WHERE code = $1", &[&unit])
                .await
                .map_err(pg_err)?
                .map(|r| r.get(0)),
        )
    }
}
