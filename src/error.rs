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
    /// No bearer token, or a token that is unknown or revoked.
    Unauthorized,
    /// The token's role may not use this endpoint, or the warning is outside the user's department or district.
    Forbidden,
    /// The workflow of the warning has no action of that name.
    UnknownAction,
    /// The action cannot be taken from the warning's current stage.
    ActionNotAllowed,
    /// The action requires a field (a note, evidence) that the request did not carry.
    MissingField,
    /// The warning's case changed while the action was being applied; read it again and retry.
    CaseConflict,
    /// A manual warning names an asset that is not registered in `city/`.
    UnregisteredAsset,
    /// A manual warning names a hazard that no rule of the asset's domain monitors.
    UnmonitoredHazard,
    /// The warning has not been issued yet, so there is no CAP alert for it.
    NotIssued,
    /// A request the HTTP layer refused before any endpoint read it (400 from the framework).
    BadRequest,
    /// The request's headers are larger than the server accepts (431).
    HeadersTooLarge,
    /// Only a failed or dead notification can be re-queued.
    NotRetryable,
    /// A phone call outcome was marked on an outbox row that is not a phone call task (another
    /// channel, or a suppressed row nobody is asked to call).
    NotACallTask,
    /// A silence request is not valid (no matcher, no reason, end not after start or not in the future).
    SilenceInvalid,
    /// The author of a silence tried to confirm it; a second person must.
    SelfConfirmation,
    /// The silence has ended (its end passed, or it was expired); it cannot be changed.
    SilenceEnded,
    /// The silence was already confirmed.
    AlreadyConfirmed,
    /// An acknowledgment link that this server did not sign, or that was altered.
    AckLinkInvalid,
    /// An acknowledgment link past its expiry.
    AckLinkExpired,
    /// An acknowledgment link that was already used once.
    AckLinkUsed,
    /// Too many refused acknowledgment links from anyone lately; try again later.
    AckLinkRateLimited,
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
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::UnknownAction,
        ErrorCode::ActionNotAllowed,
        ErrorCode::MissingField,
        ErrorCode::CaseConflict,
        ErrorCode::UnregisteredAsset,
        ErrorCode::UnmonitoredHazard,
        ErrorCode::NotIssued,
        ErrorCode::BadRequest,
        ErrorCode::HeadersTooLarge,
        ErrorCode::NotRetryable,
        ErrorCode::NotACallTask,
        ErrorCode::SilenceInvalid,
        ErrorCode::SelfConfirmation,
        ErrorCode::SilenceEnded,
        ErrorCode::AlreadyConfirmed,
        ErrorCode::AckLinkInvalid,
        ErrorCode::AckLinkExpired,
        ErrorCode::AckLinkUsed,
        ErrorCode::AckLinkRateLimited,
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
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::UnknownAction => "unknown_action",
            ErrorCode::ActionNotAllowed => "action_not_allowed",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::CaseConflict => "case_conflict",
            ErrorCode::UnregisteredAsset => "unregistered_asset",
            ErrorCode::UnmonitoredHazard => "unmonitored_hazard",
            ErrorCode::NotIssued => "not_issued",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::HeadersTooLarge => "headers_too_large",
            ErrorCode::NotRetryable => "not_retryable",
            ErrorCode::NotACallTask => "not_a_call_task",
            ErrorCode::SilenceInvalid => "silence_invalid",
            ErrorCode::SelfConfirmation => "self_confirmation",
            ErrorCode::SilenceEnded => "silence_ended",
            ErrorCode::AlreadyConfirmed => "already_confirmed",
            ErrorCode::AckLinkInvalid => "ack_link_invalid",
            ErrorCode::AckLinkExpired => "ack_link_expired",
            ErrorCode::AckLinkUsed => "ack_link_used",
            ErrorCode::AckLinkRateLimited => "ack_link_rate_limited",
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
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::UnknownAction
            | ErrorCode::UnregisteredAsset
            | ErrorCode::UnmonitoredHazard => 400,
            ErrorCode::ActionNotAllowed | ErrorCode::CaseConflict | ErrorCode::NotIssued => 409,
            ErrorCode::NotRetryable | ErrorCode::NotACallTask => 409,
            ErrorCode::SilenceInvalid => 422,
            ErrorCode::SelfConfirmation | ErrorCode::SilenceEnded | ErrorCode::AlreadyConfirmed => {
                409
            }
            ErrorCode::MissingField => 422,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ReloadUnavailable => 409,
            ErrorCode::ConfigInvalid => 422,
            ErrorCode::BodyTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Overloaded | ErrorCode::StoreUnavailable => 503,
            ErrorCode::Internal => 500,
            ErrorCode::BadRequest => 400,
            ErrorCode::HeadersTooLarge => 431,
            ErrorCode::AckLinkInvalid => 400,
            ErrorCode::AckLinkExpired => 410,
            ErrorCode::AckLinkUsed => 409,
            ErrorCode::AckLinkRateLimited => 429,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
