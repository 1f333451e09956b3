//! A hand-built generation and workflow shaped like the shipped closed loop: one gas domain, a
//! district with a government and one without, the departments the recipients resolve to, and a
//! workflow detected -> issued -> acknowledged -> resolved -> closed (and dismissed) with the
//! DOMAINS.md 2.5 escalation ladder on `issued`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::model::{
    ActionId, Asset, AutoTransition, AutoTransitions, Case, Channel, Department, District, Domain,
    Field, Generation, GenerationParts, Level, NotificationPlan, NotifyOn, PerLevel, Principal,
    Recipient, Role, Rung, SourceFile, Stage, StageId, Timestamp, Transition, Workflow,
};
use crate::workflow::{ActionRequest, Event, Refusal, Step, WarningFacts, step};

/// One minute in milliseconds.
pub(super) const MIN: i64 = 60_000;
/// Start of every scenario: 2026-12-01T00:00:00Z.
pub(super) const T0: i64 = 1_796_083_200_000;

/// `T0 + minutes`.
pub(super) fn at(minutes: i64) -> Timestamp {
    Timestamp(T0 + minutes * MIN)
}

fn department(id: &str, name: &str, district: Option<&str>) -> Department {
    Department {
        id: id.into(),
        name: name.to_owned(),
        district: district.map(Into::into),
        contacts: Vec::new(),
    }
}

fn asset(id: &str, name: &str, district: &str) -> Asset {
    Asset {
        id: id.into(),
        name: name.to_owned(),
        domain: "city_gas".into(),
        kind: "adjacent_space".into(),
        district: district.into(),
        owner: "gas_company".into(),
        location: None,
        attributes: BTreeMap::new(),
    }
}

/// Departments: `construction` (lead), `gas_company` (owner), `heping.government` and
/// `heping.street` (district 210102, whose government is `heping.government`), `shenhe.a` and
/// `shenhe.b` (district 210103, no government), `government`, `duty_office`, `monitoring`.
/// Assets `well-1` (210102) and `well-2` (210103). The workflow of [`workflow`].
pub(super) fn generation() -> Generation {
    Generation::build(GenerationParts {
        sources: vec![SourceFile {
            path: "<test>".to_owned(),
            text: "workflow fixture".to_owned(),
        }],
        districts: vec![
            District {
                code: "210102".into(),
                name: "和平区".to_owned(),
                parent: None,
                government: Some("heping.government".into()),
                boundary: None,
            },
            District {
                code: "210103".into(),
                name: "沈河区".to_owned(),
                parent: None,
                government: None,
                boundary: None,
            },
        ],
        departments: vec![
            department("construction", "市城乡建设局", None),
            department("gas_company", "燃气集团", None),
            department("heping.government", "和平区人民政府", Some("210102")),
            department("heping.street", "南市场街道", Some("210102")),
            department("shenhe.a", "沈河区应急局", Some("210103")),
            department("shenhe.b", "沈河区住建局", Some("210103")),
            department("government", "市人民政府", None),
            department("duty_office", "市政府总值班室", None),
            department("monitoring", "监测预警中心", None),
        ],
        domains: vec![Domain {
            id: "city_gas".into(),
            name: "City gas".to_owned(),
            name_cn: "城镇燃气".to_owned(),
            lead_department: "construction".into(),
            co_departments: vec!["monitoring".into(), "unregistered".into()],
            issuing_authority: Default::default(),
            objects: vec!["adjacent_space".to_owned()],
            metrics: Vec::new(),
            grading: None,
        }],
        assets: vec![
            asset("well-1", "南京南街 电信井 T-017", "210102"),
            asset("well-2", "青年大街 电力井 P-3", "210103"),
        ],
        workflows: vec![workflow()],
        ..GenerationParts::default()
    })
}

/// Minutes per level (blue, yellow, orange, red).
fn minutes(limits: [u64; 4]) -> PerLevel<Option<Duration>> {
    limits.map(|m| Some(Duration::from_secs(m * 60)))
}

fn stage(id: &str, deadline: PerLevel<Option<Duration>>, escalation: Vec<Rung>) -> Stage {
    Stage {
        id: id.into(),
        name: format!("{id} 环节"),
        terminal: false,
        deadline,
        escalation,
    }
}

fn terminal(id: &str) -> Stage {
    Stage {
        terminal: true,
        ..stage(id, [None; 4], Vec::new())
    }
}

fn rung(after: f64, recipients: Vec<Recipient>, supervision: bool, label: &str) -> Rung {
    Rung {
        after,
        recipients,
        channels: vec![Channel::Sms, Channel::Phone],
        supervision,
        label: label.to_owned(),
    }
}

