//! Parsing of query parameters shared by the routes: instants (RFC 3339 or epoch milliseconds)
//! and limits. Every failure is a 400 `bad_query` naming the parameter.

use super::error::ApiError;
use crate::model::Timestamp;

/// Parses an instant given as RFC 3339 text or epoch milliseconds.
pub(crate) fn instant(name: &str, text: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(Some(Timestamp(millis)));
    }
    Timestamp::parse_rfc3339(text).map(Some).ok_or_else(|| {
        ApiError::bad_query(format!(
            "`{name}` must be RFC 3339 or epoch milliseconds, got `{text}`"
        ))
    })
}

/// Parses a limit, defaulting to `default` and capped at `max`.
pub(crate) fn limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    match text {
        None => Ok(default),
        Some(text) => match text.parse::<u32>() {
            Ok(0) | Err(_) => Err(ApiError::bad_query(format!(
                "`limit` must be a whole number from 1 to {max}, got `{text}`"
            ))),
            Ok(n) => Ok(n.min(max)),
        },
    }
}
