//! The OIT evidence workflow's rules, once for the pages and the API: what
//! an agency may enter and when, what an assessor may decide and when.
//!
//! Input is read the same whichever way it came: each URL trimmed and blank
//! ones dropped, an explanation and a comment trimmed and then counted.

use crate::access::Actor;
use crate::collection::own_agency;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use crate::{App, today};
use itas_core::directory::{Phase, Role};
use itas_core::framework::{Framework, ItemKind};
use itas_core::oit::{self, Decision, FailReason, Review};
use itas_store::agencies::Agency;
use itas_store::oit::{Evidence, StoredDecision};
use itas_store::rounds::{self, Round, RoundState};
use std::collections::BTreeMap;

/// Most URLs one item takes.
pub const MAX_URLS: usize = 5;
/// The longest URL.
pub const MAX_URL_LEN: usize = 2_000;
/// Longest assessor comment on a decision.
pub const MAX_COMMENT_CHARS: usize = 2_000;
/// Longest explanation of an item's evidence.
pub const MAX_EXPLANATION: usize = 4_000;

/// The latest automatic check of each (item, URL).
pub type Checks = BTreeMap<(String, String), itas_store::evidence_checks::Check>;

/// The phase a round is in today, if any.
pub fn phase_today(phases: &[rounds::PhaseDates]) -> Option<Phase> {
    match rounds::state_on(phases, today()) {
        RoundState::In(p) => Some(p),
        _ => None,
    }
}

/// What an agency admin's OIT page and API read of their round.
pub struct AgencyScope {
    pub agency_id: String,
    pub round: Round,
    pub fw: Framework,
    pub phase: Option<Phase>,
    pub submitted: bool,
    pub evidence: BTreeMap<String, Evidence>,
    pub decisions: Vec<StoredDecision>,
    pub checks: Checks,
}

impl AgencyScope {
    pub fn plain_decisions(&self) -> Vec<Decision> {
        self.decisions
            .iter()
            .map(StoredDecision::decision)
            .collect()
    }
}

/// The actor's agency's OIT in a round it takes part in.
pub async fn agency_scope(app: &App, actor: &Actor, round_id: &str) -> Result<AgencyScope> {
    let agency_id = own_agency(actor)?;
    let round = crate::rounds::taking_part(app, round_id, &agency_id).await?;
    let fw = round.framework()?;
    let phase = phase_today(&rounds::phases(&app.db, round_id).await?);
    let submitted = itas_store::oit::submitted_at(&app.db, &agency_id, round_id)
        .await?
        .is_some();
    let evidence = itas_store::oit::evidence(&app.db, &agency_id, round_id).await?;
    let decisions = itas_store::oit::decisions(&app.db, &agency_id, round_id).await?;
    let checks = itas_store::evidence_checks::latest(&app.db, &agency_id, round_id).await?;
    Ok(AgencyScope {
        checks,
        agency_id,
        round,
        fw,
        phase,
        submitted,
        evidence,
        decisions,
    })
}

/// What an assessor's review page and API read of one agency's OIT.
pub struct AssessorScope {
    pub round: Round,
    pub agency: Agency,
    pub fw: Framework,
    pub phase: Option<Phase>,
    pub phases: Vec<rounds::PhaseDates>,
    pub submitted: bool,
    pub evidence: BTreeMap<String, Evidence>,
    pub decisions: Vec<StoredDecision>,
    pub checks: Checks,
}

impl AssessorScope {
    pub fn plain_decisions(&self) -> Vec<Decision> {
        self.decisions
            .iter()
            .map(StoredDecision::decision)
            .collect()
    }

    /// The review an item may be decided in today, if any.
    pub fn open_review(&self, item: &str) -> Option<Review> {
        oit::assessor_may_decide(self.phase, item, &self.plain_decisions())
            .filter(|_| self.submitted)
    }

    /// Why an item cannot be decided today: its review has not opened yet
    /// (the agency has not submitted, or a review phase is still ahead), or
    /// it is over.
    pub fn why_not_open(&self) -> ErrorCode {
        let ahead = self
            .phases
            .iter()
            .filter(|p| matches!(p.phase, Phase::Review1 | Phase::Review2))
            .any(|p| today() < p.starts_on);
        if !self.submitted || ahead {
            ErrorCode::PhaseNotOpen
        } else {
            ErrorCode::PhaseClosed
        }
    }
}

