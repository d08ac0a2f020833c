//! Structured logs: one `key=value` line per event on stderr, so that operators can grep and
//! log shippers can parse them. `SOTAY_LOG=quiet` silences request lines.

use std::fmt::Write;

pub fn enabled() -> bool {
    static QUIET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*QUIET.get_or_init(|| std::env::var("SOTAY_LOG").is_ok_and(|v| v == "quiet"))
}

/// Logs `msg` with fields; values are quoted when they need it.
pub fn log(level: &str, msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    let now = time::OffsetDateTime::now_utc();
    let ts = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut line = format!("ts={ts} level={level} msg={}", quote(msg));
    for (k, v) in fields {
        let _ = write!(line, " {k}={}", quote(&v.to_string()));
    }
    eprintln!("{line}");
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '=')
    {
        s.to_string()
    } else {
        format!("{s:?}")
    }
}
