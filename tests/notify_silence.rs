//! Silences and maintenance windows on both stores (`SilenceStore`), and end to end through the
//! delivery worker to a real webhook receiver on loopback (tests/receivers/): a silenced asset's
//! notifications are kept as `suppressed` rows (with the silence id and a `notify.suppressed`
//! entry in the warning's timeline) while another asset's arrive; a red warning's notification
//! goes out until a second person confirms the silence; an ended silence re-sends nothing it
//! suppressed. Time comes from a `ManualClock`; the worker runs round by round. The API: roles,
//! creation, a second person's confirmation, expiry, and the error codes.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
#[allow(dead_code, reason = "shared with other suites")]
#[path = "access_matrix/fixture.rs"]
mod fixture;
#[allow(
    dead_code,
    reason = "shared receivers; this suite uses the webhook one"
)]
mod receivers;
#[allow(dead_code, reason = "shared with other suites")]
mod store_support;
#[allow(dead_code, reason = "shared helpers; this suite uses some")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::sync::Arc;

use tocsin::model::silence::{Matchers, NewSilence, SilenceError, SilenceKind, check_new};
use tocsin::model::{
    AuditAction, AuditDraft, Channel, Clock, Level, ManualClock, Notification, WarningChange,
};
use tocsin::notify::{self, Notifier, NotifySettings, SettingsAddressBook};
use tocsin::storage::{
    AuditFilter, DeliveryFilter, DeliveryStatus, SilenceChange, SilenceFilter, Store, WarningFilter,
};
use workflow_support::{at, change, engine, new_case, notification, save};

fn audit(action: AuditAction, actor: &str, offset: i64) -> AuditDraft {
    AuditDraft {
        at: at(offset),
        actor: actor.to_owned(),
        action,
        warning: None,
        generation: None,
        subject: "silence".to_owned(),
        detail: serde_json::json!({"by": actor}),
    }
}

fn new_silence(asset: &str, end: i64) -> NewSilence {
    NewSilence {
        kind: SilenceKind::Silence,
        matchers: Matchers {
            asset: Some(asset.into()),
            ..Matchers::default()
        },
        starts_at: None,
        ends_at: at(end),
        reason: "valve replacement".to_owned(),
        author: "user:1".to_owned(),
    }
}

/// Stores a checked silence made at clock offset `now`.
async fn silence(store: &Arc<dyn Store>, new: &NewSilence, now: i64) -> i64 {
    let start = check_new(new, at(now)).unwrap();
    store
        .create_silence(
            new,
            start,
            at(now),
            &audit(AuditAction::SilenceCreated, &new.author, now),
        )
        .await
        .unwrap()
        .id
}

