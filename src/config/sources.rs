//! Finding and reading configuration files: the shipped packs embedded in the binary (the
//! repository's `domains/`, `rules/`, `workflows/`) and a deployment directory's `domains/`,
//! `rules/` (recursively), `workflows/` and `city/`. Each file is parsed into its raw document
//! kind by where it lives; the text of every file is kept for the generation.

use std::path::Path;

use include_dir::{Dir, include_dir};

use super::diagnostic::{Code, Diagnostic};
use super::format::{Positions, parse_yaml};
use super::raw::{DomainDoc, RegistryDoc, RulesDoc};
use super::raw_workflow::WorkflowDoc;
use super::table::{Table, parse_table};
use crate::model::SourceFile;

static SHIPPED_DOMAINS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/domains");
static SHIPPED_RULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules");
static SHIPPED_WORKFLOWS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/workflows");

/// Which layer a document comes from; the deployment overrides the shipped packs by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// Embedded in the binary.
    Shipped,
    /// The user's deployment directory.
    Deployment,
}

/// What a document holds.
#[derive(Debug)]
pub enum Body {
    /// `domains/<id>.yaml`.
    Domain(Box<DomainDoc>),
    /// `rules/**/*.yaml`.
    Rules(RulesDoc),
    /// `city/*.yaml`, `city/*.csv`, `domains/departments.yaml`.
    Registry(RegistryDoc),
    /// `workflows/*.yaml`: one closed-loop workflow.
    Workflow(Box<WorkflowDoc>),
}

/// One parsed document.
#[derive(Debug)]
pub struct Document {
    /// Path as shown in diagnostics.
    pub file: String,
    /// Shipped or deployment.
    pub layer: Layer,
    /// Node positions for semantic diagnostics.
    pub positions: Positions,
    /// The raw content.
    pub body: Body,
}

/// Everything read from both layers.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Documents that parsed, shipped first, each layer in path order.
    pub documents: Vec<Document>,
    /// The text of every file read.
    pub sources: Vec<SourceFile>,
    /// Problems found while reading and parsing.
    pub diagnostics: Vec<Diagnostic>,
}

/// The folder a file came from, which decides its document kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Folder {
    Domains,
    Rules,
    Workflows,
    City,
}

/// Reads the shipped packs and, if given, the deployment directory.
pub fn read_all(deployment: Option<&Path>) -> Loaded {
    let mut loaded = Loaded::default();
    for (dir, folder) in [
        (&SHIPPED_DOMAINS, Folder::Domains),
        (&SHIPPED_RULES, Folder::Rules),
        (&SHIPPED_WORKFLOWS, Folder::Workflows),
    ] {
        let mut files = Vec::new();
        embedded_files(dir, &mut files);
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, bytes) in files {
            let name = folder_name(folder);
            let shown = format!("<builtin>/{name}/{path}");
            match std::str::from_utf8(bytes) {
                Ok(text) => loaded.add(shown, text.to_owned(), folder, Layer::Shipped),
                Err(_) => loaded.diagnostics.push(not_utf8(&shown)),
            }
        }
    }
    if let Some(root) = deployment {
        if !root.is_dir() {
            loaded.diagnostics.push(
                Diagnostic::new(
                    Code::Io,
                    root.display().to_string(),
                    (0, 0),
                    "deployment directory not found",
                )
                .with_hint("pass the folder that holds `city/`, `domains/`, `rules/`"),
            );
            return loaded;
        }
        for folder in [
            Folder::Domains,
            Folder::Rules,
            Folder::Workflows,
            Folder::City,
        ] {
            let name = folder_name(folder);
            let mut files = Vec::new();
            disk_files(
                &root.join(name),
                name,
                folder == Folder::Rules,
                &mut files,
                &mut loaded.diagnostics,
            );
            files.sort();
            for shown in files {
                match std::fs::read(root.join(&shown)) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => loaded.add(shown, text, folder, Layer::Deployment),
                        Err(_) => loaded.diagnostics.push(not_utf8(&shown)),
                    },
                    Err(error) => loaded.diagnostics.push(Diagnostic::new(
                        Code::Io,
                        shown,
                        (0, 0),
                        format!("cannot read: {error}"),
                    )),
                }
            }
        }
    }
    loaded
}

fn folder_name(folder: Folder) -> &'static str {
    match folder {
        Folder::Domains => "domains",
        Folder::Rules => "rules",
        Folder::Workflows => "workflows",
        Folder::City => "city",
    }
}

fn not_utf8(file: &str) -> Diagnostic {
    Diagnostic::new(Code::Io, file, (0, 0), "file is not UTF-8 text")
}

/// Config files in an embedded folder, as (path inside the folder, bytes).
fn embedded_files<'a>(dir: &'a Dir<'a>, out: &mut Vec<(String, &'a [u8])>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        if is_config_file(&path) || is_script(&path) {
            out.push((path, file.contents()));
        }
    }
    for sub in dir.dirs() {
        embedded_files(sub, out);
    }
}

