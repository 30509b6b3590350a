//! The templates and view models of `routes::audit`.

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::PageCtx;
use askama::Template;
use itas_store::audit::Filter;

/// The filter as the form sends it: text fields, any of them empty.
#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    /// An agency code.
    #[serde(default)]
    pub agency: String,
    /// A round id.
    #[serde(default)]
    pub round: String,
    /// YYYY-MM-DD, Bangkok time, inclusive.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub page: Option<i64>,
}

impl AuditQuery {
    /// The store's filter, or a message naming the field that is wrong.
    pub(crate) async fn filter(&self, state: &AppState, lang: Lang) -> Result<Filter, AppError> {
        let bad = |th: &str, en: &str| {
            AppError::new(crate::error::ErrorCode::Invalid)
                .in_lang(lang)
                .detail(lang.pick(th, en))
        };
        let mut f = Filter {
            actor: Some(self.actor.trim().to_string()).filter(|s| !s.is_empty()),
            action: Some(self.action.trim().to_string()).filter(|s| !s.is_empty()),
            ..Filter::default()
        };
        let agency = self.agency.trim();
        if !agency.is_empty() {
            let id = itas_app::audit::agency_of_code(state, agency)
                .await
                .map_err(|e| match e.fields.first() {
                    Some(p) => bad(&p.th, &p.en),
                    None => AppError::from(e).in_lang(lang),
                })?;
            f.about.push(id);
        }
        if !self.round.trim().is_empty() {
            f.about.push(self.round.trim().to_string());
        }
        if !self.from.trim().is_empty() {
            f.from = Some(
                bangkok_midnight(&self.from)
                    .ok_or_else(|| bad("วันที่เริ่มต้องเป็น ปปปป-ดด-วว", "From must be YYYY-MM-DD"))?,
            );
        }
        if !self.to.trim().is_empty() {
            let end = bangkok_midnight(&self.to)
                .ok_or_else(|| bad("วันที่สิ้นสุดต้องเป็น ปปปป-ดด-วว", "To must be YYYY-MM-DD"))?;
            f.until = Some(end + 86_400_000);
        }
        Ok(f)
    }

    /// The query string of this filter without the page (for links).
    pub(crate) fn query(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("agency", &self.agency),
            ("round", &self.round),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", crate::loadgen::enc(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One entry as the page and the CSV show it.
pub struct EntryLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub action_code: String,
    pub what: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub(crate) struct AuditPage {
    pub(crate) ctx: PageCtx,
    pub(crate) q: AuditQuery,
    pub(crate) entries: Vec<EntryLine>,
    pub(crate) total: String,
    pub(crate) page: i64,
    pub(crate) pages: i64,
    pub(crate) query: String,
    pub(crate) users: Vec<(String, String)>,
    pub(crate) actions: Vec<(String, String)>,
    pub(crate) rounds: Vec<(String, String)>,
    pub(crate) error: Option<String>,
}

/// Midnight in Bangkok at the start of `day` (YYYY-MM-DD), in milliseconds.
pub(crate) fn bangkok_midnight(day: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(day.trim(), &fmt).ok()?;
    Some(
        d.midnight()
            .assume_offset(time::macros::offset!(+7))
            .unix_timestamp()
            * 1000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_bangkok() {
        // 2026-12-06 00:00 +07:00 is 2026-12-05 17:00 UTC.
        assert_eq!(bangkok_midnight("2026-12-06"), Some(1_796_490_000_000));
        assert_eq!(bangkok_midnight("6/12/2026"), None);
    }
}
