//! Persistence behind one [`Store`] trait, with an SQLite implementation (the embedded default, one
//! file) and a PostgreSQL one (shared, for scale). Both run the same test suite
//! (`tests/store.rs`). Queries are checked at run time (`sqlx::query`), so building needs no database.
//!
//! The store is the source of truth for what was acknowledged: readings are idempotent on
//! (sensor, metric, ts); at most one open warning exists per (asset, hazard), enforced by a unique
//! index, so a restart or a re-sent batch cannot duplicate one.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{
    AssetId, Case, Cause, Change, DepartmentId, DistrictCode, DomainId, FaultKind, GenerationId,
    HazardId, Level, MetricId, OpenAlarm, OpenFault, Reading, RuleId, SensorId, Source, SourceFile,
    Summary, Timestamp,
};

mod access;
mod access_sql;
mod ack;
mod audit;
mod audit_sql;
mod call_outcome;
mod case_sql;
mod cases;
mod db;
mod journal;
mod journal_sql;
mod manual_sql;
mod outbox;
mod outbox_postgres;
mod outbox_sql;
mod outbox_sqlite;
pub mod postgres;
mod report_runs;
mod report_runs_postgres;
mod report_runs_sqlite;
mod rows;
mod select;
mod shared;
mod silence;
mod silence_postgres;
mod silence_sqlite;
pub mod sqlite;
mod warning_sql;
mod workflow_rows;

/// Which backend a store URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// `sqlite://path` or `sqlite::memory:`.
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

