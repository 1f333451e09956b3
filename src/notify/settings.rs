//! The `notify:` section of `tocsin.yaml`: how the delivery worker paces itself (batch, lease,
//! timeouts, attempts, backoff, per-channel rate limits), the escalation order when a channel
//! gives up, the endpoints (webhooks, SMTP, SMS gateway, SMS provider) with their secrets
//! (`env:NAME`), and the address book that maps a department to its addresses per channel where
//! the contacts directory names nobody. Parsed from YAML into [`RawNotify`], then resolved and checked into
//! [`NotifySettings`]; a bad value is a [`NotifySettingsError`] naming the field.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::model::DepartmentId;
use crate::model::workflow::Channel;

use super::provider_sms::{RawSmsProvider, SmsProviderSettings};
use super::secret::{Secret, SecretError, resolve_with};

/// The section as written.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    /// Run the delivery worker (default true).
    pub enabled: Option<bool>,
    /// Rows claimed per round (default 32).
    pub batch: Option<u32>,
    /// Pause between rounds when nothing was due, in ms (default 500).
    pub poll_interval_ms: Option<u64>,
    /// How long a claim holds a row, in s (default 60).
    pub lease_secs: Option<u64>,
    /// Timeout of one attempt, in ms (default 10,000).
    pub attempt_timeout_ms: Option<u64>,
    /// Attempts before a row is dead (default 5).
    pub max_attempts: Option<u32>,
    /// First retry delay ceiling, in ms (default 1,000).
    pub backoff_base_ms: Option<u64>,
    /// Largest retry delay ceiling, in ms (default 300,000).
    pub backoff_cap_ms: Option<u64>,
    /// Sends per second per channel (`sms: 10`).
    #[serde(default)]
    pub rate_per_second: BTreeMap<String, u32>,
    /// Channels to try when a channel gives up (`sms: [phone, webhook]`).
    pub escalation: Option<BTreeMap<String, Vec<String>>>,
    /// Named webhook endpoints.
    #[serde(default)]
    pub webhooks: BTreeMap<String, RawWebhook>,
    /// The SMTP server.
    pub email: Option<RawEmail>,
    /// The generic HTTP SMS gateway.
    pub sms: Option<RawSms>,
    /// Alibaba Cloud or Tencent Cloud SMS (takes the `sms` channel over from the gateway).
    pub sms_provider: Option<RawSmsProvider>,
    /// Alibaba Cloud voice notifications (takes the `phone` channel over from the duty desk).
    pub voice: Option<super::voice::RawVoice>,
    /// Who gets what.
    #[serde(default)]
    pub addresses: RawAddresses,
    /// Acknowledgment links in messages.
    #[serde(default)]
    pub ack: RawAck,
    /// The server's address as people reach it (`https://tocsin.city.example`), the base of
    /// acknowledgment links; default from the listen address.
    pub public_url: Option<String>,
}

/// Acknowledgment links as written.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAck {
    /// Put a link in every message (default true).
    pub enabled: Option<bool>,
    /// The signing key (`env:TOCSIN_ACK_SECRET`); without it a key is generated once and kept in
    /// the store.
    pub secret: Option<String>,
    /// How long a link works after the message is sent, in hours (default 72).
    pub ttl_hours: Option<u64>,
}

/// Resolved acknowledgment-link settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AckSettings {
    /// Put a link in every message.
    pub enabled: bool,
    /// The signing key, when the settings name one (else the store's).
    pub secret: Option<Secret>,
    /// How long a link works.
    #[serde(serialize_with = "millis")]
    pub ttl: Duration,
    /// The base of links, when set (else the listen address).
    pub public_url: Option<String>,
}

impl Default for AckSettings {
    fn default() -> Self {
        AckSettings {
            enabled: true,
            secret: None,
            ttl: Duration::from_secs(72 * 3600),
            public_url: None,
        }
    }
}

