//! Generic JSON webhooks signed as the Standard Webhooks convention: headers `webhook-id` (the
//! idempotency key), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64
//! HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed by the base64-decoded part of a
//! `whsec_...` secret.

use super::crypto::{base64, base64_decode, hmac_sha256};
use super::{HttpRequest, SignError};

/// The key bytes of `secret` (`whsec_<base64>`; a secret without the prefix is read as base64).
pub fn key(secret: &str) -> Result<Vec<u8>, SignError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64_decode(encoded).ok_or(SignError::BadSecret)
}

/// The `webhook-signature` value for one message.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, SignError> {
    let key = key(secret)?;
    let content = format!("{id}.{timestamp}.{body}");
    Ok(format!(
        "v1,{}",
        base64(&hmac_sha256(&key, content.as_bytes()))
    ))
}

/// The three headers for one message, in the convention's order.
pub fn headers(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<Vec<(String, String)>, SignError> {
    Ok(vec![
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        (
            "webhook-signature".to_owned(),
            signature(secret, id, timestamp, body)?,
        ),
    ])
}

/// The complete signed JSON POST to `url`.
pub fn request(
    url: &str,
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<HttpRequest, SignError> {
    let mut all = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    all.extend(headers(secret, id, timestamp, body)?);
    Ok(HttpRequest {
        method: "POST",
        url: url.to_owned(),
        headers: all,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's own test vector.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;

    #[test]
    fn reproduces_the_specification_test_vector() {
        assert_eq!(
            signature(SECRET, ID, TIMESTAMP, BODY).expect("signs"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        // The prefix is optional.
        assert_eq!(
            signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID, TIMESTAMP, BODY).expect("signs"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn any_change_changes_the_signature() {
        let base = signature(SECRET, ID, TIMESTAMP, BODY).expect("signs");
        for other in [
            signature(SECRET, "msg_other", TIMESTAMP, BODY),
            signature(SECRET, ID, TIMESTAMP + 1, BODY),
            signature(SECRET, ID, TIMESTAMP, r#"{"test": 2432232315}"#),
        ] {
            assert_ne!(other.expect("signs"), base);
        }
    }

    #[test]
    fn request_carries_the_three_headers_and_refuses_a_bad_secret() {
        let request =
            request("http://127.0.0.1:9/hook", SECRET, ID, TIMESTAMP, BODY).expect("builds");
        assert_eq!(request.header("webhook-id"), Some(ID));
        assert_eq!(request.header("webhook-timestamp"), Some("1614265330"));
        assert!(request.header("webhook-signature").is_some());
        assert_eq!(
            signature("whsec_not base64!", ID, TIMESTAMP, BODY)
                .expect_err("bad")
                .code(),
            "bad_secret"
        );
    }
}
