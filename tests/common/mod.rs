//! Helpers shared by the end-to-end tests: temporary site roots (with a roster), the `sotay`
//! binary and its server, and running the Node scripts in tests/browser that drive Debian's
//! Chromium.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Runs the `sotay` binary with `args`.
pub fn sotay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sotay"))
        .args(args)
        .output()
        .expect("sotay")
}

/// A site root with members: the sample site (plus `extra` files) built into `out`, and the
/// roster `units` / `members` (CSV) imported into `db` by `sotay roster import`.
pub struct RosterSite {
    pub root: tempfile::TempDir,
    pub out: PathBuf,
    /// The database's URL (`sqlite://…/db.sqlite`).
    pub db: String,
}

pub fn roster_site(extra: &[(&str, &str)], units: &str, members: &str) -> RosterSite {
    let root = sample_copy(extra);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let (u, m) = (
        root.path().join("units.csv"),
        root.path().join("members.csv"),
    );
    std::fs::write(&u, units).expect("w");
    std::fs::write(&m, members).expect("w");
    let db = format!("sqlite://{}", root.path().join("db.sqlite").display());
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    let st = sotay(&[
        "roster",
        "import",
        "--units",
        &path(&u),
        "--members",
        &path(&m),
        "--db",
        &db,
    ]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    RosterSite { root, out, db }
}

/// A new admin token for `unit`'s subtree (`sotay admin create`).
pub fn admin_token(db: &str, unit: &str) -> String {
    let admin = sotay(&["admin", "create", "--unit", unit, "--db", db]);
    assert!(
        admin.status.success(),
        "{}",
        String::from_utf8_lossy(&admin.stderr)
    );
    String::from_utf8(admin.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// `sotay server` on a free local port; stopped when dropped.
pub struct SotayServer {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl SotayServer {
    /// Serves the built site `out` from the database `db` (`extra`: more flags), once it
    /// accepts connections (at most 20 s).
    pub fn start(out: &Path, db: &str, extra: &[&str]) -> SotayServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_sotay"))
            .args(["server", "--site"])
            .arg(out)
            .args(["--db", db, "--listen", &addr])
            .args(extra)
            .env("SOTAY_LOG", "quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("server");
        let server = SotayServer { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&server.addr).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SotayServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
