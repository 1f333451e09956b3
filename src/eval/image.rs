//! The engine's state image: everything an engine has learnt from the readings it evaluated
//! (alarm levels, `for` runs, clear countdowns, sample windows, composite patterns, script
//! windows, device faults, last reading times, scripts' latest verdicts), encoded compactly so the runtime can save it
//! with the journal position it includes and an engine can continue after a restart exactly as
//! if it had never stopped. An image belongs to one generation: its tables are laid out by that
//! generation's sensors and rules, so it is refused under any other (the runtime then restores
//! from the store's standing alarms instead).

use std::sync::Arc;

use crate::model::{Generation, Level};

use super::Engine;
use super::composite::CompositeImage;
use super::state::{FAULT_OFFLINE, FAULT_OUT_OF_RANGE, PersistState, SampleRing};

/// Version of the image layout; an image of another version is refused. 2: bindings carry the
/// script's latest verdict (clear countdowns end on the clock tick); the timer queue is not
/// saved but re-derived from the rule state.
const FORMAT: u32 = 2;

/// Why an image cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not an image of this version.
    #[error("engine state image cannot be decoded: {0}")]
    Decode(#[from] postcard::Error),
    /// The image is of another layout version.
    #[error("engine state image has format {found}, this build reads {FORMAT}")]
    Format {
        /// The version found.
        found: u32,
    },
    /// The image was taken under another generation.
    #[error("engine state image belongs to generation {image}, not {current}")]
    Generation {
        /// The image's generation.
        image: String,
        /// The generation in force.
        current: String,
    },
    /// The image's tables do not fit the generation's (a damaged image).
    #[error("engine state image does not fit the generation: {0}")]
    Shape(&'static str),
}

/// The state of one (sensor, metric) stream.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StreamImage {
    /// Event time of the last accepted reading.
    last_ts: i64,
    /// Active device faults (bits).
    faults: u8,
    /// Recent in-range samples, oldest first.
    samples: Vec<(i64, f64)>,
}

/// One rule on one stream.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct BindingImage {
    /// Alarm level (index into [`Level::ALL`]).
    level: Option<u8>,
    /// Start of the current clear run.
    clear_since: i64,
    /// A scripted rule's latest verdict (index into [`Level::ALL`]).
    verdict: Option<u8>,
}

/// What an engine knows, laid out by its generation's tables.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct StateImage {
    /// Layout version.
    format: u32,
    /// The generation it belongs to.
    generation: String,
    /// One per stream.
    streams: Vec<StreamImage>,
    /// One per binding.
    bindings: Vec<BindingImage>,
    /// Per-level persistence runs (`for`, `count`).
    persist: Vec<([i64; 4], [u16; 4])>,
    /// Sequence and cluster pattern state.
    composites: CompositeImage,
    /// The scripts' sample windows, per watched stream.
    script_history: Vec<Vec<(i64, f64)>>,
    /// Late and unknown readings counted so far.
    counters: (u64, u64),
}

impl StateImage {
    /// The compact encoding saved in the store.
    pub fn encode(&self) -> Vec<u8> {
        // Plain data of integers, floats, strings and vectors always encodes.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads an encoding made by [`StateImage::encode`].
    pub fn decode(bytes: &[u8]) -> Result<StateImage, ImageError> {
        let image: StateImage = postcard::from_bytes(bytes)?;
        if image.format != FORMAT {
            return Err(ImageError::Format {
                found: image.format,
            });
        }
        Ok(image)
    }

    /// The generation the image belongs to.
    pub fn generation(&self) -> &str {
        &self.generation
    }
}

impl Engine {
    /// Takes an image of the engine's whole rule state.
    pub fn image(&self) -> StateImage {
        StateImage {
            format: FORMAT,
            generation: self.generation.id.as_str().to_owned(),
            streams: self
                .streams
                .iter()
                .map(|stream| StreamImage {
                    last_ts: stream.last_ts,
                    faults: stream.faults & (FAULT_OFFLINE | FAULT_OUT_OF_RANGE),
                    samples: stream
                        .samples
                        .latest(usize::MAX)
                        .map(|s| (s.ts, s.value))
                        .collect(),
                })
                .collect(),
            bindings: self
                .bindings
                .iter()
                .map(|binding| BindingImage {
                    level: binding.level.map(|l| l.index() as u8),
                    clear_since: binding.clear_since,
                    verdict: binding.verdict.map(|l| l.index() as u8),
                })
                .collect(),
            persist: self.persist.iter().map(|p| (p.since, p.hits)).collect(),
            composites: self.composites.image(),
            script_history: self
                .scripts
                .as_ref()
                .map(|host| host.history_image())
                .unwrap_or_default(),
            counters: (self.late, self.unknown),
        }
    }

