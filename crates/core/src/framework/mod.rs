//! Framework files: the data that describes one assessment year's instrument.

mod model;
mod parse;
mod write;

pub use model::*;
pub use parse::{FrameworkError, Problem, line_col, parse};
pub use write::{quote, to_toml};

/// The framework files embedded in the binary, one per ITA fiscal year.
pub const ITA_2564_SOURCE: &str = include_str!("../../../../frameworks/ita-2564.toml");
pub const ITA_2565_SOURCE: &str = include_str!("../../../../frameworks/ita-2565.toml");
pub const ITA_2566_SOURCE: &str = include_str!("../../../../frameworks/ita-2566.toml");
pub const ITA_2567_SOURCE: &str = include_str!("../../../../frameworks/ita-2567.toml");
pub const ITA_2568_SOURCE: &str = include_str!("../../../../frameworks/ita-2568.toml");
pub const ITA_2569_SOURCE: &str = include_str!("../../../../frameworks/ita-2569.toml");

/// Frameworks compiled into itas, usable as `--framework NAME`, oldest
/// first; the last is the newest.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("ita-2564", ITA_2564_SOURCE),
    ("ita-2565", ITA_2565_SOURCE),
    ("ita-2566", ITA_2566_SOURCE),
    ("ita-2567", ITA_2567_SOURCE),
    ("ita-2568", ITA_2568_SOURCE),
    ("ita-2569", ITA_2569_SOURCE),
];

/// Loads an embedded framework by name.
pub fn embedded(name: &str) -> Option<Framework> {
    EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        // The embedded files are checked by tests; a failure here is a build defect.
        .map(|(n, src)| {
            parse(&format!("{n}.toml"), src)
                .unwrap_or_else(|e| panic!("embedded framework is invalid: {e}"))
        })
}

/// The default framework.
pub fn ita_2564() -> Framework {
    embedded("ita-2564").expect("ita-2564 is embedded")
}

#[cfg(test)]
mod tests;
