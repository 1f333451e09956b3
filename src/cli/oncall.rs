//! `tocsin oncall`: who would be told now (or `--at` a time), per recipient word and channel,
//! from a deployment's contacts and duty rosters. With `--asset` (and `--level`), every word of
//! the asset's workflow; without, the city duty office and every roster's holders. `--department`,
//! `--district` and `--recipient` narrow it as the same parameters of `GET /api/v1/oncall` do
//! (one function, `contacts::oncall::answer`, makes both answers).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::compile;
use crate::contacts::{self, oncall};
use crate::model::{
    Clock as _, DepartmentId, DistrictCode, Level, SourceFile, SystemClock, Timestamp,
};

/// Arguments of `tocsin oncall`.
#[derive(Debug, clap::Args)]
pub struct OncallArgs {
    /// Deployment directory (layered over the shipped packs).
    #[arg(long)]
    config: PathBuf,
    /// The instant to answer for (RFC 3339); now when absent.
    #[arg(long)]
    at: Option<String>,
    /// Resolve every recipient word for a warning on this asset.
    #[arg(long)]
    asset: Option<String>,
    /// The level of that warning.
    #[arg(long, default_value = "orange")]
    level: String,
    /// Only this department.
    #[arg(long)]
    department: Option<String>,
    /// Only this district (code).
    #[arg(long)]
    district: Option<String>,
    /// Only this recipient word (`owner`, `city_duty_office` ...).
    #[arg(long)]
    recipient: Option<String>,
    /// Contacts files (YAML or CSV); `city/contacts*.yaml` and `city/contacts*.csv` of the
    /// deployment when absent.
    #[arg(long)]
    contacts: Vec<PathBuf>,
}

pub(crate) fn run(args: &OncallArgs) -> anyhow::Result<ExitCode> {
    let at = match &args.at {
        Some(text) => match Timestamp::parse_rfc3339(text) {
            Some(at) => at,
            None => {
                eprintln!("error: --at `{text}` is not an RFC 3339 time");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => SystemClock.now(),
    };
    let Some(level) = Level::parse(&args.level) else {
        eprintln!(
            "error: --level `{}` is not blue, yellow, orange or red",
            args.level
        );
        return Ok(ExitCode::FAILURE);
    };
    let generation = match compile::load(Some(&args.config)) {
        Ok(generation) => generation,
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| println!("{d}"));
            return Ok(ExitCode::FAILURE);
        }
    };
    let files = read_contacts(&args.config, &args.contacts)?;
    let directory = match contacts::compile(&files, &generation) {
        Ok(directory) => directory,
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| println!("{d}"));
            return Ok(ExitCode::FAILURE);
        }
    };
    let subject = match args.asset.as_deref() {
        Some(asset) => oncall::Subject::Asset(oncall::Probe { asset, level }),
        None => oncall::Subject::Duty,
    };
    let filters = oncall::Filters {
        department: args.department.as_deref().map(DepartmentId::new),
        district: args.district.as_deref().map(DistrictCode::new),
        word: args.recipient.clone(),
    };
    match oncall::answer(
        &directory,
        &generation,
        &subject,
        &filters,
        &oncall::Viewer::Everyone,
        at,
    ) {
        Ok(answer) => {
            print!("{}", oncall::render(&answer));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The given files, else the deployment's `city/contacts*` files, as sources named relative to
/// the deployment where possible.
fn read_contacts(config: &Path, given: &[PathBuf]) -> anyhow::Result<Vec<SourceFile>> {
    let paths: Vec<PathBuf> = if given.is_empty() {
        let city = config.join("city");
        let mut found: Vec<PathBuf> = match std::fs::read_dir(&city) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    name.starts_with("contacts")
                        && [".yaml", ".yml", ".csv"]
                            .iter()
                            .any(|ext| name.ends_with(ext))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        found.sort();
        found
    } else {
        given.to_vec()
    };
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
        let shown = path
            .strip_prefix(config)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        files.push(SourceFile { path: shown, text });
    }
    Ok(files)
}
