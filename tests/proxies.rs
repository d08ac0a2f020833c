//! sotay behind the proxies of DEPLOYMENT.md, section 2 — Debian's nginx and Caddy terminating
//! TLS with a certificate of the test's own authority, configured with the document's own
//! snippets — at the root and under a path. Members registering from many client addresses
//! are limited each on their own, not together; a client's own X-Forwarded-For, through the
//! proxy or straight to the server, changes nothing; the request log names the client.
//! Chromium, trusting the test's authority, installs the handbook through nginx, at the root and
//! under the path, and reads it offline.

mod common;
mod deployment;
mod loopback;
mod pki;

use deployment::{caddy, nginx, replace, snippet, Proxy};
use loopback::*;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Members of the test's roster: as many as clients, all in one cell.
const MEMBERS: usize = 24;

fn member(i: usize) -> serde_json::Value {
    json!({"card_number": format!("{}", 40_000_000 + i), "full_name": format!("Đảng Viên Số {i}"), "birth_date": "1970-01-01", "unit_code": "CB1"})
}

/// A registration attempt that matches nobody (a fresh card number each time).
fn stranger(n: &mut usize) -> serde_json::Value {
    *n += 1;
    json!({"card_number": format!("{}", 50_000_000 + *n), "full_name": "Không Có Tên", "birth_date": "1970-01-01", "unit_code": "CB1"})
}

struct Env {
    dir: tempfile::TempDir,
    ca: pki::Ca,
    /// The SHA-256 of the server certificate's key (base64), for Chromium.
    spki: String,
    cert: PathBuf,
    key: PathBuf,
    log: PathBuf,
    server: Server,
}

