//! Acknowledgment links (确认链接): a signed, expiring, single-use token carried in every message,
//! so the person who received it can acknowledge (签收) the warning from the message itself
//! (`GET /ack/{token}` shows a confirmation page, `POST /ack/{token}` acknowledges; see
//! `crate::api::ack`).
//!
//! A token is `base64url(payload) "." base64url(mac)`: the payload is
//! `v1:{outbox}:{warning}:{expires_at_ms}:{person}` (the person last, so it may hold any
//! character), the MAC the first 16 bytes of HMAC-SHA256 of the payload text under the server's
//! acknowledgment key. Checking a token ([`verify`]) is a pure function of the token, the key and
//! the clock time; single use is the store's (`storage::AckStore`), keyed by [`digest`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::model::Timestamp;
use crate::storage::{AckStore, StoreError};

use super::settings::AckSettings;

/// Bytes of the HMAC kept in a token (128 bits).
const MAC_BYTES: usize = 16;

/// The payload version tag.
const VERSION: &str = "v1";

/// What a token says: which message, which warning, for whom, until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckClaim {
    /// The outbox row the link was sent with.
    pub outbox: i64,
    /// The warning to acknowledge.
    pub warning: i64,
    /// Who the link is for: the recipient (a department id, or a person of the contacts).
    pub person: String,
    /// Clock time after which the link no longer works.
    pub expires_at: Timestamp,
}

/// Why a token is refused. Each has a stable code shown on the page and in JSON answers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// Not a token of this server: malformed, or the signature does not match.
    #[error("this acknowledgment link is not valid (altered or incomplete)")]
    Invalid,
    /// Past its expiry.
    #[error("this acknowledgment link expired at {0}")]
    Expired(String),
    /// Already used once.
    #[error("this acknowledgment link was already used")]
    Used,
}

impl AckError {
    /// The stable code (`docs/errors/`).
    pub const fn code(&self) -> &'static str {
        match self {
            AckError::Invalid => "ack_link_invalid",
            AckError::Expired(_) => "ack_link_expired",
            AckError::Used => "ack_link_used",
        }
    }
}

/// The payload text of a claim.
fn payload(claim: &AckClaim) -> String {
    format!(
        "{VERSION}:{}:{}:{}:{}",
        claim.outbox,
        claim.warning,
        claim.expires_at.millis(),
        claim.person
    )
}

/// The truncated HMAC-SHA256 of `text` under `key`.
fn mac(key: &[u8], text: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(text);
    mac.finalize().into_bytes()[..MAC_BYTES].to_vec()
}

/// The token of `claim` under `key`.
pub fn sign(key: &[u8], claim: &AckClaim) -> String {
    let text = payload(claim);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(text.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac(key, text.as_bytes()))
    )
}

/// Reads a token's claim after checking its signature, without looking at the time (the page
/// of an expired link still says what it was for).
pub fn open(key: &[u8], token: &str) -> Result<AckClaim, AckError> {
    let (body, tag) = token.split_once('.').ok_or(AckError::Invalid)?;
    let text = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| AckError::Invalid)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| AckError::Invalid)?;
    let mut check = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    check.update(&text);
    // Constant-time comparison of the truncated tag.
    check
        .verify_truncated_left(&tag)
        .map_err(|_| AckError::Invalid)?;
    if tag.len() != MAC_BYTES {
        return Err(AckError::Invalid);
    }
    let text = String::from_utf8(text).map_err(|_| AckError::Invalid)?;
    let mut parts = text.splitn(5, ':');
    let (Some(VERSION), Some(outbox), Some(warning), Some(expires), Some(person)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(AckError::Invalid);
    };
    let number = |s: &str| s.parse::<i64>().map_err(|_| AckError::Invalid);
    Ok(AckClaim {
        outbox: number(outbox)?,
        warning: number(warning)?,
        expires_at: Timestamp(number(expires)?),
        person: person.to_owned(),
    })
}

/// Checks a token's signature and expiry at `now`: the claim, or why it is refused. Whether it
/// was used already is the store's to say.
pub fn verify(key: &[u8], token: &str, now: Timestamp) -> Result<AckClaim, AckError> {
    let claim = open(key, token)?;
    if now > claim.expires_at {
        return Err(AckError::Expired(claim.expires_at.to_rfc3339()));
    }
    Ok(claim)
}

/// The key under which a token is remembered as used: hex SHA-256 of the token text.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The link for `token` under the public base URL (`https://tocsin.city.example`):
/// `{base}/ack/{token}`.
pub fn link(public_url: &str, token: &str) -> String {
    format!("{}/ack/{token}", public_url.trim_end_matches('/'))
}

/// The base of links when neither `notify.public_url` nor the runtime's listen address says.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// A message text with its acknowledgment link as the last line.
pub fn with_link(body: &str, link: &str) -> String {
    format!("{body}\n确认签收 Acknowledge: {link}")
}

/// A message text without the acknowledgment-link line [`with_link`] added (for channels
/// that carry the link as a parameter of its own, so length rules never cut it).
pub fn without_link<'a>(body: &'a str, link: Option<&str>) -> &'a str {
    link.and_then(|link| body.strip_suffix(&with_link("", link)))
        .unwrap_or(body)
}

