//! The `itas` command: one binary for the whole assessment cycle.

mod cli;

/// A server allocating many small strings per request on few cores: mimalloc
/// measured faster than the system allocator (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::run(args)
}
