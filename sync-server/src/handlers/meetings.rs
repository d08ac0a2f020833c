//! Cell meetings under `/api/v1/meetings/{YYYY-MM}` (described in `openapi.json`): the
//! month's record of the member's cell (one per cell and month; a later `PUT` replaces it),
//! the planned meeting, and the cell's members for the secretary's attendance list. Members
//! of the cell read; its secretary or deputy writes. Messages are in Vietnamese: the phone
//! shows them to the secretary as they are.

use crate::app::App;
use crate::caller;
use crate::model::{parse_date, today_vn, CardNumber, Month};
use crate::reply::{bad, error, json_response, store_error, ApiError, Resp};
use crate::request::{now, parse_json, read_body};
use crate::storage::{MemberRef, NewMeeting, Storage, StoreError};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::Arc;

/// Bodies of meeting requests: two lists of a cell's cards fit many times over.
pub const MAX_MEETING_BODY: usize = 64 * 1024;
/// At most this many cards per list and documents per record.
pub const MAX_CARDS: usize = 1000;
pub const MAX_DOCS: usize = 100;
/// Places are short texts ("Nhà văn hóa thôn 1").
pub const MAX_PLACE: usize = 200;

/// The member asking about `month` of their cell's meetings: a month written `YYYY-MM`, a
/// phone within the rate limits, a member of a cell.
async fn cell_member<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
    client: IpAddr,
    month: &str,
) -> Result<(MemberRef, Month), ApiError> {
    let month = Month::parse(month).ok_or_else(|| {
        bad(
            "invalid_month",
            "Tháng phải viết dạng NNNN-TT, ví dụ 2026-12.",
        )
    })?;
    let member = caller::limited_member(app, req, client).await?;
    if !member.in_cell {
        return Err(error(
            StatusCode::FORBIDDEN,
            "not_in_cell",
            "Đồng chí không thuộc chi bộ nào trong danh sách đảng viên.",
        ));
    }
    Ok((member, month))
}

/// `GET /api/v1/meetings/{month}`: the month's record and planned meeting of the cell.
pub async fn get_record<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
    month: &str,
) -> Result<Resp, ApiError> {
    let (member, month) = cell_member(app, &req, client, month).await?;
    let crate::storage::MonthRecord { meeting, schedule } = app
        .store()
        .meeting(member.unit_code.clone(), month)
        .await
        .map_err(store_error)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"meeting": meeting, "schedule": schedule}),
    ))
}

/// `PUT /api/v1/meetings/{month}`: the secretary records the month's meeting.
pub async fn put_record<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
    month: &str,
) -> Result<Resp, ApiError> {
    let (member, month, v) = secretary_body(app, req, client, month).await?;
    let rec = record(app, &member, month, &v)?;
    store_record(app, rec).await
}

/// `PUT /api/v1/meetings/{month}/schedule`: the secretary plans the month's meeting.
pub async fn put_schedule<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
    month: &str,
) -> Result<Resp, ApiError> {
    let (member, month, v) = secretary_body(app, req, client, month).await?;
    schedule(app, member, month, &v).await
}

/// A write of the cell's secretary about `month`: who, the month, and the JSON body.
async fn secretary_body<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
    month: &str,
) -> Result<(MemberRef, Month, Value), ApiError> {
    let (member, month) = cell_member(app, &req, client, month).await?;
    secretary(&member)?;
    let body = read_body(req, MAX_MEETING_BODY).await?;
    Ok((member, month, parse_json(&body)?))
}

/// `GET /api/v1/meetings/{month}/members`: the cell's members for the attendance list.
pub async fn get_members<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
    month: &str,
) -> Result<Resp, ApiError> {
    let (member, month) = cell_member(app, &req, client, month).await?;
    secretary(&member)?;
    members(app, member, month).await
}

fn secretary(m: &MemberRef) -> Result<(), ApiError> {
    if m.role.may_record_meeting() {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "not_secretary",
            "Chỉ bí thư hoặc phó bí thư chi bộ được ghi nhận và đặt lịch sinh hoạt.",
        ))
    }
}

