//! Routing: the one table of the server's routes ([`ROUTES`]). A request's path finds its route
//! here, its method the handler (or a `405` whose `Allow` lists the route's methods); an API
//! path no route has is `404`, and every path outside the API is the site's (`GET`, `HEAD`).
//! tests/openapi.rs holds this table and `openapi.json` to each other: a route is described,
//! a description is routed.
//!
//! Adding an endpoint: a row here, an [`Endpoint`] and its arm in `dispatch`, the handler in
//! `handlers/`, and its description in `openapi.json`.

use crate::app::App;
use crate::handlers::reports::{Format, Report};
use crate::handlers::{events, meetings, notices, ops, push, register, reports, roster, search};
use crate::handlers::{site, tokens};
use crate::reply::{error, no_endpoint, ApiError, Resp};
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};
use std::net::IpAddr;
use std::sync::Arc;

pub use crate::handlers::ops::OPENAPI;

/// A method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// What answers a request: one per route and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Healthz,
    Metrics,
    OpenApi,
    Search,
    Register,
    Events,
    Report(Report),
    Meeting,
    MeetingRecord,
    MeetingSchedule,
    MeetingMembers,
    Notices,
    NoticePost,
    NoticeWithdraw,
    PushKey,
    PushSubscribe,
    PushUnsubscribe,
    Tokens,
    TokenCreate,
    TokenRevoke,
    RosterTemplate,
    RosterUpload,
    RosterApply,
    RosterChanges,
    RosterBefore,
    RosterQuality,
    RosterQualityXlsx,
}

/// A route: a path pattern and what each of its methods does. In a pattern, `{name}` is one
/// non-empty segment and `{*name}` the non-empty rest of the path (slashes and all); each is
/// handed to the handler in order.
pub struct Route {
    pub path: &'static str,
    pub methods: &'static [(Method, Endpoint)],
    /// What a `405` here says.
    pub refusal: &'static str,
    /// Whether `openapi.json` describes it; the routes that are not only catch names no
    /// route has, to answer them as their neighbours do (a report's name is checked after
    /// the admin's token).
    pub described: bool,
}

const NOT_ALLOWED: &str = "this method is not allowed here";

const fn api(path: &'static str, methods: &'static [(Method, Endpoint)]) -> Route {
    Route {
        path,
        methods,
        refusal: NOT_ALLOWED,
        described: true,
    }
}

const fn report(path: &'static str, methods: &'static [(Method, Endpoint)]) -> Route {
    Route {
        path,
        methods,
        refusal: "reports are read with GET",
        described: true,
    }
}

use Endpoint as E;
use Method::{Delete, Get, Head, Post, Put};