/// Errors from the store, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported backend (shown with any password redacted).
    #[error("unsupported store url `{0}`: expected sqlite:// or postgres://")]
    UnsupportedUrl(String),
    /// Could not connect or open the file.
    #[error("cannot open store `{url}`: {source}")]
    Open {
        /// The URL with any password removed.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("store query `{operation}` failed: {source}")]
    Query {
        /// What the store was doing (e.g. `insert_readings`).
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A row held a value this version cannot read (e.g. an unknown level name).
    #[error("store row is corrupt in `{operation}`: {detail}")]
    Corrupt {
        /// What the store was doing.
        operation: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl StoreError {
    /// Whether trying the same operation again may succeed: the database chose this transaction
    /// as a deadlock victim or failed it on a serialization conflict (PostgreSQL), or the file
    /// was locked or busy (SQLite), or the connection was lost. Typical right after a crash,
    /// while the dead process's last transaction is still being rolled back.
    pub fn is_transient(&self) -> bool {
        let StoreError::Query { source, .. } = self else {
            return false;
        };
        match source {
            sqlx::Error::Database(error) => matches!(
                error.code().as_deref(),
                // deadlock, serialization failure, lock not available; SQLITE_BUSY, SQLITE_LOCKED
                Some("40P01" | "40001" | "55P03" | "5" | "6" | "261" | "517")
            ),
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
            _ => false,
        }
    }
}

/// Runs `operation` until it succeeds or fails with an error that is not
/// [transient](StoreError::is_transient), waiting 50 ms, 100 ms, ... up to 2 s between tries,
/// for at most `attempts` tries.
pub async fn retry_transient<T, F, Fut>(attempts: u32, mut operation: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut wait = std::time::Duration::from_millis(50);
    let mut tries = 1;
    loop {
        match operation().await {
            Err(error) if error.is_transient() && tries < attempts => {
                tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "store busy; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(2));
                tries += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Whether a warning is still open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WarningState {
    /// Level above none.
    Open,
    /// The condition cleared (after hysteresis).
    Cleared,
}

impl WarningState {
    /// Stable name used in the API and store.
    pub const fn as_str(self) -> &'static str {
        match self {
            WarningState::Open => "open",
            WarningState::Cleared => "cleared",
        }
    }
}

/// A warning as listed by the API.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct WarningRecord {
    /// Store-assigned id.
    pub id: i64,
    /// The asset.
    pub asset: AssetId,
    /// The hazard.
    pub hazard: HazardId,
    /// The asset's domain.
    pub domain: DomainId,
    /// Responsible district.
    pub district: DistrictCode,
    /// Department it is issued to.
    pub department: DepartmentId,
    /// Open or cleared.
    pub state: WarningState,
    /// Current level (the last level it had, once cleared).
    pub level: Level,
    /// Highest level it reached.
    pub peak_level: Level,
    /// Event time it opened.
    pub opened_at: Timestamp,
    /// Event time of the last change.
    pub updated_at: Timestamp,
    /// Event time it cleared, if it has.
    pub cleared_at: Option<Timestamp>,
    /// Rule of the last change.
    pub rule: RuleId,
    /// Sensor of the last change.
    pub sensor: SensorId,
    /// Generation of the last change.
    pub generation: GenerationId,
    /// Message of the last change.
    pub message: String,
    /// Upstream warnings whose cascades raised this one, as of its latest raise (a clear keeps
    /// them, so a cleared warning still says why it was raised).
    pub causes: Vec<Cause>,
    /// Raised by sensors, entered by a duty officer, or both merged.
    pub source: Source,
    /// An exercise (演练).
    pub drill: bool,
    /// Its workflow state, once the workflow has taken it up.
    pub case: Option<Case>,
}

/// One entry of a warning's level history.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LevelChange {
    /// Order within the warning, from 1.
    pub seq: i64,
    /// Level before.
    pub from: Option<Level>,
    /// Level after (`None` when it cleared).
    pub to: Option<Level>,
    /// Event time.
    pub ts: Timestamp,
    /// The rule.
    pub rule: RuleId,
    /// The sensor.
    pub sensor: SensorId,
    /// Config generation that produced it.
    pub generation: GenerationId,
    /// Message for people.
    pub message: String,
    /// The readings that justified it.
    pub evidence: Vec<Reading>,
    /// Upstream warnings whose cascades raised its likelihood (empty when none).
    pub causes: Vec<Cause>,
    /// What a script returned as evidence or what a composite rule matched (`null` when none).
    pub details: serde_json::Value,
}

/// A warning with its whole level history.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct WarningDetail {
    /// The warning.
    #[serde(flatten)]
    pub warning: WarningRecord,
    /// Every level change, oldest first.
    pub history: Vec<LevelChange>,
}

/// Filters for [`Store::warnings`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct WarningFilter {
    /// Open or cleared.
    pub state: Option<WarningState>,
    /// Exact current level.
    pub level: Option<Level>,
    /// Domain.
    pub domain: Option<DomainId>,
    /// District code.
    pub district: Option<DistrictCode>,
    /// Department.
    pub department: Option<DepartmentId>,
    /// Warnings a department user may see: the department is the warning's lead department or
    /// one it was issued to.
    pub visible_to_department: Option<DepartmentId>,
    /// Workflow stage (`issued`, `closed` ...).
    pub stage: Option<String>,
    /// Exercises only (`true`) or real warnings only (`false`).
    pub drill: Option<bool>,
    /// Cases whose timer is due at or before this instant (overdue items).
    pub due_before: Option<Timestamp>,
    /// Asset.
    pub asset: Option<AssetId>,
    /// Hazard.
    pub hazard: Option<HazardId>,
    /// Changed at or after this instant.
    pub since: Option<Timestamp>,
    /// At most this many, newest change first; `0` means no limit.
    pub limit: u32,
}

/// A device fault as listed by the API.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FaultRecord {
    /// Store-assigned id.
    pub id: i64,
    /// The sensor.
    pub sensor: SensorId,
    /// The metric.
    pub metric: MetricId,
    /// What is wrong.
    pub kind: FaultKind,
    /// Still active?
    pub active: bool,
    /// When raised.
    pub raised_at: Timestamp,
    /// When cleared.
    pub cleared_at: Option<Timestamp>,
    /// Detail for people.
    pub detail: String,
    /// Generation that raised it.
    pub generation: GenerationId,
}

/// A stored configuration generation: its text and summary, kept for auditors.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GenerationRecord {
    /// Short id.
    pub id: GenerationId,
    /// Full SHA-256.
    pub hash: String,
    /// When it was first stored (clock time).
    pub created_at: Timestamp,
    /// Counts.
    pub summary: Summary,
    /// Every source file's text.
    pub sources: Vec<SourceFile>,
}

