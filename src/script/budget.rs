//! The time budget of a call. Rhai counts operations; wall-clock time is ours to watch. The
//! clock starts lazily, at the first look: a call's 1,024th operation, or the first large window
//! a native scans (over [`LARGE_SCAN`] samples), whichever comes first, so the short calls that
//! are nearly all of them never read the clock. Then `on_progress` looks every 1,024 operations
//! and the natives after every large scan; the time before the first look (at most 1,024
//! operations or one scan, microseconds) is not counted. State is per thread: a call runs on one
//! thread from start to end, and a shared engine serves calls on many threads.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::{Dynamic, EvalAltResult, Position};

/// Operations between two looks at the clock.
const CHECK_EVERY: u64 = 1024;

/// Samples above which a native's scan is worth a look at the clock.
pub(crate) const LARGE_SCAN: usize = 1024;

/// The token a script stopped by the time budget carries (see `fault`).
pub(crate) const TIME_BUDGET_TOKEN: &str = "time budget exceeded";

thread_local! {
    /// When the clock of the call running on this thread started, once it has.
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The budget of the call running on this thread.
    static BUDGET: Cell<Duration> = const { Cell::new(Duration::MAX) };
}

/// The `on_progress` callback for a sandbox with `budget` per call: `Some(token)` stops it.
pub(crate) fn watch(budget: Duration) -> impl Fn(u64) -> Option<Dynamic> + Send + Sync + 'static {
    move |operations| {
        if operations == 1 {
            // A new call: forget the last one's clock (two thread-local writes, no clock read).
            STARTED.set(None);
            BUDGET.set(budget);
            return None;
        }
        if operations % CHECK_EVERY != 0 || !spent() {
            return None;
        }
        Some(Dynamic::from(TIME_BUDGET_TOKEN))
    }
}

/// Whether the call running on this thread is over its budget; starts the clock on first use.
fn spent() -> bool {
    match STARTED.get() {
        Some(started) => started.elapsed() > BUDGET.get(),
        None => {
            STARTED.set(Some(Instant::now()));
            false
        }
    }
}

/// For natives after scanning `samples` samples: the fault that stops a call over its budget.
pub(crate) fn check_scan(samples: usize) -> Result<(), Box<EvalAltResult>> {
    if samples > LARGE_SCAN && spent() {
        return Err(EvalAltResult::ErrorTerminated(
            Dynamic::from(TIME_BUDGET_TOKEN),
            Position::NONE,
        )
        .into());
    }
    Ok(())
}