/// A fresh random key (32 bytes, hex), for a server whose settings name none.
pub fn generate_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The key a server signs and checks links with: the settings' `ack.secret` when given, else
/// the one kept in the store (generated by the first process that needed it).
pub async fn key(
    settings: &AckSettings,
    store: &(dyn AckStore + Send + Sync),
    now: Timestamp,
) -> Result<Vec<u8>, StoreError> {
    match &settings.secret {
        Some(secret) => Ok(secret.expose().as_bytes().to_vec()),
        None => Ok(store.ack_key(&generate_key(), now).await?.into_bytes()),
    }
}

/// What the delivery worker needs to put a link in a message.
#[derive(Clone)]
pub struct AckLinks {
    /// The signing key.
    key: Vec<u8>,
    /// How long a link works after its message is sent.
    ttl: std::time::Duration,
    /// The base URL of links.
    public_url: String,
}

impl std::fmt::Debug for AckLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckLinks")
            .field("key", &"[redacted]")
            .field("ttl", &self.ttl)
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl AckLinks {
    /// Links signed with `key`, working for `ttl`, under `public_url`.
    pub fn new(key: Vec<u8>, ttl: std::time::Duration, public_url: &str) -> Self {
        AckLinks {
            key,
            ttl,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The link of a message: outbox row `outbox` about `warning`, for `person`, sent at `at`
    /// (works until `at` + ttl).
    pub fn link(&self, outbox: i64, warning: i64, person: &str, at: Timestamp) -> String {
        let claim = AckClaim {
            outbox,
            warning,
            person: person.to_owned(),
            expires_at: at.plus(self.ttl),
        };
        link(&self.public_url, &sign(&self.key, &claim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-ack-key";

    fn claim() -> AckClaim {
        AckClaim {
            outbox: 42,
            warning: 7,
            person: "shenyang.gas_company".to_owned(),
            expires_at: Timestamp(1_000_000),
        }
    }

    #[test]
    fn a_signed_token_opens_to_its_claim() {
        let token = sign(KEY, &claim());
        assert_eq!(verify(KEY, &token, Timestamp(999_999)), Ok(claim()));
        assert_eq!(verify(KEY, &token, Timestamp(1_000_000)), Ok(claim()));
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{token}"
        );
    }

    #[test]
    fn a_person_with_colons_and_dots_round_trips() {
        let mut odd = claim();
        odd.person = "a:b.c 张三".to_owned();
        assert_eq!(verify(KEY, &sign(KEY, &odd), Timestamp(0)), Ok(odd));
    }

    #[test]
    fn refusals_by_table() {
        let token = sign(KEY, &claim());
        let (body, tag) = token.split_once('.').unwrap();
        let mut other = claim();
        other.warning = 8;
        let forged_body = URL_SAFE_NO_PAD.encode(payload(&other));
        let mut flipped = tag.as_bytes().to_vec();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let table: Vec<(String, &[u8], i64, &str)> = vec![
            (token.clone(), KEY, 1_000_001, "ack_link_expired"),
            (token.clone(), b"other-key", 0, "ack_link_invalid"),
            (format!("{forged_body}.{tag}"), KEY, 0, "ack_link_invalid"),
            (format!("{body}.{flipped}"), KEY, 0, "ack_link_invalid"),
            (body.to_owned(), KEY, 0, "ack_link_invalid"),
            (format!("{body}."), KEY, 0, "ack_link_invalid"),
            (format!("{body}.{}", &tag[..10]), KEY, 0, "ack_link_invalid"),
            ("".to_owned(), KEY, 0, "ack_link_invalid"),
            ("!!.!!".to_owned(), KEY, 0, "ack_link_invalid"),
        ];
        for (token, key, now, code) in table {
            let got = verify(key, &token, Timestamp(now));
            assert_eq!(got.map_err(|e| e.code()), Err(code), "{token}");
        }
    }

    #[test]
    fn a_well_signed_payload_of_another_shape_is_refused() {
        let text = "v2:1:2:3:x";
        let token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(text),
            URL_SAFE_NO_PAD.encode(mac(KEY, text.as_bytes()))
        );
        assert_eq!(open(KEY, &token), Err(AckError::Invalid));
    }

    #[test]
    fn links_and_digests() {
        assert_eq!(link("http://h:8080/", "t.u"), "http://h:8080/ack/t.u");
        assert_eq!(link("http://h:8080", "t.u"), "http://h:8080/ack/t.u");
        assert_eq!(digest("a"), digest("a"));
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(digest("a").len(), 64);
        assert_ne!(generate_key(), generate_key());
        let body = with_link("正文", "http://h/ack/t");
        assert!(body.ends_with("http://h/ack/t"));
        assert_eq!(without_link(&body, Some("http://h/ack/t")), "正文");
        assert_eq!(without_link(&body, None), body);
        assert_eq!(without_link("正文", Some("http://h/ack/t")), "正文");
    }
}