/// Config files under `dir` (shown as `shown/...`); `recursive` for `rules/`.
fn disk_files(
    dir: &Path,
    shown: &str,
    recursive: bool,
    out: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return,
        Err(error) => {
            diagnostics.push(Diagnostic::new(
                Code::Io,
                shown,
                (0, 0),
                format!("cannot list folder: {error}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let child = format!("{shown}/{name}");
        if path.is_dir() {
            if recursive {
                disk_files(&path, &child, true, out, diagnostics);
            }
        } else if is_config_file(&name)
            || (shown == "city" && name.ends_with(".csv"))
            || (recursive && is_script(&name))
        {
            out.push(child);
        }
    }
}

/// Rhai scripts, kept beside the rules that name them.
fn is_script(path: &str) -> bool {
    path.ends_with(".rhai")
}

/// YAML files, except rule test cases (`*.test.yaml`, run by `tocsin test`).
fn is_config_file(path: &str) -> bool {
    (path.ends_with(".yaml") || path.ends_with(".yml"))
        && !path.ends_with(".test.yaml")
        && !path.ends_with(".test.yml")
}

/// Rule test case files (`*.test.yaml` under `rules/`): the shipped ones (shown as
/// `<builtin>/rules/...`) first, then the deployment's, each in path order.
pub fn rule_tests(deployment: Option<&Path>) -> Vec<SourceFile> {
    let mut out = Vec::new();
    let mut shipped = Vec::new();
    rule_test_files(&SHIPPED_RULES, &mut shipped);
    shipped.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, bytes) in shipped {
        if let Ok(text) = std::str::from_utf8(bytes) {
            out.push(SourceFile {
                path: format!("<builtin>/rules/{path}"),
                text: text.to_owned(),
            });
        }
    }
    if let Some(root) = deployment {
        let mut files = Vec::new();
        test_files_on_disk(&root.join("rules"), "rules", &mut files);
        files.sort();
        for shown in files {
            if let Ok(text) = std::fs::read_to_string(root.join(&shown)) {
                out.push(SourceFile { path: shown, text });
            }
        }
    }
    out
}

fn is_rule_test(path: &str) -> bool {
    path.ends_with(".test.yaml") || path.ends_with(".test.yml")
}

fn rule_test_files<'a>(dir: &'a Dir<'a>, out: &mut Vec<(String, &'a [u8])>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        if is_rule_test(&path) {
            out.push((path, file.contents()));
        }
    }
    for sub in dir.dirs() {
        rule_test_files(sub, out);
    }
}

fn test_files_on_disk(dir: &Path, shown: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = format!("{shown}/{name}");
        if entry.path().is_dir() {
            test_files_on_disk(&entry.path(), &child, out);
        } else if is_rule_test(&name) {
            out.push(child);
        }
    }
}

impl Loaded {
    /// Replaces the deployment's `city/` registry with one document (a rule test case's
    /// registry fragment), keeping the shipped registries (departments).
    pub fn replace_city(&mut self, registry: SourceFile) {
        self.documents
            .retain(|d| !(d.layer == Layer::Deployment && d.file.starts_with("city/")));
        self.sources.retain(|s| !s.path.starts_with("city/"));
        self.diagnostics.retain(|d| !d.file.starts_with("city/"));
        self.add(
            registry.path,
            registry.text,
            Folder::City,
            Layer::Deployment,
        );
    }

    /// Parses one file by its folder and keeps its text.
    fn add(&mut self, file: String, text: String, folder: Folder, layer: Layer) {
        let file_name = file.rsplit('/').next().unwrap_or_default().to_owned();
        if is_script(&file_name) {
            // compiled with the rule that names it
            self.sources.push(SourceFile { path: file, text });
            return;
        }
        let parsed: Result<(Body, Positions), Vec<Diagnostic>> = match folder {
            Folder::Domains if file_name.starts_with("departments.") => {
                registry(&file, &text, &file_name)
            }
            Folder::Domains => parse_yaml::<DomainDoc>(&file, &text)
                .map(|(doc, positions)| (Body::Domain(Box::new(doc)), positions)),
            Folder::Rules => parse_yaml::<RulesDoc>(&file, &text)
                .map(|(doc, positions)| (Body::Rules(doc), positions)),
            Folder::Workflows => parse_yaml::<WorkflowDoc>(&file, &text)
                .map(|(doc, positions)| (Body::Workflow(Box::new(doc)), positions)),
            Folder::City => registry(&file, &text, &file_name),
        };
        match parsed {
            Ok((body, positions)) => self.documents.push(Document {
                file: file.clone(),
                layer,
                positions,
                body,
            }),
            Err(diagnostics) => self.diagnostics.extend(diagnostics),
        }
        self.sources.push(SourceFile { path: file, text });
    }
}

/// A registry document from YAML or CSV.
fn registry(file: &str, text: &str, file_name: &str) -> Result<(Body, Positions), Vec<Diagnostic>> {
    if let Some(stem) = file_name.strip_suffix(".csv") {
        let Some(table) = Table::from_file_name(stem) else {
            return Err(vec![
                Diagnostic::new(
                    Code::BadValue,
                    file,
                    (0, 0),
                    format!("unknown CSV table `{file_name}`"),
                )
                .with_hint("name CSV files `sensors*.csv` or `assets*.csv`"),
            ]);
        };
        return parse_table(file, text, table)
            .map(|(doc, positions)| (Body::Registry(doc), positions));
    }
    parse_yaml::<RegistryDoc>(file, text).map(|(doc, positions)| (Body::Registry(doc), positions))
}
