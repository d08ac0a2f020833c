//! A constant-rate ("open loop", like wrk2) HTTP/1.1 load generator for `bench/server/run.sh`.
//!
//! Request `i` is due at `start + i / rate`, whatever happened to the earlier ones: a slow
//! answer never delays the next request (no coordinated omission). A request goes out on an idle
//! keep-alive connection, or on a new one when all are busy, so the offered rate stays fixed.
//! Latency is measured from the moment a request is dispatched (including a connect when one is
//! needed) to the last byte of its answer; how late the dispatch was against its due time is
//! reported separately ("lag"), to show the generator kept up.
//!
//! Traffic is a mix of static pages (with `Accept-Encoding: gzip`), search API calls, event
//! batches (unique UUIDs, rotating member tokens) and `/healthz`. Prints one JSON object.
//!
//! With `--notices FILE` (bench/notices/run.sh) every request is instead a phone asking for its
//! notices, `GET /api/v1/notices`, each line's member once in turn (`TOKEN`, or `TOKEN ETAG`
//! for a phone that already has them and sends `If-None-Match`); reported as class "notices".
//!
//! ```text
//! sotay-loadgen --addr 127.0.0.1:8080 --rate 1000 --duration 30 --warmup 5 \
//!     --urls urls.txt --queries queries.txt --tokens tokens.txt --docs docs.txt \
//!     --mix 60,20,15,5 --batch 10
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLASSES: [&str; 4] = ["static", "search", "events", "health"];

