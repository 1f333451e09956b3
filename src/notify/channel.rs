//! The [`Channel`] trait every delivery channel implements, the message it is handed
//! ([`Outgoing`], carrying the stable idempotency key), what a successful send reports
//! ([`Delivered`]) and the typed [`SendError`] that says whether another attempt can help.

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::model::workflow::Channel as ChannelKind;
use crate::model::{DepartmentId, Level, Timestamp};

/// A message to send: one outbox row, as a channel sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    /// Outbox id.
    pub id: i64,
    /// The outbox key (unique per warning, cause, recipient and channel).
    pub key: String,
    /// The idempotency key derived from `key`: the same on every attempt and after a crash
    /// (`Message-ID`, `webhook-id`, the SMS `out_id`).
    pub idempotency_key: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// The warning.
    pub warning: i64,
    /// The department told.
    pub recipient: DepartmentId,
    /// The workflow's recipient word that named it (`department_duty_leader`, ...): whom of the
    /// department the address book picks.
    pub audience: String,
    /// Level at the time.
    pub level: Level,
    /// Exercise (`【演练】` is already in subject and body).
    pub drill: bool,
    /// What caused it (`issued`, `escalation`, `undelivered:sms`, ...).
    pub reason: String,
    /// One line.
    pub subject: String,
    /// The text (ending with the acknowledgment link's line when it has one).
    pub body: String,
    /// The signed acknowledgment link (`/ack/{token}`, see `notify::ack`), when links are on.
    pub ack_link: Option<String>,
    /// Clock time it was queued.
    pub created_at: Timestamp,
}

/// The idempotency key of an outbox key: `tocsin-` and the first 16 bytes of its SHA-256 in hex.
/// Fit for a `Message-ID` local part, a `webhook-id` header and an SMS out-id.
pub fn idempotency_key(outbox_key: &str) -> String {
    let digest = Sha256::digest(outbox_key.as_bytes());
    format!("tocsin-{}", hex::encode(&digest[..16]))
}

/// What a successful send reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Where it went (no credentials).
    pub endpoint: String,
    /// The receiver's id for the message, when it gave one.
    pub provider_id: Option<String>,
}

/// Why a send failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No answer within the attempt's timeout.
    #[error("no answer from {endpoint} within {millis} ms")]
    Timeout {
        /// Where.
        endpoint: String,
        /// The timeout.
        millis: u64,
    },
    /// Could not connect, or the connection broke.
    #[error("cannot reach {endpoint}: {detail}")]
    Connect {
        /// Where.
        endpoint: String,
        /// The transport's words.
        detail: String,
    },
    /// The receiver answered with an HTTP error status.
    #[error("{endpoint} answered HTTP {status}: {excerpt}")]
    Status {
        /// Where.
        endpoint: String,
        /// The status code.
        status: u16,
        /// The start of the answer.
        excerpt: String,
    },
    /// The receiver or provider refused the message itself (bad address, template, auth).
    #[error("{endpoint} rejected the message: {detail}")]
    Rejected {
        /// Where.
        endpoint: String,
        /// Its words.
        detail: String,
    },
    /// A temporary refusal (SMTP 4xx, provider throttling).
    #[error("{endpoint} deferred the message: {detail}")]
    Deferred {
        /// Where.
        endpoint: String,
        /// Its words.
        detail: String,
    },
    /// The recipient has no address for this channel.
    #[error("no {channel} address for `{recipient}`")]
    NoAddress {
        /// The department.
        recipient: String,
        /// The channel.
        channel: &'static str,
    },
    /// The channel is not configured (no endpoint in `notify:`) or the message cannot be built.
    #[error("{0}")]
    Unusable(String),
}

impl SendError {
    /// Whether another attempt can help: timeouts, connection failures, 5xx, 408 and 429 and
    /// temporary refusals can; 4xx, rejections, missing addresses and configuration cannot.
    pub fn retryable(&self) -> bool {
        match self {
            SendError::Timeout { .. } | SendError::Connect { .. } | SendError::Deferred { .. } => {
                true
            }
            SendError::Status { status, .. } => *status >= 500 || matches!(status, 408 | 429),
            SendError::Rejected { .. } | SendError::NoAddress { .. } | SendError::Unusable(_) => {
                false
            }
        }
    }

    /// Stable code, stored with the attempt.
    pub const fn code(&self) -> &'static str {
        match self {
            SendError::Timeout { .. } => "send_timeout",
            SendError::Connect { .. } => "send_unreachable",
            SendError::Status { .. } => "send_http_status",
            SendError::Rejected { .. } => "send_rejected",
            SendError::Deferred { .. } => "send_deferred",
            SendError::NoAddress { .. } => "send_no_address",
            SendError::Unusable(_) => "send_unusable",
        }
    }

    /// Where the attempt went, when it got that far.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            SendError::Timeout { endpoint, .. }
            | SendError::Connect { endpoint, .. }
            | SendError::Status { endpoint, .. }
            | SendError::Rejected { endpoint, .. }
            | SendError::Deferred { endpoint, .. } => Some(endpoint),
            SendError::NoAddress { .. } | SendError::Unusable(_) => None,
        }
    }
}

/// A delivery channel.
#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// Which outbox channel it serves.
    fn kind(&self) -> ChannelKind;

    /// Sends one message to every address the recipient has on this channel. Succeeds only when
    /// all of them accepted it.
    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idempotency_key_is_stable_and_header_safe() {
        let key = idempotency_key("w12:issued:2:shenyang.gas_company:sms");
        assert_eq!(
            key,
            idempotency_key("w12:issued:2:shenyang.gas_company:sms")
        );
        assert_ne!(
            key,
            idempotency_key("w12:issued:2:shenyang.gas_company:email")
        );
        assert_eq!(key.len(), "tocsin-".len() + 32);
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn retry_helps_only_with_passing_trouble() {
        let endpoint = || "http://h/x".to_owned();
        let status = |status| SendError::Status {
            endpoint: endpoint(),
            status,
            excerpt: String::new(),
        };
        let table = [
            (
                SendError::Timeout {
                    endpoint: endpoint(),
                    millis: 5,
                },
                true,
                "send_timeout",
            ),
            (
                SendError::Connect {
                    endpoint: endpoint(),
                    detail: "refused".into(),
                },
                true,
                "send_unreachable",
            ),
            (status(500), true, "send_http_status"),
            (status(503), true, "send_http_status"),
            (status(429), true, "send_http_status"),
            (status(408), true, "send_http_status"),
            (status(400), false, "send_http_status"),
            (status(404), false, "send_http_status"),
            (
                SendError::Rejected {
                    endpoint: endpoint(),
                    detail: "bad template".into(),
                },
                false,
                "send_rejected",
            ),
            (
                SendError::Deferred {
                    endpoint: endpoint(),
                    detail: "421".into(),
                },
                true,
                "send_deferred",
            ),
            (
                SendError::NoAddress {
                    recipient: "d".into(),
                    channel: "sms",
                },
                false,
                "send_no_address",
            ),
            (
                SendError::Unusable("no smtp".into()),
                false,
                "send_unusable",
            ),
        ];
        for (error, retry, code) in table {
            assert_eq!(error.retryable(), retry, "{error}");
            assert_eq!(error.code(), code, "{error}");
        }
    }
}
