//! Validated domain types. Only `compile` builds them; they carry checked invariants (resolved
//! references, ordered ladders) and deliberately do not implement `Deserialize`.

pub mod change;
pub mod city;
pub mod domain;
pub mod generation;
pub mod ids;
pub mod level;
pub mod reading;
pub mod rule;
pub mod time;
pub mod unit;

pub use change::{
    AlarmChange, Change, FaultChange, FaultKind, OpenAlarm, OpenFault, WarningChange,
};
pub use city::{Asset, AssetIx, Contact, Department, District, GeoPoint, Sensor, SensorIx};
pub use domain::{Direction, Domain, Ladder, Metric};
pub use generation::{Generation, GenerationParts, SourceFile, Summary};
pub use ids::{
    AssetId, DepartmentId, DistrictCode, DomainId, GenerationId, HazardId, MetricId, RuleId,
    SensorId,
};
pub use level::Level;
pub use reading::Reading;
pub use rule::{ClearPolicy, Combine, Persistence, RateSpec, Rule, RuleKind};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