impl Env {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The sample site built with `base_url`, a roster of `MEMBERS`, and `sotay server` trusting
/// the proxy on 127.0.0.1, with a registration limit per address small enough to see: 3.
fn setup(base_url: &str) -> Env {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("root");
    loopback::copy_sample(&root, base_url);
    let site = dir.path().join("public");
    sotay_generator::build(&root, &site).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let db = db_url(&dir.path().join("db.sqlite"));
    let mut members = String::from("card_number,full_name,birth_date,unit_code,status,role\n");
    for i in 0..MEMBERS {
        let m = member(i);
        members.push_str(&format!(
            "{},{},1970-01-01,CB1,chinh-thuc,dang-vien\n",
            m["card_number"].as_str().expect("card"),
            m["full_name"].as_str().expect("name")
        ));
    }
    std::fs::write(dir.path().join("units.csv"), UNITS).expect("w");
    std::fs::write(dir.path().join("members.csv"), members).expect("w");
    let st = Command::new(bin())
        .args(["roster", "import", "--units"])
        .arg(dir.path().join("units.csv"))
        .arg("--members")
        .arg(dir.path().join("members.csv"))
        .args(["--db", &db])
        .output()
        .expect("import");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let settings = dir.path().join("server.yaml");
    std::fs::write(
        &settings,
        "trusted_proxies: [127.0.0.1/32]\nlimits:\n  register_per_address: {burst: 3, per_hour: 1}\n",
    )
    .expect("w");
    let log = dir.path().join("server.log");
    let server = start_logged(
        &site,
        &db,
        &["--config", settings.to_str().expect("utf-8")],
        &[("SOTAY_LOG", "info")],
        Some(&log),
    );
    let ca = pki::Ca::new();
    let issued = ca.issue();
    let (cert, key) = issued.install(&ca, &dir.path().join("tls"));
    Env {
        dir,
        ca,
        spki: issued.spki_sha256,
        cert,
        key,
        log,
        server,
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// HTTPS to the proxy on `port`, trusting the test's authority, from `source`.
fn via(env: &Env, port: u16, source: [u8; 4]) -> Target {
    Target::https(addr(port), "localhost", env.ca.pem().as_bytes())
        .expect("target")
        .from_source(IpAddr::from(source))
}

/// DEPLOYMENT.md's nginx site, its addresses and files replaced by the test's.
fn nginx_root(env: &Env, https: u16, http: u16, webroot: &Path) -> String {
    replace(
        &snippet("nginx-root"),
        &[
            (
                "server 127.0.0.1:8080;",
                format!("server {};", env.server.addr),
            ),
            ("listen 80;", format!("listen 127.0.0.1:{http};")),
            ("listen [::]:80;", format!("listen [::1]:{http};")),
            (
                "listen 443 ssl http2;",
                format!("listen 127.0.0.1:{https} ssl http2;"),
            ),
            (
                "listen [::]:443 ssl http2;",
                format!("listen [::1]:{https} ssl http2;"),
            ),
            (
                "/etc/letsencrypt/live/so-tay.example.vn/fullchain.pem",
                env.cert.display().to_string(),
            ),
            (
                "/etc/letsencrypt/live/so-tay.example.vn/privkey.pem",
                env.key.display().to_string(),
            ),
            ("/var/www/letsencrypt", webroot.display().to_string()),
        ],
    )
}

/// Registrations through `port` from 20 client addresses, then each client's limit on its
/// own; a client's own X-Forwarded-For through the proxy and straight to the server.
fn clients_are_limited_each_on_their_own(env: &Env, port: u16, prefix: &str) {
    let register = format!("{prefix}api/v1/register");
    // 20 members, each from an address of their own: all registered (the limit is 3).
    for i in 0..20u8 {
        let r = post_json(
            via(env, port, [127, 0, 0, 10 + i]),
            &register,
            None,
            &member(usize::from(i)),
        );
        assert_eq!(r.status, 201, "member {i}: {}", r.text());
    }
    let n = &mut 0;
    // One of them tries two more times, then is limited; the others are not.
    let one = via(env, port, [127, 0, 0, 10]);
    let got: Vec<u16> = (0..3)
        .map(|_| post_json(&one, &register, None, &stranger(n)).status)
        .collect();
    assert_eq!(got, [401, 401, 429], "the client at 127.0.0.10");
    let other = via(env, port, [127, 0, 0, 11]);
    assert_eq!(post_json(&other, &register, None, &stranger(n)).status, 401);

    // A client writing its own X-Forwarded-For through the proxy: counted as itself.
    let liar = via(env, port, [127, 0, 0, 50]);
    let got: Vec<u16> = (0..4)
        .map(|i| {
            let body = stranger(n).to_string();
            let fake = format!("203.0.113.{i}");
            request(
                &liar,
                "POST",
                &register,
                &[
                    ("content-type", "application/json"),
                    ("x-forwarded-for", &fake),
                    ("forwarded", &format!("for={fake}")),
                ],
                body.as_bytes(),
            )
            .status
        })
        .collect();
    assert_eq!(
        got,
        [401, 401, 401, 429],
        "a client's own headers through the proxy"
    );

    // The same straight to the server (not through the proxy): its real address counts.
    let direct = Target::from(env.server.addr).from_source(IpAddr::from([127, 0, 0, 60]));
    let got: Vec<u16> = (0..4)
        .map(|i| {
            let body = stranger(n).to_string();
            let fake = format!("198.51.100.{i}");
            request(
                &direct,
                "POST",
                "/api/v1/register",
                &[
                    ("content-type", "application/json"),
                    ("x-forwarded-for", &fake),
                ],
                body.as_bytes(),
            )
            .status
        })
        .collect();
    assert_eq!(
        got,
        [401, 401, 401, 429],
        "X-Forwarded-For straight to the server"
    );

    // The log names each client, and the proxy it came through.
    let log = env.log();
    for line in [
        "client=127.0.0.10 via=127.0.0.1",
        "client=127.0.0.29 via=127.0.0.1",
        "client=127.0.0.50 via=127.0.0.1",
        "client=127.0.0.60 via=-",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
    assert!(!log.contains("client=203.0.113.") && !log.contains("client=198.51.100."));
}

#[test]
fn nginx_at_the_root() {
    let env = setup("https://so-tay.example.vn/");
    let (https, http) = (free_port(), free_port());
    let webroot = env.dir.path().join("webroot");
    let conf = nginx_root(&env, https, http, &webroot);
    let proxy = nginx(&env.dir.path().join("nginx"), &conf, addr(https));
    let t = via(&env, https, [127, 0, 0, 1]);

    let home = get(&t, "/");
    assert_eq!(home.status, 200, "{}", proxy.log());
    assert!(home.text().contains("<html lang=\"vi\">"));
    assert_eq!(
        home.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert!(
        home.header("content-security-policy").is_some(),
        "sotay's own headers pass"
    );
    // sotay's relative redirect, through nginx.
    let r = get(&t, "/dieu-le");
    assert_eq!((r.status, r.header("location")), (301, Some("dieu-le/")));
    // Port 80: browsers sent to HTTPS, certbot's challenges answered from the webroot.
    let r = raw(
        addr(http),
        b"GET /dieu-le/?q=1 HTTP/1.1\r\nhost: so-tay.example.vn\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("https://so-tay.example.vn/dieu-le/?q=1"))
    );
    let challenge = webroot.join(".well-known/acme-challenge");
    std::fs::create_dir_all(&challenge).expect("mkdir");
    std::fs::write(challenge.join("tok"), "tok.thumb").expect("w");
    assert_eq!(
        get(addr(http), "/.well-known/acme-challenge/tok").text(),
        "tok.thumb"
    );

    clients_are_limited_each_on_their_own(&env, https, "/");

    // A header sotay cannot read, from the proxy's own address: the proxy's address, a line
    // in the log, and the member's answer as usual.
    let local = Target::from(env.server.addr);
    let body = stranger(&mut 1000).to_string();
    let r = request(
        &local,
        "POST",
        "/api/v1/register",
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", "not-an-address"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(
        env.log().contains("forwarding header unreadable"),
        "{}",
        env.log()
    );

    common::installs_over_https_and_reads_offline(
        &format!("https://127.0.0.1:{https}/"),
        &env.spki,
        true,
    );
    drop(proxy);
}

#[test]
fn nginx_under_a_path() {
    let env = setup("https://dangbo.example.vn/so-tay/");
    let https = free_port();
    // The province's website: its own server block, with DEPLOYMENT.md's locations in it.
    let root = nginx_root(&env, https, free_port(), &env.dir.path().join("webroot"));
    let upstream = root
        .split_once("\n}\n")
        .expect("the upstream block")
        .0
        .to_string()
        + "\n}\n";
    assert!(upstream.starts_with("upstream sotay {"), "{upstream}");
    let conf = format!(
        "{upstream}\nserver {{\n    listen 127.0.0.1:{https} ssl http2;\n    ssl_certificate {};\n    \
         ssl_certificate_key {};\n    location / {{ return 200 \"the website\"; }}\n{}}}\n",
        env.cert.display(),
        env.key.display(),
        snippet("nginx-path")
    );
    let proxy = nginx(&env.dir.path().join("nginx"), &conf, addr(https));
    under_a_path(&env, &proxy, https);
    // (HSTS is the website's to send, from its own server block.)
    common::installs_over_https_and_reads_offline(
        &format!("https://127.0.0.1:{https}/so-tay/"),
        &env.spki,
        false,
    );
}

/// What a path under a website must give: the website's own pages, the handbook with its
/// links under the path, redirects that stay there, the API, and limits per client.
fn under_a_path(env: &Env, proxy: &Proxy, https: u16) {
    let t = via(env, https, [127, 0, 0, 1]);
    assert_eq!(get(&t, "/").text(), "the website", "{}", proxy.log());
    let r = get(&t, "/so-tay");
    assert_eq!(r.status, 301);
    assert!(
        r.header("location")
            .is_some_and(|l| l.ends_with("/so-tay/")),
        "{:?}",
        r.header("location")
    );
    let home = get(&t, "/so-tay/");
    assert_eq!(home.status, 200, "{}", proxy.log());
    assert!(
        home.text().contains("href=\"/so-tay/dieu-le/\""),
        "links under the path"
    );
    assert!(home
        .text()
        .contains("<link rel=\"canonical\" href=\"https://dangbo.example.vn/so-tay/\">"));
    // A folder without its slash: sotay's relative redirect stays under the path.
    let r = get(&t, "/so-tay/dieu-le");
    assert_eq!((r.status, r.header("location")), (301, Some("dieu-le/")));
    assert_eq!(get(&t, "/so-tay/dieu-le/dieu-le-mau/").status, 200);
    assert_eq!(get(&t, "/so-tay/sw.js").status, 200);
    let sitemap = get(&t, "/so-tay/sitemap.xml").text();
    assert!(sitemap.contains("<loc>https://dangbo.example.vn/so-tay/dieu-le/dieu-le-mau/</loc>"));
    let s = get(&t, "/so-tay/api/v1/search?q=dieu+le");
    assert_eq!(s.status, 200, "{}", s.text());
    clients_are_limited_each_on_their_own(env, https, "/so-tay/");
}

/// DEPLOYMENT.md's Caddy site block, for `https://localhost:PORT` with the test's certificate.
fn caddy_site(env: &Env, https: u16, body: &str) -> String {
    format!(
        "https://localhost:{https} {{\n\tbind 127.0.0.1\n\ttls {} {}\n{body}}}\n",
        env.cert.display(),
        env.key.display()
    )
}

#[test]
fn caddy_at_the_root() {
    let env = setup("https://so-tay.example.vn/");
    let https = free_port();
    let site = replace(
        &snippet("caddy-root"),
        &[
            (
                "so-tay.example.vn {",
                format!(
                    "https://localhost:{https} {{\n\tbind 127.0.0.1\n\ttls {} {}",
                    env.cert.display(),
                    env.key.display()
                ),
            ),
            ("127.0.0.1:8080", env.server.addr.to_string()),
        ],
    );
    let proxy = caddy(
        &env.dir.path().join("caddy"),
        &site,
        free_port(),
        addr(https),
    );
    let t = via(&env, https, [127, 0, 0, 1]);
    let home = get(&t, "/");
    assert_eq!(home.status, 200, "{}", proxy.log());
    assert!(home.text().contains("<html lang=\"vi\">"));
    assert_eq!(
        home.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let (_, alpn) = t.handshake(&[b"h2", b"http/1.1"]).expect("handshake");
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    clients_are_limited_each_on_their_own(&env, https, "/");
}

#[test]
fn caddy_under_a_path() {
    let env = setup("https://dangbo.example.vn/so-tay/");
    let https = free_port();
    let locations = replace(
        &snippet("caddy-path"),
        &[("127.0.0.1:8080", env.server.addr.to_string())],
    );
    let site = caddy_site(
        &env,
        https,
        &format!("{locations}\thandle {{\n\t\trespond \"the website\" 200\n\t}}\n"),
    );
    let proxy = caddy(
        &env.dir.path().join("caddy"),
        &site,
        free_port(),
        addr(https),
    );
    under_a_path(&env, &proxy, https);
}
