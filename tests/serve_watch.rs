//! `sotay serve` as editors use it, on the real file system: after every save the server
//! rebuilds and serves exactly what a clean full build of the same files gives; editors' save
//! patterns (write-and-rename, swap files, many files at once, folders created, moved and
//! deleted) each end in one rebuild; errors are reported and the last good site stays served.

mod common;

use sotay_sync_server::client::{get, try_request};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Serve {
    child: Child,
    addr: SocketAddr,
    events: mpsc::Receiver<serde_json::Value>,
    /// The first "reload" of the last rebuild [`Serve::next`] waited for.
    first_reload: std::cell::RefCell<Option<serde_json::Value>>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn doc(title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\nkind: nghi-quyet\ntags: [a]\nissued: 2026-03-01\n---\n## Mục một\n{body}\n\nXem [trung tâm](../hub.md#dieu-1).\n")
}

fn start(root: &Path) -> Serve {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let child = Command::new(env!("CARGO_BIN_EXE_sotay"))
        .args(["serve", "--root"])
        .arg(root)
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
    let (tx, rx) = mpsc::channel();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /__sotay/events HTTP/1.1\r\nhost: x\r\n\r\n")
        .expect("write");
    std::thread::spawn(move || {
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data: ") {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let srv = Serve {
        child,
        addr,
        events: rx,
        first_reload: Default::default(),
    };
    let hello = srv
        .events
        .recv_timeout(Duration::from_secs(10))
        .expect("hello");
    assert_eq!(hello["type"], "hello");
    srv
}

impl Serve {
    /// The end of the next rebuild ("built", once every file is written, or "error"). A
    /// rebuild that changed files must have told open pages to reload before it ended.
    fn next(&self) -> serde_json::Value {
        let mut reloaded = false;
        self.first_reload.replace(None);
        loop {
            let m = self
                .events
                .recv_timeout(Duration::from_secs(20))
                .expect("a rebuild message after the change");
            match m["type"].as_str() {
                Some("reload") => {
                    if !reloaded {
                        self.first_reload.replace(Some(m));
                    }
                    reloaded = true;
                }
                Some("built") => {
                    let changed = m["changed"].as_array().map_or(0, Vec::len);
                    assert!(
                        changed == 0 || reloaded,
                        "files changed but open pages were not told to reload: {m}"
                    );
                    return m;
                }
                _ => return m,
            }
        }
    }
    fn quiet(&self, ms: u64) -> Option<serde_json::Value> {
        self.events.recv_timeout(Duration::from_millis(ms)).ok()
    }
}

/// Every file of a clean build, as the dev server serves it (the live-reload tags removed).
fn compare_with_clean_build(srv: &Serve, root: &Path, work: &Path, step: &str) {
    let clean = work.join("clean");
    let _ = std::fs::remove_dir_all(&clean);
    let _ = std::fs::remove_dir_all(work.join("clean.index"));
    sotay_generator::build(root, &clean)
        .unwrap_or_else(|d| panic!("{step}: clean build: {:?}", d.sorted()));
    let mut stack = vec![clean.clone()];
    let mut checked = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(&clean)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            if rel.starts_with('.') {
                continue;
            }
            let url = format!("/{}", rel.trim_end_matches("index.html"));
            let r = get(srv.addr, &url);
            assert_eq!(r.status, 200, "{step}: {url}");
            let want = std::fs::read(&p).expect("read");
            let got = if rel.ends_with(".html") {
                r.text().replace("<link rel=\"stylesheet\" href=\"/__sotay/live.css\"><script src=\"/__sotay/live.js\"></script>", "").into_bytes()
            } else {
                r.body
            };
            assert!(got == want, "{step}: {url} differs from a clean build");
            checked += 1;
        }
    }
    assert!(checked > 20, "{step}: compared {checked} files");
    // And nothing the clean build does not have: the served site's own list of files.
    let served = std::fs::read_to_string(root.join("public/.sotay-build")).expect("manifest");
    let clean_list = std::fs::read_to_string(clean.join(".sotay-build")).expect("manifest");
    assert_eq!(
        served, clean_list,
        "{step}: the served site has the same files"
    );
}

