//! Delivery of the outbox: the notifications the workflow queued leave the building. A worker
//! ([`worker::Notifier`]) claims due rows under a lease, sends each through its [`Channel`]
//! (generic signed webhook and the contacts' DingTalk, WeCom and Feishu robots, SMTP e-mail,
//! Alibaba or Tencent Cloud SMS or a generic HTTP SMS gateway, Alibaba Cloud voice call-backs
//! or duty-desk phone call tasks) to the
//! addresses of its [`AddressBook`] (the contacts and duty rosters, else the settings)
//! with a timeout and a per-channel rate limit, retries with exponential backoff and full jitter,
//! and when a row runs out of tries marks it dead and escalates on *undelivered* to the next
//! channels. Every message carries a stable idempotency key derived from its outbox key, the same
//! on every retry and after a crash. See docs/NOTIFY.md.
//!
//! The runtime starts it with [`spawn`] and stops it with [`NotifierHandle::stop`].

pub mod ack;
pub mod address;
pub mod backoff;
pub mod call_outcome;
pub mod channel;
pub mod demo;
pub mod email;
pub mod escalation;
pub mod http;
pub mod phone;
pub mod provider_sms;
pub mod robots;
pub mod secret;
pub mod settings;
pub mod silence;
pub mod sms;
pub mod voice;
pub mod webhook;
pub mod worker;

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::model::Clock;
use crate::storage::Store;

pub use address::{
    AddressBook, ContactsAddressBook, FollowingAddressBook, SettingsAddressBook, Target,
};
pub use channel::{Channel, Delivered, Outgoing, SendError, idempotency_key};
pub use settings::NotifySettings;
pub use worker::{Notifier, Round};

/// The channels the settings configure: e-mail when its section is present, SMS through the
/// provider (Alibaba, Tencent) when `sms_provider` is present, else through the gateway when `sms`
/// is; always the webhook channel (settings webhooks and the contacts' robots); the phone channel
/// through Alibaba Cloud voice calls when `voice` is present, else as duty-desk call tasks.
pub fn channels(
    settings: &NotifySettings,
    clock: Arc<dyn Clock>,
    addresses: Arc<dyn AddressBook>,
) -> Result<Vec<Arc<dyn Channel>>, SendError> {
    let client = http::client()?;
    let mut out: Vec<Arc<dyn Channel>> = vec![match &settings.voice {
        Some(voice) => Arc::new(voice::VoiceChannel::new(
            client.clone(),
            voice.clone(),
            Arc::clone(&addresses),
            Arc::clone(&clock),
        )),
        None => Arc::new(phone::DutyDeskCalls),
    }];
    // Always: besides the `webhooks:` of the settings, the contacts' robots and webhooks travel
    // on this channel.
    out.push(Arc::new(webhook::WebhookChannel::new(
        client.clone(),
        settings.webhooks.clone(),
        Arc::clone(&addresses),
        Arc::clone(&clock),
    )));
    if let Some(email) = &settings.email {
        out.push(Arc::new(email::EmailChannel::new(
            email,
            settings.attempt_timeout,
            Arc::clone(&addresses),
        )?));
    }
    if let Some(provider) = &settings.sms_provider {
        out.push(Arc::new(provider_sms::ProviderSmsChannel::new(
            client,
            provider.clone(),
            addresses,
            clock,
        )));
    } else if let Some(sms) = &settings.sms {
        out.push(Arc::new(sms::SmsGatewayChannel::new(
            client,
            sms.clone(),
            addresses,
        )));
    }
    Ok(out)
}

/// Whether the runtime should start the worker for `settings` and the generation in force:
/// enabled, and an endpoint in the settings or contacts files (whose robots and webhooks need
/// no settings).
pub fn should_run(
    settings: &NotifySettings,
    generation: Option<&crate::model::Generation>,
) -> bool {
    settings.should_run()
        || (settings.enabled && generation.is_some_and(address::has_contacts_files))
}

/// A worker id unique to this process: `pid-<pid>-<random>`.
pub fn worker_id() -> String {
    format!("pid-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// A running delivery worker.
#[derive(Debug)]
pub struct NotifierHandle {
    /// Tells the loop to stop.
    stop: watch::Sender<bool>,
    /// The loop.
    task: JoinHandle<()>,
}

impl NotifierHandle {
    /// Stops after the round in flight (its attempts finish and are recorded).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!("notifier task ended abnormally: {error}");
        }
    }
}

/// Starts the delivery worker with the channels and address book of `settings`.
pub fn spawn(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: NotifySettings,
) -> Result<NotifierHandle, SendError> {
    let addresses: Arc<dyn AddressBook> = Arc::new(SettingsAddressBook::new(&settings));
    spawn_with(store, clock, settings, addresses)
}

/// Starts the delivery worker with the channels of `settings` and the address book
/// `addresses` (see [`address::for_deployment`]: the contacts of the generation in force).
pub fn spawn_with(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: NotifySettings,
    addresses: Arc<dyn AddressBook>,
) -> Result<NotifierHandle, SendError> {
    spawn_counted(store, clock, settings, addresses, None)
}

/// [`spawn_with`], counting every attempt in `metrics` when given
/// (`tocsin_notify_attempts_total{channel,outcome}`).
pub fn spawn_counted(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: NotifySettings,
    addresses: Arc<dyn AddressBook>,
    metrics: Option<Arc<crate::telemetry::Metrics>>,
) -> Result<NotifierHandle, SendError> {
    let channels = channels(&settings, Arc::clone(&clock), addresses)?;
    let notifier = Notifier::new(store, clock, settings, channels, worker_id());
    Ok(spawn_notifier(match metrics {
        Some(metrics) => notifier.with_metrics(metrics),
        None => notifier,
    }))
}

/// Runs a worker in a task: a round, then the next at once while rows were due, else after the
/// poll interval.
pub fn spawn_notifier(notifier: Notifier) -> NotifierHandle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let pause = notifier.settings().poll_interval;
        loop {
            if *stopped.borrow() {
                return;
            }
            let busy = match notifier.run_once().await {
                Ok(round) => round.claimed > 0,
                Err(error) => {
                    tracing::warn!("delivery round failed: {error}");
                    false
                }
            };
            if busy {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = stopped.changed() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    });
    NotifierHandle { stop, task }
}
