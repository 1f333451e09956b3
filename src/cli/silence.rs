//! `tocsin silence add | list | confirm | expire --store URL`: silences and maintenance windows
//! from the command line, through the store directly (as `tocsin token` does), with the same
//! checks as the API (`crate::model::silence`). The person is `--author` (recorded as given, in
//! the silence and its audit entry); a confirm by the author is refused, so red warnings stay
//! loud until a second person confirms. `add` prints the new silence's id alone on standard
//! output.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::model::silence::{Matchers, NewSilence, Silence, SilenceKind, check_new};
use crate::model::{AuditAction, AuditDraft, Clock as _, SystemClock, Timestamp};
use crate::storage::{self, SilenceChange, SilenceFilter};

/// Arguments of `tocsin silence`.
#[derive(Debug, clap::Args)]
pub struct SilenceArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SilenceCommand,
}

/// `tocsin silence` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SilenceCommand {
    /// Create a silence (starts now) or a maintenance window (may start later); prints its id.
    Add(Box<AddArgs>),
    /// List planned and active silences (with `--all`, ended ones too), newest first.
    List {
        /// Ended silences too.
        #[arg(long)]
        all: bool,
        /// Store URL.
        #[arg(long, env = "TOCSIN_STORE")]
        store: String,
    },
    /// Confirm a silence as a second person (then it covers red warnings too).
    Confirm {
        /// The silence id.
        id: i64,
        /// Who confirms (not its author).
        #[arg(long)]
        author: String,
        /// Store URL.
        #[arg(long, env = "TOCSIN_STORE")]
        store: String,
    },
    /// End a silence now.
    Expire {
        /// The silence id.
        id: i64,
        /// Who ends it.
        #[arg(long)]
        author: String,
        /// Store URL.
        #[arg(long, env = "TOCSIN_STORE")]
        store: String,
    },
}

/// Arguments of `tocsin silence add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// `silence` or `maintenance`.
    #[arg(long, default_value = "silence")]
    kind: String,
    /// Match this asset.
    #[arg(long)]
    asset: Option<String>,
    /// Match this sensor.
    #[arg(long)]
    sensor: Option<String>,
    /// Match this district code.
    #[arg(long)]
    district: Option<String>,
    /// Match this domain.
    #[arg(long)]
    domain: Option<String>,
    /// Match this hazard.
    #[arg(long)]
    hazard: Option<String>,
    /// RFC 3339 start (default now).
    #[arg(long)]
    starts_at: Option<String>,
    /// RFC 3339 end.
    #[arg(long)]
    ends_at: String,
    /// Why.
    #[arg(long)]
    reason: String,
    /// Who asks.
    #[arg(long)]
    author: String,
    /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
    #[arg(long, env = "TOCSIN_STORE")]
    store: String,
}

/// One line for a silence.
fn line(silence: &Silence, now: Timestamp) -> String {
    let matchers = serde_json::to_string(&silence.matchers).unwrap_or_default();
    let state = match silence.state(now) {
        crate::model::silence::SilenceState::Pending => "pending",
        crate::model::silence::SilenceState::Active => "active",
        crate::model::silence::SilenceState::Ended => "ended",
    };
    format!(
        "{}\t{}\t{state}\t{} .. {}\t{matchers}\tby {}\tconfirmed: {}\t{}",
        silence.id,
        silence.kind.as_str(),
        silence.starts_at.to_rfc3339(),
        silence.end().to_rfc3339(),
        silence.author,
        silence.confirmed_by.as_deref().unwrap_or("-"),
        silence.reason
    )
}

/// The audit entry of a command-line change.
fn audit(action: AuditAction, author: &str, id: Option<i64>, now: Timestamp) -> AuditDraft {
    AuditDraft {
        at: now,
        actor: "system:cli".to_owned(),
        action,
        warning: None,
        generation: None,
        subject: id.map_or_else(|| "silence".to_owned(), |id| format!("silence:{id}")),
        detail: serde_json::json!({"silence": id, "by": author, "via": "cli"}),
    }
}

/// Reads an RFC 3339 argument.
fn instant(flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse_rfc3339(text)
        .with_context(|| format!("`--{flag}` must be RFC 3339 time, got `{text}`"))
}

/// Runs `tocsin silence ...`.
pub(crate) fn run(args: &SilenceArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(args))
}

/// The command on a runtime.
async fn run_async(args: &SilenceArgs) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now();
    match &args.command {
        SilenceCommand::Add(add) => {
            let AddArgs {
                kind,
                asset,
                sensor,
                district,
                domain,
                hazard,
                starts_at,
                ends_at,
                reason,
                author,
                store,
            } = &**add;
            let Some(kind) = SilenceKind::parse(kind) else {
                eprintln!("error[silence_invalid]: `--kind` must be `silence` or `maintenance`");
                return Ok(ExitCode::FAILURE);
            };
            let new = NewSilence {
                kind,
                matchers: Matchers {
                    asset: asset.as_deref().map(Into::into),
                    sensor: sensor.as_deref().map(Into::into),
                    district: district.as_deref().map(Into::into),
                    domain: domain.as_deref().map(Into::into),
                    hazard: hazard.as_deref().map(Into::into),
                },
                starts_at: starts_at
                    .as_deref()
                    .map(|t| instant("starts-at", t))
                    .transpose()?,
                ends_at: instant("ends-at", ends_at)?,
                reason: reason.clone(),
                author: author.clone(),
            };
            let start = match check_new(&new, now) {
                Ok(start) => start,
                Err(error) => {
                    eprintln!("error[silence_invalid]: {error}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let store = storage::open(store).await?;
            let silence = store
                .create_silence(
                    &new,
                    start,
                    now,
                    &audit(AuditAction::SilenceCreated, author, None, now),
                )
                .await?;
            println!("{}", silence.id);
            eprintln!("{}", line(&silence, now));
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::List { all, store } => {
            let store = storage::open(store).await?;
            let filter = SilenceFilter {
                ending_after: (!all).then_some(now),
                limit: 0,
            };
            for silence in store.silences(&filter).await? {
                println!("{}", line(&silence, now));
            }
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::Confirm { id, author, store } => {
            let store = storage::open(store).await?;
            let draft = audit(AuditAction::SilenceConfirmed, author, Some(*id), now);
            let change = store.confirm_silence(*id, author, now, &draft).await?;
            Ok(report(change, *id, now))
        }
        SilenceCommand::Expire { id, author, store } => {
            let store = storage::open(store).await?;
            let draft = audit(AuditAction::SilenceExpired, author, Some(*id), now);
            let change = store.expire_silence(*id, author, now, &draft).await?;
            Ok(report(change, *id, now))
        }
    }
}

/// Prints what a confirm or expire did.
fn report(change: SilenceChange, id: i64, now: Timestamp) -> ExitCode {
    use crate::model::silence::SilenceError;
    match change {
        SilenceChange::Done(silence) => {
            println!("{}", line(&silence, now));
            ExitCode::SUCCESS
        }
        SilenceChange::NotFound => {
            eprintln!("error[not_found]: no silence {id}");
            ExitCode::FAILURE
        }
        SilenceChange::Refused(error) => {
            let code = match error {
                SilenceError::Invalid(_) => "silence_invalid",
                SilenceError::SelfConfirmation { .. } => "self_confirmation",
                SilenceError::Ended(_) => "silence_ended",
                SilenceError::AlreadyConfirmed { .. } => "already_confirmed",
            };
            eprintln!("error[{code}]: {error}");
            ExitCode::FAILURE
        }
    }
}