#[test]
fn serve_rebuilds_exactly_and_handles_save_patterns() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let work = tempfile::tempdir().expect("tmp");
    write(
        r,
        "content/hub.md",
        "---\ntitle: Trung tâm\nid: hub\n---\n### Điều 1. Chung\nNội dung.\n",
    );
    for i in 0..12 {
        write(
            r,
            &format!("content/s{}/d{i:02}.md", i % 3),
            &doc(&format!("Văn bản {i}"), "Thân bài."),
        );
    }
    let srv = start(r);

    // A sequence of edits, creations, deletions and renames.
    let mut docs: Vec<String> = (0..12)
        .map(|i| format!("content/s{}/d{i:02}.md", i % 3))
        .collect();
    for step in 0..14 {
        let mut gone = None;
        let mut retitled = None;
        let label = match step % 5 {
            0 => {
                let p = r.join(&docs[step % docs.len()]);
                let t =
                    std::fs::read_to_string(&p).expect("read") + &format!("\nĐoạn thêm {step}.\n");
                std::fs::write(p, t).expect("write");
                "edit"
            }
            1 => {
                let rel = format!("content/s{}/moi-{step}.md", step % 3);
                write(r, &rel, &doc(&format!("Mới {step}"), "Mới."));
                docs.push(rel);
                "create"
            }
            2 => {
                let from = docs.remove(step % docs.len());
                let to = format!("content/s{}/doi-ten-{step}.md", (step + 1) % 3);
                std::fs::rename(r.join(&from), r.join(&to)).expect("rename");
                docs.push(to);
                "rename"
            }
            3 => {
                let rel = docs.remove(step % docs.len());
                std::fs::remove_file(r.join(&rel)).expect("rm");
                gone = Some(format!(
                    "{}/index.html",
                    rel.trim_start_matches("content/").trim_end_matches(".md")
                ));
                "delete"
            }
            _ => {
                retitled = Some(format!(
                    "{}/index.html",
                    docs[0]
                        .trim_start_matches("content/")
                        .trim_end_matches(".md")
                ));
                let p = r.join(&docs[0]);
                let t = std::fs::read_to_string(&p).expect("read").replacen(
                    "title: ",
                    &format!("title: (sửa {step}) "),
                    1,
                );
                std::fs::write(p, t).expect("write");
                "retitle"
            }
        };
        let m = srv.next();
        assert_eq!(m["type"], "built", "step {step} ({label}): {m}");
        if let Some(page) = retitled {
            // The retitled document's own page is written, and open copies told to reload,
            // before the pages that list it.
            let first = srv.first_reload.borrow().clone().expect("a reload");
            let early = first["changed"].as_array().cloned().unwrap_or_default();
            assert!(
                early.iter().any(|x| x == page.as_str())
                    && !early.iter().any(|x| x == "index.html" || x == "s0/index.html"),
                "step {step}: the first reload {first} should name {page}, and not yet the pages that list it"
            );
        }
        if let Some(page) = gone {
            // Open copies of the deleted page reload on this (to show the 404).
            assert!(
                m["removed"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x == page.as_str())),
                "step {step}: {page} not in {m}"
            );
        }
        compare_with_clean_build(&srv, r, work.path(), &format!("step {step} ({label})"));
    }

    // An editor that writes a temporary file and renames it over the document.
    let target = r.join(&docs[0]);
    let tmp = target.with_file_name(".d-tmp.md~");
    let t = std::fs::read_to_string(&target).expect("read") + "\nLưu kiểu tạm rồi đổi tên.\n";
    std::fs::write(&tmp, t).expect("write");
    std::fs::rename(&tmp, &target).expect("rename");
    assert_eq!(srv.next()["type"], "built");
    let extra = srv.quiet(600);
    assert!(extra.is_none(), "one save, one rebuild: {extra:?}");
    compare_with_clean_build(&srv, r, work.path(), "rename-on-save");

    // Swap files come and go without a rebuild of any page.
    std::fs::write(target.with_file_name(".d00.md.swp"), "vim").expect("write");
    std::fs::remove_file(target.with_file_name(".d00.md.swp")).expect("rm");
    while let Some(m) = srv.quiet(800) {
        assert_eq!(
            m["changed"].as_array().map(Vec::len),
            Some(0),
            "a swap file changed the site: {m}"
        );
    }

    // A `git checkout` writing many files at once: one rebuild.
    for i in 0..25 {
        write(
            r,
            &format!("content/lo/{i:02}.md"),
            &doc(&format!("Hàng loạt {i}"), "Nội dung."),
        );
    }
    let m = srv.next();
    assert_eq!(m["type"], "built");
    assert!(srv.quiet(800).is_none(), "many files, one rebuild");
    compare_with_clean_build(&srv, r, work.path(), "many files");

    // Folders created, moved and deleted.
    std::fs::rename(r.join("content/lo"), r.join("content/lo-moi")).expect("move folder");
    assert_eq!(srv.next()["type"], "built");
    compare_with_clean_build(&srv, r, work.path(), "folder moved");
    std::fs::remove_dir_all(r.join("content/lo-moi")).expect("rm folder");
    assert_eq!(srv.next()["type"], "built");
    compare_with_clean_build(&srv, r, work.path(), "folder deleted");

    // An error is reported and the last good site stays; fixing it rebuilds.
    let before = get(srv.addr, "/hub/").text();
    let hub = r.join("content/hub.md");
    std::fs::write(
        &hub,
        "---\ntitel: Trung tâm\nid: hub\n---\n### Điều 1. Chung\n",
    )
    .expect("write");
    let m = srv.next();
    assert_eq!(m["type"], "error", "{m}");
    assert!(
        m["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x.as_str().is_some_and(|s| s
                .starts_with("content/hub.md:2:1: error: unknown front matter field \"titel\"")))),
        "{m}"
    );
    assert_eq!(
        get(srv.addr, "/hub/").text(),
        before,
        "the last good page is still served"
    );
    std::fs::write(
        &hub,
        "---\ntitle: Trung tâm mới\nid: hub\n---\n### Điều 1. Chung\nNội dung.\n",
    )
    .expect("write");
    assert_eq!(srv.next()["type"], "built");
    assert!(get(srv.addr, "/hub/").text().contains("Trung tâm mới"));
    compare_with_clean_build(&srv, r, work.path(), "fixed");

    // The search API follows the edits (its index is updated just after the pages).
    std::fs::write(
        &hub,
        "---\ntitle: Trung tâm mới\nid: hub\n---\n### Điều 1. Chung\nNội dung về xóa đói giảm nghèo.\n",
    )
    .expect("write");
    assert_eq!(srv.next()["type"], "built");
    let found = |q: &str| -> Vec<String> {
        let r = get(srv.addr, &format!("/api/v1/search?q={q}&correct=0"));
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        v["hits"]
            .as_array()
            .map(|h| {
                h.iter()
                    .filter_map(|x| x["url"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while found("xoa%20doi%20giam%20ngheo").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the search API never found the new words"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The hit links to the passage that holds the words: the article under its heading.
    assert_eq!(found("xoa%20doi%20giam%20ngheo")[0], "/hub/#dieu-1");
    // And forgets what was removed.
    let last = r.join(&docs[0]);
    let t = std::fs::read_to_string(&last).expect("read") + "\nCon kỳ lân trong truyện.\n";
    std::fs::write(&last, t).expect("write");
    assert_eq!(srv.next()["type"], "built");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while found("ky%20lan").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never reached search"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::fs::remove_file(&last).expect("rm");
    assert_eq!(srv.next()["type"], "built");
    while !found("ky%20lan").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "a deleted document stayed in search"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
