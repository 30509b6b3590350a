//! The audit log as the central office reads it: filtered, a page at a
//! time, with the names of the users, rounds and agencies it names.

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use itas_store::audit::{AuditEntry, Filter};
use std::collections::HashMap;

/// The agency an audit filter names by code, or a refusal on the field.
pub async fn agency_of_code(app: &App, code: &str) -> Result<String> {
    itas_store::agencies::by_code(&app.db, code.trim())
        .await?
        .map(|a| a.id)
        .ok_or_else(|| {
            Error::invalid(vec![FieldProblem::new(
                "agency",
                "ไม่พบรหัสหน่วยงานนี้",
                "No agency has this code",
            )])
        })
}

/// How many entries a filter keeps.
pub async fn count(app: &App, actor: &Actor, f: &Filter) -> Result<i64> {
    crate::rounds::require_central(actor)?;
    Ok(itas_store::audit::count(&app.db, f).await?)
}

/// A page of the entries a filter keeps, newest first.
pub async fn entries(
    app: &App,
    actor: &Actor,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditEntry>> {
    crate::rounds::require_central(actor)?;
    Ok(itas_store::audit::entries(&app.db, f, limit, offset).await?)
}

/// Every action the log holds, for the filter's choices.
pub async fn actions(app: &App, actor: &Actor) -> Result<Vec<String>> {
    crate::rounds::require_central(actor)?;
    Ok(itas_store::audit::actions(&app.db).await?)
}

/// Who and what the entries name: users as "name (username)", rounds by
/// name, agencies as "name (code)" (some entities are "agency/round").
pub struct Names {
    pub users: HashMap<String, String>,
    pub others: HashMap<String, String>,
}

/// The names of the users, rounds and agencies `entries` refer to.
pub async fn names(app: &App, actor: &Actor, entries: &[AuditEntry]) -> Result<Names> {
    if actor.role != itas_core::directory::Role::CentralAdmin {
        return Err(Error::new(ErrorCode::Forbidden));
    }
    let users: HashMap<String, String> = itas_store::users::list(&app.db)
        .await?
        .into_iter()
        .map(|u| (u.id, format!("{} ({})", u.display_name, u.username)))
        .collect();
    let mut others: HashMap<String, String> = itas_store::rounds::list(&app.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    others.extend(users.clone());
    for e in entries {
        for id in e.entity_id.split('/') {
            if !others.contains_key(id)
                && let Some(a) = itas_store::agencies::get(&app.db, id).await?
            {
                others.insert(id.to_string(), format!("{} ({})", a.name_th, a.code));
            }
        }
    }
    Ok(Names { users, others })
}
