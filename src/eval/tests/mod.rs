//! Engine tests on a hand-built generation: exact changes for each primitive, end to end.

mod faults;
pub(crate) mod fixture;
pub(crate) mod judgement;
mod restore;
mod rules;
mod time;

use std::sync::Arc;

use crate::model::{Change, Generation, Reading};

use super::Engine;

/// Evaluates `readings` in order and returns every change.
fn run(engine: &mut Engine, readings: &[Reading]) -> Vec<Change> {
    let mut out = Vec::new();
    for reading in readings {
        engine.evaluate(reading, &mut out);
    }
    out
}

/// A fresh engine for `generation`.
pub(crate) fn engine(generation: &Arc<Generation>) -> Engine {
    Engine::new(Arc::clone(generation))
}
