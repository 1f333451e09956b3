//! Who a message reaches, drill or real: contacts entries marked `drill: true` are told of drills
//! (演练) only, real warnings never reach them, and a drill for a department listed in the
//! contacts reaches only its drill entries (nobody when it has none). A table over a small
//! contacts file compiled against the Shenyang example.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use std::sync::OnceLock;

use tocsin::contacts::{self, Directory};
use tocsin::model::{Channel, DepartmentId, Generation, Level, SourceFile, Timestamp};
use tocsin::notify::{
    AddressBook, ContactsAddressBook, NotifySettings, Outgoing, SettingsAddressBook, Target,
    idempotency_key,
};

fn generation() -> &'static Generation {
    static GENERATION: OnceLock<Generation> = OnceLock::new();
    GENERATION.get_or_init(|| {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        tocsin::compile::load(Some(&root.join("examples/shenyang"))).expect("example compiles")
    })
}

const CONTACTS: &str = r#"version: 1
people:
  - {id: sun_li, name: 孙丽, department: shenyang.gas_company, roles: [duty_officer],
     phone: "13700000001", email: sun.li@gas.example}
  - {id: drill_gas, name: 演练员 燃气, department: shenyang.gas_company, roles: [duty_officer],
     phone: "13700000009", drill: true}
  - {id: wu_bo, name: 吴波, department: shenyang.water, roles: [duty_officer], phone: "13700000002"}
webhooks:
  - {department: shenyang.gas_company, name: gas-desk, url: "http://127.0.0.1:9/gas"}
  - {department: shenyang.gas_company, name: gas-drill, url: "http://127.0.0.1:9/drill", drill: true}
"#;

fn directory() -> Directory {
    let file = SourceFile {
        path: "city/contacts.yaml".to_owned(),
        text: CONTACTS.to_owned(),
    };
    contacts::compile(&[file], generation()).unwrap()
}

fn book() -> ContactsAddressBook {
    let yaml = "addresses: {default: {sms: ['13900000000']}}\n";
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    let settings = NotifySettings::from_yaml_with(&value, |_| None).unwrap();
    ContactsAddressBook::new(directory(), SettingsAddressBook::new(&settings))
}

fn message(department: &str, drill: bool) -> Outgoing {
    let key = format!("w1:issued:1:{department}:sms");
    Outgoing {
        id: 1,
        idempotency_key: idempotency_key(&key),
        key,
        attempt: 1,
        warning: 1,
        recipient: DepartmentId::new(department),
        audience: "department".to_owned(),
        level: Level::Red,
        drill,
        reason: "issued".to_owned(),
        subject: "s".to_owned(),
        body: "b".to_owned(),
        ack_link: None,
        created_at: Timestamp(1_796_000_000_000),
    }
}

/// The names of webhook targets.
fn endpoint_names(targets: Vec<Target>) -> Vec<String> {
    targets
        .into_iter()
        .map(|t| match t {
            Target::Plain(text) => text,
            Target::Endpoint { name, .. } => name,
        })
        .collect()
}

#[test]
fn drills_reach_drill_recipients_only_and_real_warnings_never_do() {
    let book = book();
    let table: [(&str, bool, Channel, &[&str]); 11] = [
        // real: the person on duty and the department's real webhook, never the drill entries
        (
            "shenyang.gas_company",
            false,
            Channel::Sms,
            &["13700000001"],
        ),
        (
            "shenyang.gas_company",
            false,
            Channel::Email,
            &["sun.li@gas.example"],
        ),
        (
            "shenyang.gas_company",
            false,
            Channel::Webhook,
            &["gas-desk"],
        ),
        // drill: only the drill person and the drill webhook
        ("shenyang.gas_company", true, Channel::Sms, &["13700000009"]),
        ("shenyang.gas_company", true, Channel::Email, &[]),
        (
            "shenyang.gas_company",
            true,
            Channel::Webhook,
            &["gas-drill"],
        ),
        // a listed department without drill entries: a drill reaches nobody
        ("shenyang.water", true, Channel::Sms, &[]),
        ("shenyang.water", false, Channel::Sms, &["13700000002"]),
        // listed through its registry duty contacts (departments.yaml), none for drills
        ("shenyang.emergency", true, Channel::Sms, &[]),
        // a department the directory does not list: the settings book, drill or not
        ("nowhere.unit", true, Channel::Sms, &["13900000000"]),
        ("nowhere.unit", false, Channel::Sms, &["13900000000"]),
    ];
    for (department, drill, channel, expected) in table {
        let got = endpoint_names(book.targets_of(&message(department, drill), channel));
        assert_eq!(got, expected, "{department} drill={drill} {channel:?}");
    }
}

#[test]
fn the_directory_says_who_has_drill_recipients() {
    let directory = directory();
    assert!(directory.has_drill_recipient(&DepartmentId::new("shenyang.gas_company")));
    assert!(!directory.has_drill_recipient(&DepartmentId::new("shenyang.water")));
    assert!(directory.lists_department(&DepartmentId::new("shenyang.water")));
    // listed through the registry's duty contacts
    assert!(directory.lists_department(&DepartmentId::new("shenyang.emergency")));
    assert!(!directory.has_drill_recipient(&DepartmentId::new("shenyang.emergency")));
    assert!(!directory.lists_department(&DepartmentId::new("nowhere.unit")));
}

#[test]
fn oncall_names_departments_a_drill_would_reach_nobody_in() {
    let probe = contacts::oncall::Probe {
        asset: "gas-well-njnj-01",
        level: Level::Red,
    };
    let text = contacts::oncall::report(
        &directory(),
        generation(),
        Some(&probe),
        Timestamp(1_796_000_000_000),
    )
    .unwrap();
    let warned: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("! no drill recipient in"))
        .collect();
    assert!(!warned.is_empty(), "{text}");
    assert!(
        !warned.iter().any(|l| l.contains("shenyang.gas_company:")),
        "the gas company has a drill entry: {text}"
    );
    // Contacts that mark nobody for drills get no such line.
    let plain = SourceFile {
        path: "city/contacts.yaml".to_owned(),
        text: CONTACTS.replace(", drill: true", ""),
    };
    let unmarked = contacts::compile(&[plain], generation()).unwrap();
    assert!(!unmarked.uses_drills());
    let text = contacts::oncall::report(
        &unmarked,
        generation(),
        Some(&probe),
        Timestamp(1_796_000_000_000),
    )
    .unwrap();
    assert!(!text.contains("no drill recipient"), "{text}");
}
