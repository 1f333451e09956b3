//! People and permissions: the roles a user can hold and the principal a request acts as.
//! Users live in the store (created with `tocsin token create` or by an admin through the API);
//! departments and districts they are scoped to come from `city/`.

use std::fmt;

use super::ids::{DepartmentId, DistrictCode};

/// What a user may do. The matrix of endpoints x roles is in `crate::api::auth` and docs/API.md.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, tokens and reloads.
    Admin,
    /// Reads configuration, generations and shadow findings; reloads the configuration.
    RuleEditor,
    /// The 7x24 duty desk (值班员): triages, issues, enters manual warnings, closes; sees all.
    DutyOfficer,
    /// A department's user: sees and acts on the warnings issued to their department only.
    DepartmentUser,
    /// A district's user: sees and acts on the warnings in their district only.
    DistrictUser,
    /// Reads everything, including the audit log; changes nothing.
    Auditor,
    /// A sensor gateway: posts readings, nothing else.
    IngestClient,
}

impl Role {
    /// Every role, in the order of the matrix.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::RuleEditor,
        Role::DutyOfficer,
        Role::DepartmentUser,
        Role::DistrictUser,
        Role::Auditor,
        Role::IngestClient,
    ];

    /// Stable name used in config, store, CLI and API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::RuleEditor => "rule_editor",
            Role::DutyOfficer => "duty_officer",
            Role::DepartmentUser => "department_user",
            Role::DistrictUser => "district_user",
            Role::Auditor => "auditor",
            Role::IngestClient => "ingest_client",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The user a request acts as, after its token was checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Principal {
    /// Store-assigned user id.
    pub user: i64,
    /// Name for people and the audit log.
    pub name: String,
    /// The role.
    pub role: Role,
    /// For department users: their department.
    pub department: Option<DepartmentId>,
    /// For district users: their district.
    pub district: Option<DistrictCode>,
}

impl Principal {
    /// The user id of someone acting through an acknowledgment link (no stored user has it:
    /// store ids start at 1).
    pub const LINK_USER: i64 = 0;

    /// The recipient of a message acting through its acknowledgment link: a department user of
    /// `department`, named `person` (the audit records them as `person:<person>`).
    pub fn through_link(person: &str, department: DepartmentId) -> Principal {
        Principal {
            user: Principal::LINK_USER,
            name: person.to_owned(),
            role: Role::DepartmentUser,
            department: Some(department),
            district: None,
        }
    }

    /// Whether this principal acts through an acknowledgment link.
    pub fn is_link(&self) -> bool {
        self.user == Principal::LINK_USER
    }
}

/// Who did something, as the audit log and the workflow record it: a user, or a part of the
/// engine acting by itself (`engine`, `workflow`, `timer`, `config`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    /// `user:<id>` for users, `system:<part>` otherwise.
    pub id: String,
    /// The user's name, or the part's.
    pub name: String,
    /// The user's role; `None` for the system.
    pub role: Option<Role>,
}

impl Actor {
    /// A part of the engine acting by itself.
    pub fn system(part: &str) -> Actor {
        Actor {
            id: format!("system:{part}"),
            name: part.to_owned(),
            role: None,
        }
    }

    /// The user behind a principal.
    pub fn user(principal: &Principal) -> Actor {
        Actor {
            id: format!("user:{}", principal.user),
            name: principal.name.clone(),
            role: Some(principal.role),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}
