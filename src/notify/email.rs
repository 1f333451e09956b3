//! The e-mail channel: SMTP through `lettre` (plain `smtp://`, STARTTLS `smtp://...?tls=required`,
//! implicit TLS `smtps://`; credentials in the URL, which is a secret), a UTF-8 subject, a
//! plain-text and an HTML alternative, and `Message-ID: <idempotency-key@tocsin>` so a mailbox
//! can drop a message re-sent after a crash. SMTP 5xx is permanent, 4xx temporary.
//!
//! lettre verifies the server's certificate against the public roots; `ca_file:` adds the CA
//! certificates of a PEM file (a city's private CA, a test CA). A certificate that does not
//! verify fails the attempt with a `send_unreachable` error saying so and naming `ca_file`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::model::workflow::Channel as ChannelKind;

use super::address::AddressBook;
use super::channel::{Channel, Delivered, Outgoing, SendError};
use super::http::public_endpoint;
use super::settings::EmailSettings;

/// The `Message-ID` of a message.
pub fn message_id(idempotency_key: &str) -> String {
    format!("<{idempotency_key}@tocsin>")
}

/// The HTML alternative: the subject as a heading, the body as preformatted text, escaped.
pub fn html(subject: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0}</title></head>\
         <body><h1>{0}</h1><pre style=\"white-space:pre-wrap\">{1}</pre></body></html>",
        escape(subject),
        escape(body)
    )
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds the MIME message.
pub fn build(from: &str, to: &[String], msg: &Outgoing) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|error| SendError::Unusable(format!("bad From address `{from}`: {error}")))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(msg.subject.as_str())
        .message_id(Some(message_id(&msg.idempotency_key)));
    for address in to {
        let mailbox: Mailbox = address.parse().map_err(|error| SendError::Rejected {
            endpoint: "smtp".to_owned(),
            detail: format!("bad address `{address}`: {error}"),
        })?;
        builder = builder.to(mailbox);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            msg.body.clone(),
            html(&msg.subject, &msg.body),
        ))
        .map_err(|error| SendError::Unusable(format!("cannot build the message: {error}")))
}

/// The e-mail channel.
#[derive(Debug)]
pub struct EmailChannel {
    /// The SMTP transport (no pool: one connection per message).
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The From mailbox.
    from: String,
    /// The server, without credentials.
    endpoint: String,
    /// Recipient -> e-mail addresses.
    addresses: Arc<dyn AddressBook>,
}

/// How a connection URL secures the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://` without `tls=`: plain text.
    Plain,
    /// `smtp://...?tls=required`: STARTTLS, refused when the server does not offer it.
    StartTls,
    /// `smtp://...?tls=opportunistic`: STARTTLS when offered.
    Opportunistic,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// The TLS mode and host of an SMTP URL (the URL is a secret: errors never repeat it).
pub fn tls_mode(url: &str) -> Result<(TlsMode, String), SendError> {
    let bad = || SendError::Unusable("notify.email.url is not an SMTP URL".to_owned());
    let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
    let host = parsed.host_str().ok_or_else(bad)?.to_owned();
    let tls = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let mode = match (parsed.scheme(), tls.as_deref()) {
        ("smtp", None) => TlsMode::Plain,
        ("smtp", Some("required")) => TlsMode::StartTls,
        ("smtp", Some("opportunistic")) => TlsMode::Opportunistic,
        ("smtps", _) => TlsMode::Implicit,
        _ => return Err(bad()),
    };
    Ok((mode, host))
}

/// TLS parameters for `host` trusting the CA certificates of the PEM file `ca_file` besides the
/// public roots.
fn private_ca(host: &str, ca_file: &std::path::Path) -> Result<TlsParameters, SendError> {
    let shown = ca_file.display();
    let pem = std::fs::read(ca_file).map_err(|error| {
        SendError::Unusable(format!(
            "notify.email.ca_file `{shown}` cannot be read: {error}"
        ))
    })?;
    let no_pem = |detail: String| {
        SendError::Unusable(format!(
            "notify.email.ca_file `{shown}` holds no PEM certificate{detail}"
        ))
    };
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(no_pem(String::new()));
    }
    let certificate = Certificate::from_pem(&pem).map_err(|error| no_pem(format!(": {error}")))?;
    TlsParameters::builder(host.to_owned())
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|error| SendError::Unusable(format!("notify.email TLS settings: {error}")))
}

