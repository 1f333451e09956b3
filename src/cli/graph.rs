//! `tocsin graph`: compiles a deployment (layered over the shipped packs) and prints its coupling
//! graph as DOT, or writes it to a file. An invalid set prints its diagnostics the way
//! `validate` does, on standard error so a redirected DOT file never holds them, and exits 1.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::compile;
use crate::config::Diagnostic;
use crate::coupling::dot;

/// Arguments of `tocsin graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Deployment directory.
    #[arg(long)]
    pub config: PathBuf,
    /// Write the DOT to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub(crate) fn run(args: &GraphArgs) -> anyhow::Result<ExitCode> {
    let generation = match compile::load(Some(&args.config)) {
        Ok(generation) => generation,
        Err(diagnostics) => {
            eprint!("{}", diagnostics_text(diagnostics));
            return Ok(ExitCode::FAILURE);
        }
    };
    let text = dot::render(&generation);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write the graph to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every diagnostic on its own line, sorted, then `N error(s)`: the text `validate` prints.
fn diagnostics_text(mut diagnostics: Vec<Diagnostic>) -> String {
    Diagnostic::sort(&mut diagnostics);
    let mut out = String::new();
    for diagnostic in &diagnostics {
        out.push_str(&diagnostic.to_string());
        out.push('\n');
    }
    let n = diagnostics.len();
    out.push_str(&format!("{n} error{}\n", if n == 1 { "" } else { "s" }));
    out
}
