//! OASIS CAP 1.2 alerts (Common Alerting Protocol; GB/T 35965.1 follows the same model) for
//! issued warnings: `GET /api/v1/warnings/{id}/cap`.
//!
//! A warning's messages are derived, never stored: [`history`] reads them from the warning's
//! audit entries (issue -> `Alert`, re-grading -> `Update`, closure or dismissal -> `Cancel`, each
//! referencing the ones before), [`mapping`] holds the tables (category per domain,
//! urgency/severity/certainty per level, circle radius per asset kind), `text` words the
//! headline, description and instruction, and [`render`] writes the XML with a small escaping
//! writer (`xml`). Everything here is pure: the caller reads the warning and its audit entries
//! from the store. docs/CAP.md documents every choice.

use time::UtcOffset;

use crate::error::ErrorCode;
use crate::model::{AuditEntry, Generation};
use crate::storage::WarningDetail;

pub mod history;
pub mod mapping;
pub mod render;
mod text;
mod xml;

pub use history::{Message, MsgType, messages};
pub use render::{CAP_NAMESPACE, cap_time, identifier};

/// Why there is no CAP alert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// The warning has not been issued (still in triage, dismissed from triage, or no case yet).
    #[error("warning {warning} is in stage `{stage}` and has not been issued")]
    NotIssued {
        /// The warning.
        warning: i64,
        /// Its stage (`none` without a case).
        stage: String,
    },
    /// The warning has fewer messages than the one asked for.
    #[error("warning {warning} has {count} CAP message(s); there is no message {asked}")]
    NoSuchMessage {
        /// The warning.
        warning: i64,
        /// How many it has.
        count: usize,
        /// The number asked for (from 1).
        asked: u32,
    },
    /// The configured sender is not a valid CAP sender.
    #[error(
        "CAP sender `{0}` is invalid: it must be non-empty and contain no spaces, commas, `<` or `&`"
    )]
    InvalidSender(String),
}

impl CapError {
    /// The API error code.
    pub const fn code(&self) -> ErrorCode {
        match self {
            CapError::NotIssued { .. } => ErrorCode::NotIssued,
            CapError::NoSuchMessage { .. } => ErrorCode::NotFound,
            CapError::InvalidSender(_) => ErrorCode::Internal,
        }
    }
}

/// Deployment choices for the alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct CapOptions {
    /// `<sender>`: unique to this deployment, e.g. `tocsin@shenyang`.
    pub sender: String,
    /// `<senderName>` when the domain names no issuing authority for the level.
    pub sender_name: String,
    /// Base URL of this server's API (`https://tocsin.example.org`), for `<web>`; `None` omits it.
    pub web_base: Option<String>,
    /// Offset `sent` and the other times are written in (China: +08:00).
    pub offset: UtcOffset,
    /// Add a second `<info>` in English (`en-US`).
    pub english: bool,
}

/// China Standard Time.
pub const CHINA_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

impl CapOptions {
    /// Options with `sender` (checked: CAP forbids spaces, commas, `<` and `&` in it), +08:00,
    /// both languages, no web link.
    pub fn new(sender: &str) -> Result<CapOptions, CapError> {
        let valid = !sender.is_empty()
            && !sender
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, ',' | '<' | '&'));
        if !valid {
            return Err(CapError::InvalidSender(sender.to_owned()));
        }
        Ok(CapOptions {
            sender: sender.to_owned(),
            sender_name: "城市安全风险监测预警平台 (Tocsin)".to_owned(),
            web_base: None,
            offset: CHINA_OFFSET,
            english: true,
        })
    }

    /// The default for a generation: sender `tocsin@<city>`, the city taken from the prefix of
    /// the city duty office's id (`shenyang.duty_office` -> `tocsin@shenyang`), else
    /// `tocsin@localhost`.
    pub fn for_generation(generation: &Generation) -> CapOptions {
        let city = generation
            .workflows
            .iter()
            .filter_map(|workflow| workflow.city_duty_office.as_str().split_once('.'))
            .map(|(city, _)| city)
            .find(|city| CapOptions::new(&format!("tocsin@{city}")).is_ok())
            .unwrap_or("localhost");
        CapOptions::new(&format!("tocsin@{city}")).unwrap_or_else(|_| CapOptions {
            sender: "tocsin@localhost".to_owned(),
            sender_name: String::new(),
            web_base: None,
            offset: CHINA_OFFSET,
            english: true,
        })
    }
}

/// The messages of a warning and what they are about.
fn subject_messages<'a>(
    generation: &'a Generation,
    warning: &'a WarningDetail,
    audit: &[AuditEntry],
) -> Result<(render::Subject<'a>, Vec<Message>), CapError> {
    let record = &warning.warning;
    let not_issued = |stage: &str| CapError::NotIssued {
        warning: record.id,
        stage: stage.to_owned(),
    };
    let case = record.case.as_ref().ok_or_else(|| not_issued("none"))?;
    let workflow = generation
        .workflow(case.workflow.as_str())
        .or_else(|| generation.workflow_for(record.domain.as_str()))
        .ok_or_else(|| not_issued(case.stage.as_str()))?;
    let messages = messages(workflow, record.id, case, audit)?;
    let subject = render::Subject {
        generation,
        warning,
        case,
        workflow,
    };
    Ok((subject, messages))
}

/// The CAP messages of a warning (oldest first), from its audit entries.
pub fn message_list(
    generation: &Generation,
    warning: &WarningDetail,
    audit: &[AuditEntry],
) -> Result<Vec<Message>, CapError> {
    subject_messages(generation, warning, audit).map(|(_, messages)| messages)
}

/// The current CAP 1.2 alert of an issued warning: its latest message, with `references` to
/// every earlier one. `audit` holds the warning's audit entries (others are ignored).
pub fn alert(
    generation: &Generation,
    warning: &WarningDetail,
    audit: &[AuditEntry],
    options: &CapOptions,
) -> Result<String, CapError> {
    let (subject, messages) = subject_messages(generation, warning, audit)?;
    Ok(render::render(
        &subject,
        &messages,
        messages.len().saturating_sub(1),
        options,
    ))
}

/// Message `n` (from 1) of an issued warning as a CAP 1.2 alert.
pub fn alert_number(
    generation: &Generation,
    warning: &WarningDetail,
    audit: &[AuditEntry],
    options: &CapOptions,
    n: u32,
) -> Result<String, CapError> {
    let (subject, messages) = subject_messages(generation, warning, audit)?;
    let index = usize::try_from(n).unwrap_or(usize::MAX);
    if index == 0 || index > messages.len() {
        return Err(CapError::NoSuchMessage {
            warning: warning.warning.id,
            count: messages.len(),
            asked: n,
        });
    }
    Ok(render::render(&subject, &messages, index - 1, options))
}
