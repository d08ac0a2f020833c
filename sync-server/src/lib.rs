//! sotay's sync server: serves a built site and its API on hyper — search, registration of
//! members' phones, reading events queued on phones while offline (stored once, never lost),
//! and the usage reports committees are judged on — on embedded SQLite or PostgreSQL.
//!
//! Where data enters: `api` (JSON from phones), `roster` (CSV from committee staff). Where it
//! is kept: `storage`. Where it leaves: `api` (search results, reports) and `files` (the site).
//! Cell meetings (records, schedules, the attendance list) are `meeting_api`; admin tokens
//! managed from the dashboard are `token_api`; notices from committees `notice_api` (storage in
//! `storage::notices`), and Web Push to phones for a new notice `push` (subscriptions and the VAPID key
//! in `storage::push`).
//! `http` ties them together and is the only place that knows about connections (`linger`: how
//! they close, so that an early answer is not lost).
#![warn(clippy::too_many_lines)]

pub mod api;
pub mod auth;
pub mod caller;
pub mod client;
pub mod config;
pub mod files;
pub mod http;
pub mod limits;
pub mod linger;
pub mod log;
pub mod meeting_api;
pub mod metrics;
pub mod model;
pub mod notice_api;
pub mod proxy;
pub mod push;
pub mod report_api;
pub mod reports;
pub mod roster;
pub mod roster_api;
pub mod run;
pub mod sample;
pub mod storage;
pub mod tls;
pub mod token_api;
pub mod watch;
