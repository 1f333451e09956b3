//! The human texts of an `<info>` block, in Chinese or English: headline, description (the
//! message, its evidence and causes), instruction (acknowledge within the issue stage's deadline),
//! sender name, and the names they use.

use std::time::Duration;

use crate::model::{Level, Stage, Workflow};
use crate::storage::{LevelChange, WarningDetail};

use super::CapOptions;
use super::history::{Message, MsgType};
use super::mapping;
use super::render::{Subject, cap_time};

/// A duration for people, in Chinese (`1小时30分钟`) or English (`1 h 30 min`).
pub(crate) fn span(duration: Duration, chinese: bool) -> String {
    let total = duration.as_secs() / 60;
    let (days, hours, minutes) = (total / 1440, total / 60 % 24, total % 60);
    let parts: [(u64, &str, &str); 3] = [
        (days, "天", " d"),
        (hours, "小时", " h"),
        (minutes, "分钟", " min"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, cn, en)| format!("{n}{}", if chinese { *cn } else { *en }))
        .collect();
    if text.is_empty() {
        if chinese {
            "1分钟".to_owned()
        } else {
            "1 min".to_owned()
        }
    } else {
        text.join(if chinese { "" } else { " " })
    }
}

/// The stage a warning is issued into: the target of an action from the initial stage that is
/// not terminal, else the first stage that is neither initial nor terminal.
fn issue_stage(workflow: &Workflow) -> Option<&Stage> {
    let usable = |stage: &&Stage| !stage.terminal && stage.id != workflow.initial;
    workflow
        .transitions
        .iter()
        .filter(|t| t.from.contains(&workflow.initial))
        .filter_map(|t| t.to.as_ref())
        .filter_map(|to| workflow.stage(to.as_str()))
        .find(usable)
        .or_else(|| workflow.stages.iter().find(usable))
}

/// Names for the texts.
pub(crate) struct Names {
    pub(crate) asset: String,
    pub(crate) district: String,
    pub(crate) domain_cn: String,
    pub(crate) domain_en: String,
    pub(crate) hazard: String,
}

impl Names {
    pub(crate) fn of(subject: &Subject<'_>) -> Names {
        let record = &subject.warning.warning;
        let generation = subject.generation;
        let domain = generation.domain(record.domain.as_str());
        Names {
            asset: generation
                .asset(record.asset.as_str())
                .map_or_else(|| record.asset.to_string(), |asset| asset.name.clone()),
            district: generation
                .district(record.district.as_str())
                .map_or_else(|| record.district.to_string(), |d| d.name.clone()),
            domain_cn: domain.map_or_else(|| record.domain.to_string(), |d| d.name_cn.clone()),
            domain_en: domain.map_or_else(|| record.domain.to_string(), |d| d.name.clone()),
            hazard: record.hazard.to_string(),
        }
    }
}

/// `<senderName>`: the issuing authority of the level (DOMAINS.md 2.2), else the configured name.
pub(crate) fn sender_name(subject: &Subject<'_>, level: Level, options: &CapOptions) -> String {
    subject
        .generation
        .domain(subject.warning.warning.domain.as_str())
        .map(|domain| domain.issuing_authority[level.index()].trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| options.sender_name.clone())
}

pub(crate) fn headline(names: &Names, drill: bool, message: &Message, chinese: bool) -> String {
    let level = message.level;
    if chinese {
        let tag = match message.msg_type {
            MsgType::Alert => "",
            MsgType::Update => "（更新）",
            MsgType::Cancel => "（解除）",
        };
        format!(
            "{}【{}预警】{} {} — {}（{}）{tag}",
            if drill { "【演练】" } else { "" },
            level.colour_cn(),
            names.domain_cn,
            names.hazard,
            names.asset,
            names.district
        )
    } else {
        let tag = match message.msg_type {
            MsgType::Alert => "",
            MsgType::Update => " (update)",
            MsgType::Cancel => " (cancelled)",
        };
        format!(
            "{}{} warning: {} {} at {} ({}){tag}",
            if drill { "[EXERCISE] " } else { "" },
            mapping::level_en(level),
            names.domain_en,
            names.hazard,
            names.asset,
            names.district
        )
    }
}

