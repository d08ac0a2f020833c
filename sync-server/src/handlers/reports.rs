//! The committee's report API under `/api/v1/reports/`, for admin tokens only: an admin sees
//! their unit's subtree and nothing else (401 without a valid token, 403 outside its scope).
//! Reports are computed on one report thread at a lower CPU priority, never on the threads
//! that serve members.
//!
//! - `usage` (`.csv`, `.xlsx`): per unit, who registered and who read, against the
//!   directive's targets
//! - `members`: a cell's members, who registered and who has not
//! - `year`: month by month, when each unit reached the targets
//! - `annual` (`.csv`, `.xlsx`): a grassroots organisation's annual sheet for its rating
//! - `trend`: active members per week
//! - `coverage`: who read a document, per unit
//! - `feedback`: members' comments on documents (`notice=`: the replies to a notice)
//! - `notices`: per notice, how many members it reached and how many opened it (`handlers::notices`)
//! - `me`: the admin's own unit
//!
//! A storage failure is logged and answered 503 without its text.

use crate::app::App;
use crate::caller;
use crate::model::UnitCode;
use crate::reply::{download, error, internal_error, json_response, ApiError, Resp};
use crate::report_state::NotReady;
use crate::reports::{self, ReportIndex};
use crate::request::params;
use crate::storage::{Storage, StoreError};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

/// A report, by its name under `/api/v1/reports/` (the route table names each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Me,
    Usage(Format),
    Members,
    Year,
    Annual(Format),
    Trend,
    Coverage,
    Feedback,
    Notices,
    /// A name no report has: answered 404 once the token and the unit are checked.
    Unknown,
}

/// How a report is sent: JSON, or a file to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

type Params = HashMap<String, String>;

fn day_param(p: &Params, key: &str, default: u16) -> Result<u16, ApiError> {
    match p.get(key).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => reports::parse_day(s).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                &format!("{key} must be a date written YYYY-MM-DD"),
            )
        }),
    }
}

/// A whole number from `min` to `max`; `default` if absent or empty.
fn number(p: &Params, key: &str, default: u64, min: u64, max: u64) -> Result<u64, ApiError> {
    match p.get(key).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    &format!("{key} must be a whole number from {min} to {max}"),
                )
            }),
    }
}

/// The period of a request: `from` defaults to the first day of `to`'s month, `to` to today.
pub fn period(p: &Params) -> Result<(u16, u16), ApiError> {
    let to = day_param(p, "to", reports::today())?;
    let d = reports::date_of(to);
    let first = reports::day_number(d.replace_day(1).unwrap_or(d));
    let from = day_param(p, "from", first)?;
    if from > to {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_period",
            "from must not be after to",
        ));
    }
    Ok((from, to))
}

/// The unit a request asks about, checked against the admin's scope.
fn scoped(p: &Params, admin: &UnitCode, idx: &ReportIndex) -> Result<String, ApiError> {
    let unit = p
        .get("unit")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| admin.to_string());
    // An unknown unit and a unit outside the scope get the same answer: nothing leaks.
    if !idx.unit_exists(&unit) || !idx.within(&unit, admin.as_str()) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this unit is outside what your token may see",
        ));
    }
    Ok(unit)
}

/// The aggregate could not be brought up to date: logged, answered 503 without its text.
fn unavailable(e: StoreError) -> ApiError {
    crate::log::log("error", "reports unavailable", &[("error", &e)]);
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "reports are unavailable right now; retry later",
    )
}

/// `GET /api/v1/reports/{name}`: the admin's token first (401), then the aggregate brought up
/// to date, then the unit asked about within the admin's scope (403), then the report.
pub async fn report<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    which: Report,
) -> Result<Resp, ApiError> {
    let admin = caller::admin(app, &req).await?;
    app.refresh_reports().await.map_err(unavailable)?;
    let p = params(&req);
    match which {
        Report::Notices => {
            let unit = scoped_unit(app, &p, &admin).await?;
            let limit = number(&p, "limit", 50, 1, 500)? as usize;
            super::notices::report(app, unit, limit).await
        }
        Report::Feedback if p.contains_key("notice") => {
            let unit = scoped_unit(app, &p, &admin).await?;
            // The period is not applied to a notice's replies, but a malformed one is refused.
            period(&p)?;
            let limit = number(&p, "limit", 200, 0, 1000)? as usize;
            let notice = p.get("notice").map(String::as_str).unwrap_or("");
            super::notices::replies(app, unit, notice, limit).await
        }
        Report::Feedback => feedback(app, &p, &admin).await,
        _ => {
            let made_on = reports::date_of(reports::today());
            with_index(app, move |idx| computed(idx, which, &p, &admin, made_on)).await?
        }
    }
}

/// The unit a request asks about, checked against the admin's scope on the aggregate.
async fn scoped_unit<S: Storage>(
    app: &Arc<App<S>>,
    p: &Params,
    admin: &UnitCode,
) -> Result<String, ApiError> {
    let (p, admin) = (p.clone(), admin.clone());
    with_index(app, move |idx| scoped(&p, &admin, idx)).await?
}

/// `feedback`: members' comments on documents within the period.
async fn feedback<S: Storage>(
    app: &Arc<App<S>>,
    p: &Params,
    admin: &UnitCode,
) -> Result<Resp, ApiError> {
    let (from, to) = period(p)?;
    let unit = scoped_unit(app, p, admin).await?;
    let limit = number(p, "limit", 200, 0, 1000)? as usize;
    let unit = UnitCode::parse(&unit)
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_parameter", "bad unit"))?;
    let list = app
        .store()
        .feedback(
            unit,
            crate::model::format_date(reports::date_of(from)),
            crate::model::format_date(reports::date_of(to)),
            limit,
        )
        .await
        .map_err(unavailable)?;
    Ok(json_response(StatusCode::OK, &json!({"feedback": list})))
}

