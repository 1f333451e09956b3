//! The `tocsin` command line. Each subcommand lives in its own file and returns the process exit
//! code; `anyhow` is allowed here (and in `main.rs`) only.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod config;
mod demo;
mod graph;
mod migrate;
mod oncall;
mod replay;
mod report;
mod serve;
mod silence;
mod test;
mod token;
mod validate;

/// Tocsin: urban-safety early-warning engine.
#[derive(Debug, Parser)]
#[command(name = "tocsin", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: HTTP ingest and query API over the store.
    Serve(serve::ServeArgs),
    /// The embedded default: the Shenyang example city with simulated sensors and incidents,
    /// served on an SQLite file on a fast clock; prints the URL and tokens.
    Demo(demo::DemoArgs),
    /// Check a deployment directory; prints every problem, or a one-line summary.
    Validate {
        /// Deployment directory (layered over the shipped packs).
        #[arg(long)]
        config: PathBuf,
    },
    /// Run recorded readings (NDJSON) through the rules in event time, with no server and no store;
    /// prints each warning change as a JSON line, or with `--baseline OLD` the warnings the change
    /// from OLD adds, removes or re-grades.
    Replay(replay::ReplayArgs),
    /// Run every rule test case (`rules/**/*.test.yaml`, shipped and the deployment's) on a
    /// virtual clock; the last line is `N passed, N failed`.
    Test(test::TestArgs),
    /// Print the coupling graph (assets and typed relations, declared and derived) as DOT.
    Graph(graph::GraphArgs),
    /// Create or upgrade the store schema.
    Migrate {
        /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
        #[arg(long, default_value = "sqlite://tocsin.db")]
        store: String,
    },
    /// Users' API tokens: create (prints the token once), list, revoke.
    Token(token::TokenArgs),
    /// Silences and maintenance windows: add, list, confirm (a second person), expire.
    Silence(silence::SilenceArgs),
    /// The hash-chained audit log: verify it, or list entries.
    Audit(audit::AuditArgs),
    /// Duty reports (日报) as Markdown or JSON.
    Report(report::ReportArgs),
    /// Who would be told now (or `--at`), per recipient word and channel, from the contacts and
    /// duty rosters.
    Oncall(oncall::OncallArgs),
    /// Stored configuration generations: `config show --generation ID` prints the exact text
    /// that was live.
    Config(config::ConfigArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Validate { config } => validate::run(&config),
        Command::Replay(args) => replay::run_args(&args),
        Command::Test(args) => test::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Migrate { store } => migrate::run(&store),
        Command::Token(args) => token::run(&args),
        Command::Silence(args) => silence::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Oncall(args) => oncall::run(&args),
        Command::Config(args) => config::run(&args),
    }
}
