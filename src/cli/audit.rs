//! `tocsin audit verify --store URL [--head SEQ:HASH] [--json]` walks the whole audit log and
//! checks its hash chain: exit 0 and a one-line summary with the head when intact, exit 1 and the
//! first break, located, when not. `tocsin audit list --store URL [filters]` prints entries, one
//! line each (or JSON lines), oldest first.
//!
//! Both only read: the store is connected without migrating (a verifier must not change what it
//! verifies), and an SQLite file that does not exist is an error rather than a new empty log that
//! would verify as intact.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::audit::{self, Anchor, VerifyReport};
use crate::model::{AuditAction, Timestamp};
use crate::storage::{self, AuditFilter, Store, redact_url};

/// `tocsin audit`: check and read the audit log.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the whole log; exit 1 and name the first break when it is broken.
    Verify {
        /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
        #[arg(long, default_value = "sqlite://tocsin.db")]
        store: String,
        /// A head printed by an earlier run (`SEQ:HASH`): the log must still contain it, which
        /// finds deleted newest entries and a log rewritten from some entry on.
        #[arg(long, value_name = "SEQ:HASH")]
        head: Option<Anchor>,
        /// Print the report as JSON instead of one line.
        #[arg(long)]
        json: bool,
    },
    /// Print audit entries, oldest first, one line each.
    List {
        /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
        #[arg(long, default_value = "sqlite://tocsin.db")]
        store: String,
        /// Only entries about this warning.
        #[arg(long)]
        warning: Option<i64>,
        /// Only entries by this actor (`user:3`, `system:timer`).
        #[arg(long)]
        actor: Option<String>,
        /// Only entries of this action (`workflow.transition`, `timer.fired` ...).
        #[arg(long, value_parser = parse_action)]
        action: Option<String>,
        /// At or after this instant (RFC 3339 or epoch milliseconds).
        #[arg(long, value_parser = parse_instant)]
        since: Option<Timestamp>,
        /// At or before this instant (RFC 3339 or epoch milliseconds).
        #[arg(long, value_parser = parse_instant)]
        until: Option<Timestamp>,
        /// Only entries after this `seq`.
        #[arg(long)]
        after: Option<i64>,
        /// At most this many entries (default: all).
        #[arg(long)]
        limit: Option<u64>,
        /// One JSON object per line, each entry exactly as stored (with its hashes).
        #[arg(long)]
        json: bool,
        /// Show times at this fixed UTC offset (`+08:00`, `Z`) instead of UTC (not in `--json`).
        #[arg(long, value_parser = super::replay::parse_zone)]
        timezone: Option<super::replay::Zone>,
    },
}

/// Entries read per store round trip when listing.
const LIST_PAGE: u32 = 1000;

/// Runs `tocsin audit ...`.
pub(crate) fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match &args.command {
            AuditCommand::Verify { store, head, json } => {
                let report = verify(store, head.clone()).await?;
                if *json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    println!("{}", report.summary());
                }
                Ok(if report.intact {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
            AuditCommand::List {
                store,
                warning,
                actor,
                action,
                since,
                until,
                after,
                limit,
                json,
                timezone,
            } => {
                let filter = AuditFilter {
                    warning: *warning,
                    actor: actor.clone(),
                    action: action.clone(),
                    since: *since,
                    until: *until,
                    after_seq: *after,
                    limit: LIST_PAGE,
                };
                let zone = if *json {
                    None
                } else {
                    Some(timezone.unwrap_or_default())
                };
                list(store, filter, *limit, zone).await?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Verifies the log of the store at `url`.
async fn verify(url: &str, head: Option<Anchor>) -> anyhow::Result<VerifyReport> {
    let store = connect(url).await?;
    audit::verify(&*store, head)
        .await
        .with_context(|| format!("cannot read the audit log of {}", redact_url(url)))
}

/// Prints the entries matching `filter` a page at a time, at most `limit` in all: one line each
/// with times at `zone`, or (`None`) one JSON object each, exactly as stored.
async fn list(
    url: &str,
    mut filter: AuditFilter,
    limit: Option<u64>,
    zone: Option<super::replay::Zone>,
) -> anyhow::Result<()> {
    let store = connect(url).await?;
    let mut left = limit.unwrap_or(u64::MAX);
    let mut out = std::io::stdout().lock();
    while left > 0 {
        filter.limit = u32::try_from(left.min(u64::from(LIST_PAGE))).unwrap_or(LIST_PAGE);
        let page = audit::page(&*store, &filter)
            .await
            .with_context(|| format!("cannot read the audit log of {}", redact_url(url)))?;
        for entry in page.entries {
            let line = match zone {
                None => serde_json::to_string(&entry)?,
                Some(zone) => format!(
                    "{:>6}  {}  {:<16}  {:<20}  {:<14}  {}",
                    entry.seq,
                    zone.show(entry.at),
                    entry.actor,
                    entry.action,
                    entry.subject,
                    entry.detail
                ),
            };
            writeln!(out, "{line}")?;
            left -= 1;
        }
        match page.next_after {
            Some(next) => filter.after_seq = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// Connects to an existing, migrated store without changing it.
async fn connect(url: &str) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    if let Some(path) = sqlite_file(url)
        && !std::path::Path::new(path).exists()
    {
        bail!("no store at {path}: the SQLite file does not exist");
    }
    let store = storage::connect(url).await?;
    let pending: Vec<String> = store
        .migration_status()
        .await?
        .into_iter()
        .filter(|migration| !migration.applied)
        .map(|migration| format!("{} {}", migration.version, migration.description))
        .collect();
    if !pending.is_empty() {
        bail!(
            "the store at {} is not migrated ({} pending: {}); run `tocsin migrate --store URL` \
             first",
            redact_url(url),
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(store)
}

/// The file an SQLite URL names, if it names one.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

/// Parses `--since` / `--until`.
fn parse_instant(text: &str) -> Result<Timestamp, String> {
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(Timestamp(millis));
    }
    Timestamp::parse_rfc3339(text)
        .ok_or_else(|| format!("expected RFC 3339 or epoch milliseconds, got `{text}`"))
}

/// Parses `--action`: one of the stable action names.
fn parse_action(text: &str) -> Result<String, String> {
    AuditAction::parse(text)
        .map(|action| action.as_str().to_owned())
        .ok_or_else(|| {
            let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            format!("expected one of {}, got `{text}`", names.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://data/t.db"), Some("data/t.db"));
        assert_eq!(
            sqlite_file("sqlite:///var/t.db?synchronous=normal"),
            Some("/var/t.db")
        );
        assert_eq!(sqlite_file("sqlite:t.db"), Some("t.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(parse_instant("1000"), Ok(Timestamp(1000)));
        assert!(
            parse_instant("yesterday")
                .unwrap_err()
                .contains("yesterday")
        );
        assert_eq!(parse_action("timer.fired").as_deref(), Ok("timer.fired"));
        assert!(parse_action("fired").unwrap_err().contains("timer.fired"));
    }

    #[tokio::test]
    async fn a_missing_file_is_not_an_empty_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        let url = format!("sqlite://{}", path.display());
        let error = verify(&url, None).await.unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
        assert!(!path.exists(), "verify must not create the file");
    }

    #[tokio::test]
    async fn an_unmigrated_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        drop(storage::connect(&url).await.unwrap());
        let error = verify(&url, None).await.unwrap_err().to_string();
        assert!(error.contains("tocsin migrate"), "{error}");
    }
}
