//! The member database kept by the units themselves, under `/api/v1/roster/`, for admin
//! tokens (each sees and changes its own unit's subtree, nothing else):
//!
//! - `POST uploads?unit=&name=`: a roster file (.xlsx or members .csv) of a unit's subtree,
//!   checked and compared with the roster as stored; nothing is stored in the roster — the
//!   answer is the data-quality report and what would change (422 with the report when the
//!   file has errors). The upload is kept a day for:
//! - `POST uploads/{id}/apply`: "Áp dụng", in one transaction, or 409 if the roster changed
//!   since in a way that touches it.
//! - `GET changes?unit=`: the change log (who, when, counts); `GET changes/{id}/before.xlsx`:
//!   the roster of the change's scope before it, as a workbook that can be uploaded again.
//! - `GET quality?unit=`: the data-quality view, per child unit (a cell: its members);
//!   `GET quality.xlsx?unit=`: the unit's roster with what to fix, to fill in and upload back.
//! - `GET template.xlsx`: the template.
//!
//! Messages are in Vietnamese: the dashboard shows them to committee staff as they are.

use crate::app::App;
use crate::caller;
use crate::model::UnitCode;
use crate::reply::{error, json_response, outside_scope, store_error, ApiError, Resp};
use crate::request::{now, params, read_body};
use crate::roster::quality::{self, Kind};
use crate::roster::update::{self, ChangeKind, Current, RosterChange};
use crate::roster::{self, Roster};
use crate::storage::roster::{AdminInfo, Upload, UPLOAD_TTL};
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// An upload may be this large: a province's roster of 100,000 members is about 4 MB.
pub const MAX_ROSTER_BODY: usize = 32 * 1024 * 1024;
/// Problems listed in an answer (all are counted).
pub const MAX_PROBLEMS: usize = 500;
/// Entries of each list of a preview.
pub const PREVIEW_ITEMS: usize = 200;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The admin of a request's bearer token.
async fn admin<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
) -> Result<AdminInfo, ApiError> {
    let hash = caller::admin_hash(req)?;
    app.store()
        .admin_info(hash)
        .await
        .map_err(store_error)?
        .ok_or_else(caller::unknown_admin)
}

/// How the change log names an admin: their name if the token has one, their unit's code,
/// and the token's short id (the first bytes of its hash: it tells tokens apart, and says
/// nothing of the token).
fn who(a: &AdminInfo) -> String {
    match &a.name {
        Some(n) => format!("{n} (quản trị {}, mã {})", a.unit, a.id),
        None => format!("Quản trị {} (mã {})", a.unit, a.id),
    }
}

/// The unit a request is about (`unit=`, default the admin's own), within the admin's subtree.
fn unit_param(
    p: &HashMap<String, String>,
    a: &AdminInfo,
    current: &Current,
) -> Result<UnitCode, ApiError> {
    let unit = match p.get("unit").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => a.unit.clone(),
        Some(s) => UnitCode::parse(s).ok_or_else(outside_scope)?,
    };
    // An unknown unit and one outside the scope get the same answer: nothing leaks.
    if current.unit(&unit).is_none() || !current.within(&unit, &a.unit) {
        return Err(outside_scope());
    }
    Ok(unit)
}

fn download(bytes: Vec<u8>, filename: &str) -> Resp {
    crate::reply::download(bytes, XLSX, filename)
}

/// A workbook that could not be made: logged, answered 500.
fn no_workbook(what: &str, e: String) -> ApiError {
    crate::reply::internal_error(what, &e, "internal error")
}

/// Runs CPU work (reading a workbook, planning 100,000 members) off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        crate::log::log("error", "roster work failed", &[]);
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    })
}

async fn current<S: Storage>(app: &Arc<App<S>>) -> Result<Arc<Current>, ApiError> {
    app.store()
        .load_roster()
        .await
        .map(Arc::new)
        .map_err(store_error)
}

/// `GET /api/v1/roster/template.xlsx`: the template staff fill in.
pub async fn template<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    admin(app, &req).await?;
    let bytes = blocking(roster::xlsx::template)
        .await?
        .map_err(|e| no_workbook("template", e))?;
    Ok(download(bytes, "mau-danh-sach-dang-vien.xlsx"))
}

