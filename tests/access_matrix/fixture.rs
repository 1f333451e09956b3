//! The fixture of `tests/access_matrix.rs`: a runtime over a real store with three seeded
//! warnings in two districts and two departments, tokens of every role, and a request helper.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tocsin::auth::user;
use tocsin::model::{
    Change, Department, District, Generation, Level, ManualClock, Role, WarningChange,
};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::storage::{AuditFilter, Store};
use tower::ServiceExt;

use crate::api_support::{T0, parts, sensor_id, token_for};

pub(crate) const SENSORS: usize = 4;

/// The seeded warnings: (asset, district, lead department).
pub(crate) const WARNINGS: [(&str, &str, &str); 3] = [
    ("well-0000", "210102", "shenyang.construction"),
    ("well-0001", "210103", "shenyang.gas"),
    ("well-0002", "210103", "shenyang.construction"),
];

/// The api_support generation with a second district and department.
pub(crate) fn generation() -> Generation {
    let mut parts = parts(SENSORS);
    parts.districts.push(District {
        code: "210103".into(),
        name: "沈河区".to_owned(),
        parent: None,
        government: None,
        boundary: None,
    });
    parts.departments.push(Department {
        id: "shenyang.gas".into(),
        name: "市燃气集团".to_owned(),
        district: None,
        contacts: Vec::new(),
    });
    Generation::build(parts)
}

/// A store in a SQLite file of its own (kept until the process ends).
pub(crate) async fn sqlite_file() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    let url = format!("sqlite://{}", dir.join("tocsin.db").display());
    tocsin::storage::open(&url).await.unwrap()
}

pub(crate) struct Fixture {
    pub(crate) runtime: Runtime,
    pub(crate) router: Router,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: ManualClock,
    /// Ids of [`WARNINGS`], in order.
    pub(crate) warnings: Vec<i64>,
}

pub(crate) async fn fixture(store: Arc<dyn Store>) -> Fixture {
    let clock = ManualClock::new(T0);
    let settings = Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    };
    let generation = Arc::new(generation());
    let runtime = Runtime::start(
        &settings,
        Arc::clone(&generation),
        Arc::clone(&store),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    let changes: Vec<Change> = WARNINGS
        .iter()
        .map(|(asset, district, department)| {
            Change::Warning(WarningChange {
                asset: (*asset).into(),
                hazard: "gas_leak".into(),
                domain: "city_gas".into(),
                district: (*district).into(),
                department: (*department).into(),
                from: None,
                to: Some(Level::Orange),
                ts: T0,
                rule: "gas.ch4_adjacent.ladder".into(),
                sensor: sensor_id(0).as_str().into(),
                evidence: Vec::new(),
                generation: generation.id.clone(),
                message: format!("seeded for {asset}"),
                causes: Vec::new(),
                details: Value::Null,
            })
        })
        .collect();
    store.apply_changes(&changes).await.unwrap();
    let mut warnings = Vec::new();
    for (asset, _, _) in WARNINGS {
        let found = store
            .warnings(&tocsin::storage::WarningFilter {
                asset: Some(asset.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        warnings.push(found[0].id);
    }
    Fixture {
        router: runtime.router(),
        runtime,
        store,
        clock,
        warnings,
    }
}

impl Fixture {
    /// Shuts the runtime down (the router holds the ingest queue, so it goes first).
    pub(crate) async fn stop(self) {
        drop(self.router);
        self.runtime.shutdown().await;
    }
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Value,
}

pub(crate) async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        status,
        headers,
        body,
    }
}

/// Who calls: a role's token, no token, or a revoked token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Caller {
    Role(Role),
    Anonymous,
    Revoked,
}

/// Tokens of every role (scoped users in the first seeded warning's department and district) and
/// a revoked one.
pub(crate) struct Tokens {
    pub(crate) roles: Vec<(Role, String)>,
    pub(crate) revoked: String,
}

impl Tokens {
    pub(crate) async fn create(store: &dyn Store) -> Tokens {
        let mut roles = Vec::new();
        for role in Role::ALL {
            let scope = match role {
                Role::DepartmentUser => Some(WARNINGS[0].2),
                Role::DistrictUser => Some(WARNINGS[0].1),
                _ => None,
            };
            roles.push((role, token_for(store, role.as_str(), scope).await));
        }
        let revoked = token_for(store, "admin", None).await;
        let id = store.tokens(None).await.unwrap().last().unwrap().id;
        assert!(
            user::revoke(store, id, "system:test", T0, None)
                .await
                .unwrap()
                .is_some()
        );
        Tokens { roles, revoked }
    }

    pub(crate) fn of(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Role(role) => self
                .roles
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, token)| token.as_str()),
            Caller::Anonymous => None,
            Caller::Revoked => Some(&self.revoked),
        }
    }
}

/// How many `auth.refused` entries the audit log holds.
pub(crate) async fn refusals(store: &dyn Store) -> usize {
    store
        .audit(&AuditFilter {
            action: Some("auth.refused".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .len()
}
