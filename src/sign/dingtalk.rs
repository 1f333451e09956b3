//! DingTalk custom robot (自定义机器人) with the "加签" security setting: the webhook URL gets
//! `&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret)))>`;
//! the body is a `text` or `markdown` message.

use super::HttpRequest;
use super::crypto::{base64, hmac_sha256};
use super::pop::encode;

/// The `sign` parameter for `timestamp_ms`, URL-encoded.
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let string_to_sign = format!("{timestamp_ms}\n{secret}");
    encode(&base64(&hmac_sha256(
        secret.as_bytes(),
        string_to_sign.as_bytes(),
    )))
}

/// `webhook` (which already carries `?access_token=...`) with the timestamp and signature.
pub fn signed_url(webhook: &str, secret: &str, timestamp_ms: i64) -> String {
    let separator = if webhook.contains('?') { '&' } else { '?' };
    format!(
        "{webhook}{separator}timestamp={timestamp_ms}&sign={}",
        sign(secret, timestamp_ms)
    )
}

/// What the robot posts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// Plain text.
    Text(&'a str),
    /// Markdown with the title shown in the conversation list.
    Markdown {
        /// Title in the conversation list.
        title: &'a str,
        /// Markdown text.
        text: &'a str,
    },
}

/// The JSON body of `message`, `@`-mentioning `at_mobiles`.
pub fn body(message: &Message<'_>, at_mobiles: &[String]) -> String {
    let at = serde_json::json!({ "atMobiles": at_mobiles, "isAtAll": false });
    match message {
        Message::Text(content) => serde_json::json!({
            "msgtype": "text",
            "text": { "content": content },
            "at": at,
        }),
        Message::Markdown { title, text } => serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "title": title, "text": text },
            "at": at,
        }),
    }
    .to_string()
}

/// The complete request; `secret` is `None` for a robot without 加签.
pub fn request(
    webhook: &str,
    secret: Option<&str>,
    timestamp_ms: i64,
    message: &Message<'_>,
    at_mobiles: &[String],
) -> HttpRequest {
    let url = match secret {
        Some(secret) => signed_url(webhook, secret, timestamp_ms),
        None => webhook.to_owned(),
    };
    HttpRequest {
        method: "POST",
        url,
        headers: vec![(
            "Content-Type".to_owned(),
            "application/json; charset=utf-8".to_owned(),
        )],
        body: body(message, at_mobiles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "SECb6a0a1e1f7c1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7";

    /// DingTalk's page gives the algorithm and sample code but no published signature value; the
    /// expected value was computed independently with the page's own Python recipe:
    /// `urllib.parse.quote_plus(base64.b64encode(hmac.new(secret, f"{ts}\n{secret}", sha256).digest()))`.
    #[test]
    fn sign_matches_an_independent_implementation() {
        assert_eq!(
            sign(SECRET, 1_577_262_236_757),
            "1ZdxV1o%2FKg5qggiaWGNcZgRxvAwX46H3u7I9xduRwgk%3D"
        );
    }

    #[test]
    fn signed_url_appends_timestamp_and_sign() {
        let url = signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            SECRET,
            1_577_262_236_757,
        );
        assert_eq!(
            url,
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1577262236757&sign=1ZdxV1o%2FKg5qggiaWGNcZgRxvAwX46H3u7I9xduRwgk%3D"
        );
    }

    #[test]
    fn bodies_are_the_documented_shapes() {
        let text: serde_json::Value = serde_json::from_str(&body(
            &Message::Text("【演练】橙色预警"),
            &["13711112222".to_owned()],
        ))
        .expect("json");
        assert_eq!(text["msgtype"], "text");
        assert_eq!(text["text"]["content"], "【演练】橙色预警");
        assert_eq!(text["at"]["atMobiles"][0], "13711112222");
        let markdown: serde_json::Value = serde_json::from_str(&body(
            &Message::Markdown {
                title: "橙色预警",
                text: "### 橙色预警\n> 和平区",
            },
            &[],
        ))
        .expect("json");
        assert_eq!(markdown["markdown"]["title"], "橙色预警");
        let unsigned = request(
            "https://x/robot/send?access_token=a",
            None,
            1,
            &Message::Text("t"),
            &[],
        );
        assert_eq!(unsigned.url, "https://x/robot/send?access_token=a");
    }
}
