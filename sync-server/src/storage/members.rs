//! Members and their phones, on either database: registering a phone (the roster's row for the
//! card must match what the member typed), the member a phone's token names, and the members'
//! feedback ("góp ý") a committee reads. Storing reading events is each engine's own
//! (`sqlite::append_events`, `postgres::append_events`): that is where they differ most.

use super::sql::{opt, rows, Conn, Dialect, Param, Row};
use super::{Feedback, MemberRef, Registration, Result, StoreError};
use crate::model::{CardNumber, MemberStatus, Role, UnitCode, UnitKind};

/// The columns [`member`] reads, from `members m LEFT JOIN units u ON u.code = m.unit_code`.
const MEMBER_COLS: &str =
    "m.card_number, m.full_name, m.unit_code, m.role, m.status, u.kind, u.name";
/// How many columns [`MEMBER_COLS`] has: a query's own columns come after them.
const MEMBER_COLS_LEN: usize = 7;

fn member(r: &dyn Row) -> Result<MemberRef> {
    let bad = |what: &str| StoreError::Unavailable(format!("bad {what} in the database"));
    Ok(MemberRef {
        card_number: CardNumber::parse(r.str(0)?).ok_or_else(|| bad("card"))?,
        full_name: r.text(1)?,
        unit_code: UnitCode::parse(r.str(2)?).ok_or_else(|| bad("unit"))?,
        unit_name: r.opt_text(6)?.unwrap_or_default(),
        role: Role::parse(r.str(3)?).unwrap_or(Role::DangVien),
        status: MemberStatus::parse(r.str(4)?).unwrap_or(MemberStatus::ChinhThuc),
        in_cell: r
            .opt_str(5)?
            .and_then(UnitKind::parse)
            .is_some_and(UnitKind::is_cell),
    })
}

/// Registers a phone if the card, name, birth date and unit match an active member; a phone
/// registering again (same device id) replaces its token, and its first registration's day
/// stays.
pub async fn register<C: Conn + ?Sized>(
    c: &C,
    reg: &Registration,
    now: i64,
) -> Result<Option<MemberRef>> {
    let found = opt(
        c,
        &format!("SELECT {MEMBER_COLS}, m.birth_date FROM members m LEFT JOIN units u ON u.code = m.unit_code WHERE m.card_number = ?1 AND m.active"),
        &[&reg.card.as_str()],
        |r| Ok((member(r)?, r.text(MEMBER_COLS_LEN)?)),
    )
    .await?;
    let Some((m, _)) =
        found.filter(|(m, birth)| reg.matches(&m.full_name, birth, m.unit_code.as_str()))
    else {
        return Ok(None);
    };
    let device = reg.device.map(|d| d.hyphenated().to_string());
    let card = m.card_number.as_str();
    match c.dialect() {
        Dialect::Sqlite => {
            let replaced = match &device {
                Some(d) => {
                    c.exec(
                        "UPDATE devices SET token_hash = ?1, card_number = ?2 WHERE device_id = ?3",
                        &[&reg.token_hash, &card, d],
                    )
                    .await?
                }
                None => 0,
            };
            if replaced == 0 {
                c.exec(
                    "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?1, ?2, ?3, ?4)",
                    &[&reg.token_hash, &card, &now, &device],
                )
                .await?;
            }
        }
        // One statement, so that two instances registering the same phone at once leave one
        // row; the row's transaction id changes, for the other instances' reports.
        Dialect::Postgres => {
            c.exec(
                "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash, card_number = excluded.card_number, xid = pg_current_xact_id()",
                &[&reg.token_hash, &card, &now, &device],
            )
            .await?;
        }
    }
    Ok(Some(m))
}

/// The active member a phone's token names.
pub async fn for_token<C: Conn + ?Sized>(c: &C, token_hash: &[u8]) -> Result<Option<MemberRef>> {
    opt(
        c,
        &format!("SELECT {MEMBER_COLS} FROM devices d JOIN members m ON m.card_number = d.card_number LEFT JOIN units u ON u.code = m.unit_code WHERE d.token_hash = ?1 AND m.active"),
        &[&token_hash],
        member,
    )
    .await
}

/// The columns [`feedback`] reads: a `feedback` event `e` and its member `m`.
pub const FEEDBACK_COLS: &str = "e.at, e.doc, e.data, m.card_number, m.full_name, m.unit_code";

/// A feedback event as the dashboard shows it: the time in Vietnam, the comment's text, and
/// what it comments on (a document, or a notice it answers).
pub fn feedback(r: &dyn Row) -> Result<Feedback> {
    let doc = r.text(1)?;
    let data = r.opt_str(2)?;
    let text = data
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["text"].as_str().map(str::to_string))
        .unwrap_or_default();
    let (doc, notice) = if super::notices::is_reply(data) {
        (None, Some(doc))
    } else {
        (Some(doc), None)
    };
    Ok(Feedback {
        at: super::rfc3339_vn(r.int(0)?),
        doc,
        notice,
        text,
        card_number: r.text(3)?,
        full_name: r.text(4)?,
        unit_code: r.text(5)?,
    })
}

/// Feedback from members of `unit`'s subtree between two days (inclusive), newest first.
pub async fn feedback_of<C: Conn + ?Sized>(
    c: &C,
    unit: &str,
    from: &str,
    to: &str,
    limit: usize,
) -> Result<Vec<Feedback>> {
    feedback_under(c, unit, "e.day BETWEEN ?3 AND ?4", &[&from, &to], limit).await
}

/// The feedback events of members of `unit`'s subtree that meet `cond` (SQL on the event `e`,
/// its parameters `?3` on), newest first.
pub async fn feedback_under<C: Conn + ?Sized>(
    c: &C,
    unit: &str,
    cond: &str,
    params: &[&dyn Param],
    limit: usize,
) -> Result<Vec<Feedback>> {
    let Some(path) = super::roster::path(c, unit).await? else {
        return Ok(Vec::new());
    };
    let d = c.dialect();
    let sql = format!(
        "SELECT {FEEDBACK_COLS} FROM events e
         JOIN members m ON m.card_number = e.card_number JOIN units u ON u.code = m.unit_code
         WHERE e.type = 'feedback' AND {} AND {cond}
         ORDER BY e.at DESC LIMIT ?2",
        d.under("u.path", 1)
    );
    let (prefix, limit) = (d.prefix(&path), limit as i64);
    let mut all: Vec<&dyn Param> = vec![&prefix, &limit];
    all.extend_from_slice(params);
    rows(c, &sql, &all, feedback).await
}
