//! Recorded readings: NDJSON lines `{"sensor", "metric", "value", "ts"}` (`ts` RFC 3339 or epoch
//! milliseconds), sorted by event time and kept as offsets from the first reading.

use serde::Deserialize;

use crate::model::{Reading, Timestamp};

/// A recording that cannot be played.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    /// A line is not a reading.
    #[error("line {line}: {problem}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// No readings at all.
    #[error("the recording holds no readings")]
    Empty,
}

/// Readings in event-time order, each at its offset (milliseconds) from the first.
#[derive(Clone, Debug)]
pub struct Recording {
    /// (offset, reading with its recorded time).
    readings: Vec<(i64, Reading)>,
    /// From the first reading's time to the start of the next lap: the span plus the shortest
    /// step between two recorded instants, so a lap's first readings come one step after the
    /// previous lap's last.
    lap: i64,
}

impl Recording {
    /// Parses NDJSON text; blank lines are skipped, any other bad line is an error naming it.
    pub fn parse(text: &str) -> Result<Recording, RecordingError> {
        let mut readings = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let reading = parse_reading_line(line).map_err(|problem| RecordingError::BadLine {
                line: i + 1,
                problem,
            })?;
            readings.push(reading);
        }
        readings.sort_by_key(|reading| reading.ts);
        let first = readings.first().ok_or(RecordingError::Empty)?.ts.millis();
        let last = readings.last().map_or(first, |reading| reading.ts.millis());
        let step = readings
            .windows(2)
            .map(|pair| pair[1].ts.millis() - pair[0].ts.millis())
            .filter(|step| *step > 0)
            .min()
            .unwrap_or(60_000);
        Ok(Recording {
            readings: readings
                .into_iter()
                .map(|reading| (reading.ts.millis() - first, reading))
                .collect(),
            lap: last - first + step,
        })
    }

    /// How many readings one lap plays.
    pub fn len(&self) -> usize {
        self.readings.len()
    }

    /// Never true: a recording holds at least one reading.
    pub fn is_empty(&self) -> bool {
        self.readings.is_empty()
    }

    /// The length of one lap, in milliseconds.
    pub fn lap_millis(&self) -> i64 {
        self.lap
    }

    /// The readings with their offsets, in order.
    pub(super) fn readings(&self) -> &[(i64, Reading)] {
        &self.readings
    }

    /// The readings as recorded, in event-time order.
    pub fn recorded(&self) -> impl Iterator<Item = &Reading> {
        self.readings.iter().map(|(_, reading)| reading)
    }
}

/// One line as written: `{"sensor": "...", "metric": "...", "value": 1.0, "ts": ...}`; other
/// keys (a note, say) are ignored.
#[derive(Deserialize)]
struct RawReading {
    /// Sensor id.
    sensor: String,
    /// Metric id.
    metric: String,
    /// Value in the metric's unit.
    value: f64,
    /// Event time.
    ts: RawTime,
}

/// A timestamp as RFC 3339 text or epoch milliseconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawTime {
    /// Epoch milliseconds.
    Millis(i64),
    /// RFC 3339 text.
    Text(String),
}

/// Parses one NDJSON line into a reading, or says what is wrong with it.
pub fn parse_reading_line(line: &str) -> Result<Reading, String> {
    let raw: RawReading = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if !raw.value.is_finite() {
        return Err(format!("value {} is not finite", raw.value));
    }
    let ts = match raw.ts {
        RawTime::Millis(ms) => Timestamp(ms),
        RawTime::Text(text) => Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| format!("timestamp {text:?} is not RFC 3339"))?,
    };
    Ok(Reading {
        sensor: raw.sensor.as_str().into(),
        metric: raw.metric.as_str().into(),
        value: raw.value,
        ts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_text_or_millisecond_times() {
        let r = parse_reading_line(
            r#"{"sensor":"s1","metric":"gas.ch4","value":3.5,"ts":"2026-11-29T08:00:00+08:00"}"#,
        )
        .unwrap();
        assert_eq!(r.ts.to_rfc3339(), "2026-11-29T00:00:00.000Z");
        assert_eq!(r.value, 3.5);
        let r = parse_reading_line(r#"{"sensor":"s1","metric":"m","value":1,"ts":1000}"#).unwrap();
        assert_eq!(r.ts, Timestamp(1000));
        let noted = r#"{"sensor":"s1","metric":"m","value":1,"ts":1,"note":"burst"}"#;
        assert_eq!(parse_reading_line(noted).unwrap().value, 1.0);
        for bad in [
            r#"{"sensor":"s1","metric":"m","value":"x","ts":1}"#,
            r#"{"sensor":"s1","metric":"m","value":1,"ts":"noon"}"#,
            "not json",
        ] {
            assert!(parse_reading_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_recording_is_sorted_and_its_lap_ends_one_step_after_the_last_reading() {
        let text = "\n{\"sensor\":\"b\",\"metric\":\"m\",\"value\":2,\"ts\":120000}\n\
                    {\"sensor\":\"a\",\"metric\":\"m\",\"value\":1,\"ts\":60000}\n\
                    {\"sensor\":\"a\",\"metric\":\"m\",\"value\":3,\"ts\":180000}\n";
        let recording = Recording::parse(text).unwrap();
        let offsets: Vec<i64> = recording.readings().iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, vec![0, 60_000, 120_000]);
        assert_eq!(recording.lap_millis(), 180_000);
        assert_eq!(recording.len(), 3);
    }

    #[test]
    fn a_bad_line_is_named_and_an_empty_recording_refused() {
        let text = "{\"sensor\":\"a\",\"metric\":\"m\",\"value\":1,\"ts\":0}\n{\"sensor\":\"a\"}\n";
        let error = Recording::parse(text).unwrap_err();
        assert!(
            matches!(error, RecordingError::BadLine { line: 2, .. }),
            "{error}"
        );
        assert!(
            error.to_string().starts_with("line 2: missing field"),
            "{error}"
        );
        assert_eq!(
            Recording::parse("\n \n").unwrap_err(),
            RecordingError::Empty
        );
    }
}
