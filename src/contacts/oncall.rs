//! Who would be told: the one answer behind `tocsin oncall` (as text, [`report`]) and
//! `GET /api/v1/oncall` (as JSON, [`answer`]). For a warning (a stored one, or a hypothetical
//! one on an asset at a level), every recipient word of its workflow resolved to departments,
//! people on duty and addresses per channel; without one, the city duty office of each workflow
//! and every roster's holders. Filters narrow the answer to a department, a district or one
//! recipient word; a [`Viewer`] decides whose phone numbers and e-mail addresses are shown in
//! full ([`may_see_addresses`], a pure function) and masks the others ([`mask`]).

use std::fmt::Write as _;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::model::{
    DepartmentId, DistrictCode, Generation, GenerationId, HazardId, Level, Recipient, Timestamp,
};
use crate::roster;
use crate::workflow::WarningFacts;
use crate::workflow::routing;

use super::{Address, Addressee, Directory, Medium};

/// A hypothetical warning to resolve the words for.
#[derive(Clone, Debug)]
pub struct Probe<'a> {
    /// Asset id.
    pub asset: &'a str,
    /// Level of the warning.
    pub level: Level,
}

/// What the answer is about.
#[derive(Clone, Debug)]
pub enum Subject<'a> {
    /// The city duty offices and every roster's holders.
    Duty,
    /// A hypothetical warning on an asset.
    Asset(Probe<'a>),
    /// A stored warning: its facts and the departments it was last issued to (the `issued` word).
    Warning {
        /// The warning as the workflow sees it.
        facts: WarningFacts,
        /// `issued_to` of its case.
        issued: Vec<DepartmentId>,
    },
}

/// Narrowing of the answer; `None` keeps everything.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Only this department's people and endpoints (and rosters).
    pub department: Option<DepartmentId>,
    /// Only departments of this district and people of this district.
    pub district: Option<DistrictCode>,
    /// Only this recipient word (`owner`, `city_duty_office` ...).
    pub word: Option<String>,
}

/// Whose addresses a reader sees in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// Everyone's (the CLI on the server, admins and duty officers).
    Everyone,
    /// Their own department's people only (department users).
    Department(DepartmentId),
    /// The people of their own district only (district users).
    District(DistrictCode),
    /// Nobody's (readers who need to know who, not how: auditors, rule editors).
    Nobody,
}

/// Why no answer could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OncallError {
    /// `--asset` names no asset of the generation.
    #[error("unknown asset `{0}`")]
    UnknownAsset(String),
    /// The asset's domain has no workflow.
    #[error("no workflow applies to domain `{0}`")]
    NoWorkflow(String),
    /// The recipient filter is not a recipient word.
    #[error("unknown recipient word `{0}` (one of {words})", words = Recipient::WORDS.join(", "))]
    UnknownWord(String),
}

/// Who would be told at an instant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OnCall {
    /// The instant, RFC 3339 in the city's offset.
    pub at: String,
    /// The warning the words were resolved for, when there is one.
    pub warning: Option<WarningShown>,
    /// One entry per recipient word (without a warning: the city duty office per workflow).
    pub words: Vec<WordAnswer>,
    /// Without a warning: every roster and who holds it now.
    pub rosters: Vec<RosterHolders>,
}

/// The warning of an answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct WarningShown {
    /// The stored warning's id; absent for a hypothetical one.
    pub id: Option<i64>,
    /// Asset id.
    pub asset: String,
    /// Asset name.
    pub asset_name: String,
    /// Domain id.
    pub domain: String,
    /// Level.
    pub level: String,
    /// The workflow that routes it.
    pub workflow: String,
}

/// One recipient word resolved.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct WordAnswer {
    /// The recipient word.
    pub word: String,
    /// Without a warning: the workflow whose city duty office this is.
    pub workflow: Option<String>,
    /// The departments the word names.
    pub departments: Vec<Named>,
    /// Who is told, per medium, in order.
    pub addressees: Vec<Reached>,
    /// Departments nobody can be told in.
    pub unreached: Vec<String>,
    /// Departments where a drill (演练) would reach nobody: listed once the contacts mark anyone
    /// for drills and the department has no `drill: true` entry.
    pub drill_unreached: Vec<String>,
}

/// An id and the name shown to people.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Named {
    /// Stable id.
    pub id: String,
    /// Name shown to people.
    pub name: String,
}

/// One person or endpoint told over one medium.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Reached {
    /// The department it is told for.
    pub department: String,
    /// The person's id; absent for a department's robot or webhook.
    pub person: Option<String>,
    /// Name shown to people.
    pub name: String,
    /// `sms`, `phone`, `email`, `dingtalk`, `wecom`, `feishu` or `webhook`.
    #[schema(value_type = String)]
    pub medium: Medium,
    /// The phone number, e-mail address (masked when the reader may not see it) or endpoint
    /// name (never its URL or secret).
    pub address: String,
    /// Whether `address` is masked.
    pub masked: bool,
    /// 0 for the first choice, 1 for the next ... (the escalation order).
    pub preference: usize,
}

