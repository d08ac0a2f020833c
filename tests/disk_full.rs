//! A full disk: the server's database lives on a small tmpfs that fills up under a load of
//! event batches. While it is full the server answers 503 in JSON with retry-after (no panic,
//! no crash), acknowledges nothing it did not store and stores nothing it did not
//! acknowledge; once space returns it serves again without a restart, and the batches the
//! phones send again are stored exactly once.
//!
//! Mounting needs root (as in CI); otherwise the test runs itself again inside
//! `unshare --user --map-root-user --mount`. If neither works it fails, saying why.

mod loopback;

use loopback::*;
use serde_json::json;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INNER: &str = "SOTAY_DISK_FULL_INNER";
const TMPFS_SIZE: &str = "16m";
const THREADS: usize = 3;
const BATCH: usize = 20;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A tmpfs mounted on a folder; unmounted when dropped, whatever happened.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Result<Mount, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

#[test]
fn a_full_disk_gives_errors_loses_nothing_and_recovers() {
    if std::env::var_os(INNER).is_some() || is_root() {
        // Space left before the load: a few batches' worth; then enough for the log (WAL) to
        // pass SQLite's automatic checkpoint (1000 pages), which then fails to grow the
        // database file while the log goes on filling the rest.
        full_disk(384 * 1024);
        full_disk(6 * 1024 * 1024);
        return;
    }
    // Not root: the same test again, as root of a user and mount namespace of its own.
    let exe = std::env::current_exe().expect("test binary");
    let status = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount"])
        .arg(exe)
        .args([
            "--exact",
            "a_full_disk_gives_errors_loses_nothing_and_recovers",
            "--nocapture",
        ])
        .env(INNER, "1")
        .status();
    match status {
        Ok(s) => assert!(
            s.success(),
            "the disk-full test failed inside `unshare --user --map-root-user --mount` ({s}); \
             if the output above says mount was refused, run the test as root"
        ),
        Err(e) => panic!(
            "the disk-full test needs root (to mount a small tmpfs) or `unshare` for a user \
             namespace; neither is available: {e}"
        ),
    }
}

/// What happened to one batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Acked,
    Refused,
}

fn ids(thread: usize, seq: usize) -> Vec<String> {
    (0..BATCH)
        .map(|i| format!("{thread:08x}-0000-7000-8000-{:012x}", seq * BATCH + i))
        .collect()
}

fn body(ids: &[String], now: &str) -> serde_json::Value {
    let events: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"id": id, "type": if i % 4 == 0 { "read" } else { "view" }, "doc": "dieu-le", "at": now, "ms": 1000 + i, "version": "v1"}))
        .collect();
    json!({ "events": events })
}

/// Sends one batch; an answer other than 200 (all stored or duplicate) or 503 JSON fails.
fn send(
    addr: std::net::SocketAddr,
    token: &str,
    ids: &[String],
    now: &str,
) -> (Outcome, Vec<String>) {
    let r = try_post_json(addr, "/api/v1/events", Some(token), &body(ids, now))
        .unwrap_or_else(|e| panic!("no answer from the server (crashed?): {e}"));
    match r.status {
        200 => {
            let res = r.json()["results"].clone();
            let statuses: Vec<String> = (0..ids.len())
                .map(|i| res[i]["status"].as_str().unwrap_or("").to_string())
                .collect();
            for s in &statuses {
                assert!(s == "stored" || s == "duplicate", "{}", r.text());
            }
            (Outcome::Acked, statuses)
        }
        503 => {
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.json()["error"]["code"], "unavailable", "{}", r.text());
            let retry: u64 = r
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("retry-after");
            assert!(retry >= 1);
            (Outcome::Refused, Vec::new())
        }
        s => panic!("status {s} while the disk is full: {}", r.text()),
    }
}

fn stored_ids(db: &Path) -> (HashSet<String>, i64, i64) {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open db");
    let ids: HashSet<String> = c
        .prepare("SELECT id FROM events")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    let views: i64 = c
        .query_row("SELECT count(*) FROM events WHERE type = 'view'", [], |r| {
            r.get(0)
        })
        .expect("q");
    let counted: i64 = c
        .query_row("SELECT coalesce(sum(views), 0) FROM member_days", [], |r| {
            r.get(0)
        })
        .expect("q");
    (ids, views, counted)
}

