//! `--framework NAME|FILE.toml`, shared by every command that scores.

use itas_core::framework::{self, Framework};

/// Loads an embedded framework by name, or a file by path.
pub fn load(spec: &str) -> Result<Framework, String> {
    if let Some(fw) = framework::embedded(spec) {
        return Ok(fw);
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
pub struct FrameworkArgs {
    /// An embedded framework name or a framework TOML file.
    #[arg(default_value = "ita-2564")]
    framework: String,
    /// Print the validated model as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: FrameworkArgs) -> Result<std::process::ExitCode, String> {
    let fw = load(&a.framework)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&fw).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{}: {} (fiscal year {})",
            fw.code, fw.name_th, fw.fiscal_year
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
            println!(
                "  {} ({:?}): indicators {}, {items} items",
                t.code,
                t.kind,
                inds.join(", ")
            );
        }
        println!(
            "  levels: {}",
            fw.levels
                .iter()
                .map(|l| format!("{} ≥ {}", l.code, l.min))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!("  rounding: {:?}, pass mark {}", fw.rounding, fw.pass_mark);
    }
    Ok(std::process::ExitCode::SUCCESS)
}
