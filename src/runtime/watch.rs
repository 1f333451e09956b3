//! The reload triggers that come from outside the API: a debounced watch of the deployment
//! directory (notify-debouncer-mini) and SIGHUP. Both end in [`Reloader::reload`].
//!
//! Only configuration files count (`*.yaml`, `*.yml`, `*.csv`, `*.rhai`, not hidden): an
//! editor's swap and backup files, or a SQLite store kept in the deployment directory, never
//! trigger a reload. Changes that arrive while a reload runs are coalesced into one more reload.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::reload::Reloader;
use crate::api::{Reload, ReloadTrigger};

/// A running watch of a deployment directory; dropping it stops the watch.
pub(crate) struct DirectoryWatch {
    /// The debouncer thread and the OS watch; stopped when dropped.
    debouncer: Debouncer<RecommendedWatcher>,
    /// The task that reloads when the debouncer reports a change.
    task: JoinHandle<()>,
}

impl fmt::Debug for DirectoryWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryWatch").finish_non_exhaustive()
    }
}

impl DirectoryWatch {
    /// Stops the watch and its reload task.
    pub(crate) async fn stop(self) {
        drop(self.debouncer);
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Watches `directory` (recursively) and reloads `debounce` after the last change to a
/// configuration file.
pub(crate) fn watch(
    directory: &Path,
    debounce: Duration,
    reloader: Arc<Reloader>,
) -> Result<DirectoryWatch, notify_debouncer_mini::notify::Error> {
    // One pending reload at most: changes during a reload become exactly one more.
    let (changed, mut pending) = mpsc::channel::<()>(1);
    let mut debouncer = new_debouncer(debounce, move |result: DebounceEventResult| match result {
        Ok(events) => {
            if events.iter().any(|event| is_config_file(&event.path)) {
                let _ = changed.try_send(());
            }
        }
        Err(error) => tracing::warn!(%error, "deployment directory watch failed"),
    })?;
    debouncer
        .watcher()
        .watch(directory, RecursiveMode::Recursive)?;
    let task = tokio::spawn(async move {
        while pending.recv().await.is_some() {
            let _ = reloader.reload(ReloadTrigger::Watch).await;
        }
    });
    tracing::info!(directory = %directory.display(), debounce_ms = debounce.as_millis() as u64, "watching the deployment directory for changes");
    Ok(DirectoryWatch { debouncer, task })
}

/// Reloads on every SIGHUP until the task is aborted. `None` where signals are unavailable.
pub(crate) fn on_hangup(reloader: Arc<Reloader>) -> Option<JoinHandle<()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => Some(tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    tracing::info!("SIGHUP received; reloading the configuration");
                    let _ = reloader.reload(ReloadTrigger::Signal).await;
                }
            })),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP; reload by API or file watch");
                None
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = reloader;
        None
    }
}

/// Whether a changed path is a configuration file (not hidden, not an editor's backup).
fn is_config_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    !name.starts_with('.')
        && [".yaml", ".yml", ".csv", ".rhai"]
            .iter()
            .any(|extension| name.ends_with(extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configuration_files_count() {
        for path in [
            "rules/gas.yaml",
            "city/sensors.csv",
            "rules/gas/trend.rhai",
            "tocsin.yml",
        ] {
            assert!(is_config_file(Path::new(path)), "{path}");
        }
        for path in [
            "rules/.gas.yaml.swp",
            "rules/gas.yaml~",
            "tocsin.db",
            "tocsin.db-wal",
            "rules/4913",
            "rules",
        ] {
            assert!(!is_config_file(Path::new(path)), "{path}");
        }
    }
}
