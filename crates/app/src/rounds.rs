//! Round setup, by the central office: a round from a framework, its
//! phases, its participants, publication. One input and one rule each,
//! for the round pages and the API.

use crate::App;
use crate::access::Actor;
use crate::collection::NumberInput;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use itas_core::directory::{Phase, Role};
use itas_core::framework;
use itas_store::rounds::{self, PhaseDates, Round, RoundState};

/// Refuses anyone but the central office.
pub fn require_central(actor: &Actor) -> Result<()> {
    if actor.role == Role::CentralAdmin {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::Forbidden))
    }
}

/// A round, or `not_found`.
pub async fn get(app: &App, round_id: &str) -> Result<Round> {
    rounds::get(&app.db, round_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))
}

/// A round with its calendar and where it stands today.
#[derive(Clone, Debug)]
pub struct Standing {
    pub round: Round,
    pub phases: Vec<PhaseDates>,
    pub state: RoundState,
}

/// A round's standing today, or `not_found`.
pub async fn standing(app: &App, round_id: &str) -> Result<Standing> {
    let round = get(app, round_id).await?;
    let phases = rounds::phases(&app.db, round_id).await?;
    Ok(Standing {
        state: rounds::state_on(&phases, crate::today()),
        round,
        phases,
    })
}

/// Every round's standing today, newest first.
pub async fn standings(app: &App) -> Result<Vec<Standing>> {
    let mut out = Vec::new();
    for round in rounds::list(&app.db).await? {
        let phases = rounds::phases(&app.db, &round.id).await?;
        out.push(Standing {
            state: rounds::state_on(&phases, crate::today()),
            round,
            phases,
        });
    }
    Ok(out)
}

/// A round the agency takes part in, or `not_found` (for the round and for
/// an agency outside it alike).
pub async fn taking_part(app: &App, round_id: &str, agency_id: &str) -> Result<Round> {
    let round = get(app, round_id).await?;
    participation(app, round_id, agency_id).await?;
    Ok(round)
}

/// An agency's part in a round (populations, size), or `not_found`.
pub async fn participation(
    app: &App,
    round_id: &str,
    agency_id: &str,
) -> Result<rounds::Participation> {
    rounds::participation(&app.db, round_id, agency_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))
}

/// The rounds an agency takes part in, newest first.
pub async fn of_agency(app: &App, agency_id: &str) -> Result<Vec<Round>> {
    Ok(rounds::rounds_of_agency(&app.db, agency_id).await?)
}

/// Every round, newest first.
pub async fn list(app: &App) -> Result<Vec<Round>> {
    Ok(rounds::list(&app.db).await?)
}

/// How many agencies take part in a round.
pub async fn participant_count(app: &App, round_id: &str) -> Result<i64> {
    Ok(rounds::participant_count(&app.db, round_id).await?)
}

/// What the last scoring run of a round reported (JSON), for its review.
pub async fn last_scoring(app: &App, round_id: &str) -> Result<String> {
    Ok(rounds::last_scoring(&app.db, round_id).await?)
}

/// One phase's dates as sent: the phase's code and two `YYYY-MM-DD` days.
#[derive(Clone, Debug, Default)]
pub struct PhaseInput {
    pub phase: String,
    pub starts_on: String,
    pub ends_on: String,
}

/// The field a phase's problem is shown beside (`phase_review1`).
fn phase_field(code: &str) -> String {
    format!("phase_{code}")
}

