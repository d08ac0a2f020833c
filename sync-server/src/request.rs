//! Reading what a client sends: the query string, a body within a size and a time limit, and
//! JSON. Each failure is the API's error with the status that says what was wrong (400, 408,
//! 413); nothing a client sends can make these panic.

use crate::reply::{error, ApiError};
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// How long a body may take to arrive once the request's head is read.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The query string's parameters (the last of a repeated name wins).
pub fn params(req: &Request<Incoming>) -> HashMap<String, String> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The body, at most `max` bytes (413 beyond, 408 if it takes longer than [`BODY_TIMEOUT`]).
pub async fn read_body(req: Request<Incoming>, max: usize) -> Result<Bytes, ApiError> {
    let len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<usize>().ok());
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            &format!("the body may be at most {max} bytes"),
        )
    };
    if len.is_some_and(|l| l > max) {
        return Err(too_large());
    }
    let body = Limited::new(req.into_body(), max);
    match tokio::time::timeout(BODY_TIMEOUT, body.collect()).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the body took too long to arrive",
        )),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Ok(Err(_)) => Err(error(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "the body could not be read",
        )),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

/// The body as JSON (400 `invalid_json` with the parser's words otherwise).
pub fn parse_json(b: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(b).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &format!("the body is not valid JSON: {e}"),
        )
    })
}

/// Now, in Unix seconds: when a write is stored.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
