//! Checks that docs/FIRST_RULE.md ("Your first rule") is true: plays every marked block of the
//! document, in order, in a temporary directory holding a copy of the repository's `examples/`:
//!
//! - `<!-- first-rule:sh -->` then a `sh` block: its `cp -r A B`, `cp A B` and `mkdir A` lines
//!   (any other line fails the test, so the document cannot show a step the test skips);
//! - `<!-- first-rule:file PATH -->` then a block: the file is written with exactly that text;
//! - `<!-- first-rule:edit PATH -->` then a `diff` block: each `-` line of the file is replaced by
//!   the `+` line that follows it;
//! - `<!-- first-rule:run -->` then a `sh` block of one `tocsin ...` command, then a block: the
//!   built binary runs the command and its standard output must be exactly the second block
//!   (generation ids, hashes of the whole configuration, compared as `<generation>`).
//!
//! The live-reload step of the walkthrough (file watch, SIGHUP, `POST /admin/reload`) is checked
//! by `tests/reload.rs`: `file_watch_reloads_valid_edits_and_rejects_invalid_ones`,
//! `sighup_reloads_a_running_server` and `valid_edit_keeps_unchanged_rule_state`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

const DOC: &str = include_str!("../docs/FIRST_RULE.md");

/// A marked step of the walkthrough.
#[derive(Debug, PartialEq)]
enum Step {
    /// Shell lines (`cp`, `mkdir`).
    Sh(String),
    /// A file written whole.
    File { path: String, text: String },
    /// `-`/`+` line pairs applied to a file.
    Edit { path: String, diff: String },
    /// A command and its standard output.
    Run { command: String, output: String },
}

/// The text of the fenced block starting at the next non-blank line of `lines`.
fn fenced<'a>(lines: &mut impl Iterator<Item = &'a str>, after: &str) -> String {
    let fence = lines
        .by_ref()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_else(|| panic!("no fenced block after {after}"));
    assert!(
        fence.starts_with("```"),
        "{after} is not followed by a fenced block: {fence:?}"
    );
    let mut text = String::new();
    for line in lines.by_ref() {
        if line.starts_with("```") {
            return text;
        }
        text.push_str(line);
        text.push('\n');
    }
    panic!("unclosed fenced block after {after}")
}

/// Every marked step of `doc`, in document order.
fn steps(doc: &str) -> Vec<Step> {
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
        let marker = marker.trim();
        let (kind, argument) = marker.split_once(' ').unwrap_or((marker, ""));
        let argument = argument.trim().to_owned();
        let step = match kind {
            "sh" => Step::Sh(fenced(&mut lines, marker)),
            "file" => Step::File {
                path: argument,
                text: fenced(&mut lines, marker),
            },
            "edit" => Step::Edit {
                path: argument,
                diff: fenced(&mut lines, marker),
            },
            "run" => Step::Run {
                command: fenced(&mut lines, marker).trim().to_owned(),
                output: fenced(&mut lines, marker),
            },
            _ => panic!("unknown marker {marker:?}"),
        };
        found.push(step);
    }
    found
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

/// Applies `-`/`+` line pairs to `text`; each `-` line must occur exactly once.
fn apply_edit(text: &str, diff: &str) -> String {
    let mut text = text.to_owned();
    let mut lines = diff.lines();
    while let Some(old) = lines.next() {
        let old = old
            .strip_prefix('-')
            .expect("a diff line starting with `-`");
        let new = lines
            .next()
            .and_then(|l| l.strip_prefix('+'))
            .expect("each `-` line followed by a `+` line");
        assert_eq!(text.matches(old).count(), 1, "{old:?} once in the file");
        text = text.replacen(old, new, 1);
    }
    text
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

/// Runs one shell line of the walkthrough in `dir`.
fn shell(dir: &Path, line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["cp", "-r", from, to] => copy_dir(&dir.join(from), &dir.join(to)),
        ["cp", from, to] => {
            std::fs::copy(dir.join(from), dir.join(to)).unwrap();
        }
        ["mkdir", path] => std::fs::create_dir(dir.join(path)).expect("a new folder"),
        _ => panic!("the walkthrough shows a shell line the test cannot play: {line:?}"),
    }
}

