//! Rate limits: token buckets per key (client address, card number, token), so that nobody
//! can enumerate the roster through registration or flood the event endpoint.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // 10 attempts, then one every 6 s, from one address.
            register_by_addr: Limiter::named(
                "register_by_addr",
                Rule {
                    burst: 10.0,
                    per_sec: 1.0 / 6.0,
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
            // Offices share addresses: generous per address, tighter per member.
            events_by_addr: Limiter::named(
                "events_by_addr",
                Rule {
                    burst: 2000.0,
                    per_sec: 1000.0,
                },
            ),
            events_by_member: Limiter::named(
                "events_by_member",
                Rule {
                    burst: 30.0,
                    per_sec: 2.0,
                },
            ),
            search_by_addr: Limiter::named(
                "search_by_addr",
                Rule {
                    burst: 60.0,
                    per_sec: 20.0,
                },
            ),
        }
    }
}

impl Limits {
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
}
