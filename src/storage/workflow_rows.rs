//! Rows of the workflow, audit and access tables (`cases`, `outbox`, `audit_log`, `users`,
//! `api_tokens`) as both backends return them, and their checked conversion into records. As in
//! `rows`, a value this version cannot read becomes [`StoreError::Corrupt`], never a panic.

use crate::model::{
    AuditEntry, Case, Channel, DepartmentId, DistrictCode, Due, Notification, Principal, Role,
    StageId, Timestamp, WorkflowId,
};

use super::rows::parse_level;
use super::{OutboxRecord, StoreError, TokenRecord, UserRecord};

/// Columns of [`CaseColumns`] from `cases c`, each aliased `case_*` so they can sit beside a
/// warning's columns in one row (`rows::WARNING_COLUMNS` ends with the same list).
pub(super) const CASE_COLUMNS: &str = "c.warning AS case_warning, c.workflow AS case_workflow, \
     c.stage AS case_stage, c.stage_since AS case_stage_since, c.level AS case_level, \
     c.drill AS case_drill, c.rungs_fired AS case_rungs_fired, c.due_at AS case_due_at, \
     c.due_rung AS case_due_rung, c.supervised AS case_supervised, \
     CAST(c.issued_to AS TEXT) AS case_issued_to, c.reacted_seq AS case_reacted_seq, \
     c.opened_at AS case_opened_at, c.closed_at AS case_closed_at, c.version AS case_version";

/// Columns of [`AuditRow`].
pub(super) const AUDIT_COLUMNS: &str =
    "seq, at, actor, action, warning, generation, subject, detail, prev_hash, hash";

/// Columns of [`OutboxRow`].
pub(super) const OUTBOX_COLUMNS: &str = "id, key, warning, recipient, channel, level, drill, \
     reason, subject, body, created_at, status, audience";

/// Columns of [`UserRow`].
pub(super) const USER_COLUMNS: &str = "id, name, role, department, district, created_at";

/// Columns of [`TokenRow`].
pub(super) const TOKEN_COLUMNS: &str = "id, user_id, prefix, created_at, last_used_at, revoked_at";

/// A corrupt-row error.
fn corrupt(operation: &'static str, detail: String) -> StoreError {
    StoreError::Corrupt { operation, detail }
}

/// A stored non-negative count or index back as `u32`.
fn small(operation: &'static str, column: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(operation, format!("`{column}` is {value}")))
}

/// A case's `issued_to` as stored: a JSON array of department ids.
pub(super) fn issued_to_json(issued_to: &[DepartmentId]) -> Result<String, StoreError> {
    serde_json::to_string(issued_to)
        .map_err(|error| corrupt("save_case", format!("issued_to cannot be written: {error}")))
}

/// The case columns of a row (all `NULL` when a `LEFT JOIN` found no case).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct CaseColumns {
    /// Column `warning`.
    case_warning: Option<i64>,
    /// Column `workflow`.
    case_workflow: Option<String>,
    /// Column `stage`.
    case_stage: Option<String>,
    /// Column `stage_since`.
    case_stage_since: Option<i64>,
    /// Column `level`.
    case_level: Option<String>,
    /// Column `drill`.
    case_drill: Option<bool>,
    /// Column `rungs_fired`.
    case_rungs_fired: Option<i64>,
    /// Column `due_at`.
    case_due_at: Option<i64>,
    /// Column `due_rung`.
    case_due_rung: Option<i64>,
    /// Column `supervised`.
    case_supervised: Option<bool>,
    /// Column `issued_to` (JSON text).
    case_issued_to: Option<String>,
    /// Column `reacted_seq`.
    case_reacted_seq: Option<i64>,
    /// Column `opened_at`.
    case_opened_at: Option<i64>,
    /// Column `closed_at`.
    case_closed_at: Option<i64>,
    /// Column `version`.
    case_version: Option<i64>,
}

