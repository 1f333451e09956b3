//! What the HTTP channels (webhook, SMS gateway) share: one client, endpoints written without
//! credentials, answers read with a size cap (a 10 MB answer is never buffered whole), and the
//! mapping of transport failures to [`SendError`].

use std::time::Duration;

use super::channel::SendError;

/// Most bytes of an answer read (the rest is dropped unread).
pub const ANSWER_CAP: usize = 64 * 1024;

/// Most characters of an answer quoted in an error.
const EXCERPT: usize = 200;

/// The client all HTTP channels use. The attempt timeout is applied by the worker; this one only
/// bounds connecting.
pub fn client() -> Result<reqwest::Client, SendError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| SendError::Unusable(format!("cannot build the HTTP client: {error}")))
}

/// A URL fit for the attempt record: scheme, host, port and path; no user, password or query
/// (robots carry tokens there).
pub fn public_endpoint(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("?");
            match parsed.port() {
                Some(port) => format!("{}://{host}:{port}{}", parsed.scheme(), parsed.path()),
                None => format!("{}://{host}{}", parsed.scheme(), parsed.path()),
            }
        }
        Err(_) => "(unparsable url)".to_owned(),
    }
}

/// Maps a transport error.
pub fn transport_error(endpoint: &str, error: &reqwest::Error) -> SendError {
    if error.is_timeout() {
        SendError::Timeout {
            endpoint: endpoint.to_owned(),
            millis: 0,
        }
    } else if error.is_builder() {
        SendError::Unusable(format!(
            "bad request to {endpoint}: {}",
            strip_urls(&error.to_string())
        ))
    } else {
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            detail.push_str(": ");
            detail.push_str(&inner.to_string());
            source = inner.source();
        }
        // never echo a URL with its token
        SendError::Connect {
            endpoint: endpoint.to_owned(),
            detail: strip_urls(&detail),
        }
    }
}

/// Removes anything that looks like a URL from an error text.
fn strip_urls(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.contains("://") { "(url)" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads at most `cap` bytes of an answer's body; returns them and whether more was left.
pub async fn read_capped(
    endpoint: &str,
    mut response: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), SendError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Ok((body, true));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((body, false)),
            Err(error) => return Err(transport_error(endpoint, &error)),
        }
    }
}

/// The start of an answer, for an error.
pub fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(EXCERPT)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_lose_credentials_and_queries() {
        let table = [
            (
                "https://user:pw@hook.example/robot/send?access_token=T",
                "https://hook.example/robot/send",
            ),
            ("http://127.0.0.1:8080/h", "http://127.0.0.1:8080/h"),
            ("not a url", "(unparsable url)"),
        ];
        for (url, expected) in table {
            assert_eq!(public_endpoint(url), expected);
        }
        assert_eq!(
            strip_urls("error sending request for url (http://h/?token=T) refused"),
            "error sending request for url (url) refused"
        );
    }
}
