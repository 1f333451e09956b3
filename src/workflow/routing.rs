//! Routing: who a [`Recipient`] is for a given warning. Domain -> lead department, location ->
//! district government, level -> issuing authority, asset -> owner unit.
//!
//! Every answer is a list of departments registered in the generation: an id the generation no
//! longer knows (an asset or department removed by a reload) resolves to nothing rather than to
//! a department nobody can read the outbox of.

use crate::model::{DepartmentId, Generation, Recipient, Workflow};

use super::WarningFacts;

/// The departments `recipient` names for `warning`, without duplicates, in a stable order.
/// `issued` is the case's current `issued_to` (for [`Recipient::Issued`]).
pub fn resolve(
    generation: &Generation,
    workflow: &Workflow,
    warning: &WarningFacts,
    recipient: &Recipient,
    issued: &[DepartmentId],
) -> Vec<DepartmentId> {
    resolve_all(
        generation,
        workflow,
        warning,
        std::slice::from_ref(recipient),
        issued,
    )
}

/// The departments a list of recipients names, in list order, without duplicates.
pub fn resolve_all(
    generation: &Generation,
    workflow: &Workflow,
    warning: &WarningFacts,
    recipients: &[Recipient],
    issued: &[DepartmentId],
) -> Vec<DepartmentId> {
    let mut out: Vec<DepartmentId> = Vec::new();
    for (department, _) in resolve_named(generation, workflow, warning, recipients, issued) {
        if !out.contains(&department) {
            out.push(department);
        }
    }
    out
}

/// [`resolve_all`] with, for each department, the recipient word that named it first (the
/// innermost word for an `issuing_authority` entry): the outbox row keeps it so delivery tells
/// the people of that role (`department_duty_leader` -> the duty leader). A department named
/// both for its duty leader and by another word appears twice, once per role.
pub fn resolve_named(
    generation: &Generation,
    workflow: &Workflow,
    warning: &WarningFacts,
    recipients: &[Recipient],
    issued: &[DepartmentId],
) -> Vec<(DepartmentId, &'static str)> {
    let mut out = Vec::new();
    for recipient in recipients {
        collect(
            generation, workflow, warning, recipient, issued, true, &mut out,
        );
    }
    out
}

/// Whether an audience word names a department's duty leader rather than its duty officer: the
/// leader's message is a row of its own beside the officer's.
pub fn leads(word: &str) -> bool {
    word == "department_duty_leader"
}

/// The workflow word of a recipient ([`Recipient::WORDS`]); `department` for one named by id.
pub fn word_of(recipient: &Recipient) -> &'static str {
    match recipient {
        Recipient::Owner => "owner",
        Recipient::LeadDepartment => "lead_department",
        Recipient::CoDepartments => "co_departments",
        Recipient::DistrictGovernment => "district_government",
        Recipient::IssuingAuthority => "issuing_authority",
        Recipient::DepartmentDutyLeader => "department_duty_leader",
        Recipient::CityDutyOffice => "city_duty_office",
        Recipient::Issued => "issued",
        Recipient::Department(_) => crate::model::Notification::DEPARTMENT_AUDIENCE,
    }
}

/// Appends the departments of `recipient` not yet in `out`. `authority` is false while resolving
/// an issuing authority, so an `issuing_authority` entry naming itself cannot loop.
fn collect(
    generation: &Generation,
    workflow: &Workflow,
    warning: &WarningFacts,
    recipient: &Recipient,
    issued: &[DepartmentId],
    authority: bool,
    out: &mut Vec<(DepartmentId, &'static str)>,
) {
    let word = word_of(recipient);
    // one entry per department and role: its duty officer (any word but the leader's) and its
    // duty leader are named apart
    let mut push = |id: &DepartmentId| {
        if generation.department(id.as_str()).is_some()
            && !out.iter().any(|(d, w)| d == id && leads(w) == leads(word))
        {
            out.push((id.clone(), word));
        }
    };
    match recipient {
        Recipient::Owner => {
            if let Some(asset) = generation.asset(warning.asset.as_str()) {
                push(&asset.owner);
            }
        }
        // The duty leader is a contact of the lead department: delivery picks the contact, the
        // outbox row names the department.
        Recipient::LeadDepartment | Recipient::DepartmentDutyLeader => {
            push(&lead_department(generation, warning));
        }
        Recipient::CoDepartments => {
            if let Some(domain) = generation.domain(warning.domain.as_str()) {
                domain.co_departments.iter().for_each(&mut push);
            }
        }
        Recipient::DistrictGovernment => {
            let government = generation
                .district(warning.district.as_str())
                .and_then(|district| district.government.clone());
            match government {
                Some(government) => push(&government),
                None => generation
                    .departments
                    .iter()
                    .filter(|d| d.district.as_ref() == Some(&warning.district))
                    .for_each(|d| push(&d.id)),
            }
        }
        Recipient::IssuingAuthority => {
            if authority {
                for inner in &workflow.issuing_authority[warning.level.index()] {
                    collect(generation, workflow, warning, inner, issued, false, out);
                }
            }
        }
        Recipient::CityDutyOffice => push(&workflow.city_duty_office),
        Recipient::Issued => issued.iter().for_each(&mut push),
        Recipient::Department(id) => push(id),
    }
}

/// The domain's lead department, or the one the warning carries when the domain is gone.
fn lead_department(generation: &Generation, warning: &WarningFacts) -> DepartmentId {
    generation
        .domain(warning.domain.as_str())
        .map_or_else(|| warning.department.clone(), |d| d.lead_department.clone())
}
