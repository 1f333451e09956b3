//! The engine's timer queue: for each stream, the event-time instant at which its rules' outcome
//! next changes without a reading (a pending `for` run completes, a clear countdown ends), kept in
//! a min-heap so that `Engine::tick` costs one comparison when nothing is due.
//!
//! Each stream has at most one armed deadline (`armed`); arming a new one leaves the old heap
//! entry behind, and such stale entries are skipped when popped (an entry is live only while it
//! equals its stream's armed deadline). The heap is compacted when stale entries outnumber the
//! streams, so it never holds more than about twice as many entries as there are streams.
//! The deadlines themselves are a pure function of rule state (`Engine::stream_deadline`), so the
//! queue is never saved: it is rebuilt from the state on restore.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// "No deadline".
pub(crate) const NONE: i64 = i64::MAX;

/// Armed deadlines, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// `(deadline, stream)` entries, live or stale.
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    /// Per stream: its armed deadline, or [`NONE`].
    armed: Vec<i64>,
}

impl Timers {
    /// An empty queue for `streams` streams.
    pub(crate) fn new(streams: usize) -> Timers {
        Timers {
            heap: BinaryHeap::new(),
            armed: vec![NONE; streams],
        }
    }

    /// Arms `stream` at `due` (event time), replacing its previous deadline; [`NONE`] disarms.
    pub(crate) fn arm(&mut self, stream: usize, due: i64) {
        let Some(slot) = self.armed.get_mut(stream) else {
            return;
        };
        if *slot == due {
            return;
        }
        *slot = due;
        if due != NONE {
            self.heap.push(Reverse((due, stream as u32)));
            if self.heap.len() > 2 * self.armed.len() + 64 {
                self.compact();
            }
        }
    }

    /// The earliest live deadline, dropping stale entries on the way.
    pub(crate) fn next(&mut self) -> Option<i64> {
        while let Some(&Reverse((due, stream))) = self.heap.peek() {
            if self.armed.get(stream as usize) == Some(&due) {
                return Some(due);
            }
            self.heap.pop();
        }
        None
    }

    /// Takes the earliest live deadline if `now` is past it, disarming its stream:
    /// `(deadline, stream)`.
    pub(crate) fn pop_due(&mut self, now: i64) -> Option<(i64, usize)> {
        let due = self.next()?;
        if due >= now {
            return None;
        }
        let Reverse((due, stream)) = self.heap.pop()?;
        let stream = stream as usize;
        self.armed[stream] = NONE;
        Some((due, stream))
    }

    /// Disarms every stream.
    pub(crate) fn clear(&mut self) {
        self.heap.clear();
        self.armed.fill(NONE);
    }

    /// Live entries (armed streams).
    #[cfg(test)]
    pub(crate) fn armed_count(&self) -> usize {
        self.armed.iter().filter(|d| **d != NONE).count()
    }

    /// Heap entries held, live or stale.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> usize {
        self.heap.len()
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Reverse<(i64, u32)>>()
            + self.armed.capacity() * std::mem::size_of::<i64>()
    }

    /// Drops the stale entries.
    #[cold]
    fn compact(&mut self) {
        let armed = &self.armed;
        self.heap
            .retain(|Reverse((due, stream))| armed.get(*stream as usize) == Some(due));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_come_out_earliest_first_and_only_when_due() {
        let mut timers = Timers::new(3);
        timers.arm(0, 50);
        timers.arm(1, 20);
        timers.arm(2, 30);
        assert_eq!(timers.next(), Some(20));
        assert_eq!(timers.pop_due(20), None);
        assert_eq!(timers.pop_due(31), Some((20, 1)));
        assert_eq!(timers.pop_due(31), Some((30, 2)));
        assert_eq!(timers.pop_due(31), None);
        assert_eq!(timers.next(), Some(50));
    }

    #[test]
    fn a_rearmed_stream_fires_once_at_its_new_deadline() {
        let mut timers = Timers::new(2);
        timers.arm(0, 10);
        timers.arm(0, 40);
        timers.arm(1, 20);
        timers.arm(1, NONE);
        assert_eq!(timers.next(), Some(40));
        assert_eq!(timers.pop_due(100), Some((40, 0)));
        assert_eq!(timers.pop_due(100), None);
        assert_eq!(timers.armed_count(), 0);
    }

    #[test]
    fn stale_entries_are_compacted() {
        let mut timers = Timers::new(4);
        for due in 0..10_000 {
            timers.arm((due % 4) as usize, due);
        }
        assert!(timers.entries() <= 2 * 4 + 64 + 1, "{}", timers.entries());
        assert_eq!(timers.armed_count(), 4);
        let fired: Vec<(i64, usize)> = std::iter::from_fn(|| timers.pop_due(i64::MAX)).collect();
        assert_eq!(fired, vec![(9996, 0), (9997, 1), (9998, 2), (9999, 3)]);
    }
}
