//! The duty side of delivery. A reload of the deployment puts new contacts and rosters in force
//! for the running delivery worker: the worker addresses people through the
//! [`FollowingAddressBook`] (over the generation in force, as the runtime's gate answers it);
//! after a phone number changes in `city/contacts.yaml` and the generation is swapped - by hand
//! over a worker, and through the reloader of a running server - the next text message goes to
//! the new number. Phone call-backs (电话叫应) through Alibaba Cloud voice notifications reach the
//! Python receiver (tests/receivers/webhook_receiver.py), which checks the ACS3 signature with
//! its own code; provider codes decide retry or rejection.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[allow(dead_code, reason = "this suite uses only the HTTP receiver")]
mod receivers;
#[allow(dead_code, reason = "shared helpers; this suite uses the SQLite store")]
mod store_support;
#[allow(dead_code, reason = "shared helpers; this suite uses some")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tocsin::model::{Channel, Clock, Generation, Level, ManualClock, Notification};
use tocsin::notify::{self, AddressBook, FollowingAddressBook, Notifier, NotifySettings};
use tocsin::storage::Store;
use tocsin::workflow::desk::Generations;
use workflow_support::{at, change, engine, new_case, notification, save, warning_of};

/// The generation in force, swapped by the test as a reload swaps the runtime's gate.
#[derive(Debug)]
struct InForce(ArcSwap<Generation>);

impl Generations for InForce {
    fn current(&self) -> Arc<Generation> {
        self.0.load_full()
    }
}

/// Copies the Shenyang example (with its contacts) into `dir`.
fn deployment(dir: &Path) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang");
    for sub in ["", "city"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(example.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
}

fn settings(yaml: &str) -> NotifySettings {
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    NotifySettings::from_yaml_with(&value, |_| None).unwrap()
}

/// Queues one SMS to the gas company for a fresh warning on `asset`.
async fn queue_sms(store: &Arc<dyn Store>, asset: &str) {
    engine(store, &[change(asset, None, Some(Level::Orange), 0)]).await;
    let warning = warning_of(store, asset).await.id;
    let row = Notification {
        channel: Channel::Sms,
        ..notification(warning, &format!("w{warning}:issued:0:gas:sms"))
    };
    save(store, &new_case(warning, 0), &[row], &[]).await;
}

#[tokio::test]
async fn a_reload_with_a_changed_phone_number_sends_the_next_message_to_the_new_one() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let first = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
    let in_force = Arc::new(InForce(ArcSwap::new(Arc::clone(&first))));
    let settings = settings(&format!(
        "sms:\n  url: '{}'\n  template: {{to: '{{{{phone}}}}', text: '{{{{text}}}}', out_id: '{{{{out_id}}}}'}}\n\
         addresses: {{default: {{sms: ['+8613800000000']}}}}\n",
        receiver.url("/sms/send")
    ));
    let book = Arc::new(FollowingAddressBook::new(
        &settings,
        Arc::clone(&in_force) as Arc<dyn Generations>,
    ));
    let store = store_support::sqlite_memory().await;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at(1_000)));
    let channels = notify::channels(&settings, Arc::clone(&clock), book.clone()).unwrap();
    let notifier = Notifier::new(Arc::clone(&store), clock, settings, channels, "duty-test");

    // the gas company's duty officer, from the contacts in force
    queue_sms(&store, "a1").await;
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);

    // the number changes in the file; a reload compiles and swaps the generation
    let contacts = dir.path().join("city/contacts.yaml");
    let text = std::fs::read_to_string(&contacts).unwrap();
    assert!(text.contains("+8613700000006"));
    std::fs::write(&contacts, text.replace("+8613700000006", "+8613900000066")).unwrap();
    let second = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
    assert_ne!(first.hash, second.hash);
    in_force.0.store(second);

    queue_sms(&store, "a2").await;
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);
    let phones: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r["body"]["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(phones, ["+8613700000006", "+8613900000066"]);

    // a generation without contacts files: the `notify.addresses` settings answer again
    std::fs::remove_file(&contacts).unwrap();
    in_force
        .0
        .store(Arc::new(tocsin::compile::load(Some(dir.path())).unwrap()));
    assert_eq!(
        book.addresses(&"shenyang.gas_company".into(), Channel::Sms, at(2_000)),
        ["+8613800000000"]
    );
}

