//! An agency's results in a round as every reader sees them: the engine's
//! scorecard from the stored scores, the previous round beside it, the
//! fewest OIT items to the pass mark, the samples it fell short on, and the
//! analysis report's document. Who may read them is `access`'s question,
//! asked by the caller first.

use crate::App;
use crate::error::{Error, ErrorCode, Result};
use crate::lang::Lang;
use crate::published::{agency_card, previous_card};
use crate::today;
use itas_core::Score;
use itas_core::Scorecard;
use itas_core::analysis::Way;
use itas_core::directory::AgencyKind;
use itas_core::framework::Framework;
use itas_core::thai::{Digits, FiscalYear};
use itas_reports::analysis_report::{
    self, Agency as ReportAgency, Previous, ReportInput, TrendYear,
};
use itas_reports::document::Document;
use itas_store::agencies::Agency;
use itas_store::rounds::Round;
use std::collections::BTreeSet;

/// An agency's results in a round.
pub struct AgencyResults {
    pub agency: Agency,
    pub round: Round,
    pub fw: std::sync::Arc<Framework>,
    pub card: Scorecard,
    /// The latest earlier year to compare with, computed or imported.
    pub previous: Option<Earlier>,
    /// The agency's published years before this round's, oldest first:
    /// the report's trend.
    pub history: Vec<crate::history::HistoryYear>,
    /// The latest earlier round itas ran with results for the agency: the
    /// plan made after it is followed up here, whatever year is compared.
    pub earlier_round: Option<Round>,
    pub plan: Option<itas_core::analysis::Plan>,
    /// The OIT items passed in the final review, when known.
    pub passed: Option<BTreeSet<String>>,
    /// The survey samples the scores were computed from, one per tool or
    /// part (computed scores only): those short of a minimum are remarked,
    /// and a tool in parts shows each part's count.
    pub samples: Vec<itas_core::sample::Sample>,
}

/// The earlier year a round is compared with: one itas scored, or one the
/// NACC published and the central office imported.
pub struct Earlier {
    pub fiscal_year: i64,
    /// The round, when itas scored that year (its plan can be followed up).
    pub round: Option<Round>,
    pub fw: std::sync::Arc<Framework>,
    pub card: Scorecard,
    /// What the importer said of an imported year.
    pub note: String,
}

/// An agency's results in a round, for whoever the caller has already allowed.
pub async fn load(app: &App, agency_id: &str, round_id: &str) -> Result<AgencyResults> {
    let not_found = || Error::new(ErrorCode::NotFound);
    let round = crate::rounds::taking_part(app, round_id, agency_id).await?;
    let agency = itas_store::agencies::get(&app.db, agency_id)
        .await?
        .ok_or_else(not_found)?;
    let fw = crate::survey::round_framework(app, &round.id).await?;
    let card = agency_card(app, &round, &fw, agency_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NoResults))?;
    let history: Vec<crate::history::HistoryYear> = crate::history::of_agency(app, agency_id)
        .await?
        .into_iter()
        .filter(|y| y.fiscal_year < round.fiscal_year)
        .collect();
    let earlier = previous_card(app, &round, agency_id).await?;
    let earlier_round = earlier.as_ref().map(|(r, ..)| r.clone());
    let previous = match earlier {
        // A round scored here wins over an imported row of the same year.
        Some((r, fw, card))
            if history
                .last()
                .is_none_or(|y| y.fiscal_year <= r.fiscal_year) =>
        {
            Some(Earlier {
                fiscal_year: r.fiscal_year,
                round: Some(r),
                fw,
                card,
                note: String::new(),
            })
        }
        _ => match history.last() {
            Some(y) => crate::history::framework_named(app, &y.framework)
                .await?
                .map(|fw| Earlier {
                    fiscal_year: y.fiscal_year,
                    round: None,
                    fw,
                    card: y.card(),
                    note: y.note.clone(),
                }),
            None => None,
        },
    };
    let samples = itas_store::rounds::agency_samples(&app.db, round_id, agency_id).await?;
    let (plan, passed) = match oit_plan(app, &fw, &card, round_id, agency_id).await? {
        Some((plan, passed)) => (Some(plan), Some(passed)),
        None => (None, None),
    };
    Ok(AgencyResults {
        agency,
        round,
        fw,
        card,
        previous,
        history,
        earlier_round,
        plan,
        passed,
        samples,
    })
}

