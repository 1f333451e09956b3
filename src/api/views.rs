//! The API's own answer types for stored warnings (with their level history), outbox rows with
//! their delivery attempts, people, tokens, faults and shadow findings: the store's records stay
//! the store's (they may gain columns without changing the contract), and these are what the
//! OpenAPI document describes. Each is built from its record field by field, so a column added
//! to a record reaches no answer until a view names it.

use crate::model::{
    AssetId, Case, Cause, DepartmentId, DistrictCode, DomainId, FaultKind, GenerationId, HazardId,
    Level, MetricId, Notification, Reading, Role, RuleId, SensorId, Source, Timestamp,
};
use crate::storage::{
    AttemptRecord, DeliveryRecord, FaultRecord, LevelChange, ShadowRecord, TokenRecord, UserRecord,
    WarningDetail, WarningRecord, WarningState,
};

/// A user.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UserView {
    /// Store-assigned id.
    id: i64,
    /// Name.
    name: String,
    /// Role.
    role: Role,
    /// Department (department users).
    department: Option<DepartmentId>,
    /// District (district users).
    district: Option<DistrictCode>,
    /// Clock time created.
    created_at: Timestamp,
}

impl From<UserRecord> for UserView {
    fn from(record: UserRecord) -> UserView {
        UserView {
            id: record.id,
            name: record.name,
            role: record.role,
            department: record.department,
            district: record.district,
            created_at: record.created_at,
        }
    }
}

/// A token (never the token itself).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenView {
    /// Store-assigned id.
    id: i64,
    /// The user it signs in as.
    user: i64,
    /// The token's first characters, to tell tokens apart in lists.
    prefix: String,
    /// Clock time created.
    created_at: Timestamp,
    /// Clock time of the last recorded sign-in.
    last_used_at: Option<Timestamp>,
    /// Clock time revoked.
    revoked_at: Option<Timestamp>,
}

impl From<TokenRecord> for TokenView {
    fn from(record: TokenRecord) -> TokenView {
        TokenView {
            id: record.id,
            user: record.user,
            prefix: record.prefix,
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            revoked_at: record.revoked_at,
        }
    }
}

/// A device fault.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct FaultView {
    /// Store-assigned id.
    id: i64,
    /// The sensor.
    sensor: SensorId,
    /// The metric.
    metric: MetricId,
    /// What is wrong.
    kind: FaultKind,
    /// Still active?
    active: bool,
    /// When raised.
    raised_at: Timestamp,
    /// When cleared.
    cleared_at: Option<Timestamp>,
    /// Detail for people.
    detail: String,
    /// Generation that raised it.
    generation: GenerationId,
}

impl From<FaultRecord> for FaultView {
    fn from(record: FaultRecord) -> FaultView {
        FaultView {
            id: record.id,
            sensor: record.sensor,
            metric: record.metric,
            kind: record.kind,
            active: record.active,
            raised_at: record.raised_at,
            cleared_at: record.cleared_at,
            detail: record.detail,
            generation: record.generation,
        }
    }
}

/// What a shadow rule would have raised.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ShadowView {
    /// Store-assigned id.
    id: i64,
    /// The shadow rule.
    rule: RuleId,
    /// The sensor it evaluated.
    sensor: SensorId,
    /// The asset.
    asset: AssetId,
    /// The hazard it would have contributed to.
    hazard: HazardId,
    /// Level before.
    from: Option<Level>,
    /// Level it would have moved to (`None`: it would have cleared).
    to: Option<Level>,
    /// Event time.
    ts: Timestamp,
    /// One line for people.
    message: String,
    /// Config generation in force.
    generation: GenerationId,
}

impl From<ShadowRecord> for ShadowView {
    fn from(record: ShadowRecord) -> ShadowView {
        ShadowView {
            id: record.id,
            rule: record.rule,
            sensor: record.sensor,
            asset: record.asset,
            hazard: record.hazard,
            from: record.from,
            to: record.to,
            ts: record.ts,
            message: record.message,
            generation: record.generation,
        }
    }
}

/// A warning.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct WarningView {
    /// Store-assigned id.
    id: i64,
    /// The asset.
    asset: AssetId,
    /// The hazard.
    hazard: HazardId,
    /// The asset's domain.
    domain: DomainId,
    /// Responsible district.
    district: DistrictCode,
    /// Department it is issued to.
    department: DepartmentId,
    /// Open or cleared.
    state: WarningState,
    /// Current level (the last level it had, once cleared).
    level: Level,
    /// Highest level it reached.
    peak_level: Level,
    /// Event time it opened.
    opened_at: Timestamp,
    /// Event time of the last change.
    updated_at: Timestamp,
    /// Event time it cleared, if it has.
    cleared_at: Option<Timestamp>,
    /// Rule of the last change.
    rule: RuleId,
    /// Sensor of the last change.
    sensor: SensorId,
    /// Generation of the last change.
    generation: GenerationId,
    /// Message of the last change.
    message: String,
    /// Upstream warnings whose cascades raised this one, as of its latest raise (a clear keeps
    /// them, so a cleared warning still says why it was raised).
    causes: Vec<Cause>,
    /// Raised by sensors, entered by a duty officer, or both merged.
    source: Source,
    /// An exercise (演练).
    drill: bool,
    /// Its workflow state, once the workflow has taken it up.
    case: Option<Case>,
}

impl From<WarningRecord> for WarningView {
    fn from(record: WarningRecord) -> WarningView {
        WarningView {
            id: record.id,
            asset: record.asset,
            hazard: record.hazard,
            domain: record.domain,
            district: record.district,
            department: record.department,
            state: record.state,
            level: record.level,
            peak_level: record.peak_level,
            opened_at: record.opened_at,
            updated_at: record.updated_at,
            cleared_at: record.cleared_at,
            rule: record.rule,
            sensor: record.sensor,
            generation: record.generation,
            message: record.message,
            causes: record.causes,
            source: record.source,
            drill: record.drill,
            case: record.case,
        }
    }
}

