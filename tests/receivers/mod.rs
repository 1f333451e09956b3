//! Real receivers for the notify tests, started on free loopback ports as child processes: the
//! Python HTTP receiver (`webhook_receiver.py`, standard library, verifies Standard Webhooks
//! signatures itself) and the aiosmtpd SMTP server (`smtp_receiver.py`). When Python or aiosmtpd
//! is missing the test fails if `CI` is `true`, and otherwise prints `skipped: ...` and passes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The signing secret the webhook receiver verifies with.
pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A running receiver; killed when dropped.
#[derive(Debug)]
pub(crate) struct Receiver {
    /// The child process.
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    /// Where it records what it got.
    pub(crate) dir: tempfile::TempDir,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reports a missing tool: a failure under `CI=true`, else a skip (returns `None`).
fn missing(what: &str) -> Option<Receiver> {
    let message = format!("{what} is not available");
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{message} (CI=true, so this is a failure)");
    }
    eprintln!("skipped: {message}");
    None
}

/// Whether `python3 -c <code>` runs.
fn python_runs(code: &str) -> bool {
    Command::new("python3")
        .args(["-c", code])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Starts `script` with `args` and reads its `PORT <n>` line.
fn start(script: &str, args: &[&str], dir: tempfile::TempDir) -> Receiver {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/receivers")
        .join(script);
    let mut child = Command::new("python3")
        .arg(path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the receiver prints its port");
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("receiver said `{line}` instead of its port"));
    Receiver { child, port, dir }
}

/// The HTTP receiver, or `None` (skipped) without Python.
pub(crate) fn webhook() -> Option<Receiver> {
    if !python_runs("import http.server, hmac") {
        return missing("python3");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("requests.jsonl");
    let record = record.to_str().expect("utf-8 path").to_owned();
    Some(start("webhook_receiver.py", &[&record, SECRET], dir))
}

/// The SMTP server in `mode` (`accept`, `reject`, `defer`), or `None` (skipped) without aiosmtpd.
pub(crate) fn smtp(mode: &str) -> Option<Receiver> {
    if !python_runs("import aiosmtpd") {
        return missing("python3 with aiosmtpd (pip install aiosmtpd)");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().to_str().expect("utf-8 path").to_owned();
    Some(start("smtp_receiver.py", &[&out, mode], dir))
}

impl Receiver {
    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request the HTTP receiver recorded, in arrival order.
    pub(crate) fn requests(&self) -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(self.dir.path().join("requests.jsonl")).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// Every message the SMTP server received, as MIME text, in order.
    pub(crate) fn mails(&self) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("out dir")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        paths.sort_by_key(|path| {
            path.file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
        });
        paths
            .iter()
            .map(|path| std::fs::read_to_string(path).expect("a message"))
            .collect()
    }
}
