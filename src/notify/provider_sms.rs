//! Provider SMS: Alibaba Cloud `SendSms` (V3 `ACS3-HMAC-SHA256`) and Tencent Cloud `SendSms`
//! (`TC3-HMAC-SHA256`) as a [`Channel`]. Both send only pre-approved templates, so the
//! `notify.sms_provider` settings map the message's level (and the deployment's language) to a
//! template code and its parameters (`{{subject}}`, `{{body}}`, `{{text}}`, `{{level}}`,
//! `{{out_id}}`, `{{link}}`: the acknowledgment link, which `body` and `text` then leave out);
//! each parameter is cut to the provider's length rule (`sign::sms_length`). The
//! idempotency key travels as Alibaba's `OutId` / Tencent's `SessionContext`. Requests are built
//! and signed by `crate::sign`; the endpoint is configurable (tests point it at a local
//! receiver), the signed `Host` stays the provider's. Provider answers are judged by
//! [`judge_alibaba`] and [`judge_tencent`] (pure): throttling and provider-side faults are
//! retried, anything else is a permanent rejection.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::model::workflow::Channel as ChannelKind;
use crate::model::{Clock, Level};
use crate::sign::sms_length::{self, Rule};
use crate::sign::{self, HttpRequest, alibaba, tencent};

use super::ack::without_link;

use super::address::AddressBook;
use super::channel::{Channel, Delivered, Outgoing, SendError};
use super::http::{ANSWER_CAP, excerpt, public_endpoint, read_capped, transport_error};
use super::secret::{Secret, resolve_with};
use super::settings::NotifySettingsError;

/// The provider section as written (`notify.sms_provider`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmsProvider {
    /// `alibaba` or `tencent`.
    pub provider: String,
    /// Base URL requests go to (default `https://<the provider's SMS host>`); may be `env:NAME`.
    pub endpoint: Option<String>,
    /// AccessKey ID / SecretId (`env:NAME`).
    pub key_id: String,
    /// AccessKey secret / SecretKey (`env:NAME`).
    pub key_secret: String,
    /// Approved signature name (签名).
    pub sign_name: String,
    /// Tencent `SmsSdkAppId`.
    pub sdk_app_id: Option<String>,
    /// Tencent region (default `ap-guangzhou`).
    pub region: Option<String>,
    /// Language of the templates used (default `zh-CN`).
    pub language: Option<String>,
    /// Billed parts a parameter may fill with the signature (default 1).
    pub max_parts: Option<usize>,
    /// Language -> level (`blue` .. `red`, or `"*"` for any) -> template.
    pub templates: BTreeMap<String, BTreeMap<String, RawTemplate>>,
}

/// One approved template as written.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTemplate {
    /// Template code (Alibaba `SMS_...`) or id (Tencent).
    pub code: String,
    /// Parameters in template order: name -> value with `{{...}}` fields (Tencent uses the
    /// values in this order).
    #[serde(default)]
    pub params: serde_norway::Mapping,
}

/// Which provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Alibaba Cloud SMS.
    Alibaba,
    /// Tencent Cloud SMS.
    Tencent,
}

/// A resolved template.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Template {
    /// Code or id.
    pub code: String,
    /// Parameters in order.
    pub params: Vec<(String, String)>,
}

/// The resolved provider settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SmsProviderSettings {
    /// Which provider.
    pub provider: Provider,
    /// Base URL (a secret: it may carry credentials).
    pub endpoint: Secret,
    /// Key id.
    pub key_id: Secret,
    /// Key secret.
    pub key_secret: Secret,
    /// Signature name.
    pub sign_name: String,
    /// Tencent app id.
    pub sdk_app_id: String,
    /// Tencent region.
    pub region: String,
    /// Template language.
    pub language: String,
    /// Parts per parameter.
    pub max_parts: usize,
    /// Language -> level or `*` -> template.
    pub templates: BTreeMap<String, BTreeMap<String, Template>>,
}