/// One entry of a warning's level history.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LevelChangeView {
    /// Order within the warning, from 1.
    seq: i64,
    /// Level before.
    from: Option<Level>,
    /// Level after (`None` when it cleared).
    to: Option<Level>,
    /// Event time.
    ts: Timestamp,
    /// The rule.
    rule: RuleId,
    /// The sensor.
    sensor: SensorId,
    /// Config generation that produced it.
    generation: GenerationId,
    /// Message for people.
    message: String,
    /// The readings that justified it.
    evidence: Vec<Reading>,
    /// Upstream warnings whose cascades raised its likelihood (empty when none).
    causes: Vec<Cause>,
    /// What a script returned as evidence or what a composite rule matched (`null` when none).
    details: serde_json::Value,
}

impl From<LevelChange> for LevelChangeView {
    fn from(record: LevelChange) -> LevelChangeView {
        LevelChangeView {
            seq: record.seq,
            from: record.from,
            to: record.to,
            ts: record.ts,
            rule: record.rule,
            sensor: record.sensor,
            generation: record.generation,
            message: record.message,
            evidence: record.evidence,
            causes: record.causes,
            details: record.details,
        }
    }
}

/// A warning with its whole level history.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct WarningDetailView {
    /// The warning.
    #[serde(flatten)]
    warning: WarningView,
    /// Every level change, oldest first.
    history: Vec<LevelChangeView>,
}

impl From<WarningDetail> for WarningDetailView {
    fn from(record: WarningDetail) -> WarningDetailView {
        WarningDetailView {
            warning: record.warning.into(),
            history: record.history.into_iter().map(Into::into).collect(),
        }
    }
}

/// One delivery attempt of a notification.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AttemptView {
    /// Outbox id.
    outbox: i64,
    /// Attempt number, from 1.
    attempt: u32,
    /// Worker that made it.
    worker: String,
    /// Clock time it started.
    started_at: Timestamp,
    /// Clock time it ended.
    ended_at: Timestamp,
    /// `delivered`, `failed` or `dead`.
    status: String,
    /// The receiver's message id.
    provider_id: Option<String>,
    /// What went wrong.
    error: Option<String>,
    /// Where it went.
    endpoint: String,
}

impl From<AttemptRecord> for AttemptView {
    fn from(record: AttemptRecord) -> AttemptView {
        AttemptView {
            outbox: record.outbox,
            attempt: record.attempt,
            worker: record.worker,
            started_at: record.started_at,
            ended_at: record.ended_at,
            status: record.status,
            provider_id: record.provider_id,
            error: record.error,
            endpoint: record.endpoint,
        }
    }
}

/// A notification of the outbox with its delivery state and attempts.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct DeliveryView {
    /// Outbox id.
    id: i64,
    /// The notification as the workflow wrote it.
    #[serde(flatten)]
    notification: Notification,
    /// Delivery status (`queued`, `delivering`, `delivered`, `failed`, `dead`).
    status: String,
    /// Attempts made (claims counted).
    attempts: u32,
    /// When the next attempt is due (while queued or failed).
    next_attempt_at: Option<Timestamp>,
    /// When it was delivered.
    delivered_at: Option<Timestamp>,
    /// The receiver's message id of the delivery.
    provider_id: Option<String>,
    /// The last attempt's error.
    last_error: Option<String>,
    /// Every attempt, oldest first.
    history: Vec<AttemptView>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(record: DeliveryRecord) -> DeliveryView {
        DeliveryView {
            id: record.record.id,
            notification: record.record.notification,
            status: record.record.status,
            attempts: record.attempts,
            next_attempt_at: record.next_attempt_at,
            delivered_at: record.delivered_at,
            provider_id: record.provider_id,
            last_error: record.last_error,
            history: record.history.into_iter().map(Into::into).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn warning() -> WarningRecord {
        WarningRecord {
            id: 7,
            asset: "well-1".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.gas".into(),
            state: WarningState::Cleared,
            level: Level::Orange,
            peak_level: Level::Red,
            opened_at: Timestamp(1_000),
            updated_at: Timestamp(2_000),
            cleared_at: Some(Timestamp(3_000)),
            rule: "gas.ch4.ladder".into(),
            sensor: "ch4-1".into(),
            generation: "g1".into(),
            message: "methane 2.1 %LEL".to_owned(),
            causes: Vec::new(),
            source: Source::Merged,
            drill: true,
            case: None,
        }
    }

    #[test]
    fn a_warning_answer_has_the_fields_and_values_the_record_had() {
        let change = LevelChange {
            seq: 1,
            from: None,
            to: Some(Level::Red),
            ts: Timestamp(1_000),
            rule: "gas.ch4.ladder".into(),
            sensor: "ch4-1".into(),
            generation: "g1".into(),
            message: "m".to_owned(),
            evidence: Vec::new(),
            causes: Vec::new(),
            details: serde_json::json!({"matched": 2}),
        };
        let detail = WarningDetail {
            warning: warning(),
            history: vec![change],
        };
        let record = serde_json::to_value(&detail).unwrap();
        let view = serde_json::to_value(WarningDetailView::from(detail)).unwrap();
        assert_eq!(view, record);
        assert_eq!(view["peak_level"], "red");
        assert_eq!(view["history"][0]["details"]["matched"], 2);
        let list = serde_json::to_value(WarningView::from(warning())).unwrap();
        assert_eq!(list, serde_json::to_value(warning()).unwrap());
    }
}