/// `GET /api/v1/roster/changes?unit=`: the change log of a unit of the admin's subtree.
pub async fn changes<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let a = admin(app, &req).await?;
    let current = current(app).await?;
    let unit = unit_param(&params(&req), &a, &current)?;
    let list = app
        .store()
        .roster_changes(unit.clone(), 100)
        .await
        .map_err(store_error)?;
    let names: Vec<Value> = list
        .iter()
        .map(|c| {
            let code = UnitCode::parse(&c.unit_code);
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["unit_name"] = json!(code.map(|c| current.unit_name(&c)).unwrap_or_default());
            v
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"unit": {"code": unit, "name": current.unit_name(&unit)}, "changes": names}),
    ))
}

/// `GET /api/v1/roster/quality?unit=`: the data-quality view.
pub async fn quality<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let a = admin(app, &req).await?;
    let current = current(app).await?;
    let unit = unit_param(&params(&req), &a, &current)?;
    let view = blocking(move || quality_view(&current, &unit)).await?;
    Ok(json_response(StatusCode::OK, &view))
}

/// `GET /api/v1/roster/quality.xlsx?unit=`: the unit's roster with what to fix.
pub async fn quality_workbook<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let a = admin(app, &req).await?;
    let current = current(app).await?;
    let unit = unit_param(&params(&req), &a, &current)?;
    let code = unit.clone();
    let bytes = blocking(move || quality_xlsx(&current, &unit))
        .await?
        .map_err(|e| no_workbook("quality export", e))?;
    Ok(download(bytes, &format!("danh-sach-{}.xlsx", code)))
}

/// The report of a file as answers show it: counts, and the first problems.
fn report_json(r: &roster::Report) -> Value {
    json!({
        "errors": r.errors(),
        "warnings": r.warnings(),
        "units": r.units,
        "members": r.members,
        "problems": r.problems.iter().take(MAX_PROBLEMS).collect::<Vec<_>>(),
        "problems_total": r.problems.len(),
    })
}

fn new_id() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|_| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no randomness; retry",
        )
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// `POST /api/v1/roster/uploads?unit=&name=`: a roster file checked and compared with the
/// roster as stored; kept a day for `apply`.
pub async fn upload<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
) -> Result<Resp, ApiError> {
    let a = admin(app, &req).await?;
    let p = params(&req);
    let body = read_body(req, MAX_ROSTER_BODY).await?;
    if body.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "empty_file",
            "Tệp rỗng: hãy chọn tệp danh sách (.xlsx hoặc .csv).",
        ));
    }
    let current = current(app).await?;
    let unit = unit_param(&p, &a, &current)?;
    let file_name: String = p
        .get("name")
        .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect())
        .filter(|n: &String| !n.trim().is_empty())
        .unwrap_or_else(|| "danh-sach.xlsx".into());
    let who = who(&a);
    let checked = check(
        body.to_vec(),
        file_name.clone(),
        current.clone(),
        unit.clone(),
    )
    .await?;
    let (parsed, report, fingerprint, preview) = match checked {
        Ok(x) => x,
        Err(report) => return Ok(has_errors(&report)),
    };
    let id = new_id()?;
    let created_at = now();
    app.store()
        .save_upload(Upload {
            id: id.clone(),
            unit: unit.clone(),
            admin: who,
            file_name: file_name.clone(),
            created_at,
            base_version: current.version,
            fingerprint,
            parsed,
            applied_change: None,
        })
        .await
        .map_err(store_error)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "upload": {
                "id": id,
                "unit": {"code": unit, "name": current.unit_name(&unit)},
                "file_name": file_name,
                "base_version": current.version,
                "expires_at": crate::storage::rfc3339_vn(created_at + UPLOAD_TTL),
            },
            "report": report_json(&report),
            "preview": preview,
        }),
    ))
}

/// What an upload would do: the file read and checked within `unit`'s subtree, and the plan
/// of changes against the roster as stored (its fingerprint and preview); or the report of
/// its errors.
type Checked = (roster::Parsed, roster::Report, String, Value);

