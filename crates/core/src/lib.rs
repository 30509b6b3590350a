//! itas-core: the pure domain of itas.
//!
//! Framework files, the exact scoring engine, the analysis an agency report
//! is written from, and Thai formatting. No I/O, no async: everything here is
//! a function of its arguments, so every backend and every report agrees.

pub mod analysis;
pub mod directory;
pub mod exact;
pub mod framework;
pub mod report_check;
pub mod scoring;
pub mod survey;
pub mod thai;

pub use exact::{Exact, Score};
pub use framework::Framework;
pub use scoring::{Inputs, ItemTally, Scorecard, ScoringError, score};

#[cfg(test)]
mod fuzz;
