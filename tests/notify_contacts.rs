//! The contacts directory as the notifier's address book, and the departments' work-chat robots
//! as delivery targets. A table over the Shenyang example's contacts (rosters, swaps, holidays)
//! checks that an outbox row's recipient department resolves at the message's time to the people
//! on duty and their addresses per channel, falling back to the `notify.addresses` settings where
//! the directory has nobody. Then the webhook channel posts to a DingTalk robot (加签), a WeCom
//! group robot (markdown), a Feishu bot (signed) and a generic webhook named in the contacts, all
//! served by the Python receiver (tests/receivers/webhook_receiver.py) that verifies each
//! signature with its own code.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[allow(dead_code, reason = "this suite uses only the HTTP receiver")]
mod receivers;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tocsin::contacts::{self, Directory, Reference};
use tocsin::model::{
    Channel, Clock, DepartmentId, Generation, Level, ManualClock, SourceFile, Timestamp,
};
use tocsin::notify::robots::Environment;
use tocsin::notify::webhook::WebhookChannel;
use tocsin::notify::{
    self, AddressBook, Channel as _, ContactsAddressBook, NotifySettings, Outgoing,
    SettingsAddressBook, Target, idempotency_key,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generation() -> &'static Generation {
    static GENERATION: OnceLock<Generation> = OnceLock::new();
    GENERATION.get_or_init(|| {
        tocsin::compile::load(Some(&root().join("examples/shenyang"))).expect("example compiles")
    })
}

/// The directory of the golden example contacts (`tests/golden/contacts/valid`).
fn directory() -> Directory {
    let path = root().join("tests/golden/contacts/valid/city/contacts.yaml");
    let file = SourceFile {
        path: "city/contacts.yaml".to_owned(),
        text: std::fs::read_to_string(path).unwrap(),
    };
    contacts::compile(&[file], generation()).unwrap()
}

fn settings(yaml: &str) -> NotifySettings {
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    NotifySettings::from_yaml_with(&value, |_| None).unwrap()
}

/// The settings book the contacts fall back to.
const FALLBACK: &str = "webhooks: {desk: {url: 'http://127.0.0.1:9/desk'}}\n\
    addresses:\n  default: {webhook: [desk], email: [desk@city.invalid], sms: ['+8613800000000']}\n";

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// A target as one line: `plain ADDRESS` or `MEDIUM NAME URL-REF`.
fn shown(target: &Target) -> String {
    match target {
        Target::Plain(text) => format!("plain {text}"),
        Target::Endpoint {
            medium, name, url, ..
        } => format!("{medium} {name} {}", reference(url)),
    }
}

fn reference(r: &Reference) -> String {
    match r {
        Reference::Env(name) => format!("env:{name}"),
        Reference::Literal(text) => text.clone(),
    }
}

#[test]
fn outbox_recipients_resolve_to_the_people_on_duty_at_the_message_time() {
    let book = ContactsAddressBook::new(directory(), SettingsAddressBook::new(&settings(FALLBACK)));
    let office = "shenyang.duty_office";
    let desk = "webhook 总值班室值班台 env:TOCSIN_WEBHOOK_URL";
    // 2026-12-07 is a Monday; 2026-12-08 12:00 falls in the zhang_wei -> zhao_lei swap.
    let table: &[(&str, Channel, &str, &[&str])] = &[
        (
            office,
            Channel::Sms,
            "2026-12-07T08:30:00+08:00",
            &["plain +8613700000001"],
        ),
        (
            office,
            Channel::Email,
            "2026-12-07T08:30:00+08:00",
            &["plain zhang.wei@duty.example.invalid"],
        ),
        (
            office,
            Channel::Webhook,
            "2026-12-07T08:30:00+08:00",
            &[desk],
        ),
        (
            office,
            Channel::Phone,
            "2026-12-07T08:30:00+08:00",
            &["plain +8613700000001"],
        ),
        // one millisecond earlier it is still the weekend shift
        (
            office,
            Channel::Sms,
            "2026-12-07T08:29:59.999+08:00",
            &["plain +8613700000003"],
        ),
        // evening: li_na, who has no e-mail: the settings book answers for e-mail
        (
            office,
            Channel::Sms,
            "2026-12-07T17:30:00+08:00",
            &["plain +8613700000002"],
        ),
        (
            office,
            Channel::Email,
            "2026-12-07T17:30:00+08:00",
            &["plain desk@city.invalid"],
        ),
        // the swap day
        (
            office,
            Channel::Sms,
            "2026-12-08T12:00:00+08:00",
            &["plain +8613700000004"],
        ),
        (
            office,
            Channel::Webhook,
            "2026-12-08T12:00:00+08:00",
            &[desk],
        ),
        // National Day roster
        (
            office,
            Channel::Sms,
            "2026-10-03T12:00:00+08:00",
            &["plain +8613700000004"],
        ),
        // the gas company: its duty officer by role, then its DingTalk robot
        (
            "shenyang.gas_company",
            Channel::Sms,
            "2026-12-07T12:00:00+08:00",
            &["plain +8613700000006"],
        ),
        (
            "shenyang.gas_company",
            Channel::Webhook,
            "2026-12-07T12:00:00+08:00",
            &["dingtalk 燃气调度群 env:TOCSIN_DINGTALK_GAS_URL"],
        ),
        (
            "heping.government",
            Channel::Webhook,
            "2026-12-07T12:00:00+08:00",
            &["wecom 和平区应急群 env:TOCSIN_WECOM_HEPING_URL"],
        ),
        (
            "heping.government",
            Channel::Email,
            "2026-12-07T12:00:00+08:00",
            &["plain liu.yang@heping.example.invalid"],
        ),
        (
            "shenyang.emergency",
            Channel::Webhook,
            "2026-12-07T12:00:00+08:00",
            &["feishu 应急局值班群 env:TOCSIN_FEISHU_EMERGENCY_URL"],
        ),
        // a department the directory does not know: the settings book
        (
            "nowhere.unit",
            Channel::Webhook,
            "2026-12-07T12:00:00+08:00",
            &["plain desk"],
        ),
        (
            "nowhere.unit",
            Channel::Sms,
            "2026-12-07T12:00:00+08:00",
            &["plain +8613800000000"],
        ),
    ];
    for (department, channel, time, expected) in table {
        let got: Vec<String> = book
            .targets(&DepartmentId::new(*department), *channel, at(time))
            .iter()
            .map(shown)
            .collect();
        assert_eq!(got, *expected, "{department} {channel:?} at {time}");
    }
}

