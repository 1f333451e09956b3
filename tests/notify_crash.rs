//! Crash safety of delivery: a worker in a child process (this test binary re-run as
//! `crash_child`) is killed with SIGKILL while webhooks are in flight; a new worker on the same
//! SQLite file takes over the rows whose lease expired. Every message reaches the receiver, and
//! each one sent again carries the same `webhook-id` (so the receiver can drop it). Prints how
//! many were re-sent.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[allow(dead_code, reason = "this suite uses only the HTTP receiver")]
mod receivers;
#[allow(dead_code, reason = "shared helpers; this suite uses some")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tocsin::model::{Channel, Clock, Level, ManualClock, Notification, SystemClock};
use tocsin::notify::{self, Notifier, NotifySettings, SettingsAddressBook, idempotency_key};
use tocsin::storage::{self, DeliveryFilter, Store};
use workflow_support::{change, engine, new_case, notification, save, warning_of};

/// Messages queued before the crash.
const MESSAGES: usize = 24;

/// The lease the child claims with.
const LEASE_SECS: u64 = 30;

fn settings_yaml(url: &str) -> String {
    format!(
        "webhooks: {{desk: {{url: '{url}', secret: '{}'}}}}\n\
         addresses: {{default: {{webhook: [desk]}}}}\n\
         batch: 4\nlease_secs: {LEASE_SECS}\npoll_interval_ms: 50\n",
        receivers::SECRET
    )
}

fn settings(yaml: &str) -> NotifySettings {
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    NotifySettings::from_yaml_with(&value, |_| None).unwrap()
}

/// The worker process the crash test kills: runs `notify::spawn` on the store and settings the
/// parent passes in the environment until it is killed.
#[test]
#[ignore = "run by the crash test as its child process"]
fn crash_child() {
    let db = std::env::var("TOCSIN_CRASH_DB").unwrap();
    let yaml = std::env::var("TOCSIN_CRASH_SETTINGS").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let store = storage::open(&db).await.unwrap();
        let _handle = notify::spawn(store, Arc::new(SystemClock), settings(&yaml)).unwrap();
        std::future::pending::<()>().await;
    });
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_loses_nothing_and_resends_with_the_same_id() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    let store: Arc<dyn Store> = storage::open(&db).await.unwrap();
    engine(&store, &[change("c1", None, Some(Level::Red), 0)]).await;
    let warning = warning_of(&store, "c1").await.id;
    let rows: Vec<Notification> = (0..MESSAGES)
        .map(|i| Notification {
            channel: Channel::Webhook,
            ..notification(warning, &format!("w{warning}:issued:{i}:desk:webhook"))
        })
        .collect();
    save(&store, &new_case(warning, 0), &rows, &[]).await;
    let keys: BTreeSet<String> = rows.iter().map(|n| idempotency_key(&n.key)).collect();

    // the receiver answers after 0.3 s but records on arrival: messages stay in flight
    let yaml = settings_yaml(&receiver.url("/lag/desk"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--ignored", "--nocapture"])
        .env("TOCSIN_CRASH_DB", &db)
        .env("TOCSIN_CRASH_SETTINGS", &yaml)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while receiver.requests().len() < MESSAGES / 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child worker sent nothing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child worker exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let at_kill = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    let count = |status: &str| at_kill.iter().filter(|r| r.record.status == status).count();
    let (delivered, in_flight) = (count("delivered"), count("sending"));
    assert!(
        in_flight > 0,
        "killed with nothing in flight: {delivered} delivered"
    );
    assert!(delivered < MESSAGES);

    // restart: a new worker whose clock is past the dead worker's lease
    let now = SystemClock.now().plus(Duration::from_secs(LEASE_SECS + 1));
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now));
    let settings = settings(&yaml);
    let book = Arc::new(SettingsAddressBook::new(&settings));
    let channels = notify::channels(&settings, Arc::clone(&clock), book).unwrap();
    let notifier = Notifier::new(Arc::clone(&store), clock, settings, channels, "restarted");
    while notifier.run_once().await.unwrap().claimed > 0 {}

    let after = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert!(
        after.iter().all(|r| r.record.status == "delivered"),
        "{after:?}"
    );
    let requests = receiver.requests();
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for request in &requests {
        assert_eq!(request["signature_valid"], true);
        *per_id
            .entry(request["webhook_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let received: BTreeSet<String> = per_id.keys().cloned().collect();
    assert_eq!(
        received, keys,
        "every message reached the receiver, under its own id"
    );
    let resent = requests.len() - MESSAGES;
    assert!(
        resent <= in_flight,
        "only rows in flight at the kill are sent again"
    );
    // a re-sent row's attempts count the lost claim
    let retried = after.iter().filter(|r| r.attempts > 1).count();
    assert_eq!(retried, in_flight);
    eprintln!(
        "crash: {delivered} delivered before SIGKILL, {in_flight} in flight; \
         {resent} re-sent after restart (same webhook-id), {MESSAGES} of {MESSAGES} received"
    );
}
