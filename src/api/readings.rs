//! `POST /api/v1/readings`: buffer the body within the byte budget, parse it, gate each item,
//! queue the accepted readings and answer once they are committed:
//! `{accepted, rejected: [{index, code, message}]}`.
//!
//! The body's bytes are reserved in the in-flight byte budget
//! ([`crate::ingest::IngestQueue::reserve_bytes`]) before they are buffered: all of a declared
//! Content-Length up front, else chunk by chunk as they arrive. A spent budget answers 503
//! `overloaded` with `Retry-After` at once; a body over `ingest.max_body_bytes` answers 413
//! `body_too_large` without reading the rest.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use futures::StreamExt;

use super::AppState;
use super::error::ApiError;
use crate::auth::refusals::bounded_text;
use crate::error::ErrorCode;
use crate::ingest::queue::{BodyBytes, BudgetSpent};
use crate::ingest::{BodyError, BodyFormat, IngestError, Item, Rejection, parse_body};

/// The answer to a batch.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IngestAnswer {
    /// Readings that passed the gate and are durably stored (re-sent ones included).
    pub accepted: usize,
    /// Items refused, with their position and reason.
    pub rejected: Vec<Rejection>,
}

/// Handles one batch of readings.
#[utoipa::path(post, path = "/api/v1/readings", tag = "ingest",
    request_body(description = "Readings: a JSON array of reading objects, or NDJSON (one object a line). Each item is judged alone.",
        content((Vec<crate::api::openapi::ReadingIn> = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Committed: how many were accepted and which items were rejected (`malformed_reading`, `unknown_sensor`, `unknown_metric`, `not_finite`, `bad_timestamp`, `clock_skew`, `too_old`)", body = IngestAnswer),
        (status = 400, description = "`malformed_body`: the body is not a JSON array or not text", body = crate::api::openapi::ErrorAnswer),
        (status = 413, description = "`body_too_large`: larger than `ingest.max_body_bytes`", body = crate::api::openapi::ErrorAnswer),
        (status = 415, description = "`unsupported_media_type`: neither JSON nor NDJSON", body = crate::api::openapi::ErrorAnswer),
        (status = 503, description = "`overloaded` or `store_unavailable`: the queue or the byte budget is full, or the store is away; retry after `Retry-After` seconds", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn post_readings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestAnswer>, ApiError> {
    // Held until the answer: the body and what is parsed from it live that long.
    let (body, _held) = buffer(&state, &headers, body).await?;
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
            Item::DuplicateKey(key) => Err((
                ErrorCode::MalformedReading,
                format!(
                    "key `{}` is given twice; send each key once",
                    bounded_text(key, 64)
                ),
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

/// Reads the body into memory within `ingest.max_body_bytes` and the in-flight byte budget.
async fn buffer(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, BodyBytes), ApiError> {
    let limit = state.max_body_bytes;
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let spent = |_: BudgetSpent| {
        state.metrics.overloaded();
        ApiError {
            code: ErrorCode::Overloaded,
            message: "too many request bytes in flight; retry later".to_owned(),
            retry_after: Some(state.retry_after_secs),
        }
    };
    let mut held = state
        .queue
        .reserve_bytes(declared.unwrap_or(0))
        .map_err(spent)?;
    let mut buffered = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                ErrorCode::MalformedBody,
                format!("cannot read the body: {error}"),
            )
        })?;
        let total = buffered.len() + chunk.len();
        if total > limit {
            return Err(too_large());
        }
        held.grow_to(total).map_err(spent)?;
        buffered.extend_from_slice(&chunk);
    }
    Ok((buffered.freeze(), held))
}

fn shutting_down() -> ApiError {
    ApiError::unavailable("the ingest pipeline is shutting down; retry later")
}