/// Settings calling through Alibaba voice at `endpoint`, keyed with `secret`.
fn voice_settings(endpoint: &str, secret: &str) -> NotifySettings {
    let yaml = format!(
        "voice:\n  endpoint: '{endpoint}'\n  key_id: env:VOICE_KEY_ID\n  key_secret: env:VOICE_KEY_SECRET\n  \
         called_show_number: '02400000000'\n  play_times: 2\n  templates:\n    zh-CN:\n      \
         yellow: {{code: TTS_LIMIT, params: {{text: '{{{{subject}}}}'}}}}\n      \
         blue: {{code: TTS_BAD, params: {{text: '{{{{subject}}}}'}}}}\n      \
         '*': {{code: TTS_ANY, params: {{level: '{{{{level}}}}', text: '{{{{subject}}}}'}}}}\n"
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
    let secret = secret.to_owned();
    NotifySettings::from_yaml_with(&value, move |name| match name {
        "VOICE_KEY_ID" => Some("LTAI-voice-id".to_owned()),
        "VOICE_KEY_SECRET" => Some(secret.clone()),
        _ => None,
    })
    .unwrap()
}

#[tokio::test]
async fn voice_call_backs_reach_alibaba_signed_with_the_out_id_and_provider_codes_decide_retries() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let generation = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
    let in_force: Arc<dyn Generations> = Arc::new(InForce(ArcSwap::new(generation)));
    let store = store_support::sqlite_memory().await;
    // Monday noon in Shenyang: zhang_wei (sms, phone, email) holds the duty office
    let monday = tocsin::model::Timestamp::parse_rfc3339("2026-12-07T12:00:00+08:00").unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(monday));
    engine(&store, &[change("a9", None, Some(Level::Orange), 0)]).await;
    let warning = warning_of(&store, "a9").await.id;
    let rows: Vec<Notification> = [Level::Orange, Level::Yellow, Level::Blue]
        .into_iter()
        .map(|level| Notification {
            channel: Channel::Phone,
            recipient: "shenyang.duty_office".into(),
            audience: "department".to_owned(),
            level,
            created_at: monday,
            subject: format!("{}预警 燃气泄漏", level.as_str()),
            ..notification(
                warning,
                &format!("w{warning}:issued:0:office:{}", level.as_str()),
            )
        })
        .collect();
    save(&store, &new_case(warning, 0), &rows, &[]).await;

    let settings = voice_settings(&receiver.url("/alibaba-voice"), receivers::SECRET);
    assert!(settings.should_run());
    let book = Arc::new(FollowingAddressBook::new(&settings, in_force));
    let channels = notify::channels(&settings, Arc::clone(&clock), book).unwrap();
    let notifier = Notifier::new(Arc::clone(&store), clock, settings, channels, "voice");
    let round = notifier.run_once().await.unwrap();
    assert_eq!(
        (round.delivered, round.failed, round.dead),
        (1, 1, 1),
        "{round:?}"
    );

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    for request in &requests {
        assert_eq!(request["valid"], true, "{request}");
        assert_eq!(request["action"], "SingleCallByTts");
        assert_eq!(request["version"], "2017-05-25");
        assert_eq!(request["host"], "dyvmsapi.aliyuncs.com");
        assert_eq!(request["called"], "13700000001");
        assert_eq!(request["show"], "02400000000");
        assert_eq!(request["play_times"], "2");
    }
    let placed = requests
        .iter()
        .find(|r| r["template"] == "TTS_ANY")
        .unwrap();
    assert_eq!(placed["out_id"], notify::idempotency_key(&rows[0].key));
    assert_eq!(placed["params"]["level"], "orange");

    let delivered = store
        .deliveries(&tocsin::storage::DeliveryFilter::default())
        .await
        .unwrap();
    let by_key = |key: &str| {
        delivered
            .iter()
            .find(|d| d.record.notification.key == key)
            .unwrap()
    };
    let ok = by_key(&rows[0].key);
    assert_eq!(ok.record.status, "delivered");
    assert!(
        ok.provider_id.as_deref().unwrap().starts_with("call-"),
        "{ok:?}"
    );
    let limited = by_key(&rows[1].key);
    assert_eq!(limited.record.status, "failed", "flow control is retried");
    assert!(
        limited
            .last_error
            .as_deref()
            .unwrap()
            .contains("isv.BUSINESS_LIMIT_CONTROL")
    );
    let bad = by_key(&rows[2].key);
    assert_eq!(
        bad.record.status, "dead",
        "an illegal template is not retried"
    );
    assert!(
        bad.last_error
            .as_deref()
            .unwrap()
            .contains("isv.TTS_TEMPLATE_ILLEGAL")
    );

    // a wrong key: the receiver's own check refuses the signature; a clear permanent error
    let wrong = voice_settings(&receiver.url("/alibaba-voice"), "not-the-secret");
    let dir2 = tempfile::tempdir().unwrap();
    deployment(dir2.path());
    let generation = Arc::new(tocsin::compile::load(Some(dir2.path())).unwrap());
    let book = Arc::new(FollowingAddressBook::new(
        &wrong,
        Arc::new(InForce(ArcSwap::new(generation))),
    ));
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(monday));
    let channels = notify::channels(&wrong, clock, book).unwrap();
    let phone = channels
        .iter()
        .find(|c| c.kind() == Channel::Phone)
        .unwrap();
    let outgoing = tocsin::notify::Outgoing {
        id: 1,
        key: "k".to_owned(),
        idempotency_key: notify::idempotency_key("k"),
        attempt: 1,
        warning,
        recipient: "shenyang.duty_office".into(),
        audience: "department".to_owned(),
        level: Level::Red,
        drill: false,
        reason: "issued".to_owned(),
        subject: "红色预警".to_owned(),
        body: "body".to_owned(),
        created_at: monday,
        ack_link: None,
    };
    let error = phone.send(&outgoing).await.unwrap_err();
    assert_eq!(error.code(), "send_rejected");
    assert!(
        error.to_string().contains("SignatureDoesNotMatch"),
        "{error}"
    );
    assert!(!error.to_string().contains("not-the-secret"));
}