/// A webhook endpoint as written.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// URL (may be `env:NAME`; treated as a secret since robots put tokens in it).
    pub url: String,
    /// Standard Webhooks signing secret (`whsec_<base64>`, may be `env:NAME`).
    pub secret: Option<String>,
}

/// The SMTP server as written.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    /// `smtp://user:pass@host:port` (plain, `?tls=required` for STARTTLS) or `smtps://` (implicit
    /// TLS); may be `env:NAME`.
    pub url: String,
    /// The From mailbox.
    pub from: String,
    /// A PEM file of CA certificates trusted for the server's TLS certificate besides the
    /// public roots (a private or city CA); only with `smtps://` or `?tls=required`.
    #[serde(default)]
    pub ca_file: Option<String>,
}

/// The SMS gateway as written.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSms {
    /// Gateway URL (may be `env:NAME`).
    pub url: String,
    /// The JSON body; string leaves may hold `{{phone}}`, `{{text}}`, `{{out_id}}`, `{{level}}`.
    pub template: serde_json::Value,
    /// The answer's field holding the gateway's message id (default `message_id`).
    pub message_id_field: Option<String>,
}

/// Addresses as written.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAddresses {
    /// Used for departments not listed.
    #[serde(default)]
    pub default: RawRoute,
    /// Per department id.
    #[serde(default)]
    pub departments: BTreeMap<String, RawRoute>,
}

/// One department's addresses as written.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Names of `webhooks:` entries.
    #[serde(default)]
    pub webhook: Vec<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub email: Vec<String>,
    /// Phone numbers for SMS.
    #[serde(default)]
    pub sms: Vec<String>,
}

/// A resolved webhook endpoint.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WebhookEndpoint {
    /// The URL.
    pub url: Secret,
    /// The signing secret, when the receiver verifies signatures.
    pub secret: Option<Secret>,
}

/// The resolved SMTP server.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EmailSettings {
    /// Connection URL with credentials.
    pub url: Secret,
    /// The From mailbox.
    pub from: String,
    /// A PEM file of CA certificates trusted besides the public roots (`ca_file:`).
    pub ca_file: Option<std::path::PathBuf>,
}

/// The resolved SMS gateway.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SmsSettings {
    /// Gateway URL.
    pub url: Secret,
    /// The JSON body template.
    pub template: serde_json::Value,
    /// The answer's message-id field.
    pub message_id_field: String,
}

/// Retry pacing.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BackoffSettings {
    /// Delay ceiling of the first retry.
    #[serde(serialize_with = "millis")]
    pub base: Duration,
    /// Largest delay ceiling.
    #[serde(serialize_with = "millis")]
    pub cap: Duration,
}

/// Everything the delivery worker needs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct NotifySettings {
    /// Run the worker.
    pub enabled: bool,
    /// Rows claimed per round.
    pub batch: u32,
    /// Pause between rounds when nothing was due.
    #[serde(serialize_with = "millis")]
    pub poll_interval: Duration,
    /// How long a claim holds a row.
    #[serde(serialize_with = "millis")]
    pub lease: Duration,
    /// Timeout of one attempt.
    #[serde(serialize_with = "millis")]
    pub attempt_timeout: Duration,
    /// Attempts before a row is dead.
    pub max_attempts: u32,
    /// Retry pacing.
    pub backoff: BackoffSettings,
    /// Sends per second per channel.
    pub rate_per_second: BTreeMap<Channel, NonZeroU32>,
    /// Channels to try when a channel gives up.
    pub escalation: BTreeMap<Channel, Vec<Channel>>,
    /// Named webhook endpoints.
    pub webhooks: BTreeMap<String, WebhookEndpoint>,
    /// The SMTP server.
    pub email: Option<EmailSettings>,
    /// The SMS gateway.
    pub sms: Option<SmsSettings>,
    /// Alibaba Cloud or Tencent Cloud SMS; when set it carries the `sms` channel.
    pub sms_provider: Option<SmsProviderSettings>,
    /// Alibaba Cloud voice call-back; when set it carries the `phone` channel.
    pub voice: Option<super::voice::VoiceSettings>,
    /// Addresses used for departments not listed.
    pub default_route: RawRoute,
    /// Addresses per department.
    pub routes: BTreeMap<DepartmentId, RawRoute>,
    /// Acknowledgment links.
    pub ack: AckSettings,
}

