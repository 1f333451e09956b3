//! The departments a warning was issued to (`case_recipients`), on both backends: the department
//! filter finds a warning for a department told of it and for no other (not a longer id, not a
//! `_` or `%` taken as a wildcard), follows a case saved with a new `issued_to`, and sees cases
//! written before the table existed (the migration backfills it from `cases.issued_to`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod store_support;
#[allow(dead_code, reason = "shared helpers; this suite uses some")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::sync::Arc;

use tocsin::model::{DepartmentId, Level};
use tocsin::storage::{self, Store, WarningFilter};
use workflow_support::{change, engine, new_case, save, warning_of};

/// The ids of the warnings `department` may see.
async fn visible(store: &Arc<dyn Store>, department: &str) -> Vec<i64> {
    let filter = WarningFilter {
        visible_to_department: Some(DepartmentId::new(department)),
        ..WarningFilter::default()
    };
    let found = store.warnings(&filter).await.unwrap();
    found.iter().map(|warning| warning.id).collect()
}

/// A warning issued to two departments is seen by them and by its lead department only; saving
/// the case with another list moves who sees it.
async fn issued_departments_see_the_warning(store: Arc<dyn Store>) {
    engine(&store, &[change("well-1", None, Some(Level::Red), 10)]).await;
    let id = warning_of(&store, "well-1").await.id;
    assert!(visible(&store, "fire_brigade").await.is_empty());
    let mut case = new_case(id, 0);
    case.issued_to = vec!["fire_brigade".into(), "water_co".into()];
    save(&store, &case, &[], &[]).await;
    assert_eq!(visible(&store, "fire_brigade").await, vec![id]);
    assert_eq!(visible(&store, "water_co").await, vec![id]);
    for other in ["fire", "fire_brigadeX", "fire%", "fire_brigad_", "police"] {
        assert!(visible(&store, other).await.is_empty(), "{other}");
    }
    // The lead department sees its warning without being told.
    let lead = warning_of(&store, "well-1").await.department;
    assert_eq!(visible(&store, lead.as_str()).await, vec![id]);

    case.version = 1;
    case.issued_to = vec!["police".into(), "water_co".into()];
    save(&store, &case, &[], &[]).await;
    assert_eq!(visible(&store, "police").await, vec![id]);
    assert_eq!(visible(&store, "water_co").await, vec![id]);
    assert!(visible(&store, "fire_brigade").await.is_empty());
}

#[tokio::test]
async fn sqlite_issued_departments_see_the_warning() {
    issued_departments_see_the_warning(store_support::sqlite_memory().await).await;
}

#[tokio::test]
async fn postgres_issued_departments_see_the_warning() {
    store_support::with_postgres_store(issued_departments_see_the_warning).await;
}

/// The migrations before the recipients table.
fn migrations_before_recipients(backend: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "20261208000001" {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    dir
}

/// A warning and its case issued to `fire_brigade`, written before the recipients table.
const OLD_ROWS: [&str; 2] = [
    "INSERT INTO warnings (asset, hazard, domain, district, department, state, level, \
     peak_level, opened_at, updated_at, rule, sensor, generation, message) \
     VALUES ('well-1', 'gas_leak', 'city_gas', '210102', 'shenyang.construction', 'open', \
     'yellow', 'yellow', 1, 2, 'r', 's', 'g0', 'm')",
    "INSERT INTO cases (warning, workflow, stage, stage_since, level, drill, rungs_fired, \
     due_at, due_rung, supervised, issued_to, reacted_seq, opened_at, closed_at, version) \
     VALUES (1, 'wf', 'issued', 1, 'yellow', FALSE, 0, NULL, NULL, FALSE, \
     '[\"fire_brigade\"]', 0, 1, NULL, 1)",
];

async fn backfilled_recipients_are_found(store: Arc<dyn Store>) {
    assert_eq!(visible(&store, "fire_brigade").await, vec![1]);
    assert!(visible(&store, "fire").await.is_empty());
}

#[tokio::test]
async fn sqlite_upgrade_backfills_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        let previous = migrations_before_recipients("sqlite");
        let migrator = sqlx::migrate::Migrator::new(previous.path()).await.unwrap();
        migrator.run(&pool).await.unwrap();
        for sql in OLD_ROWS {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    backfilled_recipients_are_found(storage::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_upgrade_backfills_recipients() {
    store_support::with_postgres_url(|url| async move {
        {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let previous = migrations_before_recipients("postgres");
            let migrator = sqlx::migrate::Migrator::new(previous.path()).await.unwrap();
            migrator.run(&pool).await.unwrap();
            for sql in OLD_ROWS {
                sqlx::query(
                    sql.replace("'[\"fire_brigade\"]'", "'[\"fire_brigade\"]'::jsonb")
                        .as_str(),
                )
                .execute(&pool)
                .await
                .unwrap();
            }
            pool.close().await;
        }
        backfilled_recipients_are_found(storage::open(&url).await.unwrap()).await;
    })
    .await;
}