/// The reports computed from the aggregate alone (on the report thread).
fn computed(
    idx: &ReportIndex,
    which: Report,
    p: &Params,
    admin: &UnitCode,
    made_on: time::Date,
) -> Result<Resp, ApiError> {
    let unit = scoped(p, admin, idx)?;
    let ok = |v: serde_json::Value| Ok(json_response(StatusCode::OK, &v));
    match which {
        Report::Me => {
            // The unit itself, not its report: at the root a report is a pass over every member.
            let u = idx.unit(admin.as_str()).ok_or_else(outside)?;
            ok(json!({"unit": u, "root": idx.root()}))
        }
        Report::Usage(format) => usage(idx, &unit, p, format, made_on),
        Report::Members => {
            let (from, to) = period(p)?;
            let list = idx.members(&unit, from, to).ok_or_else(outside)?;
            ok(json!({"unit": unit, "members": list}))
        }
        Report::Year => {
            let year = year(p, 2000, "year must be a year such as 2026", made_on)?;
            ok(
                serde_json::to_value(idx.year(&unit, year).ok_or_else(outside)?)
                    .unwrap_or_default(),
            )
        }
        Report::Annual(format) => annual(idx, &unit, p, format, made_on),
        Report::Trend => {
            let (_, to) = period(p)?;
            let weeks = number(p, "weeks", 12, 1, 104)? as u16;
            let list = idx.trend(&unit, to, weeks).ok_or_else(outside)?;
            ok(json!({"unit": unit, "weeks": list}))
        }
        Report::Coverage => {
            let doc = p.get("doc").filter(|d| !d.is_empty()).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "missing_parameter",
                    "doc= (a document id) is required",
                )
            })?;
            ok(
                serde_json::to_value(idx.coverage(&unit, doc).ok_or_else(outside)?)
                    .unwrap_or_default(),
            )
        }
        Report::Feedback | Report::Notices | Report::Unknown => {
            Err(error(StatusCode::NOT_FOUND, "not_found", "no such report"))
        }
    }
}

/// `usage` (`.json`, `.csv`, `.xlsx`): the usage report with the directive's targets.
fn usage(
    idx: &ReportIndex,
    unit: &str,
    p: &Params,
    format: Format,
    made_on: time::Date,
) -> Result<Resp, ApiError> {
    let (from, to) = period(p)?;
    let r = idx.usage(unit, from, to).ok_or_else(outside)?;
    let file = format!("thong-ke-so-tay-{}-{}-{}", r.unit.code, r.from, r.to);
    send(format, &r, &file, reports::to_csv, |r| {
        reports::to_xlsx(r, made_on)
    })
}

/// `annual` (`.json`, `.csv`, `.xlsx`): a grassroots organisation's annual sheet.
fn annual(
    idx: &ReportIndex,
    unit: &str,
    p: &Params,
    format: Format,
    made_on: time::Date,
) -> Result<Resp, ApiError> {
    let year = year(p, 2020, "year phải là một năm, ví dụ 2026", made_on)?;
    let r = idx
        .annual(unit, year, reports::today())
        .map_err(|m| error(StatusCode::NOT_FOUND, "no_annual_sheet", &m))?;
    let file = format!("danh-gia-so-tay-{}-{}", r.unit.code, r.year);
    send(format, &r, &file, reports::annual_csv, |r| {
        reports::annual_xlsx(r, made_on)
    })
}

/// A report `r` in `format`: JSON, or a file `file.csv` / `file.xlsx` to download.
fn send<R: serde::Serialize>(
    format: Format,
    r: &R,
    file: &str,
    csv: impl FnOnce(&R) -> Vec<u8>,
    xlsx: impl FnOnce(&R) -> Result<Vec<u8>, String>,
) -> Result<Resp, ApiError> {
    Ok(match format {
        Format::Csv => download(csv(r), CSV, &format!("{file}.csv")),
        Format::Xlsx => download(xlsx(r).map_err(no_workbook)?, XLSX, &format!("{file}.xlsx")),
        Format::Json => json_response(StatusCode::OK, &serde_json::to_value(r).unwrap_or_default()),
    })
}

/// `year=` from `min` to 2100 (default: this year).
fn year(p: &Params, min: i32, message: &str, made_on: time::Date) -> Result<i32, ApiError> {
    match p.get("year").filter(|s| !s.is_empty()) {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (min..=2100).contains(y))
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_parameter", message)),
        None => Ok(made_on.year()),
    }
}

/// A workbook that could not be written: logged, answered 500 without its text.
fn no_workbook(e: String) -> ApiError {
    internal_error("report workbook failed", &e, "internal error")
}

fn outside() -> ApiError {
    error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this unit is outside what your token may see",
    )
}

/// Runs `f` on the loaded aggregate on the report thread.
async fn with_index<S: Storage, T: Send + 'static>(
    app: &Arc<App<S>>,
    f: impl FnOnce(&ReportIndex) -> T + Send + 'static,
) -> Result<T, ApiError> {
    app.reports().compute(f).await.map_err(|e| match e {
        NotReady::Loading => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "reports are loading; retry",
        ),
        NotReady::Failed => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "report failed",
        ),
    })
}
