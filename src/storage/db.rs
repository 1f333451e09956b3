//! Plain-Rust SQL shared by both backends: a statement ([`Sql`]: text with `$1`-style
//! placeholders plus the values to bind, [`Bind`]) run on a borrowed connection of either backend
//! ([`Conn`]), dispatched by a `match`. Rows come back as any type that sqlx can build from a row
//! of both backends ([`Row`]: a `#[derive(sqlx::FromRow)]` struct or a tuple), so the shared
//! store code is ordinary `async fn`s that rustfmt and rust-analyzer read, with `Send` futures
//! (generic `sqlx::Database` code needs higher-ranked executor bounds that break them).
//!
//! A [`Conn`] borrows a connection, so it works inside a backend's own transaction
//! (`Conn::from(&mut *tx)`) as well as on a connection taken from a pool ([`Pooled`]). The few SQL
//! differences between the backends are small functions of [`Backend`] ([`json_cast`],
//! [`lock_rows`]).

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Arguments, FromRow, Postgres, Sqlite, Transaction};

use super::journal::Journaled;
pub(super) use super::select::Bind;
use super::select::Select;
use super::shared::query_error;
use super::{Backend, StoreError};
use crate::model::Reading;

/// A row type both backends can build.
pub(super) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// The cast that turns a JSON text parameter into the column's type: nothing on SQLite, where
/// JSON columns are checked text; `::jsonb` on PostgreSQL. JSON columns are read back as text
/// with `CAST(... AS TEXT)`, which both accept.
pub(super) const fn json_cast(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "::jsonb",
    }
}

/// The suffix that locks the selected rows of `table` until commit (`FOR UPDATE OF table` on
/// PostgreSQL; nothing on SQLite, whose write transactions hold the database lock).
pub(super) fn lock_rows(backend: Backend, table: &str) -> String {
    match backend {
        Backend::Sqlite => String::new(),
        Backend::Postgres if table.is_empty() => " FOR UPDATE".to_owned(),
        Backend::Postgres => format!(" FOR UPDATE OF {table}"),
    }
}

/// One statement: SQL text with `$1`, `$2`, ... placeholders and the values for them, in order.
#[derive(Debug)]
pub(super) struct Sql<'a> {
    /// The SQL text.
    text: std::borrow::Cow<'a, str>,
    /// Values for the placeholders.
    binds: Vec<Bind<'a>>,
}

impl<'a> Sql<'a> {
    /// A statement from fixed text.
    pub(super) fn new(text: impl Into<std::borrow::Cow<'a, str>>) -> Self {
        Self {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    /// A statement from text and values built elsewhere (a `select::Select`).
    pub(super) fn with_binds(
        text: impl Into<std::borrow::Cow<'a, str>>,
        binds: Vec<Bind<'a>>,
    ) -> Self {
        Self {
            text: text.into(),
            binds,
        }
    }

    /// Binds the next placeholder.
    #[must_use]
    pub(super) fn bind(mut self, value: impl Into<Bind<'a>>) -> Self {
        self.binds.push(value.into());
        self
    }

    /// The values as SQLite arguments.
    fn sqlite_arguments(&self) -> Result<SqliteArguments<'_>, sqlx::Error> {
        let mut arguments = SqliteArguments::default();
        for bind in &self.binds {
            match bind {
                Bind::Text(text) => arguments.add(*text),
                Bind::Owned(text) => arguments.add(text.as_str()),
                Bind::OptText(text) => arguments.add(*text),
                Bind::Int(int) => arguments.add(*int),
                Bind::OptInt(int) => arguments.add(*int),
                Bind::Bool(flag) => arguments.add(*flag),
                Bind::Bytes(bytes) => arguments.add(*bytes),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(arguments)
    }

    /// The values as PostgreSQL arguments.
    fn pg_arguments(&self) -> Result<PgArguments, sqlx::Error> {
        let mut arguments = PgArguments::default();
        for bind in &self.binds {
            match bind {
                Bind::Text(text) => arguments.add(*text),
                Bind::Owned(text) => arguments.add(text.as_str()),
                Bind::OptText(text) => arguments.add(*text),
                Bind::Int(int) => arguments.add(*int),
                Bind::OptInt(int) => arguments.add(*int),
                Bind::Bool(flag) => arguments.add(*flag),
                Bind::Bytes(bytes) => arguments.add(*bytes),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(arguments)
    }
}

impl<'a> From<&'a str> for Bind<'a> {
    fn from(text: &'a str) -> Self {
        Bind::Text(text)
    }
}

impl From<String> for Bind<'_> {
    fn from(text: String) -> Self {
        Bind::Owned(text)
    }
}

impl<'a> From<Option<&'a str>> for Bind<'a> {
    fn from(text: Option<&'a str>) -> Self {
        Bind::OptText(text)
    }
}

impl From<i64> for Bind<'_> {
    fn from(int: i64) -> Self {
        Bind::Int(int)
    }
}

impl From<Option<i64>> for Bind<'_> {
    fn from(int: Option<i64>) -> Self {
        Bind::OptInt(int)
    }
}

