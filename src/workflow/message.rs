//! The texts of notifications: a one-line subject a duty phone can show, and a body saying the
//! level, the asset and where it is, the domain, what the monitoring saw, the stage the warning is
//! in with its time limit, and what is asked of the recipient. Drill messages (演练) start with
//! `【演练】` and say that they are an exercise, so nobody mistakes one for a real warning.

use std::fmt::Write as _;
use std::time::Duration;

use crate::model::{Case, Generation, Level, Rung, Workflow};

use super::WarningFacts;

/// Why a notification is sent, for its body.
#[derive(Clone, Copy, Debug)]
pub enum Reason<'a> {
    /// The warning entered its current stage (issued, closed ...).
    Entered,
    /// An escalation rung fired: the stage is overdue.
    Escalation {
        /// The rung.
        rung: &'a Rung,
        /// How far past the stage's time limit, in milliseconds.
        overdue_ms: i64,
    },
    /// The level rose while the case was open (re-issue).
    Raised {
        /// The level before.
        from: Level,
    },
    /// The condition came back before the case was closed.
    Recurred,
}

/// The prefix of every drill subject and body.
pub const DRILL_LABEL: &str = "【演练】";

/// `一级` (red) .. `四级` (blue).
pub const fn grade_cn(level: Level) -> &'static str {
    match level {
        Level::Red => "一级",
        Level::Orange => "二级",
        Level::Yellow => "三级",
        Level::Blue => "四级",
    }
}

/// `【红色预警】城镇燃气 gas_leak — 南京南街 电信井 T-017（和平区）`, with `【演练】` first for a
/// drill.
pub fn subject(generation: &Generation, warning: &WarningFacts, case: &Case) -> String {
    let drill = if case.drill { DRILL_LABEL } else { "" };
    format!(
        "{drill}【{}预警】{} {} — {}（{}）",
        case.level.colour_cn(),
        domain_name(generation, warning),
        warning.hazard,
        asset_name(generation, warning),
        district_name(generation, warning),
    )
}

/// The body: facts of the warning, the stage and its limit, why this message, what to do.
pub fn body(
    generation: &Generation,
    workflow: &Workflow,
    warning: &WarningFacts,
    case: &Case,
    reason: Reason<'_>,
) -> String {
    let mut text = String::new();
    if case.drill {
        text.push_str(DRILL_LABEL);
        text.push_str("本消息为应急演练（exercise），非真实警情，请按演练程序处置。\n");
    }
    let level = case.level;
    let _ = writeln!(
        text,
        "预警级别：{}（{}，{}）",
        level.colour_cn(),
        grade_cn(level),
        level
    );
    let _ = writeln!(
        text,
        "风险对象：{}（{}）",
        asset_name(generation, warning),
        warning.asset
    );
    let _ = writeln!(
        text,
        "所在区域：{}（{}）",
        district_name(generation, warning),
        warning.district
    );
    let _ = writeln!(
        text,
        "行业领域：{}（{}），风险类型 {}",
        domain_name(generation, warning),
        warning.domain,
        warning.hazard
    );
    if !warning.message.is_empty() {
        let _ = writeln!(text, "监测情况：{}", warning.message);
    }
    match reason {
        Reason::Entered => {}
        Reason::Escalation { rung, overdue_ms } => {
            let _ = writeln!(
                text,
                "升级原因：{}（已达时限 {} 倍，超时 {}）",
                rung.label,
                multiple(rung.after),
                duration_cn(Duration::from_millis(overdue_ms.max(0).unsigned_abs()))
            );
            if rung.supervision {
                text.push_str("本事项已列为督办件。\n");
            }
        }
        Reason::Raised { from } => {
            let _ = writeln!(
                text,
                "级别上调：由{}（{}）升为{}（{}），请按新级别响应。",
                from.colour_cn(),
                grade_cn(from),
                level.colour_cn(),
                grade_cn(level)
            );
        }
        Reason::Recurred => {
            text.push_str("险情复发：处置完成前监测数据再次超限，预警重新启动。\n");
        }
    }
    let _ = writeln!(text, "{}", stage_line(workflow, case));
    let _ = writeln!(text, "{}", ask(workflow, case));
    let _ = write!(text, "预警编号：w{}", warning.id);
    text
}

/// `当前环节：已发布 issued（时限 5分钟）`.
fn stage_line(workflow: &Workflow, case: &Case) -> String {
    let stage = workflow.stage(case.stage.as_str());
    let name = stage.map_or_else(|| case.stage.to_string(), |s| s.name.clone());
    match stage.and_then(|s| s.deadline[case.level.index()]) {
        Some(limit) => format!("当前环节：{name}（时限 {}）", duration_cn(limit)),
        None => format!("当前环节：{name}"),
    }
}

/// What the recipient is asked to do in the case's stage: the names of the actions that move the
/// warning on from it, within the stage's limit for the level. Also used for CAP `instruction`.
pub fn ask(workflow: &Workflow, case: &Case) -> String {
    let Some(stage) = workflow.stage(case.stage.as_str()) else {
        return "办理要求：请及时处置并反馈。".to_owned();
    };
    if stage.terminal {
        return format!("办理要求：本预警已{}，无需办理。", stage.name);
    }
    let actions: Vec<&str> = workflow
        .transitions
        .iter()
        .filter(|t| t.from.contains(&stage.id))
        .filter(|t| t.to.as_ref().is_some_and(|to| *to != stage.id))
        .map(|t| t.name.as_str())
        .collect();
    let what = if actions.is_empty() {
        "处置并反馈".to_owned()
    } else {
        actions.join("、")
    };
    match stage.deadline[case.level.index()] {
        Some(limit) => format!("办理要求：请于{}内{what}。", duration_cn(limit)),
        None => format!("办理要求：请及时{what}。"),
    }
}

/// `5分钟`, `2小时`, `1天2小时`, `30秒`, `0分钟`.
pub fn duration_cn(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    if secs == 0 {
        return "0分钟".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("天", 86_400), ("小时", 3_600), ("分钟", 60), ("秒", 1)] {
        let count = secs / size;
        if count > 0 {
            let _ = write!(out, "{count}{unit}");
            secs %= size;
        }
    }
    out
}

/// `1`, `2`, `1.5`.
fn multiple(after: f64) -> String {
    if after.fract() == 0.0 {
        format!("{after:.0}")
    } else {
        format!("{after}")
    }
}

fn asset_name(generation: &Generation, warning: &WarningFacts) -> String {
    generation
        .asset(warning.asset.as_str())
        .map_or_else(|| warning.asset.to_string(), |a| a.name.clone())
}

fn district_name(generation: &Generation, warning: &WarningFacts) -> String {
    generation
        .district(warning.district.as_str())
        .map_or_else(|| warning.district.to_string(), |d| d.name.clone())
}

fn domain_name(generation: &Generation, warning: &WarningFacts) -> String {
    generation
        .domain(warning.domain.as_str())
        .map_or_else(|| warning.domain.to_string(), |d| d.name_cn.clone())
}
