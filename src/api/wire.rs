//! The request head on the wire, read before hyper sees a connection: hyper answers a head it
//! cannot parse (400) or one that is too large (431) itself, with an empty body and no hook to
//! change it. So the server reads the first request head of every connection here, decides
//! ([`judge`], a pure function), answers a refused one with the API's `{code, message}` JSON
//! ([`refusal`]) and closes, and hands an accepted one to hyper with the bytes already read put
//! back in front of the stream ([`Rewind`]).
//!
//! Only the first head of a connection passes here: later requests on a kept-alive connection
//! are parsed by hyper with the same limits ([`MAX_HEAD_BYTES`], [`MAX_HEADERS`]), and hyper's
//! refusals of those still have empty bodies (see docs/API.md).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_util::sync::CancellationToken;

use crate::error::ErrorCode;

/// Most bytes of a request head (request line and headers) the server accepts.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Most header fields in one request.
pub const MAX_HEADERS: usize = 100;

/// What the bytes read so far make of a request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Head {
    /// A whole, well-formed head (a body may follow).
    Complete,
    /// Well-formed so far; more bytes are needed.
    Partial,
    /// Larger than [`MAX_HEAD_BYTES`], or more than [`MAX_HEADERS`] fields: 431.
    TooLarge,
    /// Not an HTTP/1 request head (the parser's reason): 400.
    Malformed(&'static str),
}

/// Judges `bytes`, the start of a connection.
pub fn judge(bytes: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(length)) if length <= MAX_HEAD_BYTES => Head::Complete,
        Ok(_) if bytes.len() >= MAX_HEAD_BYTES => Head::TooLarge,
        Ok(httparse::Status::Complete(_)) => Head::TooLarge,
        Ok(httparse::Status::Partial) => Head::Partial,
        Err(httparse::Error::TooManyHeaders) => Head::TooLarge,
        Err(error) => Head::Malformed(reason(error)),
    }
}

/// Words for a parse error.
fn reason(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status",
        httparse::Error::Token => "invalid request line (method or target)",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "invalid HTTP version",
    }
}

/// The whole answer (status line, headers, JSON body) to a refused head; `None` for a head that
/// is not refused.
pub fn refusal(head: &Head) -> Option<Vec<u8>> {
    let (status, code, message) = match head {
        Head::Complete | Head::Partial => return None,
        Head::TooLarge => (
            "431 Request Header Fields Too Large",
            ErrorCode::HeadersTooLarge,
            format!(
                "the request head is larger than {MAX_HEAD_BYTES} bytes or has more than \
                 {MAX_HEADERS} header fields"
            ),
        ),
        Head::Malformed(why) => (
            "400 Bad Request",
            ErrorCode::BadRequest,
            format!("not an HTTP/1.1 request: {why}"),
        ),
    };
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// Reads the first request head of `stream`: `Ok(Some(bytes))` with everything read so far
/// (the head and perhaps the start of the body) for hyper to continue from, `Ok(None)` when
/// the head was refused (answered and flushed here), the client closed before sending one, or
/// `stop` was cancelled before its first byte (an idle connection closes at shutdown; a head
/// that has begun is read on, as hyper finishes a request in flight).
pub async fn first_head<S>(stream: &mut S, stop: &CancellationToken) -> io::Result<Option<Vec<u8>>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut bytes = Vec::with_capacity(1024);
    let mut chunk = [0u8; 8 * 1024];
    loop {
        let read = if bytes.is_empty() {
            tokio::select! {
                () = stop.cancelled() => return Ok(None),
                read = stream.read(&mut chunk) => read?,
            }
        } else {
            stream.read(&mut chunk).await?
        };
        if read == 0 {
            // closed mid-head: nothing to answer; hyper would say nothing either
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk[..read]);
        let head = judge(&bytes);
        if let Some(answer) = refusal(&head) {
            stream.write_all(&answer).await?;
            stream.flush().await?;
            let _ = stream.shutdown().await;
            return Ok(None);
        }
        if head == Head::Complete {
            return Ok(Some(bytes));
        }
    }
}

/// A stream with bytes already read from it put back in front.
#[derive(Debug)]
pub struct Rewind<S> {
    /// The bytes read ahead.
    prefix: Vec<u8>,
    /// How many of them were handed on.
    taken: usize,
    /// The stream.
    inner: S,
}

impl<S> Rewind<S> {
    /// `inner` read from the start again: `prefix` first.
    pub fn new(prefix: Vec<u8>, inner: S) -> Rewind<S> {
        Rewind {
            prefix,
            taken: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.taken < this.prefix.len() {
            let rest = &this.prefix[this.taken..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.taken += n;
            if this.taken == this.prefix.len() {
                this.prefix = Vec::new();
                this.taken = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn heads_are_judged_by_shape_and_size() {
        let big = format!(
            "GET / HTTP/1.1\r\nx-big: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: 1\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        let cases: [(&[u8], Head); 8] = [
            (
                b"GET /api/v1/healthz HTTP/1.1\r\nhost: x\r\n\r\n",
                Head::Complete,
            ),
            (
                b"POST /r HTTP/1.1\r\ncontent-length: 2\r\n\r\n[]",
                Head::Complete,
            ),
            (b"\r\nGET / HTTP/1.1\r\n\r\n", Head::Complete),
            (b"GET / HTTP/1.1\r\nhost: x\r\n", Head::Partial),
            (b"GET / HT", Head::Partial),
            (big.as_bytes(), Head::TooLarge),
            (many.as_bytes(), Head::TooLarge),
            (
                b"\x16\x03\x01 garbage\r\n\r\n",
                Head::Malformed("invalid request line (method or target)"),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(judge(bytes), want, "{}", String::from_utf8_lossy(bytes));
        }
        // a partial head that has reached the limit is refused without waiting for the rest
        let endless = format!("GET / HTTP/1.1\r\nx: {}", "a".repeat(MAX_HEAD_BYTES));
        assert_eq!(judge(endless.as_bytes()), Head::TooLarge);
    }

    #[test]
    fn a_refusal_is_the_api_error_shape() {
        assert_eq!(refusal(&Head::Complete), None);
        let answer = String::from_utf8(refusal(&Head::TooLarge).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], "headers_too_large");
        let answer = String::from_utf8(refusal(&Head::Malformed("x")).unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(answer.contains("\"code\":\"bad_request\""), "{answer}");
    }

    #[tokio::test]
    async fn rewind_hands_on_the_bytes_read_ahead_then_the_stream() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b" world").await.unwrap();
        drop(client);
        let mut stream = Rewind::new(b"hello".to_vec(), server);
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "hello world");
    }
}