/// A generation as `GET /config/generations` lists it: no source text, but when it went into
/// force and what changed then.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct GenerationListing {
    /// Short id.
    pub id: GenerationId,
    /// Full SHA-256.
    pub hash: String,
    /// When it was first stored (clock time).
    pub created_at: Timestamp,
    /// When it last went into force; `None` if it never did (stored, then refused or superseded
    /// before activation).
    pub activated_at: Option<Timestamp>,
    /// Counts.
    pub summary: Summary,
    /// What changed against the generation it replaced, as recorded at its latest activation
    /// (`null` when never activated); see `model::diff::GenerationDiff::to_json`.
    pub changes: serde_json::Value,
}

/// A shadow rule's finding as stored: what it would have raised.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ShadowRecord {
    /// Store-assigned id.
    pub id: i64,
    /// The shadow rule.
    pub rule: RuleId,
    /// The sensor it evaluated.
    pub sensor: SensorId,
    /// The asset.
    pub asset: AssetId,
    /// The hazard it would have contributed to.
    pub hazard: HazardId,
    /// Level before.
    pub from: Option<Level>,
    /// Level it would have moved to (`None`: it would have cleared).
    pub to: Option<Level>,
    /// Event time.
    pub ts: Timestamp,
    /// One line for people.
    pub message: String,
    /// Config generation in force.
    pub generation: GenerationId,
}

/// Filters for [`Store::shadow_findings`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct ShadowFilter {
    /// Only this rule's findings.
    pub rule: Option<RuleId>,
    /// At or after this event time.
    pub since: Option<Timestamp>,
    /// At most this many, newest first; `0` means no limit.
    pub limit: u32,
}

/// One migration this binary carries, and whether the store has applied it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MigrationStatus {
    /// Version (the timestamp prefix of the file name).
    pub version: i64,
    /// Description (the rest of the file name).
    pub description: String,
    /// Whether the store has applied it.
    pub applied: bool,
}

pub use access::{AccessStore, NewToken, NewUser, TokenRecord, UserRecord};
pub use ack::{AckStore, AckUse};
pub use audit::{AuditFilter, AuditStore};
pub use call_outcome::{CallMark, CallOutcome, CallOutcomeStore, CallRecord};
pub use cases::{CaseStore, CaseUpdate, ManualOutcome, OutboxFilter, OutboxRecord, SaveOutcome};
pub use journal::{EngineProgress, EngineSnapshotRecord, JournalBatch, JournalStore, Journaled};
pub use outbox::{
    AttemptOutcome, AttemptRecord, AttemptReport, ClaimedMessage, DeliveryFilter, DeliveryRecord,
    DeliveryStatus, OutboxStore, QueueCount, RetryOutcome,
};
pub use report_runs::{NewReportRun, ReportAttempt, ReportRun, ReportRunStatus, ReportRunStore};
pub use silence::{SilenceChange, SilenceFilter, SilenceStore, Suppression};

