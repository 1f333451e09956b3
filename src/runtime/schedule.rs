//! The scheduled report task: sends the daily duty report (日报) by e-mail when `reports.daily`
//! in `tocsin.yaml` makes it due. Time comes from the injectable [`Clock`]: the task looks at the
//! clock every `notify.poll_interval` (like the delivery worker), so a test moves a
//! `ManualClock` past 08:00 instead of waiting.
//!
//! Each round ([`ReportScheduler::run_once`]):
//! 1. asks the pure `report::schedule::due_runs` which runs fell due since the last one recorded
//!    in `scheduled_reports` (or since this process started, when none is): the latest is
//!    recorded `pending`, older missed ones `skipped` - UNIQUE (kind, period) makes recording
//!    idempotent, so a restart never records (or sends) a period twice;
//! 2. sends every open run (`pending`, or `failed` with its retry due): builds the report of the
//!    day before the firing from the store, resolves the recipients, and sends it through the
//!    SMTP channel with `Message-ID` from (kind, period); the outcome (`sent`, `failed` with the
//!    next attempt after `notify::backoff`, or `dead`) is written with its `report.sent` /
//!    `report.failed` audit entry.
//!
//! A crash after the SMTP server accepted the message and before `sent` was written re-sends it
//! at the next start with the same `Message-ID`, which a mailbox drops: exactly once in effect.

use std::sync::{Arc, Mutex};

use time::UtcOffset;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::model::{AuditAction, AuditDraft, Clock, Generation, Timestamp};
use crate::notify::address::{AddressBook, FollowingAddressBook};
use crate::notify::backoff;
use crate::notify::settings::EmailSettings;
use crate::report::schedule::{DAILY, DailySchedule, due_runs, idempotency_key};
use crate::report::{self, mail};
use crate::settings::Settings;
use crate::storage::{NewReportRun, ReportAttempt, ReportRun, ReportRunStatus, Store, StoreError};
use crate::workflow::desk::Generations;

/// The offset when neither `reports.daily.timezone` nor the contacts give one: China's.
const DEFAULT_OFFSET_SECONDS: i32 = 8 * 3600;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportRound {
    /// Runs newly recorded as pending.
    pub recorded: usize,
    /// Missed runs recorded as skipped.
    pub skipped: usize,
    /// Runs sent.
    pub sent: usize,
    /// Attempts that failed (to retry or dead).
    pub failed: usize,
}

/// The scheduler of the daily report.
#[derive(Debug)]
pub struct ReportScheduler {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    generations: Arc<dyn Generations>,
    addresses: Arc<dyn AddressBook>,
    daily: DailySchedule,
    email: Option<EmailSettings>,
    notify: crate::notify::NotifySettings,
    /// When this scheduler started: with no run recorded, firings before it are not due.
    started: Timestamp,
    /// The latest firing acted on by this process (a firing whose day was already recorded
    /// leaves the store's latest run behind it).
    acted: Mutex<Option<Timestamp>>,
}

impl ReportScheduler {
    /// A scheduler for `settings.reports.daily` (`None` when it is not set).
    pub fn new(
        settings: &Settings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        generations: Arc<dyn Generations>,
    ) -> Option<ReportScheduler> {
        let daily = settings.reports.daily.clone()?;
        let addresses = Arc::new(FollowingAddressBook::new(
            &settings.notify,
            Arc::clone(&generations),
        ));
        let started = clock.now();
        Some(ReportScheduler {
            store,
            clock,
            generations,
            addresses,
            daily,
            email: settings.notify.email.clone(),
            notify: settings.notify.clone(),
            started,
            acted: Mutex::new(None),
        })
    }

