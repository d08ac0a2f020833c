//! Counters and latency histograms, exposed as Prometheus text at `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Request classes, for labels.
pub const ROUTES: &[&str] = &[
    "static", "search", "register", "events", "reports", "health", "other", "meetings", "notices",
];
const BUCKETS_MS: &[f64] = &[1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0];

#[derive(Default)]
struct RouteStats {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 9],
    count: AtomicU64,
    sum_us: AtomicU64,
}

/// All metrics of a running server.
pub struct Metrics {
    routes: Vec<RouteStats>,
    pub events_stored: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    pub registrations: AtomicU64,
    pub registrations_refused: AtomicU64,
    pub rate_limited: AtomicU64,
    pub notices_posted: AtomicU64,
    /// Phones that asked for their notices and had them all already (304).
    pub notices_not_modified: AtomicU64,
    pub pushes_sent: AtomicU64,
    pub pushes_failed: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            routes: ROUTES.iter().map(|_| RouteStats::default()).collect(),
            events_stored: AtomicU64::new(0),
            events_duplicate: AtomicU64::new(0),
            events_rejected: AtomicU64::new(0),
            registrations: AtomicU64::new(0),
            registrations_refused: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            notices_posted: AtomicU64::new(0),
            notices_not_modified: AtomicU64::new(0),
            pushes_sent: AtomicU64::new(0),
            pushes_failed: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn observe(&self, route: usize, status: u16, took: Duration) {
        let Some(r) = self.routes.get(route) else {
            return;
        };
        let class = (usize::from(status / 100)).clamp(1, 5) - 1;
        r.by_class[class].fetch_add(1, Ordering::Relaxed);
        r.count.fetch_add(1, Ordering::Relaxed);
        r.sum_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        let ms = took.as_secs_f64() * 1000.0;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b {
                r.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self, queue_depth: usize, uptime: Duration) -> String {
        let mut s = String::new();
        self.render_requests(&mut s);
        self.render_durations(&mut s);
        self.render_counters(&mut s);
        let _ = writeln!(s, "# HELP sotay_write_queue_depth Writes waiting for the database.\n# TYPE sotay_write_queue_depth gauge\nsotay_write_queue_depth {queue_depth}");
        let _ = writeln!(s, "# HELP sotay_uptime_seconds Seconds since start.\n# TYPE sotay_uptime_seconds gauge\nsotay_uptime_seconds {}", uptime.as_secs());
        s
    }

    /// Requests by route and status class.
    fn render_requests(&self, s: &mut String) {
        let _ = writeln!(s, "# HELP sotay_http_requests_total HTTP requests by route and status class.\n# TYPE sotay_http_requests_total counter");
        for (i, name) in ROUTES.iter().enumerate() {
            for (c, class) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
                let v = self.routes[i].by_class[c].load(Ordering::Relaxed);
                if v > 0 {
                    let _ = writeln!(
                        s,
                        "sotay_http_requests_total{{route=\"{name}\",status=\"{class}\"}} {v}"
                    );
                }
            }
        }
    }

    /// The latency histogram of each route that has been asked.
    fn render_durations(&self, s: &mut String) {
        let _ = writeln!(s, "# HELP sotay_http_request_duration_seconds Request latency.\n# TYPE sotay_http_request_duration_seconds histogram");
        for (i, name) in ROUTES.iter().enumerate() {
            let r = &self.routes[i];
            let count = r.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            for (b, le) in BUCKETS_MS.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "sotay_http_request_duration_seconds_bucket{{route=\"{name}\",le=\"{}\"}} {}",
                    le / 1000.0,
                    r.buckets[b].load(Ordering::Relaxed)
                );
            }
            let _ = writeln!(s, "sotay_http_request_duration_seconds_bucket{{route=\"{name}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(
                s,
                "sotay_http_request_duration_seconds_sum{{route=\"{name}\"}} {}",
                r.sum_us.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                s,
                "sotay_http_request_duration_seconds_count{{route=\"{name}\"}} {count}"
            );
        }
    }

    /// The counters of what the server did.
    fn render_counters(&self, s: &mut String) {
        for (name, help, v) in [
            (
                "sotay_events_stored_total",
                "Reading events stored.",
                &self.events_stored,
            ),
            (
                "sotay_events_duplicate_total",
                "Events received again and not stored twice.",
                &self.events_duplicate,
            ),
            (
                "sotay_events_rejected_total",
                "Events refused as invalid.",
                &self.events_rejected,
            ),
            (
                "sotay_registrations_total",
                "Phones registered.",
                &self.registrations,
            ),
            (
                "sotay_registrations_refused_total",
                "Registrations that did not match the roster.",
                &self.registrations_refused,
            ),
            (
                "sotay_rate_limited_total",
                "Requests refused by a rate limit.",
                &self.rate_limited,
            ),
            (
                "sotay_notices_posted_total",
                "Notices posted by committees.",
                &self.notices_posted,
            ),
            (
                "sotay_notices_not_modified_total",
                "Requests for a phone's notices answered 304 (nothing new).",
                &self.notices_not_modified,
            ),
            (
                "sotay_pushes_sent_total",
                "Web Push messages accepted by a push service.",
                &self.pushes_sent,
            ),
            (
                "sotay_pushes_failed_total",
                "Web Push messages a push service refused or could not be reached for.",
                &self.pushes_failed,
            ),
        ] {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
    }
}
