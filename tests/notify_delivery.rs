//! The delivery worker against real receivers on loopback (tests/receivers/): a Python HTTP
//! receiver that verifies each Standard Webhooks signature with its own code, an aiosmtpd SMTP
//! server; receivers that answer 500 then 200, time out, are down, refuse, or answer 10 MB. Time
//! for due retries comes from a `ManualClock`; the worker runs round by round (`run_once`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod receivers;
mod store_support;
#[allow(dead_code, reason = "shared helpers; this suite uses some")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::sync::Arc;
use std::time::Duration;

use tocsin::model::{AuditAction, Channel, Clock, Level, ManualClock, Notification};
use tocsin::notify::{self, Notifier, NotifySettings, Round, SettingsAddressBook, idempotency_key};
use tocsin::storage::{AuditFilter, DeliveryFilter, DeliveryRecord, Store};
use workflow_support::{at, change, engine, new_case, notification, save, warning_of};

/// Queues one row per channel in `channels` for a fresh warning on `asset`; returns the keys.
async fn queue(store: &Arc<dyn Store>, asset: &str, channels: &[Channel]) -> Vec<String> {
    engine(store, &[change(asset, None, Some(Level::Orange), 0)]).await;
    let warning = warning_of(store, asset).await.id;
    let rows: Vec<Notification> = channels
        .iter()
        .enumerate()
        .map(|(i, channel)| Notification {
            channel: *channel,
            subject: format!("橙色预警 {asset} #{i}"),
            ..notification(
                warning,
                &format!("w{warning}:issued:{i}:gas:{}", channel.as_str()),
            )
        })
        .collect();
    save(store, &new_case(warning, 0), &rows, &[]).await;
    rows.into_iter().map(|n| n.key).collect()
}

fn settings(yaml: &str) -> NotifySettings {
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    NotifySettings::from_yaml_with(&value, |_| None).unwrap()
}

/// A worker over the channels `yaml` configures.
fn worker(store: &Arc<dyn Store>, clock: &ManualClock, yaml: &str) -> Notifier {
    let settings = settings(yaml);
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let book = Arc::new(SettingsAddressBook::new(&settings));
    let channels = notify::channels(&settings, Arc::clone(&clock), book).unwrap();
    Notifier::new(Arc::clone(store), clock, settings, channels, "test-worker")
}

/// Settings with one webhook `desk` at `url` for every department.
fn webhook_yaml(url: &str, extra: &str) -> String {
    format!(
        "webhooks: {{desk: {{url: '{url}', secret: '{}'}}}}\n\
         addresses: {{default: {{webhook: [desk]}}}}\n\
         backoff_base_ms: 1000\nbackoff_cap_ms: 1000\nattempt_timeout_ms: 2000\n{extra}",
        receivers::SECRET
    )
}

async fn rows(store: &Arc<dyn Store>) -> Vec<DeliveryRecord> {
    store.deliveries(&DeliveryFilter::default()).await.unwrap()
}

async fn audit_actions(store: &Arc<dyn Store>) -> Vec<String> {
    store
        .audit(&AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("notify."))
        .collect()
}

async fn webhooks_arrive_signed_once_each(store: Arc<dyn Store>) {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let keys = queue(&store, "a1", &[Channel::Webhook; 3]).await;
    let clock = ManualClock::new(at(1_000));
    let metrics = Arc::new(tocsin::telemetry::Metrics::new());
    let notifier = worker(&store, &clock, &webhook_yaml(&receiver.url("/ok/desk"), ""))
        .with_metrics(Arc::clone(&metrics));
    let round = notifier.run_once().await.unwrap();
    assert_eq!(
        round,
        Round {
            claimed: 3,
            delivered: 3,
            ..Round::default()
        }
    );
    let exported = metrics.render();
    assert!(
        exported
            .contains("tocsin_notify_attempts_total{channel=\"webhook\",outcome=\"delivered\"} 3"),
        "{exported}"
    );
    assert_eq!(notifier.run_once().await.unwrap().claimed, 0);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request["signature_valid"], true, "{request}");
        let key = request["body"]["data"]["key"].as_str().unwrap();
        assert!(keys.iter().any(|k| k == key));
        assert_eq!(request["webhook_id"], idempotency_key(key));
        assert_eq!(
            request["timestamp"],
            (at(1_000).millis() / 1000).to_string()
        );
    }
    for row in rows(&store).await {
        assert_eq!(row.record.status, "delivered");
        assert_eq!(row.attempts, 1);
        let attempt = &row.history[0];
        assert_eq!(attempt.status, "delivered");
        assert_eq!(
            attempt.endpoint,
            format!("http://127.0.0.1:{}/ok/desk", receiver.port)
        );
        assert!(attempt.provider_id.as_deref().unwrap().starts_with("rcv-"));
    }
    let actions = audit_actions(&store).await;
    assert_eq!(actions, ["notify.delivered"; 3]);
    let audit = store.audit(&AuditFilter::default()).await.unwrap();
    assert!(audit.iter().all(|e| !e.detail.contains("whsec_")));
}

