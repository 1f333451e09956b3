//! The reload triggers that come from outside the API: a debounced watch of the deployment
//! directory (notify, debounced here) and SIGHUP. Both end in [`Reloader::reload`].
//!
//! Only changes count: the OS watcher also reports files being opened and read (inotify's
//! `IN_OPEN`, `EventKind::Access`), and every reload reads every config file, so counting those
//! made each reload trigger the next one, forever (about twice a second). Only configuration
//! files count (`*.yaml`, `*.yml`, `*.csv`, `*.rhai`, not hidden): an editor's swap and backup
//! files, or a SQLite store kept in the deployment directory, never trigger a reload. A reload
//! starts once no change arrived for the debounce time; changes that arrive while a reload runs
//! are coalesced into one more reload.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{
    self, Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::reload::Reloader;
use crate::api::{Reload, ReloadTrigger};

/// A running watch of a deployment directory; dropping it stops the watch.
pub(crate) struct DirectoryWatch {
    /// The OS watch; stopped when dropped.
    watcher: RecommendedWatcher,
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
        drop(self.watcher);
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
) -> Result<DirectoryWatch, notify::Error> {
    // One signal waiting at most: a burst of changes is one wake-up.
    let (changed, mut pending) = mpsc::channel::<()>(1);
    let mut watcher =
        notify::recommended_watcher(move |result: notify::Result<Event>| match result {
            Ok(event) => {
                if is_change(&event.kind) && event.paths.iter().any(|path| is_config_file(path)) {
                    let _ = changed.try_send(());
                }
            }
            Err(error) => tracing::warn!(%error, "deployment directory watch failed"),
        })?;
    watcher.watch(directory, RecursiveMode::Recursive)?;
    let task = tokio::spawn(async move {
        while pending.recv().await.is_some() {
            // Quiet time: every further change restarts it.
            loop {
                match tokio::time::timeout(debounce, pending.recv()).await {
                    Ok(Some(())) => {}
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let _ = reloader.reload(ReloadTrigger::Watch).await;
        }
    });
    tracing::info!(directory = %directory.display(), debounce_ms = debounce.as_millis() as u64, "watching the deployment directory for changes");
    Ok(DirectoryWatch { watcher, task })
}

/// Whether an event can change what a reload reads: anything but a file being opened, read or
/// closed after reading (which every reload does itself).
fn is_change(kind: &EventKind) -> bool {
    !matches!(kind, EventKind::Access(_))
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
    use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RemoveKind, RenameMode};

    use super::*;

    #[test]
    fn only_changes_count_not_reads() {
        let table = [
            (EventKind::Access(AccessKind::Open(AccessMode::Any)), false),
            (EventKind::Access(AccessKind::Read), false),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                false,
            ),
            // inotify reports a finished write as a close after writing; the write itself came
            // as a modify event already, so this one alone does not count either
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                false,
            ),
            (EventKind::Modify(ModifyKind::Any), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::To)), true),
            (EventKind::Create(CreateKind::File), true),
            (EventKind::Remove(RemoveKind::File), true),
            (EventKind::Any, true),
        ];
        for (kind, expected) in table {
            assert_eq!(is_change(&kind), expected, "{kind:?}");
        }
    }

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