#[test]
fn without_a_fallback_entry_a_department_nobody_is_on_duty_for_has_no_address() {
    let empty = settings("{}");
    let book = ContactsAddressBook::new(directory(), SettingsAddressBook::new(&empty));
    let nobody = book.targets(
        &DepartmentId::new("nowhere.unit"),
        Channel::Sms,
        at("2026-12-07T12:00:00+08:00"),
    );
    assert_eq!(nobody, Vec::<Target>::new());
}

const ROBOT_SECRET: &str = receivers::SECRET;

/// An outgoing message to `department`.
fn outgoing(department: &str, key: &str) -> Outgoing {
    Outgoing {
        id: 1,
        key: key.to_owned(),
        idempotency_key: idempotency_key(key),
        attempt: 1,
        warning: 7,
        recipient: DepartmentId::new(department),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        level: Level::Orange,
        drill: false,
        reason: "issued".to_owned(),
        subject: "橙色预警：燃气管网压力异常".to_owned(),
        body: "和平区 北市场 燃气管线压力超限，请立即处置。".to_owned(),
        ack_link: None,
        created_at: at("2026-12-07T12:00:00+08:00"),
    }
}

/// The webhook channel over the contacts book, reading `env:NAME` from `vars`.
fn channel(vars: BTreeMap<&'static str, String>) -> WebhookChannel {
    let fallback = SettingsAddressBook::new(&settings("{}"));
    let book: Arc<dyn AddressBook> = Arc::new(ContactsAddressBook::new(directory(), fallback));
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at("2026-12-07T12:00:01+08:00")));
    WebhookChannel::new(
        notify::http::client().unwrap(),
        BTreeMap::new(),
        book,
        clock,
    )
    .with_environment(Environment::with(move |name| vars.get(name).cloned()))
}

#[tokio::test]
async fn robots_of_the_contacts_receive_signed_messages_their_receiver_verifies() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let vars = BTreeMap::from([
        (
            "TOCSIN_DINGTALK_GAS_URL",
            receiver.url("/dingtalk/robot/send?access_token=tok"),
        ),
        ("TOCSIN_DINGTALK_GAS_SECRET", ROBOT_SECRET.to_owned()),
        (
            "TOCSIN_WECOM_HEPING_URL",
            receiver.url("/wecom/cgi-bin/webhook/send?key=k1"),
        ),
        (
            "TOCSIN_FEISHU_EMERGENCY_URL",
            receiver.url("/feishu/open-apis/bot/v2/hook/h1"),
        ),
        ("TOCSIN_FEISHU_EMERGENCY_SECRET", ROBOT_SECRET.to_owned()),
        ("TOCSIN_WEBHOOK_URL", receiver.url("/ok/desk")),
        ("TOCSIN_WEBHOOK_SECRET", ROBOT_SECRET.to_owned()),
    ]);
    let channel = channel(vars);
    let cases = [
        ("shenyang.gas_company", "/dingtalk/robot/send"),
        ("heping.government", "/wecom/cgi-bin/webhook/send"),
        ("shenyang.emergency", "/feishu/open-apis/bot/v2/hook/h1"),
        ("shenyang.duty_office", "/ok/desk"),
    ];
    for (department, path) in cases {
        let msg = outgoing(department, &format!("w7:issued:0:{department}:webhook"));
        let delivered = channel.send(&msg).await.unwrap();
        // the endpoint on record has no token or key
        assert_eq!(
            delivered.endpoint,
            format!("http://127.0.0.1:{}{path}", receiver.port)
        );
    }
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    let robots: Vec<&serde_json::Value> = requests
        .iter()
        .filter(|r| r.get("robot").is_some())
        .collect();
    assert_eq!(robots.len(), 3);
    for robot in &robots {
        assert_eq!(robot["robot_valid"], true, "{robot}");
    }
    let dingtalk = robots.iter().find(|r| r["robot"] == "dingtalk").unwrap();
    assert_eq!(dingtalk["body"]["msgtype"], "markdown");
    assert!(
        dingtalk["query"]
            .as_str()
            .unwrap()
            .contains("timestamp=1796616001000")
    );
    let wecom = robots.iter().find(|r| r["robot"] == "wecom").unwrap();
    assert!(
        wecom["body"]["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("橙色预警")
    );
    let feishu = robots.iter().find(|r| r["robot"] == "feishu").unwrap();
    assert_eq!(feishu["body"]["timestamp"], "1796616001");
    let generic = requests.iter().find(|r| r.get("robot").is_none()).unwrap();
    assert_eq!(generic["signature_valid"], true);
    assert_eq!(
        generic["webhook_id"],
        idempotency_key("w7:issued:0:shenyang.duty_office:webhook")
    );
}

