//! The rule engine: per-sensor rule state, evaluated in event time on each reading, producing
//! alarm, warning and device-fault changes.

use std::sync::Arc;

use crate::model::{
    Change, Generation, MetricId, OpenAlarm, OpenFault, Reading, SensorId, Timestamp,
};

/// Evaluates readings against one generation's rules.
#[derive(Debug)]
pub struct Engine {
    generation: Arc<Generation>,
}

impl Engine {
    /// An engine with empty state for `generation`.
    pub fn new(generation: Arc<Generation>) -> Engine {
        Engine { generation }
    }

    /// The generation in force.
    pub fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// Restores state after a restart from what the store holds.
    pub fn restore(
        &mut self,
        alarms: &[OpenAlarm],
        faults: &[OpenFault],
        latest: &[(SensorId, MetricId, Timestamp)],
    ) {
        let _ = (alarms, faults, latest);
    }

    /// Evaluates one reading (already through the ingest gate), appending changes to `out`.
    pub fn evaluate(&mut self, reading: &Reading, out: &mut Vec<Change>) {
        let _ = (reading, out);
    }

    /// Advances the clock: raises offline faults for sensors that stopped reporting.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<Change>) {
        let _ = (now, out);
    }
}