/// A roster and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RosterHolders {
    /// Department id.
    pub department: String,
    /// Role word.
    pub role: String,
    /// The people on duty.
    pub people: Vec<Named>,
}

/// The text `tocsin oncall` prints at `at`, for `probe` when given: every address in full.
pub fn report(
    directory: &Directory,
    generation: &Generation,
    probe: Option<&Probe<'_>>,
    at: Timestamp,
) -> Result<String, OncallError> {
    let subject = probe.map_or(Subject::Duty, |p| Subject::Asset(p.clone()));
    let answer = answer(
        directory,
        generation,
        &subject,
        &Filters::default(),
        &Viewer::Everyone,
        at,
    )?;
    Ok(render(&answer))
}

/// The answer at `at` about `subject`, narrowed by `filters`, addresses shown as `viewer` may.
pub fn answer(
    directory: &Directory,
    generation: &Generation,
    subject: &Subject<'_>,
    filters: &Filters,
    viewer: &Viewer,
    at: Timestamp,
) -> Result<OnCall, OncallError> {
    if let Some(word) = &filters.word
        && Recipient::from_word(word).is_none()
    {
        return Err(OncallError::UnknownWord(word.clone()));
    }
    let offset = directory.rosters().offset_seconds;
    let mut out = OnCall {
        at: local_time(at, offset),
        warning: None,
        words: Vec::new(),
        rosters: Vec::new(),
    };
    let view = View {
        directory,
        generation,
        filters,
        viewer,
    };
    match subject {
        Subject::Duty => {
            for workflow in &generation.workflows {
                let departments = [workflow.city_duty_office.clone()];
                let addressees = directory.addressees(&Recipient::CityDutyOffice, &departments, at);
                if let Some(word) = view.word(
                    "city_duty_office",
                    Some(workflow.id.to_string()),
                    &departments,
                    addressees,
                ) {
                    out.words.push(word);
                }
            }
            out.rosters = view.rosters(at);
        }
        Subject::Asset(probe) => {
            let asset = generation
                .asset(probe.asset)
                .ok_or_else(|| OncallError::UnknownAsset(probe.asset.to_owned()))?;
            let lead = generation
                .domain(asset.domain.as_str())
                .map_or_else(|| asset.owner.clone(), |d| d.lead_department.clone());
            let facts = WarningFacts {
                id: 0,
                asset: asset.id.clone(),
                hazard: HazardId::new("oncall"),
                domain: asset.domain.clone(),
                district: asset.district.clone(),
                department: lead,
                level: probe.level,
                drill: false,
                message: String::new(),
                generation: GenerationId::new(generation.id.as_str()),
            };
            view.words(&mut out, &facts, None, at)?;
        }
        Subject::Warning { facts, issued } => {
            view.words(&mut out, facts, Some(issued), at)?;
        }
    }
    Ok(out)
}

/// Whether `viewer` sees in full the addresses of a person of `department` (living in
/// `district`, for district staff; else the department's district).
pub fn may_see_addresses(
    viewer: &Viewer,
    department: &DepartmentId,
    district: Option<&DistrictCode>,
) -> bool {
    match viewer {
        Viewer::Everyone => true,
        Viewer::Department(own) => own == department,
        Viewer::District(own) => district == Some(own),
        Viewer::Nobody => false,
    }
}

