//! `tocsin replay`.

use std::path::Path;
use std::process::ExitCode;

pub(crate) fn run(config: &Path, input: &Path) -> anyhow::Result<ExitCode> {
    let _ = (config, input);
    anyhow::bail!("replay is being written")
}
