//! Fresh stores for the store test suite: an in-memory SQLite store, or a throw-away PostgreSQL
//! database (`CREATE DATABASE tocsin_t_<random>`, dropped afterwards even when the test panics).
//!
//! PostgreSQL is reached through `TOCSIN_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When it is unreachable the test fails if `CI` is
//! `true`, and otherwise prints `skipped: PostgreSQL not reachable at ...` and passes.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tocsin::storage::{self, Store};

/// The admin database used when `TOCSIN_TEST_POSTGRES` is not set.
pub(crate) const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated in-memory SQLite store.
pub(crate) async fn sqlite_memory() -> Arc<dyn Store> {
    storage::open("sqlite::memory:").await.unwrap()
}

/// Runs `test` against a migrated store in a fresh PostgreSQL database.
pub(crate) async fn with_postgres_store<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    with_postgres_url(|url| async move {
        let store = storage::open(&url).await.unwrap();
        test(store).await;
    })
    .await;
}

/// Runs `test` with the URL of a fresh, empty PostgreSQL database, then drops the database.
pub(crate) async fn with_postgres_url<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let admin_url =
        std::env::var("TOCSIN_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let mut admin = match connect(&admin_url).await {
        Ok(admin) => admin,
        Err(reason) => {
            let message = format!(
                "PostgreSQL not reachable at {}: {reason}",
                storage::redact_url(&admin_url)
            );
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("{message} (CI=true, so this is a failure)");
            }
            eprintln!("skipped: {message}");
            return;
        }
    };
    let name = format!("tocsin_t_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let outcome = AssertUnwindSafe(test(database_url(&admin_url, &name)))
        .catch_unwind()
        .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Connects within a few seconds, or says why not.
async fn connect(url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer within 5 s".to_owned()),
    }
}

/// The admin URL with its database name replaced by `name` (query parameters kept).
pub(crate) fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}