/// A phone number or e-mail address with most of it hidden: a phone keeps its first three and
/// last four characters (`+86*******0006`), an e-mail its first character and its domain
/// (`l***@heping.example.invalid`); anything shorter than eight characters is `***`.
pub fn mask(address: &str) -> String {
    if let Some((local, domain)) = address.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = address.chars().collect();
    if chars.len() < 8 {
        return "***".to_owned();
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 3 || i + 4 >= chars.len() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// The parts every section needs.
struct View<'a> {
    directory: &'a Directory,
    generation: &'a Generation,
    filters: &'a Filters,
    viewer: &'a Viewer,
}

impl View<'_> {
    /// Every recipient word for `facts` (`issued` only for a stored warning).
    fn words(
        &self,
        out: &mut OnCall,
        facts: &WarningFacts,
        issued: Option<&Vec<DepartmentId>>,
        at: Timestamp,
    ) -> Result<(), OncallError> {
        let generation = self.generation;
        let asset = generation.asset(facts.asset.as_str());
        let workflow = generation
            .workflow_for(facts.domain.as_str())
            .ok_or_else(|| OncallError::NoWorkflow(facts.domain.to_string()))?;
        out.warning = Some(WarningShown {
            id: issued.map(|_| facts.id),
            asset: facts.asset.to_string(),
            asset_name: asset.map_or_else(String::new, |a| a.name.clone()),
            domain: facts.domain.to_string(),
            level: facts.level.as_str().to_owned(),
            workflow: workflow.id.to_string(),
        });
        for word in Recipient::WORDS {
            if word == "issued" && issued.is_none() {
                continue;
            }
            let Some(recipient) = Recipient::from_word(word) else {
                continue;
            };
            let issued_to = issued.map_or(&[][..], Vec::as_slice);
            let departments = routing::resolve(generation, workflow, facts, &recipient, issued_to);
            let addressees = self.directory.addressees(&recipient, &departments, at);
            if let Some(answer) = self.word(word, None, &departments, addressees) {
                out.words.push(answer);
            }
        }
        Ok(())
    }

    /// One word, filtered and masked; `None` when the filters leave nothing of it.
    fn word(
        &self,
        word: &str,
        workflow: Option<String>,
        departments: &[DepartmentId],
        addressees: Vec<Addressee>,
    ) -> Option<WordAnswer> {
        if self.filters.word.as_deref().is_some_and(|w| w != word) {
            return None;
        }
        let kept: Vec<&DepartmentId> = departments
            .iter()
            .filter(|d| self.keeps_department(d))
            .collect();
        if kept.is_empty() && (self.filters.department.is_some() || self.filters.district.is_some())
        {
            return None;
        }
        let reached: Vec<Reached> = addressees
            .into_iter()
            .filter(|a| kept.contains(&&a.department) && self.keeps_addressee(a))
            .map(|a| self.reached(a))
            .collect();
        let unreached = kept
            .iter()
            .filter(|d| !reached.iter().any(|r| r.department == d.as_str()))
            .map(|d| d.to_string())
            .collect();
        let drill_unreached = if self.directory.uses_drills() {
            kept.iter()
                .filter(|d| !self.directory.has_drill_recipient(d))
                .map(|d| d.to_string())
                .collect()
        } else {
            Vec::new()
        };
        Some(WordAnswer {
            word: word.to_owned(),
            workflow,
            departments: kept.iter().map(|d| self.department(d)).collect(),
            addressees: reached,
            unreached,
            drill_unreached,
        })
    }

    /// Every roster's holders at `at`, filtered.
    fn rosters(&self, at: Timestamp) -> Vec<RosterHolders> {
        let rosters = self.directory.rosters();
        rosters
            .rosters
            .iter()
            .filter(|r| self.keeps_department(&DepartmentId::new(r.department.as_str())))
            .map(|r| RosterHolders {
                department: r.department.clone(),
                role: r.role.clone(),
                people: roster::on_duty(rosters, &r.department, &r.role, at.millis())
                    .iter()
                    .map(|id| Named {
                        id: id.to_string(),
                        name: self
                            .directory
                            .person(id.as_str())
                            .map_or_else(String::new, |p| p.name.clone()),
                    })
                    .collect(),
            })
            .collect()
    }

    fn keeps_department(&self, department: &DepartmentId) -> bool {
        if self
            .filters
            .department
            .as_ref()
            .is_some_and(|d| d != department)
        {
            return false;
        }
        match &self.filters.district {
            None => true,
            Some(district) => {
                self.department_district(department) == Some(district)
                    || self.directory.people().iter().any(|p| {
                        &p.department == department && p.district.as_ref() == Some(district)
                    })
            }
        }
    }

    /// People of another district than the filter's are left out; endpoints stay.
    fn keeps_addressee(&self, addressee: &Addressee) -> bool {
        match (&self.filters.district, &addressee.person) {
            (Some(district), Some(person)) => {
                self.person_district(person.as_str(), &addressee.department) == Some(district)
            }
            _ => true,
        }
    }

    fn department_district(&self, department: &DepartmentId) -> Option<&DistrictCode> {
        self.generation
            .department(department.as_str())
            .and_then(|d| d.district.as_ref())
    }

    /// The person's district, else their department's.
    fn person_district(&self, person: &str, department: &DepartmentId) -> Option<&DistrictCode> {
        self.directory
            .person(person)
            .and_then(|p| p.district.as_ref())
            .or_else(|| self.department_district(department))
    }

    fn department(&self, id: &DepartmentId) -> Named {
        Named {
            id: id.to_string(),
            name: self
                .generation
                .department(id.as_str())
                .map_or_else(String::new, |d| d.name.clone()),
        }
    }

    fn reached(&self, addressee: Addressee) -> Reached {
        let (address, masked) = match &addressee.address {
            Address::Phone(text) | Address::Email(text) => {
                let district = addressee
                    .person
                    .as_ref()
                    .and_then(|p| self.person_district(p.as_str(), &addressee.department));
                if may_see_addresses(self.viewer, &addressee.department, district) {
                    (text.clone(), false)
                } else {
                    (mask(text), true)
                }
            }
            Address::Endpoint { name, .. } => (name.clone(), false),
        };
        Reached {
            department: addressee.department.to_string(),
            person: addressee.person.as_ref().map(ToString::to_string),
            name: addressee.name,
            medium: addressee.medium,
            address,
            masked,
            preference: addressee.preference,
        }
    }
}

