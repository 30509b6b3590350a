//! Collection: what an agency admin sets while its surveys are open (the
//! populations that set the minimum samples).

use crate::access::Actor;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use crate::{App, today};
use itas_core::directory::{Phase, Role};
use itas_store::rounds::{self, RoundState};

/// Staff (IIT) at most: a ministry's whole workforce fits.
pub const MAX_IIT_POPULATION: i64 = 10_000_000;
/// People served in a year (EIT) at most: a national service's clients fit.
pub const MAX_EIT_POPULATION: i64 = 100_000_000;

/// A number as it arrived: typed into a form (Thai or Arabic digits, with
/// or without thousands separators) or sent as a JSON integer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberInput {
    Text(String),
    Number(i64),
}

impl NumberInput {
    /// The whole number it holds: `1,200`, `๑๒๐๐` and ` 1 200 ` are 1200.
    pub fn value(&self) -> Option<i64> {
        match self {
            NumberInput::Number(n) => Some(*n),
            NumberInput::Text(t) => whole_number(t),
        }
    }
}

/// Reads a whole number as a Thai office types it: Thai or Arabic digits,
/// commas or spaces between groups of three; nothing else.
pub fn whole_number(text: &str) -> Option<i64> {
    let digits = itas_core::thai::arabic_digits(text.trim());
    let groups: Vec<&str> = digits.split([',', ' ']).collect();
    let grouped = groups.len() > 1;
    if grouped
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return None;
    }
    let plain: String = groups.concat();
    if plain.is_empty() || !plain.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    plain.parse().ok()
}

/// An agency's populations in a round, as the form or the API sends them.
#[derive(Clone, Debug)]
pub struct Populations {
    pub iit_population: NumberInput,
    pub eit_population: NumberInput,
}

fn population(field: &'static str, input: &NumberInput, max: i64) -> Result<i64, FieldProblem> {
    match input.value() {
        Some(n) if (0..=max).contains(&n) => Ok(n),
        _ => Err(FieldProblem::new(
            field,
            format!(
                "กรุณากรอกจำนวนเต็มตั้งแต่ 0 ถึง {}",
                itas_core::thai::group_thousands(max)
            ),
            format!(
                "Enter a whole number from 0 to {}",
                itas_core::thai::group_thousands(max)
            ),
        )),
    }
}

/// The actor's agency, when the actor is an agency admin.
pub fn own_agency(actor: &Actor) -> Result<String> {
    match (&actor.role, &actor.agency_id) {
        (Role::AgencyAdmin, Some(id)) => Ok(id.clone()),
        _ => Err(Error::new(ErrorCode::Forbidden)),
    }
}

/// Collection settings may change before the round starts, in setup and
/// during collection.
pub fn collection_open(st: RoundState) -> bool {
    matches!(
        st,
        RoundState::NotStarted | RoundState::In(Phase::Setup | Phase::Collection)
    )
}

/// The actor's agency, if it takes part in the round and collection is open.
pub async fn open_round(app: &App, actor: &Actor, round_id: &str) -> Result<String> {
    let agency_id = own_agency(actor)?;
    rounds::participation(&app.db, round_id, &agency_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))?;
    let st = rounds::state_on(&rounds::phases(&app.db, round_id).await?, today());
    if !collection_open(st) {
        return Err(Error::new(ErrorCode::PhaseClosed));
    }
    Ok(agency_id)
}

/// Sets the actor's agency's populations for a round (audited). Returns
/// the numbers stored.
pub async fn set_populations(
    app: &App,
    actor: &Actor,
    round_id: &str,
    input: &Populations,
) -> Result<(i64, i64)> {
    let agency_id = open_round(app, actor, round_id).await?;
    let iit = population("iit_population", &input.iit_population, MAX_IIT_POPULATION);
    let eit = population("eit_population", &input.eit_population, MAX_EIT_POPULATION);
    let (iit, eit) = match (iit, eit) {
        (Ok(i), Ok(e)) => (i, e),
        (i, e) => {
            return Err(Error::invalid(
                [i.err(), e.err()].into_iter().flatten().collect(),
            ));
        }
    };
    rounds::set_populations(
        &app.db,
        Some(&actor.user_id),
        round_id,
        &agency_id,
        iit,
        eit,
    )
    .await?;
    Ok((iit, eit))
}

