//! The crate's layering, enforced: every module of `src/` sits in one layer of [`LAYERS`]
//! (lowest first) and may use (`crate::...`, `$crate::...`) only modules of lower layers. The
//! check reads the source text, with comments removed, so a doc link to a higher module is fine
//! and code that reaches up fails with the file, the line and both modules. The list is the one
//! in docs/ARCHITECTURE.md ("Layers"); change both together.

use std::fmt;
use std::path::Path;

/// The layers, lowest first. A unit is a top-level module (`model`, `api`, ...) or, where a
/// module spans two layers, one of its submodules (`workflow::desk`, `audit::chain`), which then
/// counts on its own. Units in one layer may not use each other.
const LAYERS: &[&[&str]] = &[
    // vocabulary: types and leaf helpers with no dependency inside the crate
    &["model", "text", "sign", "error"],
    // pure building blocks over the model
    &["grading", "coupling", "roster", "telemetry", "audit::chain"],
    &["script"],
    &["config"],
    // the workflow machine, routing and messages (pure)
    &["workflow"],
    &["contacts"],
    // from configuration to a generation; the engine that evaluates one
    &["compile", "eval"],
    &["ruletest"],
    // persistence, then what is built on it
    &["storage"],
    &["audit", "auth", "cap", "notify"],
    // the daily report, and its scheduled e-mail through the notifier
    &["report"],
    &["settings", "workflow::desk"],
    &["ingest"],
    &["api", "sim"],
    // wiring of the server process, then the command line
    &["runtime"],
    &["cli"],
];

/// Units that are submodules of a layered module (matched before the top-level name).
fn sub_units() -> impl Iterator<Item = &'static str> {
    LAYERS
        .iter()
        .flat_map(|layer| layer.iter().copied())
        .filter(|unit| unit.contains("::"))
}

/// The unit a module path (`workflow::desk::people`, `model`) belongs to.
fn unit_of(path: &str) -> String {
    sub_units()
        .find(|sub| path == *sub || path.starts_with(&format!("{sub}::")))
        .map_or_else(
            || path.split("::").next().unwrap_or_default().to_owned(),
            str::to_owned,
        )
}

/// The layer index of `unit`, if it is listed.
fn layer_of(unit: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&unit))
}

/// One use of a module from a module that may not use it.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}` uses `crate::{}`, which is not in a lower layer",
            self.file, self.line, self.from, self.to
        )
    }
}

/// `text` without `//` line comments (doc comments included) and `/* */` block comments,
/// line breaks kept so line numbers stay right.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut block_depth = 0usize;
    let mut in_line_comment = false;
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if c == '\n' {
            in_line_comment = false;
            out.push('\n');
            continue;
        }
        if in_line_comment {
            continue;
        }
        if block_depth > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block_depth -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block_depth += 1;
            }
            continue;
        }
        if in_string {
            if c == '\\' {
                out.push(c);
                if let Some(next) = chars.next() {
                    if next == '\n' {
                        out.push('\n');
                    } else {
                        out.push(next);
                    }
                }
                continue;
            }
            if c == '"' {
                in_string = false;
            }
            out.push(c);
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => in_line_comment = true,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block_depth = 1;
            }
            '"' => {
                in_string = true;
                out.push(c);
            }
            // a quote as a char literal (`'"'`) opens no string
            '\'' if chars.peek() == Some(&'"') => {
                out.push(c);
                out.push(chars.next().unwrap_or_default());
            }
            _ => out.push(c),
        }
    }
    out
}

/// The module paths (up to two segments) used as `crate::a::b`, `$crate::a` or inside
/// `crate::{a::b, c}` on one line of code.
fn used_paths(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or_default();
            for item in inner.split(',') {
                let path = leading_path(item.trim());
                if !path.is_empty() {
                    found.push(path);
                }
            }
        } else {
            let path = leading_path(after);
            if !path.is_empty() {
                found.push(path);
            }
        }
    }
    found
}

/// The first two `::`-separated lowercase identifiers at the start of `text`.
fn leading_path(text: &str) -> String {
    let segments: Vec<&str> = text
        .split("::")
        .take(2)
        .map(|segment| {
            let end = segment
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(segment.len());
            &segment[..end]
        })
        .take_while(|segment| !segment.is_empty())
        .collect();
    segments.join("::")
}