/// The answer as `tocsin oncall` prints it: a header, the warning line, one section per word
/// (its departments, a line per addressee, a `!` line per department nobody can be told in),
/// then the rosters' holders.
pub fn render(answer: &OnCall) -> String {
    let mut out = format!("on call at {}\n", answer.at);
    if let Some(w) = &answer.warning {
        let id = w.id.map_or_else(String::new, |id| format!("#{id} "));
        let _ = writeln!(
            out,
            "warning: {id}{} {} ({}), level {}, workflow {}",
            w.asset, w.asset_name, w.domain, w.level, w.workflow
        );
    }
    for word in &answer.words {
        let label = match &word.workflow {
            Some(workflow) => format!("{} ({workflow})", word.word),
            None => word.word.clone(),
        };
        let named: Vec<String> = word
            .departments
            .iter()
            .map(|d| {
                if d.name.is_empty() {
                    d.id.clone()
                } else {
                    format!("{} {}", d.id, d.name)
                }
            })
            .collect();
        let shown = if named.is_empty() {
            "(no department)".to_owned()
        } else {
            named.join(", ")
        };
        let _ = writeln!(out, "{label}: {shown}");
        for reached in &word.addressees {
            let line = match &reached.person {
                Some(person) => format!("{person} {} {}", reached.name, reached.address),
                None => format!("- {}", reached.address),
            };
            let _ = writeln!(out, "  {:<8} {line}", reached.medium.as_str());
        }
        for department in &word.unreached {
            let _ = writeln!(out, "  ! nobody to tell in {department}");
        }
        for department in &word.drill_unreached {
            let _ = writeln!(
                out,
                "  ! no drill recipient in {department}: a drill (演练) reaches nobody there"
            );
        }
    }
    for roster in &answer.rosters {
        let names: Vec<String> = roster
            .people
            .iter()
            .map(|p| {
                if p.name.is_empty() {
                    p.id.clone()
                } else {
                    format!("{} {}", p.id, p.name)
                }
            })
            .collect();
        let shown = if names.is_empty() {
            "nobody".to_owned()
        } else {
            names.join(", ")
        };
        let _ = writeln!(out, "roster {} {}: {shown}", roster.department, roster.role);
    }
    out
}

/// `at` as RFC 3339 in the city's offset.
fn local_time(at: Timestamp, offset_seconds: i32) -> String {
    let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.millis()) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let offset = UtcOffset::from_whole_seconds(offset_seconds).unwrap_or(UtcOffset::UTC);
    utc.to_offset(offset)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.millis().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_sees_addresses_in_full() {
        let gas = DepartmentId::new("shenyang.gas_company");
        let water = DepartmentId::new("shenyang.water");
        let heping = DistrictCode::new("210102");
        let other = DistrictCode::new("210103");
        let table = [
            (Viewer::Everyone, &gas, None, true),
            (Viewer::Everyone, &water, Some(&heping), true),
            (Viewer::Department(gas.clone()), &gas, None, true),
            (Viewer::Department(gas.clone()), &water, None, false),
            (Viewer::District(heping.clone()), &gas, Some(&heping), true),
            (Viewer::District(heping.clone()), &gas, Some(&other), false),
            (Viewer::District(heping.clone()), &gas, None, false),
            (Viewer::Nobody, &gas, Some(&heping), false),
        ];
        for (viewer, department, district, expected) in table {
            assert_eq!(
                may_see_addresses(&viewer, department, district),
                expected,
                "{viewer:?} {department} {district:?}"
            );
        }
    }

    #[test]
    fn masks_keep_only_enough_to_recognise_the_address() {
        let table = [
            ("+8613700000006", "+86*******0006"),
            ("13700000006", "137****0006"),
            ("024-00000101", "024*****0101"),
            (
                "liu.yang@heping.example.invalid",
                "l***@heping.example.invalid",
            ),
            ("@x", "***@x"),
            ("1234567", "***"),
            ("", "***"),
        ];
        for (address, expected) in table {
            assert_eq!(mask(address), expected, "{address}");
        }
    }
}
