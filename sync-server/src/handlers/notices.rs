//! Notices from committees under `/api/v1/notices` (described in `openapi.json`): an admin posts a
//! notice to its unit or one of its subtree and may withdraw it; a member's phone fetches the
//! notices of the units from the root to its cell, conditionally (an `ETag` of the answer, so
//! a phone asking again gets `304` and nothing else when nothing changed); the committee's
//! report (`/reports/notices`) says per notice how many members it reached and how many
//! opened it, per child unit. Messages are in Vietnamese: the dashboard shows them as they are.

use crate::app::App;
use crate::caller;
use crate::model::{parse_date, today_vn, UnitCode};
use crate::reply::{
    bad, empty, error, internal, json_response, outside_scope, store_error, ApiError, Resp,
};
use crate::request::{now, parse_json, read_body};
use crate::storage::notices::{NewNotice, NoticeRow, MEMBER_LIMIT};
use crate::storage::{MemberRef, Storage, StoreError};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A notice's title, in characters.
pub const MAX_TITLE: usize = 200;
/// A notice's body, in characters: a page on a phone, not a document (those are published in
/// the handbook and linked from the notice).
pub const MAX_BODY: usize = 5000;
/// The request's bytes: the longest body in Vietnamese fits with room to spare.
pub const MAX_NOTICE_REQUEST: usize = 64 * 1024;
/// How far ahead a notice may expire.
pub const MAX_DAYS_AHEAD: i64 = 2 * 366;

/// A notice id as the server makes them (a UUID), so that anything else is simply unknown.
fn notice_id(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s)
        .ok()
        .map(|u| u.hyphenated().to_string())
        .filter(|u| u == s)
}

/// Whether `unit` is in `scope`'s subtree, by the reports' aggregate (brought up to date).
async fn in_scope<S: Storage>(
    app: &Arc<App<S>>,
    unit: &str,
    scope: &UnitCode,
) -> Result<bool, ApiError> {
    app.refresh_reports().await.map_err(store_error)?;
    let (unit, scope) = (unit.to_string(), scope.as_str().to_string());
    Ok(app
        .reports()
        .compute(move |r| r.unit_exists(&unit) && r.within(&unit, &scope))
        .await
        .unwrap_or(false))
}

/// A notice's title: one line, NFC, spaces collapsed.
pub fn clean_title(v: Option<&Value>) -> Result<String, ApiError> {
    let refuse = |m: &str| bad("invalid_title", m);
    let s = v
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("Cần tiêu đề của thông báo (\"title\")."))?;
    if s.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(refuse("Tiêu đề có ký tự không hợp lệ."));
    }
    let t = crate::model::clean_name(s);
    if t.is_empty() {
        return Err(refuse("Cần tiêu đề của thông báo (\"title\")."));
    }
    // Counted as sent, as the API's description states it.
    if s.chars().count() > MAX_TITLE {
        return Err(refuse(&format!(
            "Tiêu đề dài quá: tối đa {MAX_TITLE} ký tự."
        )));
    }
    Ok(t)
}

/// A notice's body: plain text, NFC, line breaks kept (as `\n`), spaces at line ends and blank
/// lines at both ends dropped. HTML is text like any other: the phone shows it as written.
pub fn clean_body(v: Option<&Value>) -> Result<String, ApiError> {
    let refuse = |m: &str| bad("invalid_body", m);
    let s = v
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("Cần nội dung của thông báo (\"body\")."))?;
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(refuse("Nội dung có ký tự không hợp lệ."));
    }
    let unix = s.replace("\r\n", "\n").replace('\r', "\n");
    let nfc = sotay_generator::text::nfc(&unix);
    let lines: Vec<&str> = nfc.lines().map(str::trim_end).collect();
    let body = lines.join("\n").trim_matches('\n').to_string();
    if body.trim().is_empty() {
        return Err(refuse("Cần nội dung của thông báo (\"body\")."));
    }
    // Counted as sent, as the API's description states it.
    let n = s.chars().count();
    if n > MAX_BODY {
        return Err(refuse(&format!(
            "Nội dung dài quá: {n} ký tự, tối đa {MAX_BODY}. Văn bản dài nên đăng trong sổ tay và dẫn đường liên kết trong thông báo."
        )));
    }
    Ok(body)
}

