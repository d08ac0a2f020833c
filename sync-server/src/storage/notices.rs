//! Notices from committees, on either database: the
//! notices themselves (`notices`: a unit, a title, a plain-text body, an optional last day,
//! withdrawn or not), who opened each at least once (`notice_reads`, written with the
//! `notice_read` event in one transaction), and the members' replies ("góp ý": `feedback`
//! events whose `doc` column holds the notice's id and whose data says `"notice": true`).
//!
//! A member receives the notices of every unit on the path from the root to their cell; an
//! admin's report covers the notices of its unit's subtree and those sent from above it.

use super::sql::{opt, rows, Array, Conn, Dialect, Row};
use super::{rfc3339_vn, CellRef, Feedback, Result, StoreError};
use crate::model::UnitCode;
use serde::Serialize;
use std::collections::HashMap;

/// Notices a member is sent at most this many of (newest first).
pub const MEMBER_LIMIT: usize = 100;

/// A notice as an admin wrote it, checked (see `notice_api`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub id: String,
    pub unit: UnitCode,
    pub title: String,
    pub body: String,
    /// The last day it is shown (Vietnam's date).
    pub expires_on: Option<time::Date>,
    /// The unit of the admin token that posted it.
    pub posted_by: UnitCode,
}

/// A notice as members and the dashboard see it (`/api/v1/notices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: String,
    pub title: String,
    pub body: String,
    pub unit: CellRef,
    /// RFC 3339, Vietnam's time.
    pub created_at: String,
    /// YYYY-MM-DD, the last day it is shown; `None`: until withdrawn.
    pub expires_on: Option<String>,
}

/// A notice as stored, with what answers add to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub notice: Notice,
    /// Unix seconds.
    pub created: i64,
    pub withdrawn_at: Option<i64>,
    /// Whether the member asking has opened it (member queries only; else false).
    pub read: bool,
    /// Who posted it (the admin token's unit).
    pub posted_by: String,
}

/// The units on a path "/TU/DB1/CB1/", root first.
pub fn path_units(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The columns [`row`] reads, from `notices n LEFT JOIN units u ON u.code = n.unit_code`.
const COLS: &str = "n.id, n.title, n.body, n.unit_code, coalesce(u.name, n.unit_code), n.created_at, n.expires_on, n.withdrawn_at, n.posted_by";

fn row(r: &dyn Row, read: bool) -> Result<NoticeRow> {
    let created = r.int(5)?;
    Ok(NoticeRow {
        notice: Notice {
            id: r.text(0)?,
            title: r.text(1)?,
            body: r.text(2)?,
            unit: CellRef {
                code: r.text(3)?,
                name: r.text(4)?,
            },
            created_at: rfc3339_vn(created),
            expires_on: r.opt_text(6)?,
        },
        created,
        withdrawn_at: r.opt_int(7)?,
        read,
        posted_by: r.text(8)?,
    })
}

pub use super::feedback::{is_reply, reply_data};

/// A condition: feedback event `e` is a reply to a notice (what [`is_reply`] says, in SQL).
fn reply_sql(d: Dialect) -> &'static str {
    d.pick(
        "json_extract(e.data, '$.notice') = 1",
        "(e.data::jsonb -> 'notice') = 'true'::jsonb",
    )
}

/// Stores a new notice; `Invalid` (in Vietnamese) when its unit is not an active unit.
pub async fn post<C: Conn + ?Sized>(c: &C, n: &NewNotice, now: i64) -> Result<Notice> {
    let unit = n.unit.as_str();
    let exists = opt(
        c,
        "SELECT 1 FROM units WHERE code = ?1 AND active",
        &[&unit],
        |_| Ok(()),
    )
    .await?
    .is_some();
    if !exists {
        return Err(StoreError::Invalid(format!(
            "Không có đơn vị {} trong danh sách.",
            n.unit
        )));
    }
    c.exec(
        "INSERT INTO notices (id, unit_code, title, body, expires_on, created_at, posted_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            &n.id,
            &unit,
            &n.title,
            &n.body,
            &n.expires_on.map(crate::model::format_date),
            &now,
            &n.posted_by.as_str(),
        ],
    )
    .await?;
    one_notice(c, &n.id)
        .await?
        .map(|r| r.notice)
        .ok_or_else(|| StoreError::Unavailable("the notice just written is missing".into()))
}

