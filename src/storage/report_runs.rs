//! Scheduled report runs in the store ([`ReportRunStore`], used by `crate::runtime::schedule`):
//! the `scheduled_reports` table, one row per report kind and period with UNIQUE (kind, period),
//! so a crash or a restart never records - and so never sends - one period's report twice.
//! Recording a run that exists changes nothing; each attempt's outcome is written with its audit
//! entry (`report.sent` / `report.failed`) in one transaction, and only while the row is still
//! open (`pending` or `failed`) at the attempt number the caller saw. The SQL and the row type are
//! shared here; the backends are plain functions over their pools in `report_runs_sqlite.rs` and
//! `report_runs_postgres.rs`.

use async_trait::async_trait;

use crate::model::{AuditDraft, Timestamp};

use super::StoreError;

/// Where a scheduled run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportRunStatus {
    /// Recorded, not yet attempted.
    Pending,
    /// An attempt failed; another is due at `next_attempt_at`.
    Failed,
    /// The SMTP server accepted it.
    Sent,
    /// Attempts ran out or a retry cannot help.
    Dead,
    /// Missed while the server was down, older than the latest missed run: never sent.
    Skipped,
}

impl ReportRunStatus {
    /// The word stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportRunStatus::Pending => "pending",
            ReportRunStatus::Failed => "failed",
            ReportRunStatus::Sent => "sent",
            ReportRunStatus::Dead => "dead",
            ReportRunStatus::Skipped => "skipped",
        }
    }

    /// Reads a stored word.
    pub fn parse(text: &str) -> Option<ReportRunStatus> {
        Some(match text {
            "pending" => ReportRunStatus::Pending,
            "failed" => ReportRunStatus::Failed,
            "sent" => ReportRunStatus::Sent,
            "dead" => ReportRunStatus::Dead,
            "skipped" => ReportRunStatus::Skipped,
            _ => return None,
        })
    }

    /// Still to be sent (`pending` or `failed`).
    pub const fn is_open(self) -> bool {
        matches!(self, ReportRunStatus::Pending | ReportRunStatus::Failed)
    }
}

/// One scheduled run as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportRun {
    /// Report kind (`daily`).
    pub kind: String,
    /// The period it covers (`2026-12-07`).
    pub period: String,
    /// When the schedule made it due.
    pub due_at: Timestamp,
    /// Where it stands.
    pub status: ReportRunStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (`failed`).
    pub next_attempt_at: Option<Timestamp>,
    /// The last attempt's error (`code: text`).
    pub last_error: Option<String>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<Timestamp>,
    /// The stable `Message-ID` of its e-mail.
    pub message_id: String,
}

/// A run to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReportRun {
    /// Report kind.
    pub kind: String,
    /// The period.
    pub period: String,
    /// When it fell due.
    pub due_at: Timestamp,
    /// `Pending` (to send) or `Skipped` (missed, never sent).
    pub status: ReportRunStatus,
    /// The stable `Message-ID`.
    pub message_id: String,
}

/// The outcome of one attempt to send a run.
#[derive(Clone, Debug)]
pub struct ReportAttempt {
    /// Report kind.
    pub kind: String,
    /// The period.
    pub period: String,
    /// This attempt's number, from 1 (the row must have `attempt - 1` attempts).
    pub attempt: u32,
    /// `Sent`, `Failed` (retry at `next_attempt_at`) or `Dead`.
    pub status: ReportRunStatus,
    /// When the attempt ended.
    pub at: Timestamp,
    /// The next attempt (`Failed`).
    pub next_attempt_at: Option<Timestamp>,
    /// The error (`Failed`, `Dead`).
    pub error: Option<String>,
    /// Its audit entry (`report.sent` / `report.failed`).
    pub audit: AuditDraft,
}

