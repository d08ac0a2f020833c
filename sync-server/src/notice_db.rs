//! Notices from committees in the database, for both backends (DESIGN.md, "Notices"): the
//! notices themselves (`notices`: a unit, a title, a plain-text body, an optional last day,
//! withdrawn or not), who opened each at least once (`notice_reads`, written with the
//! `notice_read` event in one transaction), and the members' replies ("góp ý": `feedback`
//! events whose `doc` column holds the notice's id and whose data says `"notice": true`).
//!
//! A member receives the notices of every unit on the path from the root to their cell; an
//! admin's report covers the notices of its unit's subtree and those sent from above it.

use crate::model::UnitCode;
use crate::store::{rfc3339_vn, CellRef, Feedback, Result, StoreError};
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

/// NOTICE of DESIGN.md.
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

#[allow(clippy::too_many_arguments)]
fn row(
    id: String,
    title: String,
    body: String,
    unit_code: String,
    unit_name: String,
    created: i64,
    expires_on: Option<String>,
    withdrawn_at: Option<i64>,
    posted_by: String,
    read: bool,
) -> NoticeRow {
    NoticeRow {
        notice: Notice {
            id,
            title,
            body,
            unit: CellRef {
                code: unit_code,
                name: unit_name,
            },
            created_at: rfc3339_vn(created),
            expires_on,
        },
        created,
        withdrawn_at,
        read,
        posted_by,
    }
}

/// The data of a reply to a notice as stored in the `feedback` event.
pub fn reply_data(text: &str) -> String {
    serde_json::json!({"text": text, "notice": true}).to_string()
}

/// Whether a `feedback` event's data marks a reply to a notice (its `doc` is the notice's id).
pub fn is_reply(data: Option<&str>) -> bool {
    data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .is_some_and(|v| v["notice"] == serde_json::Value::Bool(true))
}

/// A reply as the dashboard shows it (see [`crate::store::feedback_row`]).
fn reply_row(
    at: i64,
    notice: String,
    data: Option<String>,
    card: String,
    name: String,
    unit: String,
) -> Feedback {
    crate::store::feedback_row(at, notice, data, card, name, unit)
}

pub mod sqlite {
    //! The SQLite side: each function runs on the connection it is given (a reader, or the
    //! writer's savepoint).
    use super::*;
    use rusqlite::{params, Connection, OptionalExtension};

    fn from_row(r: &rusqlite::Row, read: bool) -> rusqlite::Result<NoticeRow> {
        Ok(row(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            read,
        ))
    }

