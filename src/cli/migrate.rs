//! `tocsin migrate`.

use std::process::ExitCode;

pub(crate) fn run(store: &str) -> anyhow::Result<ExitCode> {
    let _ = store;
    anyhow::bail!("migrate is being written")
}
