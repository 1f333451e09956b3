//! Silences and maintenance windows in the store ([`SilenceStore`], used by `crate::notify` and
//! the API): creating, listing, confirming and expiring them (each with its audit entry in the
//! same transaction), and marking claimed outbox rows `suppressed` with the silence id (with the
//! `notify.suppressed` audit entry). The SQL and the row type are shared here; the backends are
//! plain functions over their pools in `silence_sqlite.rs` and `silence_postgres.rs`. The
//! decisions (may this person confirm, is it still running) are the pure functions of
//! `crate::model::silence`, called inside the transaction on the row as locked.

use async_trait::async_trait;

use crate::model::silence::{
    Matchers, NewSilence, Silence, SilenceError, SilenceKind, check_confirm, check_expire,
};
use crate::model::{AuditDraft, Timestamp};

use super::StoreError;

/// Which silences [`SilenceStore::silences`] lists.
#[derive(Clone, Copy, Debug, Default)]
pub struct SilenceFilter {
    /// Only those still running (planned or active) after this instant, or, with `None`, all.
    pub ending_after: Option<Timestamp>,
    /// At most this many, newest first; `0` means no limit.
    pub limit: u32,
}

/// What a confirm or expire did.
#[derive(Clone, Debug, PartialEq)]
pub enum SilenceChange {
    /// Done; the silence as it is now.
    Done(Box<Silence>),
    /// No silence has that id.
    NotFound,
    /// Refused (self-confirmation, already ended, already confirmed); nothing written.
    Refused(SilenceError),
}

/// A claimed outbox row the worker found silenced.
#[derive(Clone, Debug)]
pub struct Suppression<'a> {
    /// Outbox id.
    pub id: i64,
    /// The worker holding the claim; a row no longer held by it is left alone.
    pub worker: &'a str,
    /// The attempt number of the claim.
    pub attempt: u32,
    /// The silence that suppresses it.
    pub silence: i64,
    /// Its `notify.suppressed` audit entry.
    pub audit: AuditDraft,
}

/// Silence persistence.
#[async_trait]
pub trait SilenceStore {
    /// Stores a checked silence starting at `starts_at`, created at `now`, with `audit`
    /// (`silence.created`; its subject and detail get the new id). Answers the stored silence.
    async fn create_silence(
        &self,
        new: &NewSilence,
        starts_at: Timestamp,
        now: Timestamp,
        audit: &AuditDraft,
    ) -> Result<Silence, StoreError>;

    /// One silence.
    async fn silence(&self, id: i64) -> Result<Option<Silence>, StoreError>;

    /// Silences, newest first.
    async fn silences(&self, filter: &SilenceFilter) -> Result<Vec<Silence>, StoreError>;

    /// Confirms a silence as `by` at `at` (a second person: see
    /// `crate::model::silence::check_confirm`), with `audit`.
    async fn confirm_silence(
        &self,
        id: i64,
        by: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<SilenceChange, StoreError>;

    /// Ends a silence now (`at`) as `by`, with `audit`.
    async fn expire_silence(
        &self,
        id: i64,
        by: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<SilenceChange, StoreError>;

    /// Marks claimed rows `suppressed` with their silence id and appends their audit entries, in
    /// one transaction. Answers, per row, whether it was written (`false`: the worker no longer
    /// holds the claim).
    async fn suppress_claimed(
        &self,
        suppressions: &[Suppression<'_>],
    ) -> Result<Vec<bool>, StoreError>;
}

/// Columns of a silence, in [`SilenceRow`] order.
pub(super) const COLUMNS: &str = "id, kind, asset, sensor, district, domain, hazard, starts_at, \
     ends_at, reason, author, created_at, confirmed_by, confirmed_at, expired_by, expired_at";

/// Inserts a silence; binds kind, the five matchers, start, end, reason, author, created.
pub(super) fn insert_sql() -> String {
    format!(
        "INSERT INTO silences (kind, asset, sensor, district, domain, hazard, starts_at, ends_at, \
         reason, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         RETURNING {COLUMNS}"
    )
}

/// One silence by id; `lock` is `""` or `" FOR UPDATE"`.
pub(super) fn one_sql(lock: &str) -> String {
    format!("SELECT {COLUMNS} FROM silences WHERE id = $1{lock}")
}

/// Silences, newest first; binds `ending_after` (or `i64::MIN`) and the limit (`i64::MAX` for
/// none, which both backends accept).
pub(super) fn list_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM silences WHERE ends_at > $1 \
         AND (expired_at IS NULL OR expired_at > $1) ORDER BY id DESC LIMIT $2"
    )
}

/// Which change a person asks of a silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ask {
    /// Confirm (a second person).
    Confirm,
    /// End it now.
    Expire,
}

