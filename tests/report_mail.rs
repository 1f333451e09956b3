//! The scheduled daily report (日报) by e-mail: a running server whose `ManualClock` passes 08:00
//! (+08:00) sends the report of the day before to a real SMTP server (aiosmtpd, tests/receivers/),
//! whose received MIME message is read back with Python's own `email` parser; a restart does not
//! send it again; a server down over two 08:00s sends the latest report once and records the older
//! one as skipped; a deferring server gets retries paced by `notify::backoff`. The
//! `scheduled_reports` store runs on SQLite and PostgreSQL (UNIQUE (kind, period)).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
#[allow(dead_code, reason = "this suite uses only the SMTP receiver")]
mod receivers;
mod store_support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tocsin::model::{AuditAction, AuditDraft, Clock, ManualClock, Timestamp};
use tocsin::report::schedule::{DAILY, idempotency_key};
use tocsin::runtime::Runtime;
use tocsin::runtime::schedule::{ReportRound, ReportScheduler};
use tocsin::settings::{self, Settings};
use tocsin::storage::{self, AuditFilter, NewReportRun, ReportAttempt, ReportRunStatus, Store};
use tocsin::workflow::desk::{FixedGeneration, Generations};

/// `YYYY-MM-DDTHH:MM:SS.mmm` at +08:00.
fn cst(text: &str) -> Timestamp {
    let at = time::OffsetDateTime::parse(
        &format!("{text}+08:00"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    Timestamp(i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap())
}

/// Settings from a `tocsin.yaml` sending the daily report through the SMTP server on `port`.
fn settings_for(port: u16, dir: &std::path::Path) -> Settings {
    let yaml = format!(
        "version: 1\n\
         notify:\n  email: {{url: 'smtp://127.0.0.1:{port}', from: 'Tocsin <tocsin@city.example>'}}\n  \
         addresses: {{default: {{email: [office@city.example]}}}}\n  \
         poll_interval_ms: 20\n  backoff_base_ms: 1000\n  backoff_cap_ms: 1000\n  \
         max_attempts: 3\n  attempt_timeout_ms: 3000\n\
         reports:\n  daily:\n    cron: '0 0 8 * * *'\n    \
         to: [city_duty_office, lead@city.example]\n    language: en\n    timezone: '+08:00'\n"
    );
    std::fs::write(dir.join("tocsin.yaml"), yaml).unwrap();
    settings::load(dir).unwrap()
}

/// The MIME message as Python's `email` package reads it: subject, Message-ID, To, and the text
/// and HTML parts decoded.
fn parse(mail: &str) -> serde_json::Value {
    let script = r#"
import email, email.policy, json, sys
msg = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
print(json.dumps({
    "subject": str(msg["Subject"]),
    "message_id": str(msg["Message-ID"]),
    "to": str(msg["To"]),
    "type": msg.get_content_type(),
    "text": msg.get_body(("plain",)).get_content(),
    "html": msg.get_body(("html",)).get_content(),
}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(mail.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits (at most 20 s) until the SMTP server holds `count` messages.
async fn wait_for_mails(server: &receivers::Receiver, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails = server.mails();
        if mails.len() >= count || Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn scheduler(settings: &Settings, store: &Arc<dyn Store>, clock: &ManualClock) -> ReportScheduler {
    let generation = Arc::new(tocsin::compile::load(None).unwrap());
    ReportScheduler::new(
        settings,
        Arc::clone(store),
        Arc::new(clock.clone()) as Arc<dyn Clock>,
        Arc::new(FixedGeneration(generation)) as Arc<dyn Generations>,
    )
    .unwrap()
}

async fn actions(store: &Arc<dyn Store>) -> Vec<String> {
    store
        .audit(&AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .filter(|action| action.starts_with("report."))
        .collect()
}

#[tokio::test]
async fn the_daily_report_is_mailed_once_when_the_clock_passes_eight() {
    let Some(server) = receivers::smtp("accept") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_for(server.port, dir.path());
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = storage::open(&url).await.unwrap();
    let generation = Arc::new(tocsin::compile::load(None).unwrap());
    let clock = ManualClock::new(cst("2026-12-08T07:59:59.999"));

    // a running server: the report task follows the clock
    let runtime = Runtime::start(
        &settings,
        Arc::clone(&generation),
        Arc::clone(&store),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    // 1 ms before 08:00 a round of the same scheduler finds nothing due
    let early = scheduler(&settings, &store, &clock)
        .run_once()
        .await
        .unwrap();
    assert_eq!(early, ReportRound::default());
    clock.set(cst("2026-12-08T08:00:00.000"));
    let mails = wait_for_mails(&server, 1).await;
    runtime.shutdown().await;
    assert_eq!(mails.len(), 1, "the report was not sent");

    let mail = parse(&mails[0]);
    assert_eq!(mail["subject"], "Daily duty report 2026-12-07");
    assert_eq!(
        mail["message_id"],
        format!("<{}@tocsin>", idempotency_key(DAILY, "2026-12-07"))
    );
    assert_eq!(mail["type"], "multipart/alternative");
    let to = mail["to"].as_str().unwrap();
    assert!(
        to.contains("office@city.example") && to.contains("lead@city.example"),
        "{to}"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.starts_with("# 城市安全风险监测预警日报 2026-12-07"),
        "{text}"
    );
    assert!(text.contains("## 一、概况 Summary"), "{text}");
    assert!(
        text.contains("2026-12-07 00:00 — 2026-12-08 00:00"),
        "{text}"
    );
    let html = mail["html"].as_str().unwrap();
    assert!(
        html.contains("<h1>Daily duty report 2026-12-07</h1>"),
        "{html}"
    );
    assert!(
        html.contains("# 城市安全风险监测预警日报 2026-12-07"),
        "{html}"
    );

    let runs = store.report_runs(DAILY).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].period, "2026-12-07");
    assert_eq!(runs[0].status, ReportRunStatus::Sent);
    assert_eq!(runs[0].attempts, 1);
    assert_eq!(runs[0].due_at, cst("2026-12-08T08:00:00.000"));
    assert_eq!(actions(&store).await, ["report.sent"]);
    drop(store);

    // a restart later that morning: nothing is sent again
    clock.set(cst("2026-12-08T08:30:00.000"));
    let store = storage::open(&url).await.unwrap();
    let restarted = Runtime::start(
        &settings,
        Arc::clone(&generation),
        Arc::clone(&store),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    let round = scheduler(&settings, &store, &clock)
        .run_once()
        .await
        .unwrap();
    restarted.shutdown().await;
    assert_eq!(round, ReportRound::default());
    assert_eq!(server.mails().len(), 1);

    // down over the next two 08:00s: the latest report is sent once, the older one skipped
    clock.set(cst("2026-12-10T09:00:00.000"));
    let after_outage = scheduler(&settings, &store, &clock);
    let round = after_outage.run_once().await.unwrap();
    assert_eq!(
        round,
        ReportRound {
            recorded: 1,
            skipped: 1,
            sent: 1,
            failed: 0
        }
    );
    assert_eq!(
        after_outage.run_once().await.unwrap(),
        ReportRound::default()
    );
    let mails = server.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(parse(&mails[1])["subject"], "Daily duty report 2026-12-09");
    let runs: Vec<(String, ReportRunStatus)> = store
        .report_runs(DAILY)
        .await
        .unwrap()
        .into_iter()
        .map(|run| (run.period, run.status))
        .collect();
    assert_eq!(
        runs,
        [
            ("2026-12-07".to_owned(), ReportRunStatus::Sent),
            ("2026-12-08".to_owned(), ReportRunStatus::Skipped),
            ("2026-12-09".to_owned(), ReportRunStatus::Sent),
        ]
    );
}

#[tokio::test]
async fn a_deferring_server_gets_paced_retries_until_attempts_run_out() {
    let Some(server) = receivers::smtp("defer") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_for(server.port, dir.path());
    let store = storage::open("sqlite::memory:").await.unwrap();
    let clock = ManualClock::new(cst("2026-12-08T07:00:00.000"));
    let scheduler = scheduler(&settings, &store, &clock);
    clock.set(cst("2026-12-08T08:00:00.000"));
    let first = scheduler.run_once().await.unwrap();
    assert_eq!((first.recorded, first.sent, first.failed), (1, 0, 1));
    let run = &store.report_runs(DAILY).await.unwrap()[0];
    assert_eq!(run.status, ReportRunStatus::Failed);
    assert!(
        run.last_error
            .as_deref()
            .unwrap()
            .starts_with("send_deferred"),
        "{run:?}"
    );
    let next = run.next_attempt_at.unwrap();
    assert!(next.millis() - clock.now().millis() < 1_000, "{run:?}");
    // retries only when due (the cap is 1 s)
    clock.set(Timestamp(clock.now().millis() + 1_000));
    assert_eq!(scheduler.run_once().await.unwrap().failed, 1);
    clock.set(Timestamp(clock.now().millis() + 1_000));
    assert_eq!(scheduler.run_once().await.unwrap().failed, 1);
    let run = &store.report_runs(DAILY).await.unwrap()[0];
    assert_eq!((run.status, run.attempts), (ReportRunStatus::Dead, 3));
    clock.set(Timestamp(clock.now().millis() + 60_000));
    assert_eq!(scheduler.run_once().await.unwrap(), ReportRound::default());
    assert_eq!(
        actions(&store).await,
        ["report.failed", "report.failed", "report.failed"]
    );
    assert!(server.mails().is_empty());
}

#[test]
fn an_unknown_recipient_or_a_bad_cron_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let write = |reports: &str| {
        std::fs::write(
            dir.path().join("tocsin.yaml"),
            format!("version: 1\nreports:\n  daily: {reports}\n"),
        )
        .unwrap();
    };
    write("{cron: '0 0 25 * * *', to: [a@b.example]}");
    let errors = settings::load(dir.path()).unwrap_err();
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.contains("error[bad_value]") && text.contains("reports.daily.cron"),
        "{text}"
    );

    write("{cron: '0 0 8 * * *', to: [shenyang.nowhere]}");
    let settings = settings::load(dir.path()).unwrap();
    let generation = tocsin::compile::load(None).unwrap();
    let errors = settings::check_reports(&settings, &generation);
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.contains("error[unknown_recipient]") && text.contains("`shenyang.nowhere`"),
        "{text}"
    );
    write("{cron: '0 0 8 * * *', to: [city_duty_office, x@y.example]}");
    let settings = settings::load(dir.path()).unwrap();
    assert!(settings::check_reports(&settings, &generation).is_empty());
}

fn run(period: &str, due: i64, status: ReportRunStatus) -> NewReportRun {
    NewReportRun {
        kind: DAILY.to_owned(),
        period: period.to_owned(),
        due_at: Timestamp(due),
        status,
        message_id: format!("<{}@tocsin>", idempotency_key(DAILY, period)),
    }
}

fn attempt(period: &str, attempt: u32, status: ReportRunStatus, at: i64) -> ReportAttempt {
    ReportAttempt {
        kind: DAILY.to_owned(),
        period: period.to_owned(),
        attempt,
        status,
        at: Timestamp(at),
        next_attempt_at: (status == ReportRunStatus::Failed).then_some(Timestamp(at + 500)),
        error: (status != ReportRunStatus::Sent).then(|| "send_deferred: 451".to_owned()),
        audit: AuditDraft {
            at: Timestamp(at),
            actor: "system:reports".to_owned(),
            action: if status == ReportRunStatus::Sent {
                AuditAction::ReportSent
            } else {
                AuditAction::ReportFailed
            },
            warning: None,
            generation: None,
            subject: format!("report:daily:{period}"),
            detail: serde_json::json!({"period": period}),
        },
    }
}

async fn a_period_is_recorded_and_sent_once(store: Arc<dyn Store>) {
    let first = [
        run("2026-12-06", 100, ReportRunStatus::Skipped),
        run("2026-12-07", 200, ReportRunStatus::Pending),
    ];
    assert_eq!(store.record_report_runs(&first).await.unwrap(), 2);
    // recording the same period again (a restart) changes nothing, even with another status
    assert_eq!(
        store
            .record_report_runs(&[run("2026-12-07", 300, ReportRunStatus::Skipped)])
            .await
            .unwrap(),
        0
    );
    let latest = store.latest_report_run(DAILY).await.unwrap().unwrap();
    assert_eq!(
        (latest.period.as_str(), latest.due_at, latest.status),
        ("2026-12-07", Timestamp(200), ReportRunStatus::Pending)
    );
    let due = store.due_report_runs(DAILY, Timestamp(250)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].period, "2026-12-07");

    // a failed attempt waits for its retry
    assert!(
        store
            .finish_report_attempt(&attempt("2026-12-07", 1, ReportRunStatus::Failed, 260))
            .await
            .unwrap()
    );
    assert!(
        store
            .due_report_runs(DAILY, Timestamp(759))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .due_report_runs(DAILY, Timestamp(760))
            .await
            .unwrap()
            .len(),
        1
    );
    // an attempt number the row has passed is refused (another process got there first)
    assert!(
        !store
            .finish_report_attempt(&attempt("2026-12-07", 1, ReportRunStatus::Sent, 800))
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_report_attempt(&attempt("2026-12-07", 2, ReportRunStatus::Sent, 800))
            .await
            .unwrap()
    );
    // a sent run takes no more attempts and is no longer due
    assert!(
        !store
            .finish_report_attempt(&attempt("2026-12-07", 3, ReportRunStatus::Sent, 900))
            .await
            .unwrap()
    );
    assert!(
        store
            .due_report_runs(DAILY, Timestamp(10_000))
            .await
            .unwrap()
            .is_empty()
    );
    let runs = store.report_runs(DAILY).await.unwrap();
    assert_eq!(runs.len(), 2);
    let sent = &runs[1];
    assert_eq!(sent.status, ReportRunStatus::Sent);
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.sent_at, Some(Timestamp(800)));
    assert_eq!(sent.next_attempt_at, None);
    assert_eq!(
        sent.message_id,
        format!("<{}@tocsin>", idempotency_key(DAILY, "2026-12-07"))
    );
    assert_eq!(runs[0].status, ReportRunStatus::Skipped);
    let audit: Vec<String> = store
        .audit(&AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(audit.len(), 2);
    assert!(
        audit.contains(&"report.failed".to_owned()) && audit.contains(&"report.sent".to_owned())
    );
    // other kinds are apart
    assert!(store.latest_report_run("weekly").await.unwrap().is_none());
}

store_tests!(a_period_is_recorded_and_sent_once);