/// The level-history entry behind a message: the latest one that set its level by then.
fn basis<'a>(warning: &'a WarningDetail, message: &Message) -> Option<&'a LevelChange> {
    let setting = |change: &&LevelChange| change.to == Some(message.level);
    warning
        .history
        .iter()
        .rev()
        .filter(setting)
        .find(|change| change.ts <= message.sent)
        .or_else(|| warning.history.iter().rev().find(setting))
        .or_else(|| warning.history.last())
}

pub(crate) fn description(
    subject: &Subject<'_>,
    message: &Message,
    options: &CapOptions,
    chinese: bool,
) -> String {
    let record = &subject.warning.warning;
    let change = basis(subject.warning, message);
    let mut lines = vec![change.map_or_else(|| record.message.clone(), |c| c.message.clone())];
    if let Some(change) = change {
        let evidence: Vec<String> = change
            .evidence
            .iter()
            .take(5)
            .map(|reading| {
                let unit = subject
                    .generation
                    .metric(reading.metric.as_str())
                    .map_or("", |metric| metric.unit);
                format!(
                    "{} {} = {}{}{} @ {}",
                    reading.sensor,
                    reading.metric,
                    reading.value,
                    if unit.is_empty() { "" } else { " " },
                    unit,
                    cap_time(reading.ts, options.offset)
                )
            })
            .collect();
        if !evidence.is_empty() {
            let label = if chinese { "监测依据" } else { "Evidence" };
            lines.push(format!("{label}: {}", evidence.join("; ")));
        }
        let causes: Vec<String> = change
            .causes
            .iter()
            .map(|cause| format!("{} {} {}", cause.asset, cause.hazard, cause.level))
            .collect();
        if !causes.is_empty() {
            let label = if chinese {
                "上游关联预警"
            } else {
                "Raised by upstream"
            };
            lines.push(format!("{label}: {}", causes.join("; ")));
        }
    }
    lines.join("\n")
}

pub(crate) fn instruction(
    subject: &Subject<'_>,
    message: &Message,
    options: &CapOptions,
    chinese: bool,
) -> String {
    if message.msg_type == MsgType::Cancel {
        let stage = message
            .stage
            .as_ref()
            .and_then(|id| subject.workflow.stage(id.as_str()))
            .map_or_else(|| "closed".to_owned(), |stage| stage.name.clone());
        let at = cap_time(message.sent, options.offset);
        return if chinese {
            format!("预警已结束（{stage}，{at}），解除响应；请整理处置记录归档。")
        } else {
            format!("The warning has ended ({stage}, {at}); stand down and archive the records.")
        };
    }
    let deadline =
        issue_stage(subject.workflow).and_then(|stage| stage.deadline[message.level.index()]);
    match (deadline, chinese) {
        (Some(limit), true) => format!(
            "请接收单位于{}内在 Tocsin 中签收（必要时电话叫应），按应急预案到场核查、落实管控措施并及时反馈处置进展。",
            span(limit, true)
        ),
        (None, true) => {
            "请接收单位在 Tocsin 中签收，按应急预案到场核查、落实管控措施并及时反馈处置进展。"
                .to_owned()
        }
        (Some(limit), false) => format!(
            "Recipients: acknowledge in Tocsin within {}, go on site as the response plan \
             requires, put controls in place and report progress.",
            span(limit, false)
        ),
        (None, false) => "Recipients: acknowledge in Tocsin, go on site as the response plan \
                          requires, put controls in place and report progress."
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(Duration::from_secs(300), true), "5分钟");
        assert_eq!(span(Duration::from_secs(5400), true), "1小时30分钟");
        assert_eq!(span(Duration::from_secs(86_400), false), "1 d");
        assert_eq!(span(Duration::from_secs(7200), false), "2 h");
    }
}