/// A survey the agency collects itself (IIT, EIT, or the EIT's part 1), or
/// `not_found`: a part the central office collects is not the agency's to
/// open, rotate, print or hand codes for.
pub fn survey_tool(fw: &itas_core::Framework, tool: &str) -> Result<()> {
    if fw
        .collection(tool)
        .is_some_and(|c| c.collected_by() == itas_core::framework::Collector::Agency)
    {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::NotFound))
    }
}

/// The central office's data-quality decision on a survey, as the agency
/// sees it: the outcome and its stated reason, never the detection details.
#[derive(Clone, Debug)]
pub enum QualityOutcome {
    EveryAnswerCounts,
    SomeLeftOut { reason: String },
}

/// One survey tool of an agency during collection: counts only.
#[derive(Clone, Debug)]
pub struct SurveyTool {
    pub tool: String,
    pub name_th: String,
    pub name_en: String,
    /// The link's code (`/s/{code}`), made when the agency joined.
    pub link_code: Option<String>,
    pub count: i64,
    /// The minimum sample; none until the population is stated.
    pub min: Option<u32>,
    pub behind: bool,
    pub require_code: bool,
    pub codes_issued: i64,
    pub codes_used: i64,
    /// Codes still to issue to cover the population.
    pub codes_to_population: i64,
    /// More responses than the stated population (IIT): not counted until
    /// the central office decides.
    pub over_population: bool,
    pub quality: Option<QualityOutcome>,
    /// A part the central office collects itself (the EIT's part 2): no
    /// link, no codes, and its count only once collection has closed.
    pub central: bool,
    /// The count is not shown yet (a central part while collection is open).
    pub count_hidden: bool,
}

/// Each survey tool of an agency in a round, with its counts against the
/// minimum sample. Reading it writes nothing.
pub async fn survey_tools(
    app: &App,
    fw: &itas_core::Framework,
    kind: &str,
    p: &itas_store::rounds::Participation,
) -> Result<Vec<SurveyTool>> {
    use itas_store::surveys;
    let (round_id, agency_id) = (p.round_id.as_str(), p.agency_id.as_str());
    let collection_over = !collection_open(rounds::state_on(
        &rounds::phases(&app.db, round_id).await?,
        today(),
    ));
    let mut out = Vec::new();
    for c in fw.collections() {
        let key = c.key();
        if c.collected_by() == itas_core::framework::Collector::Central {
            // Seen by the agency only once nobody can answer it any more, so
            // the count cannot be watched rising during a session.
            let count = if collection_over {
                surveys::count(&app.db, round_id, agency_id, &key).await?
            } else {
                0
            };
            out.push(SurveyTool {
                tool: key,
                name_th: c.name_th(),
                name_en: c.name_en(),
                link_code: None,
                count,
                min: None,
                behind: false,
                require_code: false,
                codes_issued: 0,
                codes_used: 0,
                codes_to_population: 0,
                over_population: false,
                quality: None,
                central: true,
                count_hidden: !collection_over,
            });
            continue;
        }
        let tool = c.tool;
        let link = surveys::active_link(&app.db, round_id, agency_id, &key).await?;
        let count = surveys::count(&app.db, round_id, agency_id, &key).await?;
        let population = if tool.code == "IIT" {
            p.iit_population
        } else {
            p.eit_population
        };
        // No minimum until the population is stated: "0 needed" would read as "nothing to do".
        let min = (population > 0)
            .then(|| {
                fw.required_sample(
                    &tool.code,
                    kind,
                    &p.size,
                    u32::try_from(population).unwrap_or(0),
                )
            })
            .flatten();
        let (codes_issued, codes_used) =
            surveys::access_code_counts(&app.db, round_id, agency_id, &tool.code).await?;
        let quality = itas_store::quality::decision_of(&app.db, agency_id, round_id, &tool.code)
            .await?
            .map(|d| match d.decision {
                itas_store::quality::Decision::Accept => QualityOutcome::EveryAnswerCounts,
                itas_store::quality::Decision::Exclude => {
                    QualityOutcome::SomeLeftOut { reason: d.reason }
                }
            });
        out.push(SurveyTool {
            tool: key,
            name_th: c.name_th(),
            name_en: c.name_en(),
            link_code: link.map(|l| l.code),
            count,
            behind: min.is_some_and(|m| count < i64::from(m)),
            min,
            require_code: surveys::require_code(&app.db, round_id, agency_id, &tool.code).await?,
            codes_to_population: (population - codes_issued).max(0),
            over_population: tool.code == "IIT" && population > 0 && count > population,
            quality,
            codes_issued,
            codes_used,
            central: false,
            count_hidden: false,
        });
    }
    Ok(out)
}

