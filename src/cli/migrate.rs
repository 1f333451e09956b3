//! `tocsin migrate --store URL`: creates or upgrades the store schema and prints what it did, one
//! line per migration applied, then a summary line. Running it again applies nothing.

use std::process::ExitCode;

use anyhow::Context;

use crate::storage::{self, MigrationStatus, redact_url};

/// Runs `tocsin migrate --store URL`.
pub(crate) fn run(store: &str) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let lines = runtime.block_on(migrate(store))?;
    for line in lines {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Applies pending migrations to the store at `url`; returns the lines to print.
async fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    let store = storage::connect(url).await?;
    let before = store.migration_status().await?;
    store.migrate().await?;
    let after = store.migration_status().await?;
    Ok(report(&redact_url(url), &before, &after))
}

/// What changed between two status listings, for people.
fn report(url: &str, before: &[MigrationStatus], after: &[MigrationStatus]) -> Vec<String> {
    let newly: Vec<&MigrationStatus> = after
        .iter()
        .filter(|m| m.applied)
        .filter(|m| !before.iter().any(|b| b.version == m.version && b.applied))
        .collect();
    let mut lines: Vec<String> = newly
        .iter()
        .map(|m| format!("applied {} {}", m.version, m.description))
        .collect();
    let total = after.iter().filter(|m| m.applied).count();
    lines.push(if newly.is_empty() {
        format!("{url}: up to date ({total} migrations applied)")
    } else {
        format!(
            "{url}: applied {} migration(s); {total} applied in all",
            newly.len()
        )
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrating_twice_applies_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let mut files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        files.sort();
        let total = files.len();
        let first = migrate(&url).await.unwrap();
        assert_eq!(first.len(), total + 1);
        assert_eq!(first[0], "applied 20261129000001 init");
        assert_eq!(first[1], "applied 20261130000001 coupling and reload");
        assert_eq!(first[2], "applied 20261201000001 workflow audit access");
        assert_eq!(first[3], "applied 20261207000001 engine journal");
        assert_eq!(first[4], "applied 20261207000002 outbox delivery");
        assert_eq!(first[5], "applied 20261208000001 case recipients");
        assert_eq!(first[6], "applied 20261208000002 silences");
        assert_eq!(first[7], "applied 20261208000003 ack links");
        assert_eq!(first[8], "applied 20261208000004 scheduled reports");
        assert_eq!(first[9], "applied 20261208000005 outbox audience");
        assert_eq!(first[10], "applied 20261208000006 activation order");
        assert_eq!(first[11], "applied 20261208000007 call outcomes");
        for (line, file) in first.iter().zip(&files) {
            let version = file.split('_').next().unwrap();
            assert!(line.starts_with(&format!("applied {version} ")), "{line}");
        }
        assert!(first[total].ends_with(&format!(
            ": applied {total} migration(s); {total} applied in all"
        )));
        let second = migrate(&url).await.unwrap();
        assert_eq!(
            second,
            vec![format!("{url}: up to date ({total} migrations applied)")]
        );
    }
}
