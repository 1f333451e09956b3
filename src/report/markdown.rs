//! The daily report as Markdown for the duty desk: title, period, a summary table, the
//! breakdown by domain, level and stage, the overdue list, supervision items, top escalations,
//! and the drills in a section of their own. Table cells are escaped (`|`, line breaks).

use std::fmt::Write as _;

use crate::model::{Level, Timestamp};

use super::{DailyReport, Day, Item, Section, parse_offset};

/// A cell's text: no `|` breaking the table, no line breaks.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn level(level: Level) -> String {
    format!("{} {}", level.colour_cn(), level.as_str())
}

/// A duration for people: `2h 05m`, `35m`, `1d 3h`.
pub fn overdue_text(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else {
        format!("{minutes}m")
    }
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        out.push_str("无 None.\n\n");
        return;
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

fn summary(out: &mut String, section: &Section) {
    let t = &section.totals;
    let rows = [
        ("新增预警 Opened", t.opened),
        ("销号 Closed", t.closed),
        ("日终在办 Open at end of day", t.open_at_end),
        ("超时 Overdue", t.overdue),
        ("督办件 Supervision items", t.supervision),
    ]
    .iter()
    .map(|(name, n)| vec![(*name).to_owned(), n.to_string()])
    .collect::<Vec<_>>();
    table(out, &["项目 Item", "数量 Count"], &rows);
}

fn breakdown(out: &mut String, section: &Section) {
    let rows: Vec<Vec<String>> = section
        .rows
        .iter()
        .map(|row| {
            vec![
                format!("{} {}", row.domain_name, row.domain),
                level(row.level),
                row.stage_name.clone(),
                row.opened.to_string(),
                row.closed.to_string(),
                row.open_at_end.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &[
            "领域 Domain",
            "级别 Level",
            "阶段 Stage",
            "新增 Opened",
            "销号 Closed",
            "日终在办 Open",
        ],
        &rows,
    );
}

fn asset(item: &Item) -> String {
    if item.asset_name == item.asset {
        item.asset.clone()
    } else {
        format!("{} ({})", item.asset_name, item.asset)
    }
}

fn yes(flag: bool) -> String {
    if flag { "是 yes" } else { "否 no" }.to_owned()
}

fn overdue(out: &mut String, items: &[Item]) {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            vec![
                format!("#{}", item.warning),
                asset(item),
                level(item.level),
                item.stage_name.clone(),
                overdue_text(item.overdue_ms),
                item.overdue_reason.clone().unwrap_or_default(),
                item.rungs_fired.to_string(),
                yes(item.supervised),
            ]
        })
        .collect();
    table(
        out,
        &[
            "预警 Warning",
            "对象 Asset",
            "级别 Level",
            "阶段 Stage",
            "超时 Overdue by",
            "原因 Reason",
            "升级 Rungs",
            "督办 Supervised",
        ],
        &rows,
    );
}

fn listed(out: &mut String, items: &[Item], day: &Day) {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            vec![
                format!("#{}", item.warning),
                asset(item),
                level(item.level),
                item.stage_name.clone(),
                day.local(item.stage_since),
                item.rungs_fired.to_string(),
                if item.overdue_reason.is_some() {
                    overdue_text(item.overdue_ms)
                } else {
                    "-".to_owned()
                },
            ]
        })
        .collect();
    table(
        out,
        &[
            "预警 Warning",
            "对象 Asset",
            "级别 Level",
            "阶段 Stage",
            "进入阶段 Since",
            "升级 Rungs",
            "超时 Overdue by",
        ],
        &rows,
    );
}

/// The report as Markdown.
pub fn render(report: &DailyReport) -> String {
    let offset = parse_offset(&report.timezone).unwrap_or(time::UtcOffset::UTC);
    let day = Day::containing(report.from, offset);
    let local = |at: Timestamp| day.local(at);
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", report.title);
    let _ = writeln!(
        out,
        "- 统计时段 Period: {} — {} (UTC{})",
        local(report.from),
        local(report.to),
        report.timezone
    );
    let _ = writeln!(
        out,
        "- 生成时间 Generated: {}；超时判定时点 Overdue as of: {}",
        local(report.generated_at),
        local(report.as_of)
    );
    let _ = writeln!(out, "- 配置版本 Generation: {}\n", report.generation);
    out.push_str("## 一、概况 Summary\n\n");
    summary(&mut out, &report.real);
    out.push_str("## 二、分类统计 By domain, level and stage\n\n");
    breakdown(&mut out, &report.real);
    out.push_str("## 三、超时事项 Overdue items\n\n");
    overdue(&mut out, &report.real.overdue);
    out.push_str("## 四、督办件 Supervision items\n\n");
    listed(&mut out, &report.real.supervision, &day);
    out.push_str("## 五、升级最多 Top escalations\n\n");
    listed(&mut out, &report.real.escalations, &day);
    out.push_str("## 六、演练 Drills (单独统计，不计入以上数字 / counted apart, not in the figures above)\n\n");
    summary(&mut out, &report.drills);
    breakdown(&mut out, &report.drills);
    if !report.drills.overdue.is_empty() {
        out.push_str("演练超时事项 Drill overdue items:\n\n");
        overdue(&mut out, &report.drills.overdue);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(overdue_text(125 * 60_000), "2h 05m");
        assert_eq!(overdue_text(35 * 60_000), "35m");
        assert_eq!(overdue_text(27 * 3_600_000), "1d 3h");
        assert_eq!(overdue_text(-5), "0m");
    }
}
