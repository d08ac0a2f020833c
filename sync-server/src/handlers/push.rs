//! A phone's Web Push subscription (`/api/v1/push/*`): the server's public VAPID key, and a
//! member subscribing or unsubscribing their phone. Sending is `push`; with push off
//! (`--push-contact` not given) every route answers `404 push_off`.

use crate::app::App;
use crate::push::{public_key, subscription, PushConfig, MAX_REQUEST};
use crate::reply::{bad, error, json_response, no_content, store_error, ApiError, Resp};
use crate::request::{now, parse_json, read_body};
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

fn off() -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "push_off",
        "Máy chủ chưa bật gửi thông báo đến điện thoại.",
    )
}

fn config<S: Storage>(app: &Arc<App<S>>) -> Result<Arc<PushConfig>, ApiError> {
    app.push().cloned().ok_or_else(off)
}

/// `GET /api/v1/push/key`: the key phones give to `pushManager.subscribe`.
pub async fn key<S: Storage>(app: &Arc<App<S>>) -> Result<Resp, ApiError> {
    let cfg = config(app)?;
    let key = cfg.key(app.store()).await.map_err(|e| {
        crate::log::log("error", "push key unavailable", &[("error", &e)]);
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Máy chủ tạm thời không gửi được thông báo; thử lại sau.",
        )
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "public_key": public_key(&key) }),
    ))
}

/// `PUT /api/v1/push/subscription`: the member's phone subscribes.
pub async fn subscribe<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let member = crate::caller::member(app, &req).await?;
    let cfg = config(app)?;
    let body = read_body(req, MAX_REQUEST).await?;
    let sub = subscription(&parse_json(&body)?, cfg.allow_insecure)?;
    app.store()
        .push_subscribe(member.card_number, sub, now())
        .await
        .map_err(store_error)?;
    Ok(no_content())
}

/// `DELETE /api/v1/push/subscription`: the member's phone unsubscribes (`{endpoint}`).
pub async fn unsubscribe<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let member = crate::caller::member(app, &req).await?;
    config(app)?;
    let body = read_body(req, MAX_REQUEST).await?;
    let v = parse_json(&body)?;
    let endpoint = v.get("endpoint").and_then(Value::as_str).ok_or_else(|| {
        bad(
            "invalid_subscription",
            "Cần \"endpoint\" của đăng ký nhận thông báo.",
        )
    })?;
    app.store()
        .push_unsubscribe(member.card_number, endpoint.to_string())
        .await
        .map_err(store_error)?;
    Ok(no_content())
}