impl SmsProviderSettings {
    /// Resolves and checks the raw section.
    pub fn resolve(
        raw: &RawSmsProvider,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, NotifySettingsError> {
        let field = |name: &str| format!("sms_provider.{name}");
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
        let provider = match raw.provider.as_str() {
            "alibaba" => Provider::Alibaba,
            "tencent" => Provider::Tencent,
            other => {
                return Err(invalid(
                    "provider",
                    format!("`{other}` is not `alibaba` or `tencent`"),
                ));
            }
        };
        let host = match provider {
            Provider::Alibaba => alibaba::SMS_HOST,
            Provider::Tencent => tencent::SMS_HOST,
        };
        let endpoint = match &raw.endpoint {
            Some(text) => secret("endpoint", text)?,
            None => Secret::new(format!("https://{host}")),
        };
        let sdk_app_id = raw.sdk_app_id.clone().unwrap_or_default();
        if provider == Provider::Tencent && sdk_app_id.is_empty() {
            return Err(invalid(
                "sdk_app_id",
                "Tencent needs its SmsSdkAppId".to_owned(),
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
                            params.push((name.to_owned(), value.to_owned()))
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
        Ok(SmsProviderSettings {
            provider,
            endpoint,
            key_id: secret("key_id", &raw.key_id)?,
            key_secret: secret("key_secret", &raw.key_secret)?,
            sign_name: raw.sign_name.clone(),
            sdk_app_id,
            region: raw
                .region
                .clone()
                .unwrap_or_else(|| "ap-guangzhou".to_owned()),
            language,
            max_parts: raw.max_parts.unwrap_or(1).max(1),
            templates,
        })
    }

    /// The template for `level`: its own, else `*`.
    pub fn template(&self, level: Level) -> Option<&Template> {
        let levels = self.templates.get(&self.language)?;
        levels.get(level.as_str()).or_else(|| levels.get("*"))
    }
}

/// The parameters of `template` for `msg`, each cut to `max_parts` with the signature; an
/// unknown `{{field}}` is an error naming it.
pub fn parameters(
    template: &Template,
    msg: &Outgoing,
    sign_name: &str,
    max_parts: usize,
) -> Result<Vec<(String, String)>, String> {
    let value = |field: &str| -> Option<String> {
        Some(match field {
            "subject" => msg.subject.clone(),
            "body" => without_link(&msg.body, msg.ack_link.as_deref()).to_owned(),
            "text" => format!(
                "{}：{}",
                msg.subject,
                without_link(&msg.body, msg.ack_link.as_deref())
            ),
            "link" => msg.ack_link.clone().unwrap_or_default(),
            "level" => msg.level.as_str().to_owned(),
            "out_id" => msg.idempotency_key.clone(),
            _ => return None,
        })
    };
    template
        .params
        .iter()
        .map(|(name, pattern)| {
            let filled = fill(pattern, &value).map_err(|field| {
                format!("SMS template parameter `{name}`: unknown field `{{{{{field}}}}}`")
            })?;
            Ok((
                name.clone(),
                sms_length::fit(Rule::Domestic, sign_name, &filled, max_parts),
            ))
        })
        .collect()
}

/// `pattern` with each `{{field}}` replaced; `Err(field)` for an unknown one.
fn fill(pattern: &str, value: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let field = after[..end].trim();
        out.push_str(&value(field).ok_or_else(|| field.to_owned())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Alibaba's answer: `Code` `OK` is sent (the `BizId` is the provider id). Throttling
/// (`isv.BUSINESS_LIMIT_CONTROL`, `Throttling.*`) and provider faults (`isp.*`, HTTP 5xx) are
/// retried; every other code (bad template, signature, number, account) is a rejection.
pub fn judge_alibaba(
    endpoint: &str,
    status: u16,
    answer: &[u8],
) -> Result<Option<String>, SendError> {
    let value: Option<serde_json::Value> = serde_json::from_slice(answer).ok();
    let code = value
        .as_ref()
        .and_then(|v| v.get("Code"))
        .and_then(serde_json::Value::as_str);
    let Some(code) = code else {
        return Err(status_error(endpoint, status, answer));
    };
    if code == "OK" && (200..300).contains(&status) {
        return Ok(value
            .as_ref()
            .and_then(|v| v.get("BizId"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned));
    }
    let message = value
        .as_ref()
        .and_then(|v| v.get("Message"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let retry = code == "isv.BUSINESS_LIMIT_CONTROL"
        || code.starts_with("Throttling")
        || code.starts_with("isp.")
        || status >= 500;
    Err(provider_error(
        endpoint,
        retry,
        format!("{code}: {message}"),
    ))
}

/// Tencent's answer: `Response.Error` is a failed call; otherwise every `SendStatusSet` entry
/// must have `Code` `Ok` (their `SerialNo`s are the provider id). Rate limits
/// (`RequestLimitExceeded*`, `LimitExceeded.*`) and `InternalError*` are retried; every other code
/// is a rejection.
pub fn judge_tencent(
    endpoint: &str,
    status: u16,
    answer: &[u8],
) -> Result<Option<String>, SendError> {
    let value: Option<serde_json::Value> = serde_json::from_slice(answer).ok();
    let Some(response) = value.as_ref().and_then(|v| v.get("Response")) else {
        return Err(status_error(endpoint, status, answer));
    };
    let retryable = |code: &str| {
        code.starts_with("RequestLimitExceeded")
            || code.starts_with("LimitExceeded")
            || code.starts_with("InternalError")
    };
    let text = |v: &serde_json::Value, field: &str| {
        v.get(field)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    if let Some(error) = response.get("Error") {
        let code = text(error, "Code");
        return Err(provider_error(
            endpoint,
            retryable(&code),
            format!("{code}: {}", text(error, "Message")),
        ));
    }
    let statuses = response
        .get("SendStatusSet")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    if statuses.is_empty() {
        return Err(provider_error(
            endpoint,
            false,
            format!("no send status: {}", excerpt(answer)),
        ));
    }
    let mut serials = Vec::new();
    for entry in &statuses {
        let code = text(entry, "Code");
        if code != "Ok" {
            return Err(provider_error(
                endpoint,
                retryable(&code),
                format!(
                    "{} {code}: {}",
                    text(entry, "PhoneNumber"),
                    text(entry, "Message")
                ),
            ));
        }
        serials.push(text(entry, "SerialNo"));
    }
    Ok(Some(serials.join(",")))
}

fn status_error(endpoint: &str, status: u16, answer: &[u8]) -> SendError {
    if (200..300).contains(&status) {
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
    }
}

fn provider_error(endpoint: &str, retry: bool, detail: String) -> SendError {
    let endpoint = endpoint.to_owned();
    if retry {
        SendError::Deferred { endpoint, detail }
    } else {
        SendError::Rejected { endpoint, detail }
    }
}

/// The provider SMS channel.
#[derive(Debug)]
pub struct ProviderSmsChannel {
    /// The HTTP client.
    client: reqwest::Client,
    /// Provider, credentials, templates.
    settings: SmsProviderSettings,
    /// Recipient -> phone numbers.
    addresses: Arc<dyn AddressBook>,
    /// Signature timestamps.
    clock: Arc<dyn Clock>,
}

impl ProviderSmsChannel {
    /// A channel over `settings`.
    pub fn new(
        client: reqwest::Client,
        settings: SmsProviderSettings,
        addresses: Arc<dyn AddressBook>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ProviderSmsChannel {
            client,
            settings,
            addresses,
            clock,
        }
    }

    /// The signed request for `phones`.
    fn request(&self, msg: &Outgoing, phones: &[String]) -> Result<HttpRequest, SendError> {
        let s = &self.settings;
        let template = s.template(msg.level).ok_or_else(|| {
            SendError::Unusable(format!(
                "no SMS template for level {} in language {}",
                msg.level.as_str(),
                s.language
            ))
        })?;
        let params =
            parameters(template, msg, &s.sign_name, s.max_parts).map_err(SendError::Unusable)?;
        let seconds = self.clock.now().millis().div_euclid(1000);
        let built = match s.provider {
            Provider::Alibaba => {
                let numbers: Vec<String> = phones.iter().map(|p| sign::phone::alibaba(p)).collect();
                let nonce = format!(
                    "{}-{}-{:016x}",
                    msg.idempotency_key,
                    msg.attempt,
                    rand::random::<u64>()
                );
                alibaba::send_sms(
                    &alibaba::Credentials {
                        access_key_id: s.key_id.expose().to_owned(),
                        access_key_secret: s.key_secret.expose().to_owned(),
                    },
                    &alibaba::Sms {
                        sign_name: &s.sign_name,
                        template_code: &template.code,
                        params: &params,
                        phone_numbers: &numbers,
                        out_id: &msg.idempotency_key,
                    },
                    seconds,
                    &nonce,
                )
            }
            Provider::Tencent => {
                let numbers: Vec<String> = phones.iter().map(|p| sign::phone::e164(p)).collect();
                let values: Vec<String> = params.into_iter().map(|(_, v)| v).collect();
                tencent::send_sms(
                    &tencent::Credentials {
                        secret_id: s.key_id.expose().to_owned(),
                        secret_key: s.key_secret.expose().to_owned(),
                    },
                    &tencent::Sms {
                        sdk_app_id: &s.sdk_app_id,
                        sign_name: &s.sign_name,
                        template_id: &template.code,
                        params: &values,
                        phone_numbers: &numbers,
                        session_context: &msg.idempotency_key,
                        region: &s.region,
                    },
                    seconds,
                )
            }
        };
        built.map_err(|error| {
            SendError::Unusable(format!("SMS request: {error} ({})", error.code()))
        })
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
impl Channel for ProviderSmsChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError> {
        let phones = self.addresses.addresses_of(msg, ChannelKind::Sms);
        if phones.is_empty() {
            return Err(SendError::NoAddress {
                recipient: msg.recipient.as_str().to_owned(),
                channel: "sms",
            });
        }
        let request = self.request(msg, &phones)?;
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
        let provider_id = match self.settings.provider {
            Provider::Alibaba => judge_alibaba(&public, status, &answer)?,
            Provider::Tencent => judge_tencent(&public, status, &answer)?,
        };
        Ok(Delivered {
            endpoint: public,
            provider_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: &Result<Option<String>, SendError>) -> Option<&'static str> {
        result.as_ref().err().map(SendError::code)
    }

    #[test]
    fn alibaba_answers_map_to_delivered_retried_or_rejected() {
        let table: [(u16, &str, Option<&str>, bool); 7] = [
            (
                200,
                r#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0"}"#,
                None,
                false,
            ),
            (
                200,
                r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控"}"#,
                Some("send_deferred"),
                true,
            ),
            (
                200,
                r#"{"Code":"isp.SYSTEM_ERROR","Message":"系统错误"}"#,
                Some("send_deferred"),
                true,
            ),
            (
                200,
                r#"{"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"模板不合法"}"#,
                Some("send_rejected"),
                false,
            ),
            (
                200,
                r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}"#,
                Some("send_rejected"),
                false,
            ),
            (
                400,
                r#"{"Code":"SignatureDoesNotMatch","Message":"bad"}"#,
                Some("send_rejected"),
                false,
            ),
            (503, "unavailable", Some("send_http_status"), true),
        ];
        for (status, answer, expected, retry) in table {
            let result = judge_alibaba("e", status, answer.as_bytes());
            assert_eq!(code(&result), expected, "{answer}");
            if let Err(error) = &result {
                assert_eq!(error.retryable(), retry, "{answer}");
            }
        }
        assert_eq!(
            judge_alibaba("e", 200, br#"{"Code":"OK","BizId":"b1"}"#)
                .unwrap()
                .as_deref(),
            Some("b1")
        );
    }

    #[test]
    fn tencent_answers_map_to_delivered_retried_or_rejected() {
        let ok = r#"{"Response":{"SendStatusSet":[{"SerialNo":"s1","PhoneNumber":"+8613711112222","Code":"Ok","Message":"send success"}],"RequestId":"r"}}"#;
        let table: [(&str, Option<&str>, bool); 6] = [
            (ok, None, false),
            (
                r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"sig"},"RequestId":"r"}}"#,
                Some("send_rejected"),
                false,
            ),
            (
                r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow"},"RequestId":"r"}}"#,
                Some("send_deferred"),
                true,
            ),
            (
                r#"{"Response":{"Error":{"Code":"InternalError.Timeout","Message":"t"},"RequestId":"r"}}"#,
                Some("send_deferred"),
                true,
            ),
            (
                r#"{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+86137","Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"daily"}]}}"#,
                Some("send_deferred"),
                true,
            ),
            (
                r#"{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+86137","Code":"FailedOperation.TemplateIncorrectOrUnapproved","Message":"t"}]}}"#,
                Some("send_rejected"),
                false,
            ),
        ];
        for (answer, expected, retry) in table {
            let result = judge_tencent("e", 200, answer.as_bytes());
            assert_eq!(code(&result), expected, "{answer}");
            if let Err(error) = &result {
                assert_eq!(error.retryable(), retry, "{answer}");
            }
        }
        assert_eq!(
            judge_tencent("e", 200, ok.as_bytes()).unwrap().as_deref(),
            Some("s1")
        );
    }

    #[test]
    fn parameters_fill_known_fields_cut_to_length_and_refuse_unknown_ones() {
        let msg = Outgoing {
            id: 1,
            key: "k".into(),
            idempotency_key: "tocsin-k".into(),
            attempt: 1,
            warning: 1,
            recipient: crate::model::DepartmentId::new("d"),
            audience: crate::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
            level: Level::Red,
            drill: false,
            reason: "issued".into(),
            subject: "红色预警".into(),
            body: "燃".repeat(200),
            ack_link: None,
            created_at: crate::model::Timestamp(0),
        };
        let template = Template {
            code: "SMS_1".into(),
            params: vec![
                ("level".into(), "{{level}}".into()),
                ("text".into(), "{{ text }}".into()),
                ("id".into(), "[{{out_id}}]".into()),
            ],
        };
        let params = parameters(&template, &msg, "沈阳预警", 1).unwrap();
        assert_eq!(params[0], ("level".into(), "red".into()));
        assert_eq!(
            sms_length::length(Rule::Domestic, "沈阳预警", &params[1].1).parts,
            1
        );
        assert!(params[1].1.starts_with("红色预警：燃") && params[1].1.ends_with('…'));
        assert_eq!(params[2].1, "[tocsin-k]");
        let bad = Template {
            code: "SMS_1".into(),
            params: vec![("x".into(), "{{asset}}".into())],
        };
        let error = parameters(&bad, &msg, "s", 1).unwrap_err();
        assert!(error.contains("`{{asset}}`"), "{error}");
    }

    #[test]
    fn the_ack_link_is_a_parameter_of_its_own_and_leaves_the_body() {
        let link = "http://t/ack/abc.def";
        let msg = Outgoing {
            id: 1,
            key: "k".into(),
            idempotency_key: "tocsin-k".into(),
            attempt: 1,
            warning: 1,
            recipient: crate::model::DepartmentId::new("d"),
            audience: "department".into(),
            level: Level::Red,
            drill: false,
            reason: "issued".into(),
            subject: "红色预警".into(),
            body: super::super::ack::with_link("正文", link),
            ack_link: Some(link.into()),
            created_at: crate::model::Timestamp(0),
        };
        let template = Template {
            code: "SMS_1".into(),
            params: vec![
                ("body".into(), "{{body}}".into()),
                ("link".into(), "{{link}}".into()),
            ],
        };
        let params = parameters(&template, &msg, "沈阳预警", 1).unwrap();
        assert_eq!(params[0].1, "正文");
        assert_eq!(params[1].1, link);
    }

    #[test]
    fn requests_are_rebased_onto_the_configured_endpoint() {
        assert_eq!(
            rebase(
                "https://dysmsapi.aliyuncs.com/?A=1&B=2",
                "http://127.0.0.1:5/alibaba/"
            ),
            "http://127.0.0.1:5/alibaba/?A=1&B=2"
        );
        assert_eq!(
            rebase(
                "https://sms.tencentcloudapi.com/",
                "https://sms.tencentcloudapi.com"
            ),
            "https://sms.tencentcloudapi.com/"
        );
    }
}
