//! Subcommands. Each module is one command; they share framework loading.

mod bench;
mod bench_quality;
mod bench_reports;
mod bench_round;
mod check_report;
mod framework_arg;
mod progress;
mod report;
mod score;
mod server;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "itas",
    version,
    about = "Integrity and Transparency Assessment System"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute indicator, tool and overall scores and the level.
    Score(score::ScoreArgs),
    /// List every figure in a text report that disagrees with the engine.
    CheckReport(check_report::CheckReportArgs),
    /// Write the agency's analysis report and improvement plan (PDF, DOCX or HTML).
    Report(Box<report::ReportArgs>),
    /// Validate a framework file and print a summary (or the whole model as JSON).
    Framework(framework_arg::FrameworkArgs),
    /// Run the web server (SQLite at data/itas.sqlite3 unless --database-url says otherwise).
    Serve(server::ServeArgs),
    /// Apply database migrations and exit.
    Migrate(server::MigrateArgs),
    /// Write a consistent copy of a live SQLite database.
    Backup(server::BackupArgs),
    /// Rewrite answer tables in key order so nothing shows the order of arrival (docs/privacy.md).
    PrivacyMaintenance(server::MigrateArgs),
    /// Import agencies from a CSV or XLSX file; bad rows are listed with their line.
    ImportAgencies(server::ImportArgs),
    /// Fetch and judge every OIT evidence URL of a round, storing snapshots.
    CheckEvidence(server::CheckEvidenceArgs),
    /// Create a user (the password comes from an environment variable).
    CreateUser(server::CreateUserArgs),
    /// Benchmarks (see README, Performance).
    Bench(bench::BenchArgs),
}

/// Exit code for bad input: the contract scripts rely on.
pub const BAD_INPUT: u8 = 2;

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Score(a) => score::run(a),
        Command::CheckReport(a) => check_report::run(a),
        Command::Framework(a) => framework_arg::run(a),
        Command::Report(a) => report::run(*a),
        Command::Serve(a) => server::serve(a),
        Command::Migrate(a) => server::migrate(a),
        Command::Backup(a) => server::backup(a),
        Command::PrivacyMaintenance(a) => server::privacy_maintenance(a),
        Command::ImportAgencies(a) => server::import_agencies(a),
        Command::CreateUser(a) => server::create_user(a),
        Command::CheckEvidence(a) => server::check_evidence(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("itas: {message}");
            ExitCode::from(BAD_INPUT)
        }
    }
}