struct Opts {
    addr: SocketAddr,
    rate: f64,
    duration: f64,
    warmup: f64,
    urls: Vec<String>,
    queries: Vec<String>,
    tokens: Vec<String>,
    docs: Vec<String>,
    mix: [u32; 4],
    batch: usize,
    timeout: Duration,
    /// `--notices`: (token, ETag the phone kept) per phone.
    notices: Vec<(String, Option<String>)>,
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_args() -> Opts {
    let mut o = Opts {
        addr: "127.0.0.1:8080".parse().expect("addr"),
        rate: 1000.0,
        duration: 30.0,
        warmup: 5.0,
        urls: vec!["/".into()],
        queries: vec!["sinh hoạt chi bộ".into()],
        tokens: Vec::new(),
        docs: vec!["dieu-le".into()],
        mix: [60, 20, 15, 5],
        batch: 10,
        timeout: Duration::from_secs(10),
        notices: Vec::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--addr" => o.addr = v.parse().expect("--addr HOST:PORT"),
            "--rate" => o.rate = v.parse().expect("--rate N"),
            "--duration" => o.duration = v.parse().expect("--duration SECONDS"),
            "--warmup" => o.warmup = v.parse().expect("--warmup SECONDS"),
            "--urls" => o.urls = lines(&v),
            "--queries" => o.queries = lines(&v),
            "--tokens" => o.tokens = lines(&v),
            "--docs" => o.docs = lines(&v),
            "--batch" => o.batch = v.parse().expect("--batch N"),
            "--notices" => {
                o.notices = lines(&v)
                    .into_iter()
                    .map(|l| match l.split_once(' ') {
                        Some((t, e)) => (t.to_string(), Some(e.trim().to_string())),
                        None => (l, None),
                    })
                    .collect()
            }
            "--timeout" => o.timeout = Duration::from_secs_f64(v.parse().expect("--timeout S")),
            "--mix" => {
                let p: Vec<u32> = v.split(',').map(|x| x.parse().expect("--mix a,b,c,d")).collect();
                assert_eq!(p.len(), 4, "--mix static,search,events,health");
                o.mix = [p[0], p[1], p[2], p[3]];
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    assert!(
        o.mix[2] == 0 || !o.tokens.is_empty() || !o.notices.is_empty(),
        "events in the mix need --tokens"
    );
    o
}

/// SplitMix64.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn pct_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 3339 (UTC) of a unix time.
fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[derive(Default)]
struct Stats {
    lat_us: Vec<u32>,
    ok: u64,
    non2xx: u64,
    errors: u64,
    events_stored: u64,
    statuses: BTreeMap<u16, u64>,
}

struct Shared {
    pool: Vec<TcpStream>,
    opened: u64,
    stats: [Stats; 4],
    lag_us: Vec<u32>,
    in_flight: usize,
    max_in_flight: usize,
}

struct Reply {
    status: u16,
    body: Vec<u8>,
    keep_alive: bool,
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    h.windows(needle.len()).position(|w| w == needle)
}

async fn exchange(conn: &mut TcpStream, req: &[u8]) -> std::io::Result<Reply> {
    conn.write_all(req).await?;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(p) = find(&buf, b"\r\n\r\n") {
            break p + 4;
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before the answer"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad status line"))?;
    let mut len: Option<usize> = None;
    let mut chunked = false;
    let mut keep_alive = true;
    for l in head.lines() {
        if let Some(v) = l.strip_prefix("content-length:") {
            len = v.trim().parse().ok();
        } else if l.starts_with("transfer-encoding:") && l.contains("chunked") {
            chunked = true;
        } else if l.starts_with("connection:") && l.contains("close") {
            keep_alive = false;
        }
    }
    let mut body = buf.split_off(head_end);
    if chunked {
        // Not expected from sotay; read until the terminating chunk and keep the raw bytes.
        while find(&body, b"\r\n0\r\n\r\n").is_none() && !body.starts_with(b"0\r\n\r\n") {
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "chunked body cut"));
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(len) = len {
        while body.len() < len {
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "body cut"));
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if status != 204 && status != 304 {
        keep_alive = false;
        loop {
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(Reply { status, body, keep_alive })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn summary(lat: &mut Vec<u32>) -> String {
    lat.sort_unstable();
    let mean = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(|&x| x as f64).sum::<f64>() / lat.len() as f64 / 1000.0
    };
    format!(
        "\"n\":{},\"mean_ms\":{:.3},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"max_ms\":{:.3}",
        lat.len(),
        mean,
        percentile(lat, 50.0),
        percentile(lat, 90.0),
        percentile(lat, 99.0),
        percentile(lat, 99.9),
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    )
}

fn main() {
    let o = Rc::new(parse_args());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(o));
}

async fn run(o: Rc<Opts>) {
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
        ^ (u64::from(std::process::id()) << 32);
    let mut rng = Rng(seed);
    let run_id = rng.next();
    let shared = Rc::new(RefCell::new(Shared {
        pool: Vec::new(),
        opened: 0,
        stats: Default::default(),
        lag_us: Vec::new(),
        in_flight: 0,
        max_in_flight: 0,
    }));
    // Open a few connections up front, like clients already connected.
    for _ in 0..32 {
        if let Ok(c) = TcpStream::connect(o.addr).await {
            let _ = c.set_nodelay(true);
            let mut s = shared.borrow_mut();
            s.pool.push(c);
            s.opened += 1;
        }
    }
    let total_secs = o.warmup + o.duration;
    let n = (o.rate * total_secs).round() as u64;
    let warm_n = (o.rate * o.warmup).round() as u64;
    let interval = 1.0 / o.rate;
    let mix_total: u32 = o.mix.iter().sum();
    let start = Instant::now() + Duration::from_millis(50);
    let mut measured_start: Option<Instant> = None;
    let mut event_seq: u64 = 0;
    let mut token_i = 0usize;
    let mut handles = Vec::with_capacity(n as usize);
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 * interval);
        tokio::time::sleep_until(due.into()).await;
        let dispatch = Instant::now();
        let measured = i >= warm_n;
        if measured && measured_start.is_none() {
            measured_start = Some(due);
        }
        // Pick the class by a deterministic interleave of the mix (so short runs are exact).
        let r = (rng.next() % u64::from(mix_total)) as u32;
        let class = {
            let mut acc = 0;
            let mut c = 0;
            for (k, w) in o.mix.iter().enumerate() {
                acc += w;
                if r < acc {
                    c = k;
                    break;
                }
            }
            c
        };
        let class = if o.notices.is_empty() { class } else { 0 };
        let req: Vec<u8> = match class {
            0 if !o.notices.is_empty() => {
                let (token, etag) = &o.notices[(i as usize) % o.notices.len()];
                let inm = etag.as_ref().map(|e| format!("If-None-Match: {e}\r\n")).unwrap_or_default();
                format!("GET /api/v1/notices HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n{inm}User-Agent: sotay-loadgen\r\n\r\n").into_bytes()
            }
            0 => {
                let p = &o.urls[rng.below(o.urls.len())];
                format!("GET {p} HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: gzip\r\nUser-Agent: sotay-loadgen\r\n\r\n").into_bytes()
            }
            1 => {
                let q = pct_encode(&o.queries[rng.below(o.queries.len())]);
                format!("GET /api/v1/search?q={q} HTTP/1.1\r\nHost: bench\r\nUser-Agent: sotay-loadgen\r\n\r\n").into_bytes()
            }
            2 => {
                let token = &o.tokens[token_i % o.tokens.len()];
                token_i += 1;
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
                let at = rfc3339(now);
                let mut body = String::from("{\"events\":[");
                for k in 0..o.batch {
                    event_seq += 1;
                    let id = format!(
                        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                        (run_id >> 32) as u32,
                        (run_id >> 16) as u16,
                        (run_id >> 4) & 0xfff,
                        run_id & 0xfff,
                        event_seq
                    );
                    let doc = &o.docs[rng.below(o.docs.len())];
                    if k > 0 {
                        body.push(',');
                    }
                    if k % 5 == 4 {
                        body.push_str(&format!("{{\"id\":\"{id}\",\"type\":\"read\",\"doc\":\"{doc}\",\"at\":\"{at}\",\"ms\":{}}}", 60_000 + rng.below(120_000)));
                    } else {
                        body.push_str(&format!("{{\"id\":\"{id}\",\"type\":\"view\",\"doc\":\"{doc}\",\"at\":\"{at}\"}}"));
                    }
                }
                body.push_str("]}");
                format!(
                    "POST /api/v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nUser-Agent: sotay-loadgen\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
            _ => b"GET /healthz HTTP/1.1\r\nHost: bench\r\nUser-Agent: sotay-loadgen\r\n\r\n".to_vec(),
        };
        if measured {
            let lag = dispatch.saturating_duration_since(due).as_micros().min(u32::MAX as u128) as u32;
            shared.borrow_mut().lag_us.push(lag);
        }
        let shared = shared.clone();
        let o = o.clone();
        handles.push(tokio::task::spawn_local(async move {
            {
                let mut s = shared.borrow_mut();
                s.in_flight += 1;
                s.max_in_flight = s.max_in_flight.max(s.in_flight);
            }
            let t0 = Instant::now();
            let pooled = shared.borrow_mut().pool.pop();
            let result = tokio::time::timeout(o.timeout, async {
                let mut conn = match pooled {
                    Some(c) => c,
                    None => {
                        let c = TcpStream::connect(o.addr).await?;
                        let _ = c.set_nodelay(true);
                        shared.borrow_mut().opened += 1;
                        c
                    }
                };
                let r = exchange(&mut conn, &req).await?;
                Ok::<_, std::io::Error>((r, conn))
            })
            .await;
            let took = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
            let mut s = shared.borrow_mut();
            s.in_flight -= 1;
            match result {
                Ok(Ok((r, conn))) => {
                    if r.keep_alive {
                        s.pool.push(conn);
                    }
                    if measured {
                        let st = &mut s.stats[class];
                        st.lat_us.push(took);
                        *st.statuses.entry(r.status).or_default() += 1;
                        if (200..300).contains(&r.status) {
                            st.ok += 1;
                        } else {
                            st.non2xx += 1;
                        }
                        if class == 2 && r.status == 200 {
                            let text = String::from_utf8_lossy(&r.body);
                            st.events_stored += text.matches("\"status\":\"stored\"").count() as u64;
                        }
                    }
                }
                _ => {
                    if measured {
                        s.stats[class].errors += 1;
                        s.stats[class].lat_us.push(took);
                    }
                }
            }
        }));
    }
    let sent_end = Instant::now();
    for h in handles {
        let _ = h.await;
    }
    let s = &mut *shared.borrow_mut();
    let measured_secs = measured_start
        .map(|m| sent_end.saturating_duration_since(m).as_secs_f64())
        .unwrap_or(0.0);
    let mut all: Vec<u32> = Vec::new();
    let mut parts = Vec::new();
    let (mut ok, mut non2xx, mut errors) = (0, 0, 0);
    for (k, st) in s.stats.iter_mut().enumerate() {
        all.extend_from_slice(&st.lat_us);
        ok += st.ok;
        non2xx += st.non2xx;
        errors += st.errors;
        let statuses: Vec<String> = st.statuses.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        parts.push(format!(
            "\"{}\":{{{},\"ok\":{},\"non2xx\":{},\"errors\":{},\"events_stored\":{},\"statuses\":{{{}}}}}",
            if k == 0 && !o.notices.is_empty() { "notices" } else { CLASSES[k] },
            summary(&mut st.lat_us),
            st.ok,
            st.non2xx,
            st.errors,
            st.events_stored,
            statuses.join(",")
        ));
    }
    let completed = all.len();
    println!(
        "{{\"rate\":{},\"duration_s\":{},\"warmup_s\":{},\"measured_s\":{:.3},\"completed\":{},\"achieved_rps\":{:.1},\"ok\":{},\"non2xx\":{},\"errors\":{},\"connections_opened\":{},\"max_in_flight\":{},\"lag\":{{{}}},\"all\":{{{}}},{}}}",
        o.rate,
        o.duration,
        o.warmup,
        measured_secs,
        completed,
        if measured_secs > 0.0 { completed as f64 / measured_secs } else { 0.0 },
        ok,
        non2xx,
        errors,
        s.opened,
        s.max_in_flight,
        summary(&mut s.lag_us),
        summary(&mut all),
        parts.join(",")
    );
}
