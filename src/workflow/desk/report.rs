//! Manual warnings (a 12345 hotline call, a citizen's report, an inspection finding) as a duty
//! officer enters them: the request body and its checks against the configuration in force.
//!
//! The asset must be registered in `city/`. The hazard must be one a (non-shadow) rule of the
//! asset's domain raises warnings for: a manual report merges with the sensor warning of the same
//! asset and hazard, so a free-text or misspelt hazard would silently open a second warning beside
//! the one the engine keeps, and statistics and CAP events are per hazard.

use crate::model::{Generation, HazardId, Level, ManualWarning, Principal, Timestamp};

use super::DeskError;

/// Where a manual report may come from.
pub const REPORT_CHANNELS: [&str; 4] = ["hotline", "citizen", "inspection", "media"];

/// Longest accepted report message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// The body of `POST /api/v1/warnings`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualReport {
    /// The asset reported on (`city/` id).
    pub asset: String,
    /// The hazard, as the domain's rules name it (`gas_leak`).
    pub hazard: String,
    /// The level the duty officer judged: `blue`, `yellow`, `orange` or `red`.
    pub level: String,
    /// Where the report came from: `hotline` (the default), `citizen`, `inspection`, `media`.
    #[serde(default = "default_channel")]
    pub channel: String,
    /// What was reported.
    pub message: String,
    /// An exercise (演练): kept apart from real warnings, labelled, counted separately.
    #[serde(default)]
    pub drill: bool,
}

fn default_channel() -> String {
    REPORT_CHANNELS[0].to_owned()
}

/// Checks `report` against `generation` and builds the manual warning to store.
pub(crate) fn manual_warning(
    generation: &Generation,
    report: &ManualReport,
    principal: &Principal,
    at: Timestamp,
) -> Result<ManualWarning, DeskError> {
    let asset_id = report.asset.trim();
    let Some(asset) = generation.asset(asset_id) else {
        return Err(DeskError::UnregisteredAsset {
            asset: report.asset.clone(),
            hint: "; `GET /api/v1/sensors` lists the registered assets with their sensors"
                .to_owned(),
        });
    };
    let level = Level::parse(report.level.trim()).ok_or_else(|| DeskError::InvalidReport {
        field: "level",
        problem: format!(
            "must be blue, yellow, orange or red, got `{}`",
            report.level
        ),
    })?;
    let hazards = monitored_hazards(generation, asset.domain.as_str());
    let hazard = report.hazard.trim();
    if !hazards.iter().any(|known| known.as_str() == hazard) {
        let listed: Vec<String> = hazards.iter().map(|h| format!("`{h}`")).collect();
        return Err(DeskError::UnknownHazard {
            hazard: report.hazard.clone(),
            asset: asset.id.to_string(),
            domain: asset.domain.to_string(),
            hint: if listed.is_empty() {
                "no rule of that domain raises warnings".to_owned()
            } else {
                format!("monitored hazards: {}", listed.join(", "))
            },
        });
    }
    let channel = report.channel.trim();
    if !REPORT_CHANNELS.contains(&channel) {
        return Err(DeskError::InvalidReport {
            field: "channel",
            problem: format!(
                "must be one of {}, got `{}`",
                REPORT_CHANNELS.join(", "),
                report.channel
            ),
        });
    }
    let message = report.message.trim();
    if message.is_empty() {
        return Err(DeskError::InvalidReport {
            field: "message",
            problem: "must say what was reported".to_owned(),
        });
    }
    let length = message.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(DeskError::InvalidReport {
            field: "message",
            problem: format!("is {length} characters long; at most {MAX_MESSAGE_CHARS}"),
        });
    }
    let department = generation
        .domain(asset.domain.as_str())
        .map(|domain| domain.lead_department.clone())
        .ok_or_else(|| DeskError::NoWorkflow(asset.domain.to_string()))?;
    Ok(ManualWarning {
        asset: asset.id.clone(),
        hazard: HazardId::from(hazard),
        domain: asset.domain.clone(),
        district: asset.district.clone(),
        department,
        level,
        channel: channel.to_owned(),
        message: message.to_owned(),
        drill: report.drill,
        at,
        actor: crate::model::Actor::user(principal).id,
    })
}

