//! sotay's sync server: serves a built site and its API on hyper — search, registration of
//! members' phones, reading events queued on phones while offline (stored once, never lost),
//! cell meetings, notices from committees (with Web Push) and the usage reports committees are
//! judged on — on SQLite (one file, the default) or PostgreSQL (several instances).
//!
//! A request flows down through layers, each knowing only the ones below it:
//! - transport, `http`: connections (`linger`: how they close, so that an early answer is not
//!   lost; `tls`), limits on them (`limits`), the headers every response carries, `metrics`
//!   and the log line;
//! - routing, `routes`: the one table of routes (405 with `Allow`; what the OpenAPI test
//!   compares against);
//! - `handlers`: one module per resource, over `caller` (who sends the request), `request`
//!   (reading it) and `reply` (the answers and the API's error shape);
//! - the application, `app`: its state and the rules that span requests — the site's
//!   `files`, `catalog` and search index, the reports' aggregate (`report_state`), rate limits,
//!   Web Push settings (`push`), live reload (`live`, fed by `watch` in `sotay serve`);
//! - storage, behind the `storage::Storage` trait (`storage`: each operation written once for
//!   SQLite and PostgreSQL, `storage::Db` runs it on the engine `--db` named); the roster's
//!   files (`roster`) and the reports' computation (`reports`).
//!
//! `run` holds the commands the `sotay` binary calls; `config` the server's settings file.
#![warn(clippy::too_many_lines)]

pub mod app;
pub mod auth;
pub mod caller;
pub mod catalog;
pub mod client;
pub mod config;
pub mod files;
pub mod handlers;
pub mod http;
pub mod limits;
pub mod linger;
pub mod live;
pub mod log;
pub mod metrics;
pub mod model;
pub mod proxy;
pub mod push;
pub mod reply;
pub mod report_state;
pub mod reports;
pub mod request;
pub mod roster;
pub mod routes;
pub mod run;
pub mod sample;
pub mod storage;
pub mod threads;
pub mod tls;
pub mod watch;
