//! Acknowledgment links end to end: a warning issued through the standard workflow is delivered
//! by the real worker to the real webhook receiver (tests/receivers/), the message carries a
//! link; `GET /ack/{token}` shows the page and changes nothing; `POST` acknowledges the case as
//! the link's person (audited as `person:<who>` with `means: ack_link`, in the timeline); a
//! second `POST` is refused as used, a tampered link as invalid, an old one as expired (the clock
//! is a `ManualClock`). Single use in the store runs on both backends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
#[allow(dead_code, reason = "shared with the other notify suites")]
mod receivers;
#[allow(dead_code, reason = "the support module serves several test files")]
mod store_support;
#[allow(dead_code, reason = "the support module serves several test files")]
mod workflow_support;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tocsin::model::{Clock, ManualClock, Timestamp};
use tocsin::notify::{self, Notifier, NotifySettings, SettingsAddressBook};
use tocsin::storage::{AckUse, AuditFilter, Store};
use tower::ServiceExt;
use workflow_support::{Server, T0, action, deployment, duty_officer};

/// One answer: status, content type and body text.
struct Page {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Page {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
}

async fn call(router: &Router, method: &str, uri: &str, json: bool) -> Page {
    let mut request = Request::builder().method(method).uri(uri);
    if json {
        request = request.header(header::ACCEPT, "application/json");
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Page {
        status,
        content_type,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// The `/ack/...` path of the link in a message text.
fn ack_path(body: &str) -> Option<String> {
    let start = body.find("http://tocsin.test/ack/")?;
    let link = body[start..].split_whitespace().next()?;
    Some(link.trim_start_matches("http://tocsin.test").to_owned())
}

#[tokio::test]
async fn a_delivered_message_carries_a_link_that_acknowledges_once() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let generation = deployment(dir.path());
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    let clock = ManualClock::new(T0);
    let server = Server::start(&url, &generation, &clock).await;
    let router = server.runtime.router();

    // A red reading, issued by the duty officer: the lead department is told.
    server.at(0);
    server.reading("ch4-1", 95.0).await;
    let id = server.warning_of("well-1", false).await.id;
    server.at(1);
    let case = server
        .act(id, &duty_officer(), action("issue", None, &[]))
        .await;
    assert_eq!(case.stage.as_str(), "issued");

    // The worker sends every row to the receiver (webhook for everyone; other channels die).
    let yaml = format!(
        "webhooks: {{desk: {{url: '{}', secret: '{}'}}}}\n\
         addresses: {{default: {{webhook: [desk]}}}}\n\
         public_url: 'http://tocsin.test/'\nmax_attempts: 1\n",
        receiver.url("/ok/desk"),
        receivers::SECRET
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
    let settings = NotifySettings::from_yaml_with(&value, |_| None).unwrap();
    let clock_dyn: Arc<dyn Clock> = Arc::new(clock.clone());
    let book = Arc::new(SettingsAddressBook::new(&settings));
    let channels = notify::channels(&settings, Arc::clone(&clock_dyn), book).unwrap();
    let notifier = Notifier::new(
        Arc::clone(&server.store),
        clock_dyn,
        settings,
        channels,
        "ack-test",
    );
    for _ in 0..10 {
        if notifier.run_once().await.unwrap().claimed == 0 {
            break;
        }
    }
    let requests = receiver.requests();
    assert!(!requests.is_empty(), "the receiver got messages");
    let mut links: Vec<(String, String)> = Vec::new();
    for request in &requests {
        assert_eq!(request["signature_valid"], true, "{request}");
        let data = &request["body"]["data"];
        if data["warning"] != id {
            continue;
        }
        let body = data["body"].as_str().unwrap();
        let path = ack_path(body).unwrap_or_else(|| panic!("no link in {body}"));
        links.push((data["recipient"].as_str().unwrap().to_owned(), path));
    }
    let (person, path) = links
        .iter()
        .find(|(recipient, _)| recipient == "shenyang.construction")
        .cloned()
        .unwrap_or_else(|| panic!("the lead department got a link: {links:?}"));
    let other = links
        .iter()
        .find(|(_, p)| *p != path)
        .map(|(_, p)| p.clone())
        .expect("more than one message, each with its own link");

    // GET shows the page and changes nothing (twice, like a link-preview bot and the person).
    for _ in 0..2 {
        let page = call(&router, "GET", &path, false).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(
            page.content_type.starts_with("text/html"),
            "{}",
            page.content_type
        );
        for expected in [
            "Well 1",
            "和平区",
            "红色",
            "confined_gas",
            "method=\"post\"",
            &person,
        ] {
            assert!(
                page.text.contains(expected),
                "`{expected}` in {}",
                page.text
            );
        }
    }
    assert_eq!(server.case(id).await.stage.as_str(), "issued");
    let about = call(&router, "GET", &path, true).await.json();
    assert_eq!(about["warning"], id);
    assert_eq!(about["level"], "red");
    assert_eq!(about["asset"], "Well 1");

    // POST acknowledges as the person.
    let done = call(&router, "POST", &path, false).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("已签收"), "{}", done.text);
    assert_eq!(server.case(id).await.stage.as_str(), "acknowledged");
    let entries = server
        .store
        .audit(&AuditFilter {
            warning: Some(id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let by_link: Vec<_> = entries
        .iter()
        .filter(|e| e.actor == format!("person:{person}"))
        .collect();
    assert_eq!(by_link.len(), 1, "{entries:#?}");
    let detail: Value = serde_json::from_str(&by_link[0].detail).unwrap();
    assert_eq!(detail["means"], "ack_link");
    assert_eq!(detail["action"], "acknowledge");
    assert_eq!(detail["to"], "acknowledged");
    let timeline = server.audit(id).await;
    assert!(
        timeline.iter().any(
            |(action, detail)| action == "workflow.transition" && detail["means"] == "ack_link"
        ),
        "{timeline:#?}"
    );

    // Used, tampered, expired.
    let again = call(&router, "POST", &path, false).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("ack_link_used"), "{}", again.text);
    assert!(again.content_type.starts_with("text/html"));
    let again = call(&router, "GET", &path, true).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["code"], "ack_link_used");
    let mut tampered = path.clone().into_bytes();
    let at = path.find('.').unwrap() - 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let refused = call(&router, "POST", &tampered, true).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["code"], "ack_link_invalid");
    server.at(1 + 72 * 60 + 1);
    let expired = call(&router, "POST", &other, true).await;
    assert_eq!(expired.status, StatusCode::GONE, "{}", expired.text);
    assert_eq!(expired.json()["code"], "ack_link_expired");
    let expired = call(&router, "GET", &other, false).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.text.contains("ack_link_expired"));
    // Nothing of the refusals reached the case.
    assert_eq!(server.case(id).await.stage.as_str(), "acknowledged");

    drop(router);
    server.stop().await;
}

#[tokio::test]
async fn refused_links_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let generation = deployment(dir.path());
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    let clock = ManualClock::new(T0);
    let server = Server::start(&url, &generation, &clock).await;
    let router = server.runtime.router();
    let mut codes = Vec::new();
    for i in 0..70 {
        let answer = call(&router, "GET", &format!("/ack/bogus{i}.x"), true).await;
        codes.push(answer.json()["code"].as_str().unwrap().to_owned());
    }
    assert!(
        codes[..60].iter().all(|c| c == "ack_link_invalid"),
        "{codes:?}"
    );
    assert!(
        codes[60..].iter().all(|c| c == "ack_link_rate_limited"),
        "{codes:?}"
    );
    // A minute later the budget is back.
    clock.set(Timestamp(T0.millis() + 60_000));
    let answer = call(&router, "GET", "/ack/bogus.x", true).await;
    assert_eq!(answer.json()["code"], "ack_link_invalid");
    drop(router);
    server.stop().await;
}

async fn a_token_is_used_once(store: Arc<dyn Store>) {
    let used = |digest: &'static str, at: i64| AckUse {
        digest,
        outbox: 1,
        warning: 2,
        person: "shenyang.gas",
        at: Timestamp(at),
    };
    assert_eq!(store.ack_token_used_at("d1").await.unwrap(), None);
    assert!(store.use_ack_token(used("d1", 10)).await.unwrap());
    assert!(!store.use_ack_token(used("d1", 20)).await.unwrap());
    assert_eq!(
        store.ack_token_used_at("d1").await.unwrap(),
        Some(Timestamp(10))
    );
    assert!(store.use_ack_token(used("d2", 20)).await.unwrap());
    // Released after a failed acknowledgment, the link works again, once.
    store.release_ack_token("d1").await.unwrap();
    assert_eq!(store.ack_token_used_at("d1").await.unwrap(), None);
    assert!(store.use_ack_token(used("d1", 30)).await.unwrap());
    assert!(!store.use_ack_token(used("d1", 40)).await.unwrap());
}

async fn the_generated_key_is_kept(store: Arc<dyn Store>) {
    let first = store.ack_key("k-one", Timestamp(1)).await.unwrap();
    assert_eq!(first, "k-one");
    let second = store.ack_key("k-two", Timestamp(2)).await.unwrap();
    assert_eq!(second, "k-one", "the first key stays");
}

async fn concurrent_uses_admit_one(store: Arc<dyn Store>) {
    let tries = (0..8).map(|i| {
        let store = Arc::clone(&store);
        async move {
            store
                .use_ack_token(AckUse {
                    digest: "race",
                    outbox: 1,
                    warning: 1,
                    person: "p",
                    at: Timestamp(i),
                })
                .await
                .unwrap()
        }
    });
    let won = futures::future::join_all(tries)
        .await
        .into_iter()
        .filter(|first| *first)
        .count();
    assert_eq!(won, 1);
}

store_tests!(
    a_token_is_used_once,
    the_generated_key_is_kept,
    concurrent_uses_admit_one
);
