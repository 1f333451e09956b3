//! Provider SMS against a real local receiver: the Alibaba Cloud and Tencent Cloud `SendSms`
//! channels post to the Python receiver (tests/receivers/webhook_receiver.py), which rebuilds the
//! canonical request and checks the ACS3-HMAC-SHA256 / TC3-HMAC-SHA256 signature with its own
//! code. The template comes from the message's level, the idempotency key travels as `OutId` /
//! `SessionContext`, the phone numbers are the ones on duty by the contacts, provider error
//! codes become retried or permanent errors, and a wrong key is refused by the receiver.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[allow(dead_code, reason = "this suite uses only the HTTP receiver")]
mod receivers;

use std::path::PathBuf;
use std::sync::Arc;

use tocsin::contacts;
use tocsin::model::{Channel, Clock, DepartmentId, Level, ManualClock, SourceFile, Timestamp};
use tocsin::notify::{
    self, AddressBook, ContactsAddressBook, NotifySettings, Outgoing, SettingsAddressBook,
    idempotency_key,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// Settings for `provider` posting to `endpoint`, keyed with `secret`.
fn settings(provider: &str, endpoint: &str, secret: &str) -> NotifySettings {
    let yaml = format!(
        "sms_provider:\n  provider: {provider}\n  endpoint: '{endpoint}'\n  \
         key_id: env:SMS_KEY_ID\n  key_secret: env:SMS_KEY_SECRET\n  sign_name: 沈阳城市预警\n  \
         sdk_app_id: '1400006666'\n  templates:\n    zh-CN:\n      \
         red: {{code: SMS_RED, params: {{level: '红色', text: '{{{{text}}}}'}}}}\n      \
         yellow: {{code: SMS_LIMIT, params: {{text: '{{{{subject}}}}'}}}}\n      \
         '*': {{code: SMS_ANY, params: {{text: '{{{{text}}}}', id: '{{{{out_id}}}}'}}}}\n"
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
    let secret = secret.to_owned();
    NotifySettings::from_yaml_with(&value, move |name| match name {
        "SMS_KEY_ID" => Some("LTAI-test-id".to_owned()),
        "SMS_KEY_SECRET" => Some(secret.clone()),
        _ => None,
    })
    .unwrap()
}

/// The contacts of the golden example, as the book.
fn book() -> Arc<dyn AddressBook> {
    let generation =
        tocsin::compile::load(Some(&root().join("examples/shenyang"))).expect("example compiles");
    let file = SourceFile {
        path: "city/contacts.yaml".to_owned(),
        text: std::fs::read_to_string(
            root().join("tests/golden/contacts/valid/city/contacts.yaml"),
        )
        .unwrap(),
    };
    let directory = contacts::compile(&[file], &generation).unwrap();
    Arc::new(ContactsAddressBook::new(
        directory,
        SettingsAddressBook::new(&NotifySettings::default()),
    ))
}

fn outgoing(key: &str, level: Level) -> Outgoing {
    Outgoing {
        id: 1,
        key: key.to_owned(),
        idempotency_key: idempotency_key(key),
        attempt: 1,
        warning: 9,
        recipient: DepartmentId::new("shenyang.duty_office"),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        level,
        drill: false,
        reason: "issued".to_owned(),
        subject: "红色预警：燃气管网压力异常".to_owned(),
        body: "和平区北市场燃气管线压力超限，请立即处置。".repeat(6),
        ack_link: None,
        // Monday 08:30: zhang_wei is on duty
        created_at: at("2026-12-07T08:30:00+08:00"),
    }
}

/// The SMS channel `notify::channels` builds for `settings`.
fn sms_channel(settings: &NotifySettings, book: Arc<dyn AddressBook>) -> Arc<dyn notify::Channel> {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at("2026-12-07T08:30:05+08:00")));
    notify::channels(settings, clock, book)
        .unwrap()
        .into_iter()
        .find(|c| c.kind() == Channel::Sms)
        .unwrap()
}

