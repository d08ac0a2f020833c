//! A real server on loopback for the HTTP tests: the sample site built into a temporary
//! folder, a small roster, and a minimal HTTP/1.1 client that can also send hostile requests.
//!
//! The database is SQLite, or PostgreSQL inside [`on_postgres`]: each test then gets a new
//! database of its own on the server at `SOTAY_TEST_PG` (default
//! `postgres://sotay:sotay@127.0.0.1:5432/postgres`, which `.ci/run` sets up), dropped after.

#![allow(dead_code)]

use sotay_sync_server::app::App;
pub use sotay_sync_server::client::*;
use sotay_sync_server::http::serve;
use sotay_sync_server::storage::{Db, DbUrl};
use sotay_sync_server::storage::{Sqlite, Storage};
use std::cell::Cell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const UNITS: &str = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ huyện A,TU,dang-bo\nCB1,Chi bộ thôn 1,DB1,chi-bo\nCB2,Chi bộ thôn 2,DB1,chi-bo\n";
pub const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role\n10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien\n10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,dang-vien\n";

/// Which database the servers this thread starts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

thread_local! {
    static BACKEND: Cell<Backend> = const { Cell::new(Backend::Sqlite) };
}

/// Runs a test with its servers on PostgreSQL.
pub fn on_postgres(test: fn()) {
    BACKEND.with(|b| b.set(Backend::Postgres));
    test();
}

pub fn backend() -> Backend {
    BACKEND.with(|b| b.get())
}

/// The PostgreSQL server tests use: a URL of a user that may create databases.
pub fn pg_admin_url() -> String {
    std::env::var("SOTAY_TEST_PG")
        .unwrap_or_else(|_| "postgres://sotay:sotay@127.0.0.1:5432/postgres".into())
}

fn pg_admin(rt: &tokio::runtime::Runtime) -> tokio_postgres::Client {
    let url = pg_admin_url();
    let (client, conn) = rt
        .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
        .unwrap_or_else(|e| {
            panic!(
                "the PostgreSQL tests need a server at {url} ({e}): run .ci/run, which installs and starts one, or set SOTAY_TEST_PG=postgres://USER:PASSWORD@HOST:PORT/DB for a user that may CREATE DATABASE"
            )
        });
    rt.spawn(conn);
    client
}

/// A new, empty PostgreSQL database; dropped with the value.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

impl Default for PgDb {
    fn default() -> Self {
        Self::new()
    }
}

impl PgDb {
    pub fn new() -> PgDb {
        let rt = current_rt();
        let admin = pg_admin(&rt);
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "sotay_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        rt.block_on(admin.batch_execute(&format!("CREATE DATABASE {name}")))
            .expect("create database");
        let base = pg_admin_url();
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => panic!("SOTAY_TEST_PG has no database part: {base}"),
        };
        PgDb { name, url }
    }

    /// Runs a query returning one number.
    pub fn count(&self, sql: &str) -> i64 {
        let rt = current_rt();
        let (c, conn) = rt
            .block_on(tokio_postgres::connect(&self.url, tokio_postgres::NoTls))
            .expect("connect");
        rt.spawn(conn);
        rt.block_on(c.query_one(sql, &[])).expect(sql).get(0)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let rt = current_rt();
        let admin = pg_admin(&rt);
        let _ = rt.block_on(admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )));
    }
}

fn current_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
}

