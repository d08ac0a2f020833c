//! Admin tokens managed from the dashboard, under `/api/v1/admin/tokens`: an admin lists,
//! creates and revokes the tokens of its own unit's subtree (403 above it). A new token is
//! shown once and stored only as its hash; every creation and revocation is logged with the
//! admin who did it and when; a revoked token is refused (401) from its next request on.
//! `sotay admin create` stays for the first token.

use crate::app::App;
use crate::auth;
use crate::caller;
use crate::model::UnitCode;
use crate::reply::{error, json_response, store_error, ApiError, Resp};
use crate::request::{now, parse_json, read_body};
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use std::sync::Arc;

/// A creation request: a unit code and a name.
const MAX_BODY: usize = 4096;
/// The longest name of whom a token is given to.
const MAX_HOLDER: usize = 120;

/// The admin a request comes from: its unit and its token's public id.
pub async fn admin<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
) -> Result<(UnitCode, String), ApiError> {
    let hash = caller::admin_hash(req)?;
    let unit = app
        .store()
        .admin_for_token(hash.clone())
        .await
        .map_err(store_error)?
        .ok_or_else(caller::unknown_admin)?;
    Ok((unit, auth::public_id(&hash)))
}

/// `GET /api/v1/admin/tokens`: the tokens of the admin's subtree and their log.
pub async fn list<S: Storage>(app: &Arc<App<S>>, req: Request<Incoming>) -> Result<Resp, ApiError> {
    let (unit, id) = admin(app, &req).await?;
    let crate::storage::TokenList { tokens, log } = app
        .store()
        .admin_tokens(unit.clone())
        .await
        .map_err(store_error)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"unit": unit.as_str(), "you": id, "tokens": tokens, "log": log}),
    ))
}

/// `POST /api/v1/admin/tokens`: a new token for a unit of the admin's subtree, shown once.
pub async fn create<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let (unit, id) = admin(app, &req).await?;
    let body = read_body(req, MAX_BODY).await?;
    let v = parse_json(&body)?;
    let outside = || {
        error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "đơn vị này nằm ngoài phạm vi của mã quản trị",
        )
    };
    // Not a unit code at all is no unit of the subtree either: the same 403.
    let target = match v["unit"].as_str() {
        Some(u) => UnitCode::parse(u).ok_or_else(outside)?,
        None => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_unit",
                "unit: mã đơn vị được cấp mã quản trị (bắt buộc)",
            ))
        }
    };
    let holder = sotay_generator::text::nfc(v["holder"].as_str().unwrap_or("").trim()).into_owned();
    if holder.is_empty()
        || holder.chars().count() > MAX_HOLDER
        || holder.chars().any(char::is_control)
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_holder",
            &format!(
                "holder: họ tên người nhận mã, từ 1 đến {MAX_HOLDER} ký tự, không có ký tự điều khiển"
            ),
        ));
    }
    let token = auth::new_token("a_").map_err(|e| {
        crate::log::log("error", "no randomness for a token", &[("error", &e)]);
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "không tạo được mã lúc này; thử lại sau",
        )
    })?;
    let made = app
        .store()
        .create_admin_token(
            target.clone(),
            auth::hash(&token),
            holder,
            Some(crate::storage::Issuer {
                id: id.clone(),
                unit: unit.clone(),
            }),
            now(),
        )
        .await
        .map_err(|e| match e {
            crate::storage::StoreError::Invalid(m) if m == crate::storage::OUTSIDE_SCOPE => {
                outside()
            }
            e => store_error(e),
        })?;
    crate::log::log(
        "info",
        "admin token created",
        &[
            ("id", &made.id),
            ("unit", &target),
            ("by", &id),
            ("by_unit", &unit),
        ],
    );
    let mut body = serde_json::to_value(&made).unwrap_or_default();
    body["token"] = serde_json::json!(token);
    Ok(json_response(StatusCode::CREATED, &body))
}

/// `DELETE /api/v1/admin/tokens/{id}`: revokes a token of the admin's subtree.
pub async fn revoke<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    rest: &str,
) -> Result<Resp, ApiError> {
    let (unit, id) = admin(app, &req).await?;
    let target = rest.trim_start_matches('/').to_ascii_lowercase();
    let revoked = app
        .store()
        .revoke_admin_token(
            target.clone(),
            unit.clone(),
            crate::storage::Issuer {
                id: id.clone(),
                unit: unit.clone(),
            },
            now(),
        )
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            // Unknown and outside the scope get the same answer: nothing leaks.
            error(
                StatusCode::NOT_FOUND,
                "no_such_token",
                "không có mã quản trị này trong phạm vi của đồng chí",
            )
        })?;
    crate::log::log(
        "info",
        "admin token revoked",
        &[
            ("id", &revoked.id),
            ("unit", &revoked.unit_code),
            ("by", &id),
            ("by_unit", &unit),
        ],
    );
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(&revoked).unwrap_or_default(),
    ))
}
