//! `itas score`: the scoring contract scripts depend on.
//!
//! `itas score --framework ita-2564 --indicators V1,…,V10 [--oit-pass o1,…] [--json]`
//! JSON output: {"framework","indicators","tools","overall","level","below_pass"}.
//! Bad input exits 2 with one line on stderr.

use super::framework_arg::load;
use itas_app::lang::Lang;
use itas_core::Score;
use itas_core::analysis::{LabelOutlook, Way, analyse, label_outlook, plan_to_target};
use itas_core::framework::{Framework, ItemKind, ResultRule, ToolKind};
use itas_core::scoring::{Inputs, score};
use itas_core::thai::thai_digits;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::ExitCode;

/// What a scorecard is computed from: shared by `score` and `report`.
#[derive(clap::Args)]
pub struct ScoreInputs {
    /// An embedded framework name or a framework TOML file.
    #[arg(long, default_value = "ita-2564")]
    framework: String,
    /// Indicator scores in order, comma-separated; '-' for an indicator computed from --oit-pass.
    #[arg(long)]
    indicators: Option<String>,
    /// Checklist (OIT) items that passed, comma-separated; every other item failed.
    #[arg(long)]
    oit_pass: Option<String>,
}

impl ScoreInputs {
    /// The framework, the engine's scorecard, and the OIT passes when given.
    pub fn compute(
        &self,
    ) -> Result<(Framework, itas_core::Scorecard, Option<BTreeSet<String>>), String> {
        let fw = load(&self.framework)?;
        let passed = self
            .oit_pass
            .as_deref()
            .map(|s| parse_pass_list(&fw, s))
            .transpose()?;
        let indicators = self
            .indicators
            .as_deref()
            .ok_or("--indicators is required (the indicator scores, comma-separated)")?;
        let given = parse_indicators(&fw, indicators, passed.is_some())?;
        let inputs = Inputs {
            given,
            passed: passed.clone(),
            ..Default::default()
        };
        let card = score(&fw, &inputs).map_err(|e| e.to_string())?;
        Ok((fw, card, passed))
    }
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    inputs: ScoreInputs,
    /// Also plan the fewest OIT items to pass to reach this overall score (needs --oit-pass).
    #[arg(long)]
    target: Option<String>,
    /// Print one JSON object instead of the Thai table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: ScoreArgs) -> Result<ExitCode, String> {
    let (fw, card, passed) = a.inputs.compute()?;
    let analysis = analyse(&fw, &card);
    let target = a
        .target
        .as_deref()
        .map(|t| t.parse::<Score>().map_err(|e| format!("--target: {e}")))
        .transpose()?;
    let plan = match (target, &passed) {
        (Some(t), Some(p)) => Some(plan_to_target(&fw, &card, p, t)),
        (Some(_), None) => {
            return Err("--target needs --oit-pass to know which OIT items failed".into());
        }
        _ => None,
    };