/// Every route of the server but the site's files (every path outside `/api/`, `/healthz`
/// and `/metrics`). The first route whose pattern matches is the request's.
pub static ROUTES: &[Route] = &[
    api("/healthz", &[(Get, E::Healthz), (Head, E::Healthz)]),
    api("/metrics", &[(Get, E::Metrics)]),
    api("/api/v1/openapi.json", &[(Get, E::OpenApi)]),
    api("/api/v1/search", &[(Get, E::Search)]),
    api("/api/v1/register", &[(Post, E::Register)]),
    api("/api/v1/events", &[(Post, E::Events)]),
    report("/api/v1/reports/me", &[(Get, E::Report(Report::Me))]),
    report(
        "/api/v1/reports/usage",
        &[(Get, E::Report(Report::Usage(Format::Json)))],
    ),
    report(
        "/api/v1/reports/usage.json",
        &[(Get, E::Report(Report::Usage(Format::Json)))],
    ),
    report(
        "/api/v1/reports/usage.csv",
        &[(Get, E::Report(Report::Usage(Format::Csv)))],
    ),
    report(
        "/api/v1/reports/usage.xlsx",
        &[(Get, E::Report(Report::Usage(Format::Xlsx)))],
    ),
    report(
        "/api/v1/reports/members",
        &[(Get, E::Report(Report::Members))],
    ),
    report("/api/v1/reports/year", &[(Get, E::Report(Report::Year))]),
    report(
        "/api/v1/reports/annual",
        &[(Get, E::Report(Report::Annual(Format::Json)))],
    ),
    report(
        "/api/v1/reports/annual.csv",
        &[(Get, E::Report(Report::Annual(Format::Csv)))],
    ),
    report(
        "/api/v1/reports/annual.xlsx",
        &[(Get, E::Report(Report::Annual(Format::Xlsx)))],
    ),
    report("/api/v1/reports/trend", &[(Get, E::Report(Report::Trend))]),
    report(
        "/api/v1/reports/coverage",
        &[(Get, E::Report(Report::Coverage))],
    ),
    report(
        "/api/v1/reports/feedback",
        &[(Get, E::Report(Report::Feedback))],
    ),
    report(
        "/api/v1/reports/notices",
        &[(Get, E::Report(Report::Notices))],
    ),
    Route {
        described: false,
        ..report(
            "/api/v1/reports/{*name}",
            &[(Get, E::Report(Report::Unknown))],
        )
    },
    Route {
        described: false,
        ..report("/api/v1/reports/", &[(Get, E::Report(Report::Unknown))])
    },
    api(
        "/api/v1/meetings/{month}",
        &[(Get, E::Meeting), (Put, E::MeetingRecord)],
    ),
    api(
        "/api/v1/meetings/{month}/schedule",
        &[(Put, E::MeetingSchedule)],
    ),
    api(
        "/api/v1/meetings/{month}/members",
        &[(Get, E::MeetingMembers)],
    ),
    api(
        "/api/v1/notices",
        &[(Get, E::Notices), (Post, E::NoticePost)],
    ),
    api("/api/v1/notices/{id}", &[(Delete, E::NoticeWithdraw)]),
    api("/api/v1/push/key", &[(Get, E::PushKey)]),
    api(
        "/api/v1/push/subscription",
        &[(Put, E::PushSubscribe), (Delete, E::PushUnsubscribe)],
    ),
    api(
        "/api/v1/admin/tokens",
        &[(Get, E::Tokens), (Post, E::TokenCreate)],
    ),
    api("/api/v1/admin/tokens/{*id}", &[(Delete, E::TokenRevoke)]),
    api("/api/v1/roster/template.xlsx", &[(Get, E::RosterTemplate)]),
    api("/api/v1/roster/uploads", &[(Post, E::RosterUpload)]),
    api(
        "/api/v1/roster/uploads/{id}/apply",
        &[(Post, E::RosterApply)],
    ),
    api("/api/v1/roster/changes", &[(Get, E::RosterChanges)]),
    api(
        "/api/v1/roster/changes/{id}/before.xlsx",
        &[(Get, E::RosterBefore)],
    ),
    api("/api/v1/roster/quality", &[(Get, E::RosterQuality)]),
    api(
        "/api/v1/roster/quality.xlsx",
        &[(Get, E::RosterQualityXlsx)],
    ),
];

/// The site's files: what every path outside the API answers to.
pub const SITE_METHODS: &[Method] = &[Get, Head];

impl Route {
    /// The route's methods, for `Allow`.
    pub fn allow(&self) -> String {
        let names: Vec<&str> = self.methods.iter().map(|(m, _)| m.as_str()).collect();
        names.join(", ")
    }

    fn endpoint(&self, method: &hyper::Method) -> Option<Endpoint> {
        self.methods
            .iter()
            .find(|(m, _)| m.as_str() == method.as_str())
            .map(|(_, e)| *e)
    }
}

/// Whether a path is the API's (else it is the site's).
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz" || path == "/metrics"
}

/// The route of `path` and the values of its pattern's `{...}` segments.
pub fn find(path: &str) -> Option<(&'static Route, Vec<&str>)> {
    ROUTES
        .iter()
        .find_map(|r| captures(r.path, path).map(|c| (r, c)))
}

/// The values of `pattern`'s `{...}` segments in `path`, if it matches.
fn captures<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut found = Vec::new();
    let mut rest = path;
    for seg in pattern.split('/').skip(1) {
        rest = rest.strip_prefix('/')?;
        if seg.starts_with("{*") {
            if rest.is_empty() {
                return None;
            }
            found.push(rest);
            return Some(found);
        }
        let (here, after) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if seg.starts_with('{') {
            if here.is_empty() {
                return None;
            }
            found.push(here);
        } else if seg != here {
            return None;
        }
        rest = after;
    }
    rest.is_empty().then_some(found)
}

/// Answers a request: a dev-mode path, an API route, or a file of the site.
pub async fn route<S: Storage>(app: &Arc<App<S>>, req: Request<Incoming>, client: IpAddr) -> Resp {
    let path = req.uri().path();
    if let Some(live) = app.live().filter(|_| path.starts_with("/__sotay/")) {
        return live
            .route(path)
            .unwrap_or_else(|| site::not_found(app, StatusCode::NOT_FOUND));
    }
    if !is_api(path) {
        return match SITE_METHODS
            .iter()
            .any(|m| m.as_str() == req.method().as_str())
        {
            true => site::file(app, &req),
            false => refuse("only GET and HEAD are allowed here", "GET, HEAD"),
        };
    }
    let path = path.to_owned();
    let Some((route, args)) = find(&path) else {
        return no_endpoint().response();
    };
    let Some(endpoint) = route.endpoint(req.method()) else {
        return refuse(route.refusal, &route.allow());
    };
    let arg = args.first().copied().unwrap_or("");
    match dispatch(app, endpoint, req, client, arg).await {
        Ok(r) => r,
        Err(e) => e.response(),
    }
}

