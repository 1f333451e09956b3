//! Process settings (`tocsin.yaml` in the deployment directory): listen address, store URL,
//! ingest limits, hot reload. Layered: built-in defaults -> file -> `TOCSIN_*` environment variables ->
//! command-line flags. Secrets come from the environment and are never printed.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::config::duration::{DURATION_HINT, parse_duration};
use crate::config::format::{Positions, parse_yaml};
use crate::config::raw::{DurationText, SettingsDoc};
use crate::config::{Code, Diagnostic};

/// The settings file's name inside a deployment directory.
pub const SETTINGS_FILE: &str = "tocsin.yaml";

/// Limits of the ingest path.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct IngestSettings {
    /// Largest accepted request body; larger is 413 `body_too_large`.
    pub max_body_bytes: usize,
    /// Batches waiting for the store writer; when full, ingest answers 503 `overloaded`.
    pub queue_capacity: usize,
    /// Most readings the writer commits in one transaction.
    pub writer_batch: usize,
    /// How far in the future a reading's `ts` may be (sensor clocks drift).
    #[serde(with = "crate::model::domain::duration_secs")]
    pub max_clock_skew: Duration,
    /// How old a reading may be and still be accepted.
    #[serde(with = "crate::model::domain::duration_secs")]
    pub max_age: Duration,
    /// Seconds a client is told to wait when overloaded.
    pub retry_after_secs: u32,
    /// Request-body bytes held at once by all ingest requests; beyond it 503 `overloaded`.
    pub max_inflight_bytes: usize,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            max_body_bytes: 16 * 1024 * 1024,
            queue_capacity: 64,
            writer_batch: 10_000,
            max_clock_skew: Duration::from_secs(300),
            max_age: Duration::from_secs(30 * 24 * 3600),
            retry_after_secs: 1,
            max_inflight_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Hot reload of the deployment directory (`reload:`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReloadSettings {
    /// Watch the deployment directory and reload when a file changes (SIGHUP and
    /// `POST /admin/reload` work either way).
    pub watch: bool,
    /// Quiet time after the last change before a reload, so an editor's save (or a `git pull`
    /// touching many files) becomes one reload.
    #[serde(rename = "debounce_ms", serialize_with = "millis")]
    pub debounce: Duration,
}

/// Serializes a duration as whole milliseconds.
fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl Default for ReloadSettings {
    fn default() -> Self {
        ReloadSettings {
            watch: true,
            debounce: Duration::from_millis(500),
        }
    }
}

/// Everything the server process needs besides the rule set.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
    pub store: String,
    /// Ingest limits.
    pub ingest: IngestSettings,
    /// How often the clock tick checks for offline sensors.
    #[serde(with = "crate::model::domain::duration_secs")]
    pub tick_interval: Duration,
    /// How often the engine saves an image of its rule state (with the journal position it
    /// includes); a restart replays at most this much of the journal.
    #[serde(with = "crate::model::domain::duration_secs")]
    pub snapshot_interval: Duration,
    /// How long a graceful shutdown waits for queued readings to be committed and evaluated
    /// before it stops anyway (the engine journal keeps what was not evaluated).
    #[serde(with = "crate::model::domain::duration_secs")]
    pub shutdown_grace: Duration,
    /// Delivery of notifications (`notify:`): channels, endpoints, addresses, retries.
    #[serde(skip)]
    pub notify: crate::notify::NotifySettings,
    /// Scheduled reports (`reports:`): the daily duty report by e-mail.
    pub reports: crate::report::schedule::ReportSettings,
    /// Hot reload.
    pub reload: ReloadSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            store: "sqlite://tocsin.db".to_owned(),
            ingest: IngestSettings::default(),
            tick_interval: Duration::from_secs(10),
            snapshot_interval: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            notify: crate::notify::NotifySettings::default(),
            reports: crate::report::schedule::ReportSettings::default(),
            reload: ReloadSettings::default(),
        }
    }
}

