//! Rolling windows as scripts see them: the samples of one stream in `[end - duration, end]`
//! (event time, both ends included, like the rate rules), summarised in one pass when the
//! window is taken. Every statistic but `count()` is `()` on an empty window.

use std::collections::VecDeque;

/// A sample of a stream: (event time in ms, value).
pub(crate) type Sample = (i64, f64);

/// A window over one stream, with its summary computed when it was taken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window {
    /// The stream it was taken from (for `percentile`, which needs the values).
    pub(crate) stream: u32,
    /// Oldest sample time included.
    pub(crate) from: i64,
    /// Newest sample time included (the reading's time).
    pub(crate) to: i64,
    /// Samples inside.
    pub(crate) count: u32,
    /// Running mean (Welford).
    mean: f64,
    /// Sum of squared deviations from the mean (Welford).
    m2: f64,
    /// Smallest value.
    min: f64,
    /// Largest value.
    max: f64,
    /// Oldest sample.
    first: Sample,
    /// Newest sample.
    last: Sample,
}

impl Window {
    /// Summarises the samples of `samples` (sorted by time) in `[from, to]`.
    pub(crate) fn over(stream: u32, samples: &VecDeque<Sample>, from: i64, to: i64) -> Window {
        let (start, stop) = bounds(samples, from, to);
        let mut window = Window {
            stream,
            from,
            to,
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            first: (0, 0.0),
            last: (0, 0.0),
        };
        for &(ts, value) in samples.range(start..stop) {
            if window.count == 0 {
                window.first = (ts, value);
            }
            window.count += 1;
            let delta = value - window.mean;
            window.mean += delta / f64::from(window.count);
            window.m2 += delta * (value - window.mean);
            window.min = window.min.min(value);
            window.max = window.max.max(value);
            window.last = (ts, value);
        }
        window
    }

    /// `Some(f(self))` unless the window is empty.
    fn stat(&self, f: impl FnOnce(&Window) -> f64) -> Option<f64> {
        (self.count > 0).then(|| f(self))
    }

    /// Arithmetic mean.
    pub(crate) fn mean(&self) -> Option<f64> {
        self.stat(|w| w.mean)
    }

    /// Smallest value.
    pub(crate) fn min(&self) -> Option<f64> {
        self.stat(|w| w.min)
    }

    /// Largest value.
    pub(crate) fn max(&self) -> Option<f64> {
        self.stat(|w| w.max)
    }

    /// Population standard deviation.
    pub(crate) fn stddev(&self) -> Option<f64> {
        self.stat(|w| (w.m2 / f64::from(w.count)).max(0.0).sqrt())
    }

    /// Oldest value.
    pub(crate) fn first(&self) -> Option<f64> {
        self.stat(|w| w.first.1)
    }

    /// Newest value.
    pub(crate) fn last(&self) -> Option<f64> {
        self.stat(|w| w.last.1)
    }

    /// Newest minus oldest value.
    pub(crate) fn delta(&self) -> Option<f64> {
        self.stat(|w| w.last.1 - w.first.1)
    }

    /// `delta()` per `per_ms` over the time between the oldest and the newest sample; `None`
    /// with fewer than two samples at different times.
    pub(crate) fn rate(&self, per_ms: i64) -> Option<f64> {
        let span = self.last.0 - self.first.0;
        (self.count >= 2 && span > 0)
            .then(|| (self.last.1 - self.first.1) / span as f64 * per_ms as f64)
    }
}

/// The index range of `samples` (sorted by time) with times in `[from, to]`.
pub(crate) fn bounds(samples: &VecDeque<Sample>, from: i64, to: i64) -> (usize, usize) {
    let start = samples.partition_point(|s| s.0 < from);
    let stop = samples.partition_point(|s| s.0 <= to);
    (start, stop.max(start))
}

/// Nearest-rank percentile `p` (0..=100) of `values`, which it reorders; `None` when empty.
pub(crate) fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    // Nearest rank: the smallest value with at least p% of the values at or below it.
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    let index = rank.clamp(1, n) - 1;
    let (_, value, _) = values.select_nth_unstable_by(index, f64::total_cmp);
    Some(*value)
}