/// 405 with the methods the path allows (RFC 9110 requires `Allow`).
fn refuse(message: &str, allow: &str) -> Resp {
    let mut r = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        message,
    )
    .response();
    if let Ok(v) = HeaderValue::from_str(allow) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

/// Calls the handler of `endpoint`; `arg` is the route's `{...}` segment, if it has one.
async fn dispatch<S: Storage>(
    app: &Arc<App<S>>,
    endpoint: Endpoint,
    req: Request<Incoming>,
    client: IpAddr,
    arg: &str,
) -> Result<Resp, ApiError> {
    match endpoint {
        E::Healthz => Ok(ops::healthz(app).await),
        E::Metrics => Ok(ops::metrics(app)),
        E::OpenApi => Ok(ops::openapi()),
        E::Search => search::search(app, &req, client),
        E::Register => register::register(app, req, client).await,
        E::Events => events::events(app, req, client).await,
        E::Report(r) => reports::report(app, req, r).await,
        E::Meeting => meetings::get_record(app, req, client, arg).await,
        E::MeetingRecord => meetings::put_record(app, req, client, arg).await,
        E::MeetingSchedule => meetings::put_schedule(app, req, client, arg).await,
        E::MeetingMembers => meetings::get_members(app, req, client, arg).await,
        E::Notices => notices::list(app, req, client).await,
        E::NoticePost => notices::post(app, req).await,
        E::NoticeWithdraw => notices::withdraw(app, req, arg).await,
        E::PushKey => push::key(app).await,
        E::PushSubscribe => push::subscribe(app, req).await,
        E::PushUnsubscribe => push::unsubscribe(app, req).await,
        E::Tokens => tokens::list(app, req).await,
        E::TokenCreate => tokens::create(app, req).await,
        E::TokenRevoke => tokens::revoke(app, req, arg).await,
        E::RosterTemplate => roster::template(app, req).await,
        E::RosterUpload => roster::upload(app, req).await,
        E::RosterApply => roster::apply(app, req, arg).await,
        E::RosterChanges => roster::changes(app, req).await,
        E::RosterBefore => roster::before(app, req, arg).await,
        E::RosterQuality => roster::quality(app, req).await,
        E::RosterQualityXlsx => roster::quality_workbook(app, req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_table() {
        let allow = |path: &str| find(path).map(|(r, _)| r.allow());
        let arg = |path: &str| find(path).and_then(|(_, a)| a.first().map(|s| s.to_string()));
        let p = |rest: &str| format!("/api/v1/{rest}");
        for (path, methods) in [
            (p("notices"), Some("GET, POST")),
            (p("notices/abc"), Some("DELETE")),
            (p("notices/"), None),
            (p("notices/a/b"), None),
            (p("noticesx"), None),
            (p("meetings/2026-12"), Some("GET, PUT")),
            (p("meetings/2026-12/schedule"), Some("PUT")),
            (p("meetings//schedule"), None),
            (p("meetings/"), None),
            (p("meetings/2026-12/other"), None),
            (p("admin/tokens/a/b"), Some("DELETE")),
            (p("admin/tokens/"), None),
            (p("reports/x/y"), Some("GET")),
            (p("reports/"), Some("GET")),
            (p("reports"), None),
            (p("roster/uploads//apply"), None),
            ("/healthz".to_string(), Some("GET, HEAD")),
            ("/healthz/".to_string(), None),
        ] {
            assert_eq!(allow(&path).as_deref(), methods, "{path}");
        }
        assert_eq!(arg(&p("admin/tokens/a/b")).as_deref(), Some("a/b"));
        assert_eq!(
            arg(&p("meetings/2026-12/members")).as_deref(),
            Some("2026-12")
        );
        assert_eq!(
            arg(&p("roster/changes/7/before.xlsx")).as_deref(),
            Some("7")
        );
        assert!(matches!(
            find(&p("reports/usage.csv")).map(|(r, _)| r.methods[0].1),
            Some(E::Report(Report::Usage(Format::Csv)))
        ));
    }
}