fn transition(
    action: &str,
    from: &[&str],
    to: Option<&str>,
    roles: &[Role],
    requires: &[Field],
) -> Transition {
    Transition {
        action: ActionId::new(action),
        name: format!("{action}办理"),
        from: from.iter().map(|s| StageId::new(*s)).collect(),
        to: to.map(StageId::new),
        roles: roles.to_vec(),
        requires: requires.to_vec(),
    }
}

fn auto(from: &[&str], to: Option<&str>) -> Option<AutoTransition> {
    Some(AutoTransition {
        from: from.iter().map(|s| StageId::new(*s)).collect(),
        to: to.map(StageId::new),
    })
}

fn plan(
    on: NotifyOn,
    levels: &[Level],
    recipients: Vec<Recipient>,
    channels: &[Channel],
) -> NotificationPlan {
    NotificationPlan {
        on,
        levels: levels.to_vec(),
        recipients,
        channels: channels.to_vec(),
    }
}

fn entered(stage: &str) -> NotifyOn {
    NotifyOn::Entered(stage.into())
}

/// The closed loop: `detected` (1x: monitoring centre) -> `issued` (ladder 1x issued, 2x duty
/// leader + district government, 3x city duty office as supervision; limits red 5m, orange 10m,
/// yellow 30m, blue 4h) -> `acknowledged` (progress `feedback` keeps the stage) -> `resolved`
/// (no limit) -> `closed` (note required); `dismissed` from `detected`.
pub(super) fn workflow() -> Workflow {
    use Recipient as R;
    let all = Level::ALL;
    Workflow {
        id: "standard".into(),
        name: "标准闭环".to_owned(),
        domains: Vec::new(),
        stages: vec![
            stage(
                "detected",
                minutes([120, 30, 10, 5]),
                vec![rung(
                    1.0,
                    vec![R::Department("monitoring".into())],
                    false,
                    "研判超时",
                )],
            ),
            stage(
                "issued",
                minutes([240, 30, 10, 5]),
                vec![
                    rung(1.0, vec![R::Issued], false, "重复叫应"),
                    rung(
                        2.0,
                        vec![R::DepartmentDutyLeader, R::DistrictGovernment],
                        false,
                        "升级至部门值班领导和属地区政府",
                    ),
                    rung(3.0, vec![R::CityDutyOffice], true, "市政府总值班室督办"),
                ],
            ),
            stage(
                "acknowledged",
                minutes([1440, 120, 30, 15]),
                vec![rung(1.0, vec![R::Issued], false, "到场超时")],
            ),
            stage("resolved", [None; 4], Vec::new()),
            terminal("closed"),
            terminal("dismissed"),
        ],
        initial: "detected".into(),
        transitions: vec![
            transition(
                "issue",
                &["detected"],
                Some("issued"),
                &[Role::DutyOfficer],
                &[],
            ),
            transition(
                "dismiss",
                &["detected"],
                Some("dismissed"),
                &[Role::DutyOfficer],
                &[Field::Note],
            ),
            transition(
                "acknowledge",
                &["issued"],
                Some("acknowledged"),
                &[Role::DepartmentUser, Role::DistrictUser, Role::DutyOfficer],
                &[],
            ),
            transition(
                "feedback",
                &["acknowledged"],
                None,
                &[Role::DepartmentUser, Role::DutyOfficer],
                &[Field::Note],
            ),
            transition(
                "resolve",
                &["acknowledged"],
                Some("resolved"),
                &[Role::DepartmentUser, Role::DutyOfficer],
                &[Field::Note, Field::Evidence],
            ),
            transition(
                "close",
                &["resolved"],
                Some("closed"),
                &[Role::DutyOfficer],
                &[Field::Note],
            ),
        ],
        auto: AutoTransitions {
            on_cleared: auto(&["issued", "acknowledged"], Some("resolved")),
            on_recurrence: auto(&["resolved"], Some("issued")),
            on_raised: auto(&["acknowledged", "resolved"], Some("issued")),
        },
        notify: vec![
            plan(
                entered("detected"),
                &all,
                vec![R::Department("monitoring".into())],
                &[Channel::Webhook],
            ),
            plan(
                entered("issued"),
                &[Level::Red, Level::Orange],
                vec![
                    R::IssuingAuthority,
                    R::LeadDepartment,
                    R::Owner,
                    R::DistrictGovernment,
                    R::CityDutyOffice,
                ],
                &[Channel::Sms, Channel::Phone],
            ),
            plan(
                entered("issued"),
                &[Level::Yellow, Level::Blue],
                vec![R::LeadDepartment, R::Owner, R::DistrictGovernment],
                &[Channel::Sms],
            ),
            plan(
                NotifyOn::Raised,
                &all,
                vec![R::IssuingAuthority, R::Issued],
                &[Channel::Sms],
            ),
            plan(NotifyOn::Recurred, &all, vec![R::Issued], &[Channel::Sms]),
            plan(entered("closed"), &all, vec![R::Issued], &[Channel::Email]),
        ],
        issuing_authority: [
            vec![R::LeadDepartment],
            vec![R::LeadDepartment],
            vec![R::Department("government".into())],
            vec![R::Department("government".into())],
        ],
        city_duty_office: "duty_office".into(),
    }
}

