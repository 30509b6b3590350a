//! The survey parts the central office collects itself (the EIT's part 2,
//! which NACC staff collect from stakeholders they invite, often in an
//! online session): its link per agency, which the agency never sees, and a
//! session view with the count as it rises.
//!
//! The answers go through the same links, anonymity, quality flags and
//! exclusions as every other survey: only who holds the link differs.

use crate::access::Actor;
use crate::error::{Error, ErrorCode, Result};
use crate::{App, today};
use itas_core::framework::Collector;
use itas_store::rounds::RoundState;

/// Agencies listed on one page of the central office's parts list.
pub const PAGE: usize = 50;

/// A part the central office collects, as named on its pages.
#[derive(Clone, Debug)]
pub struct CentralPart {
    pub key: String,
    pub name_th: String,
    pub name_en: String,
}

/// One agency of the list, with its count in each central part.
#[derive(Clone, Debug)]
pub struct AgencyParts {
    pub agency_id: String,
    pub code: String,
    pub name_th: String,
    /// Responses per part, in the order of [`PartsList::parts`].
    pub counts: Vec<i64>,
}

/// The central office's parts of a round, with the agencies matching a search.
#[derive(Clone, Debug)]
pub struct PartsList {
    pub round: itas_store::rounds::Round,
    pub parts: Vec<CentralPart>,
    pub agencies: Vec<AgencyParts>,
    /// Participants matching the search, of which `agencies` is one page.
    pub matching: usize,
    pub collecting: bool,
}

fn central_parts(fw: &itas_core::Framework) -> Vec<CentralPart> {
    fw.collections()
        .into_iter()
        .filter(|c| c.collected_by() == Collector::Central)
        .map(|c| CentralPart {
            key: c.key(),
            name_th: c.name_th(),
            name_en: c.name_en(),
        })
        .collect()
}

async fn collecting(app: &App, round_id: &str) -> Result<bool> {
    let st = itas_store::rounds::state_on(
        &itas_store::rounds::phases(&app.db, round_id).await?,
        today(),
    );
    Ok(matches!(
        st,
        RoundState::In(itas_core::directory::Phase::Collection)
    ))
}

/// The round's central parts and the participants whose code or name holds
/// `search` (every participant when empty), a page of [`PAGE`] at `offset`.
pub async fn list(
    app: &App,
    actor: &Actor,
    round_id: &str,
    search: &str,
    offset: usize,
) -> Result<PartsList> {
    crate::rounds::require_central(actor)?;
    let round = crate::rounds::get(app, round_id).await?;
    let fw = crate::survey::round_framework(app, &round.id).await?;
    let parts = central_parts(&fw);
    let counts = itas_store::surveys::counts(&app.db, &round.id).await?;
    let needle = search.trim().to_lowercase();
    let matching: Vec<itas_store::rounds::Participant> =
        itas_store::rounds::participants(&app.db, &round.id)
            .await?
            .into_iter()
            .filter(|p| {
                needle.is_empty()
                    || p.code.to_lowercase().contains(&needle)
                    || p.name_th.to_lowercase().contains(&needle)
            })
            .collect();
    let agencies = matching
        .iter()
        .skip(offset)
        .take(PAGE)
        .map(|p| AgencyParts {
            agency_id: p.agency_id.clone(),
            code: p.code.clone(),
            name_th: p.name_th.clone(),
            counts: parts
                .iter()
                .map(|part| {
                    counts
                        .get(&(p.agency_id.clone(), part.key.clone()))
                        .copied()
                        .unwrap_or(0)
                })
                .collect(),
        })
        .collect();
    Ok(PartsList {
        collecting: collecting(app, &round.id).await?,
        matching: matching.len(),
        round,
        parts,
        agencies,
    })
}

/// One agency's central part as its session page shows it.
#[derive(Clone, Debug)]
pub struct Session {
    pub round: itas_store::rounds::Round,
    pub part: CentralPart,
    pub agency_id: String,
    pub agency_th: String,
    pub agency_en: String,
    /// The link's code (`/s/{code}`); None for an agency that joined
    /// before its round's framework had parts, until the office makes one.
    pub link_code: Option<String>,
    pub count: i64,
    /// Answers are taken only while the round is in collection.
    pub collecting: bool,
}

async fn check(app: &App, actor: &Actor, round_id: &str, key: &str) -> Result<CentralPart> {
    crate::rounds::require_central(actor)?;
    let fw = crate::survey::round_framework(app, round_id).await?;
    central_parts(&fw)
        .into_iter()
        .find(|p| p.key == key)
        .ok_or_else(|| Error::new(ErrorCode::NotFound))
}

/// The session view of one agency's central part: its link and the
/// responses so far. Reading it writes nothing: links are made when an
/// agency joins, and a missing one is made by [`rotate`] (a POST).
pub async fn session(
    app: &App,
    actor: &Actor,
    round_id: &str,
    key: &str,
    agency_id: &str,
) -> Result<Session> {
    let part = check(app, actor, round_id, key).await?;
    let round = crate::rounds::taking_part(app, round_id, agency_id).await?;
    let agency = itas_store::agencies::get(&app.db, agency_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))?;
    let link = itas_store::surveys::active_link(&app.db, round_id, agency_id, key).await?;
    Ok(Session {
        count: itas_store::surveys::count(&app.db, round_id, agency_id, key).await?,
        collecting: collecting(app, round_id).await?,
        link_code: link.map(|l| l.code),
        agency_en: if agency.name_en.is_empty() {
            agency.name_th.clone()
        } else {
            agency.name_en
        },
        agency_th: agency.name_th,
        agency_id: agency_id.to_string(),
        part,
        round,
    })
}

/// Replaces the link of one agency's central part, or makes it when there
/// is none (audited): after a session, nobody who kept the old link can
/// answer again.
pub async fn rotate(
    app: &App,
    actor: &Actor,
    round_id: &str,
    key: &str,
    agency_id: &str,
) -> Result<()> {
    check(app, actor, round_id, key).await?;
    crate::rounds::taking_part(app, round_id, agency_id).await?;
    itas_store::surveys::rotate_link(&app.db, Some(&actor.user_id), round_id, agency_id, key)
        .await?;
    app.caches.forget_links();
    Ok(())
}
