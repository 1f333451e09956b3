//! Users and their tokens, the same way for `tocsin token` and the `/tokens` endpoints: a new
//! user's role and scope are checked (department users need a department, district users a
//! district, nobody else takes either, and when a configuration is at hand the department or
//! district exists); tokens are created and revoked with their audit entries.

use crate::model::{
    AuditAction, AuditDraft, DepartmentId, DistrictCode, Generation, GenerationId, Role, Timestamp,
};
use crate::storage::{NewUser, Store, StoreError, TokenRecord, UserRecord};

use super::token::IssuedToken;

/// What is wrong with a requested user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// Not a role name.
    #[error("unknown role `{0}`; expected one of {roles}", roles = role_names())]
    UnknownRole(String),
    /// A department user without a department.
    #[error("role department_user needs a department")]
    DepartmentRequired,
    /// A district user without a district.
    #[error("role district_user needs a district")]
    DistrictRequired,
    /// A department given for another role.
    #[error("a department is only for role department_user, not {0}")]
    DepartmentNotAllowed(Role),
    /// A district given for another role.
    #[error("a district is only for role district_user, not {0}")]
    DistrictNotAllowed(Role),
    /// The department is not in the configuration.
    #[error("unknown department `{0}`")]
    UnknownDepartment(String),
    /// The district is not in the configuration.
    #[error("unknown district `{0}`")]
    UnknownDistrict(String),
    /// A blank name.
    #[error("the name must not be blank")]
    BlankName,
    /// A name longer than [`MAX_NAME_CHARS`] characters.
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    LongName,
    /// A name with a control character (a terminal escape, a line break).
    #[error("the name must not hold control characters (line breaks, tabs, terminal escapes)")]
    ControlInName,
}

/// Most characters in a user's name.
pub const MAX_NAME_CHARS: usize = 100;

