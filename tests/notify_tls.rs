//! The e-mail channel over TLS against a real SMTP server (aiosmtpd, tests/receivers/
//! smtp_receiver.py): STARTTLS (`smtp://...?tls=required`) and implicit TLS (`smtps://`), each
//! with authentication (AUTH PLAIN and AUTH LOGIN over the encrypted session), the server's
//! certificate issued at test time by a test CA made with the `openssl` command line and trusted
//! through `notify.email.ca_file`; a certificate from a CA nobody trusts is refused with a clear
//! error, and so is a wrong password. Without python3 + aiosmtpd or openssl the tests fail under
//! `CI=true` and otherwise print `skipped: ...` and pass.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tocsin::model::{Level, Timestamp};
use tocsin::notify::email::EmailChannel;
use tocsin::notify::{
    Channel as _, NotifySettings, Outgoing, SendError, SettingsAddressBook, idempotency_key,
};

/// Reports a missing tool: a failure under `CI=true`, else a skip.
fn missing(what: &str) {
    let message = format!("{what} is not available");
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{message} (CI=true, so this is a failure)");
    }
    eprintln!("skipped: {message}");
}

/// Whether `program args` runs and succeeds.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A CA and a server certificate for 127.0.0.1 that it signed, in `dir`.
struct Pki {
    /// The CA certificate (PEM).
    ca: PathBuf,
    /// The server certificate (PEM).
    cert: PathBuf,
    /// The server key (PEM).
    key: PathBuf,
}

/// Makes a CA named `name` and a server certificate signed by it, with `openssl`.
fn pki(dir: &Path, name: &str) -> Pki {
    let path = |file: &str| dir.join(format!("{name}-{file}"));
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let (ca_key, ca, key, csr, cert, ext) = (
        path("ca.key"),
        path("ca.pem"),
        path("server.key"),
        path("server.csr"),
        path("server.pem"),
        path("ext.cnf"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN=Tocsin test CA {name}"),
        "-keyout",
        &s(&ca_key),
        "-out",
        &s(&ca),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &s(&key),
        "-out",
        &s(&csr),
    ]);
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-extfile",
        &s(&ext),
        "-out",
        &s(&cert),
    ]);
    Pki { ca, cert, key }
}

/// A running SMTP server; killed when dropped.
struct Server {
    /// The child process.
    child: Child,
    /// Its port on 127.0.0.1.
    port: u16,
    /// Where it writes what it received (and the certificates).
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The envelopes (`{from, to, tls, login, mechanism}`) received, in order.
    fn envelopes(&self) -> Vec<serde_json::Value> {
        (1..)
            .map(|n| self.dir.path().join("mail").join(format!("{n}.json")))
            .take_while(|path| path.exists())
            .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
            .collect()
    }

    /// The first message received, as MIME text.
    fn first_mail(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mail").join("1.eml")).unwrap()
    }
}

/// The tools are here (else reported as missing).
fn tools() -> bool {
    if !runs("python3", &["-c", "import aiosmtpd, ssl"]) {
        missing("python3 with aiosmtpd (pip install aiosmtpd)");
        return false;
    }
    if !runs("openssl", &["version"]) {
        missing("the openssl command");
        return false;
    }
    true
}

/// Starts the SMTP server with TLS `tls` (`starttls`, `implicit`) on a certificate of a fresh
/// CA, with `extra` options; returns it and the CA.
fn server(tls: &str, extra: &[&str]) -> (Server, Pki) {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path(), "trusted");
    let mail = dir.path().join("mail");
    std::fs::create_dir(&mail).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/receivers/smtp_receiver.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(&mail)
        .arg("accept")
        .arg(format!("tls={tls}"))
        .arg(format!("cert={}", pki.cert.display()))
        .arg(format!("key={}", pki.key.display()))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("receiver said `{line}` instead of its port"));
    (Server { child, port, dir }, pki)
}

