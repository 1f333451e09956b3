//! `tocsin serve`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `tocsin serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Deployment directory.
    #[arg(long)]
    pub config: PathBuf,
    /// Store URL; overrides `tocsin.yaml` and `TOCSIN_STORE`.
    #[arg(long)]
    pub store: Option<String>,
    /// Listen address; overrides `tocsin.yaml` and `TOCSIN_LISTEN`.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("serve is being written")
}
