//! `tocsin token create | list | revoke --store URL`: API tokens from the command line, the way
//! the first admin gets in. `create` prints the new token alone on standard output (so
//! `TOKEN=$(tocsin token create ...)` works) and what it is on standard error; the token is shown
//! this once and only its hash is stored. Each change is audited with actor `system:cli`.
//! A revoke takes effect at once in new processes and within the guard's cache lifetime
//! (`auth::Authenticator::TTL`) in a running server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use crate::auth::user;
use crate::model::{Actor, Clock as _, SystemClock};
use crate::storage::{self, Store, TokenRecord, UserRecord};

/// Arguments of `tocsin token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// `tocsin token` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a user with a token; prints the token (shown only this once) on standard output.
    Create {
        /// admin, rule_editor, duty_officer, department_user, district_user, auditor or
        /// ingest_client.
        #[arg(long)]
        role: String,
        /// The department of a department_user.
        #[arg(long)]
        department: Option<String>,
        /// The district (GB/T 2260 code) of a district_user.
        #[arg(long)]
        district: Option<String>,
        /// The user's name (default: the role and its department or district).
        #[arg(long)]
        name: Option<String>,
        /// Store URL (`sqlite://tocsin.db`, `postgres://...`); created or migrated if needed.
        #[arg(long, env = "TOCSIN_STORE")]
        store: String,
        /// Deployment directory, to check that the department or district exists.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List users' tokens (never the tokens themselves).
    List {
        /// Store URL.
        #[arg(long, env = "TOCSIN_STORE")]
        store: String,
    },
    /// Revoke a token by its id (from `list`).
    Revoke {
        /// The token's id.
        id: i64,
        /// Store URL.
        #[arg(long, env = "TOCSIN_STORE")]
        store: String,
    },
}

/// The actor of command-line changes.
const ACTOR: &str = "cli";

