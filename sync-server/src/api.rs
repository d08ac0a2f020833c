//! The JSON API under `/api/v1` (DESIGN.md): search, registration of a phone, reading events,
//! and the operators' `/healthz` and `/metrics`. Every error is `{"error": {"code", "message"}}`
//! with the right status; nothing a client sends can make the server panic.

use crate::auth;
use crate::http::{full, internal, App, Resp};
use crate::limits::address_key;
use crate::model::{name_key, parse_date, CardNumber, EventType, UnitCode};
use crate::storage::{NewEvent, Registration, Storage, StoreError, Stored};
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use sotay_generator::search::{Filter, Results};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The OpenAPI description of this API, served at `/api/v1/openapi.json` (kept true by
/// tests/openapi.rs and the schemathesis test at the root).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Limits on what a client may send.
pub const MAX_EVENTS: usize = 500;
pub const MAX_EVENTS_BODY: usize = 256 * 1024;
pub const MAX_REGISTER_BODY: usize = 4 * 1024;
/// Events may be up to this old (phones queue them offline) and this far in the future.
pub const MAX_EVENT_AGE: i64 = 400 * 86_400;
pub const MAX_EVENT_AHEAD: i64 = 86_400;

/// An API error: its status, a stable code for programs and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn response(&self) -> Resp {
        let mut r = json_response(
            self.status,
            &json!({"error": {"code": self.code, "message": self.message}}),
        );
        let retry = self.retry_after.or(match self.status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => Some(5),
            _ => None,
        });
        if let Some(v) = retry.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

pub fn error(status: StatusCode, code: &'static str, message: &str) -> ApiError {
    ApiError {
        status,
        code,
        message: message.to_string(),
        retry_after: None,
    }
}

pub fn json_response(status: StatusCode, v: &Value) -> Resp {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(full(serde_json::to_vec(v).unwrap_or_default()))
        .unwrap_or_else(|_| internal())
}

pub(crate) fn limited(retry: u64, what: &str) -> ApiError {
    ApiError {
        retry_after: Some(retry),
        ..error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("too many {what}; retry in {retry} s"),
        )
    }
}

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

pub(crate) fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(m) => error(StatusCode::BAD_REQUEST, "invalid", &m),
        StoreError::Conflict(m) => error(StatusCode::CONFLICT, "conflict", &m),
        StoreError::Unavailable(m) => {
            crate::log::log("error", "storage unavailable", &[("error", &m)]);
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server cannot store data right now; nothing was saved, retry later",
            )
        }
    }
}

pub async fn handle<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    let path = req.uri().path().to_string();
    match route(app, req, client).await {
        Err(e) if e.status == StatusCode::METHOD_NOT_ALLOWED => {
            let mut r = e.response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allowed(&path)));
            Ok(r)
        }
        other => other,
    }
}

async fn route<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    let path = req.uri().path().to_string();
    let m = req.method().clone();
    match (m, path.as_str()) {
        (Method::GET | Method::HEAD, "/healthz") => Ok(healthz(app).await),
        (Method::GET, "/metrics") => Ok(Response::builder()
            .header(header::CONTENT_TYPE, "text/plain; version=0.0.4")
            .body(full(
                app.metrics
                    .render(app.store.queue_depth(), app.started.elapsed()),
            ))
            .unwrap_or_else(|_| internal())),
        (Method::GET, "/api/v1/openapi.json") => Ok(Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(full(OPENAPI))
            .unwrap_or_else(|_| internal())),
        (Method::GET, "/api/v1/search") => search(app, &req, client),
        (Method::POST, "/api/v1/register") => register(app, req, client).await,
        (Method::POST, "/api/v1/events") => events(app, req, client).await,
        (_, p) if p.starts_with("/api/v1/reports/") => crate::report_api::handle(app, req, p).await,
        (_, p) if p.starts_with("/api/v1/meetings/") => {
            crate::meeting_api::handle(app, req, client, p).await
        }
        (_, p) if p.starts_with("/api/v1/roster/") => crate::roster_api::handle(app, req, p).await,
        (_, p) if p.starts_with("/api/v1/admin/tokens") => {
            crate::token_api::handle(app, req, p).await
        }
        (_, p) if crate::notice_api::allowed(p).is_some() => {
            crate::notice_api::handle(app, req, client, p).await
        }
        (_, p) if crate::push::allowed(p).is_some() => crate::push::handle(app, req, p).await,
        (
            _,
            "/api/v1/search"
            | "/api/v1/register"
            | "/api/v1/events"
            | "/api/v1/openapi.json"
            | "/healthz"
            | "/metrics",
        ) => Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed here",
        )),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such API endpoint",
        )),
    }
}

