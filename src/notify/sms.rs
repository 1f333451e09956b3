//! The generic HTTP SMS gateway channel: one POST per phone number of the recipient, with the
//! JSON body built from the `notify.sms.template` (string leaves may hold `{{phone}}`,
//! `{{text}}`, `{{subject}}`, `{{level}}`, `{{out_id}}`; `out_id` is the idempotency key, so the
//! gateway can drop a re-sent message). A 2xx answer is delivered; its message id field, when
//! present, is kept as the provider id. Unknown placeholders are refused before anything is sent.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::workflow::Channel as ChannelKind;

use super::address::AddressBook;
use super::channel::{Channel, Delivered, Outgoing, SendError};
use super::http::{ANSWER_CAP, excerpt, public_endpoint, read_capped, transport_error};
use super::settings::SmsSettings;

/// Placeholders a template may use.
const PLACEHOLDERS: [&str; 5] = ["phone", "text", "subject", "level", "out_id"];

/// Fills a template's string leaves; `values` gives each placeholder's text. An unknown
/// placeholder is an error naming it.
pub fn render(
    template: &serde_json::Value,
    values: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, String> {
    Ok(match template {
        serde_json::Value::String(text) => serde_json::Value::String(fill(text, values)?),
        serde_json::Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|item| render(item, values))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(fields) => serde_json::Value::Object(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), render(v, values)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Replaces every `{{name}}` in `text`.
fn fill(text: &str, values: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in template text `{text}`"))?;
        let name = after[..end].trim();
        let value = values(name).ok_or_else(|| {
            format!(
                "unknown template parameter `{name}` (known: {})",
                PLACEHOLDERS.join(", ")
            )
        })?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The generic HTTP SMS gateway channel.
#[derive(Debug)]
pub struct SmsGatewayChannel {
    /// The HTTP client.
    client: reqwest::Client,
    /// Gateway and template.
    settings: SmsSettings,
    /// Recipient -> phone numbers.
    addresses: Arc<dyn AddressBook>,
}

impl SmsGatewayChannel {
    /// A channel to the configured gateway.
    pub fn new(
        client: reqwest::Client,
        settings: SmsSettings,
        addresses: Arc<dyn AddressBook>,
    ) -> Self {
        SmsGatewayChannel {
            client,
            settings,
            addresses,
        }
    }
}

#[async_trait]
impl Channel for SmsGatewayChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError> {
        let phones = self.addresses.addresses_as(
            &msg.recipient,
            &msg.audience,
            ChannelKind::Sms,
            msg.created_at,
        );
        if phones.is_empty() {
            return Err(SendError::NoAddress {
                recipient: msg.recipient.as_str().to_owned(),
                channel: "sms",
            });
        }
        let url = self.settings.url.expose();
        let endpoint = public_endpoint(url);
        let mut provider_ids = Vec::new();
        for phone in &phones {
            let values = |name: &str| -> Option<String> {
                Some(match name {
                    "phone" => phone.clone(),
                    "text" => format!("{}：{}", msg.subject, msg.body),
                    "subject" => msg.subject.clone(),
                    "level" => msg.level.as_str().to_owned(),
                    "out_id" => msg.idempotency_key.clone(),
                    _ => return None,
                })
            };
            let body = render(&self.settings.template, &values).map_err(SendError::Unusable)?;
            let response = self
                .client
                .post(url)
                .json(&body)
                .send()
                .await
                .map_err(|error| transport_error(&endpoint, &error))?;
            let status = response.status().as_u16();
            let (answer, _) = read_capped(&endpoint, response, ANSWER_CAP).await?;
            if !(200..300).contains(&status) {
                return Err(SendError::Status {
                    endpoint,
                    status,
                    excerpt: excerpt(&answer),
                });
            }
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&answer)
                && let Some(id) = value
                    .get(&self.settings.message_id_field)
                    .and_then(serde_json::Value::as_str)
            {
                provider_ids.push(id.to_owned());
            }
        }
        Ok(Delivered {
            endpoint,
            provider_id: (!provider_ids.is_empty()).then(|| provider_ids.join(",")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_fill_known_parameters_and_refuse_unknown_ones() {
        let values = |name: &str| match name {
            "phone" => Some("138".to_owned()),
            "out_id" => Some("tocsin-ab".to_owned()),
            _ => None,
        };
        let template = json!({"to": "{{phone}}", "meta": ["id={{ out_id }}", 3], "n": true});
        assert_eq!(
            render(&template, &values).unwrap(),
            json!({"to": "138", "meta": ["id=tocsin-ab", 3], "n": true})
        );
        let error = render(&json!({"x": "{{colour}}"}), &values).unwrap_err();
        assert!(
            error.contains("unknown template parameter `colour`"),
            "{error}"
        );
        let error = render(&json!("{{phone"), &values).unwrap_err();
        assert!(error.contains("unclosed"), "{error}");
    }
}
