//! Shared by `tests/api.rs`, `tests/ingest_props.rs`, `tests/access_matrix.rs` and
//! `benches/ingest_e2e.rs`: a generation built in code (one gas domain, one metric with a default
//! ladder, one threshold rule, `n` sensors each on its own asset), small request helpers, and API
//! tokens created through the store.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use tocsin::auth::user;
use tocsin::model::{
    Asset, AssetIx, ClearPolicy, Department, Direction, District, Domain, Generation,
    GenerationParts, GeoPoint, Ladder, Metric, Persistence, Rule, RuleKind, Sensor, SourceFile,
    Timestamp,
};
use tocsin::storage::Store;

/// 2026-11-29T00:00:00Z.
pub const T0: Timestamp = Timestamp(1_795_910_400_000);

/// The gas metric every test sensor reports.
pub const METRIC: &str = "gas.ch4_adjacent";

/// Id of the `i`-th test sensor.
pub fn sensor_id(i: usize) -> String {
    format!("gas-ch4-{i:04}")
}

/// Id of the `i`-th test asset.
pub fn asset_id(i: usize) -> String {
    format!("well-{i:04}")
}

/// A generation with `sensors` gas sensors, ladder 5/10/20/50 %LEL, valid range 0..100.
pub fn generation(sensors: usize) -> Generation {
    Generation::build(parts(sensors))
}

/// The parts of [`generation`], for tests that change the configuration between runs.
pub fn parts(sensors: usize) -> GenerationParts {
    let ladder = Ladder {
        direction: Direction::Above,
        thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
    };
    let district = District {
        code: "210102".into(),
        name: "和平区".to_owned(),
        parent: None,
        government: None,
        boundary: None,
    };
    let department = Department {
        id: "shenyang.construction".into(),
        name: "市城乡建设局".to_owned(),
        district: None,
        contacts: Vec::new(),
    };
    let domain = Domain {
        id: "city_gas".into(),
        name: "City gas".to_owned(),
        name_cn: "城镇燃气".to_owned(),
        lead_department: "shenyang.construction".into(),
        co_departments: Vec::new(),
        issuing_authority: [
            "district".to_owned(),
            "district".to_owned(),
            "city".to_owned(),
            "city".to_owned(),
        ],
        objects: vec!["adjacent_space".to_owned()],
        metrics: vec![METRIC.into(), "gas.pressure".into()],
        grading: None,
    };
    let metric = |id: &str, unit: &'static str, ladder: Option<Ladder>| Metric {
        id: id.into(),
        domain: "city_gas".into(),
        name: id.to_owned(),
        unit,
        valid_range: (0.0, 100.0),
        reporting_interval: Duration::from_secs(60),
        offline_after_intervals: 3,
        default_ladder: ladder,
        basis: None,
    };
    let rule = Rule {
        id: "gas.ch4_adjacent.ladder".into(),
        domain: "city_gas".into(),
        hazard: "gas_leak".into(),
        metric: Some(METRIC.into()),
        objects: Vec::new(),
        kind: RuleKind::Threshold {
            ladder: None,
            persistence: [Persistence::Immediate; 4],
        },
        clear: ClearPolicy {
            margin: 1.0,
            after: Duration::from_secs(600),
        },
        description: "combustible gas in adjacent space".to_owned(),
        basis: None,
        shadow: false,
    };
    let mut assets = Vec::with_capacity(sensors);
    let mut registered = Vec::with_capacity(sensors);
    for i in 0..sensors {
        assets.push(Asset {
            id: asset_id(i).as_str().into(),
            name: format!("well {i}"),
            domain: "city_gas".into(),
            kind: "adjacent_space".to_owned(),
            district: "210102".into(),
            owner: "shenyang.construction".into(),
            location: None,
            attributes: BTreeMap::new(),
        });
        registered.push(Sensor {
            id: sensor_id(i).as_str().into(),
            domain: "city_gas".into(),
            kind: "adjacent_space".to_owned(),
            asset: asset_id(i).as_str().into(),
            asset_ix: AssetIx(i as u32),
            location: GeoPoint {
                lon: 123.4,
                lat: 41.8,
            },
            district: "210102".into(),
            department: "shenyang.construction".into(),
            metrics: vec![METRIC.into()],
            overrides: BTreeMap::new(),
        });
    }
    GenerationParts {
        sources: vec![SourceFile {
            path: "test/generation.yaml".to_owned(),
            text: format!("version: 1\nsensors: {sensors}\n"),
        }],
        districts: vec![district],
        departments: vec![department],
        domains: vec![domain],
        metrics: vec![
            metric(METRIC, "%LEL", Some(ladder)),
            metric("gas.pressure", "kPa", None),
        ],
        rules: vec![rule],
        assets,
        sensors: registered,
        ..GenerationParts::default()
    }
}

/// One reading as JSON, `ts` in epoch milliseconds.
pub fn reading(sensor: usize, value: f64, ts: Timestamp) -> serde_json::Value {
    serde_json::json!({
        "sensor": sensor_id(sensor),
        "metric": METRIC,
        "value": value,
        "ts": ts.millis(),
    })
}

/// A new user of `role` (with `scope` as its department or district, as the role needs) and its
/// token, created through the store as `tocsin token create` does.
pub async fn token_for(store: &dyn Store, role: &str, scope: Option<&str>) -> String {
    let (department, district) = match role {
        "department_user" => (scope, None),
        "district_user" => (None, scope),
        _ => (None, None),
    };
    let new_user = user::new_user(role, None, department, district, None).unwrap();
    let (_, _, secret) = user::create_user(store, &new_user, "system:test", T0, None)
        .await
        .unwrap();
    secret
}

/// An admin's token.
pub async fn admin_token(store: &dyn Store) -> String {
    token_for(store, "admin", None).await
}

/// `router` with `Authorization: Bearer <token>` added to every request that has none.
pub fn signed_in(router: Router, token: &str) -> Router {
    let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    router.layer(axum::middleware::map_request(
        move |mut request: Request<Body>| {
            let value = value.clone();
            async move {
                request
                    .headers_mut()
                    .entry(header::AUTHORIZATION)
                    .or_insert(value);
                request
            }
        },
    ))
}

/// Sends `request` through `router`; answers the status, the content type (empty when absent)
/// and the body as text.
pub async fn text_answer(
    router: &Router,
    request: Request<Body>,
) -> (axum::http::StatusCode, String, String) {
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}