/// The methods an API path answers, for the `Allow` header of a 405 (RFC 9110 requires it).
fn allowed(path: &str) -> &'static str {
    if let Some(a) = crate::meeting_api::allowed(path) {
        return a;
    }
    if let Some(a) = crate::roster_api::allowed(path) {
        return a;
    }
    if let Some(a) = crate::token_api::allowed(path) {
        return a;
    }
    if let Some(a) = crate::notice_api::allowed(path) {
        return a;
    }
    if let Some(a) = crate::push::allowed(path) {
        return a;
    }
    match path {
        "/healthz" => "GET, HEAD",
        "/api/v1/register" | "/api/v1/events" => "POST",
        _ => "GET",
    }
}

async fn healthz<S: Storage>(app: &Arc<App<S>>) -> Resp {
    let db = app.store.roster_is_empty().await;
    let docs = app.catalog.read().map(|c| c.len()).unwrap_or(0);
    let search = app.search.read().map(|s| s.is_some()).unwrap_or(false);
    let ok = db.is_ok();
    json_response(
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        &json!({"status": if ok { "ok" } else { "unavailable" }, "documents": docs, "search": search, "roster_loaded": db.map(|e| !e).unwrap_or(false), "queue": app.store.queue_depth()}),
    )
}

fn params(req: &Request<Incoming>) -> HashMap<String, String> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn run_search<S: Storage>(
    app: &Arc<App<S>>,
    p: &HashMap<String, String>,
) -> Result<Results, ApiError> {
    let q = p.get("q").map(|s| s.trim()).unwrap_or("");
    if q.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "missing_query",
            "give the words to search for in q=",
        ));
    }
    if q.chars().count() > 200 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "query_too_long",
            "a query has at most 200 characters",
        ));
    }
    let num = |k: &str, default: usize, max: usize| -> Result<usize, ApiError> {
        match p.get(k).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "invalid_parameter",
                        &format!("{k} must be a whole number up to {max}"),
                    )
                }),
        }
    };
    let limit = num("limit", 10, 50)?;
    let offset = num("offset", 0, 10_000)?;
    let year = match p.get("year").filter(|s| !s.is_empty()) {
        None => None,
        Some(y) => Some(y.parse::<u16>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "year must be a year such as 2026",
            )
        })?),
    };
    let nonempty = |k: &str| p.get(k).filter(|s| !s.is_empty()).cloned();
    let filter = Filter {
        kind: nonempty("kind"),
        section: nonempty("section"),
        year,
    };
    let index = app.search.read().ok().and_then(|s| s.clone());
    let Some(index) = index else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "search_unavailable",
            "the search index is not built yet",
        ));
    };
    // `correct=0`: the words as typed, even when they find little ("Vẫn tìm ...").
    let correct = p.get("correct").map(String::as_str) != Some("0");
    Ok(index.search_with(q, &filter, offset, limit, correct))
}

fn search<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    // Per instance even on a shared database: search reads no member data and no database,
    // and this limit protects each instance's CPU; a shared bucket would put a database
    // write in front of every search.
    if let Err(retry) = app.limits.search_by_addr.check(&address_key(client)) {
        app.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Err(limited(retry, "searches"));
    }
    let results = run_search(app, &params(req))?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(&results).unwrap_or(Value::Null),
    ))
}

