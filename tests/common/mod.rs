//! Helpers shared by the end-to-end tests: temporary site roots, and running the Node
//! scripts in tests/browser that drive Debian's Chromium.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the sample site (content/ and sotay.yaml) in a temporary folder, plus `extra`
/// files.
pub fn sample_copy(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo().join("content"), &dir.path().join("content"));
    std::fs::copy(repo().join("sotay.yaml"), dir.path().join("sotay.yaml"))
        .expect("copy sotay.yaml");
    for (p, t) in extra {
        let f = dir.path().join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, t).expect("write");
    }
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// Runs `node tests/browser/<script> <args>` and parses the JSON it prints. Panics with the
/// script's error output if Node, its packages or Chromium are missing: browser tests never
/// skip themselves.
pub fn node(script: &str, args: &[&str]) -> serde_json::Value {
    let dir = repo().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "tests/browser/node_modules is missing: run `npm ci` in tests/browser (.ci/run does)"
    );
    let out = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .output()
        .expect("node must be installed to run the browser tests");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Chromium, trusting the server certificate whose key has SHA-256 `spki` (base64), opens
/// `base` over HTTPS (HTTP/2; HSTS when `hsts`), installs the handbook with its service worker
/// and reads it with the network cut (tests/browser/https.mjs).
pub fn installs_over_https_and_reads_offline(base: &str, spki: &str, hsts: bool) {
    let r = node("https.mjs", &[base, spki]);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["secure"], true, "a secure context: {r}");
    assert_eq!(r["protocol"], "h2", "{r}");
    if hsts {
        assert_eq!(r["hsts"], "max-age=31536000", "{r}");
    }
    assert!(
        r["installed"]["total"].as_u64().unwrap_or(0) > 100,
        "the whole handbook saved: {r}"
    );
    assert_eq!(r["installed"]["scope"], base, "{r}");
    assert_eq!(r["controlled"], true, "{r}");
    assert_eq!(r["api"], 200, "the API under the same path: {r}");
    let offline = r["offline"].as_object().expect("offline pages");
    assert_eq!(offline.len(), 5);
    for (page, v) in offline {
        assert_eq!(v["status"], 200, "{page} offline: {r}");
        assert_ne!(v["h1"], "Không có mạng", "{page} was saved: {r}");
    }
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{r}");
}
