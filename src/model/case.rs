//! The workflow state of one warning (its case, 工单): which stage it is in, since when, which
//! escalation rung is due next, who it was issued to. One case per warning; the store keeps it in
//! the same row family as the warning, and the timer is a column of the case, so it survives a
//! restart and fires from the clock. Notifications are outbox rows written with the case.

use super::ids::{AssetId, DepartmentId, DistrictCode, DomainId, HazardId};
use super::level::Level;
use super::time::Timestamp;
use super::workflow::{Channel, StageId, WorkflowId};

/// Where a warning came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Raised by the engine from sensor readings.
    Sensor,
    /// Entered by a duty officer (hotline, citizen report, inspection).
    Manual,
    /// A manual report and a sensor warning for the same asset and hazard, merged.
    Merged,
}

impl Source {
    /// Stable name used in store and API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Sensor => "sensor",
            Source::Manual => "manual",
            Source::Merged => "merged",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<Source> {
        [Source::Sensor, Source::Manual, Source::Merged]
            .into_iter()
            .find(|source| source.as_str() == name)
    }
}

/// The next escalation timer of a case: rung `rung` of its stage's ladder is due at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Due {
    /// Clock time it fires.
    pub at: Timestamp,
    /// Index into the stage's `escalation` ladder.
    pub rung: u32,
}

/// The workflow state of one warning.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Case {
    /// The warning (store id).
    pub warning: i64,
    /// The workflow it follows.
    pub workflow: WorkflowId,
    /// Current stage.
    pub stage: StageId,
    /// Clock time it entered the stage (deadlines count from here).
    pub stage_since: Timestamp,
    /// The level the case last reacted to (issued or re-issued at).
    pub level: Level,
    /// An exercise (演练): CAP status `Exercise`, labelled messages, separate statistics.
    pub drill: bool,
    /// Escalation rungs of the current stage that have fired.
    pub rungs_fired: u32,
    /// The next timer, if the stage has a deadline and rungs left.
    pub due: Option<Due>,
    /// True once a supervision item (督办件) was opened.
    pub supervised: bool,
    /// Departments the warning was last issued to.
    pub issued_to: Vec<DepartmentId>,
    /// The last level-history entry (`seq`) the workflow reacted to.
    pub reacted_seq: i64,
    /// Clock time the case was opened.
    pub opened_at: Timestamp,
    /// Clock time it reached a terminal stage.
    pub closed_at: Option<Timestamp>,
    /// Optimistic-concurrency version: the store refuses a save whose version is not the stored
    /// one, and stores version + 1.
    pub version: i64,
}

/// A notification written to the outbox with the case change that caused it. Delivery (SMS,
/// e-mail, webhook) reads the outbox; the idempotency key makes a retried save a no-op.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Notification {
    /// Unique per (warning, cause, recipient, channel): e.g. `w12:issued:2:shenyang.gas_company:sms`.
    pub key: String,
    /// The warning.
    pub warning: i64,
    /// The department told.
    pub recipient: DepartmentId,
    /// The workflow's recipient word that named the department (`department_duty_leader`,
    /// `district_government`, `city_duty_office`, `lead_department`, ...; `department` for a
    /// department named by id, and for rows stored before the word was kept). The address book
    /// resolves it to the people on duty in that role (a duty leader, else the duty officer).
    pub audience: String,
    /// Channel.
    pub channel: Channel,
    /// Level at the time.
    pub level: Level,
    /// Exercise? The subject and body then start with `【演练】`.
    pub drill: bool,
    /// What caused it: `issued`, `escalation`, `supervision`, `reissued`, `recurred`, a stage name.
    pub reason: String,
    /// One line.
    pub subject: String,
    /// The text.
    pub body: String,
    /// Clock time queued.
    pub created_at: Timestamp,
}

impl Notification {
    /// The word of rows that name a department by id, and of rows stored before the word was
    /// kept: the department's duty officer is told.
    pub const DEPARTMENT_AUDIENCE: &'static str = "department";
}

/// A manual warning as a duty officer enters it (`POST /api/v1/warnings`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ManualWarning {
    /// The asset reported on.
    pub asset: AssetId,
    /// The hazard.
    pub hazard: HazardId,
    /// The asset's domain.
    pub domain: DomainId,
    /// The asset's district.
    pub district: DistrictCode,
    /// The domain's lead department.
    pub department: DepartmentId,
    /// The level the duty officer judged.
    pub level: Level,
    /// Where it came from: `hotline` (12345), `citizen`, `inspection`, `media`.
    pub channel: String,
    /// What was reported.
    pub message: String,
    /// An exercise?
    pub drill: bool,
    /// Clock time.
    pub at: Timestamp,
    /// Who entered it (`user:<id>`).
    pub actor: String,
}
