//! Survey links: what a link opens, looked up once and kept for a few
//! seconds (a busy link takes thousands of answers an hour).

use crate::error::{Error, ErrorCode};
use crate::{App, today};
use itas_core::framework::Framework;
use itas_store::rounds::RoundState;
use itas_store::surveys::{self, Link};
use std::sync::Arc;

/// What a survey link opens, as cached for a few seconds.
pub struct OpenLink {
    pub link: Link,
    pub fw: Arc<Framework>,
    pub agency_th: String,
    pub agency_en: String,
    pub tool_th: String,
    pub tool_en: String,
    pub require_code: bool,
    pub state: RoundState,
}

/// A round's framework, parsed once per process.
pub async fn round_framework(app: &App, round_id: &str) -> Result<Arc<Framework>, Error> {
    if let Some(fw) = app.caches.framework(round_id) {
        return Ok(fw);
    }
    let round = itas_store::rounds::get(&app.db, round_id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let fw = Arc::new(round.framework()?);
    app.caches.keep_framework(round_id, fw.clone());
    Ok(fw)
}

pub async fn load_link(app: &App, code: &str) -> Result<Option<Arc<OpenLink>>, Error> {
    if let Some(l) = app.caches.link(code) {
        return Ok(Some(l));
    }
    let Some(link) = surveys::link_by_code(&app.db, code).await? else {
        return Ok(None);
    };
    let phases = itas_store::rounds::phases(&app.db, &link.round_id).await?;
    let fw = round_framework(app, &link.round_id).await?;
    // A tool, or one part of a tool collected in parts (`EIT.2`).
    let collection = fw.collection(&link.tool).ok_or(ErrorCode::NotFound)?;
    let (tool_th, tool_en) = (collection.name_th(), collection.name_en());
    let agency = itas_store::agencies::get(&app.db, &link.agency_id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let open = Arc::new(OpenLink {
        require_code: surveys::require_code(&app.db, &link.round_id, &link.agency_id, &link.tool)
            .await?,
        state: itas_store::rounds::state_on(&phases, today()),
        tool_th,
        tool_en,
        agency_en: if agency.name_en.is_empty() {
            agency.name_th.clone()
        } else {
            agency.name_en
        },
        agency_th: agency.name_th,
        fw: fw.clone(),
        link,
    });
    app.caches.keep_link(code, open.clone());
    Ok(Some(open))
}

/// What a typed single-use code is kept as: normalised (spaces, dashes and
/// case do not matter), then hashed; None when nothing is left of it.
pub fn access_code_hash(typed: &str) -> Option<String> {
    let code = surveys::normalise_access_code(typed);
    (!code.is_empty()).then(|| crate::secrets::token_hash(&code))
}

/// Whether a code (its hash) was issued for the link's survey and is unused.
pub async fn access_code_open(app: &App, link: &Link, code_hash: &str) -> Result<bool, Error> {
    Ok(surveys::access_code_open(
        &app.db,
        &link.round_id,
        &link.agency_id,
        &link.tool,
        code_hash,
    )
    .await?)
}

/// The unfinished questionnaire a draft cookie holds, if any: the copy this
/// server kept when it saved `version` (the cookie's), else the database's.
pub async fn draft(
    app: &App,
    token: &str,
    version: Option<&str>,
) -> Result<Option<itas_store::drafts::Draft>, Error> {
    let token_hash = crate::secrets::token_hash(token);
    if let Some(version) = version
        && let Some(kept) = app.caches.drafts.get(&token_hash, version)
    {
        return Ok(Some(kept));
    }
    Ok(itas_store::drafts::load(&app.db, &token_hash).await?)
}

/// Keeps a respondent's unfinished questionnaire under its draft token,
/// through the response writer (the page joins its group commit). Answers
/// the version of this save, for the draft cookie: this server keeps the
/// draft under it once the writer has stored it, never before.
pub async fn save_draft(
    app: &App,
    ingest: &itas_store::ingest::Ingestor,
    agency_id: &str,
    token: &str,
    is_new: bool,
    draft: itas_store::drafts::Draft,
    budget: itas_store::drafts::DraftBudget,
) -> Result<String, Error> {
    let token_hash = crate::secrets::token_hash(token);
    ingest
        .save_draft(itas_store::drafts::DraftSave {
            token_hash: token_hash.clone(),
            agency_id: agency_id.to_string(),
            is_new,
            draft: draft.clone(),
            day: today().to_string(),
            budget,
        })
        .await?;
    let version = crate::draft_cache::new_version();
    app.caches.drafts.put(token_hash, version.clone(), draft);
    Ok(version)
}

/// A respondent's answers for the link's survey, as stored: the day and the
/// hour in Thailand (the finest time any aggregate keeps), never a time of
/// its own; `finishes_draft` is the draft the submission ends.
pub struct Answered {
    pub id: String,
    pub answers: itas_core::survey::Answers,
    pub code_hash: Option<String>,
    pub speed: itas_core::quality::SpeedBucket,
    pub finishes_draft: Option<String>,
}

/// Submits answers through the response writer. A storage fault answers
/// `storage_fault`, anything else that stops the writer `unavailable`: the
/// respondent keeps the answers and sends again.
pub async fn submit(
    app: &App,
    ingest: &itas_store::ingest::Ingestor,
    link: &Link,
    a: Answered,
) -> Result<itas_store::ingest::Outcome, Error> {
    let clock = &app.clock;
    if let Some(token_hash) = &a.finishes_draft {
        // Whatever the outcome, the next read of this draft goes to the
        // database: the submission may have ended it.
        app.caches.drafts.forget(token_hash);
    }
    let s = itas_store::ingest::Submission {
        agency_id: link.agency_id.clone(),
        round_id: link.round_id.clone(),
        tool: link.tool.clone(),
        id: a.id,
        day: clock.bangkok_day().to_string(),
        hour: clock.bangkok_hour(),
        speed: a.speed,
        answers: a.answers,
        code_hash: a.code_hash,
    };
    ingest
        .submit_finishing_draft(s, a.finishes_draft)
        .await
        .map_err(|e| {
            let fault = e.fault();
            Error {
                fault,
                detail: Some(e.to_string()),
                ..Error::new(if fault.is_some() {
                    ErrorCode::StorageFault
                } else {
                    ErrorCode::Unavailable
                })
            }
        })
}