/// Loads settings for `deployment`: defaults, then `tocsin.yaml` if present, then the
/// `TOCSIN_LISTEN` and `TOCSIN_STORE` environment variables. Every problem is returned.
pub fn load(deployment: &Path) -> Result<Settings, Vec<Diagnostic>> {
    let mut settings = Settings::default();
    let mut diagnostics = Vec::new();
    // under the loader's limits: inside the deployment, a regular file, bounded in size
    match crate::config::sources::read_deployment_file(deployment, SETTINGS_FILE) {
        Ok(Some(text)) => match parse_yaml::<SettingsDoc>(SETTINGS_FILE, &text) {
            Ok((doc, positions)) => apply(&mut settings, &doc, &positions, &mut diagnostics),
            Err(found) => diagnostics.extend(found),
        },
        Ok(None) => {}
        Err(diagnostic) => diagnostics.push(diagnostic),
    }
    if let Ok(listen) = std::env::var("TOCSIN_LISTEN") {
        match listen.parse() {
            Ok(address) => settings.listen = address,
            Err(_) => diagnostics.push(bad_listen("TOCSIN_LISTEN", (0, 0), &listen)),
        }
    }
    if let Ok(store) = std::env::var("TOCSIN_STORE") {
        settings.store = store;
    }
    if diagnostics.is_empty() {
        Ok(settings)
    } else {
        Diagnostic::sort(&mut diagnostics);
        Err(diagnostics)
    }
}

/// Checks the recipients of `reports:` against the city's departments and the contacts of
/// `generation` (`tocsin validate`, server start): an unknown one is `unknown_recipient`.
pub fn check_reports(
    settings: &Settings,
    generation: &crate::model::Generation,
) -> Vec<Diagnostic> {
    let Some(daily) = &settings.reports.daily else {
        return Vec::new();
    };
    let directory = crate::contacts::from_generation(generation).ok();
    match crate::report::mail::check_recipients(&daily.to, generation, directory.as_ref()) {
        Ok(()) => Vec::new(),
        Err(error) => vec![Diagnostic::new(
            error.diagnostic(),
            SETTINGS_FILE,
            (1, 1),
            error.to_string(),
        )],
    }
}

fn bad_listen(file: &str, at: (usize, usize), text: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadValue,
        file,
        at,
        format!("cannot read listen address `{text}`"),
    )
    .with_hint("write an IP address and port, e.g. `127.0.0.1:8080` or `0.0.0.0:8080`")
}

