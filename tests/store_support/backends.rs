//! `store_tests!`: one `#[tokio::test]` per backend for each named test fn taking
//! `Arc<dyn Store>`: `sqlite::NAME` on an in-memory database, `postgres::NAME` on a fresh
//! PostgreSQL database. Included with `#[macro_use] #[path]` by the suites that run on both stores
//! (`tests/store.rs`, `tests/store_workflow.rs`, `tests/store_access.rs`, `tests/reload.rs`), which
//! also declare `mod store_support`.

macro_rules! store_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::store_support::sqlite_memory().await).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::store_support::with_postgres_store(super::$name).await;
                }
            )+
        }
    };
}
