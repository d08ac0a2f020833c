//! The server's commands as the `sotay` binary calls them: `serve` (for newcomers and
//! editors: build, sample roster, serve), `server` (production: a built site and a database
//! URL), roster import, and admin tokens. Each returns a message for people on failure.

use crate::app::App;
use crate::http::serve as serve_http;
use crate::roster::{self, Report};
use crate::storage::{Db, ImportSummary, Sqlite, Storage};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::storage::DbUrl;

/// The database a site root uses unless told otherwise.
pub fn default_db(root: &Path) -> PathBuf {
    root.join(".sotay").join("sotay.db")
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Loads the generated sample roster into an empty database; says so on stderr.
pub async fn load_sample_roster<S: Storage>(
    store: &S,
    dir: &Path,
    members: usize,
) -> Result<Option<ImportSummary>, String> {
    if !store.roster_is_empty().await.map_err(|e| e.to_string())? {
        return Ok(None);
    }
    let (units, people) = crate::sample::generate(members);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (u, m) = (dir.join("units.csv"), dir.join("members.csv"));
    std::fs::write(&u, units).map_err(|e| e.to_string())?;
    std::fs::write(&m, people).map_err(|e| e.to_string())?;
    let (roster, report) = roster::read(&u, &m);
    let roster =
        roster.ok_or_else(|| format!("the sample roster has {} errors", report.errors()))?;
    let s = store
        .import_roster(roster, now())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(s))
}

pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub db: Option<PathBuf>,
}

/// `sotay serve`: build the site, open (and if empty, fill) the database, serve on one port.
pub fn serve(opts: ServeOptions) -> Result<(), String> {
    let out = opts.root.join("public");
    let mut builder = sotay_generator::Builder::new(&opts.root);
    let summary = sotay_generator::build_with(&mut builder, &out).map_err(|d| {
        let list: Vec<String> = d.sorted().iter().map(|x| x.to_string()).collect();
        format!(
            "{}\nthe site has errors; fix them and run sotay serve again",
            list.join("\n")
        )
    })?;
    eprintln!("{summary}");
    let db = opts.db.clone().unwrap_or_else(|| default_db(&opts.root));
    let rt = runtime()?;
    rt.block_on(async move {
        let store = Db::Sqlite(Sqlite::open(&db).map_err(|e| e.to_string())?);
        if let Some(s) = load_sample_roster(&store, &opts.root.join(".sotay").join("sample-roster"), 30_000).await? {
            eprintln!(
                "loaded the sample roster ({} units, {} members) into {}; try registering as card 80000001 (see .sotay/sample-roster/members.csv)",
                s.units,
                s.members,
                db.display()
            );
        }
        let index = sotay_generator::search::index::index_dir(&out);
        let app = App::new(store, &out, &index)
            .map_err(|e| format!("{}: {e}", out.display()))?
            .with_live_reload();
        let app = Arc::new(app);
        app.refresh_reports().await.map_err(|e| e.to_string())?;
        crate::watch::run(opts.root.clone(), out.clone(), builder, app.clone())?;
        let addr = SocketAddr::from(([127, 0, 0, 1], opts.port));
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        eprintln!("serving the handbook, search and sync API at http://{addr}/ (database {}); watching for changes; Ctrl-C stops", db.display());
        serve_http(app, listener, shutdown_signal()).await.map_err(|e| e.to_string())
    })
}

/// What `sotay server` runs with (`config::ServerConfig` checks and gives it).
pub struct ServerOptions {
    pub site: PathBuf,
    pub db: DbUrl,
    pub listen: SocketAddr,
    pub index: Option<PathBuf>,
    pub limits: crate::limits::Limits,
    /// Proxies whose word on the client's address is taken.
    pub trusted_proxies: Vec<crate::proxy::Cidr>,
    /// HTTPS of its own: the certificate chain and key (PEM).
    pub tls: Option<crate::tls::TlsFiles>,
    /// With `tls`: plain HTTP on this address, sending browsers to HTTPS.
    pub http_redirect: Option<SocketAddr>,
    /// With `http_redirect`: where certbot's `--webroot` puts its ACME challenges.
    pub acme_webroot: Option<PathBuf>,
    /// `--push-contact`: Web Push for new notices, signed with this contact (VAPID `sub`).
    pub push_contact: Option<String>,
}