/// `/tim-kiem/?q=...` without JavaScript: the search page with the server's results in it.
pub fn search_page<S: Storage>(app: &Arc<App<S>>, req: &Request<Incoming>) -> Option<Resp> {
    let p = params(req);
    p.get("q").filter(|q| !q.trim().is_empty())?;
    let crate::files::Lookup::Found(page) = app.files.lookup("/tim-kiem/") else {
        return None;
    };
    let html = String::from_utf8_lossy(&page.bytes).into_owned();
    let base = app.site_base();
    let results = match run_search(app, &p) {
        Ok(r) => render_results(&r, &base, p.get("q").map_or("", |q| q.trim())),
        Err(_) => "<p>Chưa tìm được. Vui lòng thử lại.</p>".to_string(),
    };
    let html = html.replacen("<!--sotay:search-results-->", &results, 1);
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(full(html))
            .unwrap_or_else(|_| internal()),
    )
}

fn render_results(r: &Results, base: &str, asked: &str) -> String {
    use sotay_generator::html::esc;
    if r.total == 0 {
        return "<p class=\"search-status\">Không tìm thấy văn bản nào. Hãy thử từ khóa khác, có dấu hoặc không dấu.</p>".into();
    }
    let mut s = String::new();
    if let Some(sg) = &r.suggestion {
        let page = format!("{}/tim-kiem/", base.trim_end_matches('/'));
        s.push_str(&format!(
            "<p class=\"search-suggest\">Có phải đồng chí muốn tìm: <a href=\"{page}?q={}\"><em>{}</em></a>? Kết quả dưới đây là của từ khóa này. <a href=\"{page}?q={}&amp;correct=0\">Vẫn tìm “{}”</a></p>",
            esc(&url_encode(sg)),
            esc(sg),
            esc(&url_encode(asked)),
            esc(asked),
        ));
    }
    s.push_str(&format!(
        "<p class=\"meta\">Tìm thấy {} văn bản</p><ol class=\"results\">",
        r.total
    ));
    for h in &r.hits {
        let meta: Vec<String> = [h.number.clone(), h.date.clone()]
            .into_iter()
            .flatten()
            .map(|x| esc(&x))
            .collect();
        s.push_str(&format!(
            "<li><a href=\"{}{}\">{}</a>{}<p>{}</p></li>",
            esc(base.trim_end_matches('/')),
            esc(&h.url),
            esc(&h.title),
            if meta.is_empty() {
                String::new()
            } else {
                format!("<span class=\"meta\">{}</span>", meta.join(" · "))
            },
            h.snippet
        ));
    }
    s.push_str("</ol>");
    s
}

/// Percent-encodes a query for a URL's query string.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(crate) async fn read_body(req: Request<Incoming>, max: usize) -> Result<Bytes, ApiError> {
    let len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<usize>().ok());
    if len.is_some_and(|l| l > max) {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            &format!("the body may be at most {max} bytes"),
        ));
    }
    let body = Limited::new(req.into_body(), max);
    match tokio::time::timeout(Duration::from_secs(30), body.collect()).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the body took too long to arrive",
        )),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                &format!("the body may be at most {max} bytes"),
            ))
        }
        Ok(Err(_)) => Err(error(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "the body could not be read",
        )),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

