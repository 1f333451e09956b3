//! The access matrix: which roles may call which endpoint. It is data, one row per (method, route
//! pattern), and the one source of truth: the API's guard looks every request up here (by axum's
//! matched route pattern), `docs/API.md`'s table is [`markdown`] of it, and
//! `tests/access_matrix.rs` walks it (and checks it against the real router).
//!
//! A route that is routed but missing here is refused for everyone (`405`), so forgetting a row
//! fails closed. `HEAD` is looked up as `GET`.

use crate::model::Role;

/// Where the API is mounted; patterns below are relative to it. `/healthz` and `/metrics` are
/// also served at the top level, with the same rows.
pub const API_PREFIX: &str = "/api/v1";

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (probes and Prometheus).
    Public,
    /// A valid token of one of these roles.
    Roles(&'static [Role]),
}

/// Which warnings a department or district user reaches through an endpoint
/// ([`super::scope`]); other roles reach all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Not about warnings.
    Unscoped,
    /// A list of warnings, narrowed by the handler with [`super::scope::narrow`].
    WarningList,
    /// One warning, `{id}` in the route: the guard refuses (403) unless
    /// [`super::scope::may_see`].
    Warning,
}

/// One row of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permission {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Route pattern under [`API_PREFIX`], as axum writes it (`/warnings/{id}`).
    pub route: &'static str,
    /// Who may call it.
    pub access: Access,
    /// How it is scoped for department and district users.
    pub scope: Scope,
}

impl Permission {
    /// True when `role` may call it (public rows: every role, and no token at all).
    pub fn allows(&self, role: Role) -> bool {
        match self.access {
            Access::Public => true,
            Access::Roles(roles) => roles.contains(&role),
        }
    }
}

use Role::{Admin, Auditor, DepartmentUser, DistrictUser, DutyOfficer, IngestClient, RuleEditor};

/// Everyone who reads warnings, sensors and faults.
const READERS: &[Role] = &[
    Admin,
    RuleEditor,
    DutyOfficer,
    DepartmentUser,
    DistrictUser,
    Auditor,
];
/// Who takes workflow actions (the workflow's transition roles restrict further).
const ACTORS: &[Role] = &[Admin, DutyOfficer, DepartmentUser, DistrictUser];
/// Who reads the configuration.
const CONFIG_READERS: &[Role] = &[Admin, RuleEditor, DutyOfficer, Auditor];
/// The duty desk's supervisors.
const DESK_READERS: &[Role] = &[Admin, DutyOfficer, Auditor];
/// Who reads the audit log and the list of people.
const AUDIT_READERS: &[Role] = &[Admin, Auditor];

const fn row(method: &'static str, route: &'static str, roles: &'static [Role]) -> Permission {
    Permission {
        method,
        route,
        access: Access::Roles(roles),
        scope: Scope::Unscoped,
    }
}

const fn scoped(
    method: &'static str,
    route: &'static str,
    roles: &'static [Role],
    scope: Scope,
) -> Permission {
    Permission {
        method,
        route,
        access: Access::Roles(roles),
        scope,
    }
}

const fn public(route: &'static str) -> Permission {
    Permission {
        method: "GET",
        route,
        access: Access::Public,
        scope: Scope::Unscoped,
    }
}