async fn a_500_is_retried_when_due_with_the_same_webhook_id(store: Arc<dyn Store>) {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    queue(&store, "a2", &[Channel::Webhook]).await;
    let clock = ManualClock::new(at(1_000));
    let notifier = worker(
        &store,
        &clock,
        &webhook_yaml(&receiver.url("/flaky/desk"), ""),
    );
    assert_eq!(notifier.run_once().await.unwrap().failed, 1);
    let row = &rows(&store).await[0];
    assert_eq!(row.record.status, "failed");
    assert!(row.last_error.as_deref().unwrap().contains("HTTP 500"));
    let due = row.next_attempt_at.unwrap();
    assert!(
        due <= at(2_000),
        "full jitter stays under the 1 s cap: {due:?}"
    );
    // not due yet at the same instant unless the draw was 0
    if due > at(1_000) {
        assert_eq!(notifier.run_once().await.unwrap().claimed, 0);
    }
    clock.set(due);
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["webhook_id"], requests[1]["webhook_id"]);
    assert_eq!(requests[1]["body"]["data"]["attempt"], 2);
    let row = &rows(&store).await[0];
    assert_eq!((row.record.status.as_str(), row.attempts), ("delivered", 2));
    assert_eq!(
        row.history
            .iter()
            .map(|a| a.status.as_str())
            .collect::<Vec<_>>(),
        ["failed", "delivered"]
    );
    assert_eq!(
        audit_actions(&store).await,
        ["notify.failed", "notify.delivered"]
    );
}

