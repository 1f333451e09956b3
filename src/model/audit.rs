//! Audit entries: what happened, to what, by whom, when and under which configuration generation.
//! The store appends them hash-chained (`crate::audit::chain`) in the same transaction as the
//! change they record, so the log and the state never disagree.

use super::ids::GenerationId;
use super::time::Timestamp;

/// What an audit entry records. The names are stable (they are hashed into the chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The engine opened a warning.
    WarningOpened,
    /// The engine raised a warning's level.
    WarningRaised,
    /// The engine lowered a warning's level.
    WarningLowered,
    /// The engine cleared a warning (the condition is over).
    WarningCleared,
    /// The condition came back before the case was closed; the same warning is reopened.
    WarningReopened,
    /// A duty officer entered a manual warning (hotline, citizen report, inspection).
    WarningReported,
    /// A manual report was merged into an existing warning for the same asset and hazard.
    WarningMerged,
    /// A person took a workflow action.
    Transition,
    /// The workflow moved a warning by itself (cleared, recurrence, raise).
    AutoTransition,
    /// An action was refused (wrong stage, role, scope or missing field).
    TransitionRefused,
    /// A deadline timer fired (escalation rung).
    TimerFired,
    /// A notification was queued in the outbox.
    NotificationQueued,
    /// A configuration generation went into force.
    ConfigGeneration,
    /// A configuration reload was refused.
    ConfigRefused,
    /// A token was used to sign in (first use, then at most hourly).
    Login,
    /// A request was refused (no token, unknown token, role or scope).
    RequestRefused,
    /// A user and token were created.
    TokenCreated,
    /// A token was revoked.
    TokenRevoked,
    /// A notification reached its receiver (`src/notify`).
    NotifyDelivered,
    /// A delivery attempt failed; another is scheduled.
    NotifyFailed,
    /// A notification ran out of attempts (or failed permanently) and was escalated.
    NotifyDead,
    /// A person re-queued a failed or dead notification.
    NotifyRetried,
    /// A duty officer marked a phone call task's call as placed.
    NotifyCallPlaced,
    /// A duty officer marked a phone call task's call as answered (recorded only: acknowledging
    /// stays the person's workflow action).
    NotifyCallAnswered,
    /// A duty officer marked a phone call task's call as not answered; escalated like an
    /// undelivered message.
    NotifyCallUnanswered,
    /// A duty officer marked a phone call task's number as wrong; escalated like an undelivered
    /// message.
    NotifyCallWrongNumber,
    /// A notification was not sent because a silence covers its warning (`src/notify/silence.rs`).
    NotifySuppressed,
    /// A person created a silence or maintenance window.
    SilenceCreated,
    /// A second person confirmed a silence (it then covers red warnings too).
    SilenceConfirmed,
    /// A person ended a silence early.
    SilenceExpired,
    /// A scheduled report (the daily duty report) was accepted by the SMTP server.
    ReportSent,
    /// An attempt to send a scheduled report failed.
    ReportFailed,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 32] = [
        AuditAction::WarningOpened,
        AuditAction::WarningRaised,
        AuditAction::WarningLowered,
        AuditAction::WarningCleared,
        AuditAction::WarningReopened,
        AuditAction::WarningReported,
        AuditAction::WarningMerged,
        AuditAction::Transition,
        AuditAction::AutoTransition,
        AuditAction::TransitionRefused,
        AuditAction::TimerFired,
        AuditAction::NotificationQueued,
        AuditAction::ConfigGeneration,
        AuditAction::ConfigRefused,
        AuditAction::Login,
        AuditAction::RequestRefused,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::NotifyDelivered,
        AuditAction::NotifyFailed,
        AuditAction::NotifyDead,
        AuditAction::NotifyRetried,
        AuditAction::NotifyCallPlaced,
        AuditAction::NotifyCallAnswered,
        AuditAction::NotifyCallUnanswered,
        AuditAction::NotifyCallWrongNumber,
        AuditAction::NotifySuppressed,
        AuditAction::SilenceCreated,
        AuditAction::SilenceConfirmed,
        AuditAction::SilenceExpired,
        AuditAction::ReportSent,
        AuditAction::ReportFailed,
    ];

    /// Stable dotted name used in store, API and the hash.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::WarningOpened => "warning.opened",
            AuditAction::WarningRaised => "warning.raised",
            AuditAction::WarningLowered => "warning.lowered",
            AuditAction::WarningCleared => "warning.cleared",
            AuditAction::WarningReopened => "warning.reopened",
            AuditAction::WarningReported => "warning.reported",
            AuditAction::WarningMerged => "warning.merged",
            AuditAction::Transition => "workflow.transition",
            AuditAction::AutoTransition => "workflow.auto",
            AuditAction::TransitionRefused => "workflow.refused",
            AuditAction::TimerFired => "timer.fired",
            AuditAction::NotificationQueued => "notification.queued",
            AuditAction::ConfigGeneration => "config.generation",
            AuditAction::ConfigRefused => "config.refused",
            AuditAction::Login => "auth.login",
            AuditAction::RequestRefused => "auth.refused",
            AuditAction::TokenCreated => "token.created",
            AuditAction::TokenRevoked => "token.revoked",
            AuditAction::NotifyDelivered => "notify.delivered",
            AuditAction::NotifyFailed => "notify.failed",
            AuditAction::NotifyDead => "notify.dead",
            AuditAction::NotifyRetried => "notify.retried",
            AuditAction::NotifyCallPlaced => "notify.call_placed",
            AuditAction::NotifyCallAnswered => "notify.call_answered",
            AuditAction::NotifyCallUnanswered => "notify.call_unanswered",
            AuditAction::NotifyCallWrongNumber => "notify.call_wrong_number",
            AuditAction::NotifySuppressed => "notify.suppressed",
            AuditAction::SilenceCreated => "silence.created",
            AuditAction::SilenceConfirmed => "silence.confirmed",
            AuditAction::SilenceExpired => "silence.expired",
            AuditAction::ReportSent => "report.sent",
            AuditAction::ReportFailed => "report.failed",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<AuditAction> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
    }
}

/// An entry before the store numbers and chains it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AuditDraft {
    /// Clock time (event time for engine warning changes).
    pub at: Timestamp,
    /// `user:<id>` or `system:<part>` ([`super::access::Actor::id`]).
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// The warning concerned, if any.
    pub warning: Option<i64>,
    /// The generation in force.
    pub generation: Option<GenerationId>,
    /// What it happened to, for people and filters: `warning:12`, `token:3`, `GET /api/v1/audit`.
    pub subject: String,
    /// Everything else, as a JSON object (stored as compact text; hashed as stored).
    pub detail: serde_json::Value,
}

/// An entry as stored: numbered and chained.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// Clock time.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What (stable name of [`AuditAction`], kept as text so a tampered row still reads).
    pub action: String,
    /// The warning concerned.
    pub warning: Option<i64>,
    /// The generation in force.
    pub generation: Option<String>,
    /// Subject.
    pub subject: String,
    /// Detail exactly as stored (compact JSON text).
    pub detail: String,
    /// Hash of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this entry's fields (`crate::audit::chain::entry_hash`).
    pub hash: String,
}
