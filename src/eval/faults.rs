//! Device faults, kept apart from warnings: a value outside the metric's valid range (raised by the
//! reading, cleared by the next in-range one) and silence (raised by the clock tick, cleared by the
//! next reading). Each is raised once while active.
//!
//! Offline detection is a sweep over all streams, O(streams), run by `tick` only when the clock has
//! passed the earliest deadline seen so far; readings only ever push a stream's deadline later, so
//! the remembered minimum stays a safe lower bound and most ticks cost one comparison.

use crate::model::{Change, FaultChange, FaultKind, Generation, Timestamp};

use super::build::MetricPlan;
use super::state::{FAULT_OFFLINE, NEVER, Stream};
use super::warnings::{duration, number};

/// Builds a fault change for `stream`.
pub(crate) fn fault(
    generation: &Generation,
    stream: &Stream,
    kind: FaultKind,
    active: bool,
    ts: i64,
    detail: String,
) -> Change {
    let sensor = &generation.sensors[stream.sensor as usize];
    let metric = &generation.metrics[stream.metric as usize];
    Change::Fault(FaultChange {
        sensor: sensor.id.clone(),
        metric: metric.id.clone(),
        kind,
        active,
        ts: Timestamp(ts),
        detail,
        generation: generation.id.clone(),
    })
}

/// Detail of an out-of-range fault: "value 180 outside 0..100".
pub(crate) fn out_of_range_detail(value: f64, plan: &MetricPlan) -> String {
    format!(
        "value {} outside {}..{}",
        number(value),
        number(plan.low),
        number(plan.high)
    )
}

/// The deadline after which `stream` is offline, if it has reported and the metric checks silence.
#[inline]
pub(crate) fn deadline(stream: &Stream, plan: &MetricPlan) -> Option<i64> {
    (stream.last_ts != NEVER && plan.offline_ms > 0)
        .then(|| stream.last_ts.saturating_add(plan.offline_ms))
}

/// Raises offline faults for streams silent past their deadline at `now`; returns the earliest
/// deadline of the streams still online ([`i64::MAX`] if none).
pub(crate) fn sweep_offline(
    generation: &Generation,
    streams: &mut [Stream],
    metrics: &[MetricPlan],
    now: i64,
    out: &mut Vec<Change>,
) -> i64 {
    let mut next = i64::MAX;
    for stream in streams.iter_mut() {
        if stream.faults & FAULT_OFFLINE != 0 {
            continue;
        }
        let plan = &metrics[stream.metric as usize];
        let Some(due) = deadline(stream, plan) else {
            continue;
        };
        if now > due {
            stream.faults |= FAULT_OFFLINE;
            let detail = format!(
                "no reading for {} (last {})",
                duration(now.saturating_sub(stream.last_ts)),
                Timestamp(stream.last_ts)
            );
            out.push(fault(
                generation,
                stream,
                FaultKind::Offline,
                true,
                now,
                detail,
            ));
        } else {
            next = next.min(due);
        }
    }
    next
}
