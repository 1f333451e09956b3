//! The bounded queue between the HTTP handlers and the batch writer. A handler `submit`s the
//! readings that passed the gate and gets a oneshot that resolves once they are committed; when
//! the queue is full, `submit` fails at once with [`IngestError::Full`] (the API answers 503 with
//! `Retry-After`), so memory never grows with load.
//!
//! Batches are not all alike: one may be a few bytes, another 16 MiB. So the queue also keeps a
//! budget of request-body bytes in flight ([`IngestQueue::reserve_bytes`]), shared by every
//! handler: a handler reserves a body's bytes before buffering it (its Content-Length up front,
//! or chunk by chunk as it reads) and holds the reservation until it has answered. When the
//! budget is spent, the request is refused at once with [`BudgetSpent`] (503 `overloaded`), so the
//! memory held by bodies stays bounded in bytes, whatever the number of clients.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

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
    /// Request-body bytes that may be held at once, one permit per byte.
    inflight: Arc<Semaphore>,
    /// The size of that budget.
    inflight_limit: usize,
}

/// Request-body bytes in flight when not configured (`ingest.max_inflight_bytes`).
pub const DEFAULT_INFLIGHT_BYTES: usize = 64 * 1024 * 1024;

/// The byte budget is spent: too many request bytes are being held already.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{limit} request bytes are in flight already")]
pub struct BudgetSpent {
    /// The budget's size.
    pub limit: usize,
}

/// Bytes of the in-flight budget held by one request; given back when dropped.
#[derive(Debug)]
pub struct BodyBytes {
    /// The budget's permits held.
    permit: Option<OwnedSemaphorePermit>,
    /// The budget, to reserve more.
    inflight: Arc<Semaphore>,
    /// The budget's size.
    limit: usize,
}

impl BodyBytes {
    /// Bytes held.
    pub fn held(&self) -> usize {
        self.permit
            .as_ref()
            .map_or(0, OwnedSemaphorePermit::num_permits)
    }

    /// Holds at least `total` bytes (at most the whole budget: a body larger than the budget
    /// holds all of it); fails at once when the budget cannot cover them now.
    pub fn grow_to(&mut self, total: usize) -> Result<(), BudgetSpent> {
        let wanted = total.min(self.limit);
        let more = wanted.saturating_sub(self.held());
        if more == 0 {
            return Ok(());
        }
        let more = u32::try_from(more).map_err(|_| BudgetSpent { limit: self.limit })?;
        let extra = Arc::clone(&self.inflight)
            .try_acquire_many_owned(more)
            .map_err(|_| BudgetSpent { limit: self.limit })?;
        match &mut self.permit {
            Some(permit) => permit.merge(extra),
            None => self.permit = Some(extra),
        }
        Ok(())
    }
}

/// The receiving side, owned by the [`super::Writer`].
#[derive(Debug)]
pub struct WriterInbox {
    /// Bounded channel from the handlers.
    pub(crate) receiver: mpsc::Receiver<WriterInput>,
}

/// A queue holding at most `capacity` batches (at least 1), with the default byte budget.
pub fn queue(capacity: usize) -> (IngestQueue, WriterInbox) {
    queue_with_budget(capacity, DEFAULT_INFLIGHT_BYTES)
}

/// A queue holding at most `capacity` batches (at least 1) and at most `inflight_bytes` of
/// request bodies in flight (at least 1, at most `u32::MAX`).
pub fn queue_with_budget(capacity: usize, inflight_bytes: usize) -> (IngestQueue, WriterInbox) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let limit = inflight_bytes.clamp(1, u32::MAX as usize);
    (
        IngestQueue {
            sender,
            inflight: Arc::new(Semaphore::new(limit)),
            inflight_limit: limit,
        },
        WriterInbox { receiver },
    )
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

    /// Reserves `bytes` of the in-flight budget (more may be added with
    /// [`BodyBytes::grow_to`]); fails at once when the budget cannot cover them now.
    pub fn reserve_bytes(&self, bytes: usize) -> Result<BodyBytes, BudgetSpent> {
        let mut held = BodyBytes {
            permit: None,
            inflight: Arc::clone(&self.inflight),
            limit: self.inflight_limit,
        };
        held.grow_to(bytes)?;
        Ok(held)
    }

    /// Request-body bytes held now.
    pub fn inflight_bytes(&self) -> usize {
        self.inflight_limit - self.inflight.available_permits()
    }

    /// Batches waiting for the writer.
    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_bytes_are_bounded_and_given_back() {
        let (queue, _inbox) = queue_with_budget(1, 100);
        let mut first = queue.reserve_bytes(60).unwrap();
        assert_eq!(queue.inflight_bytes(), 60);
        assert_eq!(
            queue.reserve_bytes(41).unwrap_err(),
            BudgetSpent { limit: 100 }
        );
        let second = queue.reserve_bytes(40).unwrap();
        assert!(first.grow_to(61).is_err());
        // growing within what is held already asks for nothing
        first.grow_to(50).unwrap();
        assert_eq!(first.held(), 60);
        drop(second);
        first.grow_to(90).unwrap();
        assert_eq!(queue.inflight_bytes(), 90);
        drop(first);
        assert_eq!(queue.inflight_bytes(), 0);
        // a body larger than the whole budget holds all of it, when free
        let all = queue.reserve_bytes(1_000).unwrap();
        assert_eq!(all.held(), 100);
        assert!(queue.reserve_bytes(1).is_err());
    }
}
