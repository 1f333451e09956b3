//! Parsing of query parameters shared by the routes: instants (RFC 3339 or epoch milliseconds),
//! limits and workflow stages, each checked the same way wherever it appears. Every failure is a
//! 400 `bad_query` naming the parameter.

use super::error::ApiError;
use crate::model::{Generation, Timestamp};

/// Most characters of a stage id.
const STAGE_CHARS: usize = 64;

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

/// Parses a workflow stage filter: a stage id (lower-case letters, digits, `_`) that a workflow of
/// `generation` defines. A generation without workflows has no stages to name.
pub(crate) fn stage(
    text: Option<&str>,
    generation: &Generation,
) -> Result<Option<String>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let well_formed = !text.is_empty()
        && text.len() <= STAGE_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let known = || {
        generation
            .workflows
            .iter()
            .flat_map(|workflow| workflow.stages.iter())
            .any(|stage| stage.id.as_str() == text)
    };
    if well_formed && known() {
        return Ok(Some(text.to_owned()));
    }
    let mut stages: Vec<&str> = generation
        .workflows
        .iter()
        .flat_map(|workflow| workflow.stages.iter().map(|stage| stage.id.as_str()))
        .collect();
    stages.sort_unstable();
    stages.dedup();
    let shown = crate::auth::refusals::bounded_text(text, STAGE_CHARS);
    Err(ApiError::bad_query(if stages.is_empty() {
        format!("`stage` `{shown}`: no workflow is configured, so there are no stages")
    } else {
        format!(
            "`stage` must be a stage of a configured workflow ({}), got `{shown}`",
            stages.join(", ")
        )
    }))
}