/// One agency's OIT as the assessor assigned to it in this round reads it.
/// The agency's drafts are its own until it submits: the assessor sees the
/// evidence (and its checks) only from then on (docs/privacy.md).
pub async fn assessor_scope(
    app: &App,
    actor: &Actor,
    round_id: &str,
    agency_id: &str,
) -> Result<AssessorScope> {
    if actor.role != Role::Assessor
        || !itas_store::assignments::is_assigned(&app.db, round_id, agency_id, &actor.user_id)
            .await?
    {
        return Err(Error::new(ErrorCode::Forbidden));
    }
    let not_found = || Error::new(ErrorCode::NotFound);
    let round = rounds::get(&app.db, round_id)
        .await?
        .ok_or_else(not_found)?;
    let agency = itas_store::agencies::get(&app.db, agency_id)
        .await?
        .ok_or_else(not_found)?;
    let fw = round.framework()?;
    let phases = rounds::phases(&app.db, round_id).await?;
    let phase = phase_today(&phases);
    let submitted = itas_store::oit::submitted_at(&app.db, agency_id, round_id)
        .await?
        .is_some();
    let (checks, evidence) = if submitted {
        (
            itas_store::evidence_checks::latest(&app.db, agency_id, round_id).await?,
            itas_store::oit::evidence(&app.db, agency_id, round_id).await?,
        )
    } else {
        Default::default()
    };
    Ok(AssessorScope {
        checks,
        evidence,
        decisions: itas_store::oit::decisions(&app.db, agency_id, round_id).await?,
        round,
        agency,
        fw,
        phase,
        phases,
        submitted,
    })
}

/// A stored snapshot of an agency's evidence, for the assessor assigned
/// to it in the round (served in a sandbox by the web face).
pub async fn snapshot(
    app: &App,
    actor: &Actor,
    round_id: &str,
    agency_id: &str,
    check_id: &str,
) -> Result<itas_store::evidence_checks::Snapshot> {
    assessor_scope(app, actor, round_id, agency_id).await?;
    itas_store::evidence_checks::snapshot(&app.db, agency_id, check_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))
}

/// Where one agency's review stands: submitted or not, and how many
/// checklist items have their final decision.
#[derive(Clone, Debug)]
pub struct ReviewProgress {
    pub submitted: bool,
    pub decided: usize,
    pub items: usize,
}

/// The assessor's work: each round with the agencies assigned to them in
/// it, and where each review stands.
pub async fn review_queue(
    app: &App,
    actor: &Actor,
) -> Result<Vec<(Round, Vec<(Agency, ReviewProgress)>)>> {
    if actor.role != Role::Assessor {
        return Err(Error::new(ErrorCode::Forbidden));
    }
    let mut out = Vec::new();
    for r in rounds::list(&app.db).await? {
        let agencies = itas_store::assignments::agencies_of(&app.db, &r.id, &actor.user_id).await?;
        if agencies.is_empty() {
            continue;
        }
        let items = r.framework()?.checklist_items().count();
        let mut queue = Vec::new();
        for a in agencies {
            let submitted = itas_store::oit::submitted_at(&app.db, &a.id, &r.id)
                .await?
                .is_some();
            let decided = if submitted {
                let decisions: Vec<Decision> = itas_store::oit::decisions(&app.db, &a.id, &r.id)
                    .await?
                    .iter()
                    .map(StoredDecision::decision)
                    .collect();
                oit::final_results(&decisions).len()
            } else {
                0
            };
            queue.push((
                a,
                ReviewProgress {
                    submitted,
                    decided,
                    items,
                },
            ));
        }
        out.push((r, queue));
    }
    Ok(out)
}

