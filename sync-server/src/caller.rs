//! Who sends a request: the member or the admin that its `Authorization: Bearer` token names.
//! The one place a token is read from a request and looked up; without a valid one the answer
//! is `401 unauthorized` (the phone and the dashboard show their own words for it).

use crate::api::{error, store_error, ApiError};
use crate::auth;
use crate::http::App;
use crate::model::UnitCode;
use crate::storage::{MemberRef, Storage};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, StatusCode};
use std::sync::Arc;

/// The hash of the request's token with `prefix` (`m_` a member's, `a_` an admin's).
fn token_hash(req: &Request<Incoming>, prefix: &str) -> Result<Vec<u8>, ApiError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = auth::bearer(header, prefix).ok_or_else(|| {
        let whose = if prefix == "a_" {
            "mã quản trị"
        } else {
            "mã đảng viên nhận khi đăng ký"
        };
        error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &format!("Cần {whose} trong Authorization: Bearer {prefix}..."),
        )
    })?;
    Ok(auth::hash(&token))
}

/// The hash of the request's admin token (401 without one); looked up by the caller.
pub fn admin_hash(req: &Request<Incoming>) -> Result<Vec<u8>, ApiError> {
    token_hash(req, "a_")
}

/// 401 for an admin token that is unknown or revoked.
pub fn unknown_admin() -> ApiError {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Mã quản trị không đúng hoặc đã bị thu hồi.",
    )
}

/// The unit of the request's admin token (401 without a valid one).
pub async fn admin<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
) -> Result<UnitCode, ApiError> {
    let hash = admin_hash(req)?;
    app.store
        .admin_for_token(hash)
        .await
        .map_err(store_error)?
        .ok_or_else(unknown_admin)
}

/// The member of the request's member token (401 without a valid one).
pub async fn member<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
) -> Result<MemberRef, ApiError> {
    let hash = token_hash(req, "m_")?;
    app.store
        .member_for_token(hash)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Mã đảng viên không đúng: hãy đăng ký lại máy này.",
            )
        })
}