/// The recipient word travels with the row: a workflow telling `department_duty_leader` of the
/// gas company reaches its duty leader (陈杰, +8613700000005), one telling `lead_department`
/// its duty officer (孙丽, +8613700000006), through the contacts directory of the golden
/// example and a real SMS gateway receiver; the word survives the store and an escalation.
async fn the_recipient_word_reaches_the_leader_or_the_officer(store: Arc<dyn Store>) {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    engine(&store, &[change("a9", None, Some(Level::Orange), 0)]).await;
    let warning = warning_of(&store, "a9").await.id;
    let words = ["department_duty_leader", "lead_department"];
    let rows_in: Vec<Notification> = words
        .iter()
        .map(|word| Notification {
            audience: (*word).to_owned(),
            ..notification(warning, &format!("w{warning}:issued:0:gas:{word}:sms"))
        })
        .collect();
    save(&store, &new_case(warning, 0), &rows_in, &[]).await;
    let stored = rows(&store).await;
    let kept: Vec<&str> = stored
        .iter()
        .map(|r| r.record.notification.audience.as_str())
        .collect();
    assert_eq!(kept, words, "the store keeps each row's word");

    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let generation = tocsin::compile::load(Some(&root.join("examples/shenyang"))).unwrap();
    let file = tocsin::model::SourceFile {
        path: "city/contacts.yaml".to_owned(),
        text: std::fs::read_to_string(root.join("tests/golden/contacts/valid/city/contacts.yaml"))
            .unwrap(),
    };
    let directory = tocsin::contacts::compile(&[file], &generation).unwrap();
    let yaml = format!(
        "sms:\n  url: '{}'\n  template: {{to: '{{{{phone}}}}', text: '{{{{text}}}}', out_id: '{{{{out_id}}}}', sign: Tocsin}}\n",
        receiver.url("/sms/send")
    );
    let settings = settings(&yaml);
    let clock = ManualClock::new(at(1_000));
    let clock: Arc<dyn Clock> = Arc::new(clock);
    let book: Arc<dyn notify::AddressBook> = Arc::new(notify::ContactsAddressBook::new(
        directory,
        SettingsAddressBook::new(&settings),
    ));
    let channels = notify::channels(&settings, Arc::clone(&clock), book).unwrap();
    let notifier = Notifier::new(Arc::clone(&store), clock, settings, channels, "test-worker");
    let round = notifier.run_once().await.unwrap();
    assert_eq!(round.delivered, 2, "{round:?} {:?}", rows(&store).await);
    let requests = receiver.requests();
    let phone_of = |word: &str| -> Vec<String> {
        let out_id = idempotency_key(&format!("w{warning}:issued:0:gas:{word}:sms"));
        requests
            .iter()
            .filter(|r| r["body"]["out_id"] == out_id.as_str())
            .map(|r| r["body"]["to"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(phone_of("department_duty_leader"), ["+8613700000005"]);
    assert_eq!(phone_of("lead_department"), ["+8613700000006"]);

    // an escalation row of a dead leader's row is still the leader's
    let dead = Notification {
        channel: Channel::Sms,
        ..rows_in[0].clone()
    };
    let order = std::collections::BTreeMap::from([(Channel::Sms, vec![Channel::Phone])]);
    let next = notify::escalation::escalations(&dead, &order, at(2_000));
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].audience, "department_duty_leader");
}

/// The queue-depth gauges (`tocsin_outbox_messages{status,channel}`,
/// `tocsin_outbox_oldest_queued_seconds`) as `/api/v1/metrics` renders them: refreshed by the
/// worker before a round, at most every `DEPTH_REFRESH` of clock time.
async fn the_queue_depth_gauges_follow_the_outbox(store: Arc<dyn Store>) {
    queue(&store, "a10", &[Channel::Webhook, Channel::Webhook]).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // rows are queued at(10); the worker runs at(1_510): the oldest waits 1.5 s
    let clock = ManualClock::new(at(1_510));
    let metrics = Arc::new(tocsin::telemetry::Metrics::new());
    let yaml = webhook_yaml(
        &format!("http://127.0.0.1:{port}/down"),
        "max_attempts: 3\n",
    );
    let notifier = worker(&store, &clock, &yaml).with_metrics(Arc::clone(&metrics));
    let line = |text: &str, status: &str, channel: &str| -> Option<String> {
        let head = format!("tocsin_outbox_messages{{status=\"{status}\",channel=\"{channel}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(head.as_str()).map(str::to_owned))
    };
    assert_eq!(notifier.run_once().await.unwrap().failed, 2);
    let text = metrics.render();
    assert_eq!(
        line(&text, "queued", "webhook").as_deref(),
        Some("2"),
        "{text}"
    );
    assert_eq!(
        line(&text, "failed", "webhook").as_deref(),
        Some("0"),
        "{text}"
    );
    assert_eq!(line(&text, "dead", "sms").as_deref(), Some("0"), "{text}");
    assert!(
        text.contains("tocsin_outbox_oldest_queued_seconds 1.5\n"),
        "{text}"
    );
    // within the refresh interval the gauges stay as read
    assert_eq!(notifier.run_once().await.unwrap().claimed, 0);
    assert_eq!(
        line(&metrics.render(), "failed", "webhook").as_deref(),
        Some("0")
    );
    // later: both failed rows are counted (and claimed again)
    clock.advance(notify::worker::DEPTH_REFRESH);
    notifier.run_once().await.unwrap();
    let text = metrics.render();
    assert_eq!(
        line(&text, "queued", "webhook").as_deref(),
        Some("0"),
        "{text}"
    );
    assert_eq!(
        line(&text, "failed", "webhook").as_deref(),
        Some("2"),
        "{text}"
    );
    assert!(
        text.contains("tocsin_outbox_oldest_queued_seconds 6.5\n"),
        "{text}"
    );
}

store_tests!(
    the_queue_depth_gauges_follow_the_outbox,
    webhooks_arrive_signed_once_each,
    a_500_is_retried_when_due_with_the_same_webhook_id,
    the_recipient_word_reaches_the_leader_or_the_officer,
);

async fn sqlite() -> Arc<dyn Store> {
    store_support::sqlite_memory().await
}

#[tokio::test]
async fn a_receiver_that_is_down_runs_out_of_attempts_and_escalates() {
    let store = sqlite().await;
    let keys = queue(&store, "a3", &[Channel::Webhook]).await;
    // a port nobody listens on: bind, note, close
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = ManualClock::new(at(1_000));
    let yaml = webhook_yaml(
        &format!("http://127.0.0.1:{port}/down"),
        "max_attempts: 2\n",
    );
    let notifier = worker(&store, &clock, &yaml);
    assert_eq!(notifier.run_once().await.unwrap().failed, 1);
    clock.advance(Duration::from_secs(1));
    let round = notifier.run_once().await.unwrap();
    assert_eq!(round.dead, 1, "{round:?}");
    let listed = rows(&store).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].record.status, "dead");
    assert!(
        listed[0].history.iter().all(|a| a
            .error
            .as_deref()
            .unwrap()
            .starts_with("send_unreachable"))
    );
    // webhook dead -> phone call task on the duty desk, queued in the same transaction
    let phone = &listed[1];
    assert_eq!(phone.record.notification.channel, Channel::Phone);
    assert_eq!(
        phone.record.notification.key,
        format!("{}:undelivered:phone", keys[0])
    );
    assert_eq!(phone.record.notification.reason, "undelivered:webhook");
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);
    assert_eq!(rows(&store).await[1].record.status, "delivered");
    assert_eq!(
        audit_actions(&store).await,
        ["notify.failed", "notify.dead", "notify.delivered"]
    );
    let dead = store
        .audit(&AuditFilter {
            action: Some(AuditAction::NotifyDead.as_str().to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(
        dead[0].detail.contains("\"escalated_to\":[\"phone\"]"),
        "{}",
        dead[0].detail
    );
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_a_refusal_is_permanent() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let store = sqlite().await;
    queue(&store, "a4", &[Channel::Webhook]).await;
    let clock = ManualClock::new(at(1_000));
    let yaml = format!(
        "webhooks: {{slow: {{url: '{}'}}, refuse: {{url: '{}'}}}}\n\
         addresses: {{default: {{webhook: [slow]}}, departments: {{refusing: {{webhook: [refuse]}}}}}}\n\
         attempt_timeout_ms: 300\n",
        receiver.url("/slow/x"),
        receiver.url("/reject/x")
    );
    let notifier = worker(&store, &clock, &yaml);
    assert_eq!(notifier.run_once().await.unwrap().failed, 1);
    let row = &rows(&store).await[0];
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .starts_with("send_timeout"),
        "{row:?}"
    );

    // a 400 is not worth retrying: dead at once, escalated
    engine(&store, &[change("a5", None, Some(Level::Red), 0)]).await;
    let warning = warning_of(&store, "a5").await.id;
    let refused = Notification {
        channel: Channel::Webhook,
        recipient: "refusing".into(),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        ..notification(warning, "w:refuse:webhook")
    };
    save(&store, &new_case(warning, 0), &[refused], &[]).await;
    let round = notifier.run_once().await.unwrap();
    assert_eq!(round.dead, 1, "{round:?}");
    let listed = rows(&store).await;
    let dead = listed
        .iter()
        .find(|r| r.record.notification.key == "w:refuse:webhook")
        .unwrap();
    assert_eq!(dead.record.status, "dead");
    assert!(dead.last_error.as_deref().unwrap().contains("HTTP 400"));
    assert!(
        listed
            .iter()
            .any(|r| r.record.notification.key == "w:refuse:webhook:undelivered:phone")
    );
}

#[tokio::test]
async fn a_ten_megabyte_answer_is_not_buffered_and_missing_addresses_are_clear() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let store = sqlite().await;
    queue(
        &store,
        "a6",
        &[Channel::Webhook, Channel::Sms, Channel::Email],
    )
    .await;
    let clock = ManualClock::new(at(1_000));
    let notifier = worker(&store, &clock, &webhook_yaml(&receiver.url("/big/x"), ""));
    let round = notifier.run_once().await.unwrap();
    // the webhook is delivered; sms and email have no channel configured: dead with a clear error
    assert_eq!(round.delivered, 1, "{round:?}");
    assert!(round.dead >= 2, "{round:?}");
    let listed = rows(&store).await;
    let by_channel = |c: Channel| {
        listed
            .iter()
            .find(|r| {
                r.record.notification.channel == c
                    && !r.record.notification.key.contains(":undelivered:")
            })
            .unwrap()
    };
    assert_eq!(by_channel(Channel::Webhook).record.status, "delivered");
    let sms = by_channel(Channel::Sms);
    assert_eq!(sms.record.status, "dead");
    assert!(
        sms.last_error
            .as_deref()
            .unwrap()
            .contains("no sms channel is configured"),
        "{sms:?}"
    );
    // the worker keeps going: the escalations (phone, webhook) go out next round
    let next = notifier.run_once().await.unwrap();
    assert!(next.delivered >= 2, "{next:?}");
}

