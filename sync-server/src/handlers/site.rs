//! The built site's files, for every path outside the API: from memory, compressed once
//! (gzip, brotli) as the client accepts, with strong `ETag`s and long caching for hashed
//! assets (`files`); `/tim-kiem/?q=` with the server's results for browsers without
//! JavaScript; the site's own 404 page. In dev mode pages get the live-reload script.

use crate::app::App;
use crate::files::{negotiate, Encoding, Entry, Lookup};
use crate::reply::{empty, full, internal, Resp};
use crate::storage::Storage;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;

/// `GET` or `HEAD` of a path of the site.
pub fn file<S: Storage>(app: &Arc<App<S>>, req: &Request<Incoming>) -> Resp {
    let path = req.uri().path();
    if path == "/tim-kiem/" {
        if let Some(r) = super::search::search_page(app, req) {
            return r;
        }
    }
    match app.files().lookup(path) {
        Lookup::Found(e) => found(app, req, &e),
        Lookup::Redirect(to) => Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, to)
            .body(empty())
            .unwrap_or_else(|_| internal()),
        Lookup::Forbidden => not_found(app, StatusCode::BAD_REQUEST),
        Lookup::NotFound => not_found(app, StatusCode::NOT_FOUND),
    }
}

/// A file that exists: 304 if the client has it, else its bytes in the best encoding.
fn found<S: Storage>(app: &Arc<App<S>>, req: &Request<Incoming>, e: &Entry) -> Resp {
    let head = req.method() == Method::HEAD;
    let path = req.uri().path();
    let enc = if e.compressible() {
        negotiate(
            req.headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok()),
        )
    } else {
        Encoding::Identity
    };
    let etag = match enc {
        Encoding::Identity => e.etag.clone(),
        Encoding::Gzip => format!("{}-gz\"", e.etag.trim_end_matches('"')),
        Encoding::Brotli => format!("{}-br\"", e.etag.trim_end_matches('"')),
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|inm| {
            inm.split(',').any(|t| {
                let t = t.trim().trim_start_matches("W/");
                t == etag || t == e.etag || t == "*"
            })
        });
    let mut b = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, e.cache_control)
        .header(header::VARY, "Accept-Encoding");
    if matches {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(empty())
            .unwrap_or_else(|_| internal());
    }
    b = b.header(header::CONTENT_TYPE, e.content_type);
    if enc == Encoding::Gzip {
        b = b.header(header::CONTENT_ENCODING, "gzip");
    } else if enc == Encoding::Brotli {
        b = b.header(header::CONTENT_ENCODING, "br");
    }
    if path.ends_with("/sw.js") || path == "/sw.js" {
        b = b.header("service-worker-allowed", "/");
    }
    if app.live().is_some() && e.content_type.starts_with("text/html") {
        // Pages served for editors reload themselves after each rebuild.
        let html = crate::live::inject(&e.bytes);
        return Response::builder()
            .header(header::CONTENT_TYPE, e.content_type)
            .header(header::CACHE_CONTROL, "no-store")
            .body(if head { empty() } else { full(html) })
            .unwrap_or_else(|_| internal());
    }
    let body = e.body(enc);
    b = b.header(header::CONTENT_LENGTH, body.len());
    b.body(if head { empty() } else { full(body) })
        .unwrap_or_else(|_| internal())
}

/// The site's 404 page (or a line of Vietnamese if it has none) with `status`.
pub fn not_found<S: Storage>(app: &Arc<App<S>>, status: StatusCode) -> Resp {
    let body = match app.files().lookup("/404.html") {
        Lookup::Found(e) => e.bytes.clone(),
        _ => Bytes::from_static(
            b"<!doctype html><title>404</title><p>Kh\xc3\xb4ng t\xc3\xacm th\xe1\xba\xa5y trang.",
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(full(body))
        .unwrap_or_else(|_| internal())
}
