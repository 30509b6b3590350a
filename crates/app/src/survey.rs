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
    let tool = fw.tool(&link.tool).ok_or(ErrorCode::NotFound)?;
    let agency = itas_store::agencies::get(&app.db, &link.agency_id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let open = Arc::new(OpenLink {
        require_code: surveys::require_code(&app.db, &link.round_id, &link.agency_id, &link.tool)
            .await?,
        state: itas_store::rounds::state_on(&phases, today()),
        tool_th: tool.name_th.clone(),
        tool_en: tool.name_en.clone(),
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
