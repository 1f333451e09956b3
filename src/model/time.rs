//! Event time. A [`Timestamp`] is milliseconds since the Unix epoch (UTC); rules use the time carried
//! by readings, while absence checks and workflow timers ask a [`Clock`], which tests replace.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use ::time::OffsetDateTime;
use ::time::format_description::well_known::Rfc3339;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses RFC 3339 text (`2026-11-29T08:00:00+08:00`).
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved forward by `duration` (saturating).
    pub fn plus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_millis(duration)))
    }

    /// This instant moved back by `duration` (saturating).
    pub fn minus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_millis(duration)))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-29T00:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

/// Whole milliseconds in a duration, saturating at `i64::MAX`.
pub fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(at) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
                at.millisecond()
            ),
            Err(_) => write!(f, "{}ms", self.0),
        }
    }
}

/// Where "now" comes from. The server uses [`SystemClock`]; tests, `replay` and `test` use
/// [`ManualClock`] so that no test waits in real time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        Timestamp(i64::try_from(nanos).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to; clones share the same instant.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.0)))
    }

    /// Moves the clock to `at` (never backwards).
    pub fn set(&self, at: Timestamp) {
        self.0.fetch_max(at.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(duration_millis(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// A clock that runs `speed` times faster than the wall clock from the moment it is made, from
/// `origin` on: the compressed day of `tocsin demo`. Copies share the same start.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    /// What the clock reads at `started`.
    origin: Timestamp,
    /// The wall-clock moment it was made.
    started: std::time::Instant,
    /// Simulated milliseconds per real millisecond.
    speed: u32,
}

impl ScaledClock {
    /// A clock reading `origin` now and running `speed` times faster than the wall clock.
    pub fn new(origin: Timestamp, speed: u32) -> Self {
        Self {
            origin,
            started: std::time::Instant::now(),
            speed: speed.max(1),
        }
    }

    /// How many times faster than the wall clock it runs.
    pub fn speed(&self) -> u32 {
        self.speed
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.started.elapsed().saturating_mul(self.speed);
        self.origin.plus(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_through_millis() {
        let at = Timestamp::parse_rfc3339("2026-11-29T08:00:00.250+08:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-29T00:00:00.250Z");
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn manual_clock_moves_only_forward() {
        let clock = ManualClock::new(Timestamp(1_000));
        clock.advance(Duration::from_secs(2));
        assert_eq!(clock.now(), Timestamp(3_000));
        clock.set(Timestamp(500));
        assert_eq!(clock.now(), Timestamp(3_000));
    }
}
