//! `tocsin test`: runs every rule test case (`rules/**/*.test.yaml`, the shipped ones and the
//! deployment's) on a virtual clock and prints one line per case, what failed and why, and a last
//! line `N passed, M failed`. Exit 0 when every case passed, 1 otherwise.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Which cases `tocsin test` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// Only the deployment's own `rules/**/*.test.yaml` (not the shipped packs' cases).
    Deployment,
    /// Only the shipped packs' cases.
    Shipped,
}

/// Arguments of `tocsin test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Deployment directory (its `rules/**/*.test.yaml` run with the shipped cases).
    #[arg(long)]
    pub config: PathBuf,
    /// Run only the deployment's own cases, or only the shipped ones (default: both).
    #[arg(long, value_enum)]
    pub only: Option<Only>,
    /// Show the instants a failing case's offsets stand for at this fixed UTC offset (`+08:00`,
    /// `-05:30`, `Z`): its start and each change of its level history. Default: offsets only.
    #[arg(long, value_parser = super::replay::parse_zone)]
    pub timezone: Option<super::replay::Zone>,
}

/// Whether the test file at `path` (as shown: `<builtin>/...` for shipped files) is selected.
fn selected(only: Option<Only>, path: &str) -> bool {
    let shipped = path.starts_with("<builtin>/");
    match only {
        None => true,
        Some(Only::Deployment) => !shipped,
        Some(Only::Shipped) => shipped,
    }
}

pub(crate) fn run(args: &TestArgs) -> anyhow::Result<ExitCode> {
    let files: Vec<_> = crate::config::rule_tests(Some(&args.config))
        .into_iter()
        .filter(|file| selected(args.only, &file.path))
        .collect();
    let report = crate::ruletest::run_files(Some(&args.config), &files);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let show = args.timezone.map(|zone| move |ts| zone.show(ts));
    let time = show
        .as_ref()
        .map(|show| show as &dyn Fn(crate::model::Timestamp) -> String);
    write!(out, "{}", report.shown(time)).context("writing to standard output")?;
    out.flush().context("writing to standard output")?;
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selects_by_layer() {
        let table = [
            (None, "<builtin>/rules/city_gas.test.yaml", true),
            (None, "rules/mine.test.yaml", true),
            (
                Some(Only::Deployment),
                "<builtin>/rules/city_gas.test.yaml",
                false,
            ),
            (Some(Only::Deployment), "rules/mine.test.yaml", true),
            (
                Some(Only::Shipped),
                "<builtin>/rules/city_gas.test.yaml",
                true,
            ),
            (Some(Only::Shipped), "rules/mine.test.yaml", false),
        ];
        for (only, path, expected) in table {
            assert_eq!(selected(only, path), expected, "{only:?} {path}");
        }
    }
}