#[test]
fn marker_parser_reads_steps_in_order() {
    let doc = "x\n<!-- first-rule:file a.yaml -->\n```yaml\nk: 1\n```\n\
               <!-- first-rule:run -->\n```sh\ntocsin test\n```\n\n```text\nok\nfine\n```\n\
               <!-- first-rule:edit a.yaml -->\n```diff\n-k: 1\n+k: 2\n```\n";
    assert_eq!(
        steps(doc),
        [
            Step::File {
                path: "a.yaml".to_owned(),
                text: "k: 1\n".to_owned()
            },
            Step::Run {
                command: "tocsin test".to_owned(),
                output: "ok\nfine\n".to_owned()
            },
            Step::Edit {
                path: "a.yaml".to_owned(),
                diff: "-k: 1\n+k: 2\n".to_owned()
            },
        ]
    );
    assert_eq!(apply_edit("a: 0\nk: 1\n", "-k: 1\n+k: 2\n"), "a: 0\nk: 2\n");
    assert_eq!(
        mask_generations("generation fd2cd879aba679d5: 8 domains, deadbeef"),
        "generation <generation>: 8 domains, deadbeef"
    );
}

#[test]
fn the_walkthrough_works_as_written() {
    let steps = steps(DOC);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        &dir.join("examples"),
    );
    let mut runs = 0;
    for step in &steps {
        match step {
            Step::Sh(lines) => lines.lines().for_each(|line| shell(dir, line)),
            Step::File { path, text } => std::fs::write(dir.join(path), text).unwrap(),
            Step::Edit { path, diff } => {
                let text = std::fs::read_to_string(dir.join(path)).unwrap();
                std::fs::write(dir.join(path), apply_edit(&text, diff)).unwrap();
            }
            Step::Run { command, output } => {
                let args: Vec<&str> = command.split_whitespace().collect();
                assert_eq!(args.first(), Some(&"tocsin"), "{command}");
                let ran = tocsin(dir, &args[1..]);
                assert_eq!(
                    mask_generations(&stdout(&ran)),
                    mask_generations(output),
                    "`{command}` printed something else (stderr: {})",
                    String::from_utf8_lossy(&ran.stderr)
                );
                runs += 1;
            }
        }
    }
    assert_eq!(
        runs, 6,
        "validate, test, replay; after the edit test twice and replay"
    );

    // The replay summary the document quotes.
    let ran = tocsin(
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
    let summary = mask_generations(&String::from_utf8(ran.stderr).unwrap());
    assert!(
        mask_generations(DOC).contains(summary.trim()),
        "the document quotes the replay summary {summary:?}"
    );
}

#[test]
fn test_timezone_shows_the_instants_of_a_failing_case() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal"),
        &dir.join("city"),
    );
    std::fs::create_dir(dir.join("city/rules")).unwrap();
    std::fs::write(
        dir.join("city/rules/t.test.yaml"),
        "version: 1\ncases:\n  - name: orange expected red\n    start: 2026-07-20T08:00:00+08:00\n    readings:\n      - {at: 0m, sensor: gas-ch4-0001, metric: gas.ch4_adjacent, values: [25, 25], every: 1m}\n    expect:\n      - {at: 1m, asset: well-hp-017, hazard: gas_leak, level: red}\n",
    )
    .unwrap();
    let args = ["test", "--config", "city", "--only", "deployment"];
    let plain = stdout(&tocsin(dir, &args));
    assert!(
        plain.contains(
            "  actual level history of well-hp-017 (to 1m):\n    gas_leak: 0s orange (rule "
        ),
        "{plain}"
    );
    assert!(!plain.contains("offsets count from"), "{plain}");
    let zoned = tocsin(dir, &[&args[..], &["--timezone", "+08:00"]].concat());
    assert_eq!(zoned.status.code(), Some(1));
    let zoned = stdout(&zoned);
    assert!(
        zoned.contains("  offsets count from 2026-07-20T08:00:00.000+08:00\n"),
        "{zoned}"
    );
    assert!(
        zoned.contains("    gas_leak: 0s = 2026-07-20T08:00:00.000+08:00 orange (rule "),
        "{zoned}"
    );
    let utc = stdout(&tocsin(dir, &[&args[..], &["--timezone", "Z"]].concat()));
    assert!(
        utc.contains("  offsets count from 2026-07-20T00:00:00.000Z\n"),
        "{utc}"
    );
    let refused = tocsin(dir, &[&args[..], &["--timezone", "Asia/Shanghai"]].concat());
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a UTC offset"));
}
