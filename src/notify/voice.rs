//! Phone call-back (电话叫应) through Alibaba Cloud's voice notification API: when `notify.voice`
//! is configured, the phone channel calls `SingleCallByTts` (Dyvmsapi, API 2017-05-25, signed
//! `ACS3-HMAC-SHA256` by `crate::sign::alibaba`) once per number of the recipient's people on
//! duty, reading an approved TTS template chosen by the message's level and the deployment's
//! language; `OutId` is the message's idempotency key (the same on every retry and after a crash),
//! and the provider's `CallId`s are the attempt's provider id. Provider answers are judged by
//! [`judge`] (pure): throttling and provider faults are retried, every other code (bad template,
//! number, account, signature) is a rejection. Without `notify.voice`, the call becomes a task on
//! the duty desk (`super::phone`).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::model::workflow::Channel as ChannelKind;
use crate::model::{Clock, Level};
use crate::sign::{self, HttpRequest, alibaba};

use super::address::AddressBook;
use super::channel::{Channel, Delivered, Outgoing, SendError};
use super::http::{ANSWER_CAP, excerpt, public_endpoint, read_capped, transport_error};
use super::provider_sms::{RawTemplate, Template, parameters};
use super::secret::{Secret, resolve_with};
use super::settings::NotifySettingsError;

/// The section as written (`notify.voice`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVoice {
    /// Base URL requests go to (default `https://dyvmsapi.aliyuncs.com`); may be `env:NAME`.
    pub endpoint: Option<String>,
    /// AccessKey ID (`env:NAME`).
    pub key_id: String,
    /// AccessKey secret (`env:NAME`).
    pub key_secret: String,
    /// The number shown to the callee (a number bought for voice notifications).
    pub called_show_number: String,
    /// How many times the text is read (1 to 3, default 2).
    pub play_times: Option<u8>,
    /// Language of the templates used (default `zh-CN`).
    pub language: Option<String>,
    /// Language -> level (`blue` .. `red`, or `"*"` for any) -> TTS template (`TTS_...`) and
    /// its parameters (`{{subject}}`, `{{body}}`, `{{text}}`, `{{level}}`, `{{out_id}}`).
    pub templates: BTreeMap<String, BTreeMap<String, RawTemplate>>,
}

/// The resolved `notify.voice` settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VoiceSettings {
    /// Base URL (a secret: it may carry credentials).
    pub endpoint: Secret,
    /// Key id.
    pub key_id: Secret,
    /// Key secret.
    pub key_secret: Secret,
    /// The number shown to the callee.
    pub called_show_number: String,
    /// Readings of the text per call.
    pub play_times: u8,
    /// Template language.
    pub language: String,
    /// Language -> level or `*` -> template.
    pub templates: BTreeMap<String, BTreeMap<String, Template>>,
}