impl Ask {
    /// The decision on the row as locked, and the SQL that carries it out.
    pub(super) fn decide(
        self,
        silence: &Silence,
        by: &str,
        at: Timestamp,
    ) -> Result<&'static str, SilenceError> {
        match self {
            Ask::Confirm => check_confirm(silence, by, at).map(|()| CONFIRM_SQL),
            Ask::Expire => check_expire(silence, at).map(|()| EXPIRE_SQL),
        }
    }

    /// The store operation's name.
    pub(super) const fn operation(self) -> &'static str {
        match self {
            Ask::Confirm => "confirm_silence",
            Ask::Expire => "expire_silence",
        }
    }
}

/// Confirms: binds by, at, id.
pub(super) const CONFIRM_SQL: &str =
    "UPDATE silences SET confirmed_by = $1, confirmed_at = $2 WHERE id = $3";

/// Expires: binds by, at, id.
pub(super) const EXPIRE_SQL: &str =
    "UPDATE silences SET expired_by = $1, expired_at = $2 WHERE id = $3";

/// Marks a claimed row suppressed: binds silence, id, worker, attempt.
pub(super) const SUPPRESS_SQL: &str = "UPDATE outbox SET status = 'suppressed', silenced_by = $1, \
     claimed_by = NULL, claimed_until = NULL \
     WHERE id = $2 AND claimed_by = $3 AND attempts = $4 AND status = 'sending'";

/// The `LIMIT` bind of a filter.
pub(super) fn limit_of(filter: &SilenceFilter) -> i64 {
    if filter.limit == 0 {
        i64::MAX
    } else {
        i64::from(filter.limit)
    }
}

/// The `ending_after` bind of a filter.
pub(super) fn ending_after_of(filter: &SilenceFilter) -> i64 {
    filter.ending_after.map_or(i64::MIN, Timestamp::millis)
}

/// A row of `silences`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct SilenceRow {
    /// Column `id`.
    id: i64,
    /// Column `kind`.
    kind: String,
    /// Column `asset`.
    asset: Option<String>,
    /// Column `sensor`.
    sensor: Option<String>,
    /// Column `district`.
    district: Option<String>,
    /// Column `domain`.
    domain: Option<String>,
    /// Column `hazard`.
    hazard: Option<String>,
    /// Column `starts_at`.
    starts_at: i64,
    /// Column `ends_at`.
    ends_at: i64,
    /// Column `reason`.
    reason: String,
    /// Column `author`.
    author: String,
    /// Column `created_at`.
    created_at: i64,
    /// Column `confirmed_by`.
    confirmed_by: Option<String>,
    /// Column `confirmed_at`.
    confirmed_at: Option<i64>,
    /// Column `expired_by`.
    expired_by: Option<String>,
    /// Column `expired_at`.
    expired_at: Option<i64>,
}

impl SilenceRow {
    /// The checked silence.
    pub(super) fn into_silence(self, operation: &'static str) -> Result<Silence, StoreError> {
        let kind = SilenceKind::parse(&self.kind).ok_or_else(|| StoreError::Corrupt {
            operation,
            detail: format!("silence {} has unknown kind `{}`", self.id, self.kind),
        })?;
        Ok(Silence {
            id: self.id,
            kind,
            matchers: Matchers {
                asset: self.asset.map(|v| v.as_str().into()),
                sensor: self.sensor.map(|v| v.as_str().into()),
                district: self.district.map(|v| v.as_str().into()),
                domain: self.domain.map(|v| v.as_str().into()),
                hazard: self.hazard.map(|v| v.as_str().into()),
            },
            starts_at: Timestamp(self.starts_at),
            ends_at: Timestamp(self.ends_at),
            reason: self.reason,
            author: self.author,
            created_at: Timestamp(self.created_at),
            confirmed_by: self.confirmed_by,
            confirmed_at: self.confirmed_at.map(Timestamp),
            expired_by: self.expired_by,
            expired_at: self.expired_at.map(Timestamp),
        })
    }
}

/// The audit entry of a created silence: its subject and detail name the id.
pub(super) fn created_audit(audit: &AuditDraft, silence: &Silence) -> AuditDraft {
    let mut draft = audit.clone();
    draft.subject = format!("silence:{}", silence.id);
    if let Some(detail) = draft.detail.as_object_mut() {
        detail.insert("silence".to_owned(), silence.id.into());
    }
    draft
}

/// The matcher binds of a new silence, in column order.
pub(super) fn matcher_binds(matchers: &Matchers) -> [Option<&str>; 5] {
    [
        matchers.asset.as_ref().map(|v| v.as_str()),
        matchers.sensor.as_ref().map(|v| v.as_str()),
        matchers.district.as_ref().map(|v| v.as_str()),
        matchers.domain.as_ref().map(|v| v.as_str()),
        matchers.hazard.as_ref().map(|v| v.as_str()),
    ]
}
