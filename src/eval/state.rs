//! The engine's mutable state, kept in flat `Vec`s of small structs so the hot path touches a few
//! cache lines per reading and allocates nothing: one [`Stream`] per (sensor, metric), one
//! [`Binding`] per (stream, rule), and a [`PersistState`] only for threshold bindings whose
//! persistence is not immediate. Samples live in one small ring per stream ([`SampleRing`]) that
//! serves both rate windows and warning evidence.

use crate::model::Level;

/// "No instant": an unset `since` / `clear_since` / `last_ts`.
pub(crate) const NEVER: i64 = i64::MIN;

/// Readings kept per stream for warning evidence, even without a rate window.
pub(crate) const EVIDENCE: usize = 5;

/// Bit in [`Stream::faults`]: an out-of-range fault is active.
pub(crate) const FAULT_OUT_OF_RANGE: u8 = 1;
/// Bit in [`Stream::faults`]: an offline fault is active.
pub(crate) const FAULT_OFFLINE: u8 = 2;
/// Bit in [`Stream::faults`]: a script may read this stream, so its readings go to the script
/// host (not a fault; the byte holds the stream's flags).
pub(crate) const STREAM_WATCHED: u8 = 4;
/// Bit in [`Stream::faults`]: the stream has a rule deadline armed in the engine's timer queue (a
/// flag, so a reading of a stream with nothing pending skips looking for due deadlines).
pub(crate) const STREAM_ARMED: u8 = 8;

/// One evaluated value.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Sample {
    /// Event time, milliseconds since the epoch.
    pub(crate) ts: i64,
    /// The value in the metric's unit.
    pub(crate) value: f64,
}

/// Most samples one stream keeps: bounds memory when a device floods readings (a 7-day window at
/// one reading per millisecond would otherwise hold 600 million). A normal stream never reaches it
/// (7 days at one reading per 10 minutes is 1,008).
pub(crate) const MAX_SAMPLES: usize = 4096;

/// A ring of the latest samples of one stream: it keeps every sample still inside the longest rate
/// window of the stream's rules, and at least the last [`EVIDENCE`] samples. It grows only when a
/// window needs more room, so its size settles at what the reporting rate requires, and never
/// holds more than [`MAX_SAMPLES`].
#[derive(Debug, Default)]
pub(crate) struct SampleRing {
    /// Storage; empty until the first push.
    buf: Box<[Sample]>,
    /// Position of the oldest sample.
    head: u32,
    /// Samples held.
    len: u32,
}

impl SampleRing {
    /// A ring holding `samples` (oldest first), as [`SampleRing::latest`] gave them.
    pub(crate) fn from_samples(samples: &[(i64, f64)]) -> SampleRing {
        let buf: Box<[Sample]> = samples
            .iter()
            .rev()
            .take(MAX_SAMPLES)
            .rev()
            .map(|&(ts, value)| Sample { ts, value })
            .collect();
        let len = buf.len() as u32;
        SampleRing { buf, head: 0, len }
    }

    /// Number of samples held.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// The `i`-th sample, oldest first.
    #[inline]
    fn at(&self, i: usize) -> Sample {
        let pos = self.head as usize + i;
        let cap = self.buf.len();
        self.buf[if pos >= cap { pos - cap } else { pos }]
    }

    /// Appends `sample`, first dropping samples older than `window_ms` before it (keeping at
    /// least [`EVIDENCE`]).
    #[inline]
    pub(crate) fn push(&mut self, sample: Sample, window_ms: i64) {
        let horizon = sample.ts.saturating_sub(window_ms);
        while self.len() >= EVIDENCE && self.at(0).ts < horizon {
            self.head = ((self.head as usize + 1) % self.buf.len()) as u32;
            self.len -= 1;
        }
        if self.len() == MAX_SAMPLES {
            self.thin();
        }
        if self.len() == self.buf.len() {
            self.grow();
        }
        let pos = (self.head as usize + self.len()) % self.buf.len();
        self.buf[pos] = sample;
        self.len += 1;
    }

    /// Halves the samples held, keeping every other one from the oldest plus the newest, so the
    /// window's span survives at a coarser resolution. Only a stream reporting far faster than
    /// its rule windows expect (a broken or hostile device) ever gets here.
    #[cold]
    fn thin(&mut self) {
        let len = self.len();
        let kept: Vec<Sample> = (0..len)
            .filter(|i| i % 2 == 0 || *i == len - 1)
            .map(|i| self.at(i))
            .collect();
        for (slot, sample) in self.buf.iter_mut().zip(&kept) {
            *slot = *sample;
        }
        self.head = 0;
        self.len = kept.len() as u32;
    }

    /// Reallocates with room for more samples, oldest first at position 0.
    #[cold]
    fn grow(&mut self) {
        let cap = self.buf.len();
        let new_cap = if cap == 0 {
            EVIDENCE
        } else {
            cap + (cap / 4).max(1)
        };
        let mut buf = vec![Sample::default(); new_cap].into_boxed_slice();
        for (i, slot) in buf.iter_mut().take(self.len()).enumerate() {
            *slot = self.at(i);
        }
        self.buf = buf;
        self.head = 0;
    }