/// Checks `--push-contact`: the operator's address a push service may write to.
pub fn push_contact(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = match s.split_once(':') {
        Some(("mailto", rest)) => rest.contains('@') && !rest.contains(char::is_whitespace),
        Some(("https", rest)) => {
            rest.starts_with("//") && rest.len() > 2 && !rest.contains(char::is_whitespace)
        }
        _ => false,
    };
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "--push-contact wants mailto:ADDRESS or https://URL (how a push service reaches the operator), found \"{s}\""
        ))
    }
}

/// `sotay server`: serve a built site and the API in production.
pub fn server(mut opts: ServerOptions) -> Result<(), String> {
    if !opts.site.join("index.html").exists() {
        return Err(format!(
            "{} is not a built site (no index.html); run sotay build first",
            opts.site.display()
        ));
    }
    let rt = runtime()?;
    rt.block_on(async move {
        let store = opts.db.open().await?;
        let app = Arc::new(production_app(store, &mut opts)?);
        let started = std::time::Instant::now();
        app.refresh_reports().await.map_err(|e| e.to_string())?;
        crate::log::log(
            "info",
            "reports loaded",
            &[("ms", &started.elapsed().as_millis())],
        );
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
        // One signal stops every listener.
        let (stop, stopped) = tokio::sync::watch::channel(());
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(());
        });
        let cert = match &opts.tls {
            Some(files) => Some(crate::tls::Certificate::load(files.clone())?),
            None => None,
        };
        // Kept for as long as the server runs: dropping it would end the watch.
        let _watch = cert.as_ref().and_then(watch_certificate);
        if let Some(addr) = opts.http_redirect {
            redirect_to_https(addr, &opts, until_stopped(stopped.clone())).await?;
        }
        log_listening(&app, &opts, cert.is_some());
        match &cert {
            Some(c) => crate::http::serve_tls(app, listener, c, until_stopped(stopped)).await,
            None => serve_http(app, listener, until_stopped(stopped)).await,
        }
        .map_err(|e| e.to_string())?;
        crate::log::log("info", "stopped", &[]);
        Ok(())
    })
}

/// The application of `sotay server`: its limits, trusted proxies, Web Push and connection
/// limit from the options (and `SOTAY_MAX_CONNECTIONS`).
fn production_app<S: Storage>(store: S, opts: &mut ServerOptions) -> Result<App<S>, String> {
    let index = opts
        .index
        .clone()
        .unwrap_or_else(|| sotay_generator::search::index::index_dir(&opts.site));
    let mut app =
        App::new(store, &opts.site, &index).map_err(|e| format!("{}: {e}", opts.site.display()))?;
    // Fewer connections than MAX_CONNECTIONS: a small machine, or a test of the limit.
    if let Some(n) = std::env::var("SOTAY_MAX_CONNECTIONS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        app = app.with_max_connections(n);
    }
    if opts.limits.register_by_addr.is_off() {
        crate::log::log(
            "warn",
            "rate limits are off (--no-rate-limits): for load tests only",
            &[],
        );
    }
    let push = opts
        .push_contact
        .as_deref()
        .map(|contact| crate::push::PushConfig::new(contact, false));
    Ok(app
        .with_limits(std::mem::take(&mut opts.limits))
        .with_push(push)
        .with_trusted_proxies(crate::proxy::TrustedProxies::new(std::mem::take(
            &mut opts.trusted_proxies,
        ))))
}

/// Resolves once the stop signal has been sent.
async fn until_stopped(mut rx: tokio::sync::watch::Receiver<()>) {
    let _ = rx.changed().await;
}

/// Reloads the certificate when its files change (and on SIGHUP); the watch, to be kept.
fn watch_certificate(c: &Arc<crate::tls::Certificate>) -> Option<notify::RecommendedWatcher> {
    reload_on_sighup(c.clone());
    c.watch()
        .map_err(|e| {
            crate::log::log(
                "warn",
                "the certificate will be reloaded on SIGHUP only",
                &[("error", &e)],
            )
        })
        .ok()
}

/// Plain HTTP on `addr`, sending browsers to HTTPS (and answering ACME challenges).
async fn redirect_to_https(
    addr: SocketAddr,
    opts: &ServerOptions,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let l = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let redirect = crate::tls::Redirect {
        https_port: opts.listen.port(),
        acme_webroot: opts.acme_webroot.clone(),
    };
    crate::log::log("info", "redirecting to HTTPS", &[("addr", &addr)]);
    tokio::spawn(crate::tls::serve_redirect(l, redirect, stopped));
    Ok(())
}

