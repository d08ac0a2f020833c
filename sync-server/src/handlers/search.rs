//! Search: the API (`GET /api/v1/search`, JSON) and the search page without JavaScript
//! (`/tim-kiem/?q=...`: the built page with the server's results in it), both over the site's
//! tantivy index. Search reads no member data and no database.

use crate::app::App;
use crate::reply::{bad, error, full, internal, json_response, limited, ApiError, Resp};
use crate::request::params;
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use sotay_generator::search::{Filter, Results};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// The search a query string asks for (400 for a bad parameter, 503 without an index).
fn run_search<S: Storage>(
    app: &Arc<App<S>>,
    p: &HashMap<String, String>,
) -> Result<Results, ApiError> {
    let q = p.get("q").map(|s| s.trim()).unwrap_or("");
    if q.is_empty() {
        return Err(bad("missing_query", "give the words to search for in q="));
    }
    if q.chars().count() > 200 {
        return Err(bad("query_too_long", "a query has at most 200 characters"));
    }
    let num = |k: &str, default: usize, max: usize| -> Result<usize, ApiError> {
        match p.get(k).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "invalid_parameter",
                        &format!("{k} must be a whole number up to {max}"),
                    )
                }),
        }
    };
    let limit = num("limit", 10, 50)?;
    let offset = num("offset", 0, 10_000)?;
    let year = match p.get("year").filter(|s| !s.is_empty()) {
        None => None,
        Some(y) => Some(y.parse::<u16>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "year must be a year such as 2026",
            )
        })?),
    };
    let nonempty = |k: &str| p.get(k).filter(|s| !s.is_empty()).cloned();
    let filter = Filter {
        kind: nonempty("kind"),
        section: nonempty("section"),
        year,
    };
    let Some(index) = app.search_index() else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "search_unavailable",
            "the search index is not built yet",
        ));
    };
    // `correct=0`: the words as typed, even when they find little ("Vẫn tìm ...").
    let correct = p.get("correct").map(String::as_str) != Some("0");
    Ok(index.search_with(q, &filter, offset, limit, correct))
}

/// `GET /api/v1/search?q=&limit=&offset=&kind=&section=&year=&correct=`.
pub fn search<S: Storage>(
    app: &Arc<App<S>>,
    req: &Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, ApiError> {
    // Per instance even on a shared database: search reads no member data and no database,
    // and this limit protects each instance's CPU; a shared bucket would put a database
    // write in front of every search.
    let key = crate::limits::address_key(client);
    if let Err(retry) = app.limits().search_by_addr.check(&key) {
        app.metrics()
            .rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(limited(retry, "searches"));
    }
    let results = run_search(app, &params(req))?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(&results).unwrap_or(Value::Null),
    ))
}

/// `/tim-kiem/?q=...` without JavaScript: the search page with the server's results in it.
pub fn search_page<S: Storage>(app: &Arc<App<S>>, req: &Request<Incoming>) -> Option<Resp> {
    let p = params(req);
    p.get("q").filter(|q| !q.trim().is_empty())?;
    let crate::files::Lookup::Found(page) = app.files().lookup("/tim-kiem/") else {
        return None;
    };
    let html = String::from_utf8_lossy(&page.bytes).into_owned();
    let base = app.site_base();
    let results = match run_search(app, &p) {
        Ok(r) => render_results(&r, &base, p.get("q").map_or("", |q| q.trim())),
        Err(_) => "<p>Chưa tìm được. Vui lòng thử lại.</p>".to_string(),
    };
    let html = html.replacen("<!--sotay:search-results-->", &results, 1);
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(full(html))
            .unwrap_or_else(|_| internal()),
    )
}

fn render_results(r: &Results, base: &str, asked: &str) -> String {
    use sotay_generator::html::esc;
    if r.total == 0 {
        return "<p class=\"search-status\">Không tìm thấy văn bản nào. Hãy thử từ khóa khác, có dấu hoặc không dấu.</p>".into();
    }
    let mut s = String::new();
    if let Some(sg) = &r.suggestion {
        let page = format!("{}/tim-kiem/", base.trim_end_matches('/'));
        s.push_str(&format!(
            "<p class=\"search-suggest\">Có phải đồng chí muốn tìm: <a href=\"{page}?q={}\"><em>{}</em></a>? Kết quả dưới đây là của từ khóa này. <a href=\"{page}?q={}&amp;correct=0\">Vẫn tìm “{}”</a></p>",
            esc(&url_encode(sg)),
            esc(sg),
            esc(&url_encode(asked)),
            esc(asked),
        ));
    }
    s.push_str(&format!(
        "<p class=\"meta\">Tìm thấy {} văn bản</p><ol class=\"results\">",
        r.total
    ));
    for h in &r.hits {
        let meta: Vec<String> = [h.number.clone(), h.date.clone()]
            .into_iter()
            .flatten()
            .map(|x| esc(&x))
            .collect();
        s.push_str(&format!(
            "<li><a href=\"{}{}\">{}</a>{}<p>{}</p></li>",
            esc(base.trim_end_matches('/')),
            esc(&h.url),
            esc(&h.title),
            if meta.is_empty() {
                String::new()
            } else {
                format!("<span class=\"meta\">{}</span>", meta.join(" · "))
            },
            h.snippet
        ));
    }
    s.push_str("</ol>");
    s
}

/// Percent-encodes a query for a URL's query string.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
