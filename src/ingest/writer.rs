//! The batch writer: drains the ingest queue, coalesces waiting batches up to the configured
//! number of readings, commits them with `JournalStore::commit_readings` (one transaction per
//! chunk, which also appends the new readings to the engine journal), answers each submission only
//! after its commit, and forwards the readings that were new - in order, with their journal
//! position - to the engine task through a second bounded channel. A full engine channel makes the
//! writer wait, which fills the ingest queue, which turns into 503s: back-pressure end to end.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::queue::{Committed, IngestError, Submission, WriterInbox, WriterInput};
use crate::model::{Reading, Timestamp};
use crate::storage::Store;
use crate::telemetry::Metrics;

/// What the engine task receives.
#[derive(Debug)]
pub enum EngineInput {
    /// Newly stored readings, in commit order, with their journal position (`None` for readings
    /// that were not journaled, e.g. fed straight to the engine by a test).
    Readings {
        /// Journal position of the batch.
        seq: Option<i64>,
        /// The readings.
        readings: Vec<Reading>,
    },
    /// A clock tick at this instant (offline checks).
    Tick(Timestamp),
    /// Answered once everything before it has been evaluated and its changes written.
    Flush(oneshot::Sender<()>),
}

/// The task that commits queued readings.
#[derive(Debug)]
pub struct Writer {
    /// Where handlers queue readings.
    inbox: WriterInbox,
    /// Where readings are committed.
    store: Arc<dyn Store>,
    /// Where new readings go for evaluation.
    engine: mpsc::Sender<EngineInput>,
    /// Counters and the write-latency histogram.
    metrics: Arc<Metrics>,
    /// Most readings in one transaction.
    batch_limit: usize,
    /// When cancelled, the queue is closed to new batches; what it holds is still committed.
    close: CancellationToken,
}

impl Writer {
    /// A writer committing at most `batch_limit` readings per transaction.
    pub fn new(
        inbox: WriterInbox,
        store: Arc<dyn Store>,
        engine: mpsc::Sender<EngineInput>,
        metrics: Arc<Metrics>,
        batch_limit: usize,
    ) -> Writer {
        Writer {
            inbox,
            store,
            engine,
            metrics,
            batch_limit: batch_limit.max(1),
            close: CancellationToken::new(),
        }
    }

    /// The same writer closing its queue when `close` is cancelled: new batches are refused
    /// (`IngestError::Closed`, 503 to a client), the batches already queued are committed and
    /// answered, then the writer ends - however many clones of the queue (routers) are still
    /// alive.
    pub fn closing_on(mut self, close: CancellationToken) -> Writer {
        self.close = close;
        self
    }

    /// Runs until every sender of the queue is gone, or the queue was closed, and the queue is
    /// drained.
    pub async fn run(mut self) {
        let close = self.close.clone();
        let mut closed = false;
        loop {
            let received = tokio::select! {
                received = self.inbox.receiver.recv() => received,
                () = close.cancelled(), if !closed => {
                    self.inbox.receiver.close();
                    closed = true;
                    tracing::debug!("ingest queue closed; committing what it holds");
                    continue;
                }
            };
            let Some(first) = received else {
                break;
            };
            let mut batches = Vec::new();
            let mut flush = None;
            let mut total = 0;
            match first {
                WriterInput::Batch(submission) => {
                    total += submission.readings.len();
                    batches.push(submission);
                }
                WriterInput::Flush(done) => flush = Some(done),
            }
            while flush.is_none() && total < self.batch_limit {
                match self.inbox.receiver.try_recv() {
                    Ok(WriterInput::Batch(submission)) => {
                        total += submission.readings.len();
                        batches.push(submission);
                    }
                    Ok(WriterInput::Flush(done)) => flush = Some(done),
                    Err(_) => break,
                }
            }
            self.metrics.set_queue_depth(self.inbox.receiver.len());
            if !batches.is_empty() {
                self.commit(batches).await;
            }
            if let Some(done) = flush
                && self.engine.send(EngineInput::Flush(done)).await.is_err()
            {
                tracing::error!("engine task stopped; flush not forwarded");
            }
        }
        tracing::debug!("ingest writer stopped");
    }

    /// Commits the batches chunk by chunk, answers them, and forwards each chunk's new readings
    /// with its journal position.
    async fn commit(&self, batches: Vec<Submission>) {
        let mut readings = Vec::with_capacity(batches.iter().map(|b| b.readings.len()).sum());
        let mut answers = Vec::with_capacity(batches.len());
        for submission in batches {
            answers.push((submission.readings.len(), submission.done));
            readings.extend(submission.readings);
        }
        let mut fresh = Vec::with_capacity(readings.len());
        let mut journaled = Vec::new();
        let mut failed = None;
        for chunk in readings.chunks(self.batch_limit) {
            let started = Instant::now();
            match self.store.commit_readings(chunk).await {
                Ok(committed) => {
                    self.metrics.store_write(started.elapsed());
                    journaled.push((committed.seq, chunk.len()));
                    fresh.extend(committed.new);
                }
                Err(error) => {
                    self.metrics.store_error();
                    tracing::error!(%error, readings = chunk.len(), "cannot store readings");
                    failed = Some(IngestError::Store(Arc::new(error)));
                    break;
                }
            }
        }
        if let Some(error) = failed {
            for (_, done) in answers {
                let _ = done.send(Err(error.clone()));
            }
            // Chunks committed before the failure stay stored and journaled; the client re-sends
            // and the store ignores what it already has. Evaluate what was committed.
            self.forward(readings, &fresh, &journaled).await;
            return;
        }
        if fresh.len() != readings.len() {
            tracing::error!(
                expected = readings.len(),
                got = fresh.len(),
                "store answered the wrong number of flags; treating the missing as duplicates"
            );
            fresh.resize(readings.len(), false);
        }
        let mut offset = 0;
        for (len, done) in answers {
            let new = fresh
                .get(offset..offset + len)
                .map_or(0, |flags| flags.iter().filter(|n| **n).count());
            offset += len;
            self.metrics
                .readings_committed(new as u64, (len - new) as u64);
            let _ = done.send(Ok(Committed {
                new,
                duplicate: len - new,
            }));
        }
        self.forward(readings, &fresh, &journaled).await;
    }

