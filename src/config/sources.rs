//! Finding and reading configuration files: the shipped packs embedded in the binary (the
//! repository's `domains/`, `rules/`, `workflows/`) and a deployment directory's `domains/`,
//! `rules/` (recursively), `workflows/` and `city/`. Each file is parsed into its raw document
//! kind by where it lives; the text of every file is kept for the generation.
//!
//! The deployment directory is read defensively (it may be edited by people who should not read
//! the rest of the machine): every file and folder must resolve inside it (symbolic links that
//! stay inside are followed, others are refused with `outside_deployment`, and their content is
//! never read); only regular files are read (`not_regular_file` for FIFOs, sockets, devices);
//! a folder reached twice is refused (`link_cycle`); folders nest at most [`MAX_DEPTH`] deep
//! (`folder_too_deep`); and a file is read through `take(limit + 1)`, at most
//! [`MAX_TEXT_BYTES`] for YAML and Rhai and [`MAX_TABLE_BYTES`] for CSV tables, and
//! [`MAX_TOTAL_BYTES`] for all files together (`file_too_large`). The size limits also bound
//! the compile time: a 50 MB rule file (which compiled in quadratic time) is refused unread, and a
//! 4 MiB one (17,397 rules) validates in about 4 s.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

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
        let Some(root) = deployment_root(root, &mut loaded.diagnostics) else {
            return loaded;
        };
        let mut walk = Walk::new(root);
        let mut total = TotalBytes::new(MAX_TOTAL_BYTES);
        for folder in [
            Folder::Domains,
            Folder::Rules,
            Folder::Workflows,
            Folder::City,
        ] {
            let name = folder_name(folder);
            let mut files = Vec::new();
            let accept = |shown: &str, name: &str| {
                is_config_file(name)
                    || (shown == "city" && name.ends_with(".csv"))
                    || (folder == Folder::Rules && is_script(name))
            };
            walk.folder(name, folder == Folder::Rules, &accept, &mut files);
            files.sort();
            for (shown, path) in files {
                if total.spent() {
                    loaded.diagnostics.push(total.refusal(&shown));
                    continue;
                }
                match read_bounded(&path, &shown) {
                    Ok(bytes) if !total.take(bytes.len()) => {
                        loaded.diagnostics.push(total.refusal(&shown));
                    }
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => loaded.add(shown, text, folder, Layer::Deployment),
                        Err(_) => loaded.diagnostics.push(not_utf8(&shown)),
                    },
                    Err(diagnostic) => loaded.diagnostics.push(diagnostic),
                }
            }
        }
        loaded.diagnostics.append(&mut walk.diagnostics);
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

/// Most bytes read from one YAML or Rhai file.
pub const MAX_TEXT_BYTES: u64 = 4 * 1024 * 1024;

/// Most bytes read from one CSV table (`city/*.csv`: 100,000 sensors fit).
pub const MAX_TABLE_BYTES: u64 = 64 * 1024 * 1024;

/// Most bytes read from all of a deployment's files together.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// What is left of the bytes all files of one deployment may hold together.
#[derive(Debug)]
struct TotalBytes {
    used: u64,
    limit: u64,
}

impl TotalBytes {
    fn new(limit: u64) -> TotalBytes {
        TotalBytes { used: 0, limit }
    }

    /// True when nothing more may be read.
    fn spent(&self) -> bool {
        self.used >= self.limit
    }

    /// Counts a file of `bytes`; false (and nothing counted) when it does not fit.
    fn take(&mut self, bytes: usize) -> bool {
        let bytes = bytes as u64;
        if self.used + bytes > self.limit {
            self.used = self.limit;
            return false;
        }
        self.used += bytes;
        true
    }

    fn refusal(&self, shown: &str) -> Diagnostic {
        Diagnostic::new(
            Code::FileTooLarge,
            shown,
            (0, 0),
            format!(
                "the deployment's files together are larger than {} bytes; not read",
                self.limit
            ),
        )
    }
}

/// Most folders nested below a top-level folder (`rules/a/b/...`).
pub const MAX_DEPTH: usize = 16;

