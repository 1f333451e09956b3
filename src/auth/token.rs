//! API token material: a new token is 32 random bytes from the operating system's generator,
//! written as `tcs_` and 64 hex digits. It is shown once, when created; the store keeps only its
//! SHA-256 (hex) and its first characters, to tell tokens apart in lists and in the audit log.
//!
//! A request's token is found by looking its hash up in the store (or the in-memory cache of
//! [`super::Authenticator`]), never by comparing secrets, so a constant-time comparison is moot:
//! what is compared is the hash, which an attacker cannot steer byte by byte.

use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::storage::NewToken;

/// What every token starts with (so a leaked one is recognisable by secret scanners).
pub const MARKER: &str = "tcs_";

/// Random bytes in a token.
pub const RANDOM_BYTES: usize = 32;

/// Length of a token: the marker and two hex digits per random byte.
pub const LENGTH: usize = MARKER.len() + 2 * RANDOM_BYTES;

/// Length of the displayed prefix: the marker and 8 hex digits (32 of the 256 random bits).
pub const PREFIX_LENGTH: usize = MARKER.len() + 8;

/// A token just created: the secret (to show once) and what the store keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token itself; never stored, never logged.
    pub secret: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// The first [`PREFIX_LENGTH`] characters.
    pub prefix: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("secret", &"<redacted>")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl IssuedToken {
    /// A new random token.
    pub fn generate() -> IssuedToken {
        let mut bytes = [0u8; RANDOM_BYTES];
        OsRng.fill_bytes(&mut bytes);
        let secret = format!("{MARKER}{}", hex::encode(bytes));
        IssuedToken {
            hash: hash(&secret),
            prefix: secret[..PREFIX_LENGTH].to_owned(),
            secret,
        }
    }

    /// What the store keeps of it.
    pub fn to_new(&self) -> NewToken {
        NewToken {
            hash: self.hash.clone(),
            prefix: self.prefix.clone(),
        }
    }
}

/// SHA-256 of a token, lower-case hex: the store's lookup key.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The displayed prefix of a presented token, for the audit log of a refusal: only when the token
/// has the shape of ours, so a short or foreign secret is never written down whole or in part.
pub fn prefix_of(presented: &str) -> Option<&str> {
    (presented.len() == LENGTH && presented.starts_with(MARKER) && presented.is_ascii())
        .then(|| &presented[..PREFIX_LENGTH])
}

/// Why an `Authorization` header carries no usable token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerProblem {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <token>` (another scheme, empty, not text).
    Malformed,
}

impl BearerProblem {
    /// Stable reason recorded with the refusal.
    pub const fn reason(self) -> &'static str {
        match self {
            BearerProblem::Missing => "missing_token",
            BearerProblem::Malformed => "malformed_authorization",
        }
    }

    /// For people.
    pub const fn message(self) -> &'static str {
        match self {
            BearerProblem::Missing => "missing bearer token: send `Authorization: Bearer <token>`",
            BearerProblem::Malformed => {
                "malformed `Authorization` header: expected `Bearer <token>`"
            }
        }
    }
}

/// The token of an `Authorization` header value (`Bearer <token>`; the scheme is
/// case-insensitive, RFC 7235).
pub fn bearer(header: Option<&[u8]>) -> Result<&str, BearerProblem> {
    let header = header.ok_or(BearerProblem::Missing)?;
    let text = std::str::from_utf8(header).map_err(|_| BearerProblem::Malformed)?;
    let (scheme, token) = text
        .trim()
        .split_once(' ')
        .ok_or(BearerProblem::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(BearerProblem::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let one = IssuedToken::generate();
        let two = IssuedToken::generate();
        assert_ne!(one.secret, two.secret);
        assert_eq!(one.secret.len(), LENGTH);
        assert!(one.secret.starts_with(MARKER));
        assert!(
            one.secret[MARKER.len()..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit())
        );
        assert_eq!(one.hash, hash(&one.secret));
        assert_eq!(one.hash.len(), 64);
        assert_eq!(one.prefix, &one.secret[..PREFIX_LENGTH]);
        assert!(!format!("{one:?}").contains(&one.secret));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn prefixes_are_only_taken_from_our_tokens() {
        let token = IssuedToken::generate();
        assert_eq!(prefix_of(&token.secret), Some(token.prefix.as_str()));
        assert_eq!(prefix_of("tcs_short"), None);
        assert_eq!(prefix_of(&"x".repeat(LENGTH)), None);
    }

    #[test]
    fn bearer_headers_are_parsed() {
        assert_eq!(bearer(Some(b"Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some(b"bearer  abc ")), Ok("abc"));
        assert_eq!(bearer(None), Err(BearerProblem::Missing));
        for bad in [
            &b"Basic abc"[..],
            b"Bearer",
            b"Bearer ",
            b"Bearer a b",
            b"abc",
            b"Bearer \xff",
        ] {
            assert_eq!(bearer(Some(bad)), Err(BearerProblem::Malformed), "{bad:?}");
        }
    }
}