    pub fn post(c: &Connection, n: &NewNotice, now: i64) -> Result<Notice> {
        let exists: bool = c.query_row(
            "SELECT count(*) FROM units WHERE code = ?1 AND active = 1",
            [n.unit.as_str()],
            |r| r.get::<_, i64>(0),
        )? > 0;
        if !exists {
            return Err(StoreError::Invalid(format!(
                "Không có đơn vị {} trong danh sách.",
                n.unit
            )));
        }
        c.execute(
            "INSERT INTO notices (id, unit_code, title, body, expires_on, created_at, posted_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                n.id,
                n.unit.as_str(),
                n.title,
                n.body,
                n.expires_on.map(crate::model::format_date),
                now,
                n.posted_by.as_str()
            ],
        )?;
        one(c, &n.id)?
            .map(|r| r.notice)
            .ok_or_else(|| StoreError::Unavailable("the notice just written is missing".into()))
    }

    pub fn one(c: &Connection, id: &str) -> Result<Option<NoticeRow>> {
        Ok(c
            .query_row(
                &format!("SELECT {COLS} FROM notices n LEFT JOIN units u ON u.code = n.unit_code WHERE n.id = ?1"),
                [id],
                |r| from_row(r, false),
            )
            .optional()?)
    }

    pub fn withdraw(c: &Connection, id: &str, now: i64) -> Result<bool> {
        Ok(c.execute(
            "UPDATE notices SET withdrawn_at = coalesce(withdrawn_at, ?2) WHERE id = ?1",
            params![id, now],
        )? > 0)
    }

    /// The notices of the units on the member's path; with `today`, only those shown that day
    /// (not withdrawn, not expired), else all of them.
    pub fn for_member(
        c: &Connection,
        card: &str,
        unit: &str,
        today: Option<&str>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>> {
        let path: Option<String> = c
            .query_row("SELECT path FROM units WHERE code = ?1", [unit], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(path) = path else {
            return Ok(Vec::new());
        };
        let units = serde_json::to_string(&path_units(&path)).unwrap_or_else(|_| "[]".into());
        let mut q = c.prepare_cached(&format!(
            "SELECT {COLS}, EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.card_number = ?1)
             FROM notices n LEFT JOIN units u ON u.code = n.unit_code
             WHERE n.unit_code IN (SELECT value FROM json_each(?2))
               AND (?3 IS NULL OR (n.withdrawn_at IS NULL AND (n.expires_on IS NULL OR n.expires_on >= ?3)))
             ORDER BY n.created_at DESC, n.id DESC LIMIT ?4"
        ))?;
        let rows = q.query_map(params![card, units, today, limit as i64], |r| {
            let read: bool = r.get(9)?;
            from_row(r, read)
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The notices of `unit`'s subtree and of the units above it, newest first.
    pub fn for_unit(c: &Connection, unit: &str, limit: usize) -> Result<Vec<NoticeRow>> {
        let path: Option<String> = c
            .query_row("SELECT path FROM units WHERE code = ?1", [unit], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(path) = path else {
            return Ok(Vec::new());
        };
        let above = serde_json::to_string(&path_units(&path)).unwrap_or_else(|_| "[]".into());
        let mut q = c.prepare_cached(&format!(
            "SELECT {COLS} FROM notices n LEFT JOIN units u ON u.code = n.unit_code
             WHERE n.unit_code IN (SELECT value FROM json_each(?2))
                OR n.unit_code IN (SELECT code FROM units WHERE substr(path, 1, length(?1)) = ?1)
             ORDER BY n.created_at DESC, n.id DESC LIMIT ?3"
        ))?;
        let rows = q.query_map(params![path, above, limit as i64], |r| from_row(r, false))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many replies each of `notices` has from members of `unit`'s subtree.
    pub fn reply_counts(
        c: &Connection,
        unit: &str,
        notices: &[String],
    ) -> Result<HashMap<String, u64>> {
        let path: Option<String> = c
            .query_row("SELECT path FROM units WHERE code = ?1", [unit], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(path) = path else {
            return Ok(HashMap::new());
        };
        let ids = serde_json::to_string(notices).unwrap_or_else(|_| "[]".into());
        let mut q = c.prepare_cached(
            "SELECT e.doc, count(*) FROM events e JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
             WHERE e.type = 'feedback' AND e.doc IN (SELECT value FROM json_each(?1)) AND json_extract(e.data, '$.notice') = 1
               AND substr(u.path, 1, length(?2)) = ?2
             GROUP BY e.doc",
        )?;
        let rows = q.query_map(params![ids, path], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    /// The replies to a notice from members of `unit`'s subtree, newest first.
    pub fn replies(
        c: &Connection,
        unit: &str,
        notice: &str,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        let path: Option<String> = c
            .query_row("SELECT path FROM units WHERE code = ?1", [unit], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(path) = path else {
            return Ok(Vec::new());
        };
        let mut q = c.prepare_cached(
            "SELECT e.at, e.doc, e.data, m.card_number, m.full_name, m.unit_code FROM events e
             JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
             WHERE e.type = 'feedback' AND e.doc = ?1 AND json_extract(e.data, '$.notice') = 1
               AND substr(u.path, 1, length(?2)) = ?2
             ORDER BY e.at DESC LIMIT ?3",
        )?;
        let rows = q.query_map(params![notice, path, limit as i64], |r| {
            Ok(reply_row(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

pub mod pg {
    //! The PostgreSQL side: each function runs on the client or transaction it is given.
    use super::*;
    use tokio_postgres::GenericClient;

    fn err(e: tokio_postgres::Error) -> StoreError {
        crate::pg::pg_err(e)
    }

    fn from_row(r: &tokio_postgres::Row, read: bool) -> NoticeRow {
        row(
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
            r.get(7),
            r.get(8),
            read,
        )
    }

    async fn path<C: GenericClient>(c: &C, unit: &str) -> Result<Option<String>> {
        Ok(
            c.query_opt("SELECT path FROM units WHERE code = $1", &[&unit])
                .await
                .map_err(err)?
                .map(|r| r.get(0)),
        )
    }

    pub async fn post<C: GenericClient>(c: &C, n: &NewNotice, now: i64) -> Result<Notice> {
        let exists = c
            .query_opt(
                "SELECT 1 FROM units WHERE code = $1 AND active",
                &[&n.unit.as_str()],
            )
            .await
            .map_err(err)?
            .is_some();
        if !exists {
            return Err(StoreError::Invalid(format!(
                "Không có đơn vị {} trong danh sách.",
                n.unit
            )));
        }
        c.execute(
            "INSERT INTO notices (id, unit_code, title, body, expires_on, created_at, posted_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &n.id,
                &n.unit.as_str(),
                &n.title,
                &n.body,
                &n.expires_on.map(crate::model::format_date),
                &now,
                &n.posted_by.as_str(),
            ],
        )
        .await
        .map_err(err)?;
        one(c, &n.id)
            .await?
            .map(|r| r.notice)
            .ok_or_else(|| StoreError::Unavailable("the notice just written is missing".into()))
    }

    pub async fn one<C: GenericClient>(c: &C, id: &str) -> Result<Option<NoticeRow>> {
        Ok(c
            .query_opt(
                &format!("SELECT {COLS} FROM notices n LEFT JOIN units u ON u.code = n.unit_code WHERE n.id = $1"),
                &[&id],
            )
            .await
            .map_err(err)?
            .map(|r| from_row(&r, false)))
    }

    pub async fn withdraw<C: GenericClient>(c: &C, id: &str, now: i64) -> Result<bool> {
        Ok(c.execute(
            "UPDATE notices SET withdrawn_at = coalesce(withdrawn_at, $2) WHERE id = $1",
            &[&id, &now],
        )
        .await
        .map_err(err)?
            > 0)
    }

    pub async fn for_member<C: GenericClient>(
        c: &C,
        card: &str,
        unit: &str,
        today: Option<&str>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>> {
        let Some(path) = path(c, unit).await? else {
            return Ok(Vec::new());
        };
        let units = path_units(&path);
        let rows = c
            .query(
                &format!(
                    "SELECT {COLS}, EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.card_number = $1)
                     FROM notices n LEFT JOIN units u ON u.code = n.unit_code
                     WHERE n.unit_code = ANY($2::text[])
                       AND ($3::text IS NULL OR (n.withdrawn_at IS NULL AND (n.expires_on IS NULL OR n.expires_on >= $3::text)))
                     ORDER BY n.created_at DESC, n.id DESC LIMIT $4"
                ),
                &[&card, &units, &today, &(limit as i64)],
            )
            .await
            .map_err(err)?;
        Ok(rows.iter().map(|r| from_row(r, r.get(9))).collect())
    }

    pub async fn for_unit<C: GenericClient>(
        c: &C,
        unit: &str,
        limit: usize,
    ) -> Result<Vec<NoticeRow>> {
        let Some(path) = path(c, unit).await? else {
            return Ok(Vec::new());
        };
        let above = path_units(&path);
        let rows = c
            .query(
                &format!(
                    "SELECT {COLS} FROM notices n LEFT JOIN units u ON u.code = n.unit_code
                     WHERE n.unit_code = ANY($2::text[])
                        OR n.unit_code IN (SELECT code FROM units WHERE path LIKE $1 || '%')
                     ORDER BY n.created_at DESC, n.id DESC LIMIT $3"
                ),
                &[&crate::pg::like_prefix(&path), &above, &(limit as i64)],
            )
            .await
            .map_err(err)?;
        Ok(rows.iter().map(|r| from_row(r, false)).collect())
    }

    pub async fn reply_counts<C: GenericClient>(
        c: &C,
        unit: &str,
        notices: &[String],
    ) -> Result<HashMap<String, u64>> {
        let Some(path) = path(c, unit).await? else {
            return Ok(HashMap::new());
        };
        let rows = c
            .query(
                "SELECT e.doc, count(*) FROM events e JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
                 WHERE e.type = 'feedback' AND e.doc = ANY($1::text[]) AND (e.data::jsonb -> 'notice') = 'true'::jsonb
                   AND u.path LIKE $2 || '%'
                 GROUP BY e.doc",
                &[&notices, &crate::pg::like_prefix(&path)],
            )
            .await
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64))
            .collect())
    }

    pub async fn replies<C: GenericClient>(
        c: &C,
        unit: &str,
        notice: &str,
        limit: usize,
    ) -> Result<Vec<Feedback>> {
        let Some(path) = path(c, unit).await? else {
            return Ok(Vec::new());
        };
        let rows = c
            .query(
                "SELECT e.at, e.doc, e.data, m.card_number, m.full_name, m.unit_code FROM events e
                 JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
                 WHERE e.type = 'feedback' AND e.doc = $1 AND (e.data::jsonb -> 'notice') = 'true'::jsonb
                   AND u.path LIKE $2 || '%'
                 ORDER BY e.at DESC LIMIT $3",
                &[&notice, &crate::pg::like_prefix(&path), &(limit as i64)],
            )
            .await
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| reply_row(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            .collect())
    }
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
