//! The CAP messages a warning has had, read from its audit entries: the first entry into an
//! issue stage (any stage that is neither the workflow's initial stage nor terminal) is the
//! `Alert`; every later change of level while the case is open is an `Update`; entering a
//! terminal stage (closed, dismissed) after the issue is the `Cancel`. Nothing is stored: the
//! same audit log always gives the same messages, numbered from 1.
//!
//! What the entries must carry (docs/CAP.md): `workflow.transition` names the stage entered in
//! `detail.to`, `workflow.auto` in `detail.to` or `detail.entered`; level changes
//! (`warning.opened` / `raised` / `lowered` / `reopened` / `merged` / `reported`, and
//! `workflow.auto` on an engine event) name the new level in `detail.to` or `detail.level`. A
//! stage id and a level name are told apart by looking the text up in the workflow.

use crate::model::{AuditAction, AuditEntry, Case, Level, StageId, Timestamp, Workflow};

use super::CapError;

/// The CAP message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum MsgType {
    /// The first issue.
    Alert,
    /// The level changed after the issue.
    Update,
    /// The case was closed or dismissed after the issue.
    Cancel,
}

impl MsgType {
    /// The CAP `<msgType>` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            MsgType::Alert => "Alert",
            MsgType::Update => "Update",
            MsgType::Cancel => "Cancel",
        }
    }
}

/// One CAP message of a warning.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Message {
    /// Position among the warning's messages, from 1 (part of the identifier).
    pub n: u32,
    /// Alert, Update or Cancel.
    pub msg_type: MsgType,
    /// When it was sent: the time of the audit entry that caused it (never before the previous
    /// message's).
    pub sent: Timestamp,
    /// The warning level it announces.
    pub level: Level,
    /// For a Cancel, the terminal stage entered (`closed`, `dismissed`).
    pub stage: Option<StageId>,
}

/// The level an audit entry's detail names, if any.
fn level_in(detail: &serde_json::Value) -> Option<Level> {
    ["to", "level"]
        .iter()
        .filter_map(|key| detail.get(key).and_then(serde_json::Value::as_str))
        .find_map(Level::parse)
}

/// The stage of `workflow` an audit entry's detail says was entered, if any (`to` of an action,
/// `entered` of an automatic transition).
fn stage_in<'w>(workflow: &'w Workflow, detail: &serde_json::Value) -> Option<&'w StageId> {
    ["to", "entered"]
        .iter()
        .filter_map(|key| detail.get(key).and_then(serde_json::Value::as_str))
        .find_map(|name| workflow.stage(name))
        .map(|stage| &stage.id)
}

/// True for actions whose entries may name a new level.
fn changes_level(action: &str) -> bool {
    matches!(
        AuditAction::parse(action),
        Some(
            AuditAction::WarningOpened
                | AuditAction::WarningRaised
                | AuditAction::WarningLowered
                | AuditAction::WarningReopened
                | AuditAction::WarningMerged
                | AuditAction::WarningReported
                | AuditAction::AutoTransition
        )
    )
}

/// True for actions whose entries may name a stage entered.
fn changes_stage(action: &str) -> bool {
    matches!(
        AuditAction::parse(action),
        Some(AuditAction::Transition | AuditAction::AutoTransition)
    )
}

/// The messages of warning `warning` with case `case` under `workflow`, oldest first, from its
/// audit entries (in any order; entries of other warnings are ignored). Fails with
/// [`CapError::NotIssued`] when the warning was never issued.
pub fn messages(
    workflow: &Workflow,
    warning: i64,
    case: &Case,
    audit: &[AuditEntry],
) -> Result<Vec<Message>, CapError> {
    let is_terminal = |stage: &str| workflow.stage(stage).is_some_and(|s| s.terminal);
    let is_issue = |stage: &str| stage != workflow.initial.as_str() && !is_terminal(stage);
    let mut entries: Vec<&AuditEntry> = audit
        .iter()
        .filter(|entry| entry.warning == Some(warning))
        .collect();
    entries.sort_by_key(|entry| entry.seq);

    let mut out: Vec<Message> = Vec::new();
    let mut level: Option<Level> = None;
    let mut cancelled = false;
    for entry in entries {
        let detail: serde_json::Value =
            serde_json::from_str(&entry.detail).unwrap_or(serde_json::Value::Null);
        if changes_level(&entry.action)
            && let Some(new) = level_in(&detail)
        {
            level = Some(new);
            let last = out.last().map(|message| message.level);
            if !cancelled && last.is_some_and(|last| last != new) {
                push(&mut out, MsgType::Update, entry.at, new, None);
            }
        }
        if changes_stage(&entry.action)
            && let Some(stage) = stage_in(workflow, &detail)
        {
            let at_level = level.unwrap_or(case.level);
            if out.is_empty() && is_issue(stage.as_str()) {
                push(&mut out, MsgType::Alert, entry.at, at_level, None);
            } else if !out.is_empty() && !cancelled && is_terminal(stage.as_str()) {
                push(&mut out, MsgType::Cancel, entry.at, at_level, Some(stage));
                cancelled = true;
            }
        }
    }

    // A case whose entries are missing (an older log) still says where it stands.
    if out.is_empty() && is_issue(case.stage.as_str()) {
        push(&mut out, MsgType::Alert, case.stage_since, case.level, None);
    }
    if out.is_empty() {
        return Err(CapError::NotIssued {
            warning,
            stage: case.stage.as_str().to_owned(),
        });
    }
    if !cancelled && is_terminal(case.stage.as_str()) {
        let at = case.closed_at.unwrap_or(case.stage_since);
        let last = out.last().map_or(case.level, |message| message.level);
        push(&mut out, MsgType::Cancel, at, last, Some(&case.stage));
    }
    Ok(out)
}

fn push(
    out: &mut Vec<Message>,
    msg_type: MsgType,
    at: Timestamp,
    level: Level,
    stage: Option<&StageId>,
) {
    let sent = out.last().map_or(at, |previous| previous.sent.max(at));
    out.push(Message {
        n: u32::try_from(out.len() + 1).unwrap_or(u32::MAX),
        msg_type,
        sent,
        level,
        stage: stage.cloned(),
    });
}
