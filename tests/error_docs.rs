//! Every stable error code has a page under `docs/errors/`, and every page there belongs to a code.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test or bench reports failure

use std::collections::BTreeSet;
use std::path::Path;

use tocsin::config::Code;
use tocsin::error::ErrorCode;

fn documented() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .filter_map(|name| name.strip_suffix(".md").map(str::to_owned))
        .collect()
}

fn codes() -> BTreeSet<String> {
    let api = ErrorCode::ALL.iter().map(|c| c.as_str().to_owned());
    let config = Code::ALL.iter().map(|c| c.as_str().to_owned());
    api.chain(config).collect()
}

#[test]
fn every_code_has_a_page() {
    let missing: Vec<_> = codes().difference(&documented()).cloned().collect();
    assert!(
        missing.is_empty(),
        "codes without docs/errors page: {missing:?}"
    );
}

#[test]
fn every_page_names_a_code() {
    let orphans: Vec<_> = documented().difference(&codes()).cloned().collect();
    assert!(orphans.is_empty(), "pages for no code: {orphans:?}");
}

#[test]
fn codes_are_unique_across_api_and_config() {
    let api: BTreeSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let config: BTreeSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let shared: Vec<_> = api.intersection(&config).collect();
    // The same word may name a config and an ingest problem only when it means the same thing.
    assert!(
        shared
            .iter()
            .all(|c| ["unknown_sensor", "unknown_metric"].contains(c)),
        "codes used by both with different meanings: {shared:?}"
    );
}
