//! Tests of the workflow machine, routing and notification texts, on a hand-built generation and
//! workflow shaped like the shipped closed loop (`fixture`).

mod actions;
mod engine;
mod fixture;
mod message;
mod opening;
mod routing;
mod timers;
