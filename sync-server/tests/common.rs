//! A real server on loopback for the HTTP tests: the sample site built into a temporary
//! folder, a small roster, and a minimal HTTP/1.1 client that can also send hostile requests.

#![allow(dead_code)]

pub use sotay_sync_server::client::*;
use sotay_sync_server::http::{serve, App};
use sotay_sync_server::store::{Sqlite, Storage};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const UNITS: &str = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ huyện A,TU,dang-bo\nCB1,Chi bộ thôn 1,DB1,chi-bo\nCB2,Chi bộ thôn 2,DB1,chi-bo\n";
pub const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role\n10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien\n10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,dang-vien\n";

pub struct Server {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub app: Arc<App<Sqlite>>,
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
            .store
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
    rt.block_on(s.app.store.create_admin(
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
    let dir = tempfile::tempdir().expect("tmp");
    let site = dir.path().join("public");
    sotay_generator::build(&repo(), &site).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    std::fs::write(dir.path().join("units.csv"), units_csv).expect("w");
    std::fs::write(dir.path().join("members.csv"), members_csv).expect("w");
    let (roster, report) = sotay_sync_server::roster::read(
        &dir.path().join("units.csv"),
        &dir.path().join("members.csv"),
    );
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    let store = Sqlite::open(&dir.path().join("db.sqlite")).expect("db");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(store.import_roster(roster.expect("roster"), 1_700_000_000))
        .expect("import");
    let mut app = App::new(
        store,
        &site,
        &sotay_generator::search::index::index_dir(&site),
    )
    .expect("app");
    if let Some(l) = limits {
        app.limits = l;
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
