//! The API's own answer types for stored people, tokens, faults and shadow findings: the store's
//! records stay the store's (they may gain columns without changing the contract), and these are
//! what the OpenAPI document describes. Each is built from its record field by field.

use crate::model::{
    AssetId, DepartmentId, DistrictCode, FaultKind, GenerationId, HazardId, Level, MetricId, Role,
    RuleId, SensorId, Timestamp,
};
use crate::storage::{FaultRecord, ShadowRecord, TokenRecord, UserRecord};

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
