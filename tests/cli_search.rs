//! `sotay search` on the command line: its results, and a reader that stops early (`| head`).

mod common;

use std::process::{Command, Stdio};

/// The sample handbook built in a copy, ready for `sotay search --root`.
fn built() -> tempfile::TempDir {
    let site = common::sample_copy(&[]);
    let root = site.path().to_str().expect("utf-8 path");
    let out = common::sotay(&["build", "--root", root]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    site
}

#[test]
fn a_reader_that_stops_early_ends_the_search_quietly() {
    let site = built();
    let root = site.path().to_str().expect("utf-8 path");
    // The reader goes away before the command writes (it opens the index first).
    let mut child = Command::new(env!("CARGO_BIN_EXE_sotay"))
        .args(["search", "đảng", "--root", root])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sotay search");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

#[test]
fn the_results_as_json() {
    let site = built();
    let root = site.path().to_str().expect("utf-8 path");
    let out = common::sotay(&["search", "dang vien", "--root", root, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["total"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(
        v["hits"][0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with('/')),
        "{v}"
    );
}