/// The matrix, in the order of `docs/API.md`.
pub const MATRIX: &[Permission] = &[
    public("/healthz"),
    public("/metrics"),
    row("POST", "/readings", &[Admin, IngestClient]),
    scoped("GET", "/warnings", READERS, Scope::WarningList),
    row("POST", "/warnings", &[Admin, DutyOfficer]),
    scoped("GET", "/warnings/{id}", READERS, Scope::Warning),
    scoped("GET", "/warnings/{id}/timeline", READERS, Scope::Warning),
    scoped("GET", "/warnings/{id}/cap", READERS, Scope::Warning),
    scoped("POST", "/warnings/{id}/actions", ACTORS, Scope::Warning),
    row("GET", "/faults", READERS),
    row("GET", "/sensors", READERS),
    row("GET", "/sensors/{id}", READERS),
    row("GET", "/sensors/{id}/readings", READERS),
    row("GET", "/config", CONFIG_READERS),
    row("GET", "/config/generations", CONFIG_READERS),
    row("GET", "/config/generations/{id}/files", CONFIG_READERS),
    row("GET", "/shadow", CONFIG_READERS),
    row("POST", "/admin/reload", &[Admin, RuleEditor]),
    row("GET", "/audit", AUDIT_READERS),
    row("GET", "/audit/verify", AUDIT_READERS),
    row("GET", "/reports/daily", DESK_READERS),
    row("GET", "/oncall", READERS),
    row("GET", "/outbox", DESK_READERS),
    row("POST", "/outbox/{id}/retry", &[Admin, DutyOfficer]),
    row("POST", "/outbox/{id}/call", &[Admin, DutyOfficer]),
    row("GET", "/silences", &[Admin, DutyOfficer]),
    row("POST", "/silences", &[Admin, DutyOfficer]),
    row("POST", "/silences/{id}/confirm", &[Admin, DutyOfficer]),
    row("DELETE", "/silences/{id}", &[Admin, DutyOfficer]),
    row("GET", "/users", AUDIT_READERS),
    row("GET", "/tokens", AUDIT_READERS),
    row("POST", "/tokens", &[Admin]),
    row("DELETE", "/tokens/{id}", &[Admin]),
    row("GET", "/whoami", &Role::ALL),
    public("/openapi.json"),
];

/// The row for a request: `method` as sent (`HEAD` counts as `GET`), `route` the matched pattern
/// with or without [`API_PREFIX`]. `None` when the matrix has no such row.
pub fn permission(method: &str, route: &str) -> Option<&'static Permission> {
    let method = if method == "HEAD" { "GET" } else { method };
    let route = route.strip_prefix(API_PREFIX).unwrap_or(route);
    MATRIX
        .iter()
        .find(|row| row.method == method && row.route == route)
}

/// The matrix as a Markdown table (one column per role), as `docs/API.md` shows it.
pub fn markdown() -> String {
    let mut text = String::from("| method | route |");
    for role in Role::ALL {
        text.push_str(&format!(" {role} |"));
    }
    text.push_str("\n| --- | --- |");
    for _ in Role::ALL {
        text.push_str(" :-: |");
    }
    text.push('\n');
    for row in MATRIX {
        text.push_str(&format!("| {} | `{}` |", row.method, row.route));
        for role in Role::ALL {
            let cell = match (row.access, row.scope) {
                (Access::Public, _) => "public",
                (Access::Roles(_), _) if !row.allows(role) => "-",
                (_, Scope::WarningList | Scope::Warning)
                    if matches!(role, DepartmentUser | DistrictUser) =>
                {
                    "own"
                }
                _ => "yes",
            };
            text.push_str(&format!(" {cell} |"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_and_lookups_find_them() {
        for (i, row) in MATRIX.iter().enumerate() {
            assert!(
                MATRIX[..i]
                    .iter()
                    .all(|other| (other.method, other.route) != (row.method, row.route)),
                "duplicate row {} {}",
                row.method,
                row.route
            );
            assert_eq!(permission(row.method, row.route), Some(row));
            let full = format!("{API_PREFIX}{}", row.route);
            assert_eq!(permission(row.method, &full), Some(row));
        }
        assert_eq!(
            permission("HEAD", "/api/v1/warnings").map(|row| row.method),
            Some("GET")
        );
        assert_eq!(permission("DELETE", "/warnings"), None);
        assert_eq!(permission("GET", "/nowhere"), None);
    }

    #[test]
    fn auditors_change_nothing_and_ingest_clients_only_post_readings() {
        for row in MATRIX {
            if row.method != "GET" {
                assert!(!row.allows(Auditor), "{} {}", row.method, row.route);
            }
            let ingest = row.allows(IngestClient) && row.access != Access::Public;
            assert_eq!(
                ingest,
                matches!(
                    (row.method, row.route),
                    ("POST", "/readings") | ("GET", "/whoami")
                ),
                "{} {}",
                row.method,
                row.route
            );
        }
    }

    #[test]
    fn markdown_has_a_line_per_row() {
        let table = markdown();
        assert_eq!(table.lines().count(), MATRIX.len() + 2);
        assert!(
            table.contains(
                "| POST | `/warnings/{id}/actions` | yes | - | yes | own | own | - | - |"
            )
        );
    }
}
