//! `tocsin report daily --store URL [--config DIR] [--date YYYY-MM-DD] [--timezone +08:00]
//! [--format markdown|json]`: prints the daily duty report (日报) for a local day (default: today
//! in the offset) from the store, as Markdown (default) or JSON. Names, stages and deadlines come
//! from the deployment's configuration (`--config`), else from the shipped packs alone.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::model::{Clock, SystemClock};
use crate::report::{self, Day, markdown, parse_offset};
use crate::storage;

/// Arguments of `tocsin report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Which report.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// The reports.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// The daily duty report (日报): warnings opened, closed and open at the end of the day by
    /// domain, level and stage, with overdue items, supervision items and drills apart.
    Daily(DailyArgs),
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Markdown,
    /// For programs (the same document as `GET /api/v1/reports/daily`).
    Json,
}

/// Arguments of `tocsin report daily`.
#[derive(Debug, clap::Args)]
pub struct DailyArgs {
    /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
    #[arg(long)]
    pub store: String,
    /// Deployment directory, for names, stages and deadlines (default: the shipped packs only).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Local date, YYYY-MM-DD (default: today in `--timezone`).
    #[arg(long)]
    pub date: Option<String>,
    /// UTC offset of the day, e.g. +08:00.
    #[arg(long, default_value = "+08:00", allow_hyphen_values = true)]
    pub timezone: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReportFormat,
}

/// Runs `tocsin report ...`.
pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        ReportCommand::Daily(daily) => run_daily(daily),
    }
}

fn run_daily(args: &DailyArgs) -> anyhow::Result<ExitCode> {
    let offset = parse_offset(&args.timezone)?;
    let now = SystemClock.now();
    let day = match &args.date {
        Some(date) => Day::parse(date, offset)?,
        None => Day::containing(now, offset),
    };
    let generation = crate::compile::load(args.config.as_deref()).map_err(|diagnostics| {
        for diagnostic in &diagnostics {
            eprintln!("{diagnostic}");
        }
        anyhow::anyhow!(
            "the configuration has {} problem(s); see `tocsin validate`",
            diagnostics.len()
        )
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let store = storage::connect(&args.store).await?;
        report::from_store(&*store, &generation, day, now).await
    })?;
    match args.format {
        ReportFormat::Markdown => print!("{}", markdown::render(&report)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(ExitCode::SUCCESS)
}
