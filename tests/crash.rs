//! Crash safety: under a steady load of event batches, the server is killed with SIGKILL and
//! restarted, again and again. Every event it acknowledged must be in the database exactly once,
//! batches that got no answer are sent again (and are not counted twice), and the database
//! passes SQLite's integrity check.
//!
//! The same runs over HTTPS of the server's own (`--tls-cert`), with fewer kills.
//!
//! `SOTAY_CRASH_CYCLES=200 cargo test --test crash` runs more cycles than the default's few
//! (RELIABILITY.md has the figures of a long run).

mod common;
mod pki;

use serde_json::json;
use sotay_sync_server::client::{post_json, try_post_json, Target};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// SIGKILLs by default; `SOTAY_CRASH_CYCLES` asks for another number.
const CYCLES: usize = 6;
const THREADS: usize = 4;
const BATCH: usize = 50;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts the server on `to`'s address, with HTTPS when `to` is (the certificate and key
/// are `dir/tls/fullchain.pem` and `privkey.pem`).
fn start(dir: &std::path::Path, to: &Target, https: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sotay"));
    cmd.args(["server", "--no-rate-limits", "--site"])
        .arg(dir.join("public"))
        .arg("--db")
        .arg(format!("sqlite://{}", dir.join("db.sqlite").display()))
        .args(["--listen", &to.addr.to_string()])
        .env("SOTAY_LOG", "quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if https {
        cmd.arg("--tls-cert")
            .arg(dir.join("tls/fullchain.pem"))
            .arg("--tls-key")
            .arg(dir.join("tls/privkey.pem"));
    }
    let mut child = cmd.spawn().expect("start server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if sotay_sync_server::client::try_request(to, "GET", "/healthz", &[], b"")
            .is_ok_and(|r| r.status == 200)
        {
            return child;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start");
}

fn batch(thread: usize, seq: usize, now: &str) -> (Vec<String>, serde_json::Value) {
    let ids: Vec<String> = (0..BATCH)
        .map(|i| format!("{thread:08x}-0000-4000-8000-{:012x}", seq * BATCH + i))
        .collect();
    let events: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"id": id, "type": if i % 5 == 0 { "read" } else { "view" }, "doc": "dieu-le", "at": now, "ms": 1000 + i}))
        .collect();
    (ids, json!({ "events": events }))
}

#[test]
fn acknowledged_events_survive_sigkill_exactly_once() {
    crash_and_restart(false, CYCLES);
}

#[test]
fn acknowledged_events_survive_sigkill_exactly_once_over_tls() {
    crash_and_restart(true, CYCLES / 2);
}

