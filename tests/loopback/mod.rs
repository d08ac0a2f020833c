//! The `sotay server` binary on loopback, for the hostile-client, disk-full and schemathesis
//! tests: the sample site built into a temporary folder, a small roster imported with `sotay
//! roster import`, and the server process killed when the guard is dropped. Databases are
//! given as URLs (`sqlite://PATH`, see [`db_url`], or `postgres://...`).

#![allow(dead_code)]

pub use sotay_sync_server::client::*;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const UNITS: &str = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ huyện A,TU,dang-bo\nCB1,Chi bộ thôn 1,DB1,chi-bo\nCB2,Chi bộ thôn 2,DB1,chi-bo\n";
pub const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role\n10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien\n10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,dang-vien\n";

/// (card, name, birth date, unit) of the roster's members.
pub const PEOPLE: [(&str, &str, &str, &str); 3] = [
    ("10000001", "Nguyễn Văn An", "1960-01-02", "CB1"),
    ("10000002", "Trần Thị Bình", "1975-05-06", "CB1"),
    ("10000003", "Lê Văn Cường", "1980-03-04", "CB2"),
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sotay")
}

/// Builds the sample site into `dir/public`.
pub fn build_site(dir: &Path) -> PathBuf {
    let site = dir.join("public");
    sotay_generator::build(&repo(), &site).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    site
}

/// A copy of the sample site's sources (content/, sotay.yaml) in `root`, built for `base_url`.
pub fn copy_sample(root: &Path, base_url: &str) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read_dir") {
            let p = e.expect("entry").path();
            let t = to.join(p.file_name().expect("name"));
            if p.is_dir() {
                copy(&p, &t);
            } else {
                std::fs::copy(&p, &t).expect("copy");
            }
        }
    }
    copy(&repo().join("content"), &root.join("content"));
    let config = std::fs::read_to_string(repo().join("sotay.yaml")).expect("sotay.yaml");
    let config: String = config
        .lines()
        .map(|l| match l.starts_with("base_url:") {
            true => format!("base_url: {base_url}\n"),
            false => format!("{l}\n"),
        })
        .collect();
    assert!(config.contains(base_url));
    std::fs::write(root.join("sotay.yaml"), config).expect("write");
}

pub fn db_url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

/// Imports the small roster into the database at URL `db` (its CSV files are written in
/// `scratch`).
pub fn import_roster(scratch: &Path, db: &str) {
    std::fs::write(scratch.join("units.csv"), UNITS).expect("w");
    std::fs::write(scratch.join("members.csv"), MEMBERS).expect("w");
    let out = Command::new(bin())
        .args(["roster", "import", "--units"])
        .arg(scratch.join("units.csv"))
        .arg("--members")
        .arg(scratch.join("members.csv"))
        .args(["--db", db])
        .output()
        .expect("roster import");
    assert!(
        out.status.success(),
        "roster import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An admin token for `unit`, made with `sotay admin create`.
pub fn admin(db: &str, unit: &str) -> String {
    let out = Command::new(bin())
        .args(["admin", "create", "--unit", unit, "--db", db])
        .output()
        .expect("admin create");
    assert!(
        out.status.success(),
        "admin create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A running `sotay server`; killed (SIGKILL) when dropped.
pub struct Server {
    pub addr: SocketAddr,
    /// Where requests go: `addr` over HTTP, or over HTTPS for `start_https`.
    pub target: Target,
    pub child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Whether the process is still running (it has not crashed or exited).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Starts `sotay server` on a free port with `args` and `env` added, and waits for /healthz.
pub fn start(site: &Path, db: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    start_logged(site, db, args, env, None)
}

/// Like `start`, with the server's stderr (its log and any panic) written to `log`.
pub fn start_logged(
    site: &Path,
    db: &str,
    args: &[&str],
    env: &[(&str, &str)],
    log: Option<&Path>,
) -> Server {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    start_at(addr.into(), site, db, args, env, log)
}

/// Like `start_logged`, serving HTTPS itself with the certificate chain and key in `tls`,
/// which the client trusts through `ca_pem`.
pub fn start_https(
    site: &Path,
    db: &str,
    args: &[&str],
    env: &[(&str, &str)],
    log: Option<&Path>,
    tls: (&Path, &Path),
    ca_pem: &str,
) -> Server {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let target = Target::https(addr, "localhost", ca_pem.as_bytes()).expect("target");
    let mut all = vec![
        "--tls-cert",
        tls.0.to_str().expect("utf-8"),
        "--tls-key",
        tls.1.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    start_at(target, site, db, &all, env, log)
}

fn start_at(
    target: Target,
    site: &Path,
    db: &str,
    args: &[&str],
    env: &[(&str, &str)],
    log: Option<&Path>,
) -> Server {
    let addr = target.addr;
    let mut cmd = Command::new(bin());
    cmd.args(["server", "--site"])
        .arg(site)
        .args(["--db", db, "--listen", &addr.to_string()])
        .args(args)
        .env("SOTAY_LOG", "quiet")
        .stdout(Stdio::null())
        .stderr(match log {
            Some(p) => Stdio::from(std::fs::File::create(p).expect("log file")),
            None => Stdio::null(),
        });
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut server = Server {
        addr,
        target: target.clone(),
        child: cmd.spawn().expect("start sotay server"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if try_request(&target, "GET", "/healthz", &[], b"").is_ok_and(|r| r.status == 200) {
            return server;
        }
        assert!(server.alive(), "sotay server exited at start");
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("sotay server did not start on {addr}");
}

/// A member's token from registration (panics unless 201).
pub fn register(to: impl Into<Target>, who: usize) -> String {
    let (card, name, birth, unit) = PEOPLE[who];
    let r = post_json(
        to,
        "/api/v1/register",
        None,
        &serde_json::json!({"card_number": card, "full_name": name, "birth_date": birth, "unit_code": unit}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_string()
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt")
}
