//! Reading configuration: discover the files of the shipped packs and a deployment directory,
//! parse YAML and CSV keeping positions, deserialize into raw structs, and report diagnostics.
//! Nothing here checks references between documents; that is `compile`'s job.

pub mod diagnostic;
pub mod duration;
pub mod format;
pub mod raw;
pub mod raw_workflow;
pub mod sources;
pub mod table;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use format::Positions;
pub use sources::{Body, Document, Layer, Loaded, read_all, rule_tests};