fn crash_and_restart(https: bool, default_cycles: usize) {
    let dir = tempfile::tempdir().expect("tmp");
    sotay_generator::build(&common::repo(), &dir.path().join("public"))
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let mut members = String::from("card_number,full_name,birth_date,unit_code,status,role\n");
    for t in 0..THREADS {
        members.push_str(&format!(
            "2000000{t},Đảng Viên Số {t},1970-01-0{},CB1,chinh-thuc,dang-vien\n",
            t + 1
        ));
    }
    std::fs::write(
        dir.path().join("units.csv"),
        "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ 1,TU,chi-bo-co-so\n",
    )
    .expect("w");
    std::fs::write(dir.path().join("members.csv"), members).expect("w");
    let out = Command::new(env!("CARGO_BIN_EXE_sotay"))
        .args(["roster", "import", "--units"])
        .arg(dir.path().join("units.csv"))
        .arg("--members")
        .arg(dir.path().join("members.csv"))
        .arg("--db")
        .arg(format!(
            "sqlite://{}",
            dir.path().join("db.sqlite").display()
        ))
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let target = if https {
        let ca = pki::Ca::new();
        ca.issue().install(&ca, &dir.path().join("tls"));
        Target::https(addr, "localhost", ca.pem().as_bytes()).expect("target")
    } else {
        Target::from(addr)
    };
    let mut server = start(dir.path(), &target, https);
    let tokens: Vec<String> = (0..THREADS)
        .map(|t| {
            let r = post_json(&target, "/api/v1/register", None, &json!({"card_number": format!("2000000{t}"), "full_name": format!("Đảng Viên Số {t}"), "birth_date": format!("1970-01-0{}", t + 1), "unit_code": "CB1"}));
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["token"].as_str().expect("token").to_string()
        })
        .collect();

    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt");
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let unanswered: Arc<Mutex<HashMap<(usize, usize), String>>> = Arc::default();
    let running = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (acked, unanswered, running, token, now, target) = (
                acked.clone(),
                unanswered.clone(),
                running.clone(),
                tokens[t].clone(),
                now.clone(),
                target.clone(),
            );
            std::thread::spawn(move || {
                let mut seq = 0;
                while running.load(Ordering::SeqCst) {
                    let (ids, body) = batch(t, seq, &now);
                    match try_post_json(&target, "/api/v1/events", Some(&token), &body) {
                        Ok(r) if r.status == 200 => {
                            let res = r.json()["results"].clone();
                            for (i, id) in ids.iter().enumerate() {
                                let st = res[i]["status"].as_str().unwrap_or("");
                                assert!(
                                    st == "stored" || st == "duplicate",
                                    "unexpected status {st}"
                                );
                                acked.lock().expect("lock").insert(id.clone());
                            }
                        }
                        _ => {
                            unanswered
                                .lock()
                                .expect("lock")
                                .insert((t, seq), token.clone());
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    seq += 1;
                }
            })
        })
        .collect();

    let cycles = std::env::var("SOTAY_CRASH_CYCLES")
        .ok()
        .map(|v| {
            v.trim()
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("SOTAY_CRASH_CYCLES is a number of cycles, not {v:?}"))
        })
        .unwrap_or(default_cycles);
    let started = Instant::now();
    for cycle in 0..cycles {
        std::thread::sleep(Duration::from_millis(300 + 97 * (cycle as u64 % 5)));
        server.kill().expect("SIGKILL");
        server.wait().expect("wait");
        server = start(dir.path(), &target, https);
    }
    std::thread::sleep(Duration::from_millis(300));
    running.store(false, Ordering::SeqCst);
    for w in workers {
        w.join().expect("worker");
    }
    // Batches that got no answer are sent again; whatever was stored before is not doubled.
    let pending: Vec<((usize, usize), String)> = unanswered.lock().expect("lock").drain().collect();
    for ((t, seq), token) in &pending {
        let (ids, body) = batch(*t, *seq, &now);
        let r = post_json(&target, "/api/v1/events", Some(token), &body);
        assert_eq!(r.status, 200, "{}", r.text());
        acked.lock().expect("lock").extend(ids);
    }
    server.kill().expect("kill");
    server.wait().expect("wait");

    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 1000,
        "the load was too light to mean anything: {}",
        acked.len()
    );
    let db = rusqlite::Connection::open(dir.path().join("db.sqlite")).expect("db");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(integrity, "ok");
    let stored: HashSet<String> = db
        .prepare("SELECT id FROM events")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    let missing: Vec<&String> = acked.difference(&stored).take(5).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert_eq!(
        stored.len(),
        acked.len(),
        "every stored event was acknowledged once all batches were resent"
    );
    let views: i64 = db
        .query_row("SELECT count(*) FROM events WHERE type = 'view'", [], |r| {
            r.get(0)
        })
        .expect("q");
    let counted: i64 = db
        .query_row("SELECT sum(views) FROM member_days", [], |r| r.get(0))
        .expect("q");
    assert_eq!(
        views, counted,
        "aggregates agree with the events after crashes"
    );
    eprintln!(
        "crash test{}: {cycles} SIGKILLs in {:.1} s, {} events acknowledged and checked, {} batches resent",
        if https { " over TLS" } else { "" },
        started.elapsed().as_secs_f64(),
        acked.len(),
        pending.len()
    );
}
