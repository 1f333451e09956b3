//! WeCom (企业微信) group robot (群机器人): no signature, the key is in the webhook URL
//! (`.../cgi-bin/webhook/send?key=KEY`); Tocsin sends `markdown` messages, whose content may be
//! at most 4096 bytes (UTF-8), or `text` (at most 2048 bytes).

use super::{HttpRequest, SignError};

/// Largest markdown content in bytes.
pub const MARKDOWN_MAX_BYTES: usize = 4096;
/// Largest text content in bytes.
pub const TEXT_MAX_BYTES: usize = 2048;

/// The webhook URL for robot `key` under `base` (`https://qyapi.weixin.qq.com`).
pub fn url(base: &str, key: &str) -> String {
    format!(
        "{}/cgi-bin/webhook/send?key={}",
        base.trim_end_matches('/'),
        super::pop::encode(key)
    )
}

/// A markdown message body, refused when longer than the robot accepts.
pub fn markdown_body(content: &str) -> Result<String, SignError> {
    if content.len() > MARKDOWN_MAX_BYTES {
        return Err(SignError::TooLong {
            bytes: content.len(),
            max: MARKDOWN_MAX_BYTES,
        });
    }
    Ok(
        serde_json::json!({ "msgtype": "markdown", "markdown": { "content": content } })
            .to_string(),
    )
}

/// A text message body `@`-mentioning `mentioned_mobiles`.
pub fn text_body(content: &str, mentioned_mobiles: &[String]) -> Result<String, SignError> {
    if content.len() > TEXT_MAX_BYTES {
        return Err(SignError::TooLong {
            bytes: content.len(),
            max: TEXT_MAX_BYTES,
        });
    }
    Ok(serde_json::json!({
        "msgtype": "text",
        "text": { "content": content, "mentioned_mobile_list": mentioned_mobiles },
    })
    .to_string())
}

/// The markdown request to the robot at `webhook_url`.
pub fn markdown_request(webhook_url: &str, content: &str) -> Result<HttpRequest, SignError> {
    Ok(HttpRequest {
        method: "POST",
        url: webhook_url.to_owned(),
        headers: vec![(
            "Content-Type".to_owned(),
            "application/json; charset=utf-8".to_owned(),
        )],
        body: markdown_body(content)?,
    })
}

/// Markdown for a warning: a coloured level line, then `key: value` lines (WeCom markdown
/// supports `<font color="warning|info|comment">`).
pub fn warning_markdown(title: &str, level_word: &str, lines: &[(String, String)]) -> String {
    let colour = match level_word {
        "红色" | "橙色" | "red" | "orange" => "warning",
        _ => "info",
    };
    let mut out = format!("## {title}\n<font color=\"{colour}\">{level_word}</font>\n");
    for (key, value) in lines {
        out.push_str(&format!("> {key}: {value}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_carries_the_key() {
        assert_eq!(
            url("https://qyapi.weixin.qq.com/", "693a91f6-7xxx"),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
        );
    }

    #[test]
    fn markdown_body_is_the_documented_shape_and_bounded() {
        let content = warning_markdown(
            "燃气泄漏预警",
            "橙色",
            &[("位置".to_owned(), "和平区 南京街".to_owned())],
        );
        assert_eq!(
            content,
            "## 燃气泄漏预警\n<font color=\"warning\">橙色</font>\n> 位置: 和平区 南京街\n"
        );
        let body: serde_json::Value =
            serde_json::from_str(&markdown_body(&content).expect("fits")).expect("json");
        assert_eq!(body["msgtype"], "markdown");
        assert_eq!(body["markdown"]["content"], content.as_str());
        // 1366 three-byte characters = 4098 bytes: one over.
        let long = "警".repeat(1366);
        assert_eq!(
            markdown_body(&long).expect_err("too long").code(),
            "message_too_long"
        );
        assert!(markdown_body(&"警".repeat(1365)).is_ok());
        let text: serde_json::Value =
            serde_json::from_str(&text_body("t", &["13711112222".to_owned()]).expect("fits"))
                .expect("json");
        assert_eq!(text["text"]["mentioned_mobile_list"][0], "13711112222");
    }
}
