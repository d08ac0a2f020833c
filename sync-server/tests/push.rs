//! Web Push for notices against a real server (issue 19): the VAPID key a phone subscribes
//! with (one per database, also across instances), subscriptions checked and kept per member,
//! and what a push service receives when a committee posts a notice. No push service is
//! reachable from the test machines, so a local receiver plays one: it answers as a service
//! would (201, or 410 for a subscription that is gone) and keeps each request, which the test
//! checks like a phone's browser and a push service would: the VAPID signature (RFC 8292) with
//! the key the server published, and the message decrypted (RFC 8291) with the subscription's
//! private key. Only the phones under the notice's unit receive it; without push, or without
//! a subscription, notices work as before. SQLite and PostgreSQL.

mod common;
use base64ct::{Base64UrlUnpadded, Encoding};
use common::*;
use serde_json::{json, Value};
use sotay_sync_server::push::PushConfig;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use web_push_native::p256;

const UNITS: &str = "code,name,parent_code,kind
TU,Đảng bộ tỉnh Mẫu,,tinh-uy
DB1,Đảng bộ huyện A,TU,dang-bo
CB1,Chi bộ thôn 1,DB1,chi-bo
DB2,Đảng bộ huyện B,TU,dang-bo
CB3,Chi bộ thôn 3,DB2,chi-bo
";

const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role
10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu
10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien
10000007,Vũ Thị Giang,1966-07-07,CB3,chinh-thuc,bi-thu
";

const CONTACT: &str = "mailto:vanphong@tinhuy.example.vn";

fn reg(s: &Server, card: &str) -> String {
    registered(s, MEMBERS, card)
}

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A push service on loopback: `/gone/...` answers 410, anything else 201.
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", l.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { continue };
                let g = g.clone();
                std::thread::spawn(move || {
                    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match c.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let path = lines
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("")
                        .to_string();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match c.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = buf[head_end..head_end + len].to_vec();
                    let status = if path.starts_with("/gone/") {
                        "410 Gone"
                    } else {
                        "201 Created"
                    };
                    g.lock().expect("lock").push(Got {
                        path,
                        headers,
                        body,
                    });
                    let _ = c.write_all(
                        format!(
                            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                });
            }
        });
        Receiver { base, got }
    }

    /// Waits until `n` requests have arrived in all; returns them.
    fn wait_for(&self, n: usize) -> Vec<Got> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.got.lock().expect("lock").clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} pushes, waited for {n}: {got:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A phone's browser: its push keys and what it gives the server.
struct Phone {
    secret: p256::SecretKey,
    auth: [u8; 16],
    endpoint: String,
}

impl Phone {
    fn new(endpoint: String) -> Phone {
        let mut seed = [0u8; 32];
        let mut auth = [0u8; 16];
        getrandom::fill(&mut seed).expect("random");
        getrandom::fill(&mut auth).expect("random");
        seed[0] &= 0x7f; // below the curve's order
        seed[31] |= 1; // not zero
        Phone {
            secret: p256::SecretKey::from_slice(&seed).expect("key"),
            auth,
            endpoint,
        }
    }

    fn subscription(&self) -> Value {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": Base64UrlUnpadded::encode_string(self.secret.public_key().to_encoded_point(false).as_bytes()),
                "auth": Base64UrlUnpadded::encode_string(&self.auth),
            }
        })
    }

    /// What the phone's browser reads from a push: checks the signature and decrypts.
    fn open(&self, got: &Got, server_key: &str) -> Value {
        assert_eq!(got.header("content-encoding"), Some("aes128gcm"), "{got:?}");
        assert_eq!(got.header("ttl"), Some("172800"), "two days: {got:?}");
        check_vapid(got, server_key);
        let plain = web_push_native::decrypt(
            got.body.clone(),
            &self.secret,
            web_push_native::Auth::from_slice(&self.auth),
        )
        .expect("decrypts with the subscription's keys");
        serde_json::from_slice(&plain).expect("JSON")
    }
}