/// The unit of a source file by its path under `src/` (`workflow/desk/people.rs`).
fn unit_of_file(relative: &str) -> String {
    let module = relative
        .trim_end_matches(".rs")
        .trim_end_matches("/mod")
        .replace('/', "::");
    unit_of(&module)
}

/// Every use in `text` (the file `relative` under `src/`) of a unit that is not below its own.
fn check(relative: &str, text: &str) -> Vec<Violation> {
    let from = unit_of_file(relative);
    let Some(from_layer) = layer_of(&from) else {
        return vec![Violation {
            file: relative.to_owned(),
            line: 0,
            from: from.clone(),
            to: format!("(module `{from}` is not in the layer list)"),
        }];
    };
    let mut violations = Vec::new();
    for (index, line) in without_comments(text).lines().enumerate() {
        for path in used_paths(line) {
            let to = unit_of(&path);
            if to == from {
                continue;
            }
            let allowed = layer_of(&to).is_some_and(|to_layer| to_layer < from_layer);
            if !allowed {
                violations.push(Violation {
                    file: relative.to_owned(),
                    line: index + 1,
                    from: from.clone(),
                    to: path,
                });
            }
        }
    }
    violations
}

/// Every `.rs` file under `dir`, as paths relative to `root`.
fn sources(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).expect("under src");
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn no_module_uses_a_module_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 100, "found only {} files", files.len());
    let mut violations = Vec::new();
    for file in files {
        // the crate root declares the modules; the binary uses the library by name
        if file == "lib.rs" || file == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&file)).expect("source is readable");
        violations.extend(check(&file, &text));
    }
    let report: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}

#[test]
fn every_layered_unit_exists_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut seen = std::collections::HashSet::new();
    for unit in LAYERS.iter().flat_map(|layer| layer.iter()) {
        assert!(seen.insert(*unit), "`{unit}` is listed twice");
        let path = unit.replace("::", "/");
        assert!(
            root.join(format!("{path}.rs")).exists() || root.join(&path).is_dir(),
            "`{unit}` names no module"
        );
    }
}

#[test]
fn a_use_of_a_higher_module_is_a_violation_and_a_comment_is_not() {
    let text = "//! See [`crate::runtime`] for the wiring.\n\
                use crate::model::Level;\n\
                /* crate::api is mentioned here */ use crate::text::suggest;\n\
                fn f() { crate::runtime::reconcile::corrections(); }\n\
                use crate::{model::Reading, storage::Store};\n\
                const URL: &str = \"http://example.org/\"; fn g() -> crate::compile::X {}\n";
    let found = check("workflow/machine/events.rs", text);
    let shown: Vec<(usize, &str)> = found.iter().map(|v| (v.line, v.to.as_str())).collect();
    assert_eq!(
        shown,
        [(4, "runtime::reconcile"), (5, "storage"), (6, "compile")]
    );
    assert!(found.iter().all(|v| v.from == "workflow"));
}

#[test]
fn a_submodule_unit_counts_on_its_own() {
    // the desk may use storage; the machine beside it may not
    assert_eq!(
        check("workflow/desk/history.rs", "use crate::storage::Store;\n"),
        []
    );
    assert_eq!(
        check("workflow/machine.rs", "use crate::storage::Store;\n").len(),
        1
    );
    // storage may use the audit chain, not the audit pages built on storage
    assert_eq!(
        check("storage/audit_sql.rs", "$crate::audit::chain::chain(x)\n"),
        []
    );
    assert_eq!(
        check("storage/audit_sql.rs", "use crate::audit::page::Page;\n").len(),
        1
    );
    // same layer is not allowed either; an unlisted module is reported
    assert_eq!(check("compile/mod.rs", "crate::eval::Engine\n").len(), 1);
    assert_eq!(check("newthing.rs", "").len(), 1);
    assert_eq!(unit_of_file("workflow/desk.rs"), "workflow::desk");
    assert_eq!(unit_of_file("api/mod.rs"), "api");
}
