//! The central office's parts list and one agency's session page.

use crate::pages::PageCtx;
use askama::Template;
use itas_app::central_parts::AgencyParts;
use itas_store::rounds::Round;

#[derive(Template)]
#[template(path = "admin_parts.html")]
pub(crate) struct PartsPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    /// (key, name).
    pub(crate) parts: Vec<(String, String)>,
    pub(crate) agencies: Vec<AgencyParts>,
    pub(crate) matching: String,
    pub(crate) collecting: bool,
    pub(crate) q: String,
    /// The offset of the next page, when there is one.
    pub(crate) next: Option<usize>,
}

#[derive(Template)]
#[template(path = "admin_part_session.html")]
pub(crate) struct PartSessionPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    pub(crate) key: String,
    pub(crate) part: String,
    pub(crate) agency_id: String,
    pub(crate) agency: String,
    /// None until the agency's link of this part is made.
    pub(crate) url: Option<String>,
    pub(crate) qr_svg: String,
    pub(crate) count: String,
    pub(crate) collecting: bool,
}