async fn check(
    bytes: Vec<u8>,
    name: String,
    cur: Arc<Current>,
    u: UnitCode,
) -> Result<Result<Checked, roster::Report>, ApiError> {
    blocking(move || {
        let (parsed, mut report) = roster::parse_upload(bytes, &name);
        let Some(parsed) = parsed else {
            return Err(report);
        };
        let scope = roster::Scope::Subtree {
            unit: &u,
            current: &cur,
        };
        match roster::assemble(&parsed, &scope, &mut report) {
            None => Err(report),
            Some(after) => {
                let plan = update::plan(&cur, &after, &u, false);
                let preview = update::preview(&plan, &cur, PREVIEW_ITEMS);
                Ok((parsed, report, plan.fingerprint, preview))
            }
        }
    })
    .await
}

/// 422: the file has errors; nothing is stored. The report says where.
fn has_errors(report: &roster::Report) -> Resp {
    let n = report.errors();
    let mut r = json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({
            "error": {"code": "roster_has_errors", "message": format!("Tệp có {n} lỗi: chưa lưu gì. Hãy sửa các ô được chỉ ra rồi tải tệp lên lại.")},
            "report": report_json(report),
        }),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// `POST /api/v1/roster/uploads/{id}/apply`: applies an upload in one transaction.
pub async fn apply<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    id: &str,
) -> Result<Resp, ApiError> {
    let a = admin(app, &req).await?;
    let gone = || {
        error(
            StatusCode::NOT_FOUND,
            "upload_not_found",
            "Không có tệp tải lên này (hoặc đã quá một ngày): hãy tải tệp lên lại.",
        )
    };
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    let up = app
        .store()
        .upload(id.to_string())
        .await
        .map_err(store_error)?
        .ok_or_else(gone)?;
    // Another admin may apply an upload of a unit within their own subtree.
    let paths = (
        app.store()
            .unit_path(up.unit.clone())
            .await
            .map_err(store_error)?,
        app.store()
            .unit_path(a.unit.clone())
            .await
            .map_err(store_error)?,
    );
    match paths {
        (Some(u), Some(mine)) if u.starts_with(&mine) => {}
        _ => return Err(gone()),
    }
    if up.created_at + UPLOAD_TTL < now() {
        return Err(gone());
    }
    if up.applied_change.is_some() {
        return Err(error(
            StatusCode::CONFLICT,
            "already_applied",
            "Tệp này đã được áp dụng.",
        ));
    }
    let change = RosterChange {
        kind: ChangeKind::Subtree {
            scope: up.unit.clone(),
            parsed: Box::new(up.parsed),
            base_version: up.base_version,
            fingerprint: up.fingerprint,
            upload: up.id,
        },
        who: who(&a),
        source: up.file_name,
    };
    let applied = app
        .store()
        .change_roster(change, now())
        .await
        .map_err(store_error)?;
    crate::log::log(
        "info",
        "roster change applied",
        &[
            ("id", &applied.id),
            ("unit", &applied.scope),
            ("members", &applied.counts.members),
        ],
    );
    Ok(json_response(StatusCode::OK, &json!({"change": applied})))
}

/// `GET /api/v1/roster/changes/{id}/before.xlsx`: the roster of a change's scope before it.
pub async fn before<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    id: &str,
) -> Result<Resp, ApiError> {
    let a = admin(app, &req).await?;
    let gone = || {
        error(
            StatusCode::NOT_FOUND,
            "change_not_found",
            "Không có lần cập nhật này trong phạm vi của mã quản trị.",
        )
    };
    let id: i64 = id.parse().map_err(|_| gone())?;
    let mine = app
        .store()
        .unit_path(a.unit.clone())
        .await
        .map_err(store_error)?
        .ok_or_else(gone)?;
    let crate::storage::Before {
        entry,
        roster,
        scope_path: path,
    } = app
        .store()
        .roster_before(id)
        .await
        .map_err(store_error)?
        .ok_or_else(gone)?;
    if !update::overlap(&path, &mine) {
        return Err(gone());
    }
    // A change above the admin's unit: only the admin's own subtree of it.
    let scoped = if path.starts_with(&mine) {
        roster
    } else {
        subtree_of(&roster, &a.unit)
    };
    let title = format!(
        "trước lần cập nhật số {} ({})",
        entry.id,
        entry.at.replace('T', " ").get(..16).unwrap_or("")
    );
    let bytes = blocking(move || {
        let names: HashMap<UnitCode, String> = scoped
            .units
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect();
        let name_of = |c: &UnitCode| names.get(c).cloned().unwrap_or_default();
        roster::xlsx::workbook(&roster::xlsx::Content {
            title,
            units: &scoped.units,
            members: &scoped.members,
            findings: None,
            unit_name: &name_of,
        })
    })
    .await?
    .map_err(|e| no_workbook("previous state", e))?;
    Ok(download(bytes, &format!("truoc-cap-nhat-{id}.xlsx")))
}

