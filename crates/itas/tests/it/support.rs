//! Helpers shared by the integration tests.

use std::process::{Command, Output};

/// Runs the built `itas` binary with `args`.
pub fn itas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(args)
        .output()
        .expect("run itas")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}