async fn silences_are_stored_confirmed_and_expired(store: Arc<dyn Store>) {
    let planned = NewSilence {
        kind: SilenceKind::Maintenance,
        starts_at: Some(at(50_000)),
        matchers: Matchers {
            district: Some("210102".into()),
            hazard: Some("h0".into()),
            ..Matchers::default()
        },
        ..new_silence("x", 90_000)
    };
    let first = silence(&store, &new_silence("a1", 60_000), 1_000).await;
    let second = silence(&store, &planned, 1_000).await;
    let stored = store.silence(second).await.unwrap().unwrap();
    assert_eq!(stored.kind, SilenceKind::Maintenance);
    assert_eq!(stored.starts_at, at(50_000));
    assert_eq!(
        stored.matchers.district.as_ref().unwrap().as_str(),
        "210102"
    );
    assert!(stored.matchers.asset.is_none());
    assert_eq!(stored.created_at, at(1_000));
    assert!(store.silence(999).await.unwrap().is_none());

    // the author cannot confirm; a second person can, once
    let refused = store
        .confirm_silence(
            first,
            "user:1",
            at(2_000),
            &audit(AuditAction::SilenceConfirmed, "user:1", 2_000),
        )
        .await
        .unwrap();
    assert!(matches!(
        refused,
        SilenceChange::Refused(SilenceError::SelfConfirmation { .. })
    ));
    let SilenceChange::Done(confirmed) = store
        .confirm_silence(
            first,
            "user:2",
            at(2_000),
            &audit(AuditAction::SilenceConfirmed, "user:2", 2_000),
        )
        .await
        .unwrap()
    else {
        panic!("confirm refused")
    };
    assert_eq!(confirmed.confirmed_by.as_deref(), Some("user:2"));
    assert_eq!(confirmed.confirmed_at, Some(at(2_000)));
    assert!(matches!(
        store
            .confirm_silence(
                first,
                "user:3",
                at(2_100),
                &audit(AuditAction::SilenceConfirmed, "user:3", 2_100)
            )
            .await
            .unwrap(),
        SilenceChange::Refused(SilenceError::AlreadyConfirmed { .. })
    ));
    assert_eq!(
        store
            .confirm_silence(
                999,
                "user:2",
                at(2_000),
                &audit(AuditAction::SilenceConfirmed, "user:2", 2_000)
            )
            .await
            .unwrap(),
        SilenceChange::NotFound
    );

    // running ones are listed newest first; an expired one drops out of the running list
    let running = SilenceFilter {
        ending_after: Some(at(3_000)),
        limit: 0,
    };
    let ids: Vec<i64> = store
        .silences(&running)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [second, first]);
    let SilenceChange::Done(expired) = store
        .expire_silence(
            first,
            "user:3",
            at(3_000),
            &audit(AuditAction::SilenceExpired, "user:3", 3_000),
        )
        .await
        .unwrap()
    else {
        panic!("expire refused")
    };
    assert_eq!(expired.expired_at, Some(at(3_000)));
    assert_eq!(expired.expired_by.as_deref(), Some("user:3"));
    assert!(matches!(
        store
            .expire_silence(
                first,
                "user:3",
                at(3_500),
                &audit(AuditAction::SilenceExpired, "user:3", 3_500)
            )
            .await
            .unwrap(),
        SilenceChange::Refused(SilenceError::Ended(id)) if id == first
    ));
    let ids: Vec<i64> = store
        .silences(&running)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [second]);
    let all = store.silences(&SilenceFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);

    // every change was audited, in order, with the new silence's id on its creation
    let entries = store.audit(&AuditFilter::default()).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "silence.created",
            "silence.created",
            "silence.confirmed",
            "silence.expired"
        ]
    );
    assert_eq!(entries[0].subject, format!("silence:{first}"));
    assert!(entries[0].detail.contains(&format!("\"silence\":{first}")));
}

/// Opens a warning on `asset` (hazard `h<offset>`, so one asset can have several) at `level` and
/// queues one webhook notification for it.
async fn queue(store: &Arc<dyn Store>, asset: &str, level: Level, offset: i64) -> (i64, String) {
    let hazard = format!("h{offset}");
    let opened = WarningChange {
        hazard: hazard.as_str().into(),
        ..change(asset, None, Some(level), offset)
    };
    engine(store, &[opened]).await;
    let warning = store
        .warnings(&WarningFilter {
            asset: Some(asset.into()),
            hazard: Some(hazard.as_str().into()),
            ..WarningFilter::default()
        })
        .await
        .unwrap()[0]
        .id;
    let key = format!("w{warning}:issued:{offset}:webhook");
    let row = Notification {
        channel: Channel::Webhook,
        level,
        ..notification(warning, &key)
    };
    save(store, &new_case(warning, 0), &[row], &[]).await;
    (warning, key)
}

