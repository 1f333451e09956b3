//! Process settings (`tocsin.yaml` in the deployment directory): listen address, store URL,
//! ingest limits. Layered: built-in defaults -> file -> `TOCSIN_*` environment variables ->
//! command-line flags. Secrets come from the environment and are never printed.

use std::net::SocketAddr;
use std::time::Duration;

/// Limits of the ingest path.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct IngestSettings {
    /// Largest accepted request body; larger is 413 `body_too_large`.
    pub max_body_bytes: usize,
    /// Batches waiting for the store writer; when full, ingest answers 503 `overloaded`.
    pub queue_capacity: usize,
    /// Most readings the writer commits in one transaction.
    pub writer_batch: usize,
    /// How far in the future a reading's `ts` may be (sensor clocks drift).
    #[serde(with = "crate::model::domain::duration_secs")]
    pub max_clock_skew: Duration,
    /// How old a reading may be and still be accepted.
    #[serde(with = "crate::model::domain::duration_secs")]
    pub max_age: Duration,
    /// Seconds a client is told to wait when overloaded.
    pub retry_after_secs: u32,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            max_body_bytes: 16 * 1024 * 1024,
            queue_capacity: 64,
            writer_batch: 10_000,
            max_clock_skew: Duration::from_secs(300),
            max_age: Duration::from_secs(30 * 24 * 3600),
            retry_after_secs: 1,
        }
    }
}

/// Everything the server process needs besides the rule set.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Store URL (`sqlite://tocsin.db`, `postgres://...`).
    pub store: String,
    /// Ingest limits.
    pub ingest: IngestSettings,
    /// How often the clock tick checks for offline sensors.
    #[serde(with = "crate::model::domain::duration_secs")]
    pub tick_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            store: "sqlite://tocsin.db".to_owned(),
            ingest: IngestSettings::default(),
            tick_interval: Duration::from_secs(10),
        }
    }
}