#[tokio::test]
async fn an_sms_gateway_gets_the_template_with_the_out_id() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let store = sqlite().await;
    let keys = queue(&store, "a7", &[Channel::Sms]).await;
    let clock = ManualClock::new(at(1_000));
    let yaml = format!(
        "sms:\n  url: '{}'\n  template: {{to: '{{{{phone}}}}', text: '{{{{text}}}}', out_id: '{{{{out_id}}}}', sign: Tocsin}}\n\
         addresses: {{departments: {{shenyang.gas_company: {{sms: ['13800000001', '13800000002']}}}}}}\n",
        receiver.url("/sms/send")
    );
    let notifier = worker(&store, &clock, &yaml);
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    for (request, phone) in requests.iter().zip(["13800000001", "13800000002"]) {
        assert_eq!(request["body"]["to"], phone);
        assert_eq!(request["body"]["out_id"], idempotency_key(&keys[0]));
        assert_eq!(request["body"]["sign"], "Tocsin");
        assert!(
            request["body"]["text"]
                .as_str()
                .unwrap()
                .starts_with("橙色预警 a7")
        );
    }
    let row = &rows(&store).await[0];
    assert_eq!(row.provider_id.as_deref(), Some("sms-1,sms-2"));
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server_with_a_stable_message_id() {
    let Some(server) = receivers::smtp("accept") else {
        return;
    };
    let store = sqlite().await;
    let keys = queue(&store, "a8", &[Channel::Email]).await;
    let clock = ManualClock::new(at(1_000));
    let yaml = format!(
        "email: {{url: 'smtp://127.0.0.1:{}', from: 'Tocsin 预警 <tocsin@city.example>'}}\n\
         addresses: {{default: {{email: ['duty@gas.example', 'lead@gas.example']}}}}\n",
        server.port
    );
    let notifier = worker(&store, &clock, &yaml);
    let round = notifier.run_once().await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?} {:?}", rows(&store).await);
    let mails = server.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.contains(&format!(
            "Message-ID: <{}@tocsin>",
            idempotency_key(&keys[0])
        )),
        "{mail}"
    );
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(
        mail.contains("text/plain") && mail.contains("text/html"),
        "{mail}"
    );
    assert!(mail.contains("Subject: =?utf-8?"), "{mail}");
    assert!(
        mail.contains("To: duty@gas.example, lead@gas.example"),
        "{mail}"
    );
    let row = &rows(&store).await[0];
    assert_eq!(row.provider_id.as_deref(), Some("OK queued as m1"));
    assert_eq!(
        row.history[0].endpoint,
        format!("smtp://127.0.0.1:{}", server.port)
    );
}

