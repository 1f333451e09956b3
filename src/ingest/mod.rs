//! The ingest path: a request body is parsed into items ([`body`]), each item goes through the
//! quality gate ([`gate`]) and the accepted readings are handed to a bounded queue ([`queue`])
//! that one batch writer ([`writer`]) drains into the store, off the request's hot path.
//!
//! Trade-off: the client waits for the commit (a reading acknowledged is durable), but never for
//! the engine: readings are evaluated after they are stored, by the engine task that the writer
//! feeds through a second bounded channel. Every queue is bounded, so overload turns into
//! 503 `overloaded` answers, never into unbounded memory.

pub mod body;
pub mod gate;
pub mod queue;
pub mod writer;

pub use body::{BodyError, BodyFormat, Item, WireReading, WireTs, parse_body};
pub use gate::{Gate, Rejection};
pub use queue::{Committed, IngestError, IngestQueue, Submission, WriterInbox, WriterInput, queue};
pub use writer::{EngineInput, Writer};
