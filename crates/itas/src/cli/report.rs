//! `itas report`: the agency's analysis report and improvement plan from
//! indicator scores, as PDF, DOCX or HTML.
//!
//! `itas report --framework ita-2564 --indicators V1,…,V10 --agency "NAME" --format pdf -o FILE`
//!
//! `itas report --infographic ROUND [--province NAME | --parent CODE] -o FILE`:
//! the one-page A4 infographic of a round in the database, the same PDF the
//! dashboard offers.

use itas_core::Score;
use itas_core::analysis::plan_to_target;
use itas_core::directory::AgencyKind;
use itas_core::thai::{Digits, FiscalYear, parse_date};
use itas_reports::analysis_report::{Agency, ReportInput, analysis_report};
use std::process::ExitCode;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Pdf,
    Docx,
    Html,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    inputs: super::score::ScoreInputs,
    /// Overall score the OIT path aims at (with --oit-pass); the framework's pass mark by default.
    #[arg(long)]
    target: Option<String>,
    /// The agency's Thai name.
    #[arg(long, required_unless_present = "infographic")]
    agency: Option<String>,
    /// The line under the name on the cover (district, province).
    #[arg(long, default_value = "")]
    location: String,
    /// Whom the memo is addressed to; derived from the agency's kind by default.
    #[arg(long)]
    addressee: Option<String>,
    /// The unit sending the memo; derived from the agency's kind by default.
    #[arg(long)]
    unit: Option<String>,
    /// Date of the memo: YYYY-MM-DD or a Thai date; today by default.
    #[arg(long)]
    date: Option<String>,
    /// Fiscal year assessed (B.E.); the framework's by default.
    #[arg(long)]
    fiscal_year: Option<i32>,
    /// Digits in the text: thai (as formal letters use) or arabic.
    #[arg(long, default_value = "thai")]
    digits: String,
    /// DOCX font for every script slot.
    #[arg(long, default_value = "TH SarabunPSK")]
    font: String,
    #[arg(long, value_enum, required_unless_present = "infographic")]
    format: Option<Format>,
    /// Instead of a report: the one-page infographic (PDF) of this round in
    /// the database (its id or its name).
    #[arg(long, value_name = "ROUND")]
    infographic: Option<String>,
    /// With --infographic: one province (its Thai name, e.g. ขอนแก่น).
    #[arg(long, requires = "infographic", conflicts_with = "parent")]
    province: Option<String>,
    /// With --infographic: a parent agency (its code) and the agencies under it.
    #[arg(long, requires = "infographic")]
    parent: Option<String>,
    #[command(flatten)]
    db: super::server::DbArgs,
    /// Output file.
    #[arg(short, long)]
    output: std::path::PathBuf,
}

pub fn run(a: ReportArgs) -> Result<ExitCode, String> {
    if let Some(round) = &a.infographic {
        let pdf =
            super::server::infographic(&a.db, round, a.province.as_deref(), a.parent.as_deref())?;
        std::fs::write(&a.output, &pdf)
            .map_err(|e| format!("cannot write {}: {e}", a.output.display()))?;
        say_err!("wrote {} ({} bytes)", a.output.display(), pdf.len());
        return Ok(ExitCode::SUCCESS);
    }
    let agency = a.agency.clone().unwrap_or_default();
    let format = a.format.ok_or("--format is required")?;
    let (fw, card, passed) = a.inputs.compute()?;
    let target = match a.target.as_deref() {
        Some(t) => t.parse::<Score>().map_err(|e| format!("--target: {e}"))?,
        None => fw.pass_mark,
    };
    let plan = passed.map(|p| plan_to_target(&fw, &card, &p, target));
    let digits = match a.digits.as_str() {
        "thai" => Digits::Thai,
        "arabic" => Digits::Arabic,
        other => return Err(format!("--digits: '{other}' is not thai or arabic")),
    };
    let date = match a.date.as_deref() {
        Some(d) => time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .ok()
            .or_else(|| parse_date(d))
            .ok_or_else(|| {
                format!("--date: cannot read '{d}' (YYYY-MM-DD or e.g. ๖ กันยายน ๒๕๖๔)")
            })?,
        None => itas_app::today(),
    };
    let kind = AgencyKind::from_name_th(&agency).unwrap_or(AgencyKind::Other);
    let fy = a
        .fiscal_year
        .map(FiscalYear)
        .unwrap_or(FiscalYear(fw.fiscal_year as i32));
    let input = ReportInput {
        framework: &fw,
        card: &card,
        agency: Agency {
            name: agency.trim().to_string(),
            location: a.location,
            addressee: a.addressee.unwrap_or_else(|| kind.head_of_th(&agency)),
            unit: a.unit.unwrap_or_else(|| kind.report_unit_th(&agency)),
        },
        fiscal_year: fy,
        date,
        digits,
        previous: None,
        trend: Vec::new(),
        samples: Vec::new(),
        plan,
        measures: vec![],
    };
    let doc = analysis_report(&input);
    let bytes = match format {
        Format::Pdf => {
            itas_reports::pdf::render(&doc, digits == Digits::Thai).map_err(|e| e.to_string())?
        }
        Format::Docx => itas_reports::docx::render(
            &doc,
            &itas_reports::docx::DocxOptions {
                font: a.font,
                ..Default::default()
            },
        )
        .map_err(|e| e.to_string())?,
        Format::Html => {
            itas_reports::html::standalone(&doc, fw.pass_mark.hundredths()).into_bytes()
        }
    };
    std::fs::write(&a.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", a.output.display()))?;
    say_err!("wrote {} ({} bytes)", a.output.display(), bytes.len());
    Ok(ExitCode::SUCCESS)
}
