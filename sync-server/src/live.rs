//! Live reload for `sotay serve`: the channel on which the editors' loop (`watch`) tells open
//! pages to reload or shows them the build's errors, and the `/__sotay/*` routes of dev mode —
//! the event stream (server-sent events) and the script and style added to every page, files of
//! the default theme (`themes/default/dev/`, embedded in the binary, never published).

use crate::reply::{full, internal, Resp};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{header, Response};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::broadcast;

/// What pages get before `</body>` in dev mode.
const TAG: &str =
    "<link rel=\"stylesheet\" href=\"/__sotay/live.css\"><script src=\"/__sotay/live.js\"></script>";

/// The live-reload channel of a dev server.
pub struct LiveReload {
    /// A message for every rebuild ("reload", "built") or build error (their text).
    reloads: broadcast::Sender<String>,
    /// The errors of the last failed rebuild, for pages that connect while they last.
    errors: Mutex<Vec<String>>,
}

impl Default for LiveReload {
    fn default() -> Self {
        LiveReload {
            reloads: broadcast::channel(16).0,
            errors: Mutex::new(Vec::new()),
        }
    }
}

/// What a rebuild says to open pages (server-sent events): reload, as soon as the changed
/// pages are on disk.
pub fn reload_message(changed: &[String]) -> String {
    serde_json::json!({"type": "reload", "changed": changed}).to_string()
}

/// The end of a rebuild, once every file is written (also when nothing changed): what
/// changed and what was removed. Open pages that were removed reload (to show the 404);
/// tools and tests wait for it before comparing files.
pub fn built_message(changed: &[String], removed: &[String]) -> String {
    serde_json::json!({"type": "built", "changed": changed, "removed": removed}).to_string()
}

pub fn error_message(errors: &[String]) -> String {
    serde_json::json!({"type": "error", "errors": errors}).to_string()
}

impl LiveReload {
    /// Sends `msg` to every open page (none listening is fine).
    pub fn send(&self, msg: String) {
        let _ = self.reloads.send(msg);
    }

    /// The site builds again: pages that connect from now on see no errors.
    pub fn clear_errors(&self) {
        if let Ok(mut e) = self.errors.lock() {
            e.clear();
        }
    }

    /// The rebuild failed with `errors`: open pages show them, and so do pages that connect
    /// until the site builds again.
    pub fn failed(&self, errors: Vec<String>) {
        let msg = error_message(&errors);
        if let Ok(mut e) = self.errors.lock() {
            *e = errors;
        }
        self.send(msg);
    }

    /// `/__sotay/*`: the script, the style and the event stream; `None` for any other path.
    pub fn route(&self, path: &str) -> Option<Resp> {
        match path {
            "/__sotay/live.js" => asset("dev/live.js", "text/javascript; charset=utf-8"),
            "/__sotay/live.css" => asset("dev/live.css", "text/css; charset=utf-8"),
            "/__sotay/events" => Some(self.events()),
            _ => None,
        }
    }

    /// The event stream: a hello with the current errors, then every message; a comment
    /// every 15 s keeps idle connections open through proxies.
    fn events(&self) -> Resp {
        use futures_util::StreamExt;
        let errors = self.errors.lock().map(|e| e.clone()).unwrap_or_default();
        let hello = serde_json::json!({"type": "hello", "errors": errors}).to_string();
        let rx = self.reloads.subscribe();
        let first = futures_util::stream::once(async move {
            Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(format!(
                "data: {hello}\n\n"
            ))))
        });
        let rest = futures_util::stream::unfold(rx, |mut rx| async move {
            let frame = match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
                Ok(Ok(msg)) => format!("data: {msg}\n\n"),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => ": lagged\n\n".to_string(),
                Ok(Err(_)) => return None,
                Err(_) => ": keep-alive\n\n".to_string(),
            };
            Some((
                Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(frame))),
                rx,
            ))
        });
        let body = http_body_util::StreamBody::new(first.chain(rest));
        Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-store")
            .body(BodyExt::boxed(body))
            .unwrap_or_else(|_| internal())
    }
}

/// A page as dev mode serves it: with the live-reload script and style.
pub fn inject(page: &[u8]) -> String {
    let mut html = String::from_utf8_lossy(page).into_owned();
    match html.rfind("</body>") {
        Some(i) => html.insert_str(i, TAG),
        None => html.push_str(TAG),
    }
    html
}

/// A file of the default theme as the binary carries it.
fn asset(name: &str, content_type: &'static str) -> Option<Resp> {
    let (_, bytes) = sotay_generator::theme::DEFAULT_THEME
        .iter()
        .find(|(p, _)| *p == name)?;
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CACHE_CONTROL, "no-store")
            .body(full(Bytes::from_static(bytes)))
            .unwrap_or_else(|_| internal()),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_and_style_are_in_the_binary() {
        for name in ["dev/live.js", "dev/live.css"] {
            let found = sotay_generator::theme::DEFAULT_THEME
                .iter()
                .any(|(p, b)| *p == name && !b.is_empty());
            assert!(found, "{name} is not embedded");
        }
    }
}
