//! `POST /api/v1/readings`: parse the body, gate each item, queue the accepted readings and answer
//! once they are committed: `{accepted, rejected: [{index, code, message}]}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use super::AppState;
use super::error::ApiError;
use crate::error::ErrorCode;
use crate::ingest::{BodyError, BodyFormat, IngestError, Item, Rejection, parse_body};

/// The answer to a batch.
#[derive(Debug, serde::Serialize)]
pub struct IngestAnswer {
    /// Readings that passed the gate and are durably stored (re-sent ones included).
    pub accepted: usize,
    /// Items refused, with their position and reason.
    pub rejected: Vec<Rejection>,
}

/// Handles one batch of readings.
pub(crate) async fn post_readings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestAnswer>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::BodyTooLarge,
                format!("body is larger than {} bytes", state.max_body_bytes),
            )
        } else {
            ApiError::new(ErrorCode::MalformedBody, rejection.body_text())
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let format = BodyFormat::from_content_type(content_type).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "Content-Type `{content_type}` is not application/json or application/x-ndjson"
            ),
        )
    })?;
    let items = parse_body(format, &body).map_err(|error| match error {
        BodyError::NotAnArray(_) | BodyError::NotText => {
            ApiError::new(ErrorCode::MalformedBody, error.to_string())
        }
    })?;

    let now = state.clock.now();
    // One gate (one generation) for the whole batch, even if a reload swaps it meanwhile.
    let gate = state.gate.load_full();
    let mut accepted = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for (index, item) in items {
        let outcome = match &item {
            Item::Wire(reading) => gate.check_wire(reading, now),
            Item::Value(value) => gate.check(value, now),
            Item::Malformed(message) => Err((
                ErrorCode::MalformedReading,
                format!("line is not JSON: {message}"),
            )),
        };
        match outcome {
            Ok(reading) => accepted.push(reading),
            Err((code, message)) => {
                state.metrics.reading_rejected(code);
                rejected.push(Rejection {
                    index,
                    code,
                    message,
                });
            }
        }
    }
    if accepted.is_empty() {
        return Ok(Json(IngestAnswer {
            accepted: 0,
            rejected,
        }));
    }

    let answer = state.queue.submit(accepted).map_err(|error| match error {
        IngestError::Full { .. } => {
            state.metrics.overloaded();
            ApiError::overloaded(state.retry_after_secs)
        }
        IngestError::Closed | IngestError::Store(_) => shutting_down(),
    })?;
    state.metrics.set_queue_depth(state.queue.depth());
    match answer.await {
        Ok(Ok(committed)) => Ok(Json(IngestAnswer {
            accepted: committed.new + committed.duplicate,
            rejected,
        })),
        Ok(Err(IngestError::Store(error))) => Err(ApiError::store(&error)),
        Ok(Err(_)) | Err(_) => Err(shutting_down()),
    }
}

fn shutting_down() -> ApiError {
    ApiError::unavailable("the ingest pipeline is shutting down; retry later")
}