fn full_disk(left_free: u64) {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tmp");
    let site = build_site(dir.path());
    let mnt = dir.path().join("small");
    let _mount = Mount::tmpfs(&mnt, TMPFS_SIZE).unwrap_or_else(|e| {
        panic!(
            "cannot mount a {TMPFS_SIZE} tmpfs on {} for the disk-full test: {e}; run it as root \
             (CI does) or where `unshare --user --map-root-user --mount` is allowed",
            mnt.display()
        )
    });
    let db = mnt.join("db.sqlite");
    import_roster(dir.path(), &db_url(&db));
    let log = dir.path().join("server.log");
    let mut server = start_logged(&site, &db_url(&db), &["--no-rate-limits"], &[], Some(&log));
    let addr = server.addr;
    let tokens: Vec<String> = (0..THREADS).map(|t| register(addr, t)).collect();
    let now = now_rfc3339();

    // Fill the file system, then leave a little room.
    let filler = mnt.join("filler");
    {
        let mut f = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0x5au8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let len = f.metadata().expect("len").len();
        f.set_len(len.saturating_sub(left_free)).expect("shrink");
    }

    // Load until writes fail again and again.
    let outcomes: Arc<Mutex<Vec<(usize, usize, Outcome)>>> = Arc::default();
    let refusals = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (outcomes, refusals, stop, token, now) = (
                outcomes.clone(),
                refusals.clone(),
                stop.clone(),
                tokens[t].clone(),
                now.clone(),
            );
            std::thread::spawn(move || {
                let mut seq = 0;
                while !stop.load(Ordering::SeqCst) && seq < 5000 {
                    let (o, _) = send(addr, &token, &ids(t, seq), &now);
                    outcomes.lock().expect("lock").push((t, seq, o));
                    if o == Outcome::Refused && refusals.fetch_add(1, Ordering::SeqCst) >= 60 {
                        stop.store(true, Ordering::SeqCst);
                    }
                    seq += 1;
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let outcomes = outcomes.lock().expect("lock").clone();
    let acked: HashSet<String> = outcomes
        .iter()
        .filter(|o| o.2 == Outcome::Acked)
        .flat_map(|&(t, s, _)| ids(t, s))
        .collect();
    let refused: Vec<(usize, usize)> = outcomes
        .iter()
        .filter(|o| o.2 == Outcome::Refused)
        .map(|&(t, s, _)| (t, s))
        .collect();
    assert!(
        refused.len() > 60,
        "the disk never filled: {} batches acknowledged",
        acked.len() / BATCH
    );
    assert!(server.alive(), "the server died when the disk filled");
    let health = get(addr, "/healthz");
    eprintln!("healthz while full: {} {}", health.status, health.text());
    assert!(
        health.status == 200 || health.status == 503,
        "{}",
        health.text()
    );

    // A registration while full: refused in JSON, or stored for real.
    let (card, name, birth, unit) = PEOPLE[2];
    let reg = post_json(
        addr,
        "/api/v1/register",
        None,
        &json!({"card_number": card, "full_name": name, "birth_date": birth, "unit_code": unit, "device_id": "00000000-0000-4000-8000-00000000d15c"}),
    );
    assert!(reg.status == 503 || reg.status == 201, "{}", reg.text());
    if reg.status == 503 {
        assert_eq!(reg.json()["error"]["code"], "unavailable");
    }

    // What is on disk is exactly what was acknowledged.
    let (on_disk, views, counted) = stored_ids(&db);
    let lost: Vec<_> = acked.difference(&on_disk).take(5).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let extra: Vec<_> = on_disk.difference(&acked).take(5).collect();
    assert!(extra.is_empty(), "stored but not acknowledged: {extra:?}");
    assert_eq!(
        views, counted,
        "aggregates agree with the events while full"
    );
    let full_acked = acked.len();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() / 1024).unwrap_or(0);
    eprintln!(
        "full: database {} KB, log (WAL) {} KB",
        size(&db),
        size(&mnt.join("db.sqlite-wal"))
    );

    // Space comes back: no restart; the phones send their refused batches again.
    std::fs::remove_file(&filler).expect("free space");
    let mut acked = acked;
    let mut retries_after_free = 0;
    for &(t, s) in &refused {
        let batch = ids(t, s);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (o, statuses) = send(addr, &tokens[t], &batch, &now);
            if o == Outcome::Acked {
                // Nothing of a refused batch had been stored.
                assert!(statuses.iter().all(|s| s == "stored"), "{statuses:?}");
                acked.extend(batch);
                break;
            }
            retries_after_free += 1;
            assert!(
                Instant::now() < deadline,
                "the server did not recover when space returned"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // Acknowledged batches sent again are duplicates; new ones are stored.
    for &(t, s, _) in outcomes.iter().filter(|o| o.2 == Outcome::Acked).take(10) {
        let (o, statuses) = send(addr, &tokens[t], &ids(t, s), &now);
        assert_eq!(o, Outcome::Acked);
        assert!(statuses.iter().all(|s| s == "duplicate"), "{statuses:?}");
    }
    for seq in 0..20 {
        let batch = ids(7, 100_000 + seq);
        let (o, _) = send(addr, &tokens[0], &batch, &now);
        assert_eq!(o, Outcome::Acked);
        acked.extend(batch);
    }
    if reg.status == 503 {
        let r = post_json(
            addr,
            "/api/v1/register",
            None,
            &json!({"card_number": card, "full_name": name, "birth_date": birth, "unit_code": unit, "device_id": "00000000-0000-4000-8000-00000000d15c"}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    assert!(server.alive());
    drop(server);

    let (on_disk, views, counted) = stored_ids(&db);
    assert_eq!(on_disk, acked, "stored exactly what was acknowledged");
    assert_eq!(views, counted, "aggregates agree with the events");
    let c = rusqlite::Connection::open(&db).expect("db");
    let integrity: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(integrity, "ok");
    drop(c);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    let unavailable = log.matches("storage unavailable").count();
    eprintln!(
        "disk-full test: {TMPFS_SIZE} tmpfs with {} KB left, {} batches acknowledged before and \
         {} refused while full ({} events stored), {retries_after_free} retries once space \
         returned, {} events checked in the end, {unavailable} storage errors logged, {:.1} s",
        left_free / 1024,
        full_acked / BATCH,
        refused.len(),
        full_acked,
        on_disk.len(),
        started.elapsed().as_secs_f64()
    );
}
