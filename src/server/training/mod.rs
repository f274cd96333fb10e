//! The training engine.
//!
//! - [`stage`]: the `Stage` trait and the context a run carries: adding a stage
//!   means one more `impl Stage` in [`stages`].
//! - [`executor`]: runs one claimed run through the stages, item by item, with
//!   checkpoints, throttling and interrupts.
//! - [`runner`]: the worker pool: claims queued runs, heartbeats, recovers stale
//!   runs, and signals running tasks (pause, cancel, shutdown).

pub mod chunk;
mod curated;
pub mod examples;
pub mod executor;
pub mod runner;
pub mod stage;
pub mod stages;

pub use runner::{Runner, RunnerConfig};