/// Reads phase dates: each a known phase with both days, the end not
/// before the start, each phase starting after the one before ends.
pub fn read_phases(inputs: &[PhaseInput]) -> Result<Vec<PhaseDates>, Vec<FieldProblem>> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for p in inputs {
        let code = p.phase.trim();
        let Ok(phase) = code.parse::<Phase>() else {
            problems.push(FieldProblem::new(
                "phases",
                format!("ไม่รู้จักขั้นตอน '{code}'"),
                format!("unknown phase '{code}'"),
            ));
            continue;
        };
        let field = phase_field(phase.code());
        match (
            time::Date::parse(p.starts_on.trim(), fmt),
            time::Date::parse(p.ends_on.trim(), fmt),
        ) {
            (Ok(starts_on), Ok(ends_on)) if ends_on >= starts_on => out.push(PhaseDates {
                phase,
                starts_on,
                ends_on,
            }),
            (Ok(_), Ok(_)) => problems.push(FieldProblem::new(
                field,
                "วันสิ้นสุดต้องไม่ก่อนวันเริ่ม",
                "The end date must not be before the start",
            )),
            _ => problems.push(FieldProblem::new(
                field,
                "กรุณากรอกวันเริ่มและวันสิ้นสุด (ปี ค.ศ.-เดือน-วัน)",
                "Enter both dates (YYYY-MM-DD)",
            )),
        }
    }
    out.sort_by_key(|p| p.phase);
    for w in out.windows(2) {
        if w[1].starts_on <= w[0].ends_on {
            problems.push(FieldProblem::new(
                phase_field(w[1].phase.code()),
                "ขั้นตอนนี้ต้องเริ่มหลังขั้นตอนก่อนหน้าสิ้นสุด",
                "This phase must start after the previous one ends",
            ));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Which framework a new round takes.
#[derive(Clone, Debug)]
pub enum FrameworkChoice {
    /// An embedded framework's code (ita-2564 … ita-2569).
    Embedded(String),
    /// A framework file's text (TOML).
    Toml(String),
}

/// A new round as the page's form or the API's body gives it.
#[derive(Clone, Debug)]
pub struct NewRound {
    pub name: String,
    /// Buddhist era; blank or None for the framework's own year.
    pub fiscal_year: Option<NumberInput>,
    pub framework: FrameworkChoice,
    pub phases: Vec<PhaseInput>,
}

/// Opens a round (audited).
pub async fn create(app: &App, actor: &Actor, input: &NewRound) -> Result<Round> {
    require_central(actor)?;
    let mut problems = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        problems.push(FieldProblem::new(
            "name",
            "กรุณาตั้งชื่อรอบการประเมิน",
            "Give the round a name",
        ));
    }
    let source = match &input.framework {
        FrameworkChoice::Toml(toml) => match framework::parse("framework.toml", toml) {
            Ok(_) => Some(toml.clone()),
            Err(e) => {
                problems.push(FieldProblem::new(
                    "framework_toml",
                    e.in_thai(),
                    e.to_string(),
                ));
                None
            }
        },
        FrameworkChoice::Embedded(code) => {
            match framework::EMBEDDED.iter().find(|(n, _)| *n == code.trim()) {
                Some((_, src)) => Some(src.to_string()),
                None if code.trim().is_empty() => {
                    problems.push(FieldProblem::new(
                        "framework",
                        "กรุณาเลือกกรอบการประเมิน",
                        "Choose a framework",
                    ));
                    None
                }
                None => {
                    let code = code.trim();
                    problems.push(FieldProblem::new(
                        "framework",
                        format!("ไม่มีกรอบการประเมิน '{code}' ในระบบ"),
                        format!("no embedded framework '{code}'"),
                    ));
                    None
                }
            }
        }
    };
    let fiscal_year = match &input.fiscal_year {
        None => None,
        Some(NumberInput::Text(t)) if t.trim().is_empty() => None,
        Some(y) => match y.value() {
            Some(y) if (2400..=2800).contains(&y) => Some(y),
            _ => {
                problems.push(FieldProblem::new(
                    "fiscal_year",
                    "กรุณากรอกปีงบประมาณเป็นปีพุทธศักราช เช่น 2570",
                    "Enter a Buddhist-era fiscal year, e.g. 2570",
                ));
                None
            }
        },
    };
    let phases = read_phases(&input.phases).unwrap_or_else(|p| {
        problems.extend(p);
        Vec::new()
    });
    let Some(source) = source.filter(|_| problems.is_empty()) else {
        return Err(Error::invalid(problems));
    };
    match rounds::create(
        &app.db,
        Some(&actor.user_id),
        name,
        fiscal_year,
        &source,
        &phases,
    )
    .await
    {
        Ok(r) => Ok(r),
        Err(itas_store::StoreError::Conflict(_)) => Err(Error {
            fields: vec![FieldProblem::new(
                "name",
                "มีรอบการประเมินชื่อนี้แล้ว",
                "A round with this name exists",
            )],
            ..Error::new(ErrorCode::Conflict)
        }),
        Err(e) => Err(e.into()),
    }
}

/// Sets a round's phase dates (audited); phases left out are removed.
pub async fn set_phases(
    app: &App,
    actor: &Actor,
    round_id: &str,
    phases: &[PhaseInput],
) -> Result<()> {
    require_central(actor)?;
    get(app, round_id).await?;
    let phases = read_phases(phases).map_err(Error::invalid)?;
    rounds::set_phases(&app.db, Some(&actor.user_id), round_id, &phases).await?;
    Ok(())
}

/// Agencies to add to a round: by code, or every agency in the directory.
#[derive(Clone, Debug, Default)]
pub struct Joining {
    pub codes: Vec<String>,
    pub all: bool,
}

impl Joining {
    /// Codes as typed in a box: one per line, or separated by commas,
    /// semicolons or spaces; `*` alone for every agency.
    pub fn from_text(text: &str) -> Joining {
        if text.trim() == "*" {
            return Joining {
                codes: Vec::new(),
                all: true,
            };
        }
        Joining {
            codes: text
                .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            all: false,
        }
    }
}

/// Adds agencies to a round (audited). An unknown code adds nothing and is
/// named. Returns (added now, participants after).
pub async fn join(
    app: &App,
    actor: &Actor,
    round_id: &str,
    input: &Joining,
) -> Result<(usize, i64)> {
    require_central(actor)?;
    get(app, round_id).await?;
    let ids = if input.all {
        rounds::all_agency_ids(&app.db).await?
    } else {
        let mut ids = Vec::new();
        let mut unknown = Vec::new();
        for code in input
            .codes
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
        {
            match itas_store::agencies::by_code(&app.db, code).await? {
                Some(a) => ids.push(a.id),
                None => unknown.push(code.to_string()),
            }
        }
        if !unknown.is_empty() {
            let list = unknown.join(", ");
            return Err(Error::invalid(vec![FieldProblem::new(
                "codes",
                format!("ไม่พบรหัสหน่วยงาน: {list}"),
                format!("unknown agency codes: {list}"),
            )]));
        }
        ids
    };
    let added = rounds::join(&app.db, Some(&actor.user_id), round_id, &ids).await?;
    Ok((added, rounds::participant_count(&app.db, round_id).await?))
}

/// Computes every participant's indicator scores from the survey tallies
/// and the assessors' final OIT decisions (the central office; audited).
pub async fn compute(
    app: &App,
    actor: &Actor,
    round_id: &str,
) -> Result<crate::scoring_run::RunReport> {
    require_central(actor)?;
    let round = get(app, round_id).await?;
    crate::scoring_run::compute_round(app, &actor.user_id, &round).await
}

/// Every assessor assignment of a round: (agency id, assessor id, assessor
/// name), for the central office's round page.
pub async fn assignments(
    app: &App,
    actor: &Actor,
    round_id: &str,
) -> Result<Vec<(String, String, String)>> {
    require_central(actor)?;
    Ok(itas_store::assignments::of_round(&app.db, round_id).await?)
}

/// Takes a round's results out of public view (audited).
pub async fn withdraw(app: &App, actor: &Actor, round_id: &str) -> Result<Round> {
    require_central(actor)?;
    get(app, round_id).await?;
    rounds::withdraw(&app.db, Some(&actor.user_id), round_id).await?;
    get(app, round_id).await
}

/// Publishes a round's results (audited): the public sees them from the
/// publication phase on.
pub async fn publish(app: &App, actor: &Actor, round_id: &str) -> Result<Round> {
    require_central(actor)?;
    get(app, round_id).await?;
    crate::published::publish(app, &actor.user_id, round_id).await?;
    get(app, round_id).await
}

/// Assigns an assessor an agency of the round (audited).
pub async fn assign(
    app: &App,
    actor: &Actor,
    round_id: &str,
    agency_code: &str,
    assessor_id: &str,
) -> Result<()> {
    require_central(actor)?;
    let agency = itas_store::agencies::by_code(&app.db, agency_code.trim()).await?;
    let in_round = match &agency {
        Some(a) => rounds::participation(&app.db, round_id, &a.id)
            .await?
            .is_some(),
        None => false,
    };
    let (Some(agency), true) = (agency, in_round) else {
        return Err(Error::invalid(vec![FieldProblem::new(
            "agency_code",
            "หน่วยงานนี้ไม่ได้อยู่ในรอบการประเมินนี้",
            "This agency is not in this round",
        )]));
    };
    match itas_store::assignments::assign(
        &app.db,
        Some(&actor.user_id),
        round_id,
        &agency.id,
        assessor_id,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(itas_store::StoreError::NotFound | itas_store::StoreError::Invalid(_)) => {
            Err(Error::invalid(vec![FieldProblem::new(
                "assessor_id",
                "กรุณาเลือกผู้ประเมิน",
                "Choose an assessor",
            )]))
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends an assessor's assignment of an agency in the round (audited); an
/// unknown agency code changes nothing.
pub async fn unassign(
    app: &App,
    actor: &Actor,
    round_id: &str,
    agency_code: &str,
    assessor_id: &str,
) -> Result<()> {
    require_central(actor)?;
    if let Some(a) = itas_store::agencies::by_code(&app.db, agency_code.trim()).await? {
        itas_store::assignments::unassign(
            &app.db,
            Some(&actor.user_id),
            round_id,
            &a.id,
            assessor_id,
        )
        .await?;
    }
    Ok(())
}

/// A line's problem in Thai and English.
type Problem = (String, String);

/// Lines of "agency code, size" (comma, tab or spaces between; pasted from a
/// spreadsheet or a CSV file; a header line is skipped). Every problem is
/// named by its line, all at once.
pub fn parse_sizes(text: &str, known: &[&str]) -> Result<Vec<(String, String)>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (n, fields) in size_lines(text) {
        let code = fields[0];
        let typed = fields.get(1).copied().unwrap_or_default();
        // Sizes are matched whatever their case and stored as the framework spells them.
        let size = known.iter().find(|k| k.eq_ignore_ascii_case(typed));
        if fields.len() > 2 {
            problems.push((
                format!("บรรทัด {n}: ใส่เพียงรหัสหน่วยงานและขนาด"),
                format!("line {n}: give only the agency code and the size"),
            ));
        } else if typed.is_empty() {
            problems.push((
                format!("บรรทัด {n}: ยังไม่ได้ใส่ขนาด (ใช้ - เพื่อล้างค่า)"),
                format!("line {n}: no size given (- clears it)"),
            ));
        } else if typed == "-" {
            out.push((code.to_string(), String::new()));
        } else if let Some(size) = size {
            out.push((code.to_string(), size.to_string()));
        } else {
            let known = known.join(", ");
            problems.push((
                format!("บรรทัด {n}: ขนาด '{typed}' ไม่มีในกรอบการประเมินของรอบนี้ ใช้ได้ ({known})"),
                format!("line {n}: size '{typed}' is not in this round's framework; use ({known})"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The lines of a sizes text that carry data: (line number from 1, its
/// fields), blank lines and a first header line left out. The fields are
/// split on commas, tabs, semicolons or spaces and unquoted; never empty.
fn size_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        let fields: Vec<&str> = line
            .split([',', '\t', ' ', ';'])
            .map(|p| p.trim().trim_matches('"'))
            .filter(|p| !p.is_empty())
            .collect();
        let header = i == 0
            && fields.first().is_some_and(|code| {
                matches!(
                    code.to_lowercase().as_str(),
                    "agency_code" | "code" | "รหัส" | "รหัสหน่วยงาน"
                )
            });
        (!fields.is_empty() && !header).then_some((i + 1, fields))
    })
}

/// Each line whose agency code is not among `taking_part`, named by its line.
fn codes_not_in(text: &str, taking_part: &std::collections::HashSet<String>) -> Vec<Problem> {
    size_lines(text)
        .filter(|(_, fields)| !taking_part.contains(fields[0]))
        .map(|(n, fields)| {
            let code = fields[0];
            (
                format!("บรรทัด {n}: หน่วยงาน {code} ไม่อยู่ในรอบนี้"),
                format!("line {n}: agency {code} is not in this round"),
            )
        })
        .collect()
}

/// Sets agencies' sizes for the framework's minimum-sample table (audited),
/// from lines of "agency code, size" (comma, tab or spaces between, pasted
/// from a spreadsheet or a CSV file; a header line is skipped; `-` clears a
/// size). Every problem is named by its line, all at once. Returns how many
/// changed.
pub async fn set_sizes(app: &App, actor: &Actor, round_id: &str, text: &str) -> Result<usize> {
    require_central(actor)?;
    let fw = get(app, round_id).await?.framework()?;
    let refuse = |problems: Vec<Problem>| {
        let (th, en): (Vec<String>, Vec<String>) = problems.into_iter().unzip();
        Error::invalid(vec![FieldProblem::new(
            "sizes",
            th.join(" · "),
            en.join(" · "),
        )])
    };
    // Codes not in the round are named with the lines' own problems, all
    // at once, rather than only after those are fixed.
    let taking_part: std::collections::HashSet<String> = rounds::participants(&app.db, round_id)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let outsiders = codes_not_in(text, &taking_part);
    let rows = match parse_sizes(text, &fw.sizes()) {
        Ok(rows) if outsiders.is_empty() => rows,
        Ok(_) => return Err(refuse(outsiders)),
        Err(mut problems) => {
            problems.extend(outsiders);
            return Err(refuse(problems));
        }
    };
    match rounds::set_sizes(&app.db, Some(&actor.user_id), round_id, &rows).await {
        Ok(changed) => Ok(changed),
        Err(itas_store::StoreError::Invalid(m)) => {
            let codes = m.trim_start_matches("not in this round: ");
            Err(refuse(vec![(
                format!("หน่วยงานเหล่านี้ไม่อยู่ในรอบนี้: {codes}"),
                format!("These agencies are not in this round: {codes}"),
            )]))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(phase: &str, s: &str, e: &str) -> PhaseInput {
        PhaseInput {
            phase: phase.into(),
            starts_on: s.into(),
            ends_on: e.into(),
        }
    }

    #[test]
    fn phases_are_read_with_every_problem_named() {
        let ok = read_phases(&[
            p("collection", "2026-01-01", "2026-01-31"),
            p("setup", "2025-12-01", "2025-12-31"),
        ])
        .unwrap();
        assert_eq!(ok[0].phase, Phase::Setup, "in the phases' order");
        let bad = read_phases(&[
            p("nope", "2026-01-01", "2026-01-02"),
            p("setup", "2026-01-05", "2026-01-01"),
            p("collection", "2026-1-1", ""),
        ])
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["phases", "phase_setup", "phase_collection"]);
        let overlap = read_phases(&[
            p("setup", "2026-01-01", "2026-01-10"),
            p("collection", "2026-01-10", "2026-01-20"),
        ])
        .unwrap_err();
        assert_eq!(overlap[0].field, "phase_collection");
    }

    #[test]
    fn codes_are_read_from_a_box() {
        assert_eq!(
            Joining::from_text("KK-A, KK-B\nKK-C;  KK-D ").codes,
            ["KK-A", "KK-B", "KK-C", "KK-D"]
        );
        assert!(Joining::from_text(" * ").all);
    }

    #[test]
    fn sizes_are_read_by_line_whatever_their_case() {
        let known = ["S", "M", "L"];
        let ok = parse_sizes("code,size\r\nA1,m\r\nA2\tL\r\nA3 -\r\n", &known).unwrap();
        assert_eq!(
            ok,
            [
                ("A1".to_string(), "M".to_string()),
                ("A2".into(), "L".into()),
                ("A3".into(), String::new())
            ]
        );
        let bad = parse_sizes("A1\nA2,XL\nA3,S,extra", &known).unwrap_err();
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(bad[0].1.starts_with("line 1: no size given"), "{bad:?}");
        assert!(bad[1].1.starts_with("line 2: size 'XL'"), "{bad:?}");
        assert!(bad[2].1.starts_with("line 3: give only"), "{bad:?}");
    }

    #[test]
    fn outsiders_are_named_by_the_same_lines_the_sizes_are_read_from() {
        let taking_part: std::collections::HashSet<String> = ["A1".to_string(), "A2".into()].into();
        let text = "\u{feff}รหัสหน่วยงาน,ขนาด\n\nA1,S\n\"B9\";M\n  \nA2 L\nC7\n";
        let out = codes_not_in(text, &taking_part);
        assert_eq!(
            out.iter().map(|(_, en)| en.as_str()).collect::<Vec<_>>(),
            [
                "line 4: agency B9 is not in this round",
                "line 7: agency C7 is not in this round"
            ]
        );
        assert!(out[0].0.starts_with("บรรทัด 4: หน่วยงาน B9"));
        // A header is a header on the first line only.
        assert_eq!(codes_not_in("A1,S\ncode,M", &taking_part).len(), 1);
    }
}
