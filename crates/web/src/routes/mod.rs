//! Routes by audience: the public, the central office, agencies, assessors, the API.

pub(crate) mod admin;
pub(crate) mod agency;
pub(crate) mod api;
pub(crate) mod api_rounds;
mod assessor;
mod audit;
mod central_parts;
pub(crate) mod dashboard;
pub(crate) mod history;
pub(crate) mod oit;
mod open_data;
pub mod openapi;
pub(crate) mod plan;
mod public;
pub(crate) mod public_page;
pub(crate) mod quality;
mod reminders;
pub(crate) mod results;
pub(crate) mod survey;
pub(crate) mod tokens;

use crate::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::routes())
        .merge(admin::routes())
        .merge(audit::routes())
        .merge(agency::routes())
        .merge(assessor::routes())
        .merge(results::routes())
        .merge(dashboard::routes())
        .merge(plan::routes())
        .merge(public_page::routes())
        .merge(oit::routes())
        .merge(api::routes())
        .merge(api_rounds::routes())
        .merge(quality::routes())
        .merge(survey::routes())
        .merge(tokens::routes())
        .merge(open_data::routes())
        .merge(history::routes())
        .merge(reminders::routes())
        .merge(central_parts::routes())
}