impl<'a> From<&'a [u8]> for Bind<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Bind::Bytes(bytes)
    }
}

impl From<bool> for Bind<'_> {
    fn from(flag: bool) -> Self {
        Bind::Bool(flag)
    }
}

/// A borrowed connection of either backend: inside a transaction or taken from a pool.
#[derive(Debug)]
pub(super) enum Conn<'c> {
    /// SQLite.
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL.
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Self {
        Conn::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(conn: &'c mut PgConnection) -> Self {
        Conn::Postgres(conn)
    }
}

impl Conn<'_> {
    /// The backend.
    pub(super) const fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the rows it affected. A failure is a query error of `operation`.
    pub(super) async fn execute(
        &mut self,
        sql: Sql<'_>,
        operation: &'static str,
    ) -> Result<u64, StoreError> {
        let result = match self {
            Conn::Sqlite(conn) => match sql.sqlite_arguments() {
                Ok(arguments) => sqlx::query_with(&sql.text, arguments)
                    .execute(&mut **conn)
                    .await
                    .map(|done| done.rows_affected()),
                Err(error) => Err(error),
            },
            Conn::Postgres(conn) => match sql.pg_arguments() {
                Ok(arguments) => sqlx::query_with(&sql.text, arguments)
                    .execute(&mut **conn)
                    .await
                    .map(|done| done.rows_affected()),
                Err(error) => Err(error),
            },
        };
        result.map_err(query_error(operation))
    }

    /// Fetches every row as `T`.
    pub(super) async fn fetch_all<T: Row>(
        &mut self,
        sql: Sql<'_>,
        operation: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let result = match self {
            Conn::Sqlite(conn) => match sql.sqlite_arguments() {
                Ok(arguments) => {
                    sqlx::query_as_with::<Sqlite, T, _>(&sql.text, arguments)
                        .fetch_all(&mut **conn)
                        .await
                }
                Err(error) => Err(error),
            },
            Conn::Postgres(conn) => match sql.pg_arguments() {
                Ok(arguments) => {
                    sqlx::query_as_with::<Postgres, T, _>(&sql.text, arguments)
                        .fetch_all(&mut **conn)
                        .await
                }
                Err(error) => Err(error),
            },
        };
        result.map_err(query_error(operation))
    }

    /// Fetches the first row as `T`, if there is one.
    pub(super) async fn fetch_optional<T: Row>(
        &mut self,
        sql: Sql<'_>,
        operation: &'static str,
    ) -> Result<Option<T>, StoreError> {
        let result = match self {
            Conn::Sqlite(conn) => match sql.sqlite_arguments() {
                Ok(arguments) => {
                    sqlx::query_as_with::<Sqlite, T, _>(&sql.text, arguments)
                        .fetch_optional(&mut **conn)
                        .await
                }
                Err(error) => Err(error),
            },
            Conn::Postgres(conn) => match sql.pg_arguments() {
                Ok(arguments) => {
                    sqlx::query_as_with::<Postgres, T, _>(&sql.text, arguments)
                        .fetch_optional(&mut **conn)
                        .await
                }
                Err(error) => Err(error),
            },
        };
        result.map_err(query_error(operation))
    }

    /// Fetches exactly one row as `T`.
    pub(super) async fn fetch_one<T: Row>(
        &mut self,
        sql: Sql<'_>,
        operation: &'static str,
    ) -> Result<T, StoreError> {
        let result = match self {
            Conn::Sqlite(conn) => match sql.sqlite_arguments() {
                Ok(arguments) => {
                    sqlx::query_as_with::<Sqlite, T, _>(&sql.text, arguments)
                        .fetch_one(&mut **conn)
                        .await
                }
                Err(error) => Err(error),
            },
            Conn::Postgres(conn) => match sql.pg_arguments() {
                Ok(arguments) => {
                    sqlx::query_as_with::<Postgres, T, _>(&sql.text, arguments)
                        .fetch_one(&mut **conn)
                        .await
                }
                Err(error) => Err(error),
            },
        };
        result.map_err(query_error(operation))
    }
}

