//! The workflow engine: runs a compiled [`Workflow`] for each warning (its [`Case`]).
//!
//! - [`machine`] is pure: given a workflow, the facts of a warning, its case and one [`Event`]
//!   (the engine moved the warning, a person took an action, a timer fired), it returns the next
//!   case with the notifications and audit entries to write, or a [`Refusal`]. `tocsin test` runs
//!   it in memory on a virtual clock; the server runs it through [`desk`].
//! - [`routing`] resolves recipients (owner, lead department, district government, issuing
//!   authority of a level, city duty office ...) to departments of the generation.
//! - [`desk`] is the service the server uses: it loads a case from the store, steps the machine
//!   and saves the result in one transaction (optimistic concurrency, retried), reacts to warnings
//!   the engine changed, fires due timers from the clock, and takes people's actions.

use crate::model::{
    AssetId, DepartmentId, DistrictCode, DomainId, Field, GenerationId, HazardId, Level, Role,
};

pub mod desk;
pub mod machine;
pub mod message;
pub mod routing;
#[cfg(test)]
mod tests;

pub use machine::{Step, step};

/// What the workflow needs to know about a warning.
#[derive(Clone, Debug, PartialEq)]
pub struct WarningFacts {
    /// Store id.
    pub id: i64,
    /// The asset.
    pub asset: AssetId,
    /// The hazard.
    pub hazard: HazardId,
    /// The asset's domain.
    pub domain: DomainId,
    /// The asset's district.
    pub district: DistrictCode,
    /// The domain's lead department.
    pub department: DepartmentId,
    /// Current level.
    pub level: Level,
    /// An exercise?
    pub drill: bool,
    /// The warning's latest message.
    pub message: String,
    /// Generation in force.
    pub generation: GenerationId,
}

/// A person's action request (`POST /api/v1/warnings/{id}/actions`).
#[derive(
    Clone, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The action (`acknowledge`, `close` ...).
    pub action: String,
    /// Free text (required by some actions).
    #[serde(default)]
    pub note: Option<String>,
    /// Evidence items: photo URLs, measurements (required by some actions).
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Something that happens to a warning's case.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'a> {
    /// The warning was opened (by the engine or a manual report): the case starts.
    Opened,
    /// The level rose.
    Raised {
        /// Before.
        from: Level,
        /// After.
        to: Level,
    },
    /// The level fell (after hysteresis).
    Lowered {
        /// Before.
        from: Level,
        /// After.
        to: Level,
    },
    /// The condition cleared.
    Cleared,
    /// The condition came back before the case was closed.
    Recurred {
        /// The level it came back at.
        level: Level,
    },
    /// A person took an action.
    Action {
        /// The request.
        request: &'a ActionRequest,
        /// Who (already checked for scope by the caller).
        actor: &'a crate::model::Principal,
    },
    /// The case's timer is due.
    Timer,
}

/// Why an action was refused. Each maps to a stable API error code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The workflow has no such action (`unknown_action`).
    #[error("workflow `{workflow}` has no action `{action}`{hint}")]
    UnknownAction {
        /// The workflow.
        workflow: String,
        /// The action asked for.
        action: String,
        /// ` ; did you mean ...` or empty.
        hint: String,
    },
    /// Not from the current stage (`action_not_allowed`).
    #[error("action `{action}` is not allowed in stage `{stage}` (allowed from: {allowed})")]
    WrongStage {
        /// The action.
        action: String,
        /// The current stage.
        stage: String,
        /// Stages it is allowed from, comma-separated.
        allowed: String,
    },
    /// The role may not take it (`forbidden`).
    #[error("role {role} may not take action `{action}`")]
    RoleNotAllowed {
        /// The action.
        action: String,
        /// The actor's role.
        role: Role,
    },
    /// A required field is missing (`missing_field`).
    #[error("action `{action}` requires `{}`", field.as_str())]
    MissingField {
        /// The action.
        action: String,
        /// The field.
        field: Field,
    },
}