impl VoiceSettings {
    /// Resolves and checks the raw section.
    pub fn resolve(
        raw: &RawVoice,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, NotifySettingsError> {
        let field = |name: &str| format!("voice.{name}");
        let invalid = |name: &str, detail: String| NotifySettingsError::Invalid {
            field: field(name),
            detail,
        };
        let secret = |name: &str, text: &str| {
            resolve_with(text, env).map_err(|source| NotifySettingsError::Secret {
                field: field(name),
                source,
            })
        };
        let endpoint = match &raw.endpoint {
            Some(text) => secret("endpoint", text)?,
            None => Secret::new(format!("https://{}", alibaba::VOICE_HOST)),
        };
        let play_times = raw.play_times.unwrap_or(2);
        if !(1..=3).contains(&play_times) {
            return Err(invalid(
                "play_times",
                format!("{play_times} is not 1, 2 or 3"),
            ));
        }
        if raw.called_show_number.trim().is_empty() {
            return Err(invalid(
                "called_show_number",
                "the number shown to the callee is required".to_owned(),
            ));
        }
        let language = raw.language.clone().unwrap_or_else(|| "zh-CN".to_owned());
        let mut templates = BTreeMap::new();
        for (lang, levels) in &raw.templates {
            let mut resolved = BTreeMap::new();
            for (level, template) in levels {
                if level != "*" && Level::parse(level).is_none() {
                    return Err(invalid(
                        &format!("templates.{lang}.{level}"),
                        "a level is blue, yellow, orange, red or `*`".to_owned(),
                    ));
                }
                let mut params = Vec::new();
                for (name, value) in &template.params {
                    match (name.as_str(), value.as_str()) {
                        (Some(name), Some(value)) => {
                            params.push((name.to_owned(), value.to_owned()));
                        }
                        _ => {
                            return Err(invalid(
                                &format!("templates.{lang}.{level}.params"),
                                "parameters are names with text values".to_owned(),
                            ));
                        }
                    }
                }
                resolved.insert(
                    level.clone(),
                    Template {
                        code: template.code.clone(),
                        params,
                    },
                );
            }
            templates.insert(lang.clone(), resolved);
        }
        if !templates.contains_key(&language) {
            return Err(invalid(
                "templates",
                format!("no templates for the language `{language}`"),
            ));
        }
        Ok(VoiceSettings {
            endpoint,
            key_id: secret("key_id", &raw.key_id)?,
            key_secret: secret("key_secret", &raw.key_secret)?,
            called_show_number: raw.called_show_number.clone(),
            play_times,
            language,
            templates,
        })
    }

    /// The template for `level`: its own, else `*`.
    pub fn template(&self, level: Level) -> Option<&Template> {
        let levels = self.templates.get(&self.language)?;
        levels.get(level.as_str()).or_else(|| levels.get("*"))
    }
}

/// Alibaba's answer to `SingleCallByTts`: `Code` `OK` is a call placed (its `CallId` is the
/// provider id). Throttling (`isv.BUSINESS_LIMIT_CONTROL`, `Throttling.*`) and provider faults
/// (`isp.*`, HTTP 5xx, an unreadable 5xx answer) are retried (`send_deferred` / `http_status`);
/// every other code (bad template, number, show number, account, signature) is a rejection
/// (`send_rejected`).
pub fn judge(endpoint: &str, status: u16, answer: &[u8]) -> Result<Option<String>, SendError> {
    let value: Option<serde_json::Value> = serde_json::from_slice(answer).ok();
    let text = |field: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(field))
            .and_then(serde_json::Value::as_str)
    };
    let Some(code) = text("Code") else {
        return Err(if (200..300).contains(&status) {
            SendError::Rejected {
                endpoint: endpoint.to_owned(),
                detail: format!("unreadable answer: {}", excerpt(answer)),
            }
        } else {
            SendError::Status {
                endpoint: endpoint.to_owned(),
                status,
                excerpt: excerpt(answer),
            }
        });
    };
    if code == "OK" && (200..300).contains(&status) {
        return Ok(text("CallId").map(str::to_owned));
    }
    let detail = format!("{code}: {}", text("Message").unwrap_or(""));
    let endpoint = endpoint.to_owned();
    if code == "isv.BUSINESS_LIMIT_CONTROL"
        || code.starts_with("Throttling")
        || code.starts_with("isp.")
        || status >= 500
    {
        Err(SendError::Deferred { endpoint, detail })
    } else {
        Err(SendError::Rejected { endpoint, detail })
    }
}

/// The voice notification channel.
#[derive(Debug)]
pub struct VoiceChannel {
    /// The HTTP client.
    client: reqwest::Client,
    /// Credentials, show number, templates.
    settings: VoiceSettings,
    /// Recipient -> phone numbers.
    addresses: Arc<dyn AddressBook>,
    /// Signature timestamps.
    clock: Arc<dyn Clock>,
}

impl VoiceChannel {
    /// A channel over `settings`.
    pub fn new(
        client: reqwest::Client,
        settings: VoiceSettings,
        addresses: Arc<dyn AddressBook>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        VoiceChannel {
            client,
            settings,
            addresses,
            clock,
        }
    }

