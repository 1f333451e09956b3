//! Feeds a [`Player`] into the ingest queue: on every beat, the readings whose time has come on
//! the clock go to the batch writer, as a sensor gateway's batch would (the recording is the
//! example's own, so it skips the HTTP gate). A batch the queue or the store refused is kept and
//! offered again on the next beat, so nothing is skipped.

use std::sync::Arc;
use std::time::Duration;

use super::Player;
use crate::ingest::{IngestError, IngestQueue};
use crate::model::{Clock, Reading};

/// Readings per batch.
const BATCH: usize = 1_000;

/// A player with the batch it still has to deliver.
#[derive(Debug)]
pub struct Feeder {
    /// What is played.
    player: Player,
    /// A batch not yet committed.
    waiting: Vec<Reading>,
}

impl Feeder {
    /// A feeder for `player`.
    pub fn new(player: Player) -> Feeder {
        Feeder {
            player,
            waiting: Vec::new(),
        }
    }

    /// The player (its lap, its next reading).
    pub fn player(&self) -> &Player {
        &self.player
    }

    /// Delivers every reading due at `now`, batch by batch, each committed before the next;
    /// returns how many were committed. On a refusal the batch is kept for the next call and the
    /// error returned; [`IngestError::Closed`] means the pipeline has stopped.
    pub async fn deliver(
        &mut self,
        queue: &IngestQueue,
        now: crate::model::Timestamp,
    ) -> Result<usize, IngestError> {
        let mut committed = 0;
        loop {
            if self.waiting.is_empty() {
                self.waiting = self.player.due(now, BATCH);
                if self.waiting.is_empty() {
                    return Ok(committed);
                }
            }
            let answer = queue.submit(self.waiting.clone())?;
            answer.await.map_err(|_| IngestError::Closed)??;
            committed += self.waiting.len();
            self.waiting.clear();
        }
    }

    /// Delivers on every beat until the pipeline stops; a full queue or a failed write is
    /// logged and retried on the next beat.
    pub async fn run(mut self, queue: IngestQueue, clock: Arc<dyn Clock>, beat: Duration) {
        let mut timer = tokio::time::interval(beat);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lap = self.player.lap();
        loop {
            timer.tick().await;
            match self.deliver(&queue, clock.now()).await {
                Ok(_) => {}
                Err(IngestError::Closed) => return,
                Err(error) => tracing::warn!(%error, "simulated readings wait for the next beat"),
            }
            if self.player.lap() != lap {
                lap = self.player.lap();
                tracing::info!(lap, "the simulated city starts the recording again");
            }
        }
    }
}
