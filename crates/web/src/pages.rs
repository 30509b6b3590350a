//! Page models: one struct per template. Handlers fill them; templates only show.

use crate::i18n::{Lang, t};
use askama::Template;
use itas_core::directory::{AgencyKind, Phase, Role};
use itas_core::thai::thai_digits;

/// What every page needs: language, who is signed in, a one-line notice.
#[derive(Clone, Debug, Default)]
pub struct PageCtx {
    pub lang: Lang,
    pub user_name: Option<String>,
    pub role: Option<Role>,
    pub notice: Option<String>,
    /// A banner that stays until its cause is gone (the central office's storage alert).
    pub alert: Option<String>,
    /// A header without navigation, sign-in or user: a respondent's page, or
    /// an error page (which does not know who is signed in).
    pub respondent: bool,
}

impl PageCtx {
    pub fn anonymous(lang: Lang) -> PageCtx {
        PageCtx {
            lang,
            ..Default::default()
        }
    }

    /// A page of a questionnaire: nothing in the header leads a respondent away.
    pub fn respondent(lang: Lang) -> PageCtx {
        PageCtx {
            lang,
            respondent: true,
            ..Default::default()
        }
    }

    pub fn for_user(u: &crate::auth::CurrentUser) -> PageCtx {
        PageCtx {
            lang: u.lang,
            user_name: Some(u.user.display_name.clone()),
            role: Some(u.role),
            notice: None,
            alert: u.storage_alert.clone(),
            respondent: false,
        }
    }

    pub fn with_notice(mut self, n: impl Into<String>) -> PageCtx {
        self.notice = Some(n.into());
        self
    }

    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The language the switch link leads to.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Th => "en",
            Lang::En => "th",
        }
    }

    pub fn role_name(&self) -> &'static str {
        self.role
            .map_or("", |r| self.lang.pick(r.name_th(), r.name_en()))
    }

    /// Navigation links for the signed-in role.
    pub fn nav(&self) -> Vec<(&'static str, &'static str)> {
        match self.role {
            Some(Role::CentralAdmin) => vec![
                ("/admin", self.t("rounds")),
                ("/admin/agencies", self.t("agencies")),
                ("/admin/history", self.t("earlier_results")),
                ("/admin/users", self.t("users")),
                ("/admin/audit", self.t("audit_log")),
                ("/results", self.t("results")),
                ("/account/tokens", self.pick("API", "API")),
            ],
            Some(Role::Assessor) => vec![
                ("/assessor", self.t("assigned_agencies")),
                ("/results", self.t("results")),
                ("/account/reminders", self.pick("อีเมลเตือน", "Reminders")),
                ("/account/tokens", self.pick("API", "API")),
            ],
            Some(Role::AgencyAdmin) => vec![
                ("/agency", self.t("home")),
                ("/results", self.t("results")),
                ("/account/reminders", self.pick("อีเมลเตือน", "Reminders")),
                ("/account/tokens", self.pick("API", "API")),
            ],
            None => vec![("/results", self.t("results"))],
        }
    }

    /// Digits as the reader expects them: Thai digits in Thai, Arabic in English.
    pub fn num(&self, s: &str) -> String {
        match self.lang {
            Lang::Th => thai_digits(s),
            Lang::En => s.to_string(),
        }
    }

    /// A round's or framework's name inside a line of Thai prose: its
    /// years in the digits of the figures beside it ("ITA ๒๕๖๘"), so no
    /// line mixes the two. Codes (ita-2568) are shown as they are.
    pub fn name(&self, s: &str) -> String {
        self.num(s)
    }

    /// "จังหวัดขอนแก่น" in Thai, "Province: ขอนแก่น" in English.
    pub fn province(&self, name: &str) -> String {
        self.lang.province(name)
    }

    pub fn pick<'a>(&self, th: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(th, en)
    }

    pub fn phase_name(&self, p: &Phase) -> &'static str {
        self.lang.pick(p.name_th(), p.name_en())
    }

    pub fn kind_name(&self, code: &str) -> String {
        self.lang.kind_name(code)
    }

    pub fn date(&self, ms: &i64) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ms / 1000) else {
            return String::new();
        };
        let t = t.to_offset(time::macros::offset!(+7));
        let s = format!(
            "{} {:02}:{:02}",
            itas_core::thai::format_date_short(t.date(), itas_core::thai::Digits::Arabic),
            t.hour(),
            t.minute()
        );
        self.num(&s)
    }

    /// A `YYYY-MM-DD` value as the Buddhist-era date a Thai reader expects,
    /// shown beside a date field (browsers show Gregorian dates); empty when
    /// the value is not a date.
    pub fn be_date(&self, value: &str) -> String {
        time::Date::parse(
            value.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|d| {
            let digits = match self.lang {
                Lang::Th => itas_core::thai::Digits::Thai,
                Lang::En => itas_core::thai::Digits::Arabic,
            };
            itas_core::thai::format_date(d, digits)
        })
        .unwrap_or_default()
    }

    pub fn role_label(&self, code: &str) -> &'static str {
        code.parse::<Role>()
            .map_or("", |r| self.lang.pick(r.name_th(), r.name_en()))
    }

    pub fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        AgencyKind::ALL
            .iter()
            .map(|k| (k.code(), self.lang.pick(k.name_th(), k.name_en())))
            .collect()
    }

    pub fn roles(&self) -> Vec<(&'static str, &'static str)> {
        Role::ALL
            .iter()
            .map(|r| (r.code(), self.lang.pick(r.name_th(), r.name_en())))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    /// Offer the sign-in page (the error is "please sign in").
    pub sign_in: bool,
    pub message: &'static str,
    pub detail: String,
    pub status: u16,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: PageCtx,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub ctx: PageCtx,
    pub username: String,
    pub next: String,
    pub error: String,
}

/// A form field that failed, with the message shown beside it.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }

    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An action's refusal, field by field, in the reader's language.
    pub fn of(problems: &[itas_app::error::FieldProblem], lang: Lang) -> FieldErrors {
        FieldErrors(
            problems
                .iter()
                .map(|p| (p.field.to_string(), p.message(lang).to_string()))
                .collect(),
        )
    }
}

/// The remarks on scores computed below a minimum sample, in the reader's
/// language: one per short survey tool.
pub fn sample_remarks(ctx: &PageCtx, samples: &[itas_core::sample::Sample]) -> Vec<String> {
    samples
        .iter()
        .filter(|s| s.is_short())
        .map(|s| ctx.num(ctx.pick(&s.remark_th(), &s.remark_en())))
        .collect()
}