/// The `Authorization: vapid t=JWT, k=KEY` header: `k` is the key the server publishes, the
/// JWT is ES256-signed by it for the push service's origin, with the operator's contact.
fn check_vapid(got: &Got, server_key: &str) {
    use p256::ecdsa::signature::Verifier;
    let h = got.header("authorization").expect("authorization");
    let rest = h.strip_prefix("vapid ").expect("vapid scheme");
    let mut t = "";
    let mut k = "";
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("t=") {
            t = v;
        } else if let Some(v) = part.strip_prefix("k=") {
            k = v;
        }
    }
    assert_eq!(k, server_key, "signed with the key phones subscribed with");
    let (signed, sig) = t.rsplit_once('.').expect("JWT");
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(
        &Base64UrlUnpadded::decode_vec(k).expect("base64url"),
    )
    .expect("P-256 key");
    let sig =
        p256::ecdsa::Signature::from_slice(&Base64UrlUnpadded::decode_vec(sig).expect("base64url"))
            .expect("signature");
    key.verify(signed.as_bytes(), &sig)
        .expect("the VAPID signature verifies");
    let claims: Value = serde_json::from_slice(
        &Base64UrlUnpadded::decode_vec(signed.split('.').nth(1).expect("claims"))
            .expect("base64url"),
    )
    .expect("JSON");
    assert_eq!(claims["aud"], "http://127.0.0.1", "{claims}");
    assert_eq!(claims["sub"], CONTACT, "{claims}");
    let exp = claims["exp"].as_i64().expect("exp");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "expires within a day (RFC 8292): {claims}"
    );
}