#[tokio::test]
async fn alibaba_and_tencent_requests_verify_at_the_receiver_with_the_idempotency_key() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let book = book();
    for (provider, path) in [("alibaba", "/alibaba/"), ("tencent", "/tencent/")] {
        let settings = settings(provider, &receiver.url(path), receivers::SECRET);
        let channel = sms_channel(&settings, Arc::clone(&book));
        let key = format!("w9:issued:0:shenyang.duty_office:sms:{provider}");
        let delivered = channel.send(&outgoing(&key, Level::Red)).await.unwrap();
        assert_eq!(delivered.endpoint, receiver.url(path));
        let id = delivered.provider_id.unwrap();
        assert!(
            id.starts_with(if provider == "alibaba" { "biz-" } else { "sn-" }),
            "{id}"
        );
    }
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let alibaba = &requests[0];
    assert_eq!(alibaba["valid"], true, "{alibaba}");
    assert_eq!(alibaba["host"], "dysmsapi.aliyuncs.com");
    assert_eq!(
        alibaba["out_id"],
        idempotency_key("w9:issued:0:shenyang.duty_office:sms:alibaba")
    );
    assert_eq!(alibaba["phones"], serde_json::json!(["13700000001"]));
    assert_eq!(alibaba["template"], "SMS_RED");
    assert_eq!(alibaba["params"]["level"], "红色");
    let text = alibaba["params"]["text"].as_str().unwrap();
    // one SMS with the signature: within 70 characters, cut with an ellipsis
    assert_eq!(
        tocsin::sign::sms_length::length(
            tocsin::sign::sms_length::Rule::Domestic,
            "沈阳城市预警",
            text
        )
        .parts,
        1
    );
    assert!(text.ends_with('…'), "{text}");
    let tencent = &requests[1];
    assert_eq!(tencent["valid"], true, "{tencent}");
    assert_eq!(tencent["host"], "sms.tencentcloudapi.com");
    assert_eq!(
        tencent["out_id"],
        idempotency_key("w9:issued:0:shenyang.duty_office:sms:tencent")
    );
    assert_eq!(tencent["phones"], serde_json::json!(["+8613700000001"]));
    assert_eq!(tencent["params"][0], "红色");
}

#[tokio::test]
async fn provider_refusals_are_clear_errors_retried_only_when_retrying_helps() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let book = book();
    // a wrong key: both receivers refuse the signature, permanently
    for (provider, path, words) in [
        ("alibaba", "/alibaba/", "SignatureDoesNotMatch"),
        ("tencent", "/tencent/", "AuthFailure.SignatureFailure"),
    ] {
        let settings = settings(provider, &receiver.url(path), "not-the-key");
        let channel = sms_channel(&settings, Arc::clone(&book));
        let error = channel
            .send(&outgoing("w9:issued:1:x:sms", Level::Red))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "send_rejected", "{error}");
        assert!(!error.retryable());
        assert!(error.to_string().contains(words), "{error}");
        assert!(!error.to_string().contains("not-the-key"), "{error}");
    }
    // Alibaba's flow control: retried
    let settings = settings("alibaba", &receiver.url("/alibaba/"), receivers::SECRET);
    let channel = sms_channel(&settings, Arc::clone(&book));
    let error = channel
        .send(&outgoing("w9:issued:2:x:sms", Level::Yellow))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "send_deferred", "{error}");
    assert!(error.retryable());
    // a recipient with nobody to text: no request at all
    let mut nobody = outgoing("w9:issued:3:x:sms", Level::Red);
    nobody.recipient = DepartmentId::new("nowhere.unit");
    assert_eq!(
        channel.send(&nobody).await.unwrap_err().code(),
        "send_no_address"
    );
    let valid: Vec<bool> = receiver
        .requests()
        .iter()
        .map(|r| r["valid"].as_bool().unwrap())
        .collect();
    assert_eq!(valid, [false, false, true]);
}

#[test]
fn provider_settings_are_checked() {
    let parse = |yaml: &str| {
        let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
        NotifySettings::from_yaml_with(&value, |_| Some("x".to_owned())).map(|_| ())
    };
    let base = "sms_provider: {provider: P, key_id: env:A, key_secret: env:B, sign_name: s, \
                sdk_app_id: S, templates: {T}}";
    let table = [
        ("alibaba", "zh-CN: {red: {code: c}}", None),
        (
            "huawei",
            "zh-CN: {red: {code: c}}",
            Some("notify.sms_provider.provider"),
        ),
        (
            "alibaba",
            "zh-CN: {crimson: {code: c}}",
            Some("notify.sms_provider.templates.zh-CN.crimson"),
        ),
        (
            "alibaba",
            "en: {red: {code: c}}",
            Some("notify.sms_provider.templates"),
        ),
    ];
    for (provider, templates, error) in table {
        let yaml = base
            .replace("P", provider)
            .replace("{T}", &format!("{{{templates}}}"));
        let result = parse(&yaml);
        match error {
            None => assert!(result.is_ok(), "{yaml}: {result:?}"),
            Some(field) => {
                let text = result.unwrap_err().to_string();
                assert!(text.starts_with(field), "{yaml}: {text}");
            }
        }
    }
}