fn log_listening<S: Storage>(app: &App<S>, opts: &ServerOptions, https: bool) {
    let proxies: Vec<String> = app
        .trusted_proxies()
        .ranges()
        .iter()
        .map(|r| r.to_string())
        .collect();
    crate::log::log(
        "info",
        "listening",
        &[
            ("addr", &opts.listen),
            ("https", &https),
            ("site", &opts.site.display()),
            ("trusted_proxies", &proxies.join(",")),
        ],
    );
}

/// `systemctl reload` (SIGHUP) reads the certificate again, whatever the file watch saw.
fn reload_on_sighup(cert: Arc<crate::tls::Certificate>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let cert = cert.clone();
                let _ = tokio::task::spawn_blocking(move || cert.reload()).await;
            }
        });
    }
    #[cfg(not(unix))]
    let _ = cert;
}

/// The files of `sotay roster import`: units and members (each CSV or Excel), or one
/// workbook with both.
pub enum RosterFiles {
    Pair { units: PathBuf, members: PathBuf },
    Workbook(PathBuf),
}

/// `sotay roster import`: the report, and what was imported if there was no error.
pub fn import_roster(
    db: &DbUrl,
    files: &RosterFiles,
) -> (Report, Result<Option<ImportSummary>, String>) {
    let (roster, report) = match files {
        RosterFiles::Pair { units, members } => roster::read(units, members),
        RosterFiles::Workbook(book) => roster::read_workbook(book),
    };
    let Some(roster) = roster else {
        return (report, Ok(None));
    };
    let source = match files {
        RosterFiles::Pair { units, members } if units == members => file_name(units),
        RosterFiles::Pair { units, members } => {
            format!("{}, {}", file_name(units), file_name(members))
        }
        RosterFiles::Workbook(book) => file_name(book),
    };
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let store = db.open().await?;
            let change = crate::roster::update::RosterChange {
                kind: crate::roster::update::ChangeKind::Whole(roster),
                who: "sotay roster import (dòng lệnh)".into(),
                source,
            };
            store
                .change_roster(change, now())
                .await
                .map(|a| Some(ImportSummary::from(a)))
                .map_err(|e| e.to_string())
        })
    });
    (report, result)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `sotay roster convert`: a roster (CSV or Excel) checked and written as the workbook staff
/// keep (the template's layout: "Đơn vị" and "Đảng viên"). Returns the report; writes nothing
/// if there is an error.
pub fn roster_convert(files: &RosterFiles, out: &Path) -> (Report, Result<bool, String>) {
    let (roster, report) = match files {
        RosterFiles::Pair { units, members } => roster::read(units, members),
        RosterFiles::Workbook(book) => roster::read_workbook(book),
    };
    let Some(r) = roster else {
        return (report, Ok(false));
    };
    let names: std::collections::HashMap<crate::model::UnitCode, String> = r
        .units
        .iter()
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let name_of = |c: &crate::model::UnitCode| names.get(c).cloned().unwrap_or_default();
    let title = r.units.first().map(|u| u.name.clone()).unwrap_or_default();
    let result = roster::xlsx::workbook(&roster::xlsx::Content {
        title,
        units: &r.units,
        members: &r.members,
        findings: None,
        unit_name: &name_of,
    })
    .and_then(|bytes| std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display())))
    .map(|()| true);
    (report, result)
}

