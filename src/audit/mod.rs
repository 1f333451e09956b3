//! The audit log's integrity and reading: [`chain`] computes each entry's hash from the previous
//! one; [`verify`](mod@verify) walks a log and finds the first entry that was changed, deleted or
//! replaced behind the engine's back, and says so in a [`report`]; [`page`](mod@page) and
//! [`timeline`] give the log to people a page at a time and a warning's life in order.

pub mod chain;
pub mod page;
pub mod report;
pub mod timeline;
pub mod verify;

pub use page::{AuditPage, page};
pub use report::{Anchor, BadAnchor, Break, BreakKind, Head, VerifyReport};
pub use timeline::TimelineEntry;
pub use verify::{verify, verify_in_pages};
