//! `tocsin demo`: the embedded default. The Shenyang example deployment (40 assets, 39 sensors,
//! three incident chains) is written to a directory on first start, served over HTTP on an SQLite
//! file, and fed by the simulated city (`crate::sim`): the example's recorded afternoon played in
//! laps on a clock running `--speed` times faster than the wall clock, so a six-hour afternoon
//! passes in minutes and the workflow's deadlines and escalations with it. Prints the URL and an
//! admin and a duty officer token, then a line for every warning and case change until Ctrl-C.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use include_dir::{Dir, include_dir};

use super::serve::refuse;
use crate::auth::user;
use crate::model::{Actor, Clock, Level, ScaledClock, SystemClock, Timestamp};
use crate::runtime::{Runtime, serve, shutdown_signal};
use crate::sim::{Feeder, Player, Recording};
use crate::storage::{Store, WarningFilter, WarningRecord, WarningState};

/// The Shenyang example deployment, with its recorded afternoon (`readings.ndjson`).
static EXAMPLE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/examples/shenyang");

/// The recording the simulated city plays.
const RECORDING_FILE: &str = "readings.ndjson";

/// Flags of `tocsin demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the demo's deployment is written on first start (an existing one is used as it is:
    /// edit its rules and the running demo reloads them).
    #[arg(long, default_value = "tocsin-demo")]
    pub dir: PathBuf,
    /// Store URL (not read from `TOCSIN_STORE`, so a shell set up for a real deployment never
    /// points the demo's simulated readings at it).
    #[arg(long, default_value = "sqlite://tocsin-demo.db")]
    pub store: String,
    /// Listen address.
    #[arg(long, env = "TOCSIN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// How many times faster than the wall clock the simulated city runs (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub speed: u32,
}

/// How often the simulated sensors send, the engine ticks and the board is redrawn (real time).
const BEAT: Duration = Duration::from_secs(1);

/// The simulated city starts this far into its recording (the readings before are delivered at
/// once, stamped in the recent past), so the example's first incident, 40 minutes in, comes
/// about 20 seconds after start at the default speed instead of 80.
const LEAD_IN: Duration = Duration::from_secs(30 * 60);