    if a.json {
        let mut out = card.contract_json(&fw);
        if let (Some(p), Some(obj)) = (&plan, out.as_object_mut()) {
            obj.insert(
                "plan".into(),
                serde_json::to_value(p).map_err(|e| e.to_string())?,
            );
        }
        if let (Some(o), Some(obj)) = (
            label_outlook(&fw, &card, passed.as_ref()),
            out.as_object_mut(),
        ) {
            obj.insert("outlook".into(), outlook_json(&o));
        }
        out!("{out}");
    } else {
        out_raw!("{}", thai_table(&fw, &card, &analysis.below_pass));
        let ways = itas_app::results::outlook_lines(Lang::Th, &fw, &card, passed.as_ref());
        if !ways.is_empty() {
            out_raw!("\nทางไปสู่ผลการประเมินที่ดีขึ้น\n");
            for w in ways {
                out_raw!("  {w}\n");
            }
        }
        if let Some(p) = &plan {
            out_raw!("{}", plan_text(&fw, p));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each better result and its way there, for scripts: `blocked` with the
/// tools below the floor, `items` with the fewest OIT items, `out_of_reach`
/// with the overall passing every item gives, or `unknown` without
/// `--oit-pass`.
fn outlook_json(o: &LabelOutlook) -> serde_json::Value {
    use serde_json::json;
    let ways: Vec<serde_json::Value> = o
        .ways
        .iter()
        .map(|(level, way)| {
            let how = match way {
                Way::Blocked(short) => json!({
                    "way": "blocked",
                    "tools": short
                        .iter()
                        .map(|(tool, s, floor)| json!({"tool": tool, "score": s, "floor": floor}))
                        .collect::<Vec<_>>(),
                }),
                Way::Items(plan) => json!({
                    "way": "items",
                    "items": plan.steps.iter().map(|s| s.item.as_str()).collect::<Vec<_>>(),
                    "projected": plan.projected,
                }),
                Way::OutOfReach { best } => json!({"way": "out_of_reach", "best": best}),
                Way::Unknown => json!({"way": "unknown"}),
            };
            let mut v = json!({"level": level.code, "level_th": level.name_th, "min": level.min});
            if let (Some(obj), serde_json::Value::Object(how)) = (v.as_object_mut(), how) {
                obj.extend(how);
            }
            v
        })
        .collect();
    ways.into()
}

fn parse_indicators(
    fw: &Framework,
    s: &str,
    have_pass: bool,
) -> Result<BTreeMap<u32, Score>, String> {
    let values: Vec<&str> = s.split(',').map(str::trim).collect();
    let n = fw.indicators.len();
    if values.len() != n {
        return Err(format!(
            "--indicators needs {n} values for {}, got {}",
            fw.code,
            values.len()
        ));
    }
    let mut out = BTreeMap::new();
    for (ind, v) in fw.indicators.iter().zip(values) {
        if v == "-" {
            let checklist = fw
                .tool(&ind.tool)
                .is_some_and(|t| t.kind == ToolKind::Checklist);
            if !checklist {
                return Err(format!(
                    "indicator {} is a survey indicator; '-' is only for checklist indicators",
                    ind.number
                ));
            }
            if !have_pass {
                return Err(format!(
                    "indicator {} is '-' but no --oit-pass was given",
                    ind.number
                ));
            }
            continue;
        }
        let score = v
            .parse::<Score>()
            .map_err(|e| format!("indicator {}: {e}", ind.number))?;
        out.insert(ind.number, score);
    }
    Ok(out)
}

fn parse_pass_list(fw: &Framework, s: &str) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for code in s.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match fw.item(code) {
            Some(i) if matches!(i.kind, ItemKind::Checklist { .. }) => {
                out.insert(code.to_string());
            }
            Some(_) => return Err(format!("--oit-pass: {code} is not a checklist item")),
            None => return Err(format!("--oit-pass: unknown item code '{code}'")),
        }
    }
    Ok(out)
}

/// The seed's results table, in Thai with Thai digits.
fn thai_table(fw: &Framework, card: &itas_core::Scorecard, below: &[u32]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ผลการประเมิน{} ({})",
        thai_digits(&fw.name_th).trim_start_matches("การประเมิน"),
        fw.code
    );
    for tool in &fw.tools {
        let _ = writeln!(s, "\n{} ({})", tool.name_th, tool.code);
        for ind in fw.indicators_of(&tool.code) {
            let mark = if below.contains(&ind.number) {
                "  ต่ำกว่าเกณฑ์"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  {}. {:<40} {:>8}{mark}",
                thai_digits(&ind.number.to_string()),
                ind.name_th,
                thai_digits(&card.indicators[&ind.number].to_string())
            );
        }
        let _ = writeln!(
            s,
            "  คะแนน {} {:>38}",
            tool.code,
            thai_digits(&card.tools[&tool.code].to_string())
        );
    }
    let outcome = fw.result(card.overall, &card.tools);
    let overall = thai_digits(&card.overall.to_string());
    let _ = match fw.result_rule {
        ResultRule::Bands => writeln!(
            s,
            "\nคะแนนรวม {overall}  ระดับ {} ({})",
            card.level, outcome.level.name_th
        ),
        ResultRule::Conditions => writeln!(
            s,
            "\nคะแนนรวม {overall}  ผลการประเมิน {}",
            outcome.level.name_th
        ),
    };
    if let Some((better, tools)) = &outcome.held_back {
        let floor = better.tool_floor.unwrap_or(fw.pass_mark);
        let low: Vec<String> = tools
            .iter()
            .map(|t| format!("{t} {}", thai_digits(&card.tools[t].to_string())))
            .collect();
        let _ = writeln!(
            s,
            "ยังไม่ได้ \"{}\" เพราะ {} ต่ำกว่า {}",
            better.name_th,
            low.join(", "),
            thai_digits(&floor.to_string())
        );
    }
    let _ = writeln!(
        s,
        "ตัวชี้วัดที่ต่ำกว่า {} คะแนน: {} ตัวชี้วัด",
        thai_digits(&fw.pass_mark.to_string()),
        thai_digits(&below.len().to_string())
    );
    s
}

fn plan_text(fw: &Framework, p: &itas_core::analysis::Plan) -> String {
    let mut s = String::new();
    let target = thai_digits(&p.target.to_string());
    if p.steps.is_empty() {
        let _ = writeln!(s, "\nคะแนนรวมถึงเป้าหมาย {target} แล้ว");
        return s;
    }
    if p.reachable {
        let _ = writeln!(
            s,
            "\nผ่านข้อ OIT ต่อไปนี้ {} ข้อ เพื่อให้ได้ {target} คะแนน (ได้ {}):",
            thai_digits(&p.steps.len().to_string()),
            thai_digits(&p.projected.to_string())
        );
    } else {
        let _ = writeln!(
            s,
            "\nแม้ผ่าน OIT ครบทุกข้อ คะแนนรวมจะได้ {} ไม่ถึง {target}",
            thai_digits(&p.projected.to_string())
        );
    }
    for step in &p.steps {
        let name = fw.item(&step.item).map_or("", |i| i.th.as_str());
        let _ = writeln!(
            s,
            "  {:<4} {name}  (+{})",
            step.item,
            thai_digits(&step.gain.to_string())
        );
    }
    s
}
