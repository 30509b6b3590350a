//! The pages' templates and their view models, one file per family of pages
//! beside its handlers in `routes/` (`routes::oit` renders `views::oit`).
//! A view knows how a page looks and nothing of where its data comes from:
//! it imports nothing from `routes`.

pub mod admin;
pub mod agency;
pub mod assessor;
pub mod audit;
pub mod central_parts;
pub mod dashboard;
pub mod history;
pub mod oit;
pub mod plan;
pub mod public;
pub mod public_page;
pub mod quality;
pub mod reminders;
pub mod results;
pub mod survey;
pub mod tokens;
