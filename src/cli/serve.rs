//! `tocsin serve`: compile the deployment, bind the listen address (before anything is activated
//! or written, so a busy port changes nothing), open (and migrate) the store, start the runtime and
//! serve the HTTP API until Ctrl-C or SIGTERM, then drain the ingest queue before exiting. While it
//! serves, the deployment is hot-reloaded on `POST /api/v1/admin/reload`, SIGHUP, and (unless
//! `reload.watch: false`) a change to its files.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::config::Diagnostic;
use crate::model::SystemClock;
use crate::runtime::{Runtime, serve, shutdown_signal};

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
    crate::telemetry::init_tracing();
    let mut settings = match crate::settings::load(&args.config) {
        Ok(settings) => settings,
        Err(diagnostics) => return Ok(refuse(&args.config, &diagnostics)),
    };
    if let Some(store) = args.store {
        settings.store = store;
    }
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    let generation = match crate::compile::load(Some(&args.config)) {
        Ok(generation) => Arc::new(generation),
        Err(diagnostics) => return Ok(refuse(&args.config, &diagnostics)),
    };
    let tokio = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    tokio.block_on(async move {
        // The port first: a server that cannot listen must not activate its generation, write to
        // the audit or reconcile the store before failing.
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let store = crate::storage::open(&settings.store)
            .await
            .context("cannot open the store")?;
        let runtime = Runtime::start_deployment(
            &settings,
            &args.config,
            generation,
            store,
            Arc::new(SystemClock),
        )
        .await
        .context("cannot start")?;
        serve(runtime, listener, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints every diagnostic and the refusal; exit code 1.
pub(super) fn refuse(config: &std::path::Path, diagnostics: &[Diagnostic]) -> ExitCode {
    for diagnostic in diagnostics {
        eprintln!("{diagnostic}");
    }
    eprintln!(
        "error: {} problem(s) in {}; not starting",
        diagnostics.len(),
        config.display()
    );
    ExitCode::from(1)
}