impl CaseColumns {
    /// The checked case, or `None` when there is none.
    pub(super) fn into_case(self, operation: &'static str) -> Result<Option<Case>, StoreError> {
        let Some(warning) = self.case_warning else {
            return Ok(None);
        };
        let missing =
            |column: &str| corrupt(operation, format!("case {warning}: `{column}` is NULL"));
        let issued_to: Vec<String> =
            serde_json::from_str(&self.case_issued_to.ok_or_else(|| missing("issued_to"))?)
                .map_err(|error| {
                    corrupt(
                        operation,
                        format!("case {warning}: issued_to is not a list of departments: {error}"),
                    )
                })?;
        let due = match (self.case_due_at, self.case_due_rung) {
            (Some(at), Some(rung)) => Some(Due {
                at: Timestamp(at),
                rung: small(operation, "due_rung", rung)?,
            }),
            (None, None) => None,
            _ => return Err(corrupt(operation, format!("case {warning}: half a timer"))),
        };
        let level = self.case_level.ok_or_else(|| missing("level"))?;
        Ok(Some(Case {
            warning,
            workflow: WorkflowId::new(self.case_workflow.ok_or_else(|| missing("workflow"))?),
            stage: StageId::new(self.case_stage.ok_or_else(|| missing("stage"))?),
            stage_since: Timestamp(
                self.case_stage_since
                    .ok_or_else(|| missing("stage_since"))?,
            ),
            level: parse_level(operation, &level)?,
            drill: self.case_drill.ok_or_else(|| missing("drill"))?,
            rungs_fired: small(
                operation,
                "rungs_fired",
                self.case_rungs_fired
                    .ok_or_else(|| missing("rungs_fired"))?,
            )?,
            due,
            supervised: self.case_supervised.ok_or_else(|| missing("supervised"))?,
            issued_to: issued_to.into_iter().map(DepartmentId::new).collect(),
            reacted_seq: self
                .case_reacted_seq
                .ok_or_else(|| missing("reacted_seq"))?,
            opened_at: Timestamp(self.case_opened_at.ok_or_else(|| missing("opened_at"))?),
            closed_at: self.case_closed_at.map(Timestamp),
            version: self.case_version.ok_or_else(|| missing("version"))?,
        }))
    }
}

/// A row of `audit_log`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct AuditRow {
    /// Column `seq`.
    seq: i64,
    /// Column `at`.
    at: i64,
    /// Column `actor`.
    actor: String,
    /// Column `action`.
    action: String,
    /// Column `warning`.
    warning: Option<i64>,
    /// Column `generation`.
    generation: Option<String>,
    /// Column `subject`.
    subject: String,
    /// Column `detail` (text, exactly as hashed).
    detail: String,
    /// Column `prev_hash`.
    prev_hash: String,
    /// Column `hash`.
    hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> AuditEntry {
        AuditEntry {
            seq: row.seq,
            at: Timestamp(row.at),
            actor: row.actor,
            action: row.action,
            warning: row.warning,
            generation: row.generation,
            subject: row.subject,
            detail: row.detail,
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// A row of `outbox`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct OutboxRow {
    /// Column `id`.
    id: i64,
    /// Column `key`.
    key: String,
    /// Column `warning`.
    warning: i64,
    /// Column `recipient`.
    recipient: String,
    /// Column `channel`.
    channel: String,
    /// Column `level`.
    level: String,
    /// Column `drill`.
    drill: bool,
    /// Column `reason`.
    reason: String,
    /// Column `subject`.
    subject: String,
    /// Column `body`.
    body: String,
    /// Column `created_at`.
    created_at: i64,
    /// Column `status`.
    status: String,
    /// Column `audience`.
    audience: String,
}

impl OutboxRow {
    /// The checked record.
    pub(super) fn into_record(self) -> Result<OutboxRecord, StoreError> {
        const OP: &str = "outbox";
        let channel = Channel::parse(&self.channel)
            .ok_or_else(|| corrupt(OP, format!("unknown channel `{}`", self.channel)))?;
        Ok(OutboxRecord {
            id: self.id,
            notification: Notification {
                key: self.key,
                warning: self.warning,
                recipient: DepartmentId::new(self.recipient),
                audience: self.audience,
                channel,
                level: parse_level(OP, &self.level)?,
                drill: self.drill,
                reason: self.reason,
                subject: self.subject,
                body: self.body,
                created_at: Timestamp(self.created_at),
            },
            status: self.status,
        })
    }
}

/// A role name as stored.
fn parse_role(operation: &'static str, name: &str) -> Result<Role, StoreError> {
    Role::parse(name).ok_or_else(|| corrupt(operation, format!("unknown role `{name}`")))
}

/// A row of `users`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct UserRow {
    /// Column `id`.
    id: i64,
    /// Column `name`.
    name: String,
    /// Column `role`.
    role: String,
    /// Column `department`.
    department: Option<String>,
    /// Column `district`.
    district: Option<String>,
    /// Column `created_at`.
    created_at: i64,
}