pub(crate) fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init_tracing();
    if prepare_deployment(&args.dir)? {
        println!(
            "wrote the Shenyang example deployment to {}",
            args.dir.display()
        );
    }
    let mut settings = match crate::settings::load(&args.dir) {
        Ok(settings) => settings,
        Err(diagnostics) => return Ok(refuse(&args.dir, &diagnostics)),
    };
    settings.store = args.store.clone();
    settings.listen = args.listen;
    settings.tick_interval = BEAT;
    let generation = match crate::compile::load(Some(&args.dir)) {
        Ok(generation) => Arc::new(generation),
        Err(diagnostics) => return Ok(refuse(&args.dir, &diagnostics)),
    };
    let recording_path = args.dir.join(RECORDING_FILE);
    let text = std::fs::read_to_string(&recording_path)
        .with_context(|| format!("cannot read {}", recording_path.display()))?;
    let recording = Arc::new(
        Recording::parse(&text).with_context(|| format!("in {}", recording_path.display()))?,
    );
    let tokio = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    tokio.block_on(async move {
        let store = crate::storage::open(&settings.store)
            .await
            .context("cannot open the store")?;
        let origin = start_time(&*store).await?;
        let clock = ScaledClock::new(origin, args.speed);
        let tokens = demo_tokens(&*store, clock.now()).await?;
        // local receivers for every channel, so a new user sees messages leave
        let mut settings = settings;
        let sinks = crate::notify::demo::start(
            &args.dir.join("outbox"),
            Arc::new(|line| println!("  sent        {line}")),
        )
        .await
        .context("cannot start the local receivers")?;
        settings.notify = sinks.settings.clone();
        let runtime = Runtime::start_deployment(
            &settings,
            &args.dir,
            Arc::clone(&generation),
            Arc::clone(&store),
            Arc::new(clock),
        )
        .await
        .context("cannot start")?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        print_banner(&args, &generation, &recording, &tokens);
        let feeder = Feeder::new(Player::new(Arc::clone(&recording), origin.minus(LEAD_IN)));
        let feeding = tokio::spawn(feeder.run(runtime.queue().clone(), Arc::new(clock), BEAT));
        let since = origin.minus(LEAD_IN);
        let board = tokio::spawn(board(Arc::clone(&store), generation, clock, since));
        // The feeder holds a sender of the ingest queue: it must stop before the runtime drains
        // the queue, or the writer would wait for it forever.
        let shutdown = async move {
            shutdown_signal().await;
            feeding.abort();
            board.abort();
            let _ = feeding.await;
        };
        serve(runtime, listener, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Writes the embedded example to `dir` unless it exists; true when written.
fn prepare_deployment(dir: &Path) -> anyhow::Result<bool> {
    if dir.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    EXAMPLE
        .extract(dir)
        .with_context(|| format!("cannot write the example to {}", dir.display()))?;
    Ok(true)
}

/// Where the simulated clock starts: now, or late enough that the first simulated reading
/// (stamped [`LEAD_IN`] before the start) comes after the newest stored one, when an earlier
/// demo's fast clock ran ahead of the wall clock (older readings would not be evaluated).
async fn start_time(store: &dyn Store) -> anyhow::Result<Timestamp> {
    let latest = store
        .latest_reading_times(None)
        .await
        .context("cannot read the store")?
        .into_iter()
        .map(|(_, _, at)| at)
        .max();
    let now = SystemClock.now();
    let after = |at: Timestamp| at.plus(Duration::from_secs(60)).plus(LEAD_IN);
    Ok(latest.map_or(now, |at| now.max(after(at))))
}

/// The demo's two people and their tokens: (role, token).
async fn demo_tokens(store: &dyn Store, now: Timestamp) -> anyhow::Result<Vec<(String, String)>> {
    let actor = Actor::system("demo").id;
    let users = store.users().await.context("cannot read users")?;
    let mut tokens = Vec::new();
    for (role, name) in [
        ("admin", "demo admin"),
        ("duty_officer", "demo duty officer"),
    ] {
        let token = match users
            .iter()
            .find(|u| u.name == name && u.role.as_str() == role)
        {
            Some(existing) => user::add_token(store, existing.id, &actor, now, None)
                .await?
                .map(|(_, token)| token),
            None => {
                let new_user = user::new_user(role, Some(name), None, None, None)?;
                Some(
                    user::create_user(store, &new_user, &actor, now, None)
                        .await?
                        .2,
                )
            }
        };
        tokens.push((role.to_owned(), token.context("the demo user vanished")?));
    }
    Ok(tokens)
}

fn print_banner(
    args: &DemoArgs,
    generation: &crate::model::Generation,
    recording: &Recording,
    tokens: &[(String, String)],
) {
    let lap = Duration::from_millis(u64::try_from(recording.lap_millis()).unwrap_or(0));
    let real = lap / args.speed;
    println!(
        "Tocsin demo: {} assets, {} sensors, {} rules; the recorded afternoon ({} min) plays every \
         {} s (time x{})",
        generation.assets.len(),
        generation.sensors.len(),
        generation.rules.len(),
        lap.as_secs() / 60,
        real.as_secs(),
        args.speed
    );
    let base = format!("http://{}", args.listen);
    println!("  API           {base}/api/v1/warnings?state=open");
    for (role, token) in tokens {
        println!("  {:<14}{token}", role.replace('_', " "));
    }
    println!(
        "  deployment    {} (edit it: the demo reloads)",
        args.dir.display()
    );
    println!(
        "  store         {}",
        crate::storage::redact_url(&args.store)
    );
    println!("  try           TOKEN=<admin token>; DUTY=<duty officer token>");
    println!(
        "                curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/warnings?state=open'"
    );
    println!(
        "                curl -s -XPOST -H \"Authorization: Bearer $DUTY\" -H 'content-type: application/json' {base}/api/v1/warnings/1/actions -d '{{\"action\": \"issue\"}}'"
    );
    println!("Warnings and cases as they change (time is the simulated city's, +08:00):");
}

/// Prints a line for every warning or case change, every beat, until aborted.
async fn board(
    store: Arc<dyn Store>,
    generation: Arc<crate::model::Generation>,
    clock: ScaledClock,
    since: Timestamp,
) {
    let mut seen = HashMap::new();
    let mut timer = tokio::time::interval(BEAT);
    // Warnings changed since the start, and every open one (an earlier run's warning whose case
    // escalates now changes no warning row).
    let changed = WarningFilter {
        since: Some(since),
        limit: 1_000,
        ..WarningFilter::default()
    };
    let open = WarningFilter {
        state: Some(WarningState::Open),
        limit: 1_000,
        ..WarningFilter::default()
    };
    loop {
        timer.tick().await;
        let mut warnings = Vec::new();
        for filter in [&changed, &open] {
            match store.warnings(filter).await {
                Ok(found) => warnings.extend(found),
                Err(error) => tracing::warn!(%error, "cannot read warnings for the board"),
            }
        }
        warnings.sort_by_key(|w| w.id);
        warnings.dedup_by_key(|w| w.id);
        for line in board_lines(&mut seen, &warnings, &generation, clock.now()) {
            println!("{line}");
        }
    }
}

/// What the board shows of a warning; a change of any part is printed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown {
    level: Level,
    open: bool,
    stage: Option<String>,
    rungs: u32,
    supervised: bool,
}

impl Shown {
    fn of(warning: &WarningRecord) -> Shown {
        Shown {
            level: warning.level,
            open: warning.state == WarningState::Open,
            stage: warning.case.as_ref().map(|case| case.stage.to_string()),
            rungs: warning.case.as_ref().map_or(0, |case| case.rungs_fired),
            supervised: warning.case.as_ref().is_some_and(|case| case.supervised),
        }
    }
}

/// One line per warning whose [`Shown`] changed since the last call (oldest change first), at the
/// warning's own time for a change of level or state, else (a case moved) at `now`.
fn board_lines(
    seen: &mut HashMap<i64, Shown>,
    warnings: &[WarningRecord],
    generation: &crate::model::Generation,
    now: Timestamp,
) -> Vec<String> {
    let mut changed: Vec<&WarningRecord> = warnings
        .iter()
        .filter(|w| seen.get(&w.id) != Some(&Shown::of(w)))
        .collect();
    changed.sort_by_key(|w| (w.updated_at, w.id));
    changed
        .into_iter()
        .map(|warning| {
            let shown = Shown::of(warning);
            let before = seen.get(&warning.id);
            let at = match before {
                Some(before) if before.level == shown.level && before.open == shown.open => now,
                _ => warning.updated_at,
            };
            let what = describe(before, &shown);
            seen.insert(warning.id, shown);
            let asset = generation
                .asset(warning.asset.as_str())
                .map_or(warning.asset.as_str(), |asset| asset.name.as_str());
            format!(
                "{}  #{:<4} {} {:<6}  {asset} ({})  {what}",
                shenyang_time(at),
                warning.id,
                warning.level.colour_cn(),
                warning.level.as_str(),
                warning.hazard
            )
        })
        .collect()
}

/// What changed, in words.
fn describe(before: Option<&Shown>, now: &Shown) -> String {
    let stage = now.stage.as_deref().unwrap_or("-");
    let Some(before) = before else {
        let state = if now.open { "open" } else { "cleared" };
        return format!("{state}, stage {stage}");
    };
    let mut parts = Vec::new();
    if before.level != now.level {
        parts.push(format!(
            "{} -> {}",
            before.level.as_str(),
            now.level.as_str()
        ));
    }
    if before.open != now.open {
        parts.push(if now.open { "reopened" } else { "cleared" }.to_owned());
    }
    if before.stage != now.stage {
        parts.push(format!("stage {stage}"));
    }
    if now.rungs > before.rungs {
        parts.push(format!("escalated (rung {})", now.rungs));
    }
    if now.supervised && !before.supervised {
        parts.push("supervision item 督办".to_owned());
    }
    parts.join(", ")
}

/// `HH:MM` in Shenyang (UTC+8).
fn shenyang_time(at: Timestamp) -> String {
    let local = at.plus(Duration::from_secs(8 * 3600)).to_rfc3339();
    local.get(11..16).unwrap_or("--:--").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployment_is_written_once_and_edits_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("demo");
        assert!(prepare_deployment(&target).unwrap());
        assert!(target.join("city/sensors.yaml").is_file());
        assert!(target.join(RECORDING_FILE).is_file());
        crate::compile::load(Some(&target)).unwrap();
        std::fs::write(target.join("city/note.txt"), "an edit").unwrap();
        assert!(!prepare_deployment(&target).unwrap());
        assert!(target.join("city/note.txt").is_file());
    }

    #[test]
    fn the_board_says_what_changed() {
        let open = Shown {
            level: Level::Orange,
            open: true,
            stage: Some("detected".to_owned()),
            rungs: 0,
            supervised: false,
        };
        assert_eq!(describe(None, &open), "open, stage detected");
        let later = Shown {
            level: Level::Red,
            stage: Some("issued".to_owned()),
            rungs: 3,
            supervised: true,
            ..open.clone()
        };
        assert_eq!(
            describe(Some(&open), &later),
            "orange -> red, stage issued, escalated (rung 3), supervision item 督办"
        );
        let cleared = Shown {
            open: false,
            ..later.clone()
        };
        assert_eq!(describe(Some(&later), &cleared), "cleared");
        assert_eq!(shenyang_time(Timestamp(0)), "08:00");
    }
}