/// A worker with one signed webhook `desk` at `url` for every department.
fn worker(store: &Arc<dyn Store>, clock: &ManualClock, url: &str) -> Notifier {
    let yaml = format!(
        "webhooks: {{desk: {{url: '{url}', secret: '{}'}}}}\n\
         addresses: {{default: {{webhook: [desk]}}}}\n\
         backoff_base_ms: 1000\nbackoff_cap_ms: 1000\nattempt_timeout_ms: 2000\n",
        receivers::SECRET
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
    let settings = NotifySettings::from_yaml_with(&value, |_| None).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let book = Arc::new(SettingsAddressBook::new(&settings));
    let channels = notify::channels(&settings, Arc::clone(&clock), book).unwrap();
    Notifier::new(Arc::clone(store), clock, settings, channels, "test-worker")
}

/// The status and silence of the row with `key`.
async fn row_status(store: &Arc<dyn Store>, key: &str) -> Option<DeliveryStatus> {
    store
        .deliveries(&DeliveryFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.record.notification.key == key)
        .map(|r| r.record.status)
        .and_then(|status| DeliveryStatus::parse(&status))
}

/// Keys the receiver got, in arrival order.
fn received(receiver: &receivers::Receiver) -> Vec<String> {
    receiver
        .requests()
        .iter()
        .map(|r| {
            assert_eq!(r["signature_valid"], true, "{r}");
            r["body"]["data"]["key"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn a_silenced_asset_is_kept_quiet_and_red_waits_for_a_second_person(store: Arc<dyn Store>) {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let clock = ManualClock::new(at(1_000));
    let notifier = worker(&store, &clock, &receiver.url("/ok/desk"));
    // a silence on asset a1, not yet confirmed
    let id = silence(&store, &new_silence("a1", 600_000), 1_000).await;

    let (silenced, quiet) = queue(&store, "a1", Level::Orange, 0).await;
    let (_, other) = queue(&store, "a2", Level::Orange, 0).await;
    let round = notifier.run_once().await.unwrap();
    assert_eq!(
        (round.claimed, round.delivered, round.suppressed),
        (2, 1, 1)
    );
    assert_eq!(received(&receiver), std::slice::from_ref(&other));
    assert_eq!(
        row_status(&store, &quiet).await,
        Some(DeliveryStatus::Suppressed)
    );
    // the warning's timeline shows why it was not sent
    let timeline = store
        .audit(&AuditFilter {
            warning: Some(silenced),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let entry = timeline
        .iter()
        .find(|e| e.action == "notify.suppressed")
        .unwrap();
    assert!(entry.detail.contains(&format!("\"silence\":{id}")));
    assert!(entry.detail.contains(&quiet));

    // a red warning on the silenced asset goes out while nobody else confirmed the silence
    let (_, red) = queue(&store, "a1", Level::Red, 10).await;
    clock.set(at(2_000));
    let round = notifier.run_once().await.unwrap();
    assert_eq!((round.delivered, round.suppressed), (1, 0), "{round:?}");
    assert_eq!(received(&receiver), [other.clone(), red.clone()]);

    // confirmed by a second person, the next red one is suppressed
    let confirmed = store
        .confirm_silence(
            id,
            "user:2",
            at(3_000),
            &audit(AuditAction::SilenceConfirmed, "user:2", 3_000),
        )
        .await
        .unwrap();
    assert!(matches!(confirmed, SilenceChange::Done(_)));
    let (_, red_later) = queue(&store, "a1", Level::Red, 20).await;
    clock.set(at(4_000));
    let round = notifier.run_once().await.unwrap();
    assert_eq!((round.delivered, round.suppressed), (0, 1), "{round:?}");
    assert_eq!(
        row_status(&store, &red_later).await,
        Some(DeliveryStatus::Suppressed)
    );

    // expired early: what it suppressed stays suppressed (not re-sent); new rows go out
    store
        .expire_silence(
            id,
            "user:3",
            at(5_000),
            &audit(AuditAction::SilenceExpired, "user:3", 5_000),
        )
        .await
        .unwrap();
    let (_, after) = queue(&store, "a1", Level::Orange, 30).await;
    clock.set(at(6_000));
    let round = notifier.run_once().await.unwrap();
    assert_eq!((round.claimed, round.delivered), (1, 1), "{round:?}");
    assert_eq!(received(&receiver), [other, red, after]);
    for key in [&quiet, &red_later] {
        assert_eq!(
            row_status(&store, key).await,
            Some(DeliveryStatus::Suppressed)
        );
    }
    let suppressed = store
        .deliveries(&DeliveryFilter {
            status: Some(DeliveryStatus::Suppressed),
            ..DeliveryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(suppressed.len(), 2);
    assert!(suppressed.iter().all(|r| r.history.is_empty()));
}

async fn a_planned_window_suppresses_only_while_it_runs(store: Arc<dyn Store>) {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let clock = ManualClock::new(at(1_000));
    let notifier = worker(&store, &clock, &receiver.url("/ok/desk"));
    let window = NewSilence {
        kind: SilenceKind::Maintenance,
        starts_at: Some(at(10_000)),
        matchers: Matchers {
            domain: Some("city_gas".into()),
            ..Matchers::default()
        },
        ..new_silence("x", 20_000)
    };
    silence(&store, &window, 1_000).await;
    // before the window: sent
    let (_, before) = queue(&store, "b1", Level::Yellow, 0).await;
    notifier.run_once().await.unwrap();
    // inside it: suppressed
    let (_, inside) = queue(&store, "b2", Level::Yellow, 5).await;
    clock.set(at(10_000));
    assert_eq!(notifier.run_once().await.unwrap().suppressed, 1);
    // at its end: sent again
    let (_, after) = queue(&store, "b3", Level::Yellow, 9).await;
    clock.set(at(20_000));
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);
    assert_eq!(received(&receiver), [before, after]);
    assert_eq!(
        row_status(&store, &inside).await,
        Some(DeliveryStatus::Suppressed)
    );
}

store_tests!(
    silences_are_stored_confirmed_and_expired,
    a_silenced_asset_is_kept_quiet_and_red_waits_for_a_second_person,
    a_planned_window_suppresses_only_while_it_runs,
);

#[tokio::test]
async fn the_api_creates_confirms_by_a_second_person_and_expires() {
    use axum::http::StatusCode;
    use fixture::{fixture, send, sqlite_file};

    let f = fixture(sqlite_file().await).await;
    let first = api_support::token_for(&*f.store, "duty_officer", None).await;
    let second = api_support::token_for(&*f.store, "admin", None).await;
    let auditor = api_support::token_for(&*f.store, "auditor", None).await;
    let end = api_support::T0
        .plus(std::time::Duration::from_secs(3600))
        .to_rfc3339();
    let body = serde_json::json!({
        "asset": "well-0003", "hazard": "gas_leak", "ends_at": end, "reason": "valve replacement"
    });

    let refused = send(&f.router, "GET", "/api/v1/silences", Some(&auditor), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = send(
        &f.router,
        "POST",
        "/api/v1/silences",
        Some(&first),
        Some(body.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["state"], "active");
    assert_eq!(created.body["kind"], "silence");
    assert_eq!(created.body["covers_red"], false);
    assert_eq!(created.body["matchers"]["asset"], "well-0003");
    assert!(created.body["matchers"].get("sensor").is_none());
    assert!(
        created.body["author"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );
    let id = created.body["id"].as_i64().unwrap();

    // (body, code)
    let invalid = [
        (
            serde_json::json!({"ends_at": end, "reason": "x"}),
            "silence_invalid",
        ),
        (
            serde_json::json!({"asset": "a", "kind": "forever", "ends_at": end, "reason": "x"}),
            "silence_invalid",
        ),
        (
            serde_json::json!({"asset": "a", "ends_at": "tomorrow", "reason": "x"}),
            "silence_invalid",
        ),
        (
            serde_json::json!({"asset": "a", "ends_at": api_support::T0.to_rfc3339(), "reason": "x"}),
            "silence_invalid",
        ),
        (
            serde_json::json!({"asset": "a", "reason": "x"}),
            "malformed_body",
        ),
    ];
    for (bad, code) in invalid {
        let answer = send(
            &f.router,
            "POST",
            "/api/v1/silences",
            Some(&first),
            Some(bad),
        )
        .await;
        assert_eq!(answer.body["code"], code, "{}", answer.body);
    }

    let confirm = format!("/api/v1/silences/{id}/confirm");
    let own = send(&f.router, "POST", &confirm, Some(&first), None).await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    assert_eq!(own.body["code"], "self_confirmation");
    let confirmed = send(&f.router, "POST", &confirm, Some(&second), None).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body["covers_red"], true);
    let twice = send(&f.router, "POST", &confirm, Some(&second), None).await;
    assert_eq!(twice.body["code"], "already_confirmed");

    let listed = send(&f.router, "GET", "/api/v1/silences", Some(&first), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["silences"][0]["id"], id);

    let path = format!("/api/v1/silences/{id}");
    f.clock.advance(std::time::Duration::from_secs(60));
    let expired = send(&f.router, "DELETE", &path, Some(&first), None).await;
    assert_eq!(expired.status, StatusCode::OK, "{}", expired.body);
    assert_eq!(expired.body["state"], "ended");
    let again = send(&f.router, "DELETE", &path, Some(&first), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "silence_ended");
    let late = send(&f.router, "POST", &confirm, Some(&second), None).await;
    assert_eq!(late.body["code"], "silence_ended");
    let unknown = send(
        &f.router,
        "DELETE",
        "/api/v1/silences/9999",
        Some(&first),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "not_found");

    let entries = f.store.audit(&AuditFilter::default()).await.unwrap();
    let ours: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e.action.starts_with("silence."))
        .map(|e| (e.action.as_str(), e.subject.as_str()))
        .collect();
    let subject = format!("silence:{id}");
    assert_eq!(
        ours,
        [
            ("silence.created", subject.as_str()),
            ("silence.confirmed", subject.as_str()),
            ("silence.expired", subject.as_str()),
        ]
    );
    assert!(
        entries
            .iter()
            .filter(|e| e.action.starts_with("silence."))
            .all(|e| e.actor.starts_with("user:"))
    );
}