/// Scheduled report persistence.
#[async_trait]
pub trait ReportRunStore {
    /// Records runs in one transaction; a run whose (kind, period) exists is left as it is.
    /// Answers how many were new.
    async fn record_report_runs(&self, runs: &[NewReportRun]) -> Result<usize, StoreError>;

    /// The run of `kind` with the latest `due_at`, whatever its status.
    async fn latest_report_run(&self, kind: &str) -> Result<Option<ReportRun>, StoreError>;

    /// Every run of `kind`, by `due_at`.
    async fn report_runs(&self, kind: &str) -> Result<Vec<ReportRun>, StoreError>;

    /// Runs of `kind` still to send (`pending`, or `failed` with `next_attempt_at <= now`), by
    /// `due_at`.
    async fn due_report_runs(
        &self,
        kind: &str,
        now: Timestamp,
    ) -> Result<Vec<ReportRun>, StoreError>;

    /// Writes an attempt's outcome and its audit entry in one transaction, if the row is still
    /// open with `attempt - 1` attempts; answers whether it was written.
    async fn finish_report_attempt(&self, attempt: &ReportAttempt) -> Result<bool, StoreError>;
}

/// Columns read.
const COLUMNS: &str = "kind, period, due_at, status, attempts, next_attempt_at, last_error, \
                       sent_at, message_id";

/// Insert, leaving an existing (kind, period) alone.
pub(super) const INSERT_SQL: &str = "INSERT INTO scheduled_reports \
    (kind, period, due_at, status, message_id) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (kind, period) DO NOTHING";

/// The latest run of a kind.
pub(super) fn latest_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM scheduled_reports WHERE kind = $1 \
         ORDER BY due_at DESC, period DESC LIMIT 1"
    )
}

/// Every run of a kind.
pub(super) fn all_sql() -> String {
    format!("SELECT {COLUMNS} FROM scheduled_reports WHERE kind = $1 ORDER BY due_at, period")
}

/// Runs of a kind to send at `$2`.
pub(super) fn due_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM scheduled_reports WHERE kind = $1 \
         AND (status = 'pending' OR (status = 'failed' AND next_attempt_at <= $2)) \
         ORDER BY due_at, period"
    )
}

/// An attempt's outcome, only on an open row at the expected attempt count.
pub(super) const FINISH_SQL: &str = "UPDATE scheduled_reports SET status = $1, attempts = $2, \
    next_attempt_at = $3, last_error = $4, sent_at = $5 \
    WHERE kind = $6 AND period = $7 AND status IN ('pending', 'failed') AND attempts = $8";

/// A row of `scheduled_reports`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ReportRunRow {
    kind: String,
    period: String,
    due_at: i64,
    status: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_error: Option<String>,
    sent_at: Option<i64>,
    message_id: String,
}

impl ReportRunRow {
    /// The run, or a corrupt-row error naming `operation`.
    pub(super) fn into_run(self, operation: &'static str) -> Result<ReportRun, StoreError> {
        let status = ReportRunStatus::parse(&self.status).ok_or_else(|| StoreError::Corrupt {
            operation,
            detail: format!("unknown scheduled report status `{}`", self.status),
        })?;
        Ok(ReportRun {
            kind: self.kind,
            period: self.period,
            due_at: Timestamp(self.due_at),
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: self.next_attempt_at.map(Timestamp),
            last_error: self.last_error,
            sent_at: self.sent_at.map(Timestamp),
            message_id: self.message_id,
        })
    }
}

/// The values of [`FINISH_SQL`] `$1..$5` for an attempt.
pub(super) fn finish_values(
    attempt: &ReportAttempt,
) -> (&'static str, i64, Option<i64>, Option<&str>, Option<i64>) {
    let sent_at = (attempt.status == ReportRunStatus::Sent).then_some(attempt.at.millis());
    (
        attempt.status.as_str(),
        i64::from(attempt.attempt),
        attempt.next_attempt_at.map(Timestamp::millis),
        attempt.error.as_deref(),
        sent_at,
    )
}