/// Runs `tocsin token ...`.
pub(crate) fn run(args: &TokenArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match &args.command {
            TokenCommand::Create {
                role,
                department,
                district,
                name,
                store,
                config,
            } => {
                let generation = match config {
                    None => None,
                    Some(config) => match crate::compile::load(Some(config)) {
                        Ok(generation) => Some(generation),
                        Err(diagnostics) => {
                            for diagnostic in &diagnostics {
                                eprintln!("{diagnostic}");
                            }
                            eprintln!(
                                "error: {} problem(s) in {}; no token created",
                                diagnostics.len(),
                                config.display()
                            );
                            return Ok(ExitCode::FAILURE);
                        }
                    },
                };
                let new_user = match user::new_user(
                    role,
                    name.as_deref(),
                    department.as_deref(),
                    district.as_deref(),
                    generation.as_ref(),
                ) {
                    Ok(new_user) => new_user,
                    Err(error) => {
                        eprintln!("error: {error}; no token created");
                        return Ok(ExitCode::FAILURE);
                    }
                };
                let store = open(store).await?;
                let (user, record, secret) = create(&*store, new_user).await?;
                println!("{secret}");
                eprintln!("{}", created_line(&user, &record));
                if generation.is_none() && (user.department.is_some() || user.district.is_some()) {
                    eprintln!(
                        "note: the department or district was not checked against a configuration (pass --config DIR)"
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::List { store } => {
                let store = open(store).await?;
                for line in list(&*store).await? {
                    println!("{line}");
                }
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::Revoke { id, store } => {
                let store = open(store).await?;
                match revoke(&*store, *id).await? {
                    Some(prefix) => {
                        eprintln!(
                            "revoked token {id} ({prefix}); a running server stops accepting it within {} s",
                            crate::auth::Authenticator::TTL.as_secs()
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    None => {
                        eprintln!("error: no active token {id}");
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
        }
    })
}

async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    storage::open(url)
        .await
        .with_context(|| format!("cannot open the store {}", storage::redact_url(url)))
}

/// Creates the user and token; the token's secret is the third element.
async fn create(
    store: &dyn Store,
    new_user: storage::NewUser,
) -> anyhow::Result<(UserRecord, TokenRecord, String)> {
    user::create_user(
        store,
        &new_user,
        &Actor::system(ACTOR).id,
        SystemClock.now(),
        None,
    )
    .await
    .context("cannot create the user and token")
}

/// What `create` says on standard error.
fn created_line(user: &UserRecord, record: &TokenRecord) -> String {
    format!(
        "created token {} ({}) for user {} `{}`, role {}{}; it is shown only this once",
        record.id,
        record.prefix,
        user.id,
        crate::auth::user::printable(&user.name),
        user.role,
        scope_text(user)
    )
}

fn scope_text(user: &UserRecord) -> String {
    match (&user.department, &user.district) {
        (Some(department), _) => format!(", department {department}"),
        (None, Some(district)) => format!(", district {district}"),
        (None, None) => String::new(),
    }
}

/// One line per token: id, prefix, user, name, role, scope (department or district), created,
/// state.
async fn list(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let users = store.users().await.context("cannot list users")?;
    let tokens = store.tokens(None).await.context("cannot list tokens")?;
    let line = |columns: [&str; 8]| {
        let [id, prefix, user, name, role, scope, created, state] = columns;
        format!(
            "{id:>5}  {prefix:<12}  {user:>5}  {name:<20}  {role:<15}  {scope:<22}  {created:<24}  {state}"
        )
    };
    let mut lines = vec![line([
        "id", "prefix", "user", "name", "role", "scope", "created", "state",
    ])];
    for token in &tokens {
        let user = users.iter().find(|user| user.id == token.user);
        let state = match (token.revoked_at, token.last_used_at) {
            (Some(at), _) => format!("revoked {at}"),
            (None, Some(at)) => format!("last used {at}"),
            (None, None) => "never used".to_owned(),
        };
        let scope = user
            .and_then(|user| {
                user.department
                    .as_ref()
                    .map(|d| d.as_str())
                    .or(user.district.as_ref().map(|d| d.as_str()))
            })
            .unwrap_or("-");
        lines.push(line([
            &token.id.to_string(),
            &token.prefix,
            &token.user.to_string(),
            &user.map_or_else(
                || "?".to_owned(),
                |user| crate::auth::user::printable(&user.name),
            ),
            user.map_or("?", |user| user.role.as_str()),
            scope,
            &token.created_at.to_string(),
            &state,
        ]));
    }
    Ok(lines)
}

/// Revokes token `id`; its prefix, or `None` when unknown or already revoked.
async fn revoke(store: &dyn Store, id: i64) -> anyhow::Result<Option<String>> {
    user::revoke(store, id, &Actor::system(ACTOR).id, SystemClock.now(), None)
        .await
        .context("cannot revoke the token")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::auth::token;
    use crate::model::Role;

    #[tokio::test]
    async fn created_tokens_sign_in_and_revoked_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = open(&url).await.unwrap();
        let new_user = user::new_user("district_user", None, None, Some("210102"), None).unwrap();
        let (user, record, secret) = create(&*store, new_user).await.unwrap();
        assert_eq!(user.role, Role::DistrictUser);
        assert!(created_line(&user, &record).contains("district 210102"));
        let (principal, _) = store
            .principal_by_token(&token::hash(&secret))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(principal.user, user.id);
        let lines = list(&*store).await.unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains(&record.prefix) && lines[1].contains("never used"));
        assert_eq!(
            revoke(&*store, record.id).await.unwrap(),
            Some(record.prefix.clone())
        );
        assert_eq!(revoke(&*store, record.id).await.unwrap(), None);
        assert_eq!(revoke(&*store, 999).await.unwrap(), None);
        assert!(
            store
                .principal_by_token(&token::hash(&secret))
                .await
                .unwrap()
                .is_none()
        );
        assert!(list(&*store).await.unwrap()[1].contains("revoked"));
    }
}