pub(crate) fn parse_json(b: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(b).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &format!("the body is not valid JSON: {e}"),
        )
    })
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
async fn register<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    let body = read_body(req, MAX_REGISTER_BODY).await?;
    let v = parse_json(&body)?;
    let field = |k: &str| -> Result<&str, ApiError> {
        // No control characters but spaces (no roster field has them; PostgreSQL's text
        // refuses NUL); tabs and line breaks are spaces, as everywhere in names.
        v.get(k).and_then(Value::as_str).filter(|s| !s.trim().is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_control() && !c.is_whitespace())).ok_or_else(|| {
            error(StatusCode::BAD_REQUEST, "invalid_request", &format!("Thiếu \"{k}\": cần số thẻ đảng viên (card_number), họ và tên (full_name), ngày sinh (birth_date, YYYY-MM-DD) và mã chi bộ (unit_code)."))
        })
    };
    let (card, name, birth, unit) = (
        field("card_number")?,
        field("full_name")?,
        field("birth_date")?,
        field("unit_code")?,
    );
    let card = CardNumber::parse(card).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_card_number",
            "Số thẻ đảng viên là dãy chữ số in trên thẻ (có thể có dấu cách hoặc dấu chấm).",
        )
    })?;
    let birth = parse_date(birth).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_birth_date",
            "Ngày sinh viết theo dạng năm-tháng-ngày (YYYY-MM-DD), ví dụ 1968-09-02.",
        )
    })?;
    let unit = UnitCode::parse(unit).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
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
                    error(
                        StatusCode::BAD_REQUEST,
                        "invalid_device_id",
                        "Mã điện thoại (device_id), nếu có, phải là một UUID.",
                    )
                })?,
        ),
    };
    // Limits come before the roster is looked at, so guessing costs the guesser.
    for (lim, key) in [
        (&app.limits.register_by_addr, address_key(client)),
        (&app.limits.register_by_card, card.to_string()),
    ] {
        if let Err(retry) = app.check_limit(lim, &key).await {
            app.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
            return Err(register_limited(retry));
        }
    }
    let token = auth::new_token("m_")
        .map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e))?;
    let reg = Registration {
        card,
        name_key: name_key(name),
        birth_date: crate::model::format_date(birth),
        unit,
        device,
        token_hash: auth::hash(&token),
    };
    // The write and what follows it run in their own task: a client that hangs up mid-request
    // cancels this handler, not the bookkeeping of a registration already committed.
    let found = {
        let app = app.clone();
        tokio::spawn(async move {
            let _gate = app.writer_gate().await;
            let found = app.store.register(reg, now()).await?;
            if let Some(m) = &found {
                let day = crate::reports::today();
                app.update_reports(|r| r.registered(m.card_number.as_str(), day));
                app.metrics.registrations.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, StoreError>(found)
        })
        .await
        .map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "registration failed",
            )
        })?
        .map_err(store_error)?
    };
    match found {
        Some(m) => Ok(json_response(
            StatusCode::CREATED,
            &json!({"token": token, "member": {"card_number": m.card_number, "full_name": m.full_name, "unit_code": m.unit_code, "unit_name": m.unit_name, "role": m.role}}),
        )),
        None => {
            app.metrics
                .registrations_refused
                .fetch_add(1, Ordering::Relaxed);
            Err(error(StatusCode::UNAUTHORIZED, "not_matched", NOT_MATCHED))
        }
    }
}

