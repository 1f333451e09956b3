//! Tocsin: an urban-safety early-warning engine. Sensor readings from many domains come in;
//! graded warnings (blue < yellow < orange < red) go out to the departments and districts that
//! must act. See `docs/ARCHITECTURE.md` for the module map; dependencies flow top to bottom:
//! `model` <- `config` <- `compile` <- `eval` <- `ingest` / `storage` <- `api` <- `runtime` <- `cli`.

pub mod api;
pub mod audit;
pub mod auth;
pub mod cap;
pub mod cli;
pub mod compile;
pub mod config;
pub mod contacts;
pub mod coupling;
pub mod error;
pub mod eval;
pub mod grading;
pub mod ingest;
pub mod model;
pub mod notify;
pub mod report;
pub mod roster;
pub mod ruletest;
pub mod runtime;
pub mod script;
pub mod settings;
pub mod sign;
pub mod sim;
pub mod storage;
pub mod telemetry;
pub mod text;
pub mod workflow;