/// The fewest OIT items to pass to reach the pass mark, from the final review
/// decisions, when they reproduce the published checklist indicators.
async fn oit_plan(
    app: &App,
    fw: &Framework,
    card: &Scorecard,
    round_id: &str,
    agency_id: &str,
) -> Result<Option<(itas_core::analysis::Plan, BTreeSet<String>)>> {
    let submitted = itas_store::oit::submitted_at(&app.db, agency_id, round_id)
        .await?
        .is_some();
    let Ok(passed) = crate::scoring_run::final_passes(app, fw, round_id, agency_id).await? else {
        return Ok(None);
    };
    if !submitted {
        return Ok(None);
    }
    let part = itas_core::scoring::score_available(
        fw,
        &itas_core::scoring::Inputs {
            passed: Some(passed.clone()),
            ..Default::default()
        },
    )
    .map_err(Error::internal)?;
    let consistent = fw
        .checklist_items()
        .map(|i| i.indicator)
        .all(|n| part.indicators.get(&n) == card.indicators.get(&n));
    Ok(consistent.then(|| {
        (
            itas_core::analysis::plan_to_target(fw, card, &passed, fw.pass_mark),
            passed,
        )
    }))
}

/// The earlier round lined up with this one, under each round's framework.
pub fn previous_of(l: &AgencyResults, digits: Digits) -> Option<Previous> {
    let e = l.previous.as_ref()?;
    let year = digits.apply(&e.fiscal_year.to_string());
    Some(Previous {
        label: if e.round.is_some() {
            format!("ปี {year}")
        } else {
            format!("ปี {year} (นำเข้า)")
        },
        framework: e.fw.code.clone(),
        comparison: itas_core::compare::compare_years(&l.fw, &l.card, &e.fw, &e.card),
    })
}

/// The published years before this round's and this round last: the
/// report's trend.
pub fn trend_of(l: &AgencyResults) -> Vec<TrendYear> {
    let shown = |y: &crate::history::HistoryYear| TrendYear {
        fiscal_year: y.fiscal_year,
        tools: y.tools.clone(),
        overall: y.overall,
        result: itas_core::compare::shown_level(&y.level, &y.level_th),
        imported: y.imported(),
        note: y.note.clone(),
    };
    let mut out: Vec<TrendYear> = l.history.iter().map(shown).collect();
    out.push(TrendYear {
        fiscal_year: l.round.fiscal_year,
        tools: l.card.tools.clone(),
        overall: l.card.overall,
        result: itas_core::compare::shown_level(&l.card.level, &l.card.level_th),
        imported: false,
        note: String::new(),
    });
    out
}

pub fn report_document(
    l: &AgencyResults,
    digits: Digits,
    stored: &[itas_store::plans::Measure],
) -> Document {
    document(l, digits, stored, trend_of(l))
}

/// What an agency's public ITA page shows of the report: its results and
/// analysis sections, word for word, without the trend the page draws itself.
pub fn public_summary(
    l: &AgencyResults,
    digits: Digits,
    stored: &[itas_store::plans::Measure],
) -> Document {
    analysis_report::results_and_analysis(&document(l, digits, stored, Vec::new()))
}

fn document(
    l: &AgencyResults,
    digits: Digits,
    stored: &[itas_store::plans::Measure],
    trend: Vec<TrendYear>,
) -> Document {
    let kind = l.agency.kind().unwrap_or(AgencyKind::Other);
    let province = l.agency.province.trim();
    let location = if province.is_empty() {
        String::new()
    } else if province.starts_with("จังหวัด") {
        province.to_string()
    } else {
        format!("จังหวัด{province}")
    };
    analysis_report::analysis_report(&ReportInput {
        framework: &l.fw,
        card: &l.card,
        agency: ReportAgency {
            name: l.agency.name_th.clone(),
            location,
            addressee: kind.head_of_th(&l.agency.name_th),
            unit: kind.report_unit_th(&l.agency.name_th),
        },
        fiscal_year: FiscalYear(l.round.fiscal_year as i32),
        date: today(),
        digits,
        previous: previous_of(l, digits),
        trend,
        samples: l.samples.clone(),
        plan: l.plan.clone(),
        // The agency's own plan when it has one; suggestions otherwise.
        measures: stored
            .iter()
            .filter(|m| m.fields.status != itas_store::plans::Status::Dropped)
            .map(|m| analysis_report::Measure {
                tool: m.fields.tool.clone(),
                measure: m.fields.measure.clone(),
                weakness: m.fields.weakness.clone(),
                owner: m.fields.owner.clone(),
                period: analysis_report::period_text(m.fields.starts_on, m.fields.ends_on, digits),
                follow_up: m.fields.follow_up.clone(),
            })
            .collect(),
    })
}

