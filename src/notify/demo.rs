//! Local receivers for `tocsin demo`, started inside the process so a new user sees messages
//! leave: a webhook sink (also the SMS gateway) and a minimal SMTP sink, both on loopback, each
//! writing what it receives to a directory (`tocsin-demo/outbox/`) and reporting one line per
//! delivery. [`start`] answers the `notify:` settings that point the worker at them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::settings::{NotifySettings, NotifySettingsError};

/// Called with one line per message received.
pub type Report = Arc<dyn Fn(String) + Send + Sync>;

/// The running sinks.
pub struct DemoSinks {
    /// Settings that deliver every channel to the sinks.
    pub settings: NotifySettings,
    /// The HTTP sink.
    http: JoinHandle<()>,
    /// The SMTP sink.
    smtp: JoinHandle<()>,
}

impl std::fmt::Debug for DemoSinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoSinks").finish_non_exhaustive()
    }
}

impl Drop for DemoSinks {
    fn drop(&mut self) {
        self.http.abort();
        self.smtp.abort();
    }
}

/// Why the sinks could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoSinkError {
    /// Creating the directory or binding a port failed.
    #[error("demo sinks: {0}")]
    Io(#[from] std::io::Error),
    /// The generated settings were refused (a bug).
    #[error("demo sinks: {0}")]
    Settings(#[from] NotifySettingsError),
}

/// What the HTTP sink shares between requests.
#[derive(Clone)]
struct Sink {
    /// Where files go.
    dir: PathBuf,
    /// Files written so far.
    count: Arc<AtomicU64>,
    /// The delivery lines.
    report: Report,
}

/// Starts both sinks writing into `dir` (created if missing).
pub async fn start(dir: &Path, report: Report) -> Result<DemoSinks, DemoSinkError> {
    tokio::fs::create_dir_all(dir).await?;
    let sink = Sink {
        dir: dir.to_path_buf(),
        count: Arc::new(AtomicU64::new(0)),
        report,
    };
    let http_listener = TcpListener::bind("127.0.0.1:0").await?;
    let http_port = http_listener.local_addr()?.port();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(webhook))
        .route("/sms", axum::routing::post(sms))
        .with_state(sink.clone());
    let http = tokio::spawn(async move {
        if let Err(error) = axum::serve(http_listener, app).await {
            tracing::warn!("demo webhook sink stopped: {error}");
        }
    });
    let smtp_listener = TcpListener::bind("127.0.0.1:0").await?;
    let smtp_port = smtp_listener.local_addr()?.port();
    let smtp = tokio::spawn(serve_smtp(smtp_listener, sink));
    let yaml = format!(
        "webhooks: {{demo: {{url: 'http://127.0.0.1:{http_port}/hook', \
         secret: 'whsec_{secret}'}}}}\n\
         email: {{url: 'smtp://127.0.0.1:{smtp_port}', from: 'Tocsin demo <tocsin@demo.invalid>'}}\n\
         sms: {{url: 'http://127.0.0.1:{http_port}/sms', \
         template: {{to: '{{{{phone}}}}', text: '{{{{text}}}}', out_id: '{{{{out_id}}}}'}}}}\n\
         addresses: {{default: {{webhook: [demo], email: [duty@demo.invalid], sms: ['13800000000']}}}}\n\
         poll_interval_ms: 200\n",
        secret = "ZGVtby1zaWduaW5nLWtleS1ub3QtYS1zZWNyZXQ="
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml)
        .map_err(|error| NotifySettingsError::Shape(error.to_string()))?;
    let settings = NotifySettings::from_yaml_with(&value, |_| None)?;
    Ok(DemoSinks {
        settings,
        http,
        smtp,
    })
}

impl Sink {
    /// Writes one received message and reports it.
    async fn keep(&self, kind: &str, extension: &str, bytes: &[u8], line: String) -> u64 {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let path = self.dir.join(format!("{n:04}-{kind}.{extension}"));
        if let Err(error) = tokio::fs::write(&path, bytes).await {
            tracing::warn!("demo sink cannot write {}: {error}", path.display());
        }
        (self.report)(format!("{kind:<7} {line} -> {}", path.display()));
        n
    }
}

/// The subject of a webhook or SMS body, for the report line.
fn subject_of(body: &[u8], pointer: &str) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer(pointer)
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// The webhook sink.
async fn webhook(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> String {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let line = format!("{id} {}", subject_of(&body, "/data/subject"));
    let n = sink.keep("webhook", "json", &body, line).await;
    format!("{{\"message_id\": \"demo-{n}\"}}")
}

/// The SMS gateway sink.
async fn sms(State(sink): State<Sink>, body: Bytes) -> String {
    let line = format!(
        "{} to {}",
        subject_of(&body, "/out_id"),
        subject_of(&body, "/to")
    );
    let n = sink.keep("sms", "json", &body, line).await;
    format!("{{\"message_id\": \"demo-{n}\"}}")
}

/// Accepts SMTP connections until aborted.
async fn serve_smtp(listener: TcpListener, sink: Sink) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let sink = sink.clone();
        tokio::spawn(async move {
            if let Err(error) = smtp_session(stream, sink).await {
                tracing::debug!("demo SMTP session ended: {error}");
            }
        });
    }
}

/// One SMTP session: just enough of RFC 5321 for a client that sends a message and quits.
async fn smtp_session(stream: tokio::net::TcpStream, sink: Sink) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 tocsin-demo ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => write.write_all(b"250 tocsin-demo\r\n").await?,
            "MAIL" | "RCPT" | "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut message = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let text = line.strip_prefix('.').unwrap_or(&line);
                    message.extend_from_slice(text.as_bytes());
                }
                let text = String::from_utf8_lossy(&message);
                let id = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Message-ID: "))
                    .unwrap_or("-")
                    .to_owned();
                let n = sink.keep("email", "eml", &message, id).await;
                write
                    .write_all(format!("250 OK queued as demo-{n}\r\n").as_bytes())
                    .await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"502 not implemented\r\n").await?,
        }
    }
}
