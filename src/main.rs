//! The `tocsin` binary: parses the command line and hands over to `tocsin::cli`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tocsin::cli::Cli::parse();
    match tocsin::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