#[tokio::test]
async fn smtp_refusals_are_permanent_and_deferrals_retried() {
    for (mode, status, code) in [
        ("reject", "dead", "send_rejected"),
        ("defer", "failed", "send_deferred"),
    ] {
        let Some(server) = receivers::smtp(mode) else {
            return;
        };
        let store = sqlite().await;
        queue(&store, "a9", &[Channel::Email]).await;
        let clock = ManualClock::new(at(1_000));
        let yaml = format!(
            "email: {{url: 'smtp://127.0.0.1:{}', from: 'tocsin@city.example'}}\n\
             addresses: {{default: {{email: ['duty@gas.example']}}}}\nescalation: {{email: []}}\n",
            server.port
        );
        worker(&store, &clock, &yaml).run_once().await.unwrap();
        let row = &rows(&store).await[0];
        assert_eq!(row.record.status, status, "{mode}: {row:?}");
        assert!(
            row.last_error.as_deref().unwrap().starts_with(code),
            "{mode}: {row:?}"
        );
    }
}

#[tokio::test]
async fn the_demo_sinks_receive_every_channel() {
    let store = sqlite().await;
    let keys = queue(
        &store,
        "d1",
        &[Channel::Webhook, Channel::Email, Channel::Sms],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink_lines = Arc::clone(&lines);
    let sinks = notify::demo::start(
        dir.path(),
        Arc::new(move |line| sink_lines.lock().unwrap().push(line)),
    )
    .await
    .unwrap();
    let clock = ManualClock::new(at(1_000));
    let clock_dyn: Arc<dyn Clock> = Arc::new(clock.clone());
    let book = Arc::new(SettingsAddressBook::new(&sinks.settings));
    let channels = notify::channels(&sinks.settings, Arc::clone(&clock_dyn), book).unwrap();
    let notifier = Notifier::new(
        Arc::clone(&store),
        clock_dyn,
        sinks.settings.clone(),
        channels,
        "demo",
    );
    let round = notifier.run_once().await.unwrap();
    assert_eq!(round.delivered, 3, "{round:?} {:?}", rows(&store).await);
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let mail = files.iter().find(|f| f.ends_with("-email.eml")).unwrap();
    let mail = std::fs::read_to_string(dir.path().join(mail)).unwrap();
    assert!(mail.contains(&format!(
        "Message-ID: <{}@tocsin>",
        idempotency_key(&keys[1])
    )));
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("webhook") && l.contains(&idempotency_key(&keys[0])))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("sms") && l.contains(&idempotency_key(&keys[2])))
    );
}