fn metric(s: &Server, name: &str) -> u64 {
    let m = request(s.addr, "GET", "/metrics", &[], b"").text();
    m.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

fn pushes() {
    let rx = Receiver::start();
    let s = start_with_push(UNITS, MEMBERS, PushConfig::new(CONTACT, true));
    let admin_db1 = admin(&s, "DB1");
    let admin_tu = admin(&s, "TU");
    let an = reg(&s, "10000001");
    let binh = reg(&s, "10000002");
    let giang = reg(&s, "10000007");

    // The key phones subscribe with: an uncompressed P-256 point, the same when asked again.
    let r = call(&s, "GET", "/api/v1/push/key", None, &Value::Null);
    assert_eq!(r.status, 200, "{}", r.text());
    let key = r.json()["public_key"].as_str().expect("key").to_string();
    let raw = Base64UrlUnpadded::decode_vec(&key).expect("base64url");
    assert_eq!((raw.len(), raw[0]), (65, 4), "{key}");
    let again = call(&s, "GET", "/api/v1/push/key", None, &Value::Null);
    assert_eq!(again.json()["public_key"], key.as_str());
    assert_eq!(s.count("SELECT count(*) FROM push_keys"), 1);

    // Subscribing: a member's token only; bad subscriptions refused, nothing stored.
    let an_phone = Phone::new(format!("{}/push/an", rx.base));
    let binh_phone = Phone::new(format!("{}/gone/binh", rx.base));
    let giang_phone = Phone::new(format!("{}/push/giang", rx.base));
    let path = "/api/v1/push/subscription";
    let r = call(&s, "PUT", path, None, &an_phone.subscription());
    assert_eq!(r.status, 401, "{}", r.text());
    let r = call(&s, "PUT", path, Some(&admin_db1), &an_phone.subscription());
    assert_eq!(r.status, 401, "an admin token is not a phone: {}", r.text());
    let mut bad_key = an_phone.subscription();
    bad_key["keys"]["p256dh"] = json!("AAAA");
    let mut bad_auth = an_phone.subscription();
    bad_auth["keys"]["auth"] = json!(Base64UrlUnpadded::encode_string(&[1u8; 8]));
    let mut bad_endpoint = an_phone.subscription();
    bad_endpoint["endpoint"] = json!("ftp://push.example.com/x");
    let mut long_endpoint = an_phone.subscription();
    long_endpoint["endpoint"] = json!(format!("https://push.example.com/{}", "x".repeat(2000)));
    for (body, what) in [
        (bad_key, "p256dh"),
        (bad_auth, "auth"),
        (bad_endpoint, "Địa chỉ"),
        (long_endpoint, "dài quá"),
        (json!({"keys": {}}), "endpoint"),
        (json!([1, 2]), "endpoint"),
    ] {
        let r = call(&s, "PUT", path, Some(&an), &body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(code(&r), "invalid_subscription");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(what),
            "{}",
            r.text()
        );
    }
    let r = request(
        s.addr,
        "PUT",
        path,
        &[("authorization", &format!("Bearer {an}"))],
        b"{not json",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(s.count("SELECT count(*) FROM push_subscriptions"), 0);
    for (token, phone) in [
        (&an, &an_phone),
        (&binh, &binh_phone),
        (&giang, &giang_phone),
    ] {
        let r = call(&s, "PUT", path, Some(token), &phone.subscription());
        assert_eq!(r.status, 204, "{}", r.text());
    }
    // The same subscription again (the page is opened again) stays one.
    let r = call(&s, "PUT", path, Some(&an), &an_phone.subscription());
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(s.count("SELECT count(*) FROM push_subscriptions"), 3);
    let r = call(&s, "POST", path, Some(&an), &an_phone.subscription());
    assert_eq!(r.status, 405);

    // A notice for DB1: the phones of CB1 (An, Bình) get a push; Giang (CB3, under DB2) not.
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&admin_db1),
        &json!({"title": "Họp chi bộ bất thường tối thứ Năm", "body": "Chi bộ sinh hoạt bất thường lúc 19:30."}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let first = r.json()["notice"]["id"].as_str().expect("id").to_string();
    let got = rx.wait_for(2);
    let mut paths: Vec<&str> = got.iter().map(|g| g.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/gone/binh", "/push/an"], "{got:?}");
    let to_an = got
        .iter()
        .find(|g| g.path == "/push/an")
        .expect("An's push");
    let msg = an_phone.open(to_an, &key);
    assert_eq!(
        msg,
        json!({"notice": first, "title": "Họp chi bộ bất thường tối thứ Năm", "unit": "Đảng bộ huyện A"})
    );
    // Bình's push service said 410 (the phone unsubscribed): the subscription is forgotten.
    let to_binh = got
        .iter()
        .find(|g| g.path == "/gone/binh")
        .expect("Bình's push");
    assert_eq!(binh_phone.open(to_binh, &key)["notice"], first.as_str());
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.count("SELECT count(*) FROM push_subscriptions WHERE endpoint LIKE '%/gone/%'") > 0 {
        assert!(Instant::now() < deadline, "the gone subscription stays");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(metric(&s, "sotay_pushes_sent_total"), 1);
    assert_eq!(metric(&s, "sotay_pushes_failed_total"), 1);

    // The province's notice reaches everyone still subscribed; An unsubscribes first.
    let r = call(
        &s,
        "DELETE",
        path,
        Some(&an),
        &json!({"endpoint": an_phone.endpoint}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    // Someone else's endpoint is not theirs to remove.
    let r = call(
        &s,
        "DELETE",
        path,
        Some(&an),
        &json!({"endpoint": giang_phone.endpoint}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(s.count("SELECT count(*) FROM push_subscriptions"), 1);
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&admin_tu),
        &json!({"title": "Học tập nghị quyết", "body": "Tài liệu: /dieu-le/"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let second = r.json()["notice"]["id"].as_str().expect("id").to_string();
    let got = rx.wait_for(3);
    assert_eq!(got[2].path, "/push/giang", "{got:?}");
    let msg = giang_phone.open(&got[2], &key);
    assert_eq!(msg["notice"], second.as_str());
    assert_eq!(msg["unit"], "Đảng bộ tỉnh Mẫu");
    // Nothing else arrives (a notice with no subscriber under it sends nothing either).
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&admin_db1),
        &json!({"unit": "CB1", "title": "Không ai đăng ký", "body": "Nội dung"}),
    );
    assert_eq!(r.status, 201);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rx.got.lock().expect("lock").len(), 3);
    // The notices themselves are as ever: An's phone gets all three when it asks.
    let r = call(&s, "GET", "/api/v1/notices", Some(&an), &Value::Null);
    assert_eq!(
        r.json()["notices"].as_array().map(Vec::len),
        Some(3),
        "{}",
        r.text()
    );
}

#[test]
fn pushes_on_sqlite() {
    pushes();
}

#[test]
fn pushes_on_postgres() {
    on_postgres(pushes);
}

/// Without `--push-contact` the push endpoints say so, and notices work as before.
fn push_off() {
    let s = start_with(UNITS, MEMBERS);
    let an = reg(&s, "10000001");
    let r = call(&s, "GET", "/api/v1/push/key", None, &Value::Null);
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(code(&r), "push_off");
    let phone = Phone::new("https://push.example.com/x".into());
    let r = call(
        &s,
        "PUT",
        "/api/v1/push/subscription",
        Some(&an),
        &phone.subscription(),
    );
    assert_eq!(r.status, 404, "{}", r.text());
    let admin = admin(&s, "TU");
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&admin),
        &json!({"title": "Thông báo", "body": "Nội dung"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = call(&s, "GET", "/api/v1/notices", Some(&an), &Value::Null);
    assert_eq!(r.json()["notices"].as_array().map(Vec::len), Some(1));
}

#[test]
fn push_off_on_sqlite() {
    push_off();
}

#[test]
fn push_off_on_postgres() {
    on_postgres(push_off);
}

/// Two instances on one PostgreSQL database sign with one key: a phone subscribed through
/// either is reached from either.
#[test]
fn two_instances_share_the_key() {
    on_postgres(|| {
        let rx = Receiver::start();
        let a = start_with_push(UNITS, MEMBERS, PushConfig::new(CONTACT, true));
        let b = second_instance_with_push(&a, PushConfig::new(CONTACT, true));
        let kb = call(&b, "GET", "/api/v1/push/key", None, &Value::Null).json()["public_key"]
            .as_str()
            .expect("key")
            .to_string();
        let ka = call(&a, "GET", "/api/v1/push/key", None, &Value::Null).json()["public_key"]
            .as_str()
            .expect("key")
            .to_string();
        assert_eq!(ka, kb);
        let an = reg(&a, "10000001");
        let phone = Phone::new(format!("{}/push/an", rx.base));
        let r = call(
            &a,
            "PUT",
            "/api/v1/push/subscription",
            Some(&an),
            &phone.subscription(),
        );
        assert_eq!(r.status, 204, "{}", r.text());
        let admin = admin(&b, "TU");
        let r = call(
            &b,
            "POST",
            "/api/v1/notices",
            Some(&admin),
            &json!({"title": "Từ máy chủ thứ hai", "body": "Nội dung"}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let got = rx.wait_for(1);
        assert_eq!(phone.open(&got[0], &ka)["title"], "Từ máy chủ thứ hai");
    });
}

/// What a subscription must be when the server runs for real: an https URL of a named host.
#[test]
fn endpoints_a_server_may_post_to() {
    let keys = Phone::new(String::new()).subscription()["keys"].clone();
    let sub = |e: &str| json!({"endpoint": e, "keys": keys});
    let ok = |e: &str| sotay_sync_server::push::subscription(&sub(e), false).is_ok();
    assert!(ok("https://fcm.googleapis.com/fcm/send/abc:def"));
    assert!(ok(
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA"
    ));
    assert!(ok("https://web.push.apple.com/QGx"));
    for e in [
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://localhost/x",
        "https://user:pw@fcm.googleapis.com/x",
        "https://intranet/x",
        "/relative",
        "",
    ] {
        assert!(!ok(e), "{e} must be refused");
    }
    // The tests' receiver is allowed only when asked for.
    assert!(sotay_sync_server::push::subscription(&sub("http://127.0.0.1:9/x"), true).is_ok());
}
