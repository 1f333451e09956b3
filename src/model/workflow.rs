//! Closed-loop disposal workflows (闭环处置, DOMAINS.md 2.5) after compilation: stages, the actions
//! that move a warning between them and who may take them, per-level deadlines with their
//! escalation ladders, notification plans, and the automatic transitions the engine's warning
//! changes trigger. `compile::workflow` builds them from `workflows/*.yaml` and checks them
//! (reachability, terminal stages, every role and recipient known); `crate::workflow` runs them.

use std::time::Duration;

use super::access::Role;
use super::ids::{DepartmentId, DomainId};
use super::level::Level;

crate::model::ids::id_type!(
    /// A workflow, e.g. `standard` (the shipped closed loop of DOMAINS.md 2.5).
    WorkflowId
);
crate::model::ids::id_type!(
    /// A stage of a workflow, e.g. `issued`.
    StageId
);
crate::model::ids::id_type!(
    /// An action that moves a warning between stages, e.g. `acknowledge`.
    ActionId
);

/// A per-level value: index with [`Level::index`].
pub type PerLevel<T> = [T; 4];

/// One stage of a workflow.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stage {
    /// Stable id (`detected`, `issued` ...).
    pub id: StageId,
    /// Name for people, e.g. `签收 acknowledged`.
    pub name: String,
    /// A terminal stage ends the case (`closed`, `dismissed`): no action leaves it, no timer runs.
    pub terminal: bool,
    /// How long a warning of each level may stay in this stage before it is overdue; `None` for
    /// levels (or stages) without a limit.
    pub deadline: PerLevel<Option<Duration>>,
    /// What happens at multiples of the deadline while the warning stays here, in `after` order.
    pub escalation: Vec<Rung>,
}

/// One rung of an escalation ladder: at `after` times the stage's deadline, notify `recipients`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Rung {
    /// Multiple of the deadline (1.0, 2.0, 3.0 ...); strictly increasing along the ladder.
    pub after: f64,
    /// Who is told (re-notifying the original recipients is `Recipient::Issued`).
    pub recipients: Vec<Recipient>,
    /// Over which channels.
    pub channels: Vec<Channel>,
    /// True when this rung opens a supervision item (督办件).
    pub supervision: bool,
    /// Name for people, e.g. `升级至部门值班领导和属地区政府`.
    pub label: String,
}

/// Who a notification goes to, resolved by `crate::workflow::routing` against the warning.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Recipient {
    /// The asset's owner unit (权属单位).
    Owner,
    /// The domain's lead department (行业主管部门).
    LeadDepartment,
    /// The domain's co-operating departments.
    CoDepartments,
    /// The government of the district the asset stands in (属地), found by the department
    /// registered with that district.
    DistrictGovernment,
    /// The issuing authority of the warning's current level (DOMAINS.md 2.2), from
    /// [`Workflow::issuing_authority`].
    IssuingAuthority,
    /// The duty leader of the lead department (a contact with role `duty_leader`), else the
    /// department itself.
    DepartmentDutyLeader,
    /// The city duty office (市政府总值班室), [`Workflow::city_duty_office`].
    CityDutyOffice,
    /// Whoever the warning was last issued to (re-notification).
    Issued,
    /// One named department.
    Department(DepartmentId),
}

impl Recipient {
    /// The recipient words of workflow documents (`docs/WORKFLOWS.md`); `department:<id>` names
    /// one department.
    pub const WORDS: [&'static str; 8] = [
        "owner",
        "lead_department",
        "co_departments",
        "district_government",
        "issuing_authority",
        "department_duty_leader",
        "city_duty_office",
        "issued",
    ];

    /// The recipient a word of [`Recipient::WORDS`] names.
    pub fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "owner" => Recipient::Owner,
            "lead_department" => Recipient::LeadDepartment,
            "co_departments" => Recipient::CoDepartments,
            "district_government" => Recipient::DistrictGovernment,
            "issuing_authority" => Recipient::IssuingAuthority,
            "department_duty_leader" => Recipient::DepartmentDutyLeader,
            "city_duty_office" => Recipient::CityDutyOffice,
            "issued" => Recipient::Issued,
            _ => return None,
        })
    }
}

/// A delivery channel. Delivery itself belongs to the notifiers; the workflow writes outbox rows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Text message.
    Sms,
    /// E-mail.
    Email,
    /// Signed JSON to a webhook.
    Webhook,
    /// Phone call-back (电话叫应), placed by the duty desk; queued so it is tracked.
    Phone,
}

