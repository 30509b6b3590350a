//! The agency's public page of its ITA result and measures: where it
//! lives, finding it, and its publication by the agency's own admin.

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, Result};
use itas_core::directory::Role;
use itas_store::agencies::Agency;
use itas_store::public_pages::{self, FoundPage, PageState};

/// The page's path for an agency and a fiscal year (Buddhist era).
pub fn path_of(agency_code: &str, fiscal_year: i64) -> String {
    format!("/p/{agency_code}/ita/{fiscal_year}")
}

/// Reads `/p/{code}/ita/{year}` (with or without a trailing slash) from a
/// URL: the agency code and fiscal year of an itas public page.
pub fn page_of_url(url: &str) -> Option<(String, i64)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let path = rest.find('/').map(|i| &rest[i..])?;
    let path = path.split(['?', '#']).next()?.trim_end_matches('/');
    let mut parts = path.strip_prefix("/p/")?.split('/');
    let (code, ita, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || ita != "ita" || code.is_empty() {
        return None;
    }
    Some((code.to_string(), year.parse().ok()?))
}

/// The agency and the page an address names (`/p/{code}/ita/{year}`);
/// a withdrawn page is `page_withdrawn`, never shown.
pub async fn find(app: &App, code: &str, year: &str) -> Result<(Agency, FoundPage)> {
    let not_found = || Error::new(ErrorCode::NotFound);
    let year: i64 = year.parse().map_err(|_| not_found())?;
    let agency = itas_store::agencies::by_code(&app.db, code)
        .await?
        .ok_or_else(not_found)?;
    let found = public_pages::for_year(&app.db, &agency.id, year)
        .await?
        .ok_or_else(not_found)?;
    if let PageState::Withdrawn(_) = found.state {
        return Err(Error::new(ErrorCode::PageWithdrawn));
    }
    Ok((agency, found))
}

/// Whether an agency's page of a round is published, withdrawn or never made.
pub async fn state_of(app: &App, agency_id: &str, round_id: &str) -> Result<Option<PageState>> {
    Ok(public_pages::get(&app.db, agency_id, round_id).await?)
}

/// The agency's latest published page of a round before `fiscal_year`:
/// (the page's path, its fiscal year), for OIT evidence.
pub async fn latest_before(
    app: &App,
    agency_id: &str,
    fiscal_year: i64,
) -> Result<Option<(String, i64)>> {
    let Some(found) =
        public_pages::latest_published_before(&app.db, agency_id, fiscal_year).await?
    else {
        return Ok(None);
    };
    let Some(agency) = itas_store::agencies::get(&app.db, agency_id).await? else {
        return Ok(None);
    };
    Ok(Some((
        path_of(&agency.code, found.fiscal_year),
        found.fiscal_year,
    )))
}

/// Refuses anyone but the agency's own admin: the one who publishes and
/// withdraws its page.
pub fn require_own(actor: &Actor, agency_id: &str) -> Result<()> {
    if actor.role != Role::AgencyAdmin || actor.agency_id.as_deref() != Some(agency_id) {
        return Err(Error::new(ErrorCode::Forbidden));
    }
    Ok(())
}

/// Publishes (true) or withdraws (false) the agency's page of a round: its
/// own admin only; audited.
pub async fn set_published(
    app: &App,
    actor: &Actor,
    agency_id: &str,
    round_id: &str,
    publish: bool,
) -> Result<()> {
    require_own(actor, agency_id)?;
    let now = itas_store::now_ms();
    if publish {
        public_pages::publish(&app.db, Some(&actor.user_id), agency_id, round_id, now).await?;
    } else {
        public_pages::withdraw(&app.db, Some(&actor.user_id), agency_id, round_id, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::page_of_url;

    #[test]
    fn a_page_address_is_read_back_and_nothing_else_is() {
        assert_eq!(
            page_of_url("https://ita.example.go.th/p/KK-HUANONG/ita/2564"),
            Some(("KK-HUANONG".into(), 2564))
        );
        assert_eq!(
            page_of_url("http://127.0.0.1:8080/p/KK-HUANONG/ita/2564/?x=1#m"),
            Some(("KK-HUANONG".into(), 2564))
        );
        for other in [
            "https://a.go.th/p/KK/ita/2564/report.pdf",
            "https://a.go.th/p/KK/oit/2564",
            "https://a.go.th/p//ita/2564",
            "https://a.go.th/p/KK/ita/year",
            "https://a.go.th/x/p/KK/ita/2564",
            "ftp://a.go.th/p/KK/ita/2564",
        ] {
            assert_eq!(page_of_url(other), None, "{other}");
        }
    }
}