/// Waits (bounded) until the receiver has recorded `count` requests; the running worker polls on
/// its own task, so this waits for that task, not for a timer.
async fn received(receiver: &receivers::Receiver, count: usize) -> Vec<serde_json::Value> {
    for _ in 0..500 {
        let requests = receiver.requests();
        if requests.len() >= count {
            return requests;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the receiver got {:?}", receiver.requests());
}

#[tokio::test]
async fn a_running_server_reloaded_through_its_reloader_texts_the_new_number() {
    use tocsin::api::{Reload as _, ReloadOutcome, ReloadTrigger};
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let mut notify = settings(&format!(
        "poll_interval_ms: 10\nsms:\n  url: '{}'\n  template: {{to: '{{{{phone}}}}', text: '{{{{text}}}}'}}\n",
        receiver.url("/sms/send")
    ));
    notify.enabled = true;
    let server_settings = tocsin::settings::Settings {
        tick_interval: std::time::Duration::ZERO,
        notify,
        ..tocsin::settings::Settings::default()
    };
    let store = store_support::sqlite_memory().await;
    let generation = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
    let runtime = tocsin::runtime::Runtime::start_deployment(
        &server_settings,
        dir.path(),
        generation,
        Arc::clone(&store),
        Arc::new(ManualClock::new(at(1_000))),
    )
    .await
    .unwrap();
    queue_sms(&store, "a1").await;
    assert_eq!(
        received(&receiver, 1).await[0]["body"]["to"],
        "+8613700000006"
    );

    let contacts = dir.path().join("city/contacts.yaml");
    let text = std::fs::read_to_string(&contacts).unwrap();
    std::fs::write(&contacts, text.replace("+8613700000006", "+8613900000066")).unwrap();
    let outcome = runtime.reloader().unwrap().reload(ReloadTrigger::Api).await;
    assert!(matches!(outcome, ReloadOutcome::Applied(_)), "{outcome:?}");
    queue_sms(&store, "a2").await;
    assert_eq!(
        received(&receiver, 2).await[1]["body"]["to"],
        "+8613900000066"
    );
    runtime.shutdown().await;
}
