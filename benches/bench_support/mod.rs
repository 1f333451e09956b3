//! What the end-to-end benches share: a fresh PostgreSQL database per run (skipped with a message
//! when the server is unreachable), dropped afterwards.

use std::time::Duration;

use sqlx::Connection;

/// A fresh database on the server at `TOCSIN_TEST_POSTGRES` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`): its URL, its name and the admin connection
/// that drops it ([`drop_database`]); `None` (with a printed reason) when unreachable.
pub(crate) async fn fresh_postgres() -> Option<(String, String, sqlx::PgConnection)> {
    let admin_url = std::env::var("TOCSIN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let connect = sqlx::PgConnection::connect(&admin_url);
    let mut admin = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(admin)) => admin,
        Ok(Err(error)) => {
            println!("postgres: skipped, not reachable: {error}");
            return None;
        }
        Err(_) => {
            println!("postgres: skipped, no answer within 5 s");
            return None;
        }
    };
    let name = format!("tocsin_bench_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    Some((format!("{base}/{name}"), name, admin))
}

/// Drops a database made by [`fresh_postgres`].
pub(crate) async fn drop_database(admin: &mut sqlx::PgConnection, name: &str) {
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(admin)
        .await
        .unwrap();
}
