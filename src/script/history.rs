//! The samples scripts can look back on: one stream per watched (sensor, metric), each a
//! time-ordered `VecDeque` trimmed to the longest lookback of the rules that may read it (and to
//! [`MAX_SAMPLES_PER_STREAM`]). Streams are found through a per-sensor slice of
//! (metric, stream) pairs sorted by metric, like the engine's own stream table.

use std::collections::{BTreeMap, VecDeque};

use super::MAX_SAMPLES_PER_STREAM;
use super::window::{Sample, Window, bounds};

/// One watched stream.
#[derive(Debug, Default)]
struct Stream {
    /// Samples in event-time order, none older than `lookback_ms` before the newest.
    samples: VecDeque<Sample>,
    /// How far back any reader may look, in milliseconds.
    lookback_ms: i64,
}

/// Which stream belongs to which (sensor, metric); cloned by the host so that `watches` and
/// `observe` find a stream without taking the desk's lock.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamIndex {
    /// Sensor `s` owns `keys[offsets[s]..offsets[s + 1]]`.
    offsets: Vec<u32>,
    /// (metric index, stream index), sorted by metric within each sensor.
    keys: Vec<(u32, u32)>,
}

impl StreamIndex {
    /// The stream of (`sensor`, `metric`), if watched.
    #[inline]
    pub(crate) fn stream(&self, sensor: u32, metric: u32) -> Option<u32> {
        let sensor = sensor as usize;
        let (start, end) = (
            *self.offsets.get(sensor)? as usize,
            *self.offsets.get(sensor + 1)? as usize,
        );
        self.keys[start..end]
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, stream)| *stream)
    }
}

/// Every watched stream of a generation.
#[derive(Debug, Default)]
pub(crate) struct History {
    /// Where each (sensor, metric) stream is.
    index: StreamIndex,
    /// The streams.
    streams: Vec<Stream>,
}

impl History {
    /// Streams for `watched`: (sensor, metric) -> lookback in ms, for `sensors` sensors.
    pub(crate) fn new(sensors: usize, watched: &BTreeMap<(u32, u32), i64>) -> History {
        let mut index = StreamIndex {
            offsets: Vec::with_capacity(sensors + 1),
            keys: Vec::with_capacity(watched.len()),
        };
        let mut streams = Vec::with_capacity(watched.len());
        let mut entries = watched.iter().peekable();
        for sensor in 0..sensors as u32 {
            index.offsets.push(index.keys.len() as u32);
            while let Some(((_, metric), lookback)) = entries.next_if(|((s, _), _)| *s == sensor) {
                index.keys.push((*metric, streams.len() as u32));
                streams.push(Stream {
                    samples: VecDeque::new(),
                    lookback_ms: *lookback,
                });
            }
        }
        index.offsets.push(index.keys.len() as u32);
        History { index, streams }
    }

    /// Where each stream is.
    pub(crate) fn index(&self) -> &StreamIndex {
        &self.index
    }

    /// The stream of (`sensor`, `metric`), if watched.
    #[inline]
    pub(crate) fn stream(&self, sensor: u32, metric: u32) -> Option<u32> {
        self.index.stream(sensor, metric)
    }

    /// Number of watched streams.
    pub(crate) fn len(&self) -> usize {
        self.streams.len()
    }

    /// Appends a sample; one not newer than the stream's newest is ignored (the engine feeds
    /// each stream in event-time order). Drops what fell out of the lookback or over the cap.
    pub(crate) fn record(&mut self, stream: u32, ts: i64, value: f64) {
        let Some(stream) = self.streams.get_mut(stream as usize) else {
            return;
        };
        if stream.samples.back().is_some_and(|last| last.0 >= ts) {
            return;
        }
        stream.samples.push_back((ts, value));
        let horizon = ts.saturating_sub(stream.lookback_ms);
        while stream
            .samples
            .front()
            .is_some_and(|first| first.0 < horizon)
            || stream.samples.len() > MAX_SAMPLES_PER_STREAM
        {
            stream.samples.pop_front();
        }
    }

    /// The window of `stream` over `[from, to]`.
    #[inline]
    pub(crate) fn window(&self, stream: u32, from: i64, to: i64) -> Window {
        match self.streams.get(stream as usize) {
            Some(s) => Window::over(stream, &s.samples, from, to),
            None => Window::over(stream, &VecDeque::new(), from, to),
        }
    }

    /// The values of `window`'s samples, appended to `out`.
    pub(crate) fn values(&self, window: &Window, out: &mut Vec<f64>) {
        if let Some(s) = self.streams.get(window.stream as usize) {
            let (start, stop) = bounds(&s.samples, window.from, window.to);
            out.extend(s.samples.range(start..stop).map(|sample| sample.1));
        }
    }

    /// The newest value of `stream` at or before `to`.
    pub(crate) fn latest(&self, stream: u32, to: i64) -> Option<f64> {
        let samples = &self.streams.get(stream as usize)?.samples;
        let stop = samples.partition_point(|s| s.0 <= to);
        stop.checked_sub(1).map(|i| samples[i].1)
    }

    /// Every stream's samples, oldest first (for the engine's state image).
    pub(crate) fn image(&self) -> Vec<Vec<(i64, f64)>> {
        self.streams
            .iter()
            .map(|s| s.samples.iter().copied().collect())
            .collect()
    }

    /// Puts back samples taken by [`History::image`] of a history with the same streams;
    /// `false` (and nothing changed) when the number of streams differs.
    pub(crate) fn restore_image(&mut self, image: &[Vec<(i64, f64)>]) -> bool {
        if image.len() != self.streams.len() {
            return false;
        }
        for (stream, samples) in self.streams.iter_mut().zip(image) {
            stream.samples = samples.iter().copied().collect();
        }
        true
    }

    /// Samples held by `stream` (for tests and sizing).
    #[cfg(test)]
    pub(crate) fn held(&self, stream: u32) -> usize {
        self.streams
            .get(stream as usize)
            .map_or(0, |s| s.samples.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut watched = BTreeMap::new();
        watched.insert((0, 3), 100);
        watched.insert((0, 1), 50);
        watched.insert((2, 1), 10);
        History::new(3, &watched)
    }

    #[test]
    fn streams_are_found_by_sensor_and_metric() {
        let h = history();
        assert_eq!(h.len(), 3);
        assert!(h.stream(0, 1).is_some() && h.stream(0, 3).is_some());
        assert_eq!(h.stream(0, 2), None);
        assert_eq!(h.stream(1, 1), None);
        assert!(h.stream(2, 1).is_some());
        assert_eq!(h.stream(9, 1), None);
    }

    #[test]
    fn old_and_out_of_order_samples_are_dropped() {
        let mut h = history();
        let s = h.stream(2, 1).unwrap();
        for ts in [0, 5, 10, 3, 10, 15] {
            h.record(s, ts, ts as f64);
        }
        // lookback 10: at 15 the samples at 0 fell out; 3 and the second 10 were not newer.
        assert_eq!(h.held(s), 3);
        assert_eq!(h.latest(s, 12), Some(10.0));
        assert_eq!(h.latest(s, 4), None);
        assert_eq!(h.window(s, 5, 15).count, 3);
    }

    #[test]
    fn a_flooding_stream_is_capped() {
        let mut watched = BTreeMap::new();
        watched.insert((0, 0), i64::MAX);
        let mut h = History::new(1, &watched);
        for ts in 0..(MAX_SAMPLES_PER_STREAM as i64 + 100) {
            h.record(0, ts, 1.0);
        }
        assert_eq!(h.held(0), MAX_SAMPLES_PER_STREAM);
    }
}
