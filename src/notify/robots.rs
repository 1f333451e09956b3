//! The departments' endpoints from the contacts, as the webhook channel posts to them: DingTalk
//! custom robots (加签: signed URL), WeCom group robots (markdown, key in the URL), Feishu custom
//! bots (signed body) and generic webhooks (Standard Webhooks headers). Requests are built by
//! `crate::sign`; this module reads the `env:NAME` references when sending, posts, and judges
//! the robot's answer ([`judge`], a pure function: a robot says "no" with HTTP 200 and an error
//! code in the JSON).

use std::sync::Arc;

use crate::contacts::{Medium, Reference};
use crate::model::Timestamp;
use crate::sign::{self, HttpRequest, dingtalk, feishu, wecom};

use super::channel::{Delivered, Outgoing, SendError};
use super::http::{ANSWER_CAP, excerpt, public_endpoint, read_capped, transport_error};
use super::secret::Secret;
use super::webhook::post_signed;

/// DingTalk's "send too fast" code (at most 20 messages a minute per robot).
const DINGTALK_THROTTLED: i64 = 130_101;
/// WeCom's "api freq out of limit" code.
const WECOM_THROTTLED: i64 = 45_009;
/// Feishu's frequency-limit codes.
const FEISHU_THROTTLED: [i64; 2] = [9_499, 11_232];

/// Where `env:NAME` references are read: the process environment, or (in tests) a table.
#[derive(Clone)]
pub struct Environment(Arc<Lookup>);

/// A variable lookup.
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Environment {
    /// The process environment.
    pub fn process() -> Environment {
        Environment(Arc::new(|name| std::env::var(name).ok()))
    }

    /// Variables looked up by `lookup`.
    pub fn with(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Environment {
        Environment(Arc::new(lookup))
    }

    /// The value of variable `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Environment")
    }
}

/// A robot or webhook with its URL and secret read from the environment.
#[derive(Debug)]
pub struct Robot {
    /// Its kind.
    medium: Medium,
    /// Name shown to people.
    name: String,
    /// The URL (may carry a token).
    url: Secret,
    /// The signing secret.
    secret: Option<Secret>,
}

/// Reads a reference now; `what` names it in the error.
fn read(env: &Environment, reference: &Reference, what: &str) -> Result<Secret, SendError> {
    match reference {
        Reference::Literal(text) => Ok(Secret::new(text.clone())),
        Reference::Env(variable) => env.get(variable).map(Secret::new).ok_or_else(|| {
            SendError::Unusable(format!(
                "{what}: environment variable `{variable}` is not set"
            ))
        }),
    }
}

impl Robot {
    /// The endpoint `name` of kind `medium`, its references read from the environment; a
    /// variable that is not set is a permanent `send_unusable` error.
    pub fn resolve(
        env: &Environment,
        medium: Medium,
        name: &str,
        url: &Reference,
        secret: Option<&Reference>,
    ) -> Result<Robot, SendError> {
        let url = read(env, url, &format!("{medium} `{name}` URL"))?;
        let secret = secret
            .map(|s| read(env, s, &format!("{medium} `{name}` secret")))
            .transpose()?;
        Ok(Robot {
            medium,
            name: name.to_owned(),
            url,
            secret,
        })
    }

    /// Posts `msg` (`generic_body` is the JSON a generic webhook gets) at clock time `now`.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        now: Timestamp,
        msg: &Outgoing,
        generic_body: &str,
    ) -> Result<Delivered, SendError> {
        let seconds = now.millis().div_euclid(1000);
        let url = self.url.expose();
        let secret = self.secret.as_ref().map(Secret::expose);
        let request = match self.medium {
            Medium::Webhook => {
                return post_signed(
                    client,
                    &self.name,
                    url,
                    self.secret.as_ref(),
                    msg,
                    generic_body,
                    seconds,
                )
                .await;
            }
            Medium::Dingtalk => {
                let text = format!("### {}\n\n{}", msg.subject, msg.body);
                dingtalk::request(
                    url,
                    secret,
                    now.millis(),
                    &dingtalk::Message::Markdown {
                        title: &msg.subject,
                        text: &text,
                    },
                    &[],
                )
            }
            Medium::Wecom => {
                let content = fit_bytes(
                    &format!("## {}\n{}", msg.subject, msg.body),
                    wecom::MARKDOWN_MAX_BYTES,
                );
                wecom::markdown_request(url, &content).map_err(|error| self.unusable(&error))?
            }
            Medium::Feishu => {
                let text = format!("{}\n{}", msg.subject, msg.body);
                feishu::request(url, secret, seconds, &feishu::Message::Text(&text))
            }
            Medium::Sms | Medium::Phone | Medium::Email => {
                return Err(SendError::Unusable(format!(
                    "`{}` is not a robot or webhook",
                    self.medium
                )));
            }
        };
        self.post(client, request).await
    }

    fn unusable(&self, error: &sign::SignError) -> SendError {
        SendError::Unusable(format!("{} `{}`: {error}", self.medium, self.name))
    }

    /// Sends a built request and judges the answer.
    async fn post(
        &self,
        client: &reqwest::Client,
        request: HttpRequest,
    ) -> Result<Delivered, SendError> {
        let public = public_endpoint(&request.url);
        let mut builder = client.post(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .body(request.body)
            .send()
            .await
            .map_err(|error| transport_error(&public, &error))?;
        let status = response.status().as_u16();
        let (answer, _truncated) = read_capped(&public, response, ANSWER_CAP).await?;
        judge(self.medium, &public, status, &answer).map(|()| Delivered {
            endpoint: public,
            provider_id: None,
        })
    }
}

