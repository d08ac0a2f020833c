//! Members' feedback ("góp ý"), on either database: `feedback` events with a comment's text,
//! on a document or, answering a notice, on that notice (the event's `doc` holds the notice's
//! id and its data says `"notice": true`), as a committee reads those of its subtree.

use super::sql::{rows, Conn, Param, Row};
use super::{Feedback, Result};

/// The data of a reply to a notice as stored in the `feedback` event.
pub fn reply_data(text: &str) -> String {
    serde_json::json!({"text": text, "notice": true}).to_string()
}

/// Whether a `feedback` event's data marks a reply to a notice (its `doc` is the notice's id).
pub fn is_reply(data: Option<&str>) -> bool {
    data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .is_some_and(|v| v["notice"] == serde_json::Value::Bool(true))
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
    let (doc, notice) = if is_reply(data) {
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
pub async fn between<C: Conn + ?Sized>(
    c: &C,
    unit: &str,
    from: &str,
    to: &str,
    limit: usize,
) -> Result<Vec<Feedback>> {
    // The same period as times too: the feedback is then read newest first through
    // `events_feedback_at`, and the reading stops at `limit` (at the root of a million members,
    // 10 ms instead of sorting the period's 15,000 comments: 700 ms).
    let start = |day: &str, after: bool| {
        let d = crate::model::parse_date(day)?;
        let d = if after { d.next_day()? } else { d };
        Some(
            d.midnight()
                .assume_offset(crate::model::VN)
                .unix_timestamp(),
        )
    };
    let lo = start(from, false).unwrap_or(i64::MIN);
    let hi = start(to, true).map_or(i64::MAX, |t| t - 1);
    let cond = "e.day BETWEEN ?3 AND ?4 AND e.at BETWEEN ?5 AND ?6";
    under(c, unit, cond, &[&from, &to, &lo, &hi], limit).await
}

/// The feedback events of members of `unit`'s subtree that meet `cond` (SQL on the event `e`,
/// its parameters `?3` on), newest first.
pub async fn under<C: Conn + ?Sized>(
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
