//! Validated domain types. Only `compile` builds them; they carry checked invariants (resolved
//! references, ordered ladders) and deliberately do not implement `Deserialize`.

pub mod access;
pub mod audit;
pub mod case;
pub mod change;
pub mod city;
pub mod coupling;
pub mod diff;
pub mod domain;
pub mod generation;
pub mod grading;
pub mod ids;
pub mod level;
pub mod reading;
pub mod rule;
pub mod silence;
pub mod time;
pub mod unit;
pub mod warning_policy;
pub mod workflow;

pub use access::{Actor, Principal, Role};
pub use audit::{AuditAction, AuditDraft, AuditEntry};
pub use case::{Case, Due, ManualWarning, Notification, Source};
pub use change::{
    AlarmChange, Change, FaultChange, FaultKind, OpenAlarm, OpenFault, ShadowFinding, WarningChange,
};
pub use city::{Asset, AssetIx, Contact, Department, District, GeoPoint, Sensor, SensorIx};
pub use coupling::{
    AssetFilter, Cascade, CascadeSource, CascadeTarget, Cause, Edge, EdgeOrigin, MAX_CASCADE_DEPTH,
    Receptor, ReceptorKind, Relation, SpatialLink,
};
pub use domain::{Direction, Domain, Ladder, Metric};
pub use generation::{Generation, GenerationParts, SourceFile, Summary};
pub use grading::{ConsequenceSpec, GRADES, Grading, ReceptorRule};
pub use ids::{
    AssetId, DepartmentId, DistrictCode, DomainId, GenerationId, HazardId, MetricId, RuleId,
    SensorId,
};
pub use level::{Level, level_name};
pub use reading::Reading;
pub use rule::{
    AlarmMatch, ClearPolicy, ClusterSpec, Combine, Neighbourhood, Persistence, RateSpec, Rule,
    RuleKind, ScriptSpec, SequenceSpec,
};
pub use time::{Clock, ManualClock, ScaledClock, SystemClock, Timestamp};
pub use workflow::{
    ActionId, AutoTransition, AutoTransitions, Channel, Field, NotificationPlan, NotifyOn,
    PerLevel, Recipient, Rung, Stage, StageId, Transition, Workflow, WorkflowId,
};
