//! Contacts and duty rosters against the Shenyang example's generation: golden diagnostics for
//! bad contacts files (`tests/golden/contacts/<case>/city/*` -> `expected.txt`, rewritten with
//! `UPDATE_GOLDEN=1`), and the shipped-style example resolving the workflow's recipient words to
//! the people on duty and their addresses at shift boundaries, across midnight and on override
//! days.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on a missing fixture"
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tocsin::contacts::{self, Address, Addressee, Directory, Medium, Reference};
use tocsin::model::{
    AssetId, DepartmentId, DistrictCode, DomainId, Generation, GenerationId, HazardId, Level,
    Recipient, SourceFile, Timestamp,
};
use tocsin::workflow::WarningFacts;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generation() -> &'static Generation {
    static GENERATION: OnceLock<Generation> = OnceLock::new();
    GENERATION.get_or_init(|| {
        tocsin::compile::load(Some(&root().join("examples/shenyang"))).expect("example compiles")
    })
}

/// The contacts files of a golden case, as `city/<name>` sources.
fn case_files(case: &Path) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = std::fs::read_dir(case.join("city"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| SourceFile {
            path: format!("city/{}", path.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&path).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn compile_case(name: &str) -> Result<Directory, Vec<tocsin::config::Diagnostic>> {
    contacts::compile(
        &case_files(&root().join("tests/golden/contacts").join(name)),
        generation(),
    )
}

#[test]
fn contacts_diagnostics_match_their_golden_output() {
    let cases_dir = root().join("tests/golden/contacts");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 7, "only {} cases", cases.len());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = match contacts::compile(&case_files(case), generation()) {
            Ok(_) => String::new(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| format!("{d}\n"))
                .collect::<String>(),
        };
        let expected_path = case.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &output).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap();
        if output != expected {
            failures.push(format!("--- {name}: expected\n{expected}--- got\n{output}"));
        }
        // Only the `valid` case compiles.
        assert_eq!(output.is_empty(), name == "valid", "{name}:\n{output}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_literal_secret_is_refused_without_being_repeated() {
    let diagnostics = compile_case("secret_literal").unwrap_err();
    let text: String = diagnostics.iter().map(|d| format!("{d}\n")).collect();
    assert!(text.contains("error[bad_value]: a secret must be given as `env:NAME`"));
    assert!(!text.contains("SECdeadbeefcafe"), "{text}");
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn dept(id: &str) -> DepartmentId {
    DepartmentId::new(id)
}

/// `person medium address` lines, in order.
fn lines(addressees: &[Addressee]) -> Vec<String> {
    addressees
        .iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a.person.as_ref().map_or("-", |p| p.as_str()),
                a.medium,
                a.address.shown()
            )
        })
        .collect()
}

#[test]
fn city_duty_office_resolves_to_the_officer_on_duty_with_addresses_in_order() {
    let directory = compile_case("valid").unwrap();
    let office = [dept("shenyang.duty_office")];
    let desk = "- webhook 总值班室值班台";
    // 2026-12-07 is a Monday; 2026-12-08 is the swap day.
    let table: &[(&str, &[&str])] = &[
        (
            "2026-12-07T08:30:00+08:00",
            &[
                "zhang_wei sms +8613700000001",
                "zhang_wei phone +8613700000001",
                "zhang_wei email zhang.wei@duty.example.invalid",
                desk,
            ],
        ),
        (
            "2026-12-07T08:29:59.999+08:00",
            &[
                "wang_fang phone +8613700000003",
                "wang_fang sms +8613700000003",
                "wang_fang email wang.fang@duty.example.invalid",
                desk,
            ],
        ),
        (
            "2026-12-07T17:30:00+08:00",
            &[
                "li_na sms +8613700000002",
                "li_na phone +8613700000002",
                desk,
            ],
        ),
        (
            "2026-12-08T00:00:00+08:00",
            &[
                "li_na sms +8613700000002",
                "li_na phone +8613700000002",
                desk,
            ],
        ),
        // The swap: zhao_lei, whose webhook channel is the desk, so it is not posted twice.
        (
            "2026-12-08T12:00:00+08:00",
            &[
                "zhao_lei sms +8613700000004",
                "zhao_lei webhook 总值班室值班台",
            ],
        ),
        // National Day (10-01 to 10-07 inclusive).
        (
            "2026-10-07T23:59:59.999+08:00",
            &[
                "zhao_lei sms +8613700000004",
                "zhao_lei webhook 总值班室值班台",
            ],
        ),
        (
            "2026-10-08T00:00:00+08:00",
            &[
                "li_na sms +8613700000002",
                "li_na phone +8613700000002",
                desk,
            ],
        ),
    ];
    for (time, expected) in table {
        let got = lines(&directory.addressees(&Recipient::CityDutyOffice, &office, at(time)));
        assert_eq!(got, *expected, "at {time}");
    }
}