/// A pool of either backend, borrowed.
#[derive(Clone, Copy, Debug)]
pub(super) enum PoolRef<'p> {
    /// SQLite.
    Sqlite(&'p SqlitePool),
    /// PostgreSQL.
    Postgres(&'p PgPool),
}

impl<'p> From<&'p SqlitePool> for PoolRef<'p> {
    fn from(pool: &'p SqlitePool) -> Self {
        PoolRef::Sqlite(pool)
    }
}

impl<'p> From<&'p PgPool> for PoolRef<'p> {
    fn from(pool: &'p PgPool) -> Self {
        PoolRef::Postgres(pool)
    }
}

impl PoolRef<'_> {
    /// The backend.
    pub(super) const fn backend(self) -> Backend {
        match self {
            PoolRef::Sqlite(_) => Backend::Sqlite,
            PoolRef::Postgres(_) => Backend::Postgres,
        }
    }

    /// Takes a connection, for reads outside a transaction.
    pub(super) async fn acquire(self, operation: &'static str) -> Result<Pooled, StoreError> {
        Ok(match self {
            PoolRef::Sqlite(pool) => {
                Pooled::Sqlite(pool.acquire().await.map_err(query_error(operation))?)
            }
            PoolRef::Postgres(pool) => {
                Pooled::Postgres(pool.acquire().await.map_err(query_error(operation))?)
            }
        })
    }
}

/// A connection taken from a pool of either backend, returned to it when dropped.
#[derive(Debug)]
pub(super) enum Pooled {
    /// SQLite.
    Sqlite(PoolConnection<Sqlite>),
    /// PostgreSQL.
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    /// The connection, to run statements on.
    pub(super) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(conn) => Conn::Sqlite(conn),
            Pooled::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

/// Runs a built `select::Select` on a connection from `pool` and fetches every row as `T`; a
/// failure is a query error of `operation`.
pub(super) async fn fetch_select<T: Row>(
    pool: impl Into<PoolRef<'_>>,
    select: Select<'_>,
    operation: &'static str,
) -> Result<Vec<T>, StoreError> {
    let mut pooled = pool.into().acquire(operation).await?;
    pooled
        .conn()
        .fetch_all(Sql::with_binds(select.sql, select.binds), operation)
        .await
}

/// A write transaction of either backend (begun by [`Backed::begin`]).
#[derive(Debug)]
pub(super) enum WriteTx {
    /// SQLite (`BEGIN IMMEDIATE` on the one writer connection).
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    /// The transaction's connection, to run statements on.
    pub(super) fn conn(&mut self) -> Conn<'_> {
        match self {
            WriteTx::Sqlite(tx) => Conn::Sqlite(tx),
            WriteTx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    /// Commits.
    pub(super) async fn commit(self, operation: &'static str) -> Result<(), StoreError> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
        }
        .map_err(query_error(operation))
    }

    /// Rolls back.
    pub(super) async fn rollback(self, operation: &'static str) -> Result<(), StoreError> {
        match self {
            WriteTx::Sqlite(tx) => tx.rollback().await,
            WriteTx::Postgres(tx) => tx.rollback().await,
        }
        .map_err(query_error(operation))
    }
}

/// What the shared store code needs of a backend's store: a pool for reads and a write
/// transaction. The part traits written once for both backends (`AuditStore`, ...) are
/// implemented for every `Backed` store.
pub(super) trait Backed: Send + Sync {
    /// The pool reads run on.
    fn reads(&self) -> PoolRef<'_>;

    /// The pool writes and migrations run on.
    fn writes(&self) -> PoolRef<'_>;

    /// The backend's migrations.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator;

    /// Begins a write transaction.
    fn begin(
        &self,
        operation: &'static str,
    ) -> impl Future<Output = Result<WriteTx, StoreError>> + Send;

    /// Inserts a non-empty batch of readings in one transaction (the fast path differs per
    /// backend), with `journal` appending the new ones to the engine journal in it.
    fn store_readings(
        &self,
        readings: &[Reading],
        journal: bool,
    ) -> impl Future<Output = Result<Journaled, StoreError>> + Send;
}
