//! Playing readings through an engine on a virtual clock, the way the server would have seen
//! them, but instantly: before each instant the clock reaches, the engine is ticked at every
//! rule deadline (`for` runs completing, clear countdowns ending) and offline deadline on the way,
//! in time order (so levels move and device faults appear when they would have), and then at the
//! instant itself. `tocsin test`, `tocsin replay` and its `--baseline` diff all drive the engine
//! through this one loop, so they cannot disagree about time.

use std::sync::Arc;

use crate::eval::Engine;
use crate::model::{Change, Clock, Generation, ManualClock, Reading, Timestamp};

/// An engine and the virtual clock it runs on.
#[derive(Debug)]
pub struct Playback {
    /// The engine, fresh for the generation.
    engine: Engine,
    /// Virtual time; only moves forward.
    clock: ManualClock,
}

impl Playback {
    /// A fresh engine for `generation` with the clock at `start`.
    pub fn new(generation: Arc<Generation>, start: Timestamp) -> Playback {
        let mut engine = Engine::new(generation);
        // every reading is here on time: deadlines fire the moment the clock passes them
        engine.set_deadline_grace(std::time::Duration::ZERO);
        Playback {
            engine,
            clock: ManualClock::new(start),
        }
    }

    /// Moves the clock to `to` (never backwards), ticking the engine at every rule deadline and
    /// offline deadline before `to`, in time order, and then at `to`; changes are appended to
    /// `out`. The engine stamps a rule deadline's changes with the deadline itself, so the result
    /// is the server's whatever its tick interval.
    pub fn advance(&mut self, to: Timestamp, out: &mut Vec<Change>) {
        loop {
            let rule = self.engine.next_deadline();
            let offline = self.engine.next_offline_check();
            let Some(due) = [rule, offline].into_iter().flatten().min() else {
                break;
            };
            if due >= to {
                break;
            }
            self.clock.set(due.max(self.clock.now()));
            let now = self.clock.now();
            self.engine.tick(now, out);
            // a deadline the tick did not move past would be ticked forever
            let rule_stuck = self.engine.next_deadline().is_some_and(|next| next <= now);
            let offline_stuck = self
                .engine
                .next_offline_check()
                .is_some_and(|next| next <= now);
            if rule_stuck || offline_stuck {
                break;
            }
        }
        self.clock.set(to);
        self.engine.tick(self.clock.now(), out);
    }

    /// Advances to `to` and closes that instant: rule deadlines at `to` itself fire too (no
    /// reading stamped `to` is still to come), so what is stamped `to` is seen at `to`. For
    /// actions and expectations, which come after the readings of their instant.
    pub fn advance_through(&mut self, to: Timestamp, out: &mut Vec<Change>) {
        self.advance(to, out);
        self.engine.close_instant(to, out);
    }

    /// Advances to the reading's time and evaluates it; changes are appended to `out`.
    pub fn feed(&mut self, reading: &Reading, out: &mut Vec<Change>) {
        self.advance(reading.ts, out);
        self.engine.evaluate(reading, out);
    }

    /// The script faults since the last call (rule, script position, message), oldest first.
    pub fn take_script_faults(&mut self) -> Vec<crate::script::ScriptFault> {
        self.engine.take_script_faults()
    }

    /// The engine, for its counters and inspection.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Virtual now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