impl EmailChannel {
    /// A channel to the configured server; `timeout` bounds each SMTP command.
    pub fn new(
        settings: &EmailSettings,
        timeout: Duration,
        addresses: Arc<dyn AddressBook>,
    ) -> Result<Self, SendError> {
        let url = settings.url.expose();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| SendError::Unusable("notify.email.url is not an SMTP URL".to_owned()))?
            .timeout(Some(timeout));
        if let Some(ca_file) = &settings.ca_file {
            let (mode, host) = tls_mode(url)?;
            builder = match mode {
                TlsMode::Plain => {
                    return Err(SendError::Unusable(
                        "notify.email.ca_file needs a TLS URL (smtps:// or ?tls=required)"
                            .to_owned(),
                    ));
                }
                TlsMode::StartTls => builder.tls(Tls::Required(private_ca(&host, ca_file)?)),
                TlsMode::Opportunistic => {
                    builder.tls(Tls::Opportunistic(private_ca(&host, ca_file)?))
                }
                TlsMode::Implicit => builder.tls(Tls::Wrapper(private_ca(&host, ca_file)?)),
            };
        }
        let transport = builder.build();
        Ok(EmailChannel {
            transport,
            from: settings.from.clone(),
            endpoint: public_endpoint(settings.url.expose()),
            addresses,
        })
    }
}

/// An error with its causes, `: `-joined (lettre's own text leaves out the TLS reason).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Maps an SMTP failure.
fn smtp_error(endpoint: &str, error: &lettre::transport::smtp::Error) -> SendError {
    let endpoint = endpoint.to_owned();
    let detail = with_causes(error);
    if detail.contains("certificate") {
        return SendError::Connect {
            endpoint,
            detail: format!(
                "TLS: the server's certificate is not trusted ({detail}); \
                 trust its CA with notify.email.ca_file"
            ),
        };
    }
    if error.is_timeout() {
        SendError::Timeout {
            endpoint,
            millis: 0,
        }
    } else if error.is_permanent() {
        SendError::Rejected { endpoint, detail }
    } else if error.is_transient() {
        SendError::Deferred { endpoint, detail }
    } else {
        SendError::Connect { endpoint, detail }
    }
}

#[async_trait]
impl Channel for EmailChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError> {
        let to = self.addresses.addresses_of(msg, ChannelKind::Email);
        if to.is_empty() {
            return Err(SendError::NoAddress {
                recipient: msg.recipient.as_str().to_owned(),
                channel: "email",
            });
        }
        let message = build(&self.from, &to, msg)?;
        let response = self
            .transport
            .send(message)
            .await
            .map_err(|error| smtp_error(&self.endpoint, &error))?;
        let answer = response.message().collect::<Vec<_>>().join(" ");
        Ok(Delivered {
            endpoint: self.endpoint.clone(),
            provider_id: (!answer.is_empty()).then_some(answer),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Level, Timestamp};

    fn outgoing() -> Outgoing {
        Outgoing {
            id: 1,
            key: "w1:issued:1:gas:email".to_owned(),
            idempotency_key: "tocsin-0123".to_owned(),
            attempt: 1,
            warning: 1,
            recipient: "gas".into(),
            audience: crate::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
            level: Level::Orange,
            drill: false,
            reason: "issued".to_owned(),
            subject: "橙色预警：燃气泄漏 <A&B>".to_owned(),
            body: "浑南区 line 2".to_owned(),
            ack_link: None,
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn the_url_says_how_the_session_is_secured() {
        let table = [
            ("smtp://127.0.0.1:25", Some(TlsMode::Plain)),
            (
                "smtp://u:p@mail.city:587?tls=required",
                Some(TlsMode::StartTls),
            ),
            (
                "smtp://mail.city?tls=opportunistic",
                Some(TlsMode::Opportunistic),
            ),
            ("smtps://u:p@mail.city:465", Some(TlsMode::Implicit)),
            ("smtp://mail.city?tls=sometimes", None),
            ("http://mail.city", None),
            ("not a url", None),
        ];
        for (url, expected) in table {
            assert_eq!(tls_mode(url).ok().map(|(mode, _)| mode), expected, "{url}");
        }
        assert_eq!(
            tls_mode("smtps://u:p@mail.city:465").unwrap().1,
            "mail.city"
        );
        // the URL (a secret with credentials) never appears in the error
        let error = tls_mode("ftp://u:hunter2@x").unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn the_message_carries_the_stable_id_and_both_parts() {
        let message = build(
            "Tocsin <tocsin@city.example>",
            &["duty@gas.example".to_owned()],
            &outgoing(),
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("Message-ID: <tocsin-0123@tocsin>"), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("text/plain") && text.contains("text/html"),
            "{text}"
        );
        // the UTF-8 subject is encoded, never raw
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
    }

    #[test]
    fn bad_addresses_are_permanent_errors() {
        let error = build(
            "Tocsin <tocsin@city.example>",
            &["not an address".to_owned()],
            &outgoing(),
        )
        .unwrap_err();
        assert!(!error.retryable());
        assert_eq!(error.code(), "send_rejected");
        assert!(html("a<b", "x&y").contains("a&lt;b") && html("a", "x&y").contains("x&amp;y"));
    }
}