/// Replaces a survey's link (audited): the old one stops working at once.
pub async fn rotate_link(app: &App, actor: &Actor, round_id: &str, tool: &str) -> Result<()> {
    let agency_id = open_round(app, actor, round_id).await?;
    survey_tool(&*crate::survey::round_framework(app, round_id).await?, tool)?;
    itas_store::surveys::rotate_link(&app.db, Some(&actor.user_id), round_id, &agency_id, tool)
        .await?;
    app.caches.forget_links();
    Ok(())
}

/// Whether a survey asks for a single-use code (audited).
pub async fn set_require_code(
    app: &App,
    actor: &Actor,
    round_id: &str,
    tool: &str,
    on: bool,
) -> Result<()> {
    let agency_id = open_round(app, actor, round_id).await?;
    survey_tool(&*crate::survey::round_framework(app, round_id).await?, tool)?;
    itas_store::surveys::set_require_code(
        &app.db,
        Some(&actor.user_id),
        round_id,
        &agency_id,
        tool,
        on,
    )
    .await?;
    app.caches.forget_links();
    Ok(())
}

/// Most codes issued at once.
pub const MAX_CODES_AT_ONCE: i64 = 5_000;

/// Single-use codes just issued: shown once (only their hashes are kept),
/// with the link they open.
#[derive(Clone, Debug)]
pub struct IssuedCodes {
    pub agency_id: String,
    pub link_code: String,
    pub codes: Vec<String>,
}

/// Issues single-use codes (audited): 1 to 5,000 at once, never more
/// unused ones than the population and its spares. `field` names the
/// form's field for a refusal.
pub async fn issue_codes(
    app: &App,
    actor: &Actor,
    round_id: &str,
    tool: &str,
    count: &NumberInput,
) -> Result<IssuedCodes> {
    use itas_store::surveys;
    let agency_id = open_round(app, actor, round_id).await?;
    survey_tool(&*crate::survey::round_framework(app, round_id).await?, tool)?;
    let field = format!("codes_{tool}");
    let n = match count.value() {
        Some(n) if (1..=MAX_CODES_AT_ONCE).contains(&n) => n,
        _ => {
            return Err(Error::invalid(vec![FieldProblem::new(
                field,
                "กรุณากรอกจำนวน 1 ถึง 5,000",
                "Enter a number from 1 to 5,000",
            )]));
        }
    };
    // The store refuses past the room too (inside its transaction); asked
    // first here so the message can say how many are left.
    let (population, unused) =
        surveys::access_code_room(&app.db, round_id, &agency_id, tool).await?;
    let spare = surveys::spare_codes(population);
    let allowed = population + spare;
    if unused + n > allowed {
        let left = (allowed - unused).max(0);
        return Err(Error::invalid(vec![FieldProblem::new(
            field,
            format!(
                "ออกรหัสได้อีกไม่เกิน {left} รหัส: มีรหัสที่ยังไม่ถูกใช้ {unused} รหัส จากจำนวนประชากร {population} คน (สำรองได้อีก {spare} รหัสสำหรับใบที่เสียหรือหาย){}",
                if population == 0 {
                    " กรุณาระบุจำนวนประชากรของแบบวัดนี้ก่อน"
                } else {
                    ""
                }
            ),
            format!(
                "At most {left} more codes: {unused} unused codes are held for a population of {population} (plus {spare} spare for spoiled or lost slips){}",
                if population == 0 {
                    "; state this survey's population first"
                } else {
                    ""
                }
            ),
        )]));
    }
    let codes: Vec<String> = (0..n).map(|_| surveys::new_access_code()).collect();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| crate::secrets::token_hash(&surveys::normalise_access_code(c)))
        .collect();
    surveys::add_access_codes(
        &app.db,
        Some(&actor.user_id),
        round_id,
        &agency_id,
        tool,
        &hashes,
    )
    .await?;
    let link =
        surveys::ensure_link(&app.db, Some(&actor.user_id), round_id, &agency_id, tool).await?;
    Ok(IssuedCodes {
        agency_id,
        link_code: link.code,
        codes,
    })
}

