//! The duty side of delivery: a reload of the deployment puts new contacts and rosters in force
//! for the running delivery worker. The worker addresses people through the
//! [`FollowingAddressBook`] the server runs with (over the generation in force, as the runtime's
//! gate answers it); after a phone number changes in `city/contacts.yaml` and the generation is
//! swapped, the next text message goes to the new number, received by the Python HTTP receiver
//! (tests/receivers/webhook_receiver.py).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[allow(dead_code, reason = "this suite uses only the HTTP receiver")]
mod receivers;
#[allow(dead_code, reason = "shared helpers; this suite uses the SQLite store")]
mod store_support;
#[allow(dead_code, reason = "shared helpers; this suite uses some")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tocsin::model::{Channel, Clock, Generation, Level, ManualClock, Notification};
use tocsin::notify::{self, AddressBook, FollowingAddressBook, Notifier, NotifySettings};
use tocsin::storage::Store;
use tocsin::workflow::desk::Generations;
use workflow_support::{at, change, engine, new_case, notification, save, warning_of};

/// The generation in force, swapped by the test as a reload swaps the runtime's gate.
#[derive(Debug)]
struct InForce(ArcSwap<Generation>);

impl Generations for InForce {
    fn current(&self) -> Arc<Generation> {
        self.0.load_full()
    }
}

/// Copies the Shenyang example (with its contacts) into `dir`.
fn deployment(dir: &Path) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang");
    for sub in ["", "city"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(example.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
}

fn settings(yaml: &str) -> NotifySettings {
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    NotifySettings::from_yaml_with(&value, |_| None).unwrap()
}

/// Queues one SMS to the gas company for a fresh warning on `asset`.
async fn queue_sms(store: &Arc<dyn Store>, asset: &str) {
    engine(store, &[change(asset, None, Some(Level::Orange), 0)]).await;
    let warning = warning_of(store, asset).await.id;
    let row = Notification {
        channel: Channel::Sms,
        ..notification(warning, &format!("w{warning}:issued:0:gas:sms"))
    };
    save(store, &new_case(warning, 0), &[row], &[]).await;
}

#[tokio::test]
async fn a_reload_with_a_changed_phone_number_sends_the_next_message_to_the_new_one() {
    let Some(receiver) = receivers::webhook() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let first = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
    let in_force = Arc::new(InForce(ArcSwap::new(Arc::clone(&first))));
    let settings = settings(&format!(
        "sms:\n  url: '{}'\n  template: {{to: '{{{{phone}}}}', text: '{{{{text}}}}', out_id: '{{{{out_id}}}}'}}\n\
         addresses: {{default: {{sms: ['+8613800000000']}}}}\n",
        receiver.url("/sms/send")
    ));
    let book = Arc::new(FollowingAddressBook::new(
        &settings,
        Arc::clone(&in_force) as Arc<dyn Generations>,
    ));
    let store = store_support::sqlite_memory().await;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at(1_000)));
    let channels = notify::channels(&settings, Arc::clone(&clock), book.clone()).unwrap();
    let notifier = Notifier::new(Arc::clone(&store), clock, settings, channels, "duty-test");

    // the gas company's duty officer, from the contacts in force
    queue_sms(&store, "a1").await;
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);

    // the number changes in the file; a reload compiles and swaps the generation
    let contacts = dir.path().join("city/contacts.yaml");
    let text = std::fs::read_to_string(&contacts).unwrap();
    assert!(text.contains("+8613700000006"));
    std::fs::write(&contacts, text.replace("+8613700000006", "+8613900000066")).unwrap();
    let second = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
    assert_ne!(first.hash, second.hash);
    in_force.0.store(second);

    queue_sms(&store, "a2").await;
    assert_eq!(notifier.run_once().await.unwrap().delivered, 1);
    let phones: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r["body"]["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(phones, ["+8613700000006", "+8613900000066"]);

    // a generation without contacts files: the `notify.addresses` settings answer again
    std::fs::remove_file(&contacts).unwrap();
    in_force
        .0
        .store(Arc::new(tocsin::compile::load(Some(dir.path())).unwrap()));
    assert_eq!(
        book.addresses(&"shenyang.gas_company".into(), Channel::Sms, at(2_000)),
        ["+8613800000000"]
    );
}