/// The e-mail channel of `url`, trusting `ca_file` when given.
fn channel(url: &str, ca_file: Option<&Path>) -> EmailChannel {
    let ca = ca_file.map_or_else(String::new, |p| format!(", ca_file: '{}'", p.display()));
    let yaml = format!(
        "email: {{url: '{url}', from: 'Tocsin 预警 <tocsin@city.example>'{ca}}}\n\
         addresses: {{default: {{email: ['duty@gas.example']}}}}\n"
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
    let settings = NotifySettings::from_yaml_with(&value, |_| None).unwrap();
    let book = Arc::new(SettingsAddressBook::new(&settings));
    EmailChannel::new(
        settings.email.as_ref().unwrap(),
        Duration::from_secs(10),
        book,
    )
    .unwrap()
}

fn outgoing(key: &str) -> Outgoing {
    Outgoing {
        id: 1,
        key: key.to_owned(),
        idempotency_key: idempotency_key(key),
        attempt: 1,
        warning: 7,
        recipient: "shenyang.gas_company".into(),
        audience: "department_duty_leader".to_owned(),
        level: Level::Red,
        drill: false,
        reason: "issued".to_owned(),
        subject: "红色预警：燃气泄漏".to_owned(),
        body: "和平区 北市场 燃气管线压力超限，请立即处置。".to_owned(),
        created_at: Timestamp(0),
        ack_link: None,
    }
}

/// Sends over `tls` with `user:pass` in the URL against a server offering `mechanisms`, and
/// checks the message arrived encrypted and authenticated with the expected mechanism.
async fn sends_encrypted_and_authenticated(tls: &str, mechanisms: &str, expected: &str) {
    if !tools() {
        return;
    }
    let (server, pki) = server(
        tls,
        &["auth=tocsin:s3cret", &format!("mechanisms={mechanisms}")],
    );
    let url = match tls {
        "implicit" => format!("smtps://tocsin:s3cret@127.0.0.1:{}", server.port),
        _ => format!(
            "smtp://tocsin:s3cret@127.0.0.1:{}?tls=required",
            server.port
        ),
    };
    let key = format!("w7:issued:0:gas:{tls}:{mechanisms}:email");
    let delivered = channel(&url, Some(&pki.ca))
        .send(&outgoing(&key))
        .await
        .unwrap_or_else(|error| panic!("{tls} {mechanisms}: {error}"));
    assert!(
        delivered.endpoint.contains(&server.port.to_string()),
        "{}",
        delivered.endpoint
    );
    assert!(
        !delivered.endpoint.contains("s3cret"),
        "{}",
        delivered.endpoint
    );
    let envelopes = server.envelopes();
    assert_eq!(envelopes.len(), 1, "{envelopes:?}");
    assert_eq!(envelopes[0]["tls"], true, "{envelopes:?}");
    assert_eq!(envelopes[0]["login"], "tocsin", "{envelopes:?}");
    assert_eq!(envelopes[0]["mechanism"], expected, "{envelopes:?}");
    assert_eq!(envelopes[0]["to"][0], "duty@gas.example");
    let mail = server.first_mail();
    assert!(
        mail.contains(&format!("Message-ID: <{}@tocsin>", idempotency_key(&key))),
        "{mail}"
    );
}

#[tokio::test]
async fn starttls_with_auth_plain() {
    sends_encrypted_and_authenticated("starttls", "PLAIN,LOGIN", "PLAIN").await;
}

#[tokio::test]
async fn starttls_with_auth_login() {
    sends_encrypted_and_authenticated("starttls", "LOGIN", "LOGIN").await;
}

#[tokio::test]
async fn implicit_tls_with_auth_plain() {
    sends_encrypted_and_authenticated("implicit", "PLAIN,LOGIN", "PLAIN").await;
}

#[tokio::test]
async fn implicit_tls_with_auth_login() {
    sends_encrypted_and_authenticated("implicit", "LOGIN", "LOGIN").await;
}

#[tokio::test]
async fn a_certificate_nobody_trusts_is_refused_with_a_clear_error() {
    if !tools() {
        return;
    }
    let (server, _) = server("implicit", &[]);
    let other = tempfile::tempdir().unwrap();
    let stranger = pki(other.path(), "stranger");
    let url = format!("smtps://127.0.0.1:{}", server.port);
    // the public roots only, then a CA file of another CA: both refuse the server's certificate
    for ca in [None, Some(stranger.ca.as_path())] {
        let error = channel(&url, ca)
            .send(&outgoing("w7:issued:0:gas:stranger:email"))
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, SendError::Connect { .. }),
            "{ca:?}: {error:?}"
        );
        assert_eq!(error.code(), "send_unreachable");
        assert!(
            text.contains("certificate is not trusted") && text.contains("ca_file"),
            "{ca:?}: {text}"
        );
    }
    assert!(server.envelopes().is_empty());
}

#[tokio::test]
async fn a_wrong_password_over_tls_is_a_permanent_refusal() {
    if !tools() {
        return;
    }
    let (server, pki) = server("starttls", &["auth=tocsin:s3cret"]);
    let url = format!("smtp://tocsin:wrong@127.0.0.1:{}?tls=required", server.port);
    let error = channel(&url, Some(&pki.ca))
        .send(&outgoing("w7:issued:0:gas:wrong:email"))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::Rejected { .. }), "{error:?}");
    assert!(!error.to_string().contains("wrong@"), "{error}");
    assert!(server.envelopes().is_empty());
}

#[test]
fn a_ca_file_that_is_missing_or_not_pem_is_a_clear_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let table = [
        (
            "smtps://127.0.0.1:465",
            dir.path().join("absent.pem"),
            "cannot be read",
        ),
        (
            "smtps://127.0.0.1:465",
            junk.clone(),
            "holds no PEM certificate",
        ),
        ("smtp://127.0.0.1:25", junk, "needs a TLS URL"),
    ];
    for (url, ca, expected) in table {
        let yaml = format!(
            "email: {{url: '{url}', from: 'tocsin@city.example', ca_file: '{}'}}\n",
            ca.display()
        );
        let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
        let settings = NotifySettings::from_yaml_with(&value, |_| None).unwrap();
        let book = Arc::new(SettingsAddressBook::new(&settings));
        let error = EmailChannel::new(
            settings.email.as_ref().unwrap(),
            Duration::from_secs(1),
            book,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains(expected), "{url} {}: {error}", ca.display());
    }
}
