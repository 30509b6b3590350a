//! The templates and view models of `routes::tokens`.

use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use itas_store::api_tokens::Scope;

#[derive(serde::Deserialize, Clone, Debug)]
pub struct TokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default = "read")]
    pub scope: String,
    #[serde(default = "ninety")]
    pub days: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        TokenForm {
            name: String::new(),
            scope: read(),
            days: ninety(),
        }
    }
}

impl TokenForm {
    pub(crate) fn input(&self) -> itas_app::tokens::NewToken {
        itas_app::tokens::NewToken {
            name: self.name.clone(),
            scope: Scope::parse(&self.scope),
            days: itas_app::collection::NumberInput::Text(self.days.clone()),
        }
    }
}

pub struct TokenLine {
    pub id: String,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub status: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub(crate) struct TokensPage {
    pub(crate) ctx: PageCtx,
    pub(crate) tokens: Vec<TokenLine>,
    pub(crate) new_token: Option<String>,
    pub(crate) form: TokenForm,
    pub(crate) errors: FieldErrors,
}

/// One token in the central office's list.
pub struct AdminTokenLine {
    pub line: TokenLine,
    pub user: String,
    pub calls: String,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
pub(crate) struct AllTokensPage {
    pub(crate) ctx: PageCtx,
    pub(crate) tokens: Vec<AdminTokenLine>,
    pub(crate) total: String,
    pub(crate) page: i64,
    pub(crate) pages: i64,
    pub(crate) notice: Option<String>,
}

pub(crate) fn read() -> String {
    "read".into()
}
pub(crate) fn ninety() -> String {
    "90".into()
}