impl Channel {
    /// Stable name used in config, store and API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Phone => "phone",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<Channel> {
        [
            Channel::Sms,
            Channel::Email,
            Channel::Webhook,
            Channel::Phone,
        ]
        .into_iter()
        .find(|channel| channel.as_str() == name)
    }
}

/// A field an action requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A free-text note (`note`), non-blank.
    Note,
    /// At least one evidence item (`evidence`: photo URLs, measurements).
    Evidence,
}

impl Field {
    /// Stable name used in config and API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Note => "note",
            Field::Evidence => "evidence",
        }
    }
}

/// An action people take (签收, 到场, 销号 ...).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Transition {
    /// Action name used in `POST /warnings/{id}/actions`.
    pub action: ActionId,
    /// Name for people.
    pub name: String,
    /// Stages it may be taken from.
    pub from: Vec<StageId>,
    /// Stage it leads to; `None` keeps the stage (a progress report, 续报).
    pub to: Option<StageId>,
    /// Roles allowed to take it (department and district users only on their own warnings).
    pub roles: Vec<Role>,
    /// Fields the request must carry.
    pub requires: Vec<Field>,
}

/// A transition the workflow takes by itself when the engine moves the warning.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AutoTransition {
    /// Stages it applies in; in any other stage the event changes no stage.
    pub from: Vec<StageId>,
    /// Stage it leads to; `None` keeps the stage but still re-notifies (re-issue).
    pub to: Option<StageId>,
}

/// The automatic transitions of a workflow.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AutoTransitions {
    /// The condition cleared (after hysteresis): e.g. handling stages -> `resolved` (pending the
    /// duty officer's confirmation).
    pub on_cleared: Option<AutoTransition>,
    /// The condition came back before the case was closed: e.g. `resolved` -> `issued` (reopened).
    pub on_recurrence: Option<AutoTransition>,
    /// The level rose while the case is handled: re-issued to the higher level's authority.
    pub on_raised: Option<AutoTransition>,
}

/// When a notification plan fires.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "on", content = "stage")]
pub enum NotifyOn {
    /// The warning entered this stage (by an action or automatically).
    Entered(StageId),
    /// The level rose while the case was open (re-issue).
    Raised,
    /// The condition came back before closure.
    Recurred,
}

/// Who is told what, and how, when something happens to a warning of the listed levels.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NotificationPlan {
    /// The trigger.
    pub on: NotifyOn,
    /// Levels it applies to (all four when the YAML omits `levels`).
    pub levels: Vec<Level>,
    /// Recipients.
    pub recipients: Vec<Recipient>,
    /// Channels.
    pub channels: Vec<Channel>,
}

/// A compiled workflow.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Workflow {
    /// Stable id.
    pub id: WorkflowId,
    /// Name for people.
    pub name: String,
    /// Domains that use it; empty for the default workflow (exactly one workflow may be the
    /// default; every domain not listed elsewhere uses it).
    pub domains: Vec<DomainId>,
    /// Stages, the initial one first.
    pub stages: Vec<Stage>,
    /// Where a new warning starts (研判, triage).
    pub initial: StageId,
    /// Actions.
    pub transitions: Vec<Transition>,
    /// Automatic transitions.
    pub auto: AutoTransitions,
    /// Notification plans.
    pub notify: Vec<NotificationPlan>,
    /// Who issues each level (DOMAINS.md 2.2), as recipients.
    pub issuing_authority: PerLevel<Vec<Recipient>>,
    /// The city duty office (市政府总值班室) that receives supervision items.
    pub city_duty_office: DepartmentId,
}

impl Workflow {
    /// A stage by id.
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.id.as_str() == id)
    }

    /// An action by name.
    pub fn transition(&self, action: &str) -> Option<&Transition> {
        self.transitions
            .iter()
            .find(|transition| transition.action.as_str() == action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipient_word_names_a_recipient_and_nothing_else_does() {
        for word in Recipient::WORDS {
            assert!(Recipient::from_word(word).is_some(), "{word}");
        }
        let named: std::collections::HashSet<Recipient> = Recipient::WORDS
            .iter()
            .filter_map(|w| Recipient::from_word(w))
            .collect();
        assert_eq!(named.len(), Recipient::WORDS.len());
        assert_eq!(Recipient::from_word("department:x"), None);
        assert_eq!(Recipient::from_word("Owner"), None);
    }
}