    /// An engine for `generation` in exactly the state `image` was taken in. Emits nothing.
    pub fn from_image(
        generation: Arc<Generation>,
        image: &StateImage,
    ) -> Result<Engine, ImageError> {
        if image.generation != generation.id.as_str() {
            return Err(ImageError::Generation {
                image: image.generation.clone(),
                current: generation.id.as_str().to_owned(),
            });
        }
        let mut engine = Engine::new(generation);
        if image.streams.len() != engine.streams.len() {
            return Err(ImageError::Shape("streams"));
        }
        if image.bindings.len() != engine.bindings.len() {
            return Err(ImageError::Shape("bindings"));
        }
        if image.persist.len() != engine.persist.len() {
            return Err(ImageError::Shape("persistence runs"));
        }
        if image.bindings.iter().any(|b| {
            [b.level, b.verdict]
                .iter()
                .flatten()
                .any(|l| usize::from(*l) >= Level::ALL.len())
        }) {
            return Err(ImageError::Shape("levels"));
        }
        if !engine.composites.restore_image(&image.composites) {
            return Err(ImageError::Shape("composite rules"));
        }
        if let Some(host) = &mut engine.scripts
            && !host.restore_history(&image.script_history)
        {
            return Err(ImageError::Shape("script windows"));
        }
        for (stream, saved) in engine.streams.iter_mut().zip(&image.streams) {
            stream.last_ts = saved.last_ts;
            stream.faults = (stream.faults & !(FAULT_OFFLINE | FAULT_OUT_OF_RANGE))
                | (saved.faults & (FAULT_OFFLINE | FAULT_OUT_OF_RANGE));
            stream.samples = SampleRing::from_samples(&saved.samples);
        }
        for (binding, saved) in engine.bindings.iter_mut().zip(&image.bindings) {
            binding.level = saved.level.map(|l| Level::ALL[usize::from(l)]);
            binding.clear_since = saved.clear_since;
            binding.verdict = saved.verdict.map(|l| Level::ALL[usize::from(l)]);
        }
        for (persist, (since, hits)) in engine.persist.iter_mut().zip(&image.persist) {
            *persist = PersistState {
                since: *since,
                hits: *hits,
            };
        }
        (engine.late, engine.unknown) = image.counters;
        engine.rebuild_warnings();
        // the deadlines are a function of the state just restored
        engine.rearm_timers();
        Ok(engine)
    }

    /// Re-derives the warning board (levels per asset and hazard, cascade boosts) from the
    /// bindings' and composite rules' alarm levels, silently.
    fn rebuild_warnings(&mut self) {
        for s in 0..self.streams.len() {
            let stream = &self.streams[s];
            let asset = self.generation.sensors[stream.sensor as usize].asset_ix.0;
            let first = stream.first_binding as usize;
            for b in first..first + usize::from(stream.bindings) {
                let binding = self.bindings[b];
                let rule = binding.rule as usize;
                // a shadow rule's level is its own; it never counts towards a warning
                if binding.level.is_none() || self.generation.rules[rule].shadow {
                    continue;
                }
                if let Some(slot) = self.warnings.find(asset, self.plans[rule].hazard) {
                    self.warnings.apply(slot, None, binding.level);
                }
            }
        }
        for (rule, sensor, level) in self.composites.standing() {
            let asset = self.generation.sensors[sensor as usize].asset_ix.0;
            let hazard = self.plans[rule as usize].hazard;
            if let Some(slot) = self.warnings.find(asset, hazard)
                && !self.generation.rules[rule as usize].shadow
            {
                self.warnings.apply(slot, None, Some(level));
            }
        }
        // offline deadlines are re-derived by the next sweep
        self.next_offline_check = i64::MIN;
        self.restore_cascades();
    }
}
