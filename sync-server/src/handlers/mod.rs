//! The API's handlers, one module per resource; `routes` calls them. Each reads what it needs
//! from the request (`request`, `caller`), asks the application (`app`) and its storage, and
//! answers (`reply`); none knows about connections or other routes.
//!
//! - `ops`: `/healthz`, `/metrics`, the OpenAPI description
//! - `site`: the built site's files (every path outside the API)
//! - `search`: the search API and the search page without JavaScript
//! - `register`: a member's phone registering
//! - `events`: reading events queued on phones
//! - `meetings`: cell meetings
//! - `notices`: notices from committees (and their report)
//! - `push`: phones' Web Push subscriptions
//! - `reports`: the committees' reports
//! - `roster`: the roster kept by the units themselves
//! - `tokens`: admin tokens managed from the dashboard

pub mod events;
pub mod meetings;
pub mod notices;
pub mod ops;
pub mod push;
pub mod register;
pub mod reports;
pub mod roster;
pub mod search;
pub mod site;
pub mod tokens;

use crate::reply::{error, ApiError};
use crate::storage::StoreError;
use hyper::StatusCode;
use std::future::Future;

/// Runs a write and what follows its commit (the reports' aggregate, the counters) in a task
/// of its own: a client that hangs up mid-request cancels its handler, not the bookkeeping of
/// a write already committed. A task that fails answers 500 with `what`.
pub(crate) async fn committed<T: Send + 'static>(
    what: &str,
    write: impl Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<Result<T, StoreError>, ApiError> {
    tokio::spawn(write)
        .await
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "internal", what))
}
