//! `tocsin test`: runs every rule test case (`rules/**/*.test.yaml`, the shipped ones and the
//! deployment's) on a virtual clock and prints one line per case, what failed and why, and a last
//! line `N passed, M failed`. Exit 0 when every case passed, 1 otherwise.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `tocsin test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Deployment directory (its `rules/**/*.test.yaml` run with the shipped cases).
    #[arg(long)]
    pub config: PathBuf,
}

pub(crate) fn run(args: &TestArgs) -> anyhow::Result<ExitCode> {
    let report = crate::ruletest::run(&args.config);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write!(out, "{report}").context("writing to standard output")?;
    out.flush().context("writing to standard output")?;
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
