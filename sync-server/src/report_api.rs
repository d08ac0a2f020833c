//! The committee's report API under `/api/v1/reports/`, for admin tokens only: an admin sees
//! their unit's subtree and nothing else (401 without a valid token, 403 outside its scope).
//! Reports are computed on one report thread at a lower CPU priority, never on the threads
//! that serve members.
//!
//! - `usage` (`.csv`, `.xlsx`): the usage report of DESIGN.md, with the directive's targets
//! - `members`: a cell's members, who registered and who has not
//! - `year`: month by month, when each unit reached the targets
//! - `annual` (`.csv`, `.xlsx`): a grassroots organisation's annual sheet for its rating
//! - `trend`: active members per week
//! - `coverage`: who read a document, per unit
//! - `feedback`: members' comments on documents (`notice=`: the replies to a notice)
//! - `notices`: per notice, how many members it reached and how many opened it (`notice_api`)
//! - `me`: the admin's own unit

use crate::api::{error, json_response, ApiError};
use crate::caller;
use crate::http::{full, internal, App, Resp};
use crate::model::UnitCode;
use crate::reports::{self, ReportIndex};
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;

fn params(req: &Request<Incoming>) -> HashMap<String, String> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn day_param(p: &HashMap<String, String>, key: &str, default: u16) -> Result<u16, ApiError> {
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
fn number(
    p: &HashMap<String, String>,
    key: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ApiError> {
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
pub fn period(p: &HashMap<String, String>) -> Result<(u16, u16), ApiError> {
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
fn scoped(
    p: &HashMap<String, String>,
    admin: &UnitCode,
    idx: &ReportIndex,
) -> Result<String, ApiError> {
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

#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
pub async fn handle<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    path: &str,
) -> Result<Resp, ApiError> {
    if req.method() != hyper::Method::GET {
        return Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "reports are read with GET",
        ));
    }
    // A storage error is logged and answered 503 by `store_error`; its text never reaches
    // the client.
    let admin = caller::admin(app, &req).await?;
    app.refresh_reports().await.map_err(|e| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            &e.to_string(),
        )
    })?;
    let p = params(&req);
    let name = path.trim_start_matches("/api/v1/reports/").to_string();
    if name == "notices" || (name == "feedback" && p.contains_key("notice")) {
        let unit = with_index(app, {
            let p = p.clone();
            let admin = admin.clone();
            move |idx| scoped(&p, &admin, idx)
        })
        .await??;
        if name == "notices" {
            let limit = number(&p, "limit", 50, 1, 500)? as usize;
            return crate::notice_api::report(app, unit, limit).await;
        }
        // The period is not applied to a notice's replies, but a malformed one is refused.
        period(&p)?;
        let limit = number(&p, "limit", 200, 0, 1000)? as usize;
        let notice = p.get("notice").map(String::as_str).unwrap_or("");
        return crate::notice_api::replies(app, unit, notice, limit).await;
    }
    if name == "feedback" {
        let (from, to) = period(&p)?;
        let unit = with_index(app, {
            let p = p.clone();
            let admin = admin.clone();
            move |idx| scoped(&p, &admin, idx)
        })
        .await??;
        let limit = number(&p, "limit", 200, 0, 1000)? as usize;
        let unit = UnitCode::parse(&unit)
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_parameter", "bad unit"))?;
        let list = app
            .store
            .feedback(
                unit,
                crate::model::format_date(reports::date_of(from)),
                crate::model::format_date(reports::date_of(to)),
                limit,
            )
            .await
            .map_err(|e| {
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    &e.to_string(),
                )
            })?;
        return Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({"feedback": list}),
        ));
    }
    let made_on = reports::date_of(reports::today());
    with_index(app, move |idx| -> Result<Resp, ApiError> {
        let unit = scoped(&p, &admin, idx)?;
        let not_found = || error(StatusCode::FORBIDDEN, "forbidden", "this unit is outside what your token may see");
        match name.as_str() {
            "me" => {
                let u = idx.usage(admin.as_str(), 0, 0).ok_or_else(not_found)?.unit;
                Ok(json_response(StatusCode::OK, &serde_json::json!({"unit": u, "root": idx.root()})))
            }
            "usage" | "usage.json" | "usage.csv" | "usage.xlsx" => {
                let (from, to) = period(&p)?;
                let r = idx.usage(&unit, from, to).ok_or_else(not_found)?;
                let file = format!("thong-ke-so-tay-{}-{}-{}", r.unit.code, r.from, r.to);
                match name.as_str() {
                    "usage.csv" => Ok(download(reports::to_csv(&r), "text/csv; charset=utf-8", &format!("{file}.csv"))),
                    "usage.xlsx" => {
                        let bytes = reports::to_xlsx(&r, made_on).map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e))?;
                        Ok(download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{file}.xlsx")))
                    }
                    _ => Ok(json_response(StatusCode::OK, &serde_json::to_value(&r).unwrap_or_default())),
                }
            }
            "members" => {
                let (from, to) = period(&p)?;
                let list = idx.members(&unit, from, to).ok_or_else(not_found)?;
                Ok(json_response(StatusCode::OK, &serde_json::json!({"unit": unit, "members": list})))
            }
            "year" => {
                let year = match p.get("year").filter(|s| !s.is_empty()) {
                    Some(y) => y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_parameter", "year must be a year such as 2026"))?,
                    None => made_on.year(),
                };
                Ok(json_response(StatusCode::OK, &idx.year(&unit, year).ok_or_else(not_found)?))
            }
            "annual" | "annual.csv" | "annual.xlsx" => {
                let year = match p.get("year").filter(|s| !s.is_empty()) {
                    Some(y) => y.parse::<i32>().ok().filter(|y| (2020..=2100).contains(y)).ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_parameter", "year phải là một năm, ví dụ 2026"))?,
                    None => made_on.year(),
                };
                let r = idx.annual(&unit, year, reports::today()).map_err(|m| error(StatusCode::NOT_FOUND, "no_annual_sheet", &m))?;
                let file = format!("danh-gia-so-tay-{}-{}", r.unit.code, r.year);
                match name.as_str() {
                    "annual.csv" => Ok(download(reports::annual_csv(&r), "text/csv; charset=utf-8", &format!("{file}.csv"))),
                    "annual.xlsx" => {
                        let bytes = reports::annual_xlsx(&r, made_on).map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e))?;
                        Ok(download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{file}.xlsx")))
                    }
                    _ => Ok(json_response(StatusCode::OK, &serde_json::to_value(&r).unwrap_or_default())),
                }
            }
            "trend" => {
                let (_, to) = period(&p)?;
                let weeks = number(&p, "weeks", 12, 1, 104)? as u16;
                Ok(json_response(StatusCode::OK, &serde_json::json!({"unit": unit, "weeks": idx.trend(&unit, to, weeks).ok_or_else(not_found)?})))
            }
            "coverage" => {
                let doc = p.get("doc").filter(|d| !d.is_empty()).ok_or_else(|| error(StatusCode::BAD_REQUEST, "missing_parameter", "doc= (a document id) is required"))?;
                Ok(json_response(StatusCode::OK, &idx.coverage(&unit, doc).ok_or_else(not_found)?))
            }
            _ => Err(error(StatusCode::NOT_FOUND, "not_found", "no such report")),
        }
    })
    .await?
}