    /// The oldest sample at or after `since` (event time).
    #[inline]
    pub(crate) fn oldest_since(&self, since: i64) -> Option<Sample> {
        (0..self.len()).map(|i| self.at(i)).find(|s| s.ts >= since)
    }

    /// The latest `n` samples, oldest first.
    pub(crate) fn latest(&self, n: usize) -> impl Iterator<Item = Sample> + '_ {
        let skip = self.len().saturating_sub(n);
        (skip..self.len()).map(|i| self.at(i))
    }

    /// Reads the oldest and newest samples (to bring them into cache); returns their times mixed.
    #[inline]
    pub(crate) fn touch(&self) -> i64 {
        if self.len == 0 {
            return 0;
        }
        self.at(0).ts ^ self.at(self.len() - 1).ts
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val::<[Sample]>(&self.buf)
    }
}

/// The state of one (sensor, metric): what the sensor last sent, its device faults and its samples.
#[derive(Debug)]
pub(crate) struct Stream {
    /// Event time of the last accepted reading; [`NEVER`] before the first. Readings at or before
    /// it are late or duplicates and are ignored.
    pub(crate) last_ts: i64,
    /// Recent in-range values, for rate windows and evidence.
    pub(crate) samples: SampleRing,
    /// The sensor (index into `Generation::sensors`).
    pub(crate) sensor: u32,
    /// The metric (index into `Generation::metrics`).
    pub(crate) metric: u32,
    /// Index of the first of this stream's bindings in the engine's binding `Vec`.
    pub(crate) first_binding: u32,
    /// Number of bindings (rules evaluated on this stream).
    pub(crate) bindings: u16,
    /// Active device faults ([`FAULT_OUT_OF_RANGE`], [`FAULT_OFFLINE`]).
    pub(crate) faults: u8,
}

/// One rule evaluated on one stream: its alarm level and hysteresis timer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding {
    /// Event time of the first reading since which the value has stayed clear of `level`;
    /// [`NEVER`] when not clear.
    pub(crate) clear_since: i64,
    /// The rule (index into `Generation::rules` and the engine's rule plans).
    pub(crate) rule: u32,
    /// The effective value ladder (index into the engine's ladder table): the sensor's override,
    /// the rule's ladder or the metric's default. Unused by pure rate rules.
    pub(crate) ladder: u32,
    /// Index of this binding's [`PersistState`], or `u32::MAX` when every level is immediate.
    pub(crate) persist: u32,
    /// The alarm level.
    pub(crate) level: Option<Level>,
    /// A scripted rule's latest verdict (the level its script last named), which holds until the
    /// next reading: a clear countdown that ends without one lowers the alarm to it. Unused by
    /// other rule kinds, whose latest observation is the stream's latest sample.
    pub(crate) verdict: Option<Level>,
}

/// Per-level persistence tracking of a threshold binding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PersistState {
    /// Per level: event time of the first reading of the current unbroken run of readings that
    /// reached the level ([`NEVER`] when the latest reading did not).
    pub(crate) since: [i64; 4],
    /// Per level: one bit per recent reading, latest in bit 0, set when it reached the level.
    pub(crate) hits: [u16; 4],
}

impl Default for PersistState {
    fn default() -> Self {
        PersistState {
            since: [NEVER; 4],
            hits: [0; 4],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ts: i64) -> Sample {
        Sample {
            ts,
            value: ts as f64,
        }
    }

    #[test]
    fn ring_keeps_evidence_without_a_window() {
        let mut ring = SampleRing::default();
        for ts in 1..=12 {
            ring.push(sample(ts), 0);
        }
        let kept: Vec<i64> = ring.latest(10).map(|s| s.ts).collect();
        assert_eq!(kept, vec![8, 9, 10, 11, 12]);
        assert_eq!(ring.heap_bytes(), 5 * 16);
    }

    #[test]
    fn ring_grows_to_cover_the_window_and_no_further() {
        let mut ring = SampleRing::default();
        for i in 0..100 {
            ring.push(sample(i * 60), 300);
        }
        // 5 minutes of one-minute samples: 5940 - 300 = 5640 .. 5940 is six samples.
        assert_eq!(ring.len(), 6);
        assert_eq!(ring.oldest_since(5940 - 300), Some(sample(5640)));
        assert_eq!(ring.heap_bytes(), 6 * 16);
        let last: Vec<i64> = ring.latest(2).map(|s| s.ts).collect();
        assert_eq!(last, vec![5880, 5940]);
    }

    #[test]
    fn a_flooding_stream_is_thinned_not_grown_without_bound() {
        let mut ring = SampleRing::default();
        // one reading per millisecond into a 7-day window
        for ts in 0..20_000 {
            ring.push(sample(ts), 7 * 24 * 3_600_000);
        }
        assert!(ring.len() <= MAX_SAMPLES, "{} samples", ring.len());
        assert!(ring.heap_bytes() <= MAX_SAMPLES * 16 * 5 / 4 + 16);
        // the span of the window survives: the oldest sample is still the first reading
        assert_eq!(ring.oldest_since(0), Some(sample(0)));
        let last: Vec<i64> = ring.latest(1).map(|s| s.ts).collect();
        assert_eq!(last, vec![19_999]);
    }
}