/// Serializes a duration as whole milliseconds.
fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// A `notify:` value that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotifySettingsError {
    /// The YAML does not have the section's shape (unknown field, wrong type).
    #[error("notify: {0}")]
    Shape(String),
    /// A secret reference could not be resolved.
    #[error("notify.{field}: {source}")]
    Secret {
        /// The field.
        field: String,
        /// Why.
        #[source]
        source: SecretError,
    },
    /// A channel name that is not `sms`, `email`, `webhook` or `phone`.
    #[error("notify.{field}: unknown channel `{name}` (expected sms, email, webhook or phone)")]
    UnknownChannel {
        /// The field.
        field: String,
        /// The name.
        name: String,
    },
    /// An address names a webhook not in `webhooks:`.
    #[error("notify.{field}: unknown webhook `{name}`")]
    UnknownWebhook {
        /// The field.
        field: String,
        /// The name.
        name: String,
    },
    /// A number out of range.
    #[error("notify.{field}: {detail}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        detail: String,
    },
}

impl NotifySettingsError {
    /// Stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            NotifySettingsError::Shape(_) => "notify_settings_shape",
            NotifySettingsError::Secret { .. } => "notify_secret_missing",
            NotifySettingsError::UnknownChannel { .. } => "notify_unknown_channel",
            NotifySettingsError::UnknownWebhook { .. } => "notify_unknown_webhook",
            NotifySettingsError::Invalid { .. } => "notify_settings_invalid",
        }
    }
}

impl Default for NotifySettings {
    fn default() -> Self {
        // The defaults use no secret and no environment, so this cannot fail.
        resolve_raw(&RawNotify::default(), |_| None).unwrap_or_else(|_| NotifySettings {
            enabled: true,
            batch: 32,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(10),
            max_attempts: 5,
            backoff: BackoffSettings {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(300),
            },
            rate_per_second: BTreeMap::new(),
            escalation: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            email: None,
            sms: None,
            sms_provider: None,
            voice: None,
            default_route: RawRoute::default(),
            routes: BTreeMap::new(),
            ack: AckSettings::default(),
        })
    }
}

impl NotifySettings {
    /// Whether the runtime should start the worker: enabled, and at least one endpoint (webhook,
    /// SMTP, SMS gateway or provider, voice) configured. Without any, every row would die as `send_unusable`.
    pub fn should_run(&self) -> bool {
        self.enabled
            && (!self.webhooks.is_empty()
                || self.email.is_some()
                || self.sms.is_some()
                || self.sms_provider.is_some()
                || self.voice.is_some())
    }

    /// Parses and resolves the `notify:` YAML value (secrets from the process environment).
    pub fn from_yaml(value: &serde_norway::Value) -> Result<Self, NotifySettingsError> {
        Self::from_yaml_with(value, |name| std::env::var(name).ok())
    }

