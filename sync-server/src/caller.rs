//! Who sends a request: the member or the admin that its `Authorization: Bearer` token names.
//! The one place a token is read from a request and looked up; without a valid one the answer
//! is `401 unauthorized` (the phone and the dashboard show their own words for it).

use crate::app::App;
use crate::auth;
use crate::model::UnitCode;
use crate::reply::{error, limited, store_error, ApiError};
use crate::storage::{MemberRef, Storage};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, StatusCode};
use std::net::IpAddr;
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
    app.store()
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
    app.store()
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

/// The member of a phone's request, within the rate limits of phones' requests: first the
/// client address's (before the token is looked up), then the member's (429 past either).
pub async fn limited_member<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
    client: IpAddr,
) -> Result<MemberRef, ApiError> {
    limit_address(app, client).await?;
    let member = member(app, req).await?;
    limit_member(app, &member).await?;
    Ok(member)
}

/// The rate limit of phones' requests per client address (429 past it).
pub async fn limit_address<S: Storage>(app: &Arc<App<S>>, client: IpAddr) -> Result<(), ApiError> {
    let key = crate::limits::address_key(client);
    app.check_limit(&app.limits().events_by_addr, &key)
        .await
        .map_err(|retry| limited(retry, "requests"))
}

/// The rate limit of phones' requests per member (429 past it).
pub async fn limit_member<S: Storage>(app: &Arc<App<S>>, m: &MemberRef) -> Result<(), ApiError> {
    app.check_limit(&app.limits().events_by_member, m.card_number.as_str())
        .await
        .map_err(|retry| limited(retry, "requests"))
}