/// Refuses a month before last month: records are made at the meeting or soon after.
fn open_month(month: Month) -> Result<(), ApiError> {
    if month < Month::of(today_vn()).prev() {
        return Err(bad(
            "month_closed",
            "Chỉ ghi nhận hoặc đặt lịch cho tháng này và tháng trước.",
        ));
    }
    Ok(())
}

/// A short text: trimmed, NFC, no control characters, at most `MAX_PLACE` characters;
/// `None` when absent, null or empty.
fn place(v: &Value, what: &str) -> Result<Option<String>, ApiError> {
    let refuse = || {
        bad(
            "invalid_place",
            &format!("\"{what}\" là địa điểm, tối đa {MAX_PLACE} ký tự."),
        )
    };
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            let s = crate::model::clean_name(s);
            if s.chars().count() > MAX_PLACE || s.chars().any(char::is_control) {
                return Err(refuse());
            }
            Ok((!s.is_empty()).then_some(s))
        }
        _ => Err(refuse()),
    }
}

fn cards(v: &Value, key: &str) -> Result<Vec<CardNumber>, ApiError> {
    let list = v.get(key).and_then(Value::as_array).ok_or_else(|| {
        bad(
            "invalid_request",
            &format!("\"{key}\" là danh sách số thẻ đảng viên (có thể rỗng)."),
        )
    })?;
    if list.len() > MAX_CARDS {
        return Err(bad(
            "invalid_request",
            &format!("\"{key}\" có tối đa {MAX_CARDS} số thẻ."),
        ));
    }
    list.iter()
        .map(|c| {
            c.as_str().and_then(CardNumber::parse).ok_or_else(|| {
                bad(
                    "invalid_card_number",
                    &format!("\"{key}\" có một số thẻ không hợp lệ: {c}"),
                )
            })
        })
        .collect()
}

/// The record a secretary sends, checked: the day within the month and not in the future,
/// the present and excused members, the documents used (of the handbook, once each).
fn record<S: Storage>(
    app: &Arc<App<S>>,
    member: &MemberRef,
    month: Month,
    v: &Value,
) -> Result<NewMeeting, ApiError> {
    if !v.is_object() {
        return Err(bad(
            "invalid_request",
            "Nội dung là {held_on, place, present, excused, docs}.",
        ));
    }
    let held_on = v
        .get("held_on")
        .and_then(Value::as_str)
        .and_then(parse_date)
        .ok_or_else(|| {
            bad(
                "invalid_held_on",
                "\"held_on\" là ngày sinh hoạt, viết dạng NNNN-TT-NN.",
            )
        })?;
    let place = place(v.get("place").unwrap_or(&Value::Null), "place")?;
    let present = cards(v, "present")?;
    let excused = cards(v, "excused")?;
    if let Some(c) = present.iter().find(|c| excused.contains(c)) {
        return Err(bad(
            "card_in_both_lists",
            &format!("Số thẻ {c} vừa có mặt vừa vắng có lý do."),
        ));
    }
    let docs = docs(app, v)?;
    open_month(month)?;
    if !month.contains(held_on) {
        return Err(bad(
            "held_on_outside_month",
            &format!("Ngày sinh hoạt phải trong {}.", month.vi()),
        ));
    }
    if held_on > today_vn() {
        return Err(bad(
            "held_on_in_future",
            "Ngày sinh hoạt không được sau hôm nay.",
        ));
    }
    Ok(NewMeeting {
        cell: member.unit_code.clone(),
        month,
        held_on,
        place,
        present,
        excused,
        docs,
        by: member.card_number.clone(),
    })
}

