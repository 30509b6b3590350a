//! `itas check-report FILE`: every figure in a text report that disagrees with the engine.
//! Exits 0 when all figures agree, 1 when some disagree, 2 on bad input.

use super::framework_arg::load;
use itas_core::report_check::check_report;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CheckReportArgs {
    /// The report as plain text (UTF-8), e.g. from pdftotext or a Word "save as text".
    file: String,
    #[arg(long, default_value = "ita-2564")]
    framework: String,
    #[arg(long)]
    json: bool,
}

pub fn run(a: CheckReportArgs) -> Result<ExitCode, String> {
    let fw = load(&a.framework)?;
    let bytes = std::fs::read(&a.file).map_err(|e| format!("cannot read {}: {e}", a.file))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", a.file))?;
    let r = check_report(&fw, &text);
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?
        );
    } else {
        out!(
            "{}: {} figures read, {} disagree with the engine",
            a.file,
            r.claims.len(),
            r.findings.len()
        );
        if let Some(card) = &r.scorecard {
            let tools: Vec<String> = fw
                .tools
                .iter()
                .map(|t| format!("{} {}", t.code, card.tools[&t.code]))
                .collect();
            out!(
                "engine: {}; overall {}, level {}",
                tools.join(", "),
                card.overall,
                card.level
            );
        }
        for f in &r.findings {
            if f.line > 0 {
                out!("line {}: {}", f.line, f.message);
            } else {
                out!("{}", f.message);
            }
        }
    }
    Ok(if r.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