/// The hazards the non-shadow rules of `domain` raise warnings for, sorted, without duplicates.
pub fn monitored_hazards(generation: &Generation, domain: &str) -> Vec<HazardId> {
    let mut hazards: Vec<HazardId> = generation
        .rules
        .iter()
        .filter(|rule| !rule.shadow && rule.domain.as_str() == domain)
        .map(|rule| rule.hazard.clone())
        .collect();
    hazards.sort();
    hazards.dedup();
    hazards
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::path::Path;

    use super::*;
    use crate::model::Role;

    fn generation() -> Generation {
        crate::compile::load(Some(Path::new("examples/shenyang"))).unwrap()
    }

    fn officer() -> Principal {
        Principal {
            user: 7,
            name: "duty".to_owned(),
            role: Role::DutyOfficer,
            department: None,
            district: None,
        }
    }

    fn gas_report() -> ManualReport {
        ManualReport {
            asset: "gas-well-njnj-01".to_owned(),
            hazard: "gas_leak".to_owned(),
            level: "orange".to_owned(),
            channel: "citizen".to_owned(),
            message: " 井盖冒气 gas smell at the manhole ".to_owned(),
            drill: true,
        }
    }

    #[test]
    fn a_valid_report_is_routed_from_the_registry() {
        let generation = generation();
        let manual = manual_warning(&generation, &gas_report(), &officer(), Timestamp(5)).unwrap();
        assert_eq!(manual.asset.as_str(), "gas-well-njnj-01");
        assert_eq!(manual.domain.as_str(), "city_gas");
        assert_eq!(manual.district.as_str(), "210102");
        assert_eq!(manual.department.as_str(), "shenyang.construction");
        assert_eq!(manual.level, Level::Orange);
        assert_eq!(manual.channel, "citizen");
        assert_eq!(manual.message, "井盖冒气 gas smell at the manhole");
        assert!(manual.drill);
        assert_eq!(manual.at, Timestamp(5));
        assert_eq!(manual.actor, "user:7");
    }

    #[test]
    fn the_channel_defaults_to_the_hotline() {
        let body = r#"{"asset": "a", "hazard": "h", "level": "red", "message": "m"}"#;
        let report: ManualReport = serde_json::from_str(body).unwrap();
        assert_eq!(report.channel, "hotline");
        assert!(!report.drill);
        let unknown = r#"{"asset": "a", "hazard": "h", "level": "red", "message": "m", "x": 1}"#;
        assert!(serde_json::from_str::<ManualReport>(unknown).is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        let generation = generation();
        let check = |edit: fn(&mut ManualReport), code: &str, words: &str| {
            let mut report = gas_report();
            edit(&mut report);
            let error = manual_warning(&generation, &report, &officer(), Timestamp(0)).unwrap_err();
            assert_eq!(error.code().as_str(), code, "{error}");
            assert!(error.to_string().contains(words), "{error}");
        };
        check(
            |r| r.asset = "gas-well-x".to_owned(),
            "unregistered_asset",
            "`gas-well-x`",
        );
        check(
            |r| r.level = "purple".to_owned(),
            "malformed_body",
            "`level` must be",
        );
        check(
            |r| r.level = "none".to_owned(),
            "malformed_body",
            "`level` must be",
        );
        check(
            |r| r.hazard = "gas_leek".to_owned(),
            "unmonitored_hazard",
            "`gas_leak`",
        );
        // A hazard of another domain is not this asset's.
        check(
            |r| r.hazard = "main_burst".to_owned(),
            "unmonitored_hazard",
            "city_gas",
        );
        check(
            |r| r.channel = "fax".to_owned(),
            "malformed_body",
            "`channel` must be",
        );
        check(
            |r| r.message = "  ".to_owned(),
            "malformed_body",
            "`message`",
        );
        check(
            |r| r.message = "x".repeat(MAX_MESSAGE_CHARS + 1),
            "malformed_body",
            "at most",
        );
    }

    #[test]
    fn only_non_shadow_rules_of_the_domain_count() {
        let generation = generation();
        let hazards = monitored_hazards(&generation, "city_gas");
        assert!(
            hazards.iter().any(|h| h.as_str() == "gas_leak"),
            "{hazards:?}"
        );
        assert!(
            !hazards.iter().any(|h| h.as_str() == "main_burst"),
            "{hazards:?}"
        );
        let mut sorted = hazards.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(hazards, sorted);
    }
}