/// `sotay roster template`: the Excel template staff fill in.
pub fn roster_template(out: &Path) -> Result<(), String> {
    let bytes = roster::xlsx::template()?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// `sotay admin create`: a new admin token for `unit`'s subtree, with the name of the person
/// it is for (shown in the roster's change log).
pub fn create_admin(db: &DbUrl, unit: &str, name: Option<&str>) -> Result<String, String> {
    let unit = crate::model::UnitCode::parse(unit)
        .ok_or_else(|| format!("\"{unit}\" is not a unit code"))?;
    let token = crate::auth::new_token("a_")?;
    runtime()?.block_on(async {
        let store = db.open().await?;
        store
            .create_admin_named(
                unit,
                name.map(crate::model::clean_name).filter(|n| !n.is_empty()),
                crate::auth::hash(&token),
                now(),
            )
            .await
            .map_err(|e| e.to_string())
    })?;
    Ok(token)
}

/// `sotay notice post`: a notice to `unit`'s members, checked as the API checks one; returns
/// it as JSON (a `Notice` of `openapi.json`).
pub fn post_notice(
    db: &DbUrl,
    unit: &str,
    title: &str,
    body: &str,
    expires_on: Option<&str>,
) -> Result<String, String> {
    use serde_json::json;
    let unit = crate::model::UnitCode::parse(unit)
        .ok_or_else(|| format!("\"{unit}\" is not a unit code"))?;
    let title =
        crate::handlers::notices::clean_title(Some(&json!(title))).map_err(|e| e.message)?;
    let body = crate::handlers::notices::clean_body(Some(&json!(body))).map_err(|e| e.message)?;
    let expires_on = crate::handlers::notices::clean_expiry(
        expires_on.map(|d| json!(d)).as_ref(),
        crate::model::today_vn(),
    )
    .map_err(|e| e.message)?;
    let id = crate::handlers::notices::new_id().map_err(|e| e.message)?;
    runtime()?.block_on(async {
        let store = db.open().await?;
        let notice = store
            .post_notice(
                crate::storage::notices::NewNotice {
                    id,
                    unit: unit.clone(),
                    title,
                    body,
                    expires_on,
                    posted_by: unit.clone(),
                },
                now(),
            )
            .await
            .map_err(|e| match e {
                crate::storage::StoreError::Invalid(_) => format!(
                    "no unit {unit} in the roster; import the roster first (sotay roster import)"
                ),
                e => e.to_string(),
            })?;
        serde_json::to_string_pretty(&notice).map_err(|e| e.to_string())
    })
}

/// `sotay notice withdraw`: withdraws a notice by id.
pub fn withdraw_notice(db: &DbUrl, id: &str) -> Result<(), String> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        if store
            .withdraw_notice(id.to_string(), now())
            .await
            .map_err(|e| e.to_string())?
        {
            Ok(())
        } else {
            Err(format!("no notice {id}"))
        }
    })
}

/// Output formats of `sotay report usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Csv,
    Xlsx,
    Json,
}

/// `sotay report usage`: the report of `unit` (default: the root) as bytes in `format`.
pub fn report_usage(
    db: &DbUrl,
    unit: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    format: ReportFormat,
) -> Result<Vec<u8>, String> {
    let rt = runtime()?;
    rt.block_on(async {
        let store = db.open().await?;
        let idx = store.load_reports().await.map_err(|e| e.to_string())?.index;
        let unit = match unit {
            Some(u) => u.to_string(),
            None => idx
                .root()
                .ok_or("the roster is empty: import it first (sotay roster import)")?
                .to_string(),
        };
        let mut p = std::collections::HashMap::new();
        if let Some(f) = from {
            p.insert("from".to_string(), f.to_string());
        }
        if let Some(t) = to {
            p.insert("to".to_string(), t.to_string());
        }
        let (from, to) = crate::handlers::reports::period(&p).map_err(|e| e.message)?;
        let r = idx
            .usage(&unit, from, to)
            .ok_or_else(|| format!("no unit {unit} in the roster"))?;
        Ok(match format {
            ReportFormat::Table => crate::reports::to_table(&r).into_bytes(),
            ReportFormat::Csv => crate::reports::to_csv(&r),
            ReportFormat::Json => serde_json::to_vec_pretty(&r).map_err(|e| e.to_string())?,
            ReportFormat::Xlsx => {
                crate::reports::to_xlsx(&r, crate::reports::date_of(crate::reports::today()))?
            }
        })
    })
}

/// `sotay db migrate`: creates the database's schema or brings it up to date.
pub fn db_migrate(db: &DbUrl) -> Result<String, String> {
    runtime()?.block_on(async {
        let _store = db.open().await?;
        Ok(format!(
            "{db}: schema up to date (version {})",
            match db {
                DbUrl::Sqlite(_) => crate::storage::sqlite::SCHEMA_VERSION,
                DbUrl::Postgres(_) => crate::storage::postgres::SCHEMA_VERSION,
            }
        ))
    })
}

/// `sotay db copy`: a province's SQLite database into a new PostgreSQL database.
pub fn db_copy(from: &DbUrl, to: &DbUrl) -> Result<Vec<(&'static str, u64)>, String> {
    let (DbUrl::Sqlite(src), DbUrl::Postgres(_)) = (from, to) else {
        return Err("sotay db copy moves a database from sqlite://PATH to postgres://...".into());
    };
    if !src.exists() {
        return Err(format!("{}: no such database", src.display()));
    }
    runtime()?.block_on(async {
        // Opening the source brings an older file up to the current schema first.
        drop(from.open().await?);
        let crate::storage::Db::Postgres(pg) = to.open().await? else {
            return Err("the target is not PostgreSQL".into());
        };
        pg.copy_from_sqlite(src).await
    })
}
