//! The one HTTP error boundary: every handler returns `Result<_, ApiError>`, and an [`ApiError`]
//! becomes a JSON body `{code, message}` with the code's status (401 `unauthorized` also with
//! `WWW-Authenticate: Bearer`). Store and internal failures are logged with their detail and
//! answered with a short, stable message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ErrorCode;
use crate::storage::StoreError;

/// Seconds a client is told to wait after a 503 `store_unavailable`.
const STORE_RETRY_AFTER_SECS: u32 = 5;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Stable code; decides the status.
    pub code: ErrorCode,
    /// What went wrong, for people (never internals).
    pub message: String,
    /// Seconds to send in `Retry-After` (overload, store unavailable).
    pub retry_after: Option<u32>,
}

/// The JSON body of an error.
#[derive(Debug, serde::Serialize)]
struct ErrorBody<'a> {
    /// Stable code.
    code: ErrorCode,
    /// For people.
    message: &'a str,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 404 `not_found`.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, what)
    }

    /// 400 `bad_query`.
    pub fn bad_query(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadQuery, message)
    }

    /// 503 `overloaded` with `Retry-After`.
    pub fn overloaded(retry_after_secs: u32) -> ApiError {
        ApiError {
            code: ErrorCode::Overloaded,
            message: "ingest queue is full; retry later".to_owned(),
            retry_after: Some(retry_after_secs),
        }
    }

    /// 503 `store_unavailable` with `Retry-After`; the detail goes to the log.
    pub fn store(error: &StoreError) -> ApiError {
        tracing::error!(%error, "store request failed");
        ApiError::unavailable("the store is unavailable; see the server log")
    }

    /// 503 `store_unavailable` with `Retry-After`: the store or the pipeline is away for a while
    /// (an outage, a shutdown); nothing of the request was kept, so the client re-sends it.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            retry_after: Some(STORE_RETRY_AFTER_SECS),
            ..ApiError::new(ErrorCode::StoreUnavailable, message)
        }
    }

    /// The HTTP status of the code.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::store(&error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: &self.message,
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.code == ErrorCode::Unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