/// The part of a roster under `unit` (units parents first, the unit itself first).
fn subtree_of(r: &Roster, unit: &UnitCode) -> Roster {
    let mut keep: std::collections::HashSet<&UnitCode> = std::collections::HashSet::new();
    let mut units = Vec::new();
    for u in &r.units {
        if &u.code == unit || u.parent.as_ref().is_some_and(|p| keep.contains(p)) {
            keep.insert(&u.code);
            units.push(u.clone());
        }
    }
    let members = r
        .members
        .iter()
        .filter(|m| keep.contains(&m.unit))
        .cloned()
        .collect();
    Roster { units, members }
}

fn counts_json(c: &quality::Counts) -> Value {
    let mut f = serde_json::Map::new();
    for k in Kind::ALL {
        f.insert(
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            json!(c.findings.get(&k).copied().unwrap_or(0)),
        );
    }
    json!({"members": c.members, "cells": c.cells, "members_to_fix": c.members_to_fix, "findings": f})
}

/// The data-quality view of `unit`: a row per child unit (the unit itself for a cell) with
/// counts by kind, a total, and for a cell its findings and members.
pub fn quality_view(current: &Current, unit: &UnitCode) -> Value {
    let idx = quality::Index::new(current);
    let Some(u) = current.unit(unit) else {
        return Value::Null;
    };
    let children: Vec<&roster::Unit> = current
        .units
        .iter()
        .filter(|c| c.parent.as_ref() == Some(unit))
        .collect();
    let rows: Vec<Value> = if children.is_empty() {
        vec![row_json(current, &idx, u)]
    } else {
        children
            .iter()
            .map(|c| row_json(current, &idx, c))
            .collect()
    };
    let mut v = json!({
        "unit": {"code": u.code, "name": u.name, "kind": u.kind},
        "kinds": Kind::ALL.iter().map(|k| json!({"kind": k, "label": k.label()})).collect::<Vec<_>>(),
        "rows": rows,
        "total": counts_json(&idx.counts(current, unit)),
    });
    if u.kind.is_cell() {
        let members: Vec<Value> = current
            .members
            .iter()
            .filter(|m| &m.unit == unit)
            .map(|m| {
                let found = idx.by_member.get(&m.card).map(|v| v.as_slice()).unwrap_or(&[]);
                json!({
                    "card_number": m.card,
                    "full_name": m.full_name,
                    "birth_date": crate::model::format_date(m.birth_date),
                    "status": m.status,
                    "role": m.role,
                    "smartphone": m.smartphone,
                    "findings": found.iter().map(|f| json!({"kind": f.kind, "message": f.message})).collect::<Vec<_>>(),
                })
            })
            .collect();
        v["members"] = json!(members);
        v["cell_findings"] = json!(idx
            .by_cell
            .get(unit)
            .map(|v| v
                .iter()
                .map(|f| json!({"kind": f.kind, "message": f.message}))
                .collect::<Vec<_>>())
            .unwrap_or_default());
    }
    v
}

fn row_json(current: &Current, idx: &quality::Index, u: &roster::Unit) -> Value {
    let mut v = counts_json(&idx.counts(current, &u.code));
    v["unit_code"] = json!(u.code);
    v["unit_name"] = json!(u.name);
    v["kind"] = json!(u.kind);
    v
}

/// `unit`'s roster as a workbook with what to fix.
fn quality_xlsx(current: &Current, unit: &UnitCode) -> Result<Vec<u8>, String> {
    let idx = quality::Index::new(current);
    let units: Vec<roster::Unit> = current.subtree(unit).into_iter().cloned().collect();
    let members: Vec<roster::Member> = current.members_under(unit).into_iter().cloned().collect();
    let name_of = |c: &UnitCode| current.unit_name(c);
    roster::xlsx::workbook(&roster::xlsx::Content {
        title: current.unit_name(unit),
        units: &units,
        members: &members,
        findings: Some(&idx),
        unit_name: &name_of,
    })
}
