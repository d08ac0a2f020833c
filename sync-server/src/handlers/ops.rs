//! What operators and API clients ask of the server itself: `/healthz` (is the database there,
//! how many documents, is search up, is a roster loaded), `/metrics` (Prometheus text) and the
//! API's OpenAPI description (`/api/v1/openapi.json`).

use crate::app::App;
use crate::reply::{full, internal, json_response, Resp};
use crate::storage::Storage;
use hyper::header;
use hyper::{Response, StatusCode};
use serde_json::json;
use std::sync::Arc;

/// The OpenAPI description of this API (kept true by tests/openapi.rs, which compares it with
/// the route table, and by the schemathesis test at the root).
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub async fn healthz<S: Storage>(app: &Arc<App<S>>) -> Resp {
    let db = app.store().roster_is_empty().await;
    let docs = app.catalog().len();
    let search = app.search_index().is_some();
    let ok = db.is_ok();
    json_response(
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        &json!({"status": if ok { "ok" } else { "unavailable" }, "documents": docs, "search": search, "roster_loaded": db.map(|e| !e).unwrap_or(false), "queue": app.store().queue_depth()}),
    )
}

pub fn metrics<S: Storage>(app: &Arc<App<S>>) -> Resp {
    let text = app
        .metrics()
        .render(app.store().queue_depth(), app.uptime());
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; version=0.0.4")
        .body(full(text))
        .unwrap_or_else(|_| internal())
}

pub fn openapi() -> Resp {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(full(OPENAPI))
        .unwrap_or_else(|_| internal())
}
