//! The simulated city of `tocsin demo`: a recorded stretch of readings (NDJSON, every sensor at
//! its cadence, incidents included) played back in laps against a clock. Each lap is stamped
//! right after the previous one, so the sensors stay online and the incidents come round again.
//! The recording parser is also what `tocsin replay` reads its input with.

mod feeder;
mod player;
mod recording;

pub use feeder::Feeder;
pub use player::Player;
pub use recording::{Recording, RecordingError, parse_reading_line};
