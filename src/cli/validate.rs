//! `tocsin validate`.

use std::path::Path;
use std::process::ExitCode;

pub(crate) fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let _ = config;
    anyhow::bail!("validate is being written")
}
