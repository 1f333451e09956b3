//! The readings body parser and the YAML loader fuzzed directly, with many fixed cases (proptest;
//! cargo-fuzz needs a nightly toolchain). `tests/ingest_props.rs` and `tests/config_props.rs`
//! drive the same code through HTTP and whole deployments with fewer cases; here each call is
//! cheap, so thousands run in seconds.
//!
//! - `ingest::parse_body`: any bytes, either framing, never panic; items come in increasing
//!   position order; a JSON body that serde_json reads as an array gives one item per element,
//!   at positions 0..n.
//! - `config::format::parse_yaml`: any text and mutations of the shipped rule packs never panic;
//!   every problem is a coded diagnostic in the file asked about, at a line of the text.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]

use std::path::PathBuf;

use proptest::prelude::*;
use tocsin::config::Code;
use tocsin::config::format::parse_yaml;
use tocsin::config::raw::RulesDoc;
use tocsin::ingest::{BodyFormat, parse_body};

fn smoke_lines() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal/smoke.ndjson");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn shipped_rules() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut packs: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "yaml")
                && !path.to_string_lossy().ends_with(".test.yaml")
        })
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    packs.sort();
    assert!(packs.len() >= 3, "the shipped rule packs are gone");
    packs
}

/// Cut or insert at char boundaries.
#[derive(Clone, Debug)]
enum Mutation {
    Cut { at: usize, len: usize },
    Insert { at: usize, noise: String },
}

fn mutation(noise: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), prop::sample::select(noise)).prop_map(|(at, noise)| Mutation::Insert {
            at,
            noise: noise.to_owned()
        }),
        (any::<usize>(), "\\PC{0,8}").prop_map(|(at, noise)| Mutation::Insert { at, noise }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_owned();
    for mutation in mutations {
        text = match mutation {
            Mutation::Cut { at, len } => {
                let start = boundary(&text, *at);
                let end = boundary(&text, (start + len).min(text.len())).max(start);
                format!("{}{}", &text[..start], &text[end..])
            }
            Mutation::Insert { at, noise } => {
                let at = boundary(&text, *at);
                format!("{}{noise}{}", &text[..at], &text[at..])
            }
        };
    }
    text
}

const JSON_NOISE: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "NaN",
    "-Infinity",
    "1e999",
    "null",
    "\"value\": 1",
    "\u{0}",
    "\u{feff}",
    "\n",
    "\r\n",
    "é漢\u{10000}",
];

const YAML_NOISE: &[&str] = &[
    ":",
    "- ",
    "  ",
    "\n",
    "\t",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "{",
    "[",
    "\"",
    "'",
    "#",
    "---\n",
    "...\n",
    "? ",
    "|\n",
    ">-\n",
    "~",
    "é漢\u{10000}",
    "\u{0}",
];

/// Positions strictly increase and stay below `bound`.
fn positions_ok(positions: &[usize], bound: usize) -> bool {
    positions.windows(2).all(|pair| pair[0] < pair[1]) && positions.iter().all(|p| *p < bound)
}

fn judge_body(format: BodyFormat, body: &[u8]) -> Result<(), TestCaseError> {
    let Ok(items) = parse_body(format, body) else {
        return Ok(());
    };
    let positions: Vec<usize> = items.iter().map(|(index, _)| *index).collect();
    let bound = match format {
        BodyFormat::Ndjson => body.split(|b| *b == b'\n').count(),
        BodyFormat::Json => body.len().max(1),
    };
    prop_assert!(positions_ok(&positions, bound), "{positions:?}");
    if format == BodyFormat::Json
        && let Ok(array) = serde_json::from_slice::<Vec<serde_json::Value>>(body)
    {
        prop_assert_eq!(positions, (0..array.len()).collect::<Vec<_>>());
    }
    Ok(())
}

fn judge_yaml(text: &str) -> Result<(), TestCaseError> {
    if let Err(diagnostics) = parse_yaml::<RulesDoc>("rules/fuzz.yaml", text) {
        prop_assert!(!diagnostics.is_empty());
        let lines = text.split('\n').count();
        for diagnostic in &diagnostics {
            prop_assert!(Code::ALL.contains(&diagnostic.code), "{diagnostic}");
            prop_assert_eq!(&diagnostic.file, "rules/fuzz.yaml");
            prop_assert!(!diagnostic.message.is_empty());
            prop_assert!(
                diagnostic.line <= lines + 1,
                "{diagnostic} in {lines} lines"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_either_framing(body in prop::collection::vec(any::<u8>(), 0..512), ndjson in any::<bool>()) {
        let format = if ndjson { BodyFormat::Ndjson } else { BodyFormat::Json };
        judge_body(format, &body)?;
    }

    #[test]
    fn mutated_device_batches(
        count in 0usize..20,
        mutations in prop::collection::vec(mutation(JSON_NOISE), 0..6),
        ndjson in any::<bool>(),
    ) {
        let lines: Vec<String> = smoke_lines().into_iter().take(count).collect();
        let (format, text) = if ndjson {
            (BodyFormat::Ndjson, lines.join("\n"))
        } else {
            (BodyFormat::Json, format!("[{}]", lines.join(",")))
        };
        judge_body(format, apply(&text, &mutations).as_bytes())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_as_a_rules_file(text in "\\PC{0,400}") {
        judge_yaml(&text)?;
    }

    #[test]
    fn mutated_shipped_rule_packs(
        pack in 0usize..16,
        mutations in prop::collection::vec(mutation(YAML_NOISE), 1..6),
    ) {
        let packs = shipped_rules();
        judge_yaml(&apply(&packs[pack % packs.len()], &mutations))?;
    }
}

#[test]
fn the_unmutated_inputs_parse() {
    for pack in shipped_rules() {
        assert!(parse_yaml::<RulesDoc>("rules/fuzz.yaml", &pack).is_ok());
    }
    let body = format!("[{}]", smoke_lines().join(","));
    let items = parse_body(BodyFormat::Json, body.as_bytes()).unwrap();
    assert_eq!(items.len(), smoke_lines().len());
}
