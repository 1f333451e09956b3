//! Checks that docs/FIRST_RULE.md ("Your first rule") is true: copies `examples/minimal` to a
//! temporary directory as the walkthrough does, writes the exact files the document shows (the
//! fenced blocks after a `<!-- first-rule:file PATH -->` marker), runs `tocsin validate`, `tocsin
//! test` and `tocsin replay --baseline` through the built binary, and compares their standard
//! output with the blocks after `<!-- first-rule:output NAME -->` markers (generation ids, which
//! are hashes of the whole configuration, compared as `<generation>`).
//!
//! The live-reload step of the walkthrough (file watch, SIGHUP, `POST /admin/reload`) is checked
//! by `tests/reload.rs`: `file_watch_reloads_valid_edits_and_rejects_invalid_ones`,
//! `sighup_reloads_a_running_server` and `valid_edit_keeps_unchanged_rule_state`.

use std::path::Path;
use std::process::{Command, Output};

const DOC: &str = include_str!("../docs/FIRST_RULE.md");

/// A fenced block of the walkthrough, introduced by `<!-- first-rule:KIND NAME -->`.
struct Block {
    kind: String,
    name: String,
    text: String,
}

/// Every marked fenced block of `doc`, in document order.
fn blocks(doc: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .trim()
            .strip_prefix("<!-- first-rule:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let (kind, name) = marker.trim().split_once(' ').expect("marker: KIND NAME");
        let fence = lines.next().expect("a fenced block after the marker");
        assert!(
            fence.starts_with("```"),
            "marker {marker:?} not followed by a fence"
        );
        let mut text = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            text.push_str(line);
            text.push('\n');
        }
        found.push(Block {
            kind: kind.to_string(),
            name: name.trim().to_string(),
            text,
        });
    }
    found
}

fn block<'a>(blocks: &'a [Block], kind: &str, name: &str) -> &'a str {
    &blocks
        .iter()
        .find(|b| b.kind == kind && b.name == name)
        .unwrap_or_else(|| panic!("docs/FIRST_RULE.md has no `first-rule:{kind} {name}` block"))
        .text
}

/// Replaces every 16-hex-digit word (a generation id) with `<generation>`.
fn mask_generations(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() == 16 && word.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("<generation>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn tocsin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running tocsin")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn marker_parser_reads_blocks_in_order() {
    let doc = "x\n<!-- first-rule:file a.yaml -->\n```yaml\nk: 1\n```\n\
               <!-- first-rule:output run -->\n```text\nok\nfine\n```\n";
    let found = blocks(doc);
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[0].kind.as_str(), found[0].name.as_str()),
        ("file", "a.yaml")
    );
    assert_eq!(found[0].text, "k: 1\n");
    assert_eq!(found[1].text, "ok\nfine\n");
    assert_eq!(
        mask_generations("generation fd2cd879aba679d5: 8 domains, deadbeef"),
        "generation <generation>: 8 domains, deadbeef"
    );
}

#[test]
fn the_walkthrough_works_as_written() {
    let blocks = blocks(DOC);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    // Step 1: the copy, the baseline copy, an empty rules/ folder.
    copy_dir(&example, &dir.join("my-city"));
    copy_dir(&dir.join("my-city"), &dir.join("before"));
    std::fs::create_dir(dir.join("my-city/rules")).expect("the example has no rules/ folder");

    let files: Vec<_> = blocks.iter().filter(|b| b.kind == "file").collect();
    assert_eq!(files.len(), 2, "the rule and its test file");
    for file in files {
        std::fs::write(dir.join("my-city").join(&file.name), &file.text).unwrap();
    }

    // Step 3: validate.
    let output = tocsin(dir, &["validate", "--config", "my-city"]);
    assert!(output.status.success(), "validate failed: {output:?}");
    assert_eq!(
        mask_generations(&stdout(&output)),
        mask_generations(block(&blocks, "output", "validate"))
    );

    // Step 4: the deployment's own cases pass, and their report is the one shown.
    let output = tocsin(
        dir,
        &["test", "--config", "my-city", "--only", "deployment"],
    );
    assert!(output.status.success(), "test failed: {output:?}");
    assert_eq!(stdout(&output), block(&blocks, "output", "test"));

    // Step 6: the replay diff against the copy taken before the rule.
    let output = tocsin(
        dir,
        &[
            "replay",
            "--config",
            "my-city",
            "--baseline",
            "before",
            "--input",
            "my-city/smoke.ndjson",
        ],
    );
    assert!(output.status.success(), "replay failed: {output:?}");
    assert_eq!(stdout(&output), block(&blocks, "output", "replay"));
    let summary = mask_generations(&String::from_utf8(output.stderr).unwrap());
    assert_eq!(
        summary.trim(),
        "replay: 80 readings, 0 bad lines; baseline <generation>: 3 warnings, <generation>: 4 warnings"
    );
    assert!(
        mask_generations(DOC).contains(summary.trim()),
        "the document quotes the replay summary"
    );
}