/// Warning 12 on `well-1` (gas_leak) at `level`.
pub(super) fn facts(level: Level) -> WarningFacts {
    WarningFacts {
        id: 12,
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "construction".into(),
        level,
        drill: false,
        message: "gas.ch4_adjacent 52 %LEL >= red 50".to_owned(),
        generation: "0123456789abcdef".into(),
    }
}

/// A user with `role` (user id 7, department `gas_company`, district 210102).
pub(super) fn principal(role: Role) -> Principal {
    Principal {
        user: 7,
        name: "张值班".to_owned(),
        role,
        department: Some("gas_company".into()),
        district: Some("210102".into()),
    }
}

/// A request for `action` with an optional note and evidence.
pub(super) fn request(action: &str, note: Option<&str>, evidence: &[&str]) -> ActionRequest {
    ActionRequest {
        action: action.to_owned(),
        note: note.map(str::to_owned),
        evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
    }
}

/// Runs the machine against the fixture's generation and workflow.
#[derive(Debug)]
pub(super) struct Desk {
    pub(super) generation: Generation,
    pub(super) workflow: Workflow,
    pub(super) warning: WarningFacts,
}

impl Desk {
    /// A desk for warning 12 at `level`.
    pub(super) fn new(level: Level) -> Desk {
        Desk {
            generation: generation(),
            workflow: workflow(),
            warning: facts(level),
        }
    }

    /// One step at `T0 + minutes`.
    pub(super) fn step(
        &self,
        case: Option<&Case>,
        event: Event<'_>,
        minutes: i64,
    ) -> Result<Step, Refusal> {
        self.step_at(case, event, at(minutes))
    }

    /// One step at `now`.
    pub(super) fn step_at(
        &self,
        case: Option<&Case>,
        event: Event<'_>,
        now: Timestamp,
    ) -> Result<Step, Refusal> {
        step(
            &self.workflow,
            &self.generation,
            &self.warning,
            case,
            event,
            now,
        )
    }

    /// An action by a user with `role` at `T0 + minutes`.
    pub(super) fn act(
        &self,
        case: &Case,
        role: Role,
        request: &ActionRequest,
        minutes: i64,
    ) -> Result<Step, Refusal> {
        let actor = principal(role);
        self.step(
            Some(case),
            Event::Action {
                request,
                actor: &actor,
            },
            minutes,
        )
    }

    /// The case opened at `T0`.
    pub(super) fn opened(&self) -> Case {
        self.step(None, Event::Opened, 0).unwrap().case
    }

    /// The case opened at `T0` and issued by the duty officer at `T0 + minutes`.
    pub(super) fn issued(&self, minutes: i64) -> Case {
        let case = self.opened();
        self.act(
            &case,
            Role::DutyOfficer,
            &request("issue", None, &[]),
            minutes,
        )
        .unwrap()
        .case
    }

    /// The issued case acknowledged by a department user at `T0 + minutes`.
    pub(super) fn acknowledged(&self, issued_at: i64, minutes: i64) -> Case {
        let case = self.issued(issued_at);
        self.act(
            &case,
            Role::DepartmentUser,
            &request("acknowledge", None, &[]),
            minutes,
        )
        .unwrap()
        .case
    }
}

/// (recipient, channel, reason) of each notification, in order.
pub(super) fn told(step: &Step) -> Vec<(String, &'static str, String)> {
    step.notifications
        .iter()
        .map(|n| {
            (
                n.recipient.to_string(),
                n.channel.as_str(),
                n.reason.clone(),
            )
        })
        .collect()
}

/// The distinct recipients of a step's notifications, sorted.
pub(super) fn recipients(step: &Step) -> Vec<String> {
    let mut out: Vec<String> = step
        .notifications
        .iter()
        .map(|n| n.recipient.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The audit actions of a step, as their stable names.
pub(super) fn actions(step: &Step) -> Vec<&'static str> {
    step.audit.iter().map(|a| a.action.as_str()).collect()
}

/// Ids as strings.
pub(super) fn ids<T: std::fmt::Display>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}
