//! The generic webhook channel: the message as JSON, signed as Standard Webhooks prescribes
//! (`webhook-id` = the idempotency key, `webhook-timestamp` in seconds, `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the base64 part of a `whsec_`
//! secret). A receiver drops a repeated `webhook-id`, so a retry after a crash is harmless.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::model::Clock;
use crate::model::workflow::Channel as ChannelKind;
use crate::sign::{SignError, standard_webhooks};

use super::address::{AddressBook, Target};
use super::channel::{Channel, Delivered, Outgoing, SendError};
use super::http::{ANSWER_CAP, excerpt, public_endpoint, read_capped, transport_error};
use super::robots::{Environment, Robot};
use super::secret::Secret;
use super::settings::WebhookEndpoint;

/// The `webhook-signature` value of a message (`sign::standard_webhooks`, the one
/// implementation): `v1,<base64 HMAC-SHA256>` over `"{id}.{timestamp}.{body}"`, keyed by the
/// base64-decoded part after `whsec_`.
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &str) -> Result<String, SignError> {
    standard_webhooks::signature(secret.expose(), id, timestamp, body)
}

/// The JSON a receiver gets.
pub fn payload(msg: &Outgoing) -> serde_json::Value {
    serde_json::json!({
        "type": "tocsin.notification",
        "id": msg.idempotency_key,
        "data": {
            "outbox_id": msg.id,
            "key": msg.key,
            "warning": msg.warning,
            "recipient": msg.recipient.as_str(),
            "level": msg.level.as_str(),
            "drill": msg.drill,
            "reason": msg.reason,
            "subject": msg.subject,
            "body": msg.body,
            "created_at": msg.created_at.to_rfc3339(),
            "attempt": msg.attempt,
        }
    })
}

/// The generic webhook channel.
#[derive(Debug)]
pub struct WebhookChannel {
    /// The HTTP client.
    client: reqwest::Client,
    /// Endpoints by name.
    endpoints: BTreeMap<String, WebhookEndpoint>,
    /// Recipient -> endpoint names.
    addresses: Arc<dyn AddressBook>,
    /// Signature timestamps.
    clock: Arc<dyn Clock>,
    /// Where the contacts' `env:NAME` references are read.
    environment: Environment,
}

impl WebhookChannel {
    /// A channel over named endpoints.
    pub fn new(
        client: reqwest::Client,
        endpoints: BTreeMap<String, WebhookEndpoint>,
        addresses: Arc<dyn AddressBook>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        WebhookChannel {
            client,
            endpoints,
            addresses,
            clock,
            environment: Environment::process(),
        }
    }

    /// The same channel reading `env:NAME` references from `environment` (tests).
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Posts to one endpoint.
    async fn post(
        &self,
        name: &str,
        endpoint: &WebhookEndpoint,
        msg: &Outgoing,
        body: &str,
    ) -> Result<Delivered, SendError> {
        post_signed(
            &self.client,
            name,
            endpoint.url.expose(),
            endpoint.secret.as_ref(),
            msg,
            body,
            self.clock.now().millis().div_euclid(1000),
        )
        .await
    }
}

/// Posts `body` to `url` with the Standard Webhooks headers (the signature when `secret` is
/// given); 2xx is delivered.
pub async fn post_signed(
    client: &reqwest::Client,
    name: &str,
    url: &str,
    secret: Option<&Secret>,
    msg: &Outgoing,
    body: &str,
    timestamp: i64,
) -> Result<Delivered, SendError> {
    let public = public_endpoint(url);
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", msg.idempotency_key.as_str())
        .header("webhook-timestamp", timestamp.to_string());
    if let Some(secret) = secret {
        let signature = sign(secret, &msg.idempotency_key, timestamp, body)
            .map_err(|error| SendError::Unusable(format!("webhook `{name}`: {error}")))?;
        request = request.header("webhook-signature", signature);
    }
    let response = request
        .body(body.to_owned())
        .send()
        .await
        .map_err(|error| transport_error(&public, &error))?;
    let status = response.status().as_u16();
    let (answer, _truncated) = read_capped(&public, response, ANSWER_CAP).await?;
    if !(200..300).contains(&status) {
        return Err(SendError::Status {
            endpoint: public,
            status,
            excerpt: excerpt(&answer),
        });
    }
    Ok(Delivered {
        endpoint: public,
        provider_id: provider_id(&answer),
    })
}

/// A message id in a JSON answer (`message_id` or `id`), if any.
fn provider_id(answer: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(answer).ok()?;
    ["message_id", "id"]
        .into_iter()
        .find_map(|field| value.get(field).and_then(serde_json::Value::as_str))
        .map(str::to_owned)
}

#[async_trait]
impl Channel for WebhookChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Webhook
    }

    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError> {
        let targets = self.addresses.targets_as(
            &msg.recipient,
            &msg.audience,
            ChannelKind::Webhook,
            msg.created_at,
        );
        if targets.is_empty() {
            return Err(SendError::NoAddress {
                recipient: msg.recipient.as_str().to_owned(),
                channel: "webhook",
            });
        }
        let body = serde_json::to_string(&payload(msg))
            .map_err(|error| SendError::Unusable(format!("cannot encode the payload: {error}")))?;
        let mut delivered = Vec::with_capacity(targets.len());
        for target in &targets {
            let sent = match target {
                Target::Plain(name) => {
                    let endpoint = self
                        .endpoints
                        .get(name)
                        .ok_or_else(|| SendError::Unusable(format!("no webhook named `{name}`")))?;
                    self.post(name, endpoint, msg, &body).await?
                }
                Target::Endpoint {
                    medium,
                    name,
                    url,
                    secret,
                } => {
                    let robot =
                        Robot::resolve(&self.environment, *medium, name, url, secret.as_ref())?;
                    robot
                        .send(&self.client, self.clock.now(), msg, &body)
                        .await?
                }
            };
            delivered.push(sent);
        }
        Ok(Delivered {
            endpoint: delivered
                .iter()
                .map(|d| d.endpoint.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            provider_id: delivered.into_iter().find_map(|d| d.provider_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let timestamp = 1_614_265_330;
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&secret, id, timestamp, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_secret_that_is_not_base64_is_refused() {
        assert_eq!(
            sign(&Secret::new("whsec_***"), "i", 1, "{}"),
            Err(SignError::BadSecret)
        );
    }

    #[test]
    fn provider_ids_come_from_the_answer_when_given() {
        assert_eq!(
            provider_id(br#"{"message_id":"m1"}"#).as_deref(),
            Some("m1")
        );
        assert_eq!(provider_id(br#"{"id":"m2"}"#).as_deref(), Some("m2"));
        assert_eq!(provider_id(b"ok"), None);
    }
}