#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
async fn events<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    if let Err(retry) = app
        .check_limit(&app.limits.events_by_addr, &address_key(client))
        .await
    {
        app.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Err(limited(retry, "requests"));
    }
    // The token is checked before the body is read: an unknown phone's batch is not read.
    let member = crate::caller::member(app, &req).await?;
    let body = read_body(req, MAX_EVENTS_BODY).await?;
    if let Err(retry) = app
        .check_limit(&app.limits.events_by_member, member.card_number.as_str())
        .await
    {
        app.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Err(limited(retry, "requests"));
    }
    let v = parse_json(&body)?;
    let list = v.get("events").and_then(Value::as_array).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is {\"events\": [...]}",
        )
    })?;
    if list.len() > MAX_EVENTS {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            &format!("at most {MAX_EVENTS} events per request"),
        ));
    }
    let now = now();
    // The old meeting event may claim at most the cell's members.
    let cell_size = if list
        .iter()
        .any(|e| e.get("type").and_then(Value::as_str) == Some("meeting_held"))
    {
        Some(
            app.store
                .cell_size(member.unit_code.clone())
                .await
                .map_err(store_error)?,
        )
    } else {
        None
    };
    // Events about notices may name only the notices sent to the member's path.
    let notices = if list.iter().any(|e| {
        e.get("type").and_then(Value::as_str) == Some("notice_read") || e.get("notice").is_some()
    }) {
        Some(crate::notice_api::ids_for(app, &member).await?)
    } else {
        None
    };
    // Validate each event; keep the valid ones for one write.
    let mut results: Vec<Value> = Vec::with_capacity(list.len());
    let mut valid: Vec<(usize, NewEvent)> = Vec::new();
    for e in list {
        let raw_id = e
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match validate(app, &member, e, now, cell_size, notices.as_ref()) {
            Ok(ev) => {
                valid.push((results.len(), ev));
                results.push(json!({"id": raw_id, "status": "pending"}));
            }
            Err(msg) => {
                app.metrics.events_rejected.fetch_add(1, Ordering::Relaxed);
                results.push(json!({"id": raw_id, "status": "rejected", "error": msg}));
            }
        }
    }
    if !valid.is_empty() {
        let (slots, evs): (Vec<usize>, Vec<NewEvent>) = valid.into_iter().unzip();
        let kinds: Vec<(crate::model::EventType, String, i64, Option<String>)> = evs
            .iter()
            .map(|e| (e.kind, e.doc.clone(), e.at, e.data.clone()))
            .collect();
        // As for registrations: once committed, the aggregate and the counters are updated
        // even if the client hangs up before the answer.
        let stored = {
            let app = app.clone();
            let member = member.clone();
            tokio::spawn(async move {
                let _gate = app.writer_gate().await;
                let stored = app.store.append_events(member.clone(), evs, now).await?;
                let card = member.card_number.as_str();
                let cell = member.unit_code.as_str();
                app.update_reports(|r| {
                    for ((kind, doc, at, data), st) in kinds.iter().zip(&stored) {
                        if *st == Stored::Stored {
                            let day = crate::reports::day_of_unix(*at);
                            r.event(card, day, *kind, doc);
                            if *kind == EventType::MeetingHeld {
                                let n = crate::storage::attendees_of(data.as_deref());
                                r.meeting_event(cell, day, n, cell_size.unwrap_or(0));
                            }
                        }
                    }
                });
                for st in &stored {
                    let counter = match st {
                        Stored::Stored => &app.metrics.events_stored,
                        Stored::Duplicate => &app.metrics.events_duplicate,
                        Stored::Conflict => &app.metrics.events_rejected,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, StoreError>(stored)
            })
            .await
            .map_err(|_| {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "storing events failed",
                )
            })?
            .map_err(store_error)?
        };
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

#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
fn validate<S: Storage>(
    app: &App<S>,
    member: &crate::storage::MemberRef,
    e: &Value,
    now: i64,
    cell_size: Option<u32>,
    notices: Option<&std::collections::HashSet<String>>,
) -> Result<NewEvent, String> {
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
    // A notice's events name it instead of a document (and keep its id where a document's
    // would be); a reply ("góp ý") names one or the other.
    let notice = match obj.get("notice") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if notices.is_some_and(|ns| ns.contains(n)) => Some(n.as_str()),
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
            if doc.len() > 200 || !app.knows_doc(doc) {
                return Err("unknown document".into());
            }
            doc
        }
    };
    let version = match obj.get("version") {
        None | Some(Value::Null) => None,
        // No control characters: PostgreSQL's text refuses NUL, and no version has them.
        Some(Value::String(s)) if s.len() <= 64 && !s.chars().any(char::is_control) => {
            Some(s.clone())
        }
        Some(_) => return Err("\"version\" must be a short text".into()),
    };
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
    let ms = match obj.get("ms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|m| (0..=86_400_000).contains(m))
                .ok_or("\"ms\" must be milliseconds between 0 and one day")?,
        ),
    };
    let data = match kind {
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
            Some(match notice {
                Some(_) => crate::storage::notices::reply_data(&text),
                None => json!({ "text": text }).to_string(),
            })
        }
        EventType::MeetingHeld => {
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
            let size = cell_size.unwrap_or(0);
            if n > u64::from(size) {
                return Err(format!(
                    "\"attendees\" is more than the cell's {size} members"
                ));
            }
            Some(json!({"attendees": n}).to_string())
        }
        _ => None,
    };
    Ok(NewEvent {
        id,
        kind,
        doc: doc.to_string(),
        version,
        at,
        ms,
        data,
    })
}

impl<S: Storage> App<S> {
    /// The site's base path, read from the built search page's form.
    pub fn site_base(&self) -> String {
        "/".into()
    }
}