/// Applies a parsed `tocsin.yaml` over `settings`.
fn apply(
    settings: &mut Settings,
    doc: &SettingsDoc,
    positions: &Positions,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(value) = &doc.notify {
        match crate::notify::NotifySettings::from_yaml(value) {
            Ok(notify) => settings.notify = notify,
            Err(error) => diagnostics.push(Diagnostic::new(
                Code::BadValue,
                SETTINGS_FILE,
                positions.at("notify"),
                format!("{error} ({})", error.code()),
            )),
        }
    }
    if let Some(value) = &doc.reports {
        match crate::report::schedule::ReportSettings::from_yaml(value) {
            Ok(reports) => settings.reports = reports,
            Err(error) => diagnostics.push(Diagnostic::new(
                error.diagnostic(),
                SETTINGS_FILE,
                positions.at("reports"),
                error.to_string(),
            )),
        }
    }
    let mut duration =
        |key: &str, text: &DurationText, target: &mut Duration| match parse_duration(&text.0) {
            Some(value) => *target = value,
            None => diagnostics.push(
                Diagnostic::new(
                    Code::BadDuration,
                    SETTINGS_FILE,
                    positions.at(key),
                    format!("cannot read duration `{}`", text.0),
                )
                .with_hint(DURATION_HINT),
            ),
        };
    if let Some(text) = &doc.tick_interval {
        duration("tick_interval", text, &mut settings.tick_interval);
    }
    if let Some(text) = &doc.snapshot_interval {
        duration("snapshot_interval", text, &mut settings.snapshot_interval);
    }
    if let Some(text) = &doc.shutdown_grace {
        duration("shutdown_grace", text, &mut settings.shutdown_grace);
    }
    if let Some(ingest) = &doc.ingest {
        let target = &mut settings.ingest;
        if let Some(text) = &ingest.max_clock_skew {
            duration("ingest.max_clock_skew", text, &mut target.max_clock_skew);
        }
        if let Some(text) = &ingest.max_age {
            duration("ingest.max_age", text, &mut target.max_age);
        }
        target.max_body_bytes = ingest.max_body_bytes.unwrap_or(target.max_body_bytes);
        target.queue_capacity = ingest.queue_capacity.unwrap_or(target.queue_capacity);
        target.writer_batch = ingest.writer_batch.unwrap_or(target.writer_batch);
        target.retry_after_secs = ingest.retry_after_secs.unwrap_or(target.retry_after_secs);
        target.max_inflight_bytes = ingest
            .max_inflight_bytes
            .unwrap_or(target.max_inflight_bytes);
    }
    if let Some(reload) = &doc.reload {
        if let Some(watch) = reload.watch {
            settings.reload.watch = watch;
        }
        if let Some(text) = &reload.debounce {
            duration("reload.debounce", text, &mut settings.reload.debounce);
        }
    }
    if let Some(store) = &doc.store {
        settings.store.clone_from(store);
    }
    if let Some(listen) = &doc.listen {
        match listen.parse() {
            Ok(address) => settings.listen = address,
            Err(_) => diagnostics.push(bad_listen(SETTINGS_FILE, positions.at("listen"), listen)),
        }
    }
    for (key, value) in [
        ("ingest.queue_capacity", settings.ingest.queue_capacity),
        ("ingest.writer_batch", settings.ingest.writer_batch),
        ("ingest.max_body_bytes", settings.ingest.max_body_bytes),
        (
            "ingest.max_inflight_bytes",
            settings.ingest.max_inflight_bytes,
        ),
    ] {
        if value == 0 {
            diagnostics.push(Diagnostic::new(
                Code::BadValue,
                SETTINGS_FILE,
                positions.at(key),
                format!("`{key}` must be at least 1"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "version: 1\nlisten: 0.0.0.0:9000\ningest:\n  queue_capacity: 8\n  max_age: 7d\ntick_interval: 30s\n",
        )
        .unwrap();
        let settings = load(dir.path()).unwrap();
        assert_eq!(settings.listen, SocketAddr::from(([0, 0, 0, 0], 9000)));
        assert_eq!(settings.ingest.queue_capacity, 8);
        assert_eq!(settings.ingest.max_age, Duration::from_secs(7 * 86_400));
        assert_eq!(settings.tick_interval, Duration::from_secs(30));
        assert_eq!(settings.store, "sqlite://tocsin.db");
    }

    #[test]
    fn reload_settings_default_to_a_watch_and_can_be_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap().reload, ReloadSettings::default());
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "version: 1\nreload:\n  watch: false\n  debounce: 2s\n",
        )
        .unwrap();
        let reload = load(dir.path()).unwrap().reload;
        assert_eq!(
            reload,
            ReloadSettings {
                watch: false,
                debounce: Duration::from_secs(2),
            }
        );
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "version: 1\nreload:\n  debounce: soon\n",
        )
        .unwrap();
        let errors = load(dir.path()).unwrap_err();
        assert_eq!(errors[0].code, Code::BadDuration);
        assert_eq!((errors[0].line, errors[0].column), (3, 13));
    }

    #[test]
    fn bad_values_are_all_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "version: 1\nlisten: nowhere\ntick_interval: 10 seconds\n",
        )
        .unwrap();
        let errors = load(dir.path()).unwrap_err();
        let codes: Vec<Code> = errors.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::BadValue, Code::BadDuration]);
        assert_eq!((errors[0].line, errors[0].column), (2, 9));
    }

    #[test]
    fn missing_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap().ingest, IngestSettings::default());
    }
}
