//! The directory of agencies: added one by one or as a national list,
//! searched by the central office, and listed to each reader by the rule
//! of `access`.

use crate::App;
use crate::access::{Actor, Visible};
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use crate::paging::Paging;
use itas_store::agencies::{self, Agency, ImportReport, NewAgency};

/// Longest search text.
pub const MAX_QUERY_CHARS: usize = 200;

/// Adds agencies from numbered rows (audited), each row checked on its own:
/// a bad row is named by its number and the others are added.
pub async fn import(
    app: &App,
    actor: &Actor,
    rows: Vec<(usize, NewAgency)>,
) -> Result<ImportReport> {
    crate::rounds::require_central(actor)?;
    let report = agencies::import(&app.db, Some(&actor.user_id), rows).await?;
    tracing::info!(
        inserted = report.inserted,
        rejected = report.errors.len(),
        "agency import"
    );
    Ok(report)
}

/// Adds one agency (audited); its problem, if any, is the form's.
pub async fn create(app: &App, actor: &Actor, row: NewAgency) -> Result<()> {
    let report = import(app, actor, vec![(1, row)]).await?;
    match report.errors.into_iter().next() {
        None => Ok(()),
        Some((_, reason)) => Err(Error::invalid(vec![FieldProblem::new(
            "agency",
            reason.clone(),
            reason,
        )])),
    }
}

/// One agency the actor may read.
pub async fn get(app: &App, actor: &Actor, agency_id: &str) -> Result<Agency> {
    crate::access::require_agency(app, actor, agency_id).await?;
    agencies::get(&app.db, agency_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound))
}

/// An agency's directory record by id, for naming it where its results are
/// shown to the reader already (a dashboard's groups, a user's agency):
/// codes and names are public; nothing else of the agency is read here.
pub async fn named(app: &App, agency_id: &str) -> Result<Option<Agency>> {
    Ok(agencies::get(&app.db, agency_id).await?)
}

/// The agency above one the actor may read (its name is part of the
/// agency's own record).
pub async fn parent_of(app: &App, actor: &Actor, agency: &Agency) -> Result<Option<Agency>> {
    crate::access::require_agency(app, actor, &agency.id).await?;
    match &agency.parent_id {
        Some(p) => Ok(agencies::get(&app.db, p).await?),
        None => Ok(None),
    }
}

/// A page of the agencies the actor may read whose code, names or province
/// contain `query`, with how many there are in all.
pub async fn list_for(
    app: &App,
    actor: &Actor,
    query: &str,
    page: Paging,
) -> Result<(Vec<Agency>, i64)> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::invalid(vec![FieldProblem::new(
            "q",
            "คำค้นยาวได้ไม่เกิน ๒๐๐ ตัวอักษร",
            "q is at most 200 characters",
        )]));
    }
    let ids = match crate::access::visible_agencies(app, actor).await? {
        Visible::All => {
            return Ok(agencies::search(&app.db, query, page.limit, page.offset).await?);
        }
        Visible::Only(ids) => ids,
    };
    let mut all = Vec::with_capacity(ids.len());
    for id in ids {
        all.extend(agencies::get(&app.db, &id).await?);
    }
    let needle = query.to_lowercase();
    all.retain(|a| {
        needle.is_empty()
            || [&a.code, &a.name_th, &a.name_en, &a.province]
                .iter()
                .any(|f| f.to_lowercase().contains(&needle))
    });
    all.sort_by(|a, b| a.code.cmp(&b.code));
    let total = all.len() as i64;
    Ok((page.of(all).collect(), total))
}
