//! The bounded queue between the HTTP handlers and the batch writer. A handler `submit`s the
//! readings that passed the gate and gets a oneshot that resolves once they are committed; when
//! the queue is full, `submit` fails at once with [`IngestError::Full`] (the API answers 503 with
//! `Retry-After`), so memory never grows with load.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::model::Reading;
use crate::storage::StoreError;

/// The outcome of one submission, once the writer committed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// Readings stored for the first time.
    pub new: usize,
    /// Readings that were already stored (same sensor, metric, ts): idempotent re-sends.
    pub duplicate: usize,
}

/// Why readings could not be queued or committed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum IngestError {
    /// The queue holds `capacity` batches already.
    #[error("ingest queue is full ({capacity} batches waiting)")]
    Full {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The writer has stopped (shutting down).
    #[error("ingest pipeline is shut down")]
    Closed,
    /// The store refused the batch; nothing of it is acknowledged.
    #[error("store write failed: {0}")]
    Store(Arc<StoreError>),
}

/// Readings for the writer plus where to send the answer.
#[derive(Debug)]
pub struct Submission {
    /// Readings that passed the gate, in batch order.
    pub readings: Vec<Reading>,
    /// Answered after the commit (or the failure).
    pub done: oneshot::Sender<Result<Committed, IngestError>>,
}

/// What the writer receives.
#[derive(Debug)]
pub enum WriterInput {
    /// Readings to commit.
    Batch(Submission),
    /// Answered once everything queued before it is committed and evaluated.
    Flush(oneshot::Sender<()>),
}

/// The sending side, shared by every handler.
#[derive(Clone, Debug)]
pub struct IngestQueue {
    /// Bounded channel to the writer.
    sender: mpsc::Sender<WriterInput>,
}

/// The receiving side, owned by the [`super::Writer`].
#[derive(Debug)]
pub struct WriterInbox {
    /// Bounded channel from the handlers.
    pub(crate) receiver: mpsc::Receiver<WriterInput>,
}

/// A queue holding at most `capacity` batches (at least 1).
pub fn queue(capacity: usize) -> (IngestQueue, WriterInbox) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    (IngestQueue { sender }, WriterInbox { receiver })
}

impl IngestQueue {
    /// Queues readings without waiting; the receiver resolves after the commit.
    pub fn submit(
        &self,
        readings: Vec<Reading>,
    ) -> Result<oneshot::Receiver<Result<Committed, IngestError>>, IngestError> {
        let (done, answer) = oneshot::channel();
        match self
            .sender
            .try_send(WriterInput::Batch(Submission { readings, done }))
        {
            Ok(()) => Ok(answer),
            Err(mpsc::error::TrySendError::Full(_)) => Err(IngestError::Full {
                capacity: self.sender.max_capacity(),
            }),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(IngestError::Closed),
        }
    }

    /// Waits until everything queued before this call is committed and evaluated.
    pub async fn flush(&self) -> Result<(), IngestError> {
        let (done, answer) = oneshot::channel();
        self.sender
            .send(WriterInput::Flush(done))
            .await
            .map_err(|_| IngestError::Closed)?;
        answer.await.map_err(|_| IngestError::Closed)
    }

    /// Batches waiting for the writer.
    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }
}
