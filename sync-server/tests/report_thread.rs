//! A long report (at a national scale, hundreds of milliseconds inside the aggregate) does not
//! hold the threads that serve members: with a report running, more admins than the server has
//! threads ask for reports, and a page, the health check and a registration are still taken
//! in; the registration reaches the reports once the report is done. A test binary of its own:
//! it occupies the process's one report thread.

mod common;

use common::*;
use std::sync::mpsc;
use std::time::Duration;

const USAGE: &str = "/api/v1/reports/usage";

/// `f` on a thread of its own; its answer, or a failure naming `what` if it has none within
/// `limit` (a deadlock guard, far above any normal answer: not a timing assertion).
fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what}: no answer while a report was running"))
}

#[test]
fn a_long_report_does_not_hold_the_threads_that_serve_members() {
    let s = start();
    let addr = s.addr;
    let token = admin(&s, "TU");
    let auth = format!("Bearer {token}");
    let before = request(addr, "GET", USAGE, &[("authorization", &auth)], b"");
    assert_eq!(before.status, 200, "{}", before.text());
    assert_eq!(before.json()["total"]["registered"], 0);

    // A report that stays inside the aggregate until the test lets it go.
    let (release, held) = mpsc::channel::<()>();
    let (started, has_started) = mpsc::channel::<()>();
    let app = s.app.clone();
    let long = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(app.reports().compute(move |_| {
            let _ = started.send(());
            let _ = held.recv();
        }))
    });
    has_started
        .recv_timeout(Duration::from_secs(60))
        .expect("the long report started");

    // Six admins (the server has two threads) ask for reports: they wait for the report thread.
    let waiting: Vec<_> = (0..6)
        .map(|_| {
            let auth = auth.clone();
            std::thread::spawn(move || {
                request(addr, "GET", USAGE, &[("authorization", &auth)], b"")
            })
        })
        .collect();
    // Long enough for them to be inside the server (if they came later, the test would only
    // show less: it cannot fail because of it).
    std::thread::sleep(Duration::from_millis(500));

    // Meanwhile a member opens a page, the load balancer checks health, a phone registers.
    let limit = Duration::from_secs(30);
    let page = within("a page", limit, move || get(addr, "/"));
    assert_eq!(page.status, 200);
    let health = within("the health check", limit, move || get(addr, "/healthz"));
    assert_eq!(health.status, 200);
    let registering = std::thread::spawn(move || {
        register(addr, "10000001", "Nguyễn Văn An", "1960-01-02", "CB1")
    });
    assert!(
        waiting.iter().all(|w| !w.is_finished()),
        "the admins' reports did not wait for the running one"
    );

    // The report ends: every admin is answered, and the registration is in the next report.
    release.send(()).expect("release");
    assert!(long.join().expect("long report").is_ok());
    for w in waiting {
        let r = w.join().expect("admin");
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let reg = registering.join().expect("registration");
    assert_eq!(reg.status, 201, "{}", reg.text());
    let after = request(addr, "GET", USAGE, &[("authorization", &auth)], b"");
    assert_eq!(after.status, 200, "{}", after.text());
    assert_eq!(after.json()["total"]["registered"], 1);
}
