//! Who may see what: the one place every page, API operation, export and
//! report asks. The rules, written down in docs/access.md:
//!
//! - **An agency's data** (its record, its rounds, its counts, its OIT
//!   evidence once submitted, its plan): the central office; the agency's
//!   own admin; an assessor assigned the agency in any round (an assessor
//!   reads an agency's earlier evidence beside the current one, and loses
//!   the right with the account, never with the next round).
//! - **An agency's scores in a round**: once the round is published,
//!   anyone. Before, the central office and the assessors above, and never
//!   the agency itself: its own scores would tell its admin, answer by
//!   answer, what staff and clients said (docs/privacy.md).
//! - **A list of a round's agencies** shows, to each reader, exactly the
//!   agencies the first rule lets them see.
//! - **A round's results as a whole** (dashboards, exports, open data):
//!   the central office always; anyone once the round is published and in
//!   its publication phase.

use crate::App;
use crate::error::{Error, ErrorCode, Result};
use itas_core::directory::Role;
use std::collections::HashSet;

/// Who is asking, as the rules read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    /// The agency of an agency admin.
    pub agency_id: Option<String>,
}

/// Which agencies a reader may see: all, or these.
#[derive(Clone, Debug)]
pub enum Visible {
    All,
    Only(HashSet<String>),
}

impl Visible {
    pub fn contains(&self, agency_id: &str) -> bool {
        match self {
            Visible::All => true,
            Visible::Only(ids) => ids.contains(agency_id),
        }
    }
}

/// Whether `actor` may read the data of `agency_id` (the first rule).
pub async fn may_see_agency(app: &App, actor: &Actor, agency_id: &str) -> Result<bool> {
    Ok(match actor.role {
        Role::CentralAdmin => true,
        Role::AgencyAdmin => actor.agency_id.as_deref() == Some(agency_id),
        Role::Assessor => {
            itas_store::assignments::ever_assigned(&app.db, agency_id, &actor.user_id).await?
        }
    })
}

/// The agencies `actor` may read, for filtering a list by the same rule.
pub async fn visible_agencies(app: &App, actor: &Actor) -> Result<Visible> {
    Ok(match actor.role {
        Role::CentralAdmin => Visible::All,
        Role::AgencyAdmin => Visible::Only(actor.agency_id.iter().cloned().collect()),
        Role::Assessor => Visible::Only(
            itas_store::assignments::agency_ids_ever_assigned(&app.db, &actor.user_id)
                .await?
                .into_iter()
                .collect(),
        ),
    })
}

/// Refuses (`forbidden`) unless `actor` may read the agency's data.
pub async fn require_agency(app: &App, actor: &Actor, agency_id: &str) -> Result<()> {
    if may_see_agency(app, actor, agency_id).await? {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::Forbidden))
    }
}

/// Whether `actor` (None: the public) may see a round's results as a
/// whole: the dashboards, the exports and the open data.
pub async fn may_see_round_results(
    app: &App,
    actor: Option<&Actor>,
    round: &itas_store::rounds::Round,
) -> Result<bool> {
    if actor.is_some_and(|a| a.role == Role::CentralAdmin) {
        return Ok(true);
    }
    let phases = itas_store::rounds::phases(&app.db, &round.id).await?;
    Ok(crate::published::results_public(
        round,
        itas_store::rounds::state_on(&phases, crate::today()),
    ))
}

/// Whether `actor` (None: the public) may see an agency's scores in a
/// round (the second rule).
pub async fn may_see_results(
    app: &App,
    actor: Option<&Actor>,
    agency_id: &str,
    round_id: &str,
) -> Result<bool> {
    if crate::published::round_is_published(app, round_id).await? {
        return Ok(true);
    }
    Ok(match actor {
        Some(a) if a.role != Role::AgencyAdmin => may_see_agency(app, a, agency_id).await?,
        _ => false,
    })
}
