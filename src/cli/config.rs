//! `tocsin config show --generation ID [--store URL] [--path FILE] [--json]`: the exact text of
//! every file of a stored generation, as it was live (the store keeps each generation's sources).
//! Every warning history entry names its generation, so an auditor can read the rule that
//! produced it. Only reads: the store is connected without migrating.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::model::GenerationId;

/// Flags of `tocsin config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// The `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the files of a stored generation: each as `==> PATH <==` and its text, or with
    /// `--path` that one file's text exactly.
    Show {
        /// The generation id (as in warning histories and `GET /config/generations`).
        #[arg(long)]
        generation: String,
        /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
        #[arg(long, default_value = "sqlite://tocsin.db")]
        store: String,
        /// Only this file (path as listed), printed exactly.
        #[arg(long)]
        path: Option<String>,
        /// The generation and its files as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: &ConfigArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let ConfigCommand::Show {
            generation,
            store,
            path,
            json,
        } = &args.command;
        let store = crate::storage::connect(store)
            .await
            .context("cannot open the store")?;
        let Some(record) = store
            .generation(&GenerationId::new(generation.as_str()))
            .await
            .context("cannot read the generation")?
        else {
            eprintln!("error: the store has no generation `{generation}`");
            return Ok(ExitCode::FAILURE);
        };
        let mut files = record.sources;
        if let Some(path) = path {
            files.retain(|file| file.path == *path);
            if files.is_empty() {
                eprintln!("error: generation `{generation}` has no file `{path}`");
                return Ok(ExitCode::FAILURE);
            }
        }
        if *json {
            let answer = serde_json::json!({
                "generation": record.id,
                "hash": record.hash,
                "created_at": record.created_at,
                "files": files,
            });
            println!("{}", serde_json::to_string_pretty(&answer)?);
        } else if path.is_some() {
            for file in &files {
                print!("{}", file.text);
            }
        } else {
            for file in &files {
                println!("==> {} <==", file.path);
                print!("{}", file.text);
                if !file.text.ends_with('\n') {
                    println!();
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