/// What a survey's poster shows: the agency, the survey and its link.
#[derive(Clone, Debug)]
pub struct PosterFacts {
    pub agency_th: String,
    pub tool_th: String,
    pub round_name: String,
    pub link_code: String,
    /// The survey asks for a single-use code from the agency: the poster
    /// says so, or people scan it and meet a question they cannot answer.
    pub needs_code: bool,
}

/// What a poster says when the survey asks for a code.
pub const POSTER_CODE_NOTE: &str =
    "ต้องใช้รหัสใช้ครั้งเดียวที่ได้รับจากหน่วยงาน คนละหนึ่งรหัส (หน่วยงานไม่บันทึกว่าใครได้รหัสใด)";

/// The facts of the actor's agency's poster for a survey of a round it
/// takes part in (any phase: a poster may be printed again).
pub async fn poster(app: &App, actor: &Actor, round_id: &str, tool: &str) -> Result<PosterFacts> {
    let agency_id = own_agency(actor)?;
    let not_found = || Error::new(ErrorCode::NotFound);
    let round = crate::rounds::taking_part(app, round_id, &agency_id).await?;
    let fw = crate::survey::round_framework(app, round_id).await?;
    survey_tool(&fw, tool)?;
    let t = fw.tool(tool).ok_or_else(not_found)?;
    let link = itas_store::surveys::active_link(&app.db, round_id, &agency_id, tool)
        .await?
        .ok_or_else(not_found)?;
    let agency = itas_store::agencies::get(&app.db, &agency_id)
        .await?
        .ok_or_else(not_found)?;
    let needs_code = itas_store::surveys::require_code(&app.db, round_id, &agency_id, tool).await?;
    Ok(PosterFacts {
        agency_th: agency.name_th,
        tool_th: t.name_th.clone(),
        round_name: round.name,
        link_code: link.code,
        needs_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_is_read_as_an_office_types_it() {
        for (text, n) in [
            ("1200", 1200),
            ("1,200", 1200),
            (" 1,200 ", 1200),
            ("๑,๒๐๐", 1200),
            ("๑๒๐๐", 1200),
            ("1 200", 1200),
            ("20,000,000", 20_000_000),
            ("0", 0),
        ] {
            assert_eq!(whole_number(text), Some(n), "{text}");
        }
        for text in [
            "", "1,20", "12,00", "1,2000", ",200", "1.5", "-3", "12a", "1,,200", "1200,",
        ] {
            assert_eq!(whole_number(text), None, "{text}");
        }
    }

    #[test]
    fn each_population_has_its_own_bound() {
        let n = |v| NumberInput::Number(v);
        assert!(population("eit_population", &n(20_000_000), MAX_EIT_POPULATION).is_ok());
        assert!(population("iit_population", &n(20_000_000), MAX_IIT_POPULATION).is_err());
        let p = population("eit_population", &n(-1), MAX_EIT_POPULATION).unwrap_err();
        assert_eq!(p.field, "eit_population");
        assert!(p.th.contains("100,000,000") && p.en.contains("100,000,000"));
    }
}
