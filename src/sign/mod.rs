//! Provider request signing: pure functions from credentials, request parts, a timestamp and a
//! nonce to the exact headers, query string or URL each provider documents, and builders that
//! describe a complete request (method, URL, headers, body) for the messages Tocsin sends. No
//! IO here: the notifiers send what these functions describe, and the unit tests reproduce the
//! providers' own worked examples byte for byte.
//!
//! - [`tencent`]: Tencent Cloud API 3.0 `TC3-HMAC-SHA256`; SMS `SendSms`.
//! - [`alibaba`]: Alibaba Cloud RPC signature V2 (HMAC-SHA1) and V3 (`ACS3-HMAC-SHA256`); SMS
//!   `SendSms`, voice notification `SingleCallByTts`.
//! - [`dingtalk`], [`feishu`], [`wecom`]: work-chat robots.
//! - [`standard_webhooks`]: generic JSON webhooks signed as the Standard Webhooks convention.
//! - [`sms_length`]: how many billed parts a text message takes; [`phone`]: numbers as each
//!   provider wants them.

pub mod alibaba;
#[cfg(test)]
mod cross_check;
mod crypto;
pub mod dingtalk;
pub mod feishu;
pub mod phone;
pub mod pop;
pub mod sms_length;
pub mod standard_webhooks;
pub mod tencent;
pub mod wecom;

/// A complete HTTP request as a provider expects it; the notifier sends it as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Full URL including any signed query string.
    pub url: String,
    /// Headers in the order they were computed (names as the provider writes them).
    pub headers: Vec<(String, String)>,
    /// Body bytes (UTF-8 JSON or form text); empty for none.
    pub body: String,
}

impl HttpRequest {
    /// The value of header `name` (ASCII case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why a request could not be built. Each is a clear error on the delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// A secret that must be base64 (a Standard Webhooks `whsec_...` secret) is not.
    #[error("the webhook secret is not base64 after its `whsec_` prefix")]
    BadSecret,
    /// A request without any recipient phone number.
    #[error("no phone number to send to")]
    NoRecipient,
    /// More phone numbers than the provider accepts in one request.
    #[error("{count} phone numbers in one request; the provider accepts at most {max}")]
    TooManyRecipients {
        /// Numbers given.
        count: usize,
        /// Provider maximum.
        max: usize,
    },
    /// A timestamp outside what the provider's date format can show.
    #[error("timestamp {0} cannot be formatted as a date")]
    BadTimestamp(i64),
    /// A message longer than the provider accepts.
    #[error("message is {bytes} bytes; the provider accepts at most {max}")]
    TooLong {
        /// Bytes of the message.
        bytes: usize,
        /// Provider maximum.
        max: usize,
    },
}

impl SignError {
    /// Stable code stored with the failed attempt.
    pub const fn code(&self) -> &'static str {
        match self {
            SignError::BadSecret => "bad_secret",
            SignError::NoRecipient => "no_recipient",
            SignError::TooManyRecipients { .. } => "too_many_recipients",
            SignError::BadTimestamp(_) => "bad_timestamp",
            SignError::TooLong { .. } => "message_too_long",
        }
    }
}

/// UTC date-time of `unix_seconds`, or [`SignError::BadTimestamp`].
fn utc(unix_seconds: i64) -> Result<time::OffsetDateTime, SignError> {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map_err(|_| SignError::BadTimestamp(unix_seconds))
}