/// The documents a record names: of the handbook, each once, in the order sent.
fn docs<S: Storage>(app: &Arc<App<S>>, v: &Value) -> Result<Vec<String>, ApiError> {
    let docs = v.get("docs").and_then(Value::as_array).ok_or_else(|| {
        bad(
            "invalid_request",
            "\"docs\" là danh sách mã tài liệu đã dùng trong buổi sinh hoạt.",
        )
    })?;
    if docs.len() > MAX_DOCS {
        return Err(bad(
            "invalid_docs",
            &format!("\"docs\" có tối đa {MAX_DOCS} tài liệu."),
        ));
    }
    let mut doc_ids: Vec<String> = Vec::with_capacity(docs.len());
    for d in docs {
        let d = d
            .as_str()
            .filter(|d| d.len() <= 200 && app.knows_doc(d))
            .ok_or_else(|| {
                bad(
                    "invalid_docs",
                    &format!("Không có tài liệu {d} trong sổ tay."),
                )
            })?;
        if !doc_ids.iter().any(|x| x == d) {
            doc_ids.push(d.to_string());
        }
    }
    Ok(doc_ids)
}

/// Stores a record. Once committed, the reports are brought up to date even if the client
/// hangs up.
async fn store_record<S: Storage>(app: &Arc<App<S>>, rec: NewMeeting) -> Result<Resp, ApiError> {
    let app2 = app.clone();
    let stored = super::committed("storing the meeting failed", async move {
        let _gate = app2.writer_gate().await;
        let m = app2.store().put_meeting(rec, now()).await?;
        let count = crate::storage::MeetingCount {
            cell: m.cell.code.clone(),
            held_on: m.held_on.clone(),
            present: m.present,
            members: m.members,
            listed: true,
        };
        app2.update_reports(move |r| r.set_meeting(&count)).await;
        Ok(m)
    })
    .await?;
    let m = match stored {
        Ok(m) => m,
        Err(StoreError::Invalid(msg)) => return Err(bad("not_in_cell", &msg)),
        Err(e) => return Err(store_error(e)),
    };
    Ok(json_response(StatusCode::OK, &json!({ "meeting": m })))
}

/// Stores the planned meeting a secretary sends: when (in the month) and where.
async fn schedule<S: Storage>(
    app: &Arc<App<S>>,
    member: MemberRef,
    month: Month,
    v: &Value,
) -> Result<Resp, ApiError> {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let starts = v
        .get("starts_at")
        .and_then(Value::as_str)
        .and_then(|s| time::PrimitiveDateTime::parse(s, &f).ok())
        .ok_or_else(|| {
            bad(
                "invalid_starts_at",
                "\"starts_at\" là giờ bắt đầu, viết dạng NNNN-TT-NNTGG:PP (giờ Việt Nam).",
            )
        })?;
    let place = place(v.get("place").unwrap_or(&Value::Null), "place")?
        .ok_or_else(|| bad("invalid_place", "Cần ghi địa điểm sinh hoạt (\"place\")."))?;
    open_month(month)?;
    if !month.contains(starts.date()) {
        return Err(bad(
            "starts_at_outside_month",
            &format!("Lịch sinh hoạt phải trong {}.", month.vi()),
        ));
    }
    let starts_at = starts.format(&f).unwrap_or_default();
    let s = app
        .store()
        .put_schedule(
            member.unit_code.clone(),
            month,
            starts_at,
            place,
            member.card_number.clone(),
            now(),
        )
        .await
        .map_err(store_error)?;
    Ok(json_response(StatusCode::OK, &json!({ "schedule": s })))
}

async fn members<S: Storage>(
    app: &Arc<App<S>>,
    member: MemberRef,
    month: Month,
) -> Result<Resp, ApiError> {
    let docs = app.docs_of_month(&month.to_string());
    let crate::storage::CellRoster {
        cell,
        members: mut list,
    } = app
        .store()
        .cell_roster(member.unit_code.clone(), docs.clone())
        .await
        .map_err(store_error)?;
    // Vietnamese order: by given name (the last word), then by the whole name.
    let key = |name: &str| {
        let f = sotay_generator::text::fold(name);
        let given = f.split_whitespace().last().unwrap_or("").to_string();
        (given, f)
    };
    list.sort_by_cached_key(|m| (key(&m.full_name), m.card_number.clone()));
    let n = docs.len() as u32;
    let members: Vec<Value> = list
        .into_iter()
        .map(|m| {
            let read = n > 0 && m.read_docs >= n;
            let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
            v["read"] = json!(read);
            v
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"month": month.to_string(), "cell": cell, "docs": docs, "members": members}),
    ))
}
