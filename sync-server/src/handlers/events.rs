//! Reading events (`POST /api/v1/events`): the batches a phone queued while offline — a document
//! viewed or read, feedback, a notice opened or answered, the old meeting event. Each event is
//! checked on its own and answered `stored`, `duplicate` or `rejected`; the valid ones are
//! stored in one write, acknowledged only once durable, and counted in the reports' aggregate.

use crate::app::App;
use crate::caller;
use crate::catalog::Catalog;
use crate::model::EventType;
use crate::reply::{bad, error, json_response, store_error, ApiError, Resp};
use crate::request::{now, parse_json, read_body};
use crate::storage::{MemberRef, NewEvent, Storage, Stored};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Limits on what a phone may send.
pub const MAX_EVENTS: usize = 500;
pub const MAX_EVENTS_BODY: usize = 256 * 1024;
/// Events may be up to this old (phones queue them offline) and this far in the future.
pub const MAX_EVENT_AGE: i64 = 400 * 86_400;
pub const MAX_EVENT_AHEAD: i64 = 86_400;

/// What every event of a batch is checked against.
struct Batch {
    member: MemberRef,
    now: i64,
    catalog: Arc<Catalog>,
    /// The cell's size, when an event of the batch records a meeting.
    cell_size: Option<u32>,
    /// The notices on the member's path, when an event of the batch names one.
    notices: Option<HashSet<String>>,
}

pub async fn events<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    caller::limit_address(app, client).await?;
    // The token is checked before the body is read: an unknown phone's batch is not read.
    let member = caller::member(app, &req).await?;
    let body = read_body(req, MAX_EVENTS_BODY).await?;
    caller::limit_member(app, &member).await?;
    let v = parse_json(&body)?;
    let list = v
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("invalid_request", "the body is {\"events\": [...]}"))?;
    if list.len() > MAX_EVENTS {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            &format!("at most {MAX_EVENTS} events per request"),
        ));
    }
    let batch = batch(app, member, list).await?;
    // Validate each event; keep the valid ones for one write.
    let mut results: Vec<Value> = Vec::with_capacity(list.len());
    let mut valid: Vec<(usize, NewEvent)> = Vec::new();
    for e in list {
        let raw_id = e
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match validate(&batch, e) {
            Ok(ev) => {
                valid.push((results.len(), ev));
                results.push(json!({"id": raw_id, "status": "pending"}));
            }
            Err(msg) => {
                app.metrics()
                    .events_rejected
                    .fetch_add(1, Ordering::Relaxed);
                results.push(json!({"id": raw_id, "status": "rejected", "error": msg}));
            }
        }
    }
    if !valid.is_empty() {
        let (slots, evs): (Vec<usize>, Vec<NewEvent>) = valid.into_iter().unzip();
        let stored = store(app, &batch, evs).await?;
        for (slot, s) in slots.into_iter().zip(stored) {
            let (status, err) = match s {
                Stored::Stored => ("stored", None),
                Stored::Duplicate => ("duplicate", None),
                Stored::Conflict => ("rejected", Some("this id is already used by another event")),
            };
            results[slot]["status"] = json!(status);
            if let Some(err) = err {
                results[slot]["error"] = json!(err);
            }
        }
    }
    Ok(json_response(StatusCode::OK, &json!({"results": results})))
}

/// What the batch's events are checked against, read once for the batch.
async fn batch<S: Storage>(
    app: &Arc<App<S>>,
    member: MemberRef,
    list: &[Value],
) -> Result<Batch, ApiError> {
    let kind = |e: &Value, k: &str| e.get("type").and_then(Value::as_str) == Some(k);
    // The old meeting event may claim at most the cell's members.
    let cell_size = match list.iter().any(|e| kind(e, "meeting_held")) {
        true => Some(
            app.store()
                .cell_size(member.unit_code.clone())
                .await
                .map_err(store_error)?,
        ),
        false => None,
    };
    // Events about notices may name only the notices sent to the member's path.
    let notices = match list
        .iter()
        .any(|e| kind(e, "notice_read") || e.get("notice").is_some())
    {
        true => Some(crate::handlers::notices::ids_for(app, &member).await?),
        false => None,
    };
    Ok(Batch {
        member,
        now: now(),
        catalog: app.catalog(),
        cell_size,
        notices,
    })
}

