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

/// Every configuration code's page shows an example message (`error[CODE]: ...` or
/// `warning[CODE]: ...`), and that message is one `tocsin validate` prints today: it appears in a
/// golden output (`tests/golden/**/expected.txt`), so a changed message fails here until its
/// page is updated.
#[test]
fn config_pages_show_todays_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut golden = String::new();
    let mut folders = vec![root.join("tests/golden")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                folders.push(path);
            } else if path.file_name().is_some_and(|n| n == "expected.txt") {
                golden.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    // A FIFO cannot be committed, nor is a 4 MiB fixture worth it (`src/config/sources.rs`
    // shows these two).
    let shown_elsewhere = [Code::NotRegularFile, Code::FileTooLarge];
    let mut stale = Vec::new();
    for code in Code::ALL.iter().filter(|c| !shown_elsewhere.contains(c)) {
        let page = std::fs::read_to_string(root.join(format!("docs/errors/{}.md", code.as_str())))
            .unwrap();
        let examples: Vec<&str> = page
            .lines()
            .filter_map(|line| {
                ["error", "warning"].iter().find_map(|severity| {
                    let marker = format!("{severity}[{}]: ", code.as_str());
                    line.find(&marker).map(|at| &line[at..])
                })
            })
            .collect();
        if examples.is_empty() {
            stale.push(format!("{}: no example message", code.as_str()));
        }
        for example in examples {
            if !golden.contains(example) {
                stale.push(format!(
                    "{}: `{example}` is not printed today",
                    code.as_str()
                ));
            }
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}
