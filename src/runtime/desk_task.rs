//! The desk task: runs the duty desk's rounds (react to what the engine wrote, then fire due
//! timers) one at a time. The engine task pokes it after every write and every clock tick;
//! `Runtime::flush`, `Runtime::tick_now` and `Runtime::settle` ask it to settle and wait for the
//! answer, so tests drive the whole chain with a `ManualClock` and never sleep.
//!
//! Pokes that arrive while a round runs are folded into one next round; a settle request is
//! answered only by a round that started after it arrived, so it sees everything written before.
//! A failed round (store down) is logged and retried at the next poke or tick; nothing is lost,
//! since pending reactions and due timers are queries over the store, not messages.

use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ingest::Gate;
use crate::model::Generation;
use crate::telemetry::Metrics;
use crate::workflow::desk::{Desk, Generations};

/// Messages the desk task waits for.
#[derive(Debug)]
pub(crate) enum DeskInput {
    /// Something was written or the clock moved: run a round soon.
    Poke,
    /// Run a round that starts after this message and answer when it is done.
    Settle(oneshot::Sender<()>),
}

/// Pending pokes and settle requests at most; a poke finding it full is redundant.
const CAPACITY: usize = 64;

/// The handle the engine task and the runtime use to wake the desk task.
#[derive(Clone, Debug)]
pub(crate) struct DeskSignal(mpsc::Sender<DeskInput>);

impl DeskSignal {
    /// Asks for a round without waiting. A full channel already holds a pending round.
    pub(crate) fn poke(&self) {
        let _ = self.0.try_send(DeskInput::Poke);
    }

    /// Runs a round that starts now and waits for it; returns at once when the task is gone.
    pub(crate) async fn settle(&self) {
        let (done, answer) = oneshot::channel();
        if self.0.send(DeskInput::Settle(done)).await.is_ok() {
            let _ = answer.await;
        }
    }
}

/// A signal whose pokes and settle requests arrive on the returned receiver instead of a desk
/// (tests of what the engine task has done by the time it wakes the desk).
#[cfg(test)]
pub(crate) fn probe() -> (DeskSignal, mpsc::Receiver<DeskInput>) {
    let (sender, receiver) = mpsc::channel(CAPACITY);
    (DeskSignal(sender), receiver)
}

/// Starts the desk task. It stops once every [`DeskSignal`] is dropped and its queue is drained.
pub(crate) fn spawn(desk: Desk, metrics: Arc<Metrics>) -> (DeskSignal, JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel(CAPACITY);
    (
        DeskSignal(sender),
        tokio::spawn(run(desk, metrics, receiver)),
    )
}

async fn run(desk: Desk, metrics: Arc<Metrics>, mut inbox: mpsc::Receiver<DeskInput>) {
    while let Some(first) = inbox.recv().await {
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(input) = next {
            if let DeskInput::Settle(done) = input {
                waiting.push(done);
            }
            next = inbox.try_recv().ok();
        }
        round(&desk, &metrics).await;
        for done in waiting {
            let _ = done.send(());
        }
    }
    tracing::debug!("desk task stopped");
}

/// One round, logged and counted.
pub(crate) async fn round(desk: &Desk, metrics: &Metrics) {
    match desk.run_round().await {
        Ok(round) => {
            metrics.desk_round(round.reacted, round.fired, round.left);
            if round.reacted + round.fired + round.left > 0 {
                tracing::debug!(
                    reacted = round.reacted,
                    fired = round.fired,
                    left = round.left,
                    "desk round"
                );
            }
        }
        Err(error) => {
            metrics.desk_round_failed();
            tracing::error!(%error, "desk round failed; retried at the next write or tick");
        }
    }
}

/// The desk reads the generation in force (and so the workflows) from the one active
/// configuration, which the engine task swaps in the same step as the engine.
impl Generations for ArcSwap<Gate> {
    fn current(&self) -> Arc<Generation> {
        Arc::clone(self.load().generation())
    }
}
