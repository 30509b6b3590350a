//! The templates and view models of `routes::oit`.

use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::oit::StoredDecision;
use itas_store::rounds::Round;

/// One checklist item as a page shows it.
pub struct ItemView {
    pub code: String,
    pub indicator: u32,
    pub sub: String,
    pub text: String,
    pub requirement: String,
    pub urls: String,
    pub url_list: Vec<String>,
    /// Per URL: (url, light code, light name, findings in Thai, check id).
    pub checks: Vec<(String, String, String, String, String)>,
    pub explanation: String,
    pub editable: bool,
    pub first: Option<StoredDecision>,
    pub second: Option<StoredDecision>,
    /// For the assessor: which round they may decide now.
    pub decide: Option<i64>,
    pub final_passed: Option<bool>,
    /// The agency's published itas page can be this item's evidence.
    pub itas_page: bool,
}

#[derive(Template)]
#[template(path = "oit_agency.html")]
pub(crate) struct AgencyOitPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    pub(crate) phase: String,
    pub(crate) submitted: bool,
    pub(crate) can_submit: bool,
    pub(crate) items: Vec<ItemView>,
    pub(crate) empty: usize,
    pub(crate) errors: FieldErrors,
    pub(crate) scores: Option<Vec<(String, String)>>,
    /// The agency's newest public itas page of an earlier year: (URL, year).
    pub(crate) itas_offer: Option<(String, String)>,
    /// Where to publish one when there is none: the plan of its latest earlier round.
    pub(crate) itas_plan_link: Option<String>,
}

#[derive(Template)]
#[template(path = "oit_assessor.html")]
pub(crate) struct AssessorOitPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    pub(crate) agency: Agency,
    pub(crate) phase: String,
    pub(crate) submitted: bool,
    pub(crate) items: Vec<ItemView>,
    pub(crate) reasons: Vec<(&'static str, &'static str)>,
    pub(crate) decided: usize,
    pub(crate) scores: Option<Vec<(String, String)>>,
    pub(crate) errors: FieldErrors,
    /// Why no decision can be made today, and when one can.
    pub(crate) review_note: Option<String>,
}