#[tokio::test]
async fn a_wrong_robot_secret_or_a_missing_variable_is_a_clear_permanent_error() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let vars = BTreeMap::from([
        (
            "TOCSIN_DINGTALK_GAS_URL",
            receiver.url("/dingtalk/robot/send?access_token=tok"),
        ),
        (
            "TOCSIN_DINGTALK_GAS_SECRET",
            "SECnot-the-robot-secret".to_owned(),
        ),
        (
            "TOCSIN_FEISHU_EMERGENCY_URL",
            receiver.url("/feishu/open-apis/bot/v2/hook/h1"),
        ),
        ("TOCSIN_FEISHU_EMERGENCY_SECRET", "wrong".to_owned()),
    ]);
    let channel = channel(vars);
    let table = [
        ("shenyang.gas_company", "send_rejected", "310000"),
        ("shenyang.emergency", "send_rejected", "19021"),
        (
            "heping.government",
            "send_unusable",
            "TOCSIN_WECOM_HEPING_URL",
        ),
    ];
    for (department, code, words) in table {
        let error = channel
            .send(&outgoing(
                department,
                &format!("w7:issued:0:{department}:webhook"),
            ))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{department}: {error}");
        assert!(!error.retryable(), "{department}");
        let text = error.to_string();
        assert!(text.contains(words), "{department}: {text}");
        assert!(!text.contains("tok") && !text.contains("SECnot"), "{text}");
    }
    let kinds: Vec<_> = receiver
        .requests()
        .iter()
        .map(|r| (r["robot"].clone(), r["robot_valid"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (serde_json::json!("dingtalk"), serde_json::json!(false)),
            (serde_json::json!("feishu"), serde_json::json!(false)),
        ]
    );
}

#[test]
fn a_deployment_uses_its_contacts_and_without_contacts_files_the_settings_book() {
    let office = DepartmentId::new("shenyang.duty_office");
    let monday = at("2026-12-07T12:00:00+08:00");
    let with_contacts = generation();
    assert!(notify::address::has_contacts_files(with_contacts));
    let mut without = tocsin::compile::load(Some(&root().join("examples/shenyang"))).unwrap();
    without
        .sources
        .retain(|s| !contacts::is_contacts_file(&s.path));
    // the worker runs for contacts robots even without endpoints in the settings
    let bare = settings("{}");
    assert!(notify::should_run(&bare, Some(with_contacts)));
    assert!(!notify::should_run(&bare, Some(&without)));
    assert!(!notify::should_run(&bare, None));
    assert!(!notify::should_run(
        &settings("enabled: false"),
        Some(with_contacts)
    ));
    let fallback = settings(FALLBACK);
    let table: [(Option<&Generation>, &str); 3] = [
        (None, "plain desk"),
        (Some(&without), "plain desk"),
        (Some(with_contacts), "webhook"),
    ];
    for (generation, expected) in table {
        let book = notify::address::for_deployment(&fallback, generation);
        let got = book.targets(&office, Channel::Webhook, monday);
        let first = shown(&got[0]);
        assert!(first.starts_with(expected), "{first}");
    }
}

#[test]
fn a_reload_puts_new_contacts_in_force() {
    let book = ContactsAddressBook::new(
        Directory::default(),
        SettingsAddressBook::new(&settings(FALLBACK)),
    );
    let office = DepartmentId::new("shenyang.duty_office");
    let monday = at("2026-12-07T12:00:00+08:00");
    assert_eq!(
        book.addresses(&office, Channel::Sms, monday),
        ["+8613800000000"]
    );
    book.replace(directory());
    assert_eq!(
        book.addresses(&office, Channel::Sms, monday),
        ["+8613700000001"]
    );
}
