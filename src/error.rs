//! Stable error codes. Every code that leaves the process - in an HTTP error body
//! `{code, message}`, in a per-reading rejection, or in a config diagnostic `error[CODE]` - is
//! listed here or in [`crate::config::diagnostic::Code`], and has a page `docs/errors/CODE.md`
//! (checked by `tests/error_docs.rs`). Codes never change meaning once released.

use std::fmt;

/// Codes for API errors and for readings rejected at ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body is not valid JSON / NDJSON of readings.
    MalformedBody,
    /// The request body is larger than the configured limit.
    BodyTooLarge,
    /// The Content-Type is neither JSON nor NDJSON.
    UnsupportedMediaType,
    /// The ingest queue is full; retry after the `Retry-After` seconds.
    Overloaded,
    /// No such resource (warning, sensor, route).
    NotFound,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// A query parameter is malformed (bad level name, bad time).
    BadQuery,
    /// The store failed; details are in the server log.
    StoreUnavailable,
    /// An unexpected internal failure; details are in the server log.
    Internal,
    /// One item of a batch is not an object with `sensor`, `metric`, `value`, `ts`.
    MalformedReading,
    /// The sensor id is not registered in `city/`.
    UnknownSensor,
    /// The metric is not defined for the sensor's domain, or the sensor does not report it.
    UnknownMetric,
    /// The value is NaN or infinite.
    NotFinite,
    /// `ts` is neither RFC 3339 text nor epoch milliseconds.
    BadTimestamp,
    /// `ts` is further in the future than the allowed clock skew.
    ClockSkew,
    /// `ts` is older than the accepted history window.
    TooOld,
    /// A reload found problems in the configuration; the previous generation keeps serving.
    ConfigInvalid,
    /// The server has no deployment directory to reload from.
    ReloadUnavailable,
}

impl ErrorCode {
    /// Every code, for documentation checks.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::MalformedBody,
        ErrorCode::BodyTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Overloaded,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::BadQuery,
        ErrorCode::StoreUnavailable,
        ErrorCode::Internal,
        ErrorCode::MalformedReading,
        ErrorCode::UnknownSensor,
        ErrorCode::UnknownMetric,
        ErrorCode::NotFinite,
        ErrorCode::BadTimestamp,
        ErrorCode::ClockSkew,
        ErrorCode::TooOld,
        ErrorCode::ConfigInvalid,
        ErrorCode::ReloadUnavailable,
    ];

    /// The codes one reading of a batch can be rejected with at the gate (the rest of the batch
    /// is still accepted).
    pub const READING_REJECTIONS: &'static [ErrorCode] = &[
        ErrorCode::MalformedReading,
        ErrorCode::UnknownSensor,
        ErrorCode::UnknownMetric,
        ErrorCode::NotFinite,
        ErrorCode::BadTimestamp,
        ErrorCode::ClockSkew,
        ErrorCode::TooOld,
    ];

    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedBody => "malformed_body",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::MalformedReading => "malformed_reading",
            ErrorCode::UnknownSensor => "unknown_sensor",
            ErrorCode::UnknownMetric => "unknown_metric",
            ErrorCode::NotFinite => "not_finite",
            ErrorCode::BadTimestamp => "bad_timestamp",
            ErrorCode::ClockSkew => "clock_skew",
            ErrorCode::TooOld => "too_old",
            ErrorCode::ConfigInvalid => "config_invalid",
            ErrorCode::ReloadUnavailable => "reload_unavailable",
        }
    }

    /// The HTTP status an API error with this code answers with.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedBody
            | ErrorCode::BadQuery
            | ErrorCode::MalformedReading
            | ErrorCode::UnknownSensor
            | ErrorCode::UnknownMetric
            | ErrorCode::NotFinite
            | ErrorCode::BadTimestamp
            | ErrorCode::ClockSkew
            | ErrorCode::TooOld => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ReloadUnavailable => 409,
            ErrorCode::ConfigInvalid => 422,
            ErrorCode::BodyTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Overloaded | ErrorCode::StoreUnavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