fn gas_warning() -> WarningFacts {
    WarningFacts {
        id: 1,
        asset: AssetId::new("gas-main-njnj-01"),
        hazard: HazardId::new("gas_leak"),
        domain: DomainId::new("city_gas"),
        district: DistrictCode::new("210102"),
        department: dept("shenyang.construction"),
        level: Level::parse("orange").unwrap(),
        drill: false,
        message: String::new(),
        generation: GenerationId::new("test"),
    }
}

#[test]
fn workflow_words_resolve_through_routing_departments_and_rosters() {
    let directory = compile_case("valid").unwrap();
    let generation = generation();
    let workflow = &generation.workflows[0];
    let warning = gas_warning();
    let noon = at("2026-12-07T12:00:00+08:00");
    let resolve = |recipient: Recipient| {
        lines(&directory.resolve(generation, workflow, &warning, &recipient, &[], noon))
    };
    // The owner unit: nobody holds duty_officer there on a roster, so its duty officers by role.
    assert_eq!(
        resolve(Recipient::Owner),
        ["sun_li sms +8613700000006", "- dingtalk 燃气调度群"]
    );
    // The district government (和平区): its duty officer, e-mail and the district's WeCom robot.
    assert_eq!(
        resolve(Recipient::DistrictGovernment),
        [
            "liu_yang sms +8613700000007",
            "liu_yang email liu.yang@heping.example.invalid",
            "liu_yang wecom 和平区应急群",
        ]
    );
    assert_eq!(
        resolve(Recipient::CityDutyOffice),
        [
            "zhang_wei sms +8613700000001",
            "zhang_wei phone +8613700000001",
            "zhang_wei email zhang.wei@duty.example.invalid",
            "- webhook 总值班室值班台",
        ]
    );
    // A department the contacts files list nobody for falls back to its registry duty contacts
    // (`city/departments.yaml`): a landline is called, not texted.
    assert_eq!(
        resolve(Recipient::Department(dept("shenyang.emergency"))),
        [
            "shenyang.emergency#1 phone 024-00000141",
            "- feishu 应急局值班群"
        ]
    );
    // The lead department's duty leader is its registry contact with role `duty_leader`.
    assert_eq!(
        resolve(Recipient::DepartmentDutyLeader),
        [
            "shenyang.construction#2 phone 024-00000102",
            "shenyang.construction#2 email leader@cxjs.example.invalid",
        ]
    );
    // A department with neither people nor contacts nor endpoints yields nothing.
    assert!(
        directory
            .addressees(
                &Recipient::Department(dept("shenyang.fire")),
                &[dept("shenyang.fire")],
                noon
            )
            .is_empty()
    );
    // The duty leader of the owner unit comes from its roster.
    let leaders = directory.addressees(
        &Recipient::DepartmentDutyLeader,
        &[dept("shenyang.gas_company")],
        noon,
    );
    assert_eq!(
        lines(&leaders),
        [
            "chen_jie sms +8613700000005",
            "chen_jie dingtalk 燃气调度群"
        ]
    );
    // Preferences count the person's order; the endpoint carries references, not secrets.
    assert_eq!(leaders[1].preference, 1);
    assert_eq!(leaders[1].medium.channel(), tocsin::model::Channel::Webhook);
    match &leaders[1].address {
        Address::Endpoint { url, secret, .. } => {
            assert_eq!(*url, Reference::Env("TOCSIN_DINGTALK_GAS_URL".to_owned()));
            assert_eq!(
                secret.as_ref(),
                Some(&Reference::Env("TOCSIN_DINGTALK_GAS_SECRET".to_owned()))
            );
            assert_eq!(
                format!("{secret:?}"),
                "Some(env:TOCSIN_DINGTALK_GAS_SECRET)"
            );
        }
        other => panic!("not an endpoint: {other:?}"),
    }
    assert_eq!(Medium::parse("wecom"), Some(Medium::Wecom));
}

#[test]
fn csv_people_are_checked_like_yaml_people() {
    let diagnostics = compile_case("csv_people").unwrap_err();
    let text: String = diagnostics.iter().map(|d| format!("{d}\n")).collect();
    assert!(text.contains("city/contacts.csv:3:"), "{text}");
    assert!(text.contains("error[unknown_department]"), "{text}");
    assert!(text.contains("error[no_address]"), "{text}");
}

