//! Plays a [`Recording`] in laps from an origin: lap `k` stamps each reading at
//! `origin + k * lap + offset`. Asked at any instant, the player hands out the readings whose time
//! has come, at most a given number at a time; when its next reading is a whole lap or more
//! behind (a suspended laptop), it skips to the lap in progress rather than flood the pipeline,
//! and the sensors are truthfully offline for the gap. A smaller backlog is played in full.

use std::sync::Arc;

use super::Recording;
use crate::model::{Reading, Timestamp};

/// A recording played in laps; see the module docs.
#[derive(Clone, Debug)]
pub struct Player {
    /// What is played.
    recording: Arc<Recording>,
    /// Where lap 0 starts.
    origin: Timestamp,
    /// The lap in progress.
    lap: i64,
    /// The next reading of the lap.
    next: usize,
}

impl Player {
    /// A player whose first reading is at `origin`.
    pub fn new(recording: Arc<Recording>, origin: Timestamp) -> Player {
        Player {
            recording,
            origin,
            lap: 0,
            next: 0,
        }
    }

    /// The lap in progress (0 first).
    pub fn lap(&self) -> i64 {
        self.lap
    }

    /// The time the next reading is stamped with.
    pub fn next_at(&self) -> Timestamp {
        let offset = self.recording.readings()[self.next].0;
        Timestamp(self.lap_start(self.lap) + offset)
    }

    /// Up to `limit` readings stamped at or before `now`, in order.
    pub fn due(&mut self, now: Timestamp, limit: usize) -> Vec<Reading> {
        let lap_length = self.recording.lap_millis();
        if now.millis() - self.next_at().millis() >= lap_length {
            self.lap = (now.millis() - self.origin.millis()).div_euclid(lap_length);
            self.next = 0;
        }
        let mut out = Vec::new();
        while out.len() < limit && self.next_at() <= now {
            let (offset, recorded) = &self.recording.readings()[self.next];
            out.push(Reading {
                ts: Timestamp(self.lap_start(self.lap) + offset),
                ..recorded.clone()
            });
            self.next += 1;
            if self.next == self.recording.len() {
                self.next = 0;
                self.lap += 1;
            }
        }
        out
    }

    fn lap_start(&self, lap: i64) -> i64 {
        self.origin.millis() + lap * self.recording.lap_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sensors every minute for three minutes (0, 1, 2 min): laps of 3 minutes.
    fn recording() -> Arc<Recording> {
        let mut text = String::new();
        for minute in 0..3 {
            for sensor in ["a", "b"] {
                text.push_str(&format!(
                    "{{\"sensor\":\"{sensor}\",\"metric\":\"m\",\"value\":{minute},\"ts\":{}}}\n",
                    1_000_000 + minute * 60_000
                ));
            }
        }
        Arc::new(Recording::parse(&text).unwrap())
    }

    fn times(readings: &[Reading]) -> Vec<i64> {
        readings.iter().map(|r| r.ts.millis()).collect()
    }

    #[test]
    fn readings_come_when_their_time_has_come_and_laps_follow_each_other() {
        let origin = Timestamp(10_000_000);
        let mut player = Player::new(recording(), origin);
        assert!(player.due(Timestamp(origin.millis() - 1), 100).is_empty());
        assert_eq!(times(&player.due(origin, 100)), vec![10_000_000; 2]);
        assert_eq!(player.next_at(), Timestamp(10_060_000));
        // the rest of lap 0 and the first minute of lap 1 (which starts at +3 min)
        let due = player.due(Timestamp(10_180_000), 100);
        assert_eq!(
            times(&due),
            vec![
                10_060_000, 10_060_000, 10_120_000, 10_120_000, 10_180_000, 10_180_000
            ]
        );
        assert_eq!(player.lap(), 1);
        assert_eq!(due[4].value, 0.0, "lap 1 starts the recording again");
        assert_eq!(due[4].sensor.as_str(), "a");
    }

    #[test]
    fn at_most_the_limit_comes_at_once() {
        let origin = Timestamp(0);
        let mut player = Player::new(recording(), origin);
        assert_eq!(player.due(Timestamp(120_000), 4).len(), 4);
        assert_eq!(player.due(Timestamp(120_000), 4).len(), 2);
        assert!(player.due(Timestamp(120_000), 4).is_empty());
    }

    #[test]
    fn a_player_far_behind_skips_to_the_lap_in_progress() {
        let origin = Timestamp(0);
        let mut player = Player::new(recording(), origin);
        // ten laps (30 min) later, a minute into lap 10
        let due = player.due(Timestamp(30 * 60_000 + 60_000), 100);
        assert_eq!(player.lap(), 10);
        assert_eq!(
            times(&due),
            vec![1_800_000, 1_800_000, 1_860_000, 1_860_000]
        );
    }
}