/// Stores the valid events in one write; what became of each. As for registrations: once
/// committed, the aggregate and the counters are updated even if the client hangs up before
/// the answer.
async fn store<S: Storage>(
    app: &Arc<App<S>>,
    batch: &Batch,
    evs: Vec<NewEvent>,
) -> Result<Vec<Stored>, ApiError> {
    let kinds: Vec<(EventType, String, i64, Option<String>)> = evs
        .iter()
        .map(|e| (e.kind, e.doc.clone(), e.at, e.data.clone()))
        .collect();
    let (app, member) = (app.clone(), batch.member.clone());
    let (now, cell_size) = (batch.now, batch.cell_size);
    super::committed("storing events failed", async move {
        let _gate = app.writer_gate().await;
        let stored = app.store().append_events(member.clone(), evs, now).await?;
        let card = member.card_number.as_str().to_string();
        let cell = member.unit_code.as_str().to_string();
        let fresh: Vec<_> = kinds
            .into_iter()
            .zip(&stored)
            .filter(|(_, st)| **st == Stored::Stored)
            .map(|(k, _)| k)
            .collect();
        app.update_reports(move |r| {
            for (kind, doc, at, data) in &fresh {
                let day = crate::reports::day_of_unix(*at);
                r.event(&card, day, *kind, doc);
                if *kind == EventType::MeetingHeld {
                    let n = crate::storage::attendees_of(data.as_deref());
                    r.meeting_event(&cell, day, n, cell_size.unwrap_or(0));
                }
            }
        })
        .await;
        let m = app.metrics();
        for st in &stored {
            let counter = match st {
                Stored::Stored => &m.events_stored,
                Stored::Duplicate => &m.events_duplicate,
                Stored::Conflict => &m.events_rejected,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(stored)
    })
    .await?
    .map_err(store_error)
}

/// One event, checked: the event to store, or why it is rejected (in the answer's words).
fn validate(batch: &Batch, e: &Value) -> Result<NewEvent, String> {
    let obj = e.as_object().ok_or("an event is an object")?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .ok_or("\"id\" (a UUID) is required")?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| "\"id\" must be a UUID")?;
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or("\"type\" is required")?;
    let kind = EventType::parse(kind)
        .ok_or_else(|| format!("unknown type; one of: {}", EventType::NAMES.join(", ")))?;
    let (doc, notice) = target(batch, obj, kind)?;
    let version = match obj.get("version") {
        None | Some(Value::Null) => None,
        // No control characters: PostgreSQL's text refuses NUL, and no version has them.
        Some(Value::String(s)) if s.len() <= 64 && !s.chars().any(char::is_control) => {
            Some(s.clone())
        }
        Some(_) => return Err("\"version\" must be a short text".into()),
    };
    let at = time_of(obj, batch.now)?;
    let ms = match obj.get("ms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|m| (0..=86_400_000).contains(m))
                .ok_or("\"ms\" must be milliseconds between 0 and one day")?,
        ),
    };
    let data = data_of(batch, obj, kind, notice.is_some())?;
    Ok(NewEvent {
        id,
        kind,
        doc,
        version,
        at,
        ms,
        data,
    })
}

/// What an event is about: the document id, or the notice's id in its place (a notice's
/// events name it instead of a document; a reply, "góp ý", names one or the other), and
/// whether it named a notice.
fn target(
    batch: &Batch,
    obj: &Map<String, Value>,
    kind: EventType,
) -> Result<(String, Option<String>), String> {
    let notice = match obj.get("notice") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if batch.notices.as_ref().is_some_and(|ns| ns.contains(n)) => {
            Some(n.as_str())
        }
        Some(_) => return Err("unknown notice".into()),
    };
    let doc = match (kind, notice) {
        (EventType::NoticeRead, None) => {
            return Err("notice_read needs \"notice\" (a notice's id)".into())
        }
        (EventType::NoticeRead | EventType::Feedback, Some(n)) => {
            if obj.get("doc").is_some_and(|d| !d.is_null()) {
                return Err("an event names a document or a notice, not both".into());
            }
            n
        }
        (_, Some(_)) => return Err("only notice_read and feedback name a notice".into()),
        (_, None) => {
            let doc = obj
                .get("doc")
                .and_then(Value::as_str)
                .ok_or("\"doc\" (a document id) is required")?;
            if doc.len() > 200 || !batch.catalog.contains(doc) {
                return Err("unknown document".into());
            }
            doc
        }
    };
    Ok((doc.to_string(), notice.map(str::to_string)))
}

/// When the event happened (`at`, RFC 3339), in Unix seconds, within the window phones may
/// queue events for.
fn time_of(obj: &Map<String, Value>, now: i64) -> Result<i64, String> {
    let at = obj
        .get("at")
        .and_then(Value::as_str)
        .ok_or("\"at\" (an RFC 3339 time) is required")?;
    let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|_| "\"at\" must be an RFC 3339 time such as 2026-11-27T08:30:00+07:00")?
        .unix_timestamp();
    if at > now + MAX_EVENT_AHEAD || at < now - MAX_EVENT_AGE {
        return Err("\"at\" is too far from now".into());
    }
    Ok(at)
}

/// The data an event of `kind` carries: a feedback's text, a meeting's attendees.
fn data_of(
    batch: &Batch,
    obj: &Map<String, Value>,
    kind: EventType,
    names_notice: bool,
) -> Result<Option<String>, String> {
    Ok(match kind {
        EventType::Feedback => {
            let text = obj
                .get("text")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or("feedback needs \"text\"")?;
            if text.chars().count() > 2000 {
                return Err("feedback \"text\" has at most 2000 characters".into());
            }
            let text = sotay_generator::text::nfc(text);
            Some(match names_notice {
                true => crate::storage::notices::reply_data(&text),
                false => json!({ "text": text }).to_string(),
            })
        }
        EventType::MeetingHeld => {
            let member = &batch.member;
            if !member.role.may_record_meeting() || !member.in_cell {
                return Err(
                    "only the cell's secretary or deputy secretary records a meeting".into(),
                );
            }
            let n = obj
                .get("attendees")
                .and_then(Value::as_u64)
                .filter(|n| *n <= 1000)
                .ok_or("meeting_held needs \"attendees\", a number")?;
            let size = batch.cell_size.unwrap_or(0);
            if n > u64::from(size) {
                return Err(format!(
                    "\"attendees\" is more than the cell's {size} members"
                ));
            }
            Some(json!({"attendees": n}).to_string())
        }
        _ => None,
    })
}