pub async fn stored_plan(app: &App, l: &AgencyResults) -> Result<Vec<itas_store::plans::Measure>> {
    Ok(itas_store::plans::measures(&app.db, &l.agency.id, &l.round.id).await?)
}

/// An agency's stored indicator scores in a round and the samples they
/// were computed from, when `actor` (None: the public) may see them
/// (`access::may_see_results`); None otherwise.
pub async fn visible_scores(
    app: &App,
    actor: Option<&crate::access::Actor>,
    agency_id: &str,
    round_id: &str,
) -> Result<
    Option<(
        std::collections::BTreeMap<u32, itas_core::Score>,
        Vec<itas_core::sample::Sample>,
    )>,
> {
    if !crate::access::may_see_results(app, actor, agency_id, round_id).await? {
        return Ok(None);
    }
    let given = itas_store::rounds::indicator_scores(&app.db, round_id, agency_id).await?;
    let samples = itas_store::rounds::agency_samples(&app.db, round_id, agency_id).await?;
    Ok(Some((given, samples)))
}

/// The way to each result better than the card's own under a tool-floor
/// rule, one line per result, best first: the survey tools that block it and
/// by how much, the fewest OIT items that reach it, or how far even every OIT
/// item leaves it. Empty under letter bands. The results page and
/// `itas score` print these lines.
pub fn outlook_lines(
    lang: Lang,
    fw: &itas_core::Framework,
    card: &itas_core::Scorecard,
    passed: Option<&BTreeSet<String>>,
) -> Vec<String> {
    let Some(o) = itas_core::analysis::label_outlook(fw, card, passed) else {
        return Vec::new();
    };
    let name = |level: &itas_core::framework::Level| {
        let en = if level.name_en.is_empty() {
            &level.name_th
        } else {
            &level.name_en
        };
        lang.pick(&level.name_th, en).to_string()
    };
    let points = |s: Score| lang.num(&s.to_string());
    let surveys: Vec<&str> = fw
        .tools
        .iter()
        .filter(|t| t.kind == itas_core::framework::ToolKind::Survey)
        .map(|t| t.code.as_str())
        .collect();
    let and = lang.pick(" และ ", " and ");
    let mut out = Vec::new();
    for (level, way) in &o.ways {
        let how = match way {
            Way::Blocked(short) => {
                let needs: Vec<String> = short
                    .iter()
                    .map(|(tool, s, floor)| {
                        let gap = Score::from_hundredths(floor.hundredths() - s.hundredths());
                        match lang {
                            Lang::Th => format!(
                                "{tool} จาก {} ให้ถึง {} (อีก {})",
                                points(*s),
                                points(*floor),
                                points(gap)
                            ),
                            Lang::En => {
                                format!("{tool} from {s} to {floor} (+{gap})")
                            }
                        }
                    })
                    .collect();
                format!(
                    "{} {}",
                    lang.pick(
                        "ผ่าน OIT เพิ่มอย่างเดียวไม่พอ ต้องยก",
                        "OIT alone cannot reach it; it needs"
                    ),
                    needs.join(", ")
                )
            }
            Way::Items(plan) => {
                let items: Vec<&str> = plan.steps.iter().map(|s| s.item.as_str()).collect();
                format!(
                    "{} {} {} ({})",
                    lang.pick("ผ่านข้อ OIT เพิ่มอย่างน้อย", "pass at least"),
                    lang.num(&plan.steps.len().to_string()),
                    lang.pick("ข้อ", "more OIT items"),
                    items.join(", ")
                )
            }
            Way::OutOfReach { best } => {
                let gap = Score::from_hundredths(level.min.hundredths() - best.hundredths());
                match lang {
                    Lang::Th => format!(
                        "แม้ผ่าน OIT ทุกข้อ คะแนนภาพรวมได้ {} ต่ำกว่า {} ที่ต้องได้ (ขาด {}) ต้องยกคะแนน {}",
                        points(*best),
                        points(level.min),
                        points(gap),
                        surveys.join(and)
                    ),
                    Lang::En => format!(
                        "even passing every OIT item gives {best}, {gap} under the {} it needs: the {} must rise",
                        level.min,
                        surveys.join(and)
                    ),
                }
            }
            Way::Unknown => lang
                .pick(
                    "ข้อ OIT ที่ต้องผ่านเพิ่มจะบอกได้เมื่อทราบผลการตรวจ OIT รายข้อ",
                    "which OIT items would do is known from each item's review decision",
                )
                .to_string(),
        };
        out.push(format!("{}: {how}", name(level)));
    }
    out
}