    /// The offset of the schedule: `reports.daily.timezone`, else the contacts' timezone, else
    /// +08:00.
    fn offset(&self, generation: &Generation) -> UtcOffset {
        if let Some(offset) = self.daily.timezone {
            return offset;
        }
        let seconds = crate::contacts::from_generation(generation)
            .map(|directory| directory.rosters().offset_seconds)
            .unwrap_or(DEFAULT_OFFSET_SECONDS);
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// Records the runs fallen due by now and sends every open run whose attempt is due.
    pub async fn run_once(&self) -> Result<ReportRound, StoreError> {
        let now = self.clock.now();
        let generation = self.generations.current();
        let offset = self.offset(&generation);
        let mut round = ReportRound::default();

        let latest = self.store.latest_report_run(DAILY).await?;
        let acted = *self.acted.lock().unwrap_or_else(|e| e.into_inner());
        // with no run recorded, the firings before this process started are not due
        let after = match (latest.as_ref().map(|run| run.due_at), acted) {
            (None, None) => self.started,
            (stored, acted) => stored.max(acted).unwrap_or(self.started),
        };
        let due = due_runs(&self.daily.schedule, offset, after, now);
        if let Some(send) = due.send {
            let new_run = |run: &report::schedule::Run, status| NewReportRun {
                kind: DAILY.to_owned(),
                period: run.period(),
                due_at: run.due_at,
                status,
                message_id: crate::notify::email::message_id(&idempotency_key(
                    DAILY,
                    &run.period(),
                )),
            };
            let skipped: Vec<NewReportRun> = due
                .skipped
                .iter()
                .map(|run| new_run(run, ReportRunStatus::Skipped))
                .collect();
            if !skipped.is_empty() {
                round.skipped = self.store.record_report_runs(&skipped).await?;
                tracing::warn!(
                    skipped = round.skipped,
                    "daily reports missed while the server was down are recorded as skipped; \
                     the latest is sent"
                );
            }
            round.recorded = self
                .store
                .record_report_runs(&[new_run(&send, ReportRunStatus::Pending)])
                .await?;
            *self.acted.lock().unwrap_or_else(|e| e.into_inner()) = Some(send.due_at);
        }

        for run in self.store.due_report_runs(DAILY, now).await? {
            match self.attempt(&run, &generation, offset).await? {
                ReportRunStatus::Sent => round.sent += 1,
                _ => round.failed += 1,
            }
        }
        Ok(round)
    }

    /// One attempt to send `run`; answers the status written.
    async fn attempt(
        &self,
        run: &ReportRun,
        generation: &Arc<Generation>,
        offset: UtcOffset,
    ) -> Result<ReportRunStatus, StoreError> {
        let attempt = run.attempts + 1;
        let now = self.clock.now();
        let day = report::Day::parse(&run.period, offset).map_err(|error| StoreError::Corrupt {
            operation: "read a scheduled report",
            detail: error.to_string(),
        })?;
        let report = report::from_store(&*self.store, generation, day, now).await?;
        let message = mail::compose(&report, DAILY, self.daily.language, now);
        let directory = crate::contacts::from_generation(generation).ok();
        let to = mail::resolve(
            &self.daily.to,
            generation,
            directory.as_ref(),
            &*self.addresses,
            now,
        );
        let result = match &self.email {
            None => Err(crate::notify::SendError::Unusable(
                "reports.daily needs notify.email (the SMTP server)".to_owned(),
            )),
            Some(_) if to.is_empty() => Err(crate::notify::SendError::NoAddress {
                recipient: self.daily.to.join(", "),
                channel: "email",
            }),
            Some(email) => {
                mail::send(email, self.notify.attempt_timeout, to.clone(), &message).await
            }
        };
        let ended = self.clock.now();
        let (status, next, error, action) = match &result {
            Ok(_) => (ReportRunStatus::Sent, None, None, AuditAction::ReportSent),
            Err(error) => {
                let outcome =
                    backoff::after_failure(attempt, self.notify.max_attempts, error.retryable());
                let (status, next) = if outcome == crate::storage::AttemptOutcome::Failed {
                    let delay = backoff::retry_delay(
                        attempt,
                        self.notify.backoff.base,
                        self.notify.backoff.cap,
                        rand::random::<f64>(),
                    );
                    (ReportRunStatus::Failed, Some(ended.plus(delay)))
                } else {
                    (ReportRunStatus::Dead, None)
                };
                (
                    status,
                    next,
                    Some(format!("{}: {error}", error.code())),
                    AuditAction::ReportFailed,
                )
            }
        };
        let detail = serde_json::json!({
            "kind": DAILY,
            "period": run.period,
            "attempt": attempt,
            "status": status.as_str(),
            "to": to,
            "message_id": run.message_id,
            "subject": message.subject,
            "provider_id": result.as_ref().ok().and_then(|d| d.provider_id.clone()),
            "error": error,
            "next_attempt_at": next.map(Timestamp::millis),
        });
        let written = self
            .store
            .finish_report_attempt(&ReportAttempt {
                kind: DAILY.to_owned(),
                period: run.period.clone(),
                attempt,
                status,
                at: ended,
                next_attempt_at: next,
                error: error.clone(),
                audit: AuditDraft {
                    at: ended,
                    actor: "system:reports".to_owned(),
                    action,
                    warning: None,
                    generation: Some(generation.id.clone()),
                    subject: format!("report:{DAILY}:{}", run.period),
                    detail,
                },
            })
            .await?;
        if !written {
            tracing::warn!(period = %run.period, "scheduled report changed under this attempt");
        }
        match &error {
            None => tracing::info!(period = %run.period, "daily report sent"),
            Some(error) => tracing::warn!(period = %run.period, %error, "daily report not sent"),
        }
        Ok(status)
    }
}

/// Starts the task when `reports.daily` is set, after checking its recipients against the
/// generation in force (an unknown one: an error in the log, and no task). The task looks at the
/// clock every `notify.poll_interval`; a store error is logged and retried at the next look.
pub fn spawn(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    generations: Arc<dyn Generations>,
) -> Option<JoinHandle<()>> {
    let problems = crate::settings::check_reports(settings, &generations.current());
    if let Some(problem) = problems.first() {
        tracing::error!(%problem, "scheduled reports not started");
        return None;
    }
    let scheduler = ReportScheduler::new(settings, store, clock, generations)?;
    let every = settings
        .notify
        .poll_interval
        .max(std::time::Duration::from_millis(10));
    Some(tokio::spawn(async move {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            if let Err(error) = scheduler.run_once().await {
                tracing::warn!(%error, "scheduled reports: store error; trying again");
            }
        }
    }))
}
