//! The proxies of DEPLOYMENT.md, section 2, as its tests run them: the nginx and Caddy
//! configurations are read out of the document (a fenced block after `<!-- tested: NAME -->`)
//! and only their addresses, ports and certificate paths replaced, each replacement checked to
//! have happened, so that the document and the tests cannot drift apart. Debian's nginx and
//! caddy must be installed (.ci/run does); a missing one fails the test and says so.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The fenced block after `<!-- tested: NAME -->` in DEPLOYMENT.md.
pub fn snippet(name: &str) -> String {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("DEPLOYMENT.md"))
        .expect("DEPLOYMENT.md");
    let marker = format!("<!-- tested: {name} -->");
    let after = doc
        .split_once(&marker)
        .unwrap_or_else(|| panic!("DEPLOYMENT.md has no {marker}"))
        .1;
    let fence = after.trim_start();
    assert!(
        fence.starts_with("```"),
        "{marker} is not followed by a fenced block"
    );
    let body = fence.split_once('\n').expect("fence line").1;
    body.split_once("\n```")
        .unwrap_or_else(|| panic!("{marker}: the block does not end"))
        .0
        .to_string()
        + "\n"
}

/// `text` with each `(from, to)` replaced; panics if a `from` is not there (the document
/// changed: the test must follow it, not run something else).
pub fn replace(text: &str, pairs: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (from, to) in pairs {
        assert!(
            out.contains(from),
            "DEPLOYMENT.md's snippet no longer contains {from:?}:\n{text}"
        );
        out = out.replace(from, to);
    }
    out
}

/// A proxy process, stopped when dropped.
pub struct Proxy {
    pub child: Child,
    pub dir: PathBuf,
    pub name: &'static str,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// What the proxy wrote to its error log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

fn wait_for(proxy: &mut Proxy, addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        if let Ok(Some(st)) = proxy.child.try_wait() {
            panic!("{} exited ({st}): {}", proxy.name, proxy.log());
        }
        assert!(
            Instant::now() < deadline,
            "{} did not listen on {addr}: {}",
            proxy.name,
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Debian's nginx, in the foreground, with `http` (the inside of its `http` block) and its
/// files in `dir`; waits until it listens on `addr`.
pub fn nginx(dir: &Path, http: &str, addr: SocketAddr) -> Proxy {
    let exe = Path::new("/usr/sbin/nginx");
    assert!(
        exe.exists(),
        "/usr/sbin/nginx is missing: install Debian's nginx (.ci/run does)"
    );
    std::fs::create_dir_all(dir).expect("mkdir");
    let d = dir.display();
    // As root, nginx's workers would run as nobody, who may not write the test's folders.
    let user = if running_as_root() { "user root;" } else { "" };
    let conf = format!(
        "daemon off;\n{user}\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n    include /etc/nginx/mime.types;\n    access_log {d}/access.log;\n    \
         client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    \
         fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n\
         {http}}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), &conf).expect("write");
    let test = Command::new(exe)
        .args(["-t", "-p"])
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .output()
        .expect("nginx -t");
    assert!(
        test.status.success(),
        "nginx refuses the configuration:\n{}\n{conf}",
        String::from_utf8_lossy(&test.stderr)
    );
    let child = Command::new(exe)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let mut p = Proxy {
        child,
        dir: dir.to_path_buf(),
        name: "nginx",
    };
    wait_for(&mut p, addr);
    p
}

/// Debian's Caddy with `caddyfile` (its global options added here: no admin endpoint, the
/// test's ports, its data in `dir`); waits until it listens on `addr`.
pub fn caddy(dir: &Path, caddyfile: &str, http_port: u16, addr: SocketAddr) -> Proxy {
    let exe = Path::new("/usr/bin/caddy");
    assert!(
        exe.exists(),
        "/usr/bin/caddy is missing: install Debian's caddy (.ci/run does)"
    );
    std::fs::create_dir_all(dir).expect("mkdir");
    let d = dir.display();
    let global = format!(
        "{{\n\tadmin off\n\tauto_https disable_redirects\n\thttp_port {http_port}\n\thttps_port {}\n\
         \tstorage file_system {{\n\t\troot {d}/data\n\t}}\n\tskip_install_trust\n}}\n\n",
        addr.port()
    );
    let text = global + caddyfile;
    std::fs::write(dir.join("Caddyfile"), &text).expect("write");
    let log = std::fs::File::create(dir.join("error.log")).expect("log");
    let child = Command::new(exe)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"))
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start caddy");
    let mut p = Proxy {
        child,
        dir: dir.to_path_buf(),
        name: "caddy",
    };
    wait_for(&mut p, addr);
    p
}