    /// The signed request calling `phone`.
    fn request(&self, msg: &Outgoing, phone: &str) -> Result<HttpRequest, SendError> {
        let s = &self.settings;
        let template = s.template(msg.level).ok_or_else(|| {
            SendError::Unusable(format!(
                "no TTS template for level {} in language {}",
                msg.level.as_str(),
                s.language
            ))
        })?;
        let params = parameters(template, msg, "", 1).map_err(SendError::Unusable)?;
        let nonce = format!(
            "{}-{}-{:016x}",
            msg.idempotency_key,
            msg.attempt,
            rand::random::<u64>()
        );
        let number = sign::phone::alibaba(phone);
        alibaba::single_call_by_tts(
            &alibaba::Credentials {
                access_key_id: s.key_id.expose().to_owned(),
                access_key_secret: s.key_secret.expose().to_owned(),
            },
            &alibaba::TtsCall {
                called_show_number: &s.called_show_number,
                called_number: &number,
                tts_code: &template.code,
                params: &params,
                play_times: s.play_times,
                out_id: &msg.idempotency_key,
            },
            self.clock.now().millis().div_euclid(1000),
            &nonce,
        )
        .map_err(|error| SendError::Unusable(format!("voice request: {error} ({})", error.code())))
    }

    /// Places one call; its `CallId`.
    async fn call(
        &self,
        msg: &Outgoing,
        phone: &str,
    ) -> Result<(String, Option<String>), SendError> {
        let request = self.request(msg, phone)?;
        let url = rebase(&request.url, self.settings.endpoint.expose());
        let public = public_endpoint(&url);
        let mut builder = self.client.post(&url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder
            .body(request.body)
            .send()
            .await
            .map_err(|error| transport_error(&public, &error))?;
        let status = response.status().as_u16();
        let (answer, _truncated) = read_capped(&public, response, ANSWER_CAP).await?;
        let call_id = judge(&public, status, &answer)?;
        Ok((public, call_id))
    }
}

/// `url` (built for `https://<provider host>`) moved onto `base`, path and query kept.
fn rebase(url: &str, base: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .and_then(|r| r.find('/').map(|i| &r[i..]))
        .unwrap_or("/");
    format!("{}{rest}", base.trim_end_matches('/'))
}

#[async_trait]
impl Channel for VoiceChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Phone
    }

    /// One call per number, in the book's order; the first failure ends the attempt (a retry
    /// calls every number again with the same `OutId`, so the provider's records show the
    /// repeat).
    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError> {
        let mut phones =
            self.addresses
                .addresses(&msg.recipient, ChannelKind::Phone, msg.created_at);
        phones.dedup();
        if phones.is_empty() {
            return Err(SendError::NoAddress {
                recipient: msg.recipient.as_str().to_owned(),
                channel: "phone",
            });
        }
        let mut endpoint = String::new();
        let mut calls = Vec::new();
        for phone in &phones {
            let (public, call_id) = self.call(msg, phone).await?;
            endpoint = public;
            calls.extend(call_id);
        }
        Ok(Delivered {
            endpoint,
            provider_id: (!calls.is_empty()).then(|| calls.join(",")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_answers_map_to_placed_retried_or_rejected() {
        // (status, answer, error code or None, call id when placed)
        let table: [(u16, &str, Option<&str>, Option<&str>); 8] = [
            (
                200,
                r#"{"Code":"OK","Message":"OK","CallId":"116012354148^10281378","RequestId":"r"}"#,
                None,
                Some("116012354148^10281378"),
            ),
            (200, r#"{"Code":"OK","Message":"OK"}"#, None, None),
            (
                200,
                r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发流控"}"#,
                Some("send_deferred"),
                None,
            ),
            (
                400,
                r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#,
                Some("send_deferred"),
                None,
            ),
            (
                200,
                r#"{"Code":"isp.SYSTEM_ERROR","Message":"系统错误"}"#,
                Some("send_deferred"),
                None,
            ),
            (
                200,
                r#"{"Code":"isv.TTS_TEMPLATE_ILLEGAL","Message":"TTS template illegal"}"#,
                Some("send_rejected"),
                None,
            ),
            (
                400,
                r#"{"Code":"SignatureDoesNotMatch","Message":"bad signature"}"#,
                Some("send_rejected"),
                None,
            ),
            (503, "Service Unavailable", Some("send_http_status"), None),
        ];
        for (status, answer, code, call) in table {
            let judged = judge("https://dyvmsapi.aliyuncs.com", status, answer.as_bytes());
            assert_eq!(
                judged.as_ref().err().map(SendError::code),
                code,
                "{status} {answer}"
            );
            if code.is_none() {
                assert_eq!(judged.unwrap().as_deref(), call, "{answer}");
            }
        }
        // an unreadable success is a rejection, not a call placed
        assert_eq!(
            judge("e", 200, b"<html>").unwrap_err().code(),
            "send_rejected"
        );
    }
}
