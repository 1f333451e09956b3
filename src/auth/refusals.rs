//! How much a refused request may cost. An anonymous client must not be able to fill the disk by
//! being refused, so the `auth.refused` audit trail is bounded three ways:
//!
//! - the request path recorded with a refusal is cut to [`PATH_LIMIT`] bytes (on a character
//!   boundary, with a marker saying how much was left out), see [`bounded_text`];
//! - refusal rows are written from a token bucket ([`RefusalBudget`], timed by the injectable
//!   clock): [`RefusalBudget::PER_MINUTE`] rows a minute, in bursts of at most
//!   [`RefusalBudget::BURST`]. Beyond it a refusal is only counted (the caller counts every refusal
//!   in `tocsin_auth_refused_total{reason}`), and the next row written after a gap is preceded by
//!   one summary row saying how many were not written and since when;
//! - tokens recently refused are remembered by hash in a bounded negative cache
//!   ([`RefusedTokens`]), so repeating a bad token costs no store read.
//!
//! Everything here is pure bookkeeping; the guard (`crate::api::guard`) and the authenticator
//! carry it out.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::model::Timestamp;
use crate::model::time::duration_millis;

/// Most bytes of a request path written to the audit log with a refusal.
pub const PATH_LIMIT: usize = 256;

/// `text` (a request path, a message) cut to at most `limit` bytes on a character boundary, with a marker
/// `…[+N bytes]` naming how many bytes were left out; unchanged when short enough.
pub fn bounded_text(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[+{} bytes]", &text[..end], text.len() - end)
}

/// What to do with one refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Write its row; when `suppressed > 0`, first write a summary row saying that many refusals
    /// since `since` were only counted.
    Write {
        /// Refusals not written since the last row.
        suppressed: u64,
        /// When the first of them happened.
        since: Option<Timestamp>,
    },
    /// Over budget: count it, write nothing.
    CountOnly,
}

/// A token bucket of refusal rows.
#[derive(Clone, Debug)]
pub struct RefusalBudget {
    /// Rows added per minute.
    per_minute: u64,
    /// Most rows available at once.
    burst: u64,
    /// Available rows, in 1/60,000ths of a row (one row refills in `60_000 / per_minute` ms).
    credit: u64,
    /// When the credit was last topped up.
    last: Option<Timestamp>,
    /// Refusals counted but not written since the last row.
    suppressed: u64,
    /// When the first of them happened.
    suppressed_since: Option<Timestamp>,
}

/// Credit units per row.
const UNIT: u64 = 60_000;

impl Default for RefusalBudget {
    fn default() -> Self {
        RefusalBudget::new(RefusalBudget::PER_MINUTE, RefusalBudget::BURST)
    }
}

impl RefusalBudget {
    /// Refusal rows written per minute, sustained.
    pub const PER_MINUTE: u64 = 60;

    /// Refusal rows written in one burst.
    pub const BURST: u64 = 60;

    /// A full bucket of `burst` rows refilled at `per_minute` rows a minute.
    pub fn new(per_minute: u64, burst: u64) -> RefusalBudget {
        let burst = burst.max(1);
        RefusalBudget {
            per_minute,
            burst,
            credit: burst * UNIT,
            last: None,
            suppressed: 0,
            suppressed_since: None,
        }
    }

    /// Decides one refusal at `now`. A clock set back refills nothing.
    pub fn admit(&mut self, now: Timestamp) -> Verdict {
        let elapsed = match self.last {
            Some(last) => u64::try_from(now.millis() - last.millis()).unwrap_or(0),
            None => 0,
        };
        self.last = Some(match self.last {
            Some(last) if last > now => last,
            _ => now,
        });
        self.credit = self
            .credit
            .saturating_add(elapsed.saturating_mul(self.per_minute))
            .min(self.burst * UNIT);
        if self.credit >= UNIT {
            self.credit -= UNIT;
            let verdict = Verdict::Write {
                suppressed: self.suppressed,
                since: self.suppressed_since,
            };
            self.suppressed = 0;
            self.suppressed_since = None;
            verdict
        } else {
            self.suppressed += 1;
            self.suppressed_since.get_or_insert(now);
            Verdict::CountOnly
        }
    }
}