#[test]
fn oncall_report_lists_every_word_and_who_cannot_be_told() {
    let directory = compile_case("valid").unwrap();
    let probe = contacts::oncall::Probe {
        asset: "gas-main-njnj-01",
        level: Level::parse("red").unwrap(),
    };
    let text = contacts::oncall::report(
        &directory,
        generation(),
        Some(&probe),
        at("2026-12-08T03:00:00+08:00"),
    )
    .unwrap();
    assert!(
        text.starts_with("on call at 2026-12-08T03:00:00+08:00\n"),
        "{text}"
    );
    for line in [
        "owner: shenyang.gas_company 沈阳燃气有限公司",
        "  sms      sun_li 孙丽 +8613700000006",
        "  dingtalk - 燃气调度群",
        "  wecom    liu_yang 刘洋 和平区应急群",
        "city_duty_office: shenyang.duty_office 市政府总值班室",
        "  phone    li_na 李娜 +8613700000002",
        "  phone    shenyang.construction#1 市城乡建设局 值班室 duty desk 024-00000101",
        "  ! nobody to tell in shenyang.fire",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    let unknown = contacts::oncall::Probe {
        asset: "no-such-asset",
        level: Level::parse("red").unwrap(),
    };
    assert_eq!(
        contacts::oncall::report(
            &directory,
            generation(),
            Some(&unknown),
            at("2026-12-08T03:00:00+08:00")
        )
        .unwrap_err()
        .to_string(),
        "unknown asset `no-such-asset`"
    );
}

#[test]
fn oncall_command_prints_the_roster_holders_at_a_time() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["oncall", "--config"])
        .arg(root().join("examples/shenyang"))
        .arg("--contacts")
        .arg(root().join("tests/golden/contacts/valid/city/contacts.yaml"))
        .args(["--at", "2026-10-03T12:00:00+08:00"])
        .env_remove("TOCSIN_LISTEN")
        .env_remove("TOCSIN_STORE")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // National Day: the holiday roster's zhao_lei.
    assert!(
        stdout.contains("roster shenyang.duty_office duty_officer: zhao_lei 赵磊\n"),
        "{stdout}"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["oncall", "--config"])
        .arg(root().join("examples/shenyang"))
        .arg("--contacts")
        .arg(root().join("tests/golden/contacts/roster_gap/city/contacts.yaml"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("error[roster_gap]"));
}

#[test]
fn addressees_serialize_with_references_only_and_the_directory_is_shareable() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Directory>();
    let directory = compile_case("valid").unwrap();
    let addressees = directory.addressees(
        &Recipient::DepartmentDutyLeader,
        &[dept("shenyang.gas_company")],
        at("2026-12-07T12:00:00+08:00"),
    );
    let json = serde_json::to_value(&addressees).unwrap();
    assert_eq!(json[0]["person"], "chen_jie");
    assert_eq!(json[0]["medium"], "sms");
    assert_eq!(json[0]["address"]["phone"], "+8613700000005");
    assert_eq!(
        json[1]["address"]["endpoint"],
        serde_json::json!({
            "name": "燃气调度群",
            "url": "env:TOCSIN_DINGTALK_GAS_URL",
            "secret": "env:TOCSIN_DINGTALK_GAS_SECRET"
        })
    );
}

#[test]
fn a_generation_without_contacts_files_reaches_its_registry_duty_desks() {
    for (path, expected) in [
        ("city/contacts.yaml", true),
        ("city/contacts-districts.csv", true),
        ("city/contacts.yml", true),
        ("city/departments.yaml", false),
        ("rules/contacts.yaml", false),
        ("city/sub/contacts.yaml", false),
    ] {
        assert_eq!(contacts::is_contacts_file(path), expected, "{path}");
    }
    // the example ships a contacts file; without any, the registry's duty contacts remain
    let directory = contacts::compile(&[], generation()).unwrap();
    let office = [dept("shenyang.duty_office")];
    assert_eq!(
        lines(&directory.addressees(
            &Recipient::CityDutyOffice,
            &office,
            at("2026-12-07T12:00:00+08:00")
        )),
        [
            "shenyang.duty_office#1 phone 024-00000151",
            "shenyang.duty_office#1 email duty@shenyang.example.invalid",
        ]
    );
}

#[test]
fn the_example_ships_its_contacts_and_the_loader_keeps_them_for_the_directory() {
    // `city/contacts.yaml` of examples/shenyang is kept among the generation's sources (not
    // parsed as a registry) and compiled by `from_generation`
    let directory = contacts::from_generation(generation()).unwrap();
    let office = [dept("shenyang.duty_office")];
    let told = lines(&directory.addressees(
        &Recipient::CityDutyOffice,
        &office,
        at("2026-12-07T12:00:00+08:00"),
    ));
    assert!(
        told.iter().any(|line| line.starts_with("zhang_wei sms")),
        "{told:?}"
    );
}