impl UserRow {
    /// The checked record.
    pub(super) fn into_record(self, operation: &'static str) -> Result<UserRecord, StoreError> {
        Ok(UserRecord {
            id: self.id,
            role: parse_role(operation, &self.role)?,
            name: self.name,
            department: self.department.map(DepartmentId::new),
            district: self.district.map(DistrictCode::new),
            created_at: Timestamp(self.created_at),
        })
    }

    /// The principal this user signs in as.
    pub(super) fn into_principal(self, operation: &'static str) -> Result<Principal, StoreError> {
        let user = self.into_record(operation)?;
        Ok(Principal {
            user: user.id,
            name: user.name,
            role: user.role,
            department: user.department,
            district: user.district,
        })
    }
}

/// A row of `api_tokens` (without the hash).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct TokenRow {
    /// Column `id`.
    id: i64,
    /// Column `user_id`.
    user_id: i64,
    /// Column `prefix`.
    prefix: String,
    /// Column `created_at`.
    created_at: i64,
    /// Column `last_used_at`.
    last_used_at: Option<i64>,
    /// Column `revoked_at`.
    revoked_at: Option<i64>,
}

impl From<TokenRow> for TokenRecord {
    fn from(row: TokenRow) -> TokenRecord {
        TokenRecord {
            id: row.id,
            user: row.user_id,
            prefix: row.prefix,
            created_at: Timestamp(row.created_at),
            last_used_at: row.last_used_at.map(Timestamp),
            revoked_at: row.revoked_at.map(Timestamp),
        }
    }
}

/// A token joined with its user, as `principal_by_token` reads it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct SignInRow {
    /// The user's columns.
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    /// Column `t.id`.
    token_id: i64,
    /// Column `t.prefix`.
    token_prefix: String,
    /// Column `t.created_at`.
    token_created_at: i64,
    /// Column `t.last_used_at`.
    token_last_used_at: Option<i64>,
}

/// Columns of [`SignInRow`] from `users u JOIN api_tokens t`.
pub(super) const SIGN_IN_COLUMNS: &str = "u.id, u.name, u.role, u.department, u.district, \
     u.created_at, t.id AS token_id, t.prefix AS token_prefix, \
     t.created_at AS token_created_at, t.last_used_at AS token_last_used_at";

impl SignInRow {
    /// The principal and its (unrevoked) token.
    pub(super) fn into_sign_in(self) -> Result<(Principal, TokenRecord), StoreError> {
        let token = TokenRecord {
            id: self.token_id,
            user: self.user.id,
            prefix: self.token_prefix,
            created_at: Timestamp(self.token_created_at),
            last_used_at: self.token_last_used_at.map(Timestamp),
            revoked_at: None,
        };
        Ok((self.user.into_principal("principal_by_token")?, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> CaseColumns {
        CaseColumns {
            case_warning: Some(7),
            case_workflow: Some("standard".to_owned()),
            case_stage: Some("issued".to_owned()),
            case_stage_since: Some(10),
            case_level: Some("orange".to_owned()),
            case_drill: Some(false),
            case_rungs_fired: Some(1),
            case_due_at: Some(20),
            case_due_rung: Some(1),
            case_supervised: Some(false),
            case_issued_to: Some(r#"["a","b"]"#.to_owned()),
            case_reacted_seq: Some(2),
            case_opened_at: Some(5),
            case_closed_at: None,
            case_version: Some(3),
        }
    }

    #[test]
    fn case_columns_read_back() {
        let case = columns().into_case("t").unwrap().unwrap();
        assert_eq!(case.issued_to, vec![DepartmentId::new("a"), "b".into()]);
        assert_eq!(
            case.due,
            Some(Due {
                at: Timestamp(20),
                rung: 1
            })
        );
        let none = CaseColumns {
            case_warning: None,
            ..columns()
        };
        assert_eq!(none.into_case("t").unwrap(), None);
    }

    #[test]
    fn bad_case_columns_are_corrupt() {
        let half_timer = CaseColumns {
            case_due_rung: None,
            ..columns()
        };
        assert!(matches!(
            half_timer.into_case("t"),
            Err(StoreError::Corrupt { detail, .. }) if detail.contains("half a timer")
        ));
        let negative = CaseColumns {
            case_rungs_fired: Some(-1),
            ..columns()
        };
        assert!(negative.into_case("t").is_err());
        let not_a_list = CaseColumns {
            case_issued_to: Some("{}".to_owned()),
            ..columns()
        };
        assert!(not_a_list.into_case("t").is_err());
        assert!(parse_role("t", "superuser").is_err());
    }
}
