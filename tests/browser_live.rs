//! Live reload in real headless Chromium: an editor saves, the open page reloads with the
//! change and keeps its scroll position (another open page that does not show it is left
//! alone); an error shows an overlay with file:line:col; fixing
//! it makes the overlay go.

mod common;

use sotay_sync_server::client::try_request;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn edit_error_fix_in_the_browser() {
    let root = common::sample_copy(&[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sotay"))
        .args(["serve", "--root"])
        .arg(root.path())
        .args(["--port", &port.to_string()])
        .env("SOTAY_LOG", "quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !try_request(addr, "GET", "/healthz", &[], b"").is_ok_and(|r| r.status == 200) {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let file = root.path().join("content/dieu-le/dieu-le-mau/index.md");
    let v = common::node(
        "live.mjs",
        &[
            &format!("http://{addr}"),
            file.to_str().expect("utf-8"),
            "/dieu-le/dieu-le-mau/",
            "/huong-dan-cai-dat/",
        ],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(v["before"].as_f64().unwrap_or(0.0) > 300.0, "{v}");
    assert!(
        (v["after"].as_f64().unwrap_or(0.0) - v["before"].as_f64().unwrap_or(0.0)).abs() < 5.0,
        "scroll position kept: {v}"
    );
    assert!(
        v["overlay"].as_str().is_some_and(|o| o.contains(
            "content/dieu-le/dieu-le-mau/index.md:3:1: error: unknown front matter field \"titel\""
        )),
        "{v}"
    );
    assert_eq!(
        v["stillThere"], true,
        "the last good page stays while there are errors: {v}"
    );
    assert_eq!(
        v["otherKept"], true,
        "a page that does not show the edited document is not reloaded: {v}"
    );
    assert_eq!(v["overlayGone"], true, "{v}");
    assert_eq!(v["reverted"], true, "{v}");
}