/// What is wrong with an evidence URL, said as the rule it breaks (Thai,
/// English), the URL following.
pub fn url_problem(u: &str) -> Option<(&'static str, &'static str)> {
    let Some(rest) = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
    else {
        return Some((
            "URL ต้องขึ้นต้นด้วย https:// หรือ http://:",
            "A URL must start with https:// or http://:",
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if u.chars().count() > MAX_URL_LEN {
        return Some((
            "URL ยาวเกิน ๒,๐๐๐ ตัวอักษร:",
            "The URL is longer than 2,000 characters:",
        ));
    }
    if u.contains(char::is_whitespace) {
        return Some((
            "URL มีช่องว่างอยู่ภายใน (คัดลอกจากแถบที่อยู่ของเบราว์เซอร์อีกครั้ง):",
            "The URL contains a space (copy it again from the browser's address bar):",
        ));
    }
    if !(host.contains('.') || host.starts_with("localhost")) {
        return Some((
            "URL ไม่มีชื่อเว็บไซต์ที่ถูกต้องหลัง https:// (เช่น www.example.go.th):",
            "The URL has no valid site name after https:// (such as www.example.go.th):",
        ));
    }
    None
}

/// One item's evidence as sent: the URLs (one per element, or one per line
/// of a form's box) and the explanation.
#[derive(Clone, Debug, Default)]
pub struct EvidenceInput {
    pub item: String,
    pub urls: Vec<String>,
    pub explanation: String,
}

/// One item's evidence as stored: URLs one per line, the explanation trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleanEvidence {
    pub item: String,
    pub urls: String,
    pub explanation: String,
}

impl CleanEvidence {
    pub fn url_list(&self) -> Vec<String> {
        self.urls.lines().map(str::to_string).collect()
    }
}

/// Reads one item's evidence, or says what is wrong with it.
pub fn clean_evidence(input: &EvidenceInput) -> Result<CleanEvidence, FieldProblem> {
    let field = input.item.clone();
    let urls: Vec<&str> = input
        .urls
        .iter()
        .flat_map(|u| u.lines())
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if urls.len() > MAX_URLS {
        return Err(FieldProblem::new(
            field,
            "ใส่ได้ไม่เกิน ๕ URL ต่อข้อ",
            "At most 5 URLs per item",
        ));
    }
    for u in &urls {
        if let Some((th, en)) = url_problem(u) {
            return Err(FieldProblem::new(
                field,
                format!("{th} {u}"),
                format!("{en} {u}"),
            ));
        }
    }
    let explanation = input.explanation.trim();
    if explanation.chars().count() > MAX_EXPLANATION {
        return Err(FieldProblem::new(
            field,
            "คำอธิบายยาวเกินไป ใส่ได้ไม่เกิน ๔,๐๐๐ ตัวอักษร",
            "The explanation is too long; at most 4,000 characters",
        ));
    }
    Ok(CleanEvidence {
        item: input.item.clone(),
        urls: urls.join("\n"),
        explanation: explanation.to_string(),
    })
}

/// Saves items' evidence (audited). An item that may no longer change is
/// left as it is; when every item sent is so, the save is refused
/// (`phase_closed`). Any item with a problem refuses the whole save, each
/// problem under its item's code, and nothing is stored.
pub async fn save_evidence(
    app: &App,
    actor: &Actor,
    scope: &AgencyScope,
    inputs: &[EvidenceInput],
) -> Result<Vec<CleanEvidence>> {
    let plain = scope.plain_decisions();
    let mut problems = Vec::new();
    let mut changes = Vec::new();
    let mut locked = 0;
    for input in inputs {
        if scope
            .fw
            .item(&input.item)
            .is_none_or(|i| !matches!(i.kind, ItemKind::Checklist { .. }))
        {
            return Err(Error::new(ErrorCode::NotFound).detail(format!("no item {}", input.item)));
        }
        if !oit::agency_may_edit(scope.phase, scope.submitted, &input.item, &plain) {
            locked += 1;
            continue;
        }
        match clean_evidence(input) {
            Ok(c) => changes.push(c),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    if locked > 0 && changes.is_empty() {
        return Err(Error::new(ErrorCode::PhaseClosed));
    }
    let rows: Vec<(String, String, String)> = changes
        .iter()
        .map(|c| (c.item.clone(), c.urls.clone(), c.explanation.clone()))
        .collect();
    itas_store::oit::save_evidence(
        &app.db,
        Some(&actor.user_id),
        &scope.agency_id,
        &scope.round.id,
        &rows,
    )
    .await?;
    Ok(changes)
}

/// Submits the agency's evidence for review (audited): once, before review.
pub async fn submit(app: &App, actor: &Actor, scope: &AgencyScope) -> Result<()> {
    if !matches!(scope.phase, Some(Phase::Setup | Phase::Collection)) || scope.submitted {
        return Err(Error::new(ErrorCode::PhaseClosed));
    }
    itas_store::oit::submit(
        &app.db,
        Some(&actor.user_id),
        &scope.agency_id,
        &scope.round.id,
    )
    .await?;
    Ok(())
}

/// An assessor's decision on one item, as sent.
#[derive(Clone, Debug, Default)]
pub struct DecisionInput {
    /// Pass or fail; None when the form's choice was missing or unknown.
    pub passed: Option<bool>,
    pub reason: Option<FailReason>,
    pub comment: String,
}

/// A decision as stored.
#[derive(Clone, Debug)]
pub struct Decided {
    pub review: Review,
    pub passed: bool,
    pub reason: Option<FailReason>,
    pub comment: String,
}

/// Decides one item in the review open today (audited). A pass carries no
/// reason; a fail needs one, and the reason "other" a comment.
pub async fn decide(
    app: &App,
    actor: &Actor,
    scope: &AssessorScope,
    item: &str,
    input: &DecisionInput,
) -> Result<Decided> {
    if scope
        .fw
        .item(item)
        .is_none_or(|i| !matches!(i.kind, ItemKind::Checklist { .. }))
    {
        return Err(Error::new(ErrorCode::NotFound));
    }
    let Some(review) = scope.open_review(item) else {
        return Err(Error::new(scope.why_not_open()));
    };
    let comment = input.comment.trim();
    let problem = |th: &str, en: &str| FieldProblem::new(item, th, en);
    let mut problems = Vec::new();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        problems.push(problem(
            "ความเห็นยาวเกินไป ใส่ได้ไม่เกิน ๒,๐๐๐ ตัวอักษร",
            "The comment is too long; at most 2,000 characters",
        ));
    }
    match (input.passed, input.reason) {
        (None, _) => problems.push(problem("กรุณาเลือกผ่านหรือไม่ผ่าน", "Choose pass or fail")),
        (Some(false), None) => problems.push(problem("กรุณาเลือกเหตุผลที่ไม่ผ่าน", "Choose why it fails")),
        (Some(false), Some(FailReason::Other)) if comment.is_empty() => problems.push(problem(
            "กรุณาระบุเหตุผลในช่องความเห็น",
            "Write the reason in the comment",
        )),
        _ => {}
    }
    let Some(passed) = input.passed.filter(|_| problems.is_empty()) else {
        return Err(Error::invalid(problems));
    };
    let reason = if passed { None } else { input.reason };
    itas_store::oit::decide(
        &app.db,
        &actor.user_id,
        &scope.agency.id,
        &scope.round.id,
        item,
        review,
        passed,
        reason,
        comment,
    )
    .await?;
    Ok(Decided {
        review,
        passed,
        reason,
        comment: comment.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(urls: &[&str], explanation: &str) -> EvidenceInput {
        EvidenceInput {
            item: "o1".into(),
            urls: urls.iter().map(|u| u.to_string()).collect(),
            explanation: explanation.into(),
        }
    }

    #[test]
    fn evidence_is_read_alike_from_a_form_box_and_a_json_list() {
        let from_form = clean_evidence(&input(
            &["  https://a.go.th/x \n\n https://a.go.th/y  "],
            "  เหตุผล  ",
        ))
        .unwrap();
        let from_json = clean_evidence(&input(
            &[" https://a.go.th/x", "", "https://a.go.th/y "],
            "เหตุผล",
        ))
        .unwrap();
        assert_eq!(from_form, from_json);
        assert_eq!(from_form.urls, "https://a.go.th/x\nhttps://a.go.th/y");
        assert_eq!(from_form.explanation, "เหตุผล");
    }

    #[test]
    fn lengths_are_counted_after_trimming() {
        let long = "ก".repeat(MAX_EXPLANATION);
        assert!(clean_evidence(&input(&[], &format!("  {long}  "))).is_ok());
        let p = clean_evidence(&input(&[], &format!("{long}ข"))).unwrap_err();
        assert_eq!(p.field, "o1");
        assert!(p.th.contains("๔,๐๐๐") && p.en.contains("4,000"));
        let six: Vec<&str> = vec!["https://a.go.th/"; 6];
        assert!(clean_evidence(&input(&six, "")).is_err());
        let p = clean_evidence(&input(&["ftp://a.go.th/x"], "")).unwrap_err();
        assert!(p.en.starts_with("A URL must start with") && p.en.ends_with("ftp://a.go.th/x"));
    }
}
