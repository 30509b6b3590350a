//! The templates and view models of `routes::assessor`.

use crate::pages::PageCtx;
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::rounds::Round;

#[derive(Template)]
#[template(path = "assessor_home.html")]
pub(crate) struct AssessorPage {
    pub(crate) ctx: PageCtx,
    pub(crate) rounds: Vec<(Round, Vec<(Agency, String)>)>,
}