/// Everything Tocsin persists: readings, generations, engine output (this trait), workflow cases
/// and the outbox ([`CaseStore`]), the audit log ([`AuditStore`]), users and tokens
/// ([`AccessStore`]).
#[async_trait]
pub trait Store:
    CaseStore
    + CallOutcomeStore
    + AuditStore
    + AccessStore
    + JournalStore
    + OutboxStore
    + SilenceStore
    + AckStore
    + ReportRunStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies pending migrations (idempotent).
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Every migration this binary carries, oldest first, with whether it is applied.
    async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError>;

    /// Inserts a batch in one transaction, ignoring readings already stored (same sensor, metric,
    /// ts). Returns, in input order, whether each reading was new. Durable when it returns. The
    /// readings are not queued for evaluation (imports, tests); ingest uses
    /// [`JournalStore::commit_readings`].
    async fn insert_readings(&self, readings: &[Reading]) -> Result<Vec<bool>, StoreError>;

    /// Readings of one sensor, oldest first, within `[from, to]`, at most `limit` (`0`: no limit).
    async fn readings(
        &self,
        sensor: &SensorId,
        metric: Option<&MetricId>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<Reading>, StoreError>;

    /// The newest stored timestamp per (sensor, metric), ordered by sensor and metric: of every
    /// sensor (so a restarted engine ignores re-sent data; this scans the readings key), or of one
    /// sensor (one key range).
    async fn latest_reading_times(
        &self,
        sensor: Option<&SensorId>,
    ) -> Result<Vec<(SensorId, MetricId, Timestamp)>, StoreError>;

    /// Stores a generation's text and summary; storing the same id again changes nothing.
    async fn save_generation(&self, generation: &GenerationRecord) -> Result<(), StoreError>;

    /// A stored generation with its text.
    async fn generation(&self, id: &GenerationId) -> Result<Option<GenerationRecord>, StoreError>;

    /// Records that a stored generation went into force at `at`, with `changes` (the diff
    /// against the generation it replaced, as JSON). Activating it again (a rollback) moves its
    /// activation time and replaces its changes. Returns `false` when no generation has that id.
    async fn activate_generation(
        &self,
        id: &GenerationId,
        at: Timestamp,
        changes: &serde_json::Value,
    ) -> Result<bool, StoreError>;

    /// Stored generations, the most recently activated first, then never-activated ones newest
    /// first; at most `limit` (`0`: no limit).
    async fn generations(&self, limit: u32) -> Result<Vec<GenerationListing>, StoreError>;

    /// Applies engine output in one transaction: alarms are upserted or removed, warnings opened,
    /// moved (with a level-history entry, evidence, causes and details) or cleared, faults raised
    /// or cleared, shadow findings appended.
    async fn apply_changes(&self, changes: &[Change]) -> Result<(), StoreError>;

    /// Standing alarms, to restore engine state after a restart.
    async fn open_alarms(&self) -> Result<Vec<OpenAlarm>, StoreError>;

    /// Active faults, to restore engine state after a restart.
    async fn open_faults(&self) -> Result<Vec<OpenFault>, StoreError>;

    /// Warnings matching a filter, most recently changed first.
    async fn warnings(&self, filter: &WarningFilter) -> Result<Vec<WarningRecord>, StoreError>;

    /// One warning with its level history, if it exists.
    async fn warning(&self, id: i64) -> Result<Option<WarningDetail>, StoreError>;

    /// Shadow findings matching a filter, newest first.
    async fn shadow_findings(&self, filter: &ShadowFilter)
    -> Result<Vec<ShadowRecord>, StoreError>;

    /// Faults, active ones first, newest first, at most `limit` (`0`: no limit); optionally of one
    /// sensor.
    async fn faults(
        &self,
        sensor: Option<&SensorId>,
        limit: u32,
    ) -> Result<Vec<FaultRecord>, StoreError>;
}

/// Opens (and migrates) the store a URL names: `sqlite://FILE` (created if missing; add
/// `?synchronous=normal` to trade the last commits on power loss for speed), `sqlite::memory:`, or
/// `postgres://...`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store = connect(url).await?;
    store.migrate().await?;
    Ok(store)
}

/// Connects to the store a URL names without migrating it (for `tocsin migrate`, which reports
/// what it applies).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match backend_of(url)? {
        Backend::Sqlite => Arc::new(sqlite::SqliteStore::connect(url).await?),
        Backend::Postgres => Arc::new(postgres::PostgresStore::connect(url).await?),
    })
}

/// A URL fit for logs and errors: any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

/// The backend a URL selects.
pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(backend_of("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("sqlite://tocsin.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgresql://h/db").unwrap(), Backend::Postgres);
        assert!(matches!(
            backend_of("mysql://h/db"),
            Err(StoreError::UnsupportedUrl(url)) if url == "mysql://h/db"
        ));
        // a mistyped scheme must not put the password in a log line
        assert!(matches!(
            backend_of("postgress://tocsin:s3cret@h/db"),
            Err(StoreError::UnsupportedUrl(url)) if url == "postgress://tocsin:***@h/db"
        ));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://tocsin:s3cret@db:5432/tocsin?sslmode=require"),
            "postgres://tocsin:***@db:5432/tocsin?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/postgres"),
            "postgres://postgres@127.0.0.1/postgres"
        );
        assert_eq!(redact_url("sqlite://tocsin.db"), "sqlite://tocsin.db");
    }
}