/// The deployment directory, resolved; `None` (with a diagnostic) when it is not a folder.
fn deployment_root(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<PathBuf> {
    match std::fs::canonicalize(root) {
        Ok(real) if real.is_dir() => Some(real),
        _ => {
            diagnostics.push(
                Diagnostic::new(
                    Code::Io,
                    root.display().to_string(),
                    (0, 0),
                    "deployment directory not found",
                )
                .with_hint("pass the folder that holds `city/`, `domains/`, `rules/`"),
            );
            None
        }
    }
}

/// A walk of the deployment directory that stays inside it.
#[derive(Debug)]
struct Walk {
    /// The deployment directory, resolved.
    root: PathBuf,
    /// Folders already listed (resolved), to refuse a folder reached twice.
    visited: HashSet<PathBuf>,
    /// Refusals, each at the file or folder refused.
    diagnostics: Vec<Diagnostic>,
}

/// What a path in the deployment turned out to be.
enum Entry {
    /// A folder inside the deployment (resolved path).
    Folder(PathBuf),
    /// A regular file inside the deployment (resolved path).
    File(PathBuf),
    /// Absent (a dangling link or a missing top-level folder): nothing to read.
    Missing,
    /// Refused; the diagnostic is recorded.
    Refused,
}

impl Walk {
    fn new(root: PathBuf) -> Walk {
        Walk {
            root,
            visited: HashSet::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Collects the files `accept`ed under the top-level folder `name` as (shown, resolved path);
    /// `recursive` for `rules/`.
    fn folder(
        &mut self,
        name: &str,
        recursive: bool,
        accept: &dyn Fn(&str, &str) -> bool,
        out: &mut Vec<(String, PathBuf)>,
    ) {
        match self.resolve(&self.root.join(name), name) {
            Entry::Folder(real) => self.list(&real, name, 0, recursive, accept, out),
            Entry::File(_) => self.refuse(
                Code::Io,
                name,
                "cannot list folder: Not a directory (os error 20)".to_owned(),
            ),
            Entry::Missing | Entry::Refused => {}
        }
    }

    /// Resolves `path` (shown as `shown`): inside the deployment, a folder or a regular file.
    fn resolve(&mut self, path: &Path, shown: &str) -> Entry {
        let real = match std::fs::canonicalize(path) {
            Ok(real) => real,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Entry::Missing,
            Err(error) => {
                self.refuse(Code::Io, shown, format!("cannot resolve: {error}"));
                return Entry::Refused;
            }
        };
        if !real.starts_with(&self.root) {
            // The target is not named: it is outside what a rule editor may see.
            self.refuse(
                Code::OutsideDeployment,
                shown,
                "resolves outside the deployment directory; not read".to_owned(),
            );
            return Entry::Refused;
        }
        match std::fs::metadata(&real) {
            Ok(meta) if meta.is_dir() => Entry::Folder(real),
            Ok(meta) if meta.is_file() => Entry::File(real),
            Ok(_) => {
                self.refuse(
                    Code::NotRegularFile,
                    shown,
                    "is not a regular file (a FIFO, socket or device); not read".to_owned(),
                );
                Entry::Refused
            }
            Err(error) => {
                self.refuse(Code::Io, shown, format!("cannot read: {error}"));
                Entry::Refused
            }
        }
    }

    /// Lists the folder `real` (shown as `shown`, `depth` folders below the top level).
    fn list(
        &mut self,
        real: &Path,
        shown: &str,
        depth: usize,
        recursive: bool,
        accept: &dyn Fn(&str, &str) -> bool,
        out: &mut Vec<(String, PathBuf)>,
    ) {
        if !self.visited.insert(real.to_path_buf()) {
            self.refuse(
                Code::LinkCycle,
                shown,
                "this folder was already read under another name (a symbolic link cycle?); \
                 not read again"
                    .to_owned(),
            );
            return;
        }
        let entries = match std::fs::read_dir(real) {
            Ok(entries) => entries,
            Err(error) => {
                self.refuse(Code::Io, shown, format!("cannot list folder: {error}"));
                return;
            }
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let child = format!("{shown}/{name}");
            let wanted = accept(shown, &name);
            // Only a stat: what a link points to is never read unless it is inside.
            let is_dir = std::fs::metadata(real.join(&name)).is_ok_and(|meta| meta.is_dir());
            if !(wanted || (recursive && is_dir)) {
                continue;
            }
            match self.resolve(&real.join(&name), &child) {
                Entry::Folder(sub) if recursive => {
                    if real.starts_with(&sub) || sub == self.root {
                        // A link to this folder, a parent, or the deployment itself.
                        self.refuse(
                            Code::LinkCycle,
                            &child,
                            "links back to a folder that holds it (a cycle); not read".to_owned(),
                        );
                    } else if depth + 1 > MAX_DEPTH {
                        self.refuse(
                            Code::FolderTooDeep,
                            &child,
                            format!("folders nest deeper than {MAX_DEPTH} levels; not read"),
                        );
                    } else {
                        self.list(&sub, &child, depth + 1, recursive, accept, out);
                    }
                }
                Entry::File(file) if wanted => out.push((child, file)),
                Entry::Folder(_) | Entry::File(_) | Entry::Missing | Entry::Refused => {}
            }
        }
    }

    fn refuse(&mut self, code: Code, shown: &str, message: String) {
        self.diagnostics
            .push(Diagnostic::new(code, shown, (0, 0), message));
    }
}

/// Reads one file at the top of the deployment directory (`tocsin.yaml`) under the loader's
/// limits: inside the directory, a regular file, at most [`MAX_TEXT_BYTES`]. `Ok(None)` when it
/// does not exist.
pub fn read_deployment_file(root: &Path, name: &str) -> Result<Option<String>, Diagnostic> {
    let Ok(root) = std::fs::canonicalize(root) else {
        return Ok(None);
    };
    let mut walk = Walk::new(root.clone());
    match walk.resolve(&root.join(name), name) {
        Entry::File(path) => {
            let bytes = read_bounded(&path, name)?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| not_utf8(name))
        }
        Entry::Missing => Ok(None),
        Entry::Folder(_) => Err(Diagnostic::new(
            Code::Io,
            name,
            (0, 0),
            "cannot read: Is a directory (os error 21)",
        )),
        Entry::Refused => Err(walk
            .diagnostics
            .pop()
            .unwrap_or_else(|| Diagnostic::new(Code::Io, name, (0, 0), "cannot read"))),
    }
}

/// Reads a resolved regular file, at most its kind's limit; the bytes, or why not.
fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>, Diagnostic> {
    let limit = if shown.ends_with(".csv") {
        MAX_TABLE_BYTES
    } else {
        MAX_TEXT_BYTES
    };
    let io = |error: std::io::Error| {
        Diagnostic::new(Code::Io, shown, (0, 0), format!("cannot read: {error}"))
    };
    let file = std::fs::File::open(path).map_err(io)?;
    // Checked again on the open handle: the path may have been swapped since it was listed.
    if !file.metadata().map_err(io)?.is_file() {
        return Err(Diagnostic::new(
            Code::NotRegularFile,
            shown,
            (0, 0),
            "is not a regular file; not read",
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(Diagnostic::new(
            Code::FileTooLarge,
            shown,
            (0, 0),
            format!("file is larger than {limit} bytes; not read"),
        )
        .with_hint("split it into several files"));
    }
    Ok(bytes)
}

/// True for a deployment file this module reads: `city/contacts*.yaml`, `city/contacts*.yml`,
/// `city/contacts*.csv` (the registry loader leaves them
/// to `contacts::compile`, which reads them against the finished generation).
pub fn is_contacts_file(path: &str) -> bool {
    path.strip_prefix("city/").is_some_and(|name| {
        name.starts_with("contacts")
            && !name.contains('/')
            && [".yaml", ".yml", ".csv"]
                .iter()
                .any(|ext| name.ends_with(ext))
    })
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
    if let Some(root) = deployment
        && let Ok(root) = std::fs::canonicalize(root)
    {
        // Refusals are the config loader's to report; test cases only skip what is refused.
        let mut walk = Walk::new(root);
        let mut files = Vec::new();
        walk.folder("rules", true, &|_, name| is_rule_test(name), &mut files);
        files.sort();
        for (shown, path) in files {
            if let Some(text) = read_bounded(&path, &shown)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
            {
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
        if is_script(&file_name) || is_contacts_file(&file) {
            // a script is compiled with the rule that names it; contacts and rosters are compiled
            // against the finished generation (`contacts::from_generation`)
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;
    use std::time::{Duration, Instant};

    use super::*;

    /// A deployment with one good rule file.
    fn deployment() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("rules/ok.yaml"), "version: 1\nrules: []\n").unwrap();
        dir
    }

    fn codes_at(loaded: &Loaded, file: &str) -> Vec<Code> {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.file == file)
            .map(|d| d.code)
            .collect()
    }

    /// Reads the deployment on another thread, failing if it does not finish within 20 s (the
    /// old loader hung forever on these).
    fn read_within_bound(root: &Path) -> Loaded {
        let root = root.to_path_buf();
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(read_all(Some(&root)));
        });
        result
            .recv_timeout(Duration::from_secs(20))
            .expect("the loader did not finish")
    }

    #[test]
    fn links_back_to_the_same_folder_are_a_cycle_not_a_hang() {
        let dir = deployment();
        symlink("..", dir.path().join("rules/a")).unwrap();
        symlink("..", dir.path().join("rules/b")).unwrap();
        symlink(".", dir.path().join("rules/self")).unwrap();
        let started = Instant::now();
        let loaded = read_within_bound(dir.path());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(codes_at(&loaded, "rules/self").contains(&Code::LinkCycle));
        let cycles = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::LinkCycle)
            .count();
        assert!(cycles >= 3, "{:?}", loaded.diagnostics);
        for link in ["rules/a", "rules/b"] {
            assert_eq!(codes_at(&loaded, link), vec![Code::LinkCycle], "{link}");
        }
        // nothing outside `rules/` was read as rules through the links
        let read: Vec<_> = loaded
            .sources
            .iter()
            .filter(|s| !s.path.starts_with("<builtin>"))
            .map(|s| s.path.as_str())
            .collect();
        assert_eq!(read, vec!["rules/ok.yaml"]);
        // rule tests walk the same way
        let (done, result) = std::sync::mpsc::channel();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let _ = done.send(rule_tests(Some(&root)).len());
        });
        result.recv_timeout(Duration::from_secs(20)).unwrap();
    }

    #[test]
    fn a_folder_linked_twice_is_read_once() {
        let dir = deployment();
        std::fs::create_dir_all(dir.path().join("shared")).unwrap();
        std::fs::write(
            dir.path().join("shared/more.yaml"),
            "version: 1\nrules: []\n",
        )
        .unwrap();
        symlink("../shared", dir.path().join("rules/x")).unwrap();
        symlink("../shared", dir.path().join("rules/y")).unwrap();
        let loaded = read_within_bound(dir.path());
        assert_eq!(codes_at(&loaded, "rules/y"), vec![Code::LinkCycle]);
        assert!(codes_at(&loaded, "rules/x").is_empty());
    }

    #[test]
    fn files_together_are_bounded_too() {
        let mut total = TotalBytes::new(10);
        assert!(total.take(6));
        assert!(!total.spent());
        assert!(!total.take(5), "6 + 5 is over 10");
        assert!(total.spent(), "once over, nothing more is read");
        let mut total = TotalBytes::new(10);
        assert!(total.take(10));
        assert!(total.spent());
        assert_eq!(total.refusal("rules/x.yaml").code, Code::FileTooLarge);
    }

    #[test]
    fn the_settings_file_is_read_under_the_same_limits() {
        let dir = deployment();
        assert_eq!(read_deployment_file(dir.path(), "tocsin.yaml"), Ok(None));
        std::fs::write(dir.path().join("tocsin.yaml"), "version: 1\n").unwrap();
        assert_eq!(
            read_deployment_file(dir.path(), "tocsin.yaml"),
            Ok(Some("version: 1\n".to_owned()))
        );
        std::fs::remove_file(dir.path().join("tocsin.yaml")).unwrap();
        symlink("/dev/zero", dir.path().join("tocsin.yaml")).unwrap();
        let refused = read_deployment_file(dir.path(), "tocsin.yaml").unwrap_err();
        assert_eq!(refused.code, Code::OutsideDeployment);
    }

    #[test]
    fn a_fifo_is_refused_without_opening_it() {
        let dir = deployment();
        let fifo = dir.path().join("rules/pipe.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let loaded = read_within_bound(dir.path());
        assert_eq!(
            codes_at(&loaded, "rules/pipe.yaml"),
            vec![Code::NotRegularFile]
        );
    }

    #[test]
    fn links_outside_the_deployment_are_refused_and_never_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(
            outside.path().join("secret.yaml"),
            "version: 1\nTOP-SECRET-LINE: [unbalanced\n",
        )
        .unwrap();
        let dir = deployment();
        symlink(
            outside.path().join("secret.yaml"),
            dir.path().join("rules/secret.yaml"),
        )
        .unwrap();
        symlink(outside.path(), dir.path().join("rules/elsewhere")).unwrap();
        symlink("/dev/zero", dir.path().join("rules/zero.yaml")).unwrap();
        std::fs::create_dir_all(dir.path().join("city")).unwrap();
        symlink(
            outside.path().join("secret.yaml"),
            dir.path().join("city/sensors.yaml"),
        )
        .unwrap();
        let loaded = read_within_bound(dir.path());
        for file in [
            "rules/secret.yaml",
            "rules/elsewhere",
            "rules/zero.yaml",
            "city/sensors.yaml",
        ] {
            assert_eq!(
                codes_at(&loaded, file),
                vec![Code::OutsideDeployment],
                "{file}"
            );
        }
        let shown = format!("{:?}", loaded.diagnostics);
        assert!(!shown.contains("TOP-SECRET"), "{shown}");
        assert!(
            !shown.contains(&*outside.path().to_string_lossy()),
            "{shown}"
        );
        assert!(
            loaded
                .sources
                .iter()
                .all(|s| !s.text.contains("TOP-SECRET"))
        );
        // the good file is still read
        assert!(loaded.sources.iter().any(|s| s.path == "rules/ok.yaml"));
    }

    #[test]
    fn links_inside_the_deployment_are_followed() {
        let dir = deployment();
        std::fs::create_dir_all(dir.path().join("shared")).unwrap();
        std::fs::write(
            dir.path().join("shared/more.yaml"),
            "version: 1\nrules: []\n",
        )
        .unwrap();
        symlink("../shared", dir.path().join("rules/shared")).unwrap();
        let loaded = read_within_bound(dir.path());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert!(
            loaded
                .sources
                .iter()
                .any(|s| s.path == "rules/shared/more.yaml")
        );
    }

    #[test]
    fn large_files_and_deep_folders_are_refused() {
        let dir = deployment();
        let big = vec![b'#'; usize::try_from(MAX_TEXT_BYTES).unwrap() + 1];
        std::fs::write(dir.path().join("rules/big.yaml"), &big).unwrap();
        let just = vec![b'#'; usize::try_from(MAX_TEXT_BYTES).unwrap()];
        std::fs::write(dir.path().join("rules/just.yaml"), &just).unwrap();
        let mut deep = dir.path().join("rules");
        let mut shown = "rules".to_owned();
        for level in 1..=MAX_DEPTH + 1 {
            deep = deep.join(format!("d{level}"));
            shown = format!("{shown}/d{level}");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.yaml"), "version: 1\nrules: []\n").unwrap();
        let loaded = read_within_bound(dir.path());
        assert_eq!(
            codes_at(&loaded, "rules/big.yaml"),
            vec![Code::FileTooLarge]
        );
        assert!(!codes_at(&loaded, "rules/just.yaml").contains(&Code::FileTooLarge));
        assert_eq!(codes_at(&loaded, &shown), vec![Code::FolderTooDeep]);
    }
}
