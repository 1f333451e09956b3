//! What the duty desk answers when it cannot do what was asked, each with a stable API code.

use crate::error::ErrorCode;
use crate::storage::StoreError;

use super::super::Refusal;

/// Why the desk refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No warning has that id (`not_found`).
    #[error("no warning `{0}`")]
    NotFound(i64),
    /// The warning is outside the user's department or district (`forbidden`).
    #[error("warning {warning} is outside your {scope}")]
    OutOfScope {
        /// The warning.
        warning: i64,
        /// `department` or `district`.
        scope: &'static str,
    },
    /// The workflow refused the action (`unknown_action`, `action_not_allowed`, `forbidden`,
    /// `missing_field`).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The case kept changing under the action (`case_conflict`).
    #[error(
        "warning {warning} changed {attempts} times while the action was applied; read it again and retry"
    )]
    Conflict {
        /// The warning.
        warning: i64,
        /// Attempts made.
        attempts: u32,
    },
    /// A manual report names an asset `city/` does not register (`unregistered_asset`).
    #[error("asset `{asset}` is not registered{hint}")]
    UnregisteredAsset {
        /// The asset asked for.
        asset: String,
        /// `; did you mean ...` or empty.
        hint: String,
    },
    /// A manual report names a hazard no rule of the asset's domain declares
    /// (`unmonitored_hazard`).
    #[error("hazard `{hazard}` is not monitored in domain `{domain}` of asset `{asset}`; {hint}")]
    UnknownHazard {
        /// The hazard asked for.
        hazard: String,
        /// The asset.
        asset: String,
        /// The asset's domain.
        domain: String,
        /// The hazards that are monitored, or the closest.
        hint: String,
    },
    /// A field of a manual report is empty or not one of the allowed values (`malformed_body`).
    #[error("`{field}` {problem}")]
    InvalidReport {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The configuration in force has no workflow or lead department for the domain (`internal`).
    #[error(
        "the configuration in force cannot route domain `{0}` (no workflow or no lead department)"
    )]
    NoWorkflow(String),
    /// The store failed (`store_unavailable`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeskError {
    /// The stable API code.
    pub fn code(&self) -> ErrorCode {
        match self {
            DeskError::NotFound(_) => ErrorCode::NotFound,
            DeskError::OutOfScope { .. } => ErrorCode::Forbidden,
            DeskError::Refused(refusal) => refusal.code(),
            DeskError::Conflict { .. } => ErrorCode::CaseConflict,
            DeskError::UnregisteredAsset { .. } => ErrorCode::UnregisteredAsset,
            DeskError::UnknownHazard { .. } => ErrorCode::UnmonitoredHazard,
            DeskError::InvalidReport { .. } => ErrorCode::MalformedBody,
            DeskError::NoWorkflow(_) => ErrorCode::Internal,
            DeskError::Store(_) => ErrorCode::StoreUnavailable,
        }
    }
}

/// A stable word for the audit log's `reason` of a refusal.
pub(crate) fn refusal_reason(refusal: &Refusal) -> &'static str {
    refusal.code().as_str()
}
