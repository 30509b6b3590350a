//! `--framework NAME|FILE.toml`, shared by every command that scores.

use itas_core::framework::{self, Framework};

/// Loads an embedded framework by name, or a file by path.
pub fn load(spec: &str) -> Result<Framework, String> {
    if let Some(fw) = framework::embedded(spec) {
        return Ok(fw);
    }
    if spec.ends_with(".xlsx") {
        let bytes = super::server::read_upload(spec)?;
        let toml = itas_app::framework_xlsx::import(&bytes).map_err(|problems| {
            problems
                .iter()
                .map(|p| format!("{spec}: {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        return framework::parse(spec, &toml).map_err(|e| e.to_string());
    }
    if spec.ends_with(".toml") || std::path::Path::new(spec).exists() {
        let source = std::fs::read_to_string(spec)
            .map_err(|e| format!("cannot read framework file {spec}: {e}"))?;
        return framework::parse(spec, &source).map_err(|e| e.to_string());
    }
    let known: Vec<&str> = framework::EMBEDDED.iter().map(|(n, _)| *n).collect();
    Err(format!(
        "unknown framework '{spec}' (embedded: {}; or give a .toml file)",
        known.join(", ")
    ))
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FrameworkArgs {
    #[command(subcommand)]
    action: Option<FrameworkAction>,
    /// An embedded framework name, or a framework file (TOML or XLSX).
    #[arg(default_value = "ita-2564")]
    framework: String,
    /// Print the validated model as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum FrameworkAction {
    /// Write a framework as an XLSX workbook (one sheet per part) to edit in Excel.
    Export {
        /// An embedded framework name, or a framework file (TOML or XLSX).
        framework: String,
        #[arg(short = 'o', long)]
        output: std::path::PathBuf,
    },
    /// Read a framework workbook into a TOML file; every problem is named by
    /// sheet, row and column (exit 2).
    Import {
        file: std::path::PathBuf,
        #[arg(short = 'o', long)]
        output: std::path::PathBuf,
    },
}

pub fn run(a: FrameworkArgs) -> Result<std::process::ExitCode, String> {
    match a.action {
        Some(FrameworkAction::Export { framework, output }) => {
            let fw = load(&framework)?;
            let bytes = itas_app::framework_xlsx::export(&fw).map_err(|e| e.to_string())?;
            std::fs::write(&output, bytes)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            out!("wrote {} ({})", output.display(), fw.code);
            return Ok(std::process::ExitCode::SUCCESS);
        }
        Some(FrameworkAction::Import { file, output }) => {
            let bytes = super::server::read_upload(&file.to_string_lossy())?;
            let toml = itas_app::framework_xlsx::import(&bytes).map_err(|problems| {
                problems
                    .iter()
                    .map(|p| format!("{}: {p}", file.display()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
            std::fs::write(&output, &toml)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            out!("wrote {} (valid)", output.display());
            return Ok(std::process::ExitCode::SUCCESS);
        }
        None => {}
    }
    let fw = load(&a.framework)?;
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&fw).map_err(|e| e.to_string())?
        );
    } else {
        out!(
            "{}: {} (fiscal year {})",
            fw.code,
            fw.name_th,
            fw.fiscal_year
        );
        for t in &fw.tools {
            let inds: Vec<String> = fw
                .indicators_of(&t.code)
                .map(|i| i.number.to_string())
                .collect();
            let items: usize = fw
                .indicators_of(&t.code)
                .map(|i| fw.items_of(i.number).count())
                .sum();
            out!(
                "  {} ({:?}): indicators {}, {items} items",
                t.code,
                t.kind,
                inds.join(", ")
            );
        }
        out!(
            "  levels: {}",
            fw.levels
                .iter()
                .map(|l| format!("{} ≥ {}", l.code, l.min))
                .collect::<Vec<_>>()
                .join(", ")
        );
        out!("  rounding: {:?}, pass mark {}", fw.rounding, fw.pass_mark);
    }
    Ok(std::process::ExitCode::SUCCESS)
}