    /// [`NotifySettings::from_yaml`] with an explicit environment.
    pub fn from_yaml_with(
        value: &serde_norway::Value,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, NotifySettingsError> {
        let raw: RawNotify = if value.is_null() {
            RawNotify::default()
        } else {
            serde_norway::from_value(value.clone())
                .map_err(|error| NotifySettingsError::Shape(error.to_string()))?
        };
        resolve_raw(&raw, env)
    }
}

/// A channel name in `field`.
fn channel(field: &str, name: &str) -> Result<Channel, NotifySettingsError> {
    Channel::parse(name).ok_or_else(|| NotifySettingsError::UnknownChannel {
        field: field.to_owned(),
        name: name.to_owned(),
    })
}

/// A secret reference in `field`.
fn secret(
    field: String,
    text: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Secret, NotifySettingsError> {
    resolve_with(text, env).map_err(|source| NotifySettingsError::Secret { field, source })
}

/// A positive number in `field`.
fn positive(field: &str, value: u64) -> Result<u64, NotifySettingsError> {
    if value == 0 {
        return Err(NotifySettingsError::Invalid {
            field: field.to_owned(),
            detail: "must be at least 1".to_owned(),
        });
    }
    Ok(value)
}

/// Applies defaults, resolves secrets and checks names.
pub fn resolve_raw(
    raw: &RawNotify,
    env: impl Fn(&str) -> Option<String>,
) -> Result<NotifySettings, NotifySettingsError> {
    let mut rate_per_second: BTreeMap<Channel, NonZeroU32> = [
        (Channel::Sms, 10),
        (Channel::Email, 20),
        (Channel::Webhook, 50),
        (Channel::Phone, 10),
    ]
    .into_iter()
    .filter_map(|(c, n)| NonZeroU32::new(n).map(|n| (c, n)))
    .collect();
    for (name, rate) in &raw.rate_per_second {
        let field = format!("rate_per_second.{name}");
        let kind = channel(&field, name)?;
        let rate = NonZeroU32::new(*rate).ok_or_else(|| NotifySettingsError::Invalid {
            field,
            detail: "must be at least 1".to_owned(),
        })?;
        rate_per_second.insert(kind, rate);
    }
    let escalation = match &raw.escalation {
        None => [
            (Channel::Sms, vec![Channel::Phone, Channel::Webhook]),
            (Channel::Email, vec![Channel::Webhook]),
            (Channel::Webhook, vec![Channel::Phone]),
            (Channel::Phone, vec![]),
        ]
        .into_iter()
        .collect(),
        Some(map) => {
            let mut out = BTreeMap::new();
            for (from, to) in map {
                let field = format!("escalation.{from}");
                let from = channel(&field, from)?;
                let to = to
                    .iter()
                    .map(|name| channel(&field, name))
                    .collect::<Result<Vec<_>, _>>()?;
                out.insert(from, to);
            }
            out
        }
    };
    let mut webhooks = BTreeMap::new();
    for (name, hook) in &raw.webhooks {
        webhooks.insert(
            name.clone(),
            WebhookEndpoint {
                url: secret(format!("webhooks.{name}.url"), &hook.url, &env)?,
                secret: match &hook.secret {
                    None => None,
                    Some(text) => Some(secret(format!("webhooks.{name}.secret"), text, &env)?),
                },
            },
        );
    }
    let email = match &raw.email {
        None => None,
        Some(email) => Some(EmailSettings {
            url: secret("email.url".to_owned(), &email.url, &env)?,
            from: email.from.clone(),
            ca_file: email.ca_file.as_ref().map(std::path::PathBuf::from),
        }),
    };
    let sms = match &raw.sms {
        None => None,
        Some(sms) => Some(SmsSettings {
            url: secret("sms.url".to_owned(), &sms.url, &env)?,
            template: sms.template.clone(),
            message_id_field: sms
                .message_id_field
                .clone()
                .unwrap_or_else(|| "message_id".to_owned()),
        }),
    };
    let check_route = |field: String, route: &RawRoute| -> Result<(), NotifySettingsError> {
        for name in &route.webhook {
            if !webhooks.contains_key(name) {
                return Err(NotifySettingsError::UnknownWebhook {
                    field: field.clone(),
                    name: name.clone(),
                });
            }
        }
        Ok(())
    };
    check_route(
        "addresses.default.webhook".to_owned(),
        &raw.addresses.default,
    )?;
    let mut routes = BTreeMap::new();
    for (department, route) in &raw.addresses.departments {
        check_route(format!("addresses.departments.{department}.webhook"), route)?;
        routes.insert(DepartmentId::new(department.clone()), route.clone());
    }
    let max_attempts = positive("max_attempts", u64::from(raw.max_attempts.unwrap_or(5)))?;
    let lease_secs = positive("lease_secs", raw.lease_secs.unwrap_or(60))?;
    let attempt_timeout_ms = positive(
        "attempt_timeout_ms",
        raw.attempt_timeout_ms.unwrap_or(10_000),
    )?;
    if lease_secs.saturating_mul(1000) <= attempt_timeout_ms.saturating_mul(2) {
        // a lease that ends while an attempt may still run lets a second worker send too
        return Err(NotifySettingsError::Invalid {
            field: "lease_secs".to_owned(),
            detail: format!(
                "{lease_secs} s must be more than twice attempt_timeout_ms ({attempt_timeout_ms} ms)"
            ),
        });
    }
    let ack = AckSettings {
        enabled: raw.ack.enabled.unwrap_or(true),
        secret: match &raw.ack.secret {
            None => None,
            Some(text) => Some(secret("ack.secret".to_owned(), text, &env)?),
        },
        ttl: Duration::from_secs(
            positive("ack.ttl_hours", raw.ack.ttl_hours.unwrap_or(72))?.saturating_mul(3600),
        ),
        public_url: raw
            .public_url
            .as_deref()
            .map(|url| url.trim_end_matches('/').to_owned()),
    };
    if let Some(url) = ack
        .public_url
        .as_ref()
        .filter(|url| !(url.starts_with("http://") || url.starts_with("https://")))
    {
        return Err(NotifySettingsError::Invalid {
            field: "public_url".to_owned(),
            detail: format!("`{url}` must start with http:// or https://"),
        });
    }
    Ok(NotifySettings {
        ack,
        enabled: raw.enabled.unwrap_or(true),
        batch: u32::try_from(positive("batch", u64::from(raw.batch.unwrap_or(32)))?).unwrap_or(32),
        poll_interval: Duration::from_millis(positive(
            "poll_interval_ms",
            raw.poll_interval_ms.unwrap_or(500),
        )?),
        lease: Duration::from_secs(lease_secs),
        attempt_timeout: Duration::from_millis(attempt_timeout_ms),
        max_attempts: u32::try_from(max_attempts).unwrap_or(5),
        backoff: BackoffSettings {
            base: Duration::from_millis(positive(
                "backoff_base_ms",
                raw.backoff_base_ms.unwrap_or(1_000),
            )?),
            cap: Duration::from_millis(positive(
                "backoff_cap_ms",
                raw.backoff_cap_ms.unwrap_or(300_000),
            )?),
        },
        rate_per_second,
        escalation,
        webhooks,
        email,
        sms,
        sms_provider: raw
            .sms_provider
            .as_ref()
            .map(|p| SmsProviderSettings::resolve(p, &env))
            .transpose()?,
        voice: raw
            .voice
            .as_ref()
            .map(|v| super::voice::VoiceSettings::resolve(v, &env))
            .transpose()?,
        default_route: raw.addresses.default.clone(),
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str, env: &[(&str, &str)]) -> Result<NotifySettings, NotifySettingsError> {
        let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        NotifySettings::from_yaml_with(&value, |name| env.get(name).cloned())
    }

    #[test]
    fn defaults_apply_to_an_empty_section() {
        let settings = parse("~", &[]).unwrap();
        assert_eq!(settings, NotifySettings::default());
        assert_eq!(settings.max_attempts, 5);
        assert!(!settings.should_run(), "nothing to send to");
        assert!(
            parse("webhooks: {d: {url: 'http://h'}}", &[])
                .unwrap()
                .should_run()
        );
        assert!(
            !parse("enabled: false\nwebhooks: {d: {url: 'http://h'}}", &[])
                .unwrap()
                .should_run()
        );
        assert_eq!(
            settings.escalation[&Channel::Sms],
            vec![Channel::Phone, Channel::Webhook]
        );
    }

    #[test]
    fn secrets_resolve_from_the_environment_and_never_serialize() {
        let settings = parse(
            "webhooks:\n  desk: {url: 'env:HOOK_URL', secret: 'env:HOOK_SECRET'}\n\
             addresses:\n  default: {webhook: [desk]}\n",
            &[
                ("HOOK_URL", "http://127.0.0.1:9/h"),
                ("HOOK_SECRET", "whsec_AAAA"),
            ],
        )
        .unwrap();
        let hook = &settings.webhooks["desk"];
        assert_eq!(hook.url.expose(), "http://127.0.0.1:9/h");
        let json = serde_json::to_string(&settings).unwrap();
        assert!(
            !json.contains("whsec_AAAA") && !json.contains("127.0.0.1:9"),
            "{json}"
        );
        assert!(!format!("{settings:?}").contains("whsec_AAAA"));
    }

    #[test]
    fn acknowledgment_links_default_on_and_keep_their_secret() {
        let defaults = parse("{}", &[]).unwrap().ack;
        assert_eq!(defaults, AckSettings::default());
        assert!(defaults.enabled && defaults.secret.is_none() && defaults.public_url.is_none());
        assert_eq!(defaults.ttl, Duration::from_secs(72 * 3600));
        let settings = parse(
            "public_url: 'https://tocsin.city.example/'\n\
             ack: {secret: 'env:ACK', ttl_hours: 24, enabled: true}\n",
            &[("ACK", "s3cr3t-ack-key")],
        )
        .unwrap();
        assert_eq!(
            settings.ack.public_url.as_deref(),
            Some("https://tocsin.city.example")
        );
        assert_eq!(settings.ack.ttl, Duration::from_secs(24 * 3600));
        assert_eq!(
            settings.ack.secret.as_ref().map(Secret::expose),
            Some("s3cr3t-ack-key")
        );
        let json = serde_json::to_string(&settings).unwrap();
        assert!(!json.contains("s3cr3t-ack-key"), "{json}");
        assert!(!format!("{settings:?}").contains("s3cr3t-ack-key"));
    }

    #[test]
    fn bad_values_name_their_field_and_code() {
        let table = [
            (
                "webhooks:\n  d: {url: 'env:NOPE'}\n",
                "notify_secret_missing",
                "webhooks.d.url",
            ),
            (
                "escalation: {sms: [pigeon]}\n",
                "notify_unknown_channel",
                "escalation.sms",
            ),
            (
                "addresses: {departments: {gas: {webhook: [ghost]}}}\n",
                "notify_unknown_webhook",
                "addresses.departments.gas.webhook",
            ),
            (
                "max_attempts: 0\n",
                "notify_settings_invalid",
                "max_attempts",
            ),
            (
                "rate_per_second: {fax: 3}\n",
                "notify_unknown_channel",
                "rate_per_second.fax",
            ),
            ("colour: red\n", "notify_settings_shape", "colour"),
            (
                "ack: {secret: 'env:NO_ACK'}\n",
                "notify_secret_missing",
                "ack.secret",
            ),
            (
                "ack: {ttl_hours: 0}\n",
                "notify_settings_invalid",
                "ack.ttl_hours",
            ),
            (
                "public_url: tocsin.example\n",
                "notify_settings_invalid",
                "public_url",
            ),
            ("ack: {colour: red}\n", "notify_settings_shape", "colour"),
        ];
        for (yaml, code, field) in table {
            let error = parse(yaml, &[]).unwrap_err();
            assert_eq!(error.code(), code, "{yaml}");
            assert!(error.to_string().contains(field), "{yaml}: {error}");
        }
    }
}
