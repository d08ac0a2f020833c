//! Limits on what clients may use: connections served at once and the time to send a request's
//! head (the transport's), and rate limits — token buckets per key (client address, card number,
//! token), so that nobody can enumerate the roster through registration or flood the event
//! endpoint.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Connections served at once; more wait in the kernel's queue, then are closed with 503.
pub const MAX_CONNECTIONS: usize = 4096;

/// How long a client has to send a request's head: from the connection's start for the
/// first request (whatever the protocol), and between requests on a kept-alive HTTP/1.1
/// connection (hyper's header read timeout). A body then gets `request::BODY_TIMEOUT`.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The key of a client address in the per-address limits: an IPv4 address, or the /64
/// network of an IPv6 address (a phone is given a whole /64 and may use any address in it).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let net = std::net::Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64));
                format!("{net}/64")
            }
        },
    }
}

/// A bucket of `burst` tokens refilled at `per_sec` tokens a second.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub burst: f64,
    pub per_sec: f64,
}

/// Buckets for one rule, by key.
pub struct Limiter {
    name: &'static str,
    rule: Rule,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(rule: Rule) -> Limiter {
        Limiter::named("limit", rule)
    }

    /// A limiter whose buckets, when shared between instances, are keyed `name:key`.
    pub fn named(name: &'static str, rule: Rule) -> Limiter {
        Limiter {
            name,
            rule,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn rule(&self) -> Rule {
        self.rule
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// No limit at all (`Limits::off`).
    pub fn is_off(&self) -> bool {
        self.rule.burst >= f64::MAX / 2.0
    }

    /// Takes one token for `key`; `Err(seconds)` says when to retry.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut b) = self.buckets.lock() else {
            return Ok(());
        };
        if b.len() > 200_000 {
            // Forget the keys whose buckets are full again.
            let rule = self.rule;
            b.retain(|_, (t, at)| {
                *t + now.duration_since(*at).as_secs_f64() * rule.per_sec < rule.burst
            });
        }
        let entry = b.entry(key.to_string()).or_insert((self.rule.burst, now));
        let refill = now.duration_since(entry.1).as_secs_f64() * self.rule.per_sec;
        entry.0 = (entry.0 + refill).min(self.rule.burst);
        entry.1 = now;
        if entry.0 >= 1.0 {
            entry.0 -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - entry.0) / self.rule.per_sec).ceil().max(1.0) as u64)
        }
    }
}

/// The server's limits.
pub struct Limits {
    pub register_by_addr: Limiter,
    pub register_by_card: Limiter,
    pub events_by_addr: Limiter,
    pub events_by_member: Limiter,
    pub search_by_addr: Limiter,
}

/// The defaults, sized for real traffic (DEPLOYMENT.md, "Rate limits", has the figures): a
/// per-address limit is a flood guard, sized for a mobile carrier's address that thousands of
/// phones share (carrier-grade NAT); guessing a member's details is stopped per card number and
/// by the one answer every mismatch gets.
impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A hall of 500 members registering at once behind one carrier address, then
            // 5 a second (3,000 in ten minutes): ~1/100 of what one server registers.
            register_by_addr: Limiter::named(
                "register_by_addr",
                Rule {
                    burst: 500.0,
                    per_sec: 5.0,
                },
            ),
            // 5 attempts, then one every 12 minutes, for one card number.
            register_by_card: Limiter::named(
                "register_by_card",
                Rule {
                    burst: 5.0,
                    per_sec: 1.0 / 720.0,
                },
            ),
            // 10,000 phones behind one address sending their outbox within a minute; a member
            // gets far less (below).
            events_by_addr: Limiter::named(
                "events_by_addr",
                Rule {
                    burst: 2000.0,
                    per_sec: 200.0,
                },
            ),
            events_by_member: Limiter::named(
                "events_by_member",
                Rule {
                    burst: 30.0,
                    per_sec: 2.0,
                },
            ),
            // Phones search in their own index; the server's search is for pages without
            // JavaScript and API clients: a tenth of a server's CPU for one address.
            search_by_addr: Limiter::named(
                "search_by_addr",
                Rule {
                    burst: 200.0,
                    per_sec: 50.0,
                },
            ),
        }
    }
}

impl Limits {
    /// Every limit with the name it has in the server's settings (`limits:` in the file).
    pub fn named_mut(&mut self) -> [(&'static str, &mut Limiter); 5] {
        [
            ("register_per_address", &mut self.register_by_addr),
            ("register_per_card", &mut self.register_by_card),
            ("events_per_address", &mut self.events_by_addr),
            ("events_per_member", &mut self.events_by_member),
            ("search_per_address", &mut self.search_by_addr),
        ]
    }

    /// Replaces the rule of the limit called `name` in the settings.
    pub fn set(&mut self, name: &str, rule: Rule) -> Result<(), String> {
        let mut all = self.named_mut();
        let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        let names = names.join(", ");
        match all.iter_mut().find(|(n, _)| *n == name) {
            Some((_, limiter)) => {
                limiter.rule = rule;
                Ok(())
            }
            None => Err(format!("no limit named \"{name}\"; the limits are {names}")),
        }
    }

    /// No limits: for load tests on a private machine only.
    pub fn off() -> Limits {
        let none = || {
            Limiter::new(Rule {
                burst: f64::MAX,
                per_sec: 1e12,
            })
        };
        Limits {
            register_by_addr: none(),
            register_by_card: none(),
            events_by_addr: none(),
            events_by_member: none(),
            search_by_addr: none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_says_when_to_retry() {
        let l = Limiter::new(Rule {
            burst: 3.0,
            per_sec: 0.5,
        });
        for _ in 0..3 {
            assert_eq!(l.check("a"), Ok(()));
        }
        assert_eq!(l.check("a"), Err(2));
        assert_eq!(l.check("b"), Ok(()));
    }

    #[test]
    fn an_ipv6_subscriber_is_one_key() {
        let key = |s: &str| address_key(s.parse().expect(s));
        assert_eq!(key("203.0.113.5"), "203.0.113.5");
        assert_eq!(key("::ffff:203.0.113.5"), "203.0.113.5");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }
}