/// A notice by id, withdrawn or not.
pub async fn one_notice<C: Conn + ?Sized>(c: &C, id: &str) -> Result<Option<NoticeRow>> {
    opt(
        c,
        &format!("SELECT {COLS} FROM notices n LEFT JOIN units u ON u.code = n.unit_code WHERE n.id = ?1"),
        &[&id],
        |r| row(r, false),
    )
    .await
}

/// Withdraws a notice (the first withdrawal's time stays); false if there is no such notice.
pub async fn withdraw<C: Conn + ?Sized>(c: &C, id: &str, now: i64) -> Result<bool> {
    Ok(c.exec(
        "UPDATE notices SET withdrawn_at = coalesce(withdrawn_at, ?2) WHERE id = ?1",
        &[&id, &now],
    )
    .await?
        > 0)
}

/// The notices of the units on the member's path, newest first, with whether `card` opened
/// each; with `today`, only those shown that day (not withdrawn, not expired), else all.
pub async fn for_member<C: Conn + ?Sized>(
    c: &C,
    card: &str,
    unit: &str,
    today: Option<&str>,
    limit: usize,
) -> Result<Vec<NoticeRow>> {
    let Some(path) = super::roster::path(c, unit).await? else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT {COLS}, EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.card_number = ?1)
         FROM notices n LEFT JOIN units u ON u.code = n.unit_code
         WHERE {}
           AND (CAST(?3 AS TEXT) IS NULL OR (n.withdrawn_at IS NULL AND (n.expires_on IS NULL OR n.expires_on >= CAST(?3 AS TEXT))))
         ORDER BY n.created_at DESC, n.id DESC LIMIT ?4",
        c.dialect().one_of("n.unit_code", 2)
    );
    let units = Array::new(path_units(&path));
    rows(c, &sql, &[&card, &units, &today, &(limit as i64)], |r| {
        row(r, r.flag(9)?)
    })
    .await
}

/// The notices of `unit`'s subtree and of the units above it, withdrawn ones too, newest first.
pub async fn for_unit<C: Conn + ?Sized>(c: &C, unit: &str, limit: usize) -> Result<Vec<NoticeRow>> {
    let Some(path) = super::roster::path(c, unit).await? else {
        return Ok(Vec::new());
    };
    let d = c.dialect();
    let sql = format!(
        "SELECT {COLS} FROM notices n LEFT JOIN units u ON u.code = n.unit_code
         WHERE {} OR n.unit_code IN (SELECT code FROM units WHERE {})
         ORDER BY n.created_at DESC, n.id DESC LIMIT ?3",
        d.one_of("n.unit_code", 2),
        d.under("path", 1)
    );
    let above = Array::new(path_units(&path));
    rows(c, &sql, &[&d.prefix(&path), &above, &(limit as i64)], |r| {
        row(r, false)
    })
    .await
}

/// How many replies each of `notices` has from members of `unit`'s subtree.
pub async fn reply_counts<C: Conn + ?Sized>(
    c: &C,
    unit: &str,
    notices: &[String],
) -> Result<HashMap<String, u64>> {
    let Some(path) = super::roster::path(c, unit).await? else {
        return Ok(HashMap::new());
    };
    let d = c.dialect();
    let sql = format!(
        "SELECT e.doc, count(*) FROM events e JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
         WHERE e.type = 'feedback' AND {} AND {} AND {}
         GROUP BY e.doc",
        d.one_of("e.doc", 1),
        reply_sql(d),
        d.under("u.path", 2)
    );
    let ids = Array::new(notices.to_vec());
    let counts = rows(c, &sql, &[&ids, &d.prefix(&path)], |r| {
        Ok((r.text(0)?, r.int(1)?.max(0) as u64))
    })
    .await?;
    Ok(counts.into_iter().collect())
}

/// The replies to a notice from members of `unit`'s subtree, newest first.
pub async fn replies<C: Conn + ?Sized>(
    c: &C,
    unit: &str,
    notice: &str,
    limit: usize,
) -> Result<Vec<Feedback>> {
    let cond = format!("e.doc = ?3 AND {}", reply_sql(c.dialect()));
    super::feedback::under(c, unit, &cond, &[&notice], limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_replies() {
        assert_eq!(path_units("/TU/DB1/CB1/"), ["TU", "DB1", "CB1"]);
        assert!(path_units("").is_empty());
        assert!(is_reply(Some(&reply_data("Rõ"))));
        assert!(!is_reply(Some(r#"{"text":"Rõ"}"#)));
        assert!(!is_reply(Some(r#"{"text":"Rõ","notice":"x"}"#)));
        assert!(!is_reply(None));
    }
}
