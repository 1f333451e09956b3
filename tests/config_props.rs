//! Robustness of the configuration loader: random and mutated documents never panic the
//! compiler, and every problem comes back as a coded diagnostic naming a file of the deployment.
//! The mutations start from the real example deployment, so they reach deep into the compiler
//! (references, ladders, CSV cells), not only the YAML parser.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tocsin::config::Code;

/// The files of `examples/minimal` that a case may replace, with their text.
fn example_files() -> Vec<(&'static str, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    [
        "city/assets.yaml",
        "city/departments.yaml",
        "city/districts.yaml",
        "city/sensors.yaml",
        "city/sensors.csv",
        "tocsin.yaml",
    ]
    .into_iter()
    .map(|path| (path, std::fs::read_to_string(root.join(path)).unwrap()))
    .collect()
}

/// Writes the example deployment with `file` replaced by `text` (and an extra rules file) into a
/// fresh directory.
fn deployment(file: &str, text: &str, rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, original) in example_files() {
        let body = if path == file {
            text
        } else {
            original.as_str()
        };
        write(dir.path(), path, body);
    }
    write(dir.path(), "rules/extra.yaml", rules);
    dir
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// Loads a deployment and checks the answer: either a generation, or only coded diagnostics that
/// name a file and carry a message.
fn judge(dir: &Path) -> Result<(), TestCaseError> {
    match tocsin::compile::load(Some(dir)) {
        Ok(generation) => prop_assert!(!generation.id.as_str().is_empty()),
        Err(diagnostics) => {
            prop_assert!(!diagnostics.is_empty(), "an invalid set with no diagnostic");
            for diagnostic in &diagnostics {
                prop_assert!(Code::ALL.contains(&diagnostic.code));
                prop_assert!(!diagnostic.file.is_empty(), "no file in {diagnostic}");
                prop_assert!(!diagnostic.message.is_empty(), "no message in {diagnostic}");
            }
        }
    }
    Ok(())
}

/// A mutation of a text: cut a range, insert YAML-significant noise, or duplicate a line.
#[derive(Clone, Debug)]
enum Mutation {
    Cut { at: usize, len: usize },
    Insert { at: usize, noise: String },
    DuplicateLine { line: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (
            any::<usize>(),
            "[-:{}\\[\\],'\"#&*!|>%@` \\n\\ta-z0-9.]{1,12}"
        )
            .prop_map(|(at, noise)| Mutation::Insert { at, noise }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let boundary = |at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match mutation {
        Mutation::Cut { at, len } => {
            let start = boundary(*at);
            let end = boundary(start.saturating_add(*len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, noise } => {
            let at = boundary(*at);
            format!("{}{}{}", &text[..at], noise, &text[at..])
        }
        Mutation::DuplicateLine { line } => {
            let lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return text.to_owned();
            }
            let line = line % lines.len();
            let mut out = lines.clone();
            out.insert(line, lines[line]);
            out.join("\n")
        }
    }
}

/// A small rules document built from plausible and implausible parts.
fn rules_document() -> impl Strategy<Value = String> {
    let version = prop_oneof![Just("version: 1\n"), Just("version: 2\n"), Just("")];
    let kind = prop_oneof![
        Just("threshold: {for: 10m}"),
        Just("threshold: {levels: {blue: 5, red: 1}}"),
        Just("threshold: {count: {n: 5, of: 3}}"),
        Just("rate: {window: 5m, per: 1m, levels: {yellow: 1}}"),
        Just("rate: {window: -5m, per: 0s, levels: {}}"),
        Just(
            "dual_control: {combine: all, cumulative: {levels: {red: 20}}, rate: {window: 1d, per: 1d, levels: {red: 2}}}"
        ),
        Just("threshold: 7"),
        Just(""),
    ];
    let metric = prop_oneof![
        Just("gas.ch4_adjacent"),
        Just("ws.pressure"),
        Just("no.such_metric"),
        Just("[1, 2]")
    ];
    (version, kind, metric, "[a-z_.]{0,12}").prop_map(|(version, kind, metric, id)| {
        format!(
            "{version}rules:\n  - id: {id}\n    domain: city_gas\n    metric: {metric}\n    hazard: gas_leak\n    {kind}\n"
        )
    })
}

const VALID_RULES: &str = "version: 1\nrules: []\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_registry_files_give_coded_diagnostics(
        file in 0usize..6,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let files = example_files();
        let (path, original) = &files[file];
        let text = mutations.iter().fold(original.clone(), |text, m| apply(&text, m));
        let dir = deployment(path, &text, VALID_RULES);
        judge(dir.path())?;
    }

    #[test]
    fn random_rule_documents_give_coded_diagnostics(rules in rules_document()) {
        let dir = deployment("", "", &rules);
        judge(dir.path())?;
    }

    #[test]
    fn arbitrary_text_gives_coded_diagnostics(text in "\\PC{0,200}", file in 0usize..6) {
        let files = example_files();
        let dir = deployment(files[file].0, &text, &text);
        judge(dir.path())?;
    }
}