/// Whether a robot accepted a message: HTTP 2xx and error code 0 (`errcode` for DingTalk and
/// WeCom, `code` or `StatusCode` for Feishu). A throttling code is a temporary refusal
/// (retried); any other code a rejection; an answer without a code an unusable answer
/// (rejected).
pub fn judge(medium: Medium, endpoint: &str, status: u16, answer: &[u8]) -> Result<(), SendError> {
    if !(200..300).contains(&status) {
        return Err(SendError::Status {
            endpoint: endpoint.to_owned(),
            status,
            excerpt: excerpt(answer),
        });
    }
    let rejected = |detail: String| SendError::Rejected {
        endpoint: endpoint.to_owned(),
        detail,
    };
    let value: serde_json::Value = serde_json::from_slice(answer)
        .map_err(|_| rejected(format!("unreadable answer: {}", excerpt(answer))))?;
    let (code_fields, message_field, throttled): (&[&str], &str, &[i64]) = match medium {
        Medium::Dingtalk => (&["errcode"], "errmsg", &[DINGTALK_THROTTLED]),
        Medium::Wecom => (&["errcode"], "errmsg", &[WECOM_THROTTLED]),
        Medium::Feishu => (&["code", "StatusCode"], "msg", &FEISHU_THROTTLED),
        _ => return Ok(()),
    };
    let Some(code) = code_fields
        .iter()
        .find_map(|field| value.get(*field).and_then(serde_json::Value::as_i64))
    else {
        return Err(rejected(format!(
            "answer without a code: {}",
            excerpt(answer)
        )));
    };
    if code == 0 {
        return Ok(());
    }
    let message = value
        .get(message_field)
        .or_else(|| value.get("StatusMessage"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let detail = format!("code {code}: {message}");
    if throttled.contains(&code) {
        Err(SendError::Deferred {
            endpoint: endpoint.to_owned(),
            detail,
        })
    } else {
        Err(rejected(detail))
    }
}

/// `text` cut at a character boundary to at most `max` bytes (a robot refuses longer).
fn fit_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robot_answers_are_judged_by_their_codes() {
        let ok = |r: &Result<(), SendError>| r.is_ok();
        let code = |r: &Result<(), SendError>| r.as_ref().err().map(SendError::code);
        let table: [(Medium, u16, &str, Option<&str>); 11] = [
            (
                Medium::Dingtalk,
                200,
                r#"{"errcode":0,"errmsg":"ok"}"#,
                None,
            ),
            (
                Medium::Dingtalk,
                200,
                r#"{"errcode":310000,"errmsg":"sign not match"}"#,
                Some("send_rejected"),
            ),
            (
                Medium::Dingtalk,
                200,
                r#"{"errcode":130101,"errmsg":"send too fast"}"#,
                Some("send_deferred"),
            ),
            (Medium::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#, None),
            (
                Medium::Wecom,
                200,
                r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
                Some("send_rejected"),
            ),
            (
                Medium::Wecom,
                200,
                r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
                Some("send_deferred"),
            ),
            (
                Medium::Feishu,
                200,
                r#"{"code":0,"msg":"success","data":{}}"#,
                None,
            ),
            (
                Medium::Feishu,
                200,
                r#"{"StatusCode":0,"StatusMessage":"success"}"#,
                None,
            ),
            (
                Medium::Feishu,
                200,
                r#"{"code":19021,"msg":"sign match fail"}"#,
                Some("send_rejected"),
            ),
            (
                Medium::Feishu,
                200,
                "<html>proxy</html>",
                Some("send_rejected"),
            ),
            (Medium::Wecom, 502, "bad gateway", Some("send_http_status")),
        ];
        for (medium, status, answer, expected) in table {
            let result = judge(medium, "http://robot", status, answer.as_bytes());
            assert_eq!(ok(&result), expected.is_none(), "{medium} {answer}");
            assert_eq!(code(&result), expected, "{medium} {answer}");
        }
        let throttled = judge(
            Medium::Feishu,
            "e",
            200,
            br#"{"code":9499,"msg":"too many"}"#,
        );
        assert!(throttled.unwrap_err().retryable());
    }

    #[test]
    fn wecom_content_is_cut_at_a_character_boundary() {
        let text = "预".repeat(2000); // 6000 bytes
        let cut = fit_bytes(&text, wecom::MARKDOWN_MAX_BYTES);
        assert!(cut.len() <= wecom::MARKDOWN_MAX_BYTES);
        assert_eq!(cut.len(), 4095);
        assert_eq!(fit_bytes("short", 10), "short");
    }

    #[test]
    fn an_unset_variable_is_a_clear_permanent_error() {
        let error = Robot::resolve(
            &Environment::with(|_| None),
            Medium::Dingtalk,
            "燃气调度群",
            &Reference::Env("TOCSIN_TEST_SURELY_UNSET_VARIABLE".into()),
            None,
        )
        .unwrap_err();
        assert_eq!(error.code(), "send_unusable");
        assert!(
            error
                .to_string()
                .contains("TOCSIN_TEST_SURELY_UNSET_VARIABLE")
        );
        assert!(!error.retryable());
    }
}