/// Hashes of tokens recently refused (unknown or revoked), each remembered for a while, at most
/// [`RefusedTokens::CAPACITY`] of them (the oldest forgotten first).
#[derive(Debug, Default)]
pub struct RefusedTokens {
    /// When each hash was refused.
    at: HashMap<String, Timestamp>,
    /// Hashes in the order they were refused (may hold stale duplicates; `at` is the truth).
    order: VecDeque<(String, Timestamp)>,
}

impl RefusedTokens {
    /// Most hashes remembered.
    pub const CAPACITY: usize = 4096;

    /// True when `hash` was refused less than `ttl` before `now`.
    pub fn recently_refused(&self, hash: &str, now: Timestamp, ttl: Duration) -> bool {
        self.at.get(hash).is_some_and(|at| {
            let age = now.millis() - at.millis();
            (0..duration_millis(ttl)).contains(&age)
        })
    }

    /// Remembers that `hash` was refused at `now`.
    pub fn remember(&mut self, hash: String, now: Timestamp) {
        self.at.insert(hash.clone(), now);
        self.order.push_back((hash, now));
        while self.at.len() > RefusedTokens::CAPACITY || self.order.len() > 2 * Self::CAPACITY {
            let Some((oldest, at)) = self.order.pop_front() else {
                break;
            };
            if self.at.get(&oldest) == Some(&at) {
                self.at.remove(&oldest);
            }
        }
    }

    /// Forgets `hash` (a token that now exists).
    pub fn forget(&mut self, hash: &str) {
        self.at.remove(hash);
    }

    /// Hashes remembered.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cut_on_a_character_boundary_with_a_marker() {
        let cases: &[(&str, usize, &str)] = &[
            ("/api/v1/warnings", 256, "/api/v1/warnings"),
            ("/abcdef", 4, "/abc…[+3 bytes]"),
            // 'é' is two bytes: cutting at 2 would split it, so the cut moves back to 1.
            ("/éé", 2, "/…[+4 bytes]"),
            ("", 0, ""),
        ];
        for (path, limit, expected) in cases {
            assert_eq!(bounded_text(path, *limit), *expected, "{path} at {limit}");
        }
        let long = "/".repeat(60_000);
        assert!(bounded_text(&long, PATH_LIMIT).len() < PATH_LIMIT + 32);
    }

    #[test]
    fn the_budget_writes_a_burst_then_counts_then_summarises() {
        let at = |ms: i64| Timestamp(1_000_000 + ms);
        let mut budget = RefusalBudget::new(60, 3);
        let write = Verdict::Write {
            suppressed: 0,
            since: None,
        };
        // (time, expected verdict)
        let table = [
            (0, write),
            (0, write),
            (0, write),
            (10, Verdict::CountOnly),
            (500, Verdict::CountOnly),
            // one row a second comes back
            (
                1000,
                Verdict::Write {
                    suppressed: 2,
                    since: Some(at(10)),
                },
            ),
            (1001, Verdict::CountOnly),
            // the clock set back refills nothing
            (0, Verdict::CountOnly),
            // a long quiet time refills only up to the burst
            (
                3_600_000,
                Verdict::Write {
                    suppressed: 2,
                    since: Some(at(1001)),
                },
            ),
            (3_600_000, write),
            (3_600_000, write),
            (3_600_000, Verdict::CountOnly),
        ];
        for (i, (ms, expected)) in table.into_iter().enumerate() {
            assert_eq!(budget.admit(at(ms)), expected, "row {i} at {ms} ms");
        }
    }

    #[test]
    fn refused_tokens_are_remembered_for_a_while_and_bounded() {
        let ttl = Duration::from_secs(30);
        let mut refused = RefusedTokens::default();
        refused.remember("a".to_owned(), Timestamp(0));
        assert!(refused.recently_refused("a", Timestamp(29_999), ttl));
        assert!(!refused.recently_refused("a", Timestamp(30_000), ttl));
        assert!(!refused.recently_refused("b", Timestamp(0), ttl));
        refused.forget("a");
        assert!(refused.is_empty());
        for i in 0..(RefusedTokens::CAPACITY + 100) {
            refused.remember(format!("{i}"), Timestamp(i as i64));
        }
        assert_eq!(refused.len(), RefusedTokens::CAPACITY);
        assert!(!refused.recently_refused("0", Timestamp(5000), ttl));
        assert!(refused.recently_refused(
            &format!("{}", RefusedTokens::CAPACITY + 99),
            Timestamp(5000),
            ttl
        ));
    }
}
