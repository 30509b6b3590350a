//! itas-app: the application between the web face and the store.
//!
//! Every action a user can take (set up a round, answer a survey, review
//! evidence, compute and publish scores, read results, plan) has its rule
//! here, once, called alike by the pages, the JSON API and the CLI. Nothing
//! here knows of HTTP, templates or the API document: an action takes its
//! input and the actor, and returns a value or an [`Error`] whose message
//! exists in Thai and English.

pub mod access;
pub mod agencies;
pub mod audit;
pub mod cache;
pub mod central_parts;
pub mod collection;
pub mod demo;
pub mod draft_cache;
pub mod error;
pub mod evidence_check;
pub mod figures;
pub mod framework_xlsx;
pub mod history;
pub mod housekeeping;
pub mod import;
pub mod infographic;
pub mod lang;
pub mod oit;
pub mod paging;
pub mod participants;
pub mod plans;
pub mod public_pages;
pub mod published;
pub mod quality;
pub mod reminders;
pub mod results;
pub mod rounds;
pub mod scoring_run;
pub mod secrets;
pub mod sign_in;
pub mod spreadsheet;
pub mod survey;
pub mod synthetic;
pub mod tokens;
pub mod users;

pub use error::{Error, ErrorCode, Result};
use itas_store::Db;
use std::sync::Arc;

/// What every action runs against: the database, the values kept from it,
/// the clock and how evidence is fetched. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub caches: Arc<cache::Caches>,
    pub clock: Clock,
    pub evidence: evidence_check::CheckerConfig,
}

impl App {
    pub fn new(db: Db, clock: Clock, evidence: evidence_check::CheckerConfig) -> App {
        App {
            db,
            caches: Arc::new(cache::Caches::default()),
            clock,
            evidence,
        }
    }
}

/// The server's clock: the system's, or one a test sets.
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn new(f: impl Fn() -> time::OffsetDateTime + Send + Sync + 'static) -> Clock {
        Clock(std::sync::Arc::new(f))
    }

    pub fn now(&self) -> time::OffsetDateTime {
        (self.0)()
    }

    /// The hour in Thailand (`YYYY-MM-DDTHH`), the finest time any answer
    /// aggregate keeps.
    pub fn bangkok_hour(&self) -> String {
        let t = self.now().to_offset(time::macros::offset!(+7));
        format!("{}T{:02}", t.date(), t.hour())
    }

    /// The day in Thailand.
    pub fn bangkok_day(&self) -> time::Date {
        self.now().to_offset(time::macros::offset!(+7)).date()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new(time::OffsetDateTime::now_utc)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// Today in Thailand (UTC+7 all year): the day phases, drafts and responses use.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date()
}