    /// Sends each committed chunk's new readings (flagged in `fresh`) to the engine task with
    /// the chunk's journal position, waiting for room.
    async fn forward(
        &self,
        readings: Vec<Reading>,
        fresh: &[bool],
        chunks: &[(Option<i64>, usize)],
    ) {
        let mut flagged = readings.into_iter().zip(fresh.iter().copied());
        for &(seq, len) in chunks {
            let new: Vec<Reading> = flagged
                .by_ref()
                .take(len)
                .filter(|(_, new)| *new)
                .map(|(r, _)| r)
                .collect();
            if new.is_empty() {
                continue;
            }
            let input = EngineInput::Readings { seq, readings: new };
            if self.engine.send(input).await.is_err() {
                tracing::error!("engine task stopped; stored readings are evaluated at restart");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::queue;

    fn reading(sensor: &str, ts: i64) -> Reading {
        Reading {
            sensor: sensor.into(),
            metric: "gas.ch4_adjacent".into(),
            value: 1.0,
            ts: Timestamp(ts),
        }
    }

    #[tokio::test]
    async fn waiting_batches_are_coalesced_and_only_new_readings_forwarded() {
        let store = crate::storage::open("sqlite::memory:").await.unwrap();
        let metrics = Arc::new(Metrics::new());
        let (ingest, inbox) = queue(8);
        let (engine_tx, mut engine_rx) = mpsc::channel(8);
        let first = ingest
            .submit(vec![reading("a", 1), reading("a", 2)])
            .unwrap();
        let second = ingest
            .submit(vec![reading("a", 2), reading("b", 1)])
            .unwrap();
        let third = ingest.submit(vec![reading("c", 1)]).unwrap();
        let writer = Writer::new(inbox, store, engine_tx, Arc::clone(&metrics), 10);
        let task = tokio::spawn(writer.run());

        let committed = |new, duplicate| Committed { new, duplicate };
        assert_eq!(first.await.unwrap().unwrap(), committed(2, 0));
        assert_eq!(second.await.unwrap().unwrap(), committed(1, 1));
        assert_eq!(third.await.unwrap().unwrap(), committed(1, 0));
        let Some(EngineInput::Readings {
            seq: Some(_),
            readings: forwarded,
        }) = engine_rx.recv().await
        else {
            panic!("expected one coalesced batch of readings");
        };
        let keys: Vec<(&str, i64)> = forwarded
            .iter()
            .map(|r| (r.sensor.as_str(), r.ts.millis()))
            .collect();
        assert_eq!(keys, vec![("a", 1), ("a", 2), ("b", 1), ("c", 1)]);

        let flushed = tokio::spawn({
            let ingest = ingest.clone();
            async move { ingest.flush().await }
        });
        let Some(EngineInput::Flush(done)) = engine_rx.recv().await else {
            panic!("expected the flush to reach the engine");
        };
        done.send(()).unwrap();
        flushed.await.unwrap().unwrap();
        drop(ingest);
        task.await.unwrap();
        let text = metrics.render();
        assert!(text.contains("tocsin_readings_accepted_total 5"), "{text}");
        assert!(text.contains("tocsin_readings_duplicate_total 1"), "{text}");
    }

    #[tokio::test]
    async fn a_closed_queue_commits_what_it_holds_refuses_more_and_ends_with_routers_alive() {
        let store = crate::storage::open("sqlite::memory:").await.unwrap();
        let metrics = Arc::new(Metrics::new());
        let (ingest, inbox) = queue(8);
        let (engine_tx, mut engine_rx) = mpsc::channel(8);
        let held = ingest.submit(vec![reading("a", 1)]).unwrap();
        let close = CancellationToken::new();
        let writer = Writer::new(inbox, store, engine_tx, Arc::clone(&metrics), 10)
            .closing_on(close.clone());
        close.cancel();
        let task = tokio::spawn(writer.run());
        // the batch queued before the close is committed and answered
        assert_eq!(
            held.await.unwrap().unwrap(),
            Committed {
                new: 1,
                duplicate: 0
            }
        );
        assert!(matches!(
            engine_rx.recv().await,
            Some(EngineInput::Readings { .. })
        ));
        // the writer ends although `ingest` (a router's clone) is still alive
        task.await.unwrap();
        assert!(matches!(
            ingest.submit(vec![reading("b", 1)]),
            Err(IngestError::Closed)
        ));
    }
}