/// Parses a window or rate duration: a whole number and one unit, `500ms`, `30s`, `10m`, `2h`
/// or `1d`, in milliseconds; `None` for anything else or for zero. Parsing is a few byte
/// compares, cheaper than any cache lookup, so calls parse every time.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let (digits, unit_ms) = if let Some(digits) = text.strip_suffix("ms") {
        (digits, 1)
    } else {
        let unit = match text.as_bytes().last()? {
            b's' => 1_000,
            b'm' => 60_000,
            b'h' => 3_600_000,
            b'd' => 86_400_000,
            _ => return None,
        };
        (&text[..text.len() - 1], unit)
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let count: i64 = digits.parse().ok()?;
    count.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

/// The hint shown with a bad duration.
pub(crate) const DURATION_HINT: &str =
    "write a whole number and one unit: `500ms`, `30s`, `10m`, `2h` or `1d`";

/// A duration in milliseconds as a script author would write it (`90000` -> `90s`).
pub(crate) fn show_duration(ms: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(values: &[(i64, f64)]) -> VecDeque<Sample> {
        values.iter().copied().collect()
    }

    #[test]
    fn durations_take_five_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("500ms"), Some(500));
        assert_eq!(parse_duration("30s"), Some(30_000));
        assert_eq!(parse_duration("10m"), Some(600_000));
        assert_eq!(parse_duration("2h"), Some(7_200_000));
        assert_eq!(parse_duration("1d"), Some(86_400_000));
        for bad in [
            "",
            "10",
            "m",
            "ms",
            "0s",
            "-5m",
            "1.5h",
            "10 m",
            "10min",
            "5w",
            "99999999999999d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(show_duration(5_400_000), "90m");
        assert_eq!(show_duration(1_500), "1500ms");
    }

    #[test]
    fn a_window_holds_both_ends_and_nothing_outside() {
        let s = samples(&[(0, 1.0), (10, 2.0), (20, 4.0), (30, 8.0), (40, 16.0)]);
        let w = Window::over(0, &s, 10, 30);
        assert_eq!(w.count, 3);
        assert_eq!(w.first(), Some(2.0));
        assert_eq!(w.last(), Some(8.0));
        assert_eq!(w.delta(), Some(6.0));
        assert_eq!(w.min(), Some(2.0));
        assert_eq!(w.max(), Some(8.0));
        let mean = 14.0 / 3.0;
        assert!((w.mean().unwrap() - mean).abs() < 1e-12);
        let var = [2.0, 4.0, 8.0]
            .iter()
            .map(|v: &f64| (v - mean).powi(2))
            .sum::<f64>()
            / 3.0;
        assert!((w.stddev().unwrap() - var.sqrt()).abs() < 1e-12);
        // 6 over 20 ms is 300 per second.
        assert!((w.rate(1_000).unwrap() - 300.0).abs() < 1e-9);
    }

    #[test]
    fn an_empty_window_has_no_statistics() {
        let s = samples(&[(0, 1.0)]);
        let w = Window::over(0, &s, 5, 10);
        assert_eq!(w.count, 0);
        for stat in [
            w.mean(),
            w.min(),
            w.max(),
            w.stddev(),
            w.first(),
            w.last(),
            w.delta(),
        ] {
            assert_eq!(stat, None);
        }
        let one = Window::over(0, &s, 0, 10);
        assert_eq!(one.rate(1_000), None, "one sample has no rate");
        assert_eq!(one.stddev(), Some(0.0));
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let mut v = vec![15.0, 20.0, 35.0, 40.0, 50.0];
        assert_eq!(percentile(&mut v, 5.0), Some(15.0));
        assert_eq!(percentile(&mut v, 30.0), Some(20.0));
        assert_eq!(percentile(&mut v, 40.0), Some(20.0));
        assert_eq!(percentile(&mut v, 50.0), Some(35.0));
        assert_eq!(percentile(&mut v, 100.0), Some(50.0));
        assert_eq!(percentile(&mut v, 0.0), Some(15.0));
        assert_eq!(percentile(&mut [], 50.0), None);
    }
}