/// The last day a notice is shown: absent or null for none; not before today, at most
/// [`MAX_DAYS_AHEAD`] days ahead.
pub fn clean_expiry(v: Option<&Value>, today: time::Date) -> Result<Option<time::Date>, ApiError> {
    let s = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(bad(
                "invalid_expires_on",
                "\"expires_on\" là ngày hết hạn, viết dạng NNNN-TT-NN.",
            ))
        }
    };
    let d = parse_date(s).ok_or_else(|| {
        bad(
            "invalid_expires_on",
            "\"expires_on\" là ngày hết hạn, viết dạng NNNN-TT-NN.",
        )
    })?;
    if d < today {
        return Err(bad(
            "expired",
            "Ngày hết hạn đã qua: thông báo sẽ không đến được ai. Chọn hôm nay hoặc một ngày sau.",
        ));
    }
    if (d - today).whole_days() > MAX_DAYS_AHEAD {
        return Err(bad(
            "invalid_expires_on",
            "Ngày hết hạn quá xa (tối đa hai năm); nếu thông báo không có hạn, để trống.",
        ));
    }
    Ok(Some(d))
}

/// A new notice id: a UUIDv7 (the time in milliseconds first, then random bits), so that
/// notices posted within the same second still sort newest first (`ORDER BY created_at, id`),
/// also within one millisecond.
pub fn new_id() -> Result<String, ApiError> {
    let mut b = [0u8; 10];
    getrandom::fill(&mut b).map_err(|e| {
        crate::log::log("error", "no randomness", &[("error", &e)]);
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "retry later",
        )
    })?;
    // Two notices in the same millisecond would otherwise be ordered by their random bits:
    // a later one takes the next millisecond (in this process; across instances the clock's).
    static LAST_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).max(0) as u64;
    let ms = LAST_MS
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .map_or(now, |last| now.max(last + 1));
    Ok(uuid::Builder::from_unix_timestamp_millis(ms, &b)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// `POST /api/v1/notices`: an admin posts a notice to its unit or one of its subtree.
pub async fn post<S: Storage>(app: &Arc<App<S>>, req: Request<Incoming>) -> Result<Resp, ApiError> {
    let scope = caller::admin(app, &req).await?;
    let body = read_body(req, MAX_NOTICE_REQUEST).await?;
    let v = parse_json(&body)?;
    if !v.is_object() {
        return Err(bad(
            "invalid_request",
            "Nội dung là {title, body, unit, expires_on}.",
        ));
    }
    let title = clean_title(v.get("title"))?;
    let text = clean_body(v.get("body"))?;
    let expires_on = clean_expiry(v.get("expires_on"), today_vn())?;
    let unit = match v.get("unit") {
        None | Some(Value::Null) => scope.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => scope.clone(),
        Some(u) => u.as_str().and_then(UnitCode::parse).ok_or_else(|| {
            bad(
                "invalid_unit",
                "\"unit\" là mã đơn vị nhận thông báo, ví dụ TU.01.",
            )
        })?,
    };
    // An unknown unit and one outside the scope get the same answer: nothing leaks.
    if !in_scope(app, unit.as_str(), &scope).await? {
        return Err(outside_scope());
    }
    let n = NewNotice {
        id: new_id()?,
        unit,
        title,
        body: text,
        expires_on,
        posted_by: scope,
    };
    let notice = match app.store().post_notice(n, now()).await {
        Ok(x) => x,
        Err(StoreError::Invalid(_)) => return Err(outside_scope()),
        Err(e) => return Err(store_error(e)),
    };
    app.metrics().notices_posted.fetch_add(1, Ordering::Relaxed);
    push(app, &notice);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "notice": notice }),
    ))
}

/// `DELETE /api/v1/notices/{id}`: an admin withdraws a notice of its subtree.
pub async fn withdraw<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    id: &str,
) -> Result<Resp, ApiError> {
    let scope = caller::admin(app, &req).await?;
    let unknown = || {
        error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Không có thông báo này.",
        )
    };
    let id = notice_id(id).ok_or_else(unknown)?;
    let n = app
        .store()
        .notice(id.clone())
        .await
        .map_err(store_error)?
        .ok_or_else(unknown)?;
    app.refresh_reports().await.map_err(store_error)?;
    let (unit, scope_code) = (n.notice.unit.code.clone(), scope.as_str().to_string());
    let within = app
        .reports()
        .compute(move |r| r.within(&unit, &scope_code))
        .await
        .unwrap_or(false);
    if !within {
        return Err(outside_scope());
    }
    app.store()
        .withdraw_notice(id, now())
        .await
        .map_err(store_error)?;
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(empty())
        .unwrap_or_else(|_| internal()))
}

