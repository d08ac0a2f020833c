//! Registration of a member's phone (`POST /api/v1/register`): the member's card number, name,
//! birth date and cell, checked against the roster; a match gets a member token (shown once,
//! stored as its hash). Guessing is stopped by rate limits per address and per card, checked
//! before the roster is looked at, and by one answer for every mismatch.

use crate::app::App;
use crate::auth;
use crate::model::{name_key, parse_date, CardNumber, UnitCode};
use crate::reply::{bad, error, json_response, store_error, ApiError, Resp};
use crate::request::{now, parse_json, read_body};
use crate::storage::{Registration, Storage};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub const MAX_REGISTER_BODY: usize = 4 * 1024;

/// The one answer to registration details that do not match the roster, whichever detail
/// was wrong (a guesser learns nothing from it).
pub const NOT_MATCHED: &str = "Thông tin không khớp với danh sách đảng viên. Đồng chí kiểm tra lại số thẻ, họ và tên, ngày sinh và mã chi bộ; nếu vẫn không được, liên hệ bí thư chi bộ.";

/// Too many registration attempts, in the member's words: when to try again.
fn register_limited(retry: u64) -> ApiError {
    let when = if retry < 60 {
        format!("{retry} giây")
    } else {
        format!("{} phút", retry.div_ceil(60))
    };
    ApiError {
        retry_after: Some(retry),
        ..error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("Đã thử đăng ký quá nhiều lần. Vui lòng thử lại sau {when}."),
        )
    }
}

/// What a phone sends, checked; the name as sent (its key is made for the lookup).
struct Details {
    card: CardNumber,
    name: String,
    birth: time::Date,
    unit: UnitCode,
    device: Option<uuid::Uuid>,
}

pub async fn register<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    let body = read_body(req, MAX_REGISTER_BODY).await?;
    let d = details(&parse_json(&body)?)?;
    // Limits come before the roster is looked at, so guessing costs the guesser.
    let limits = app.limits();
    for (lim, key) in [
        (&limits.register_by_addr, crate::limits::address_key(client)),
        (&limits.register_by_card, d.card.to_string()),
    ] {
        if let Err(retry) = app.check_limit(lim, &key).await {
            return Err(register_limited(retry));
        }
    }
    let token = auth::new_token("m_").map_err(|e| {
        // The system's randomness failing is the server's trouble: logged, not told.
        crate::log::log("error", "no randomness for a token", &[("error", &e)]);
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Máy chủ tạm thời không đăng ký được; vui lòng thử lại sau.",
        )
    })?;
    let reg = Registration {
        card: d.card,
        name_key: name_key(&d.name),
        birth_date: crate::model::format_date(d.birth),
        unit: d.unit,
        device: d.device,
        token_hash: auth::hash(&token),
    };
    match store(app, reg).await? {
        Some(m) => Ok(json_response(
            StatusCode::CREATED,
            &json!({"token": token, "member": {"card_number": m.card_number, "full_name": m.full_name, "unit_code": m.unit_code, "unit_name": m.unit_name, "role": m.role}}),
        )),
        None => {
            app.metrics()
                .registrations_refused
                .fetch_add(1, Ordering::Relaxed);
            Err(error(StatusCode::UNAUTHORIZED, "not_matched", NOT_MATCHED))
        }
    }
}

/// The registration's fields, each checked with a message that says what to write.
fn details(v: &Value) -> Result<Details, ApiError> {
    let field = |k: &str| -> Result<&str, ApiError> {
        // No control characters but spaces (no roster field has them; PostgreSQL's text
        // refuses NUL); tabs and line breaks are spaces, as everywhere in names.
        v.get(k).and_then(Value::as_str).filter(|s| !s.trim().is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_control() && !c.is_whitespace())).ok_or_else(|| {
            bad("invalid_request", &format!("Thiếu \"{k}\": cần số thẻ đảng viên (card_number), họ và tên (full_name), ngày sinh (birth_date, YYYY-MM-DD) và mã chi bộ (unit_code)."))
        })
    };
    let (card, name, birth, unit) = (
        field("card_number")?,
        field("full_name")?,
        field("birth_date")?,
        field("unit_code")?,
    );
    let card = CardNumber::parse(card).ok_or_else(|| {
        bad(
            "invalid_card_number",
            "Số thẻ đảng viên là dãy chữ số in trên thẻ (có thể có dấu cách hoặc dấu chấm).",
        )
    })?;
    let birth = parse_date(birth).ok_or_else(|| {
        bad(
            "invalid_birth_date",
            "Ngày sinh viết theo dạng năm-tháng-ngày (YYYY-MM-DD), ví dụ 1968-09-02.",
        )
    })?;
    let unit = UnitCode::parse(unit).ok_or_else(|| {
        bad(
            "invalid_unit_code",
            "Mã chi bộ gồm chữ, số và dấu chấm, ví dụ TU.01.01.01; nếu chưa biết mã, hỏi bí thư chi bộ.",
        )
    })?;
    let device = match v.get("device_id") {
        None | Some(Value::Null) => None,
        Some(d) => Some(
            d.as_str()
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
                .ok_or_else(|| {
                    bad(
                        "invalid_device_id",
                        "Mã điện thoại (device_id), nếu có, phải là một UUID.",
                    )
                })?,
        ),
    };
    Ok(Details {
        card,
        name: name.to_string(),
        birth,
        unit,
        device,
    })
}

/// Stores the registration; the member it matched, if any. The write and what follows it run
/// in their own task: a client that hangs up mid-request cancels the handler, not the
/// bookkeeping of a registration already committed.
async fn store<S: Storage>(
    app: &Arc<App<S>>,
    reg: Registration,
) -> Result<Option<crate::storage::MemberRef>, ApiError> {
    let app = app.clone();
    super::committed("registration failed", async move {
        let _gate = app.writer_gate().await;
        let found = app.store().register(reg, now()).await?;
        if let Some(m) = &found {
            let day = crate::reports::today();
            let card = m.card_number.as_str().to_string();
            app.update_reports(move |r| r.registered(&card, day)).await;
            app.metrics().registrations.fetch_add(1, Ordering::Relaxed);
        }
        Ok(found)
    })
    .await?
    .map_err(store_error)
}
