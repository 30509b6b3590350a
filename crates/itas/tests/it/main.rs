//! The integration tests of itas: one binary, one module per area.

mod cli_check_report;
mod cli_score;
mod support;
