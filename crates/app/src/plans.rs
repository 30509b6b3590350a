//! Improvement plans: the measures an agency commits to after its
//! results, kept up to date month by month. Insiders read a plan; only the
//! agency's own admin changes it.

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use itas_core::directory::Role;
use itas_core::thai::{Digits, FiscalYear, thai_digits};
use itas_reports::analysis_report::suggested_measures;
use itas_store::agencies::Agency;
use itas_store::plans::{self, Measure, MeasureFields, Status};
use itas_store::rounds::Round;
use time::Date;

/// Longest text of a measure's description, weakness or follow-up.
pub const MAX_MEASURE_CHARS: usize = 2_000;
/// Longest name of a measure's responsible unit.
pub const MAX_OWNER_CHARS: usize = 300;
/// The longest note on one month's progress.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// A plan as a reader reaches it.
pub struct PlanScope {
    pub agency: Agency,
    pub round: Round,
    /// The reader is the agency's own admin.
    pub editable: bool,
}

/// The plan of an agency in a round it takes part in, for a reader who may
/// see the agency; `write` refuses anyone but the agency's own admin.
pub async fn scope(
    app: &App,
    actor: &Actor,
    agency_id: &str,
    round_id: &str,
    write: bool,
) -> Result<PlanScope> {
    crate::access::require_agency(app, actor, agency_id).await?;
    let editable = actor.role == Role::AgencyAdmin && actor.agency_id.as_deref() == Some(agency_id);
    if write && !editable {
        return Err(Error::new(ErrorCode::Forbidden));
    }
    let not_found = || Error::new(ErrorCode::NotFound);
    let round = crate::rounds::taking_part(app, round_id, agency_id).await?;
    let agency = itas_store::agencies::get(&app.db, agency_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(PlanScope {
        agency,
        round,
        editable,
    })
}

/// A plan's measures in order, with their progress.
pub async fn measures(app: &App, scope: &PlanScope) -> Result<Vec<Measure>> {
    Ok(plans::measures(&app.db, &scope.agency.id, &scope.round.id).await?)
}

/// An agency's measures in a round, for a reader already allowed (the
/// agency's published public page, the results page's plan summary).
pub async fn measures_of(app: &App, agency_id: &str, round_id: &str) -> Result<Vec<Measure>> {
    Ok(plans::measures(&app.db, agency_id, round_id).await?)
}

/// A measure as the form gives it (text, as typed).
#[derive(Clone, Debug, Default)]
pub struct MeasureInput {
    pub tool: String,
    pub measure: String,
    pub weakness: String,
    pub owner: String,
    pub starts_on: String,
    pub ends_on: String,
    pub follow_up: String,
    pub status: String,
}

/// Reads a measure, or names every problem; `prefix` goes before each
/// field's name (one page holds several measures' forms).
pub fn read_measure(
    input: &MeasureInput,
    tools: &[String],
    prefix: &str,
) -> Result<MeasureFields, Vec<FieldProblem>> {
    let mut e = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    let day = |v: &str| {
        Date::parse(
            v.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
    };
    if !tools.contains(&input.tool) {
        e.push(FieldProblem::new(
            field("tool"),
            "กรุณาเลือกเครื่องมือ",
            "Choose a tool",
        ));
    }
    if input.measure.trim().is_empty() {
        e.push(FieldProblem::new(
            field("measure"),
            "กรุณากรอกมาตรการ",
            "Describe the measure",
        ));
    }
    // Room for a real plan's text; far longer ran off the report's page.
    for (name, value, max) in [
        ("measure", &input.measure, MAX_MEASURE_CHARS),
        ("weakness", &input.weakness, MAX_MEASURE_CHARS),
        ("owner", &input.owner, MAX_OWNER_CHARS),
        ("follow_up", &input.follow_up, MAX_MEASURE_CHARS),
    ] {
        let n = value.trim().chars().count();
        if n > max {
            e.push(FieldProblem::new(
                field(name),
                format!(
                    "ยาวเกินไป: {} ตัวอักษร ใส่ได้ไม่เกิน {}",
                    thai_digits(&n.to_string()),
                    thai_digits(&max.to_string())
                ),
                format!("Too long: {n} characters; at most {max}"),
            ));
        }
    }
    let starts = day(&input.starts_on);
    let ends = day(&input.ends_on);
    for (name, d) in [("starts_on", starts), ("ends_on", ends)] {
        if d.is_none() {
            e.push(FieldProblem::new(
                field(name),
                "วันที่ไม่ถูกต้อง",
                "Not a valid date",
            ));
        }
    }
    if let (Some(s), Some(t)) = (starts, ends)
        && t < s
    {
        e.push(FieldProblem::new(
            field("ends_on"),
            "วันสิ้นสุดต้องไม่ก่อนวันเริ่ม",
            "The end cannot come before the start",
        ));
    }
    match (starts, ends) {
        (Some(starts_on), Some(ends_on)) if e.is_empty() => Ok(MeasureFields {
            tool: input.tool.clone(),
            measure: input.measure.trim().to_string(),
            weakness: input.weakness.trim().to_string(),
            owner: input.owner.trim().to_string(),
            starts_on,
            ends_on,
            follow_up: input.follow_up.trim().to_string(),
            status: Status::parse(&input.status).unwrap_or(Status::Open),
        }),
        _ => Err(e),
    }
}

/// The tool codes a measure may name: the round's framework's.
fn tool_codes(round: &Round) -> Result<Vec<String>> {
    Ok(round
        .framework()?
        .tools
        .iter()
        .map(|t| t.code.clone())
        .collect())
}

/// Adds a measure (audited).
pub async fn add_measure(
    app: &App,
    actor: &Actor,
    scope: &PlanScope,
    input: &MeasureInput,
) -> Result<()> {
    let fields = read_measure(input, &tool_codes(&scope.round)?, "new_").map_err(Error::invalid)?;
    plans::add(
        &app.db,
        Some(&actor.user_id),
        &scope.agency.id,
        &scope.round.id,
        &[fields],
    )
    .await?;
    Ok(())
}

/// Changes a measure (audited).
pub async fn update_measure(
    app: &App,
    actor: &Actor,
    scope: &PlanScope,
    measure_id: &str,
    input: &MeasureInput,
) -> Result<()> {
    let prefix = format!("{measure_id}_");
    let fields =
        read_measure(input, &tool_codes(&scope.round)?, &prefix).map_err(Error::invalid)?;
    plans::update(
        &app.db,
        Some(&actor.user_id),
        &scope.agency.id,
        measure_id,
        &fields,
    )
    .await?;
    Ok(())
}

/// Starts an empty plan from the engine's weaknesses (audited): one measure
/// per indicator below the pass mark (or the weakest of each tool), over
/// the next fiscal year. A plan that has measures is left as it is.
pub async fn prefill(app: &App, actor: &Actor, scope: &PlanScope) -> Result<()> {
    if !measures(app, scope).await?.is_empty() {
        return Ok(());
    }
    let fw = scope.round.framework()?;
    let card = crate::published::agency_card(app, &scope.round, &fw, &scope.agency.id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NoResults))?;
    let new = prefilled(&fw, &card, scope.round.fiscal_year);
    plans::add(
        &app.db,
        Some(&actor.user_id),
        &scope.agency.id,
        &scope.round.id,
        &new,
    )
    .await?;
    Ok(())
}

/// A month's progress as typed.
#[derive(Clone, Debug, Default)]
pub struct ProgressInput {
    pub month: String,
    pub percent: String,
    pub note: String,
}

/// Reads a month as `YYYY-MM`; a year past 2400 is a Buddhist-era year, as a
/// Thai office types it (`2569-12` is December 2026).
pub fn read_month(text: &str) -> Option<String> {
    let t = itas_core::thai::arabic_digits(text.trim());
    let (y, m) = t.split_once('-')?;
    let (y, m): (i32, u8) = (y.parse().ok()?, m.parse().ok()?);
    let y = if y >= 2400 { y - 543 } else { y };
    if !(2000..=2200).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    Some(format!("{y}-{m:02}"))
}

/// Records a month's progress of a measure (audited).
pub async fn record_progress(
    app: &App,
    actor: &Actor,
    scope: &PlanScope,
    measure_id: &str,
    input: &ProgressInput,
) -> Result<()> {
    let mut problems = Vec::new();
    let percent = itas_core::thai::arabic_digits(input.percent.trim())
        .trim_end_matches('%')
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=100).contains(p));
    if percent.is_none() {
        problems.push(FieldProblem::new(
            format!("{measure_id}_percent"),
            "กรุณากรอกร้อยละ 0 ถึง 100",
            "Enter a percentage from 0 to 100",
        ));
    }
    let month = read_month(&input.month);
    if month.is_none() {
        problems.push(FieldProblem::new(
            format!("{measure_id}_month"),
            "กรุณาเลือกเดือน",
            "Choose a month",
        ));
    }
    // A month's note, not a report: what fits the public page's table.
    let note_chars = input.note.trim().chars().count();
    if note_chars > MAX_NOTE_CHARS {
        problems.push(FieldProblem::new(
            format!("{measure_id}_note"),
            format!(
                "ยาวเกินไป: {} ตัวอักษร ใส่ได้ไม่เกิน {}",
                thai_digits(&note_chars.to_string()),
                thai_digits(&MAX_NOTE_CHARS.to_string())
            ),
            format!("Too long: {note_chars} characters; at most {MAX_NOTE_CHARS}"),
        ));
    }
    let (Some(percent), Some(month), true) = (percent, month, problems.is_empty()) else {
        return Err(Error::invalid(problems));
    };
    plans::record_progress(
        &app.db,
        Some(&actor.user_id),
        &scope.agency.id,
        measure_id,
        &month,
        percent,
        input.note.trim(),
    )
    .await?;
    Ok(())
}

/// The engine's measures for a round's weaknesses, over the next fiscal year.
pub fn prefilled(
    fw: &itas_core::Framework,
    card: &itas_core::Scorecard,
    fiscal_year: i64,
) -> Vec<MeasureFields> {
    let fy = FiscalYear(fiscal_year as i32);
    let next = FiscalYear(fy.be() + 1);
    suggested_measures(fw, card, fy, Digits::Thai)
        .into_iter()
        .map(|m| MeasureFields {
            tool: m.tool,
            measure: m.measure,
            weakness: m.weakness,
            owner: m.owner,
            starts_on: next.start(),
            ends_on: next.end(),
            follow_up: m.follow_up,
            status: Status::Open,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_read_in_either_era() {
        assert_eq!(read_month("2026-12").as_deref(), Some("2026-12"));
        assert_eq!(read_month("2569-12").as_deref(), Some("2026-12"));
        assert_eq!(read_month("๒๕๖๙-๐๓").as_deref(), Some("2026-03"));
        for bad in ["", "2026-13", "2026", "12-2026", "1999-01"] {
            assert_eq!(read_month(bad), None, "{bad}");
        }
    }
}
