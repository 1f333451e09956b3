//! The closed vocabularies of a workflow document: recipient words (`owner`, `lead_department`,
//! `department:<id>` ...), roles, channels and required fields. Each reader pushes a diagnostic
//! with a suggestion for a name it does not know and leaves it out of the result.

use crate::compile::item::{Item, known_department, suggest};
use crate::config::raw_workflow::WorkflowDoc;
use crate::config::{Code, Diagnostic};
use crate::model::{Channel, Department, DepartmentId, Field, Recipient, Role};

/// The prefix of a named department: `department:shenyang.government`.
const DEPARTMENT_PREFIX: &str = "department:";

/// Every channel, for hints.
const CHANNELS: [Channel; 4] = [
    Channel::Sms,
    Channel::Phone,
    Channel::Email,
    Channel::Webhook,
];

/// Every field an action can require.
const FIELDS: [Field; 2] = [Field::Note, Field::Evidence];

/// Roles that exist but never act on a warning, with the reason.
const NON_ACTING: [(Role, &str); 3] = [
    (Role::Auditor, "auditors read everything and change nothing"),
    (Role::IngestClient, "ingest clients only post readings"),
    (
        Role::RuleEditor,
        "rule editors change the configuration, not warnings",
    ),
];

/// The recipients listed at `key` (`key[i]` each), without duplicates, in the order written;
/// an empty list is a `bad_value`.
pub(super) fn recipients(
    item: &Item<'_, WorkflowDoc>,
    key: &str,
    names: &[String],
    departments: &[Department],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Recipient> {
    if names.is_empty() {
        diagnostics.push(
            item.error(Code::BadValue, key, "no recipients listed")
                .with_hint("name at least one, e.g. `[lead_department, owner]`"),
        );
    }
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let at = format!("{key}[{i}]");
        let recipient = match name.strip_prefix(DEPARTMENT_PREFIX) {
            Some(id) => known_department(item, &at, id, departments, diagnostics)
                .then(|| Recipient::Department(DepartmentId::new(id))),
            None => {
                let found = Recipient::from_word(name);
                if found.is_none() {
                    let mut hint = suggest(name, Recipient::WORDS.into_iter(), "recipients");
                    if !hint.starts_with("did you mean") {
                        hint.push_str(", or `department:<id>` for one department");
                    }
                    diagnostics.push(
                        item.error(
                            Code::UnknownRecipient,
                            &at,
                            format!("unknown recipient `{name}`"),
                        )
                        .with_hint(hint),
                    );
                }
                found
            }
        };
        if let Some(recipient) = recipient
            && !out.contains(&recipient)
        {
            out.push(recipient);
        }
    }
    out
}

/// The channels listed at `key`, without duplicates; an empty list is a `bad_value`.
pub(super) fn channels(
    item: &Item<'_, WorkflowDoc>,
    key: &str,
    names: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Channel> {
    if names.is_empty() {
        diagnostics.push(
            item.error(Code::BadValue, key, "no channels listed")
                .with_hint("name at least one of `sms`, `phone`, `email`, `webhook`"),
        );
    }
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match Channel::parse(name) {
            Some(channel) if !out.contains(&channel) => out.push(channel),
            Some(_) => {}
            None => diagnostics.push(
                item.error(
                    Code::BadValue,
                    &format!("{key}[{i}]"),
                    format!("unknown channel `{name}`"),
                )
                .with_hint(suggest(
                    name,
                    CHANNELS.iter().map(|c| c.as_str()),
                    "channels",
                )),
            ),
        }
    }
    out
}

/// The roles listed at `key`: known (`unknown_role`) and able to act on warnings (`bad_value`).
pub(super) fn roles(
    item: &Item<'_, WorkflowDoc>,
    key: &str,
    names: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Role> {
    if names.is_empty() {
        diagnostics.push(
            item.error(Code::BadValue, key, "no roles may take this action")
                .with_hint("list the roles that may, e.g. `[duty_officer]`"),
        );
    }
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let at = format!("{key}[{i}]");
        let Some(role) = Role::parse(name) else {
            diagnostics.push(
                item.error(Code::UnknownRole, &at, format!("unknown role `{name}`"))
                    .with_hint(suggest(name, Role::ALL.iter().map(|r| r.as_str()), "roles")),
            );
            continue;
        };
        if let Some((_, why)) = NON_ACTING.iter().find(|(r, _)| *r == role) {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &at,
                    format!("role `{name}` may not take actions on warnings: {why}"),
                )
                .with_hint(
                    "actions are for `duty_officer`, `department_user`, `district_user` and \
                     `admin`",
                ),
            );
            continue;
        }
        if !out.contains(&role) {
            out.push(role);
        }
    }
    out
}

/// The fields listed at `key`.
pub(super) fn fields(
    item: &Item<'_, WorkflowDoc>,
    key: &str,
    names: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Field> {
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match FIELDS.into_iter().find(|f| f.as_str() == name) {
            Some(field) if !out.contains(&field) => out.push(field),
            Some(_) => {}
            None => diagnostics.push(
                item.error(
                    Code::BadValue,
                    &format!("{key}[{i}]"),
                    format!("unknown required field `{name}`"),
                )
                .with_hint(suggest(
                    name,
                    FIELDS.iter().map(|f| f.as_str()),
                    "fields",
                )),
            ),
        }
    }
    out
}