/// The strong validator of an answer: its bytes' hash.
pub fn etag(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    let hex: String = h.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` names `tag` (or `*`).
pub fn none_match(header: Option<&str>, tag: &str) -> bool {
    header.is_some_and(|h| {
        h.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag
        })
    })
}

/// `GET /api/v1/notices`: the notices on a member's path, conditionally (`ETag`).
pub async fn list<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    let m = caller::limited_member(app, &req, client).await?;
    let today = crate::model::format_date(today_vn());
    let rows = app
        .store()
        .member_notices(m.card_number, m.unit_code, Some(today), MEMBER_LIMIT)
        .await
        .map_err(store_error)?;
    let notices: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r.notice).unwrap_or(Value::Null);
            v["read"] = json!(r.read);
            v
        })
        .collect();
    let bytes = serde_json::to_vec(&json!({ "notices": notices })).unwrap_or_default();
    let tag = etag(&bytes);
    let b = Response::builder()
        .header(header::ETAG, &tag)
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::VARY, "Authorization");
    let inm = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if none_match(inm, &tag) {
        app.metrics()
            .notices_not_modified
            .fetch_add(1, Ordering::Relaxed);
        return Ok(b
            .status(StatusCode::NOT_MODIFIED)
            .body(empty())
            .unwrap_or_else(|_| internal()));
    }
    Ok(b.status(StatusCode::OK)
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .body(crate::reply::full(bytes))
        .unwrap_or_else(|_| internal()))
}

/// `GET /reports/notices?unit=&limit=`: the notices of the unit's subtree and those sent from
/// above it (withdrawn and expired ones too, with their state), newest first, each with how
/// many members under both the notice's unit and `unit` it reached and how many opened it, per
/// child unit, and how many replies they sent. `unit` is already checked against the scope.
pub async fn report<S: Storage>(
    app: &Arc<App<S>>,
    unit: String,
    limit: usize,
) -> Result<Resp, ApiError> {
    let code = UnitCode::parse(&unit).ok_or_else(outside_scope)?;
    let rows: Vec<NoticeRow> = app
        .store()
        .unit_notices(code.clone(), limit)
        .await
        .map_err(store_error)?;
    let ids: Vec<String> = rows.iter().map(|r| r.notice.id.clone()).collect();
    let replies: HashMap<String, u64> = app
        .store()
        .notice_reply_counts(code, ids)
        .await
        .map_err(store_error)?;
    let today = crate::model::format_date(today_vn());
    let out = app
        .reports()
        .compute(move |idx| {
            let list: Vec<Value> = rows
                .into_iter()
                .map(|r| {
                    let reach = idx.notice_reach(&unit, &r.notice.unit.code, &r.notice.id);
                    let from_above =
                        r.notice.unit.code != unit && !idx.within(&r.notice.unit.code, &unit);
                    let state = if r.withdrawn_at.is_some() {
                        "withdrawn"
                    } else if r
                        .notice
                        .expires_on
                        .as_deref()
                        .is_some_and(|e| e < today.as_str())
                    {
                        "expired"
                    } else {
                        "shown"
                    };
                    let mut v = serde_json::to_value(&r.notice).unwrap_or(Value::Null);
                    v["state"] = json!(state);
                    v["withdrawn_at"] = json!(r.withdrawn_at.map(crate::storage::rfc3339_vn));
                    v["from_above"] = json!(from_above);
                    v["recipients"] = json!(reach.as_ref().map_or(0, |x| x.recipients));
                    v["read"] = json!(reach.as_ref().map_or(0, |x| x.read));
                    v["units"] = json!(reach.map(|x| x.units).unwrap_or_default());
                    v["replies"] = json!(replies.get(&r.notice.id).copied().unwrap_or(0));
                    v
                })
                .collect();
            list
        })
        .await
        .map_err(|_| {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "reports are loading; retry",
            )
        })?;
    Ok(json_response(StatusCode::OK, &json!({ "notices": out })))
}

/// `GET /reports/feedback?notice=ID`: the replies to a notice from the unit's subtree.
pub async fn replies<S: Storage>(
    app: &Arc<App<S>>,
    unit: String,
    notice: &str,
    limit: usize,
) -> Result<Resp, ApiError> {
    let code = UnitCode::parse(&unit).ok_or_else(outside_scope)?;
    let id = notice_id(notice)
        .ok_or_else(|| bad("invalid_parameter", "notice must be a notice's id (a UUID)"))?;
    let list = app
        .store()
        .notice_replies(code, id, limit)
        .await
        .map_err(store_error)?;
    Ok(json_response(StatusCode::OK, &json!({ "feedback": list })))
}

/// The notices (any state) on a member's path, for checking the events that name one.
pub async fn ids_for<S: Storage>(
    app: &Arc<App<S>>,
    m: &MemberRef,
) -> Result<std::collections::HashSet<String>, ApiError> {
    Ok(app
        .store()
        .member_notices(
            m.card_number.clone(),
            m.unit_code.clone(),
            None,
            usize::MAX >> 1,
        )
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|r| r.notice.id)
        .collect())
}

/// After a notice is posted: sends it to the subscribed phones under its unit, in the
/// background (the committee's answer does not wait). Nothing to do when push is off.
fn push<S: Storage>(app: &Arc<App<S>>, notice: &crate::storage::notices::Notice) {
    let Some(cfg) = app.push().cloned() else {
        return;
    };
    let (app, notice) = (app.clone(), notice.clone());
    tokio::spawn(async move {
        if let Err(e) = crate::push::send_all(app.store(), app.metrics(), &cfg, &notice).await {
            crate::log::log(
                "error",
                "push not sent",
                &[("notice", &notice.id), ("error", &e)],
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_titles_and_expiry_table() {
        let ok = |s: &str| clean_body(Some(&json!(s)));
        assert_eq!(
            ok("  \r\nDòng 1  \r\n  Dòng 2\n\n").ok().as_deref(),
            Some("Dòng 1\n  Dòng 2")
        );
        assert_eq!(ok("<b>đậm</b>").ok().as_deref(), Some("<b>đậm</b>"));
        assert_eq!(
            ok("Vie\u{323}\u{302}t").ok().as_deref(),
            Some("Việt"),
            "stored NFC"
        );
        for bad in ["", "   \n  ", "a\u{0}b", "a\u{7}b"] {
            assert!(ok(bad).is_err(), "{bad:?}");
        }
        assert!(ok(&"ạ".repeat(MAX_BODY)).is_ok());
        assert_eq!(
            ok(&"a".repeat(20_000)).err().map(|e| e.code),
            Some("invalid_body")
        );
        assert!(clean_body(Some(&json!(5))).is_err());
        assert!(clean_body(None).is_err());

        let t = |s: &str| clean_title(Some(&json!(s)));
        assert_eq!(
            t("  Họp   chi bộ\nbất thường ").ok().as_deref(),
            Some("Họp chi bộ bất thường")
        );
        assert!(t("").is_err());
        assert!(t(&"x".repeat(MAX_TITLE + 1)).is_err());
        assert!(t("a\u{1b}b").is_err());

        let today = parse_date("2026-12-10").expect("d");
        let e = |v: Value| clean_expiry(Some(&v), today).map_err(|e| e.code);
        assert_eq!(e(Value::Null), Ok(None));
        assert_eq!(e(json!("")), Err("invalid_expires_on"));
        assert_eq!(e(json!("2026-12-10")), Ok(parse_date("2026-12-10")));
        assert_eq!(e(json!("2026-12-09")), Err("expired"));
        assert_eq!(e(json!("2026-13-01")), Err("invalid_expires_on"));
        assert_eq!(e(json!("2030-01-01")), Err("invalid_expires_on"));
        assert_eq!(e(json!(20261210)), Err("invalid_expires_on"));
    }

    #[test]
    fn validators_and_ids() {
        let tag = etag(b"{}");
        assert!(none_match(Some(&tag), &tag));
        assert!(none_match(Some(&format!("W/{tag}, \"x\"")), &tag));
        assert!(none_match(Some("*"), &tag));
        assert!(!none_match(Some("\"x\""), &tag));
        assert!(!none_match(None, &tag));
        let id = "0190f0a0-0000-4000-8000-000000000001";
        assert_eq!(notice_id(id).as_deref(), Some(id));
        assert_eq!(notice_id("0190F0A0-0000-4000-8000-000000000001"), None);
        assert_eq!(notice_id("x"), None);
    }
}