pub struct Server {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub app: Arc<App<Db>>,
    /// The PostgreSQL database, when the test runs on PostgreSQL (dropped after the server).
    pub pg: Option<Arc<PgDb>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Server {
    /// A query returning one number, on whichever database the server uses.
    pub fn count(&self, sql: &str) -> i64 {
        match &self.pg {
            Some(pg) => pg.count(sql),
            None => rusqlite::Connection::open(self.dir.path().join("db.sqlite"))
                .expect("db")
                .query_row(sql, [], |r| r.get(0))
                .expect(sql),
        }
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the sample site, imports the small roster, starts a server on a free port.
pub fn start() -> Server {
    start_with(UNITS, MEMBERS)
}

/// Imports another roster into a running server's database (a re-import).
pub fn reimport(s: &Server, units: &str, members: &str) {
    std::fs::write(s.dir.path().join("units.csv"), units).expect("w");
    std::fs::write(s.dir.path().join("members.csv"), members).expect("w");
    let (roster, report) = sotay_sync_server::roster::read(
        &s.dir.path().join("units.csv"),
        &s.dir.path().join("members.csv"),
    );
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(
        s.app
            .store()
            .import_roster(roster.expect("roster"), 1_700_000_000),
    )
    .expect("import");
}

/// Creates an admin token for `unit` directly in the database.
pub fn admin(s: &Server, unit: &str) -> String {
    let token = sotay_sync_server::auth::new_token("a_").expect("token");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let code = sotay_sync_server::model::UnitCode::parse(unit).expect("unit");
    rt.block_on(s.app.store().create_admin(
        code,
        sotay_sync_server::auth::hash(&token),
        1_700_000_000,
    ))
    .expect("admin");
    token
}

/// Like `start`, with a roster of our own.
pub fn start_with(units_csv: &str, members_csv: &str) -> Server {
    start_with_limits(units_csv, members_csv, None)
}

/// Like `start_with`, with other rate limits than the server's own (`None`: its own).
pub fn start_with_limits(
    units_csv: &str,
    members_csv: &str,
    limits: Option<sotay_sync_server::limits::Limits>,
) -> Server {
    let pg = (backend() == Backend::Postgres).then(|| Arc::new(PgDb::new()));
    start_on(pg, Some((units_csv, members_csv)), limits, None)
}

/// Like `start_with`, with Web Push on (`push`: the tests' local receiver is allowed).
pub fn start_with_push(
    units_csv: &str,
    members_csv: &str,
    push: sotay_sync_server::push::PushConfig,
) -> Server {
    let pg = (backend() == Backend::Postgres).then(|| Arc::new(PgDb::new()));
    start_on(pg, Some((units_csv, members_csv)), None, Some(push))
}

/// With other rate limits and Web Push on or off.
pub fn start_full(
    units_csv: &str,
    members_csv: &str,
    limits: Option<sotay_sync_server::limits::Limits>,
    push: Option<sotay_sync_server::push::PushConfig>,
) -> Server {
    let pg = (backend() == Backend::Postgres).then(|| Arc::new(PgDb::new()));
    start_on(pg, Some((units_csv, members_csv)), limits, push)
}

/// Another instance on the same PostgreSQL database as `s`, with Web Push on.
pub fn second_instance_with_push(s: &Server, push: sotay_sync_server::push::PushConfig) -> Server {
    start_on(s.pg.clone(), None, None, Some(push))
}

/// Another server on the same PostgreSQL database as `s` (an instance behind the same load
/// balancer): its own site folder, its own process state, nothing else.
pub fn second_instance(s: &Server, limits: Option<sotay_sync_server::limits::Limits>) -> Server {
    start_on(s.pg.clone(), None, limits, None)
}

/// A server on an existing PostgreSQL database, as it is.
pub fn start_on_pg(pg: Arc<PgDb>) -> Server {
    start_on(Some(pg), None, None, None)
}

/// Like `start`, with these rate limits, believing the proxies in `trusted` (CIDR ranges).
pub fn start_trusting(limits: sotay_sync_server::limits::Limits, trusted: &[&str]) -> Server {
    let pg = (backend() == Backend::Postgres).then(|| Arc::new(PgDb::new()));
    let ranges = trusted.iter().map(|r| r.parse().expect("range")).collect();
    start_on_with(pg, Some((UNITS, MEMBERS)), Some(limits), ranges, None)
}

fn start_on(
    pg: Option<Arc<PgDb>>,
    roster: Option<(&str, &str)>,
    limits: Option<sotay_sync_server::limits::Limits>,
    push: Option<sotay_sync_server::push::PushConfig>,
) -> Server {
    start_on_with(pg, roster, limits, Vec::new(), push)
}

fn start_on_with(
    pg: Option<Arc<PgDb>>,
    roster: Option<(&str, &str)>,
    limits: Option<sotay_sync_server::limits::Limits>,
    trusted: Vec<sotay_sync_server::proxy::Cidr>,
    push: Option<sotay_sync_server::push::PushConfig>,
) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let site = dir.path().join("public");
    sotay_generator::build(&repo(), &site).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let store = match &pg {
        Some(p) => rt
            .block_on(DbUrl::Postgres(p.url.clone()).open())
            .expect("postgres"),
        None => Db::Sqlite(Sqlite::open(&dir.path().join("db.sqlite")).expect("db")),
    };
    if let Some((units_csv, members_csv)) = roster {
        std::fs::write(dir.path().join("units.csv"), units_csv).expect("w");
        std::fs::write(dir.path().join("members.csv"), members_csv).expect("w");
        let (roster, report) = sotay_sync_server::roster::read(
            &dir.path().join("units.csv"),
            &dir.path().join("members.csv"),
        );
        assert_eq!(report.errors(), 0, "{:?}", report.problems);
        rt.block_on(store.import_roster(roster.expect("roster"), 1_700_000_000))
            .expect("import");
    }
    let mut app = App::new(
        store,
        &site,
        &sotay_generator::search::index::index_dir(&site),
    )
    .expect("app")
    .with_trusted_proxies(sotay_sync_server::proxy::TrustedProxies::new(trusted))
    .with_push(push);
    if let Some(l) = limits {
        app = app.with_limits(l);
    }
    let app = Arc::new(app);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app2 = app.clone();
    let thread = std::thread::spawn(move || {
        rt.block_on(async move {
            let _ = serve(app2, listener, async move {
                let _ = rx.await;
            })
            .await;
        });
    });
    Server {
        addr,
        dir,
        app,
        pg,
        stop: Some(tx),
        thread: Some(thread),
    }
}

/// Registers member 1 (the secretary of CB1) and returns the token.
pub fn register(addr: SocketAddr, card: &str, name: &str, birth: &str, unit: &str) -> Reply {
    post_json(
        addr,
        "/api/v1/register",
        None,
        &serde_json::json!({"card_number": card, "full_name": name, "birth_date": birth, "unit_code": unit}),
    )
}

pub fn token(addr: SocketAddr, card: &str) -> String {
    let (name, birth, unit) = match card {
        "10000001" => ("Nguyễn Văn An", "1960-01-02", "CB1"),
        "10000002" => ("Trần Thị Bình", "1975-05-06", "CB1"),
        _ => ("Lê Văn Cường", "1980-03-04", "CB2"),
    };
    let r = register(addr, card, name, birth, unit);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_string()
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt")
}

/// A JSON request (`body` null: none) with the bearer `token`, if any.
pub fn call(
    s: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        h.push(("authorization", a.as_str()));
    }
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    request(s.addr, method, path, &h, &bytes)
}

/// The `error.code` of an answer ("" if it has none).
pub fn code(r: &Reply) -> String {
    r.json()["error"]["code"].as_str().unwrap_or("").to_string()
}

/// Registers the phone of `card`, with the name, birth date and cell the roster `members`
/// (CSV, as imported) gives it; its member token.
pub fn registered(s: &Server, members: &str, card: &str) -> String {
    let line = members
        .lines()
        .find(|l| l.split(',').next() == Some(card))
        .unwrap_or_else(|| panic!("no such member in the test: {card}"));
    let f: Vec<&str> = line.split(',').collect();
    let r = register(s.addr, card, f[1], f[2], f[3]);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_string()
}
