//! The templates and view models of `routes::admin`.

use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use itas_app::participants::ParticipantRow;
use itas_core::directory::Phase;
use itas_store::agencies::{Agency, ImportReport};
use itas_store::rounds::Round;
use itas_store::users::User;
use std::collections::HashMap;

pub struct RoundRow {
    pub round: Round,
    pub state: String,
    pub participants: i64,
}

#[derive(Template)]
#[template(path = "admin_home.html")]
pub(crate) struct HomePage {
    pub(crate) ctx: PageCtx,
    pub(crate) rounds: Vec<RoundRow>,
}

/// The values of the new-round form, kept when it is refused.
#[derive(Default)]
pub(crate) struct RoundForm {
    pub(crate) name: String,
    pub(crate) fiscal_year: String,
    pub(crate) framework: String,
    pub(crate) framework_toml: String,
    pub(crate) dates: HashMap<String, String>,
}

impl RoundForm {
    pub(crate) fn date(&self, key: &str) -> &str {
        self.dates.get(key).map_or("", String::as_str)
    }

    /// The framework text below wins over the list; the list says so.
    pub(crate) fn uses_text(&self) -> bool {
        !self.framework_toml.trim().is_empty()
    }

    /// The code the text declares (`code = "…"`), to name it in the list.
    pub(crate) fn text_code(&self) -> String {
        self.framework_toml
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("code"))
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_string())
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "admin_round_new.html")]
pub(crate) struct NewRoundPage {
    pub(crate) ctx: PageCtx,
    pub(crate) form: RoundForm,
    pub(crate) errors: FieldErrors,
    pub(crate) embedded: Vec<&'static str>,
    pub(crate) phases: Vec<Phase>,
}

#[derive(Template)]
#[template(path = "admin_round.html")]
pub(crate) struct RoundPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    pub(crate) state: String,
    pub(crate) phases: Vec<(Phase, String, String)>,
    /// One page of participants.
    pub(crate) participants: Vec<ParticipantRow>,
    pub(crate) participant_total: usize,
    pub(crate) page: usize,
    pub(crate) pages: usize,
    pub(crate) behind: usize,
    /// Assignments in the whole round (those listed are this page's).
    pub(crate) assigned_total: usize,
    pub(crate) assessors: Vec<User>,
    pub(crate) assignments: Vec<(String, String, String, String)>,
    pub(crate) errors: FieldErrors,
    /// Parts of the round's framework not confirmed by an official text.
    pub(crate) provisional: Vec<String>,
    /// Survey parts the central office collects itself (the EIT's part 2).
    pub(crate) central_parts: Vec<String>,
    /// Size codes of the framework's minimum-sample table (empty: no table).
    pub(crate) sizes: Vec<String>,
    /// What the user typed into a refused form, by field name.
    pub(crate) kept: Kept,
    /// The review before publishing: the last scoring run's figures.
    pub(crate) publication: Publication,
}

/// Where a round's results stand: computed, reviewed, published.
pub(crate) struct Publication {
    /// Agencies computed by the last scoring run (none: never run).
    pub(crate) computed: Option<usize>,
    /// (agency code, why not computed), in the user's language.
    pub(crate) not_computed: Vec<(String, String)>,
    pub(crate) published: Option<String>,
    /// The publication phase has begun, so publishing makes results public now.
    pub(crate) phase_reached: bool,
}

/// Text a refused form had, to put back.
#[derive(Default)]
pub(crate) struct Kept(pub(crate) HashMap<String, String>);

impl Kept {
    pub(crate) fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub(crate) struct AgencyForm {
    #[serde(default)]
    pub(crate) code: String,
    #[serde(default)]
    pub(crate) name_th: String,
    #[serde(default)]
    pub(crate) name_en: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) province: String,
    #[serde(default)]
    pub(crate) parent_code: String,
    #[serde(default)]
    pub(crate) website: String,
}

#[derive(Template)]
#[template(path = "admin_agencies.html")]
pub(crate) struct AgenciesPage {
    pub(crate) ctx: PageCtx,
    pub(crate) q: String,
    pub(crate) agencies: Vec<Agency>,
    pub(crate) total: i64,
    pub(crate) page: i64,
    pub(crate) pages: i64,
    pub(crate) form: AgencyForm,
    pub(crate) error: String,
}

#[derive(Template)]
#[template(path = "admin_import.html")]
pub(crate) struct ImportPage {
    pub(crate) ctx: PageCtx,
    pub(crate) report: Option<ImportReport>,
    pub(crate) error: String,
}

#[derive(serde::Deserialize, Default, Clone)]
pub(crate) struct UserForm {
    #[serde(default)]
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) role: String,
    #[serde(default)]
    pub(crate) agency_code: String,
    #[serde(default)]
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) email: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub(crate) struct UsersPage {
    pub(crate) ctx: PageCtx,
    pub(crate) users: Vec<(User, String)>,
    pub(crate) form: UserForm,
    pub(crate) errors: FieldErrors,
    /// No `--smtp-url`: one-time sign-in links cannot be sent.
    pub(crate) mail_off: bool,
}