/// Runs `f` on the loaded aggregate on the report thread (see [`on_report_thread`]).
async fn with_index<S: Storage, T: Send + 'static>(
    app: &Arc<App<S>>,
    f: impl FnOnce(&ReportIndex) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let reports = app.reports.clone();
    on_report_thread(move || {
        let g = reports.lock().map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "reports unavailable",
            )
        })?;
        match g.as_ref() {
            Some(r) => Ok(f(&r.index)),
            None => Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "reports are loading; retry",
            )),
        }
    })
    .await
    .unwrap_or_else(|| {
        Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "report failed",
        ))
    })
}

type Job = Box<dyn FnOnce() + Send>;

/// The one thread that computes reports, at a lower CPU priority: a report at the root of a
/// national roster is a pass over a million members, and however many admins ask at once,
/// they queue here for one core while the runtime's threads keep serving members' pages.
static REPORT_THREAD: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Job>>> =
    std::sync::OnceLock::new();

/// Runs `f` on the report thread (started on first use); `None` if it panicked. Without the
/// thread (it could not be started), on tokio's blocking pool.
pub async fn on_report_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let tx = REPORT_THREAD.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sotay-reports".into())
            .spawn(move || {
                lower_priority();
                for job in rx {
                    // A panicking report is logged and answered 500; the thread goes on.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                        crate::log::log("error", "a report panicked", &[]);
                    }
                }
            })
            .map_err(|e| {
                crate::log::log(
                    "warn",
                    "no report thread; reports run on the blocking pool",
                    &[("error", &e)],
                );
            })
            .ok()
            .map(|_| tx)
    });
    let (otx, orx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = otx.send(f());
    });
    match tx {
        Some(tx) => match tx.send(job) {
            Ok(()) => orx.await.ok(),
            Err(e) => {
                tokio::task::spawn_blocking(e.0).await.ok()?;
                orx.await.ok()
            }
        },
        None => {
            tokio::task::spawn_blocking(job).await.ok()?;
            orx.await.ok()
        }
    }
}

/// Gives the calling thread a lower CPU priority (nice 10): members' requests come first.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread's own id; no memory is shared.
        let rc = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 10)
        };
        if rc != 0 {
            crate::log::log(
                "warn",
                "cannot lower the report thread's priority",
                &[("error", &std::io::Error::last_os_error())],
            );
        }
    }
}

fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> Resp {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .body(full(bytes))
        .unwrap_or_else(|_| internal())
}
