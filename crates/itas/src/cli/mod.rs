//! Subcommands. Each module is one command; they share framework loading.

/// Prints a line on standard output. A closed pipe (`itas … | head`) or a
/// full disk ends the output quietly instead of panicking as `println!`
/// does; the command still finishes its work and its exit code.
macro_rules! out {
    () => { $crate::cli::write_stdout(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cli::write_stdout(format_args!("{}\n", format_args!($($t)*))) };
}

/// [`out!`] without the line end.
macro_rules! out_raw {
    ($($t:tt)*) => { $crate::cli::write_stdout(format_args!($($t)*)) };
}

/// A line on standard error that, like [`out!`], never panics.
macro_rules! say_err {
    ($($t:tt)*) => { $crate::cli::write_stderr(format_args!("{}\n", format_args!($($t)*))) };
}

mod bench;
mod bench_downloads;
mod bench_history;
mod bench_quality;
mod bench_reports;
mod bench_round;
mod check_report;
mod framework_arg;
mod progress;
mod report;
mod restore;
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
    /// Put a backup in place of a SQLite database no server is serving (what it replaces is kept).
    Restore(restore::RestoreArgs),
    /// Rewrite answer tables in key order so nothing shows the order of arrival (docs/privacy.md).
    PrivacyMaintenance(server::MigrateArgs),
    /// Import agencies from a CSV or XLSX file; bad rows are listed with their line.
    ImportAgencies(server::ImportArgs),
    /// Import earlier years' published results from a CSV or XLSX file: each
    /// row checked against its year's framework, bad rows listed with their
    /// line, the good ones replacing their years in one transaction.
    ImportResults(server::ImportResultsArgs),
    /// Fetch and judge every OIT evidence URL of a round, storing snapshots.
    CheckEvidence(server::CheckEvidenceArgs),
    /// Create a user (the password comes from an environment variable).
    CreateUser(server::CreateUserArgs),
    /// Benchmarks (see README, Performance).
    Bench(bench::BenchArgs),
}

/// Writes to standard output; once it fails (a reader that went away), the
/// rest of the output is not attempted.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    static CLOSED: AtomicBool = AtomicBool::new(false);
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_fmt(args);
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
        Command::Restore(a) => restore::restore(a),
        Command::PrivacyMaintenance(a) => server::privacy_maintenance(a),
        Command::ImportAgencies(a) => server::import_agencies(a),
        Command::ImportResults(a) => server::import_results(a),
        Command::CreateUser(a) => server::create_user(a),
        Command::CheckEvidence(a) => server::check_evidence(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            say_err!("itas: {message}");
            ExitCode::from(BAD_INPUT)
        }
    }
}
