//! Data quality of a round's IIT/EIT answers, for the central office: each
//! participant's survey with its flags (from aggregates only; nothing here
//! can name a respondent), the score with the flagged part left out beside
//! the plain one, and the decision the scoring run uses.

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use itas_core::exact::Score;
use itas_core::framework::Framework;
use itas_core::quality::{Flag, flags};
use itas_store::quality::{self, AgencyTool, Decision, StoredDecision};
use std::collections::HashMap;

/// Longest reason of a decision.
pub const MAX_REASON_CHARS: usize = 2_000;

/// The round, for the central office only.
pub async fn round(app: &App, actor: &Actor, round_id: &str) -> Result<itas_store::rounds::Round> {
    crate::rounds::require_central(actor)?;
    crate::rounds::get(app, round_id).await
}

/// Every participant's survey with its flags, the most flagged first.
pub async fn flagged(app: &App, round_id: &str) -> Result<Vec<(AgencyTool, Vec<Flag>)>> {
    let mut rows: Vec<_> = quality::round_aggregates(&app.db, round_id)
        .await?
        .into_iter()
        .map(|a| {
            let f = flags(&a.aggregates);
            (a, f)
        })
        .collect();
    rows.sort_by(|(a, fa), (b, fb)| {
        fb.len()
            .cmp(&fa.len())
            .then(b.aggregates.responses.cmp(&a.aggregates.responses))
            .then(a.code.cmp(&b.code))
    });
    Ok(rows)
}

/// The decisions taken in a round, by (agency, tool).
pub async fn decisions(
    app: &App,
    round_id: &str,
) -> Result<std::collections::BTreeMap<(String, String), StoredDecision>> {
    Ok(quality::decisions(&app.db, round_id).await?)
}

/// What leaving a survey's flagged answers out would do: its score with
/// every answer, its score without the flagged ones, and how many remain.
pub async fn exclusion_effect(
    app: &App,
    fw: &Framework,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<(Option<Score>, Option<Score>, u64)> {
    // A part's flagged answers are left out of that part only; the tool's
    // score is still made of every part.
    let by_key = itas_store::surveys::tallies_by_key(&app.db, round_id, agency_id).await?;
    let (kept, remaining) =
        quality::tallies_without_flagged(&app.db, round_id, agency_id, tool).await?;
    let plain = crate::scoring_run::counted(fw, by_key.clone(), Vec::new())?;
    let without =
        crate::scoring_run::counted(fw, by_key, vec![(tool.to_string(), kept, remaining)])?;
    let tool_code = itas_core::framework::tool_code(tool);
    Ok((
        crate::scoring_run::tool_score(fw, &plain, tool_code),
        crate::scoring_run::tool_score(fw, &without, tool_code),
        remaining,
    ))
}

/// Participants whose agency turned single-use codes off for its IIT:
/// (code, Thai name), by code.
pub async fn codes_turned_off(app: &App, round_id: &str) -> Result<Vec<(String, String)>> {
    let participants: HashMap<String, (String, String)> =
        itas_store::rounds::participants(&app.db, round_id)
            .await?
            .into_iter()
            .map(|p| (p.agency_id, (p.code, p.name_th)))
            .collect();
    let mut off: Vec<(String, String)> =
        itas_store::surveys::codes_turned_off(&app.db, round_id, "IIT")
            .await?
            .into_iter()
            .filter_map(|id| participants.get(&id).cloned())
            .collect();
    off.sort();
    Ok(off)
}

/// A decision as the form gives it.
#[derive(Clone, Debug, Default)]
pub struct DecisionInput {
    /// None when the choice was missing or unknown.
    pub decision: Option<Decision>,
    pub reason: String,
}

/// Decides a survey's data quality (audited): accept every answer, or leave
/// the flagged ones out, which needs a reason of at most 2,000 characters.
pub async fn decide(
    app: &App,
    actor: &Actor,
    round_id: &str,
    agency_id: &str,
    tool: &str,
    input: &DecisionInput,
) -> Result<()> {
    crate::rounds::require_central(actor)?;
    // Any place survey answers are collected: IIT, EIT, or one part (EIT.2).
    let fw = crate::survey::round_framework(app, round_id).await?;
    if fw.collection(tool).is_none() {
        return Err(Error::new(ErrorCode::NotFound));
    }
    itas_store::rounds::participation(&app.db, round_id, agency_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))?;
    let reason = input.reason.trim();
    let problem =
        |th: &str, en: &str| Err(Error::invalid(vec![FieldProblem::new("decision", th, en)]));
    let Some(decision) = input.decision else {
        return problem("กรุณาเลือกผลการพิจารณา", "Choose a decision");
    };
    if decision == Decision::Exclude && reason.is_empty() {
        return problem(
            "การตัดคำตอบออกต้องระบุเหตุผล",
            "Leaving answers out needs a reason",
        );
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return problem(
            "เหตุผลยาวเกิน ๒,๐๐๐ ตัวอักษร",
            "The reason is longer than 2,000 characters",
        );
    }
    quality::decide(
        &app.db,
        &actor.user_id,
        agency_id,
        round_id,
        tool,
        decision,
        reason,
    )
    .await?;
    Ok(())
}
