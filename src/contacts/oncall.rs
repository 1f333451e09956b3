//! Who would be told: the text `tocsin oncall` prints. For a warning on an asset (`--asset`), every
//! recipient word of the asset's workflow resolved to departments, people on duty and addresses;
//! without one, the city duty office of each workflow and every roster's holders now.

use std::fmt::Write as _;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::model::{DepartmentId, Generation, GenerationId, HazardId, Level, Recipient, Timestamp};
use crate::roster;
use crate::workflow::WarningFacts;
use crate::workflow::routing;

use super::{Addressee, Directory};

/// A hypothetical warning to resolve the words for.
#[derive(Clone, Debug)]
pub struct Probe<'a> {
    /// Asset id.
    pub asset: &'a str,
    /// Level of the warning.
    pub level: Level,
}

/// Why no report could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OncallError {
    /// `--asset` names no asset of the generation.
    #[error("unknown asset `{0}`")]
    UnknownAsset(String),
    /// The asset's domain has no workflow.
    #[error("no workflow applies to domain `{0}`")]
    NoWorkflow(String),
}

/// The report at `at`, for `probe` when given.
pub fn report(
    directory: &Directory,
    generation: &Generation,
    probe: Option<&Probe<'_>>,
    at: Timestamp,
) -> Result<String, OncallError> {
    let offset = directory.rosters().offset_seconds;
    let mut out = format!("on call at {}\n", local_time(at, offset));
    match probe {
        Some(probe) => words(&mut out, directory, generation, probe, at)?,
        None => {
            for workflow in &generation.workflows {
                let departments = [workflow.city_duty_office.clone()];
                section(
                    &mut out,
                    generation,
                    &format!("city_duty_office ({})", workflow.id),
                    &departments,
                    &directory.addressees(&Recipient::CityDutyOffice, &departments, at),
                );
            }
            for roster in &directory.rosters().rosters {
                let people = roster::on_duty(
                    directory.rosters(),
                    &roster.department,
                    &roster.role,
                    at.millis(),
                );
                let names: Vec<String> = people
                    .iter()
                    .map(|id| match directory.person(id.as_str()) {
                        Some(person) => format!("{id} {}", person.name),
                        None => id.to_string(),
                    })
                    .collect();
                let shown = if names.is_empty() {
                    "nobody".to_owned()
                } else {
                    names.join(", ")
                };
                let _ = writeln!(out, "roster {} {}: {shown}", roster.department, roster.role);
            }
        }
    }
    Ok(out)
}

/// Every recipient word for a warning on `probe.asset`.
fn words(
    out: &mut String,
    directory: &Directory,
    generation: &Generation,
    probe: &Probe<'_>,
    at: Timestamp,
) -> Result<(), OncallError> {
    let asset = generation
        .asset(probe.asset)
        .ok_or_else(|| OncallError::UnknownAsset(probe.asset.to_owned()))?;
    let workflow = generation
        .workflow_for(asset.domain.as_str())
        .ok_or_else(|| OncallError::NoWorkflow(asset.domain.to_string()))?;
    let lead = generation
        .domain(asset.domain.as_str())
        .map_or_else(|| asset.owner.clone(), |d| d.lead_department.clone());
    let warning = WarningFacts {
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
    let _ = writeln!(
        out,
        "warning: {} {} ({}), level {}, workflow {}",
        asset.id,
        asset.name,
        asset.domain,
        probe.level.as_str(),
        workflow.id
    );
    for word in Recipient::WORDS.iter().filter(|w| **w != "issued") {
        let Some(recipient) = Recipient::from_word(word) else {
            continue;
        };
        let departments = routing::resolve(generation, workflow, &warning, &recipient, &[]);
        let addressees = directory.addressees(&recipient, &departments, at);
        section(out, generation, word, &departments, &addressees);
        // Once the contacts mark anyone for drills, say where a drill would reach nobody.
        if directory.uses_drills() {
            for department in &departments {
                if !directory.has_drill_recipient(department) {
                    let _ = writeln!(
                        out,
                        "  ! no drill recipient in {department}: a drill (演练) reaches nobody there"
                    );
                }
            }
        }
    }
    Ok(())
}

/// One word: its departments, then one line per addressee, and a `!` line per department
/// nobody can be told in.
fn section(
    out: &mut String,
    generation: &Generation,
    word: &str,
    departments: &[DepartmentId],
    addressees: &[Addressee],
) {
    let named: Vec<String> = departments
        .iter()
        .map(|d| match generation.department(d.as_str()) {
            Some(department) => format!("{d} {}", department.name),
            None => d.to_string(),
        })
        .collect();
    let shown = if named.is_empty() {
        "(no department)".to_owned()
    } else {
        named.join(", ")
    };
    let _ = writeln!(out, "{word}: {shown}");
    for addressee in addressees {
        let line = match &addressee.person {
            Some(person) => format!("{person} {} {}", addressee.name, addressee.address.shown()),
            None => format!("- {}", addressee.address.shown()),
        };
        let _ = writeln!(out, "  {:<8} {line}", addressee.medium.as_str());
    }
    for department in departments {
        if !addressees.iter().any(|a| &a.department == department) {
            let _ = writeln!(out, "  ! nobody to tell in {department}");
        }
    }
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
