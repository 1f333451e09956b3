//! Notification texts: the subject line, what the body says, drill labels, time limits in words.

use std::time::Duration;

use super::fixture::*;
use crate::model::Level;
use crate::workflow::message::{Reason, ask, body, duration_cn, grade_cn, subject};

#[test]
fn the_subject_names_level_domain_hazard_asset_and_district() {
    let desk = Desk::new(Level::Red);
    let case = desk.opened();
    assert_eq!(
        subject(&desk.generation, &desk.warning, &case),
        "【红色预警】城镇燃气 gas_leak — 南京南街 电信井 T-017（和平区）"
    );
    let mut drill = case.clone();
    drill.drill = true;
    drill.level = Level::Blue;
    assert_eq!(
        subject(&desk.generation, &desk.warning, &drill),
        "【演练】【蓝色预警】城镇燃气 gas_leak — 南京南街 电信井 T-017（和平区）"
    );
    // an asset gone after a reload is named by its id
    let mut gone = desk.warning.clone();
    gone.asset = "well-9".into();
    assert!(subject(&desk.generation, &gone, &case).contains("— well-9（和平区）"));
}

#[test]
fn the_body_says_what_happened_and_what_is_asked() {
    let desk = Desk::new(Level::Red);
    let case = desk.issued(2);
    let text = body(
        &desk.generation,
        &desk.workflow,
        &desk.warning,
        &case,
        Reason::Entered,
    );
    for line in [
        "预警级别：红色（一级，red）",
        "风险对象：南京南街 电信井 T-017（well-1）",
        "所在区域：和平区（210102）",
        "行业领域：城镇燃气（city_gas），风险类型 gas_leak",
        "监测情况：gas.ch4_adjacent 52 %LEL >= red 50",
        "当前环节：issued 环节（时限 5分钟）",
        "办理要求：请于5分钟内acknowledge办理。",
        "预警编号：w12",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(!text.contains("演练"));
}

#[test]
fn an_escalation_body_names_the_rung_and_how_late() {
    let desk = Desk::new(Level::Red);
    let case = desk.issued(2);
    let rung = &desk.workflow.stages[1].escalation[2];
    let text = body(
        &desk.generation,
        &desk.workflow,
        &desk.warning,
        &case,
        Reason::Escalation {
            rung,
            overdue_ms: 10 * MIN,
        },
    );
    assert!(
        text.contains("升级原因：市政府总值班室督办（已达时限 3 倍，超时 10分钟）"),
        "{text}"
    );
    assert!(text.contains("督办件"), "{text}");
}

#[test]
fn a_drill_body_says_it_is_an_exercise_first() {
    let mut desk = Desk::new(Level::Orange);
    desk.warning.drill = true;
    let case = desk.opened();
    let text = body(
        &desk.generation,
        &desk.workflow,
        &desk.warning,
        &case,
        Reason::Recurred,
    );
    assert!(text.starts_with("【演练】本消息为应急演练"), "{text}");
    assert!(text.contains("险情复发"));
}

#[test]
fn asks_follow_the_stage() {
    let desk = Desk::new(Level::Yellow);
    let detected = desk.opened();
    assert_eq!(
        ask(&desk.workflow, &detected),
        "办理要求：请于30分钟内issue办理、dismiss办理。"
    );
    let mut closed = detected.clone();
    closed.stage = "closed".into();
    assert_eq!(
        ask(&desk.workflow, &closed),
        "办理要求：本预警已closed 环节，无需办理。"
    );
    let mut resolved = detected;
    resolved.stage = "resolved".into();
    assert_eq!(
        ask(&desk.workflow, &resolved),
        "办理要求：请及时close办理。"
    );
}

#[test]
fn limits_read_in_chinese_units() {
    let cases = [
        (0, "0分钟"),
        (30, "30秒"),
        (300, "5分钟"),
        (5400, "1小时30分钟"),
        (93_600, "1天2小时"),
    ];
    for (secs, text) in cases {
        assert_eq!(duration_cn(Duration::from_secs(secs)), text);
    }
    let grades: Vec<&str> = Level::ALL.into_iter().map(grade_cn).collect();
    assert_eq!(grades, ["四级", "三级", "二级", "一级"]);
}