/// A name (or any stored text) made safe to print on a terminal or in a log line: control
/// characters shown escaped (`\u{1b}`), at most [`MAX_NAME_CHARS`] characters (then `…`). Names
/// are checked when created; this is for those stored before the check.
pub fn printable(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(4 * MAX_NAME_CHARS));
    for (i, c) in name.chars().enumerate() {
        if i == MAX_NAME_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every role name, for messages.
fn role_names() -> String {
    Role::ALL
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a requested user. `name` defaults to the role and its scope
/// (`department_user@shenyang.gas`); with `generation`, the department or district must exist.
pub fn new_user(
    role: &str,
    name: Option<&str>,
    department: Option<&str>,
    district: Option<&str>,
    generation: Option<&Generation>,
) -> Result<NewUser, UserError> {
    let role = Role::parse(role).ok_or_else(|| UserError::UnknownRole(role.to_owned()))?;
    let department = department.map(str::trim).filter(|d| !d.is_empty());
    let district = district.map(str::trim).filter(|d| !d.is_empty());
    match role {
        Role::DepartmentUser if department.is_none() => return Err(UserError::DepartmentRequired),
        Role::DistrictUser if district.is_none() => return Err(UserError::DistrictRequired),
        Role::DepartmentUser => {}
        _ if department.is_some() => return Err(UserError::DepartmentNotAllowed(role)),
        _ => {}
    }
    if role != Role::DistrictUser && district.is_some() {
        return Err(UserError::DistrictNotAllowed(role));
    }
    if let Some(generation) = generation {
        if let Some(id) = department.filter(|id| generation.department(id).is_none()) {
            return Err(UserError::UnknownDepartment(id.to_owned()));
        }
        if let Some(code) = district.filter(|code| generation.district(code).is_none()) {
            return Err(UserError::UnknownDistrict(code.to_owned()));
        }
    }
    let name = match name {
        Some(name) if name.trim().is_empty() => return Err(UserError::BlankName),
        Some(name) if name.chars().any(char::is_control) => {
            return Err(UserError::ControlInName);
        }
        Some(name) if name.trim().chars().count() > MAX_NAME_CHARS => {
            return Err(UserError::LongName);
        }
        Some(name) => name.trim().to_owned(),
        None => match department.or(district) {
            Some(scope) => format!("{role}@{scope}"),
            None => role.as_str().to_owned(),
        },
    };
    Ok(NewUser {
        name,
        role,
        department: department.map(DepartmentId::from),
        district: district.map(DistrictCode::from),
    })
}

/// Creates `new_user` with a first token, audited as `token.created` by `actor`; the token's
/// secret (to show once) is the third element.
pub async fn create_user(
    store: &dyn Store,
    new_user: &NewUser,
    actor: &str,
    at: Timestamp,
    generation: Option<&GenerationId>,
) -> Result<(UserRecord, TokenRecord, String), StoreError> {
    let issued = IssuedToken::generate();
    let draft = created_draft(actor, at, &issued.prefix, None, Some(new_user), generation);
    let (user, record) = store
        .create_user(new_user, &issued.to_new(), at, &draft)
        .await?;
    Ok((user, record, issued.secret))
}

/// Adds a token to user `user`, audited; `None` when there is no such user.
pub async fn add_token(
    store: &dyn Store,
    user: i64,
    actor: &str,
    at: Timestamp,
    generation: Option<&GenerationId>,
) -> Result<Option<(TokenRecord, String)>, StoreError> {
    let issued = IssuedToken::generate();
    let draft = created_draft(actor, at, &issued.prefix, Some(user), None, generation);
    let record = store
        .create_token(user, &issued.to_new(), at, &draft)
        .await?;
    Ok(record.map(|record| (record, issued.secret)))
}

/// Revokes token `id`, audited as `token.revoked`; its prefix, or `None` when unknown or already
/// revoked.
pub async fn revoke(
    store: &dyn Store,
    id: i64,
    actor: &str,
    at: Timestamp,
    generation: Option<&GenerationId>,
) -> Result<Option<String>, StoreError> {
    let tokens = store.tokens(None).await?;
    let Some(token) = tokens
        .into_iter()
        .find(|token| token.id == id && token.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let draft = revoked_draft(actor, at, id, &token.prefix, generation);
    let revoked = store.revoke_token(id, at, &draft).await?;
    Ok(revoked.then_some(token.prefix))
}

/// The `token.created` entry of a token (for a new user, `user` is `None` until the store assigns
/// an id, and the detail names the user instead).
fn created_draft(
    actor: &str,
    at: Timestamp,
    prefix: &str,
    user: Option<i64>,
    new_user: Option<&NewUser>,
    generation: Option<&GenerationId>,
) -> AuditDraft {
    let mut detail = serde_json::json!({ "prefix": prefix });
    if let Some(user) = user {
        detail["user"] = user.into();
    }
    if let Some(new_user) = new_user {
        detail["name"] = new_user.name.clone().into();
        detail["role"] = new_user.role.as_str().into();
        detail["department"] = serde_json::json!(new_user.department);
        detail["district"] = serde_json::json!(new_user.district);
    }
    AuditDraft {
        at,
        actor: actor.to_owned(),
        action: AuditAction::TokenCreated,
        warning: None,
        generation: generation.cloned(),
        subject: format!("token:{prefix}"),
        detail,
    }
}

/// The `token.revoked` entry of token `id`.
fn revoked_draft(
    actor: &str,
    at: Timestamp,
    id: i64,
    prefix: &str,
    generation: Option<&GenerationId>,
) -> AuditDraft {
    AuditDraft {
        at,
        actor: actor.to_owned(),
        action: AuditAction::TokenRevoked,
        warning: None,
        generation: generation.cloned(),
        subject: format!("token:{prefix}"),
        detail: serde_json::json!({ "token": id, "prefix": prefix }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_are_checked() {
        let user = new_user("department_user", None, Some("gas_co"), None, None).unwrap();
        assert_eq!(user.name, "department_user@gas_co");
        assert_eq!(user.department, Some(DepartmentId::from("gas_co")));
        let admin = new_user("admin", Some(" Li Wei "), None, None, None).unwrap();
        assert_eq!((admin.name.as_str(), admin.role), ("Li Wei", Role::Admin));
        let cases = [
            ("root", None, None, UserError::UnknownRole("root".into())),
            ("department_user", None, None, UserError::DepartmentRequired),
            (
                "department_user",
                Some(" "),
                None,
                UserError::DepartmentRequired,
            ),
            ("district_user", None, None, UserError::DistrictRequired),
            (
                "admin",
                Some("gas_co"),
                None,
                UserError::DepartmentNotAllowed(Role::Admin),
            ),
            (
                "department_user",
                Some("gas_co"),
                Some("210102"),
                UserError::DistrictNotAllowed(Role::DepartmentUser),
            ),
        ];
        for (role, department, district, expected) in cases {
            assert_eq!(
                new_user(role, None, department, district, None),
                Err(expected)
            );
        }
        assert_eq!(
            new_user("admin", Some(""), None, None, None),
            Err(UserError::BlankName)
        );
        assert!(
            UserError::UnknownRole("root".into())
                .to_string()
                .contains("admin, rule_editor, duty_officer")
        );
    }

    #[test]
    fn names_are_bounded_and_printable() {
        let table: &[(&str, Result<&str, UserError>)] = &[
            ("Li Wei", Ok("Li Wei")),
            ("  Li Wei ", Ok("Li Wei")),
            ("evil\u{1b}[2J", Err(UserError::ControlInName)),
            ("two\nlines", Err(UserError::ControlInName)),
            ("tab\there", Err(UserError::ControlInName)),
        ];
        for (name, expected) in table {
            let got = new_user("admin", Some(name), None, None, None).map(|user| user.name);
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                expected.clone(),
                "{name:?}"
            );
        }
        let long = "名".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            new_user("admin", Some(&long), None, None, None).unwrap_err(),
            UserError::LongName
        );
        assert!(new_user("admin", Some(&long[3..]), None, None, None).is_ok());
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable(&long).chars().count(), MAX_NAME_CHARS + 1);
    }
}
