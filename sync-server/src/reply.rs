//! What the server answers with: response bodies (`full`, `empty`), JSON answers, and the API's
//! one error shape, `{"error": {"code", "message"}}` with its status ([`ApiError`]). A storage
//! failure becomes a generic answer here ([`store_error`]): its text is logged, never sent.

use crate::storage::StoreError;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

pub type Body = BoxBody<Bytes, std::io::Error>;
pub type Resp = Response<Body>;

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

/// 400 with `code`: the client's request is wrong in the way `message` says.
pub fn bad(code: &'static str, message: &str) -> ApiError {
    error(StatusCode::BAD_REQUEST, code, message)
}

/// 403 for a unit outside the admin token's subtree (or unknown: the same answer, so nothing
/// leaks).
pub fn outside_scope() -> ApiError {
    error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Đơn vị này nằm ngoài phạm vi của mã quản trị.",
    )
}

/// 404 for a path no route has.
pub fn no_endpoint() -> ApiError {
    error(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}

/// 500 for a failure of the server itself: `what` and `detail` go to the log, the client
/// reads `message` only.
pub fn internal_error(what: &str, detail: &dyn std::fmt::Display, message: &str) -> ApiError {
    crate::log::log("error", what, &[("error", detail)]);
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
}

pub fn json_response(status: StatusCode, v: &Value) -> Resp {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(full(serde_json::to_vec(v).unwrap_or_default()))
        .unwrap_or_else(|_| internal())
}

/// 429: too many `what` from this client; retry in `retry` seconds.
pub fn limited(retry: u64, what: &str) -> ApiError {
    ApiError {
        retry_after: Some(retry),
        ..error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("too many {what}; retry in {retry} s"),
        )
    }
}

/// The answer to a storage error: the client's mistake (400, 409) as the store words it, or,
/// when the database fails, a logged error and a 503 that says nothing of it.
pub fn store_error(e: StoreError) -> ApiError {
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

/// A file to download: `bytes` of `content_type`, saved as `filename`.
pub fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> Resp {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .body(full(bytes))
        .unwrap_or_else(|_| internal())
}

/// 204 No Content.
pub fn no_content() -> Resp {
    let mut r = Response::new(empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

/// The last resort when even a response cannot be built.
pub fn internal() -> Resp {
    let mut r = Response::new(full(
        r#"{"error":{"code":"internal","message":"internal error"}}"#,
    ));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}
