//! A round's figures, for a whole round or one province or parent agency
//! in it: the share at the pass mark against the national target, the
//! levels, the average per tool and per indicator, each province for the
//! map. Every figure is a mean or a count of the engine's published
//! scores, kept exact and rounded half up once. (The web crate draws them.)

use crate::App;
use crate::error::Error;
use crate::lang::Lang;
use crate::published::{GroupSummary, ResultRow, summarise};
use itas_core::framework::{Framework, ResultRule};
use itas_core::{Exact, Score};
use itas_reports::charts::ProvinceFigure;
use std::collections::BTreeMap;

/// Which agencies of a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Nation,
    Province(String),
    /// A parent agency (its id) and the agencies under it.
    Parent(String),
}

impl Scope {
    pub fn of(province: Option<&str>, parent: Option<&str>) -> Scope {
        match (
            province.filter(|p| !p.is_empty()),
            parent.filter(|p| !p.is_empty()),
        ) {
            (Some(p), _) => Scope::Province(p.to_string()),
            (None, Some(p)) => Scope::Parent(p.to_string()),
            _ => Scope::Nation,
        }
    }

    pub fn keeps(&self, r: &ResultRow) -> bool {
        match self {
            Scope::Nation => true,
            Scope::Province(p) => r.province == *p,
            Scope::Parent(id) => r.parent_id.as_deref() == Some(id) || r.agency_id == *id,
        }
    }

    /// The query string that selects it (URL-encoded), empty for the nation.
    pub fn query(&self) -> String {
        let enc = |s: &str| url_encode(s);
        match self {
            Scope::Nation => String::new(),
            Scope::Province(p) => format!("province={}", enc(p)),
            Scope::Parent(id) => format!("parent={}", enc(id)),
        }
    }
}

/// Percent-encoding for a query value (Thai province names are UTF-8).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The mean of published scores, rounded half up once.
pub fn mean(scores: impl Iterator<Item = Score>) -> Option<Score> {
    let (mut sum, mut n) = (0i128, 0i128);
    for s in scores {
        sum += i128::from(s.hundredths());
        n += 1;
    }
    (n > 0).then(|| Score::round_half_up(Exact::new(sum, 100 * n)))
}

/// The figures of a scope.
#[derive(Clone, Debug)]
pub struct Overview {
    pub summary: GroupSummary,
    /// (tool code, Thai name, mean), in framework order.
    pub tools: Vec<(String, String, Score)>,
    /// (indicator number, Thai name, mean), in framework order.
    pub indicators: Vec<(u32, String, Score)>,
}

pub fn overview(fw: &Framework, rows: &[&ResultRow]) -> Overview {
    let tools = fw
        .tools
        .iter()
        .filter_map(|t| {
            mean(
                rows.iter()
                    .filter_map(|r| r.card.tools.get(&t.code).copied()),
            )
            .map(|m| (t.code.clone(), t.name_th.clone(), m))
        })
        .collect();
    let indicators = fw
        .indicators
        .iter()
        .filter_map(|i| {
            mean(
                rows.iter()
                    .filter_map(|r| r.card.indicators.get(&i.number).copied()),
            )
            .map(|m| (i.number, i.name_th.clone(), m))
        })
        .collect();
    Overview {
        summary: summarise(fw, String::new(), rows),
        tools,
        indicators,
    }
}

/// Each province's summary, for the map.
pub fn by_province(fw: &Framework, rows: &[&ResultRow]) -> BTreeMap<String, GroupSummary> {
    let mut groups: BTreeMap<String, Vec<&ResultRow>> = BTreeMap::new();
    for r in rows {
        groups.entry(r.province.clone()).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(p, members)| {
            let s = summarise(fw, p.clone(), &members);
            (p, s)
        })
        .collect()
}

/// An indicator's number, Thai name and mean.
pub type IndicatorMean = (u32, String, Score);

/// The best and the weakest indicators by mean: (number, name, mean), up to `n` each.
pub fn best_and_weakest(o: &Overview, n: usize) -> (Vec<IndicatorMean>, Vec<IndicatorMean>) {
    let mut sorted = o.indicators.clone();
    sorted.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let best: Vec<_> = sorted.iter().take(n).cloned().collect();
    let weakest: Vec<_> = sorted.iter().rev().take(n).cloned().collect();
    (best, weakest)
}

/// The scope's figures in a round, kept like the score table they come from.
pub async fn cached_overview(
    app: &App,
    round_id: &str,
    fw: &Framework,
    table: &[ResultRow],
    scope: &Scope,
) -> Result<std::sync::Arc<Overview>, Error> {
    let generation = itas_store::rounds::scores_generation();
    app.caches
        .overviews
        .get_or_compute(
            &format!("{round_id}|{}", scope.query()),
            generation,
            || async {
                let rows: Vec<&ResultRow> = table.iter().filter(|r| scope.keeps(r)).collect();
                Ok::<_, Error>(overview(fw, &rows))
            },
        )
        .await
}

/// A round's provinces for the map, kept like the score table.
pub async fn cached_provinces(
    app: &App,
    round_id: &str,
    fw: &Framework,
    table: &[ResultRow],
) -> Result<std::sync::Arc<BTreeMap<String, GroupSummary>>, Error> {
    let generation = itas_store::rounds::scores_generation();
    app.caches
        .provinces
        .get_or_compute(round_id, generation, || async {
            let rows: Vec<&ResultRow> = table.iter().collect();
            Ok::<_, Error>(by_province(fw, &rows))
        })
        .await
}

/// A level's heading: its label under a framework of conditions (ผ่านดี …),
/// else its letter (AA … F).
pub fn level_head(lang: Lang, fw: &Framework, code: &str) -> String {
    match fw.levels.iter().find(|l| l.code == code) {
        Some(l) if fw.result_rule == ResultRule::Conditions => {
            lang.pick(&l.name_th, &l.name_en).to_string()
        }
        _ => code.to_string(),
    }
}

/// The scope's name as a heading: "จังหวัดขอนแก่น", a parent agency's name;
/// none for the nation.
pub async fn scope_name(app: &App, lang: Lang, scope: &Scope) -> Result<Option<String>, Error> {
    Ok(match scope {
        Scope::Nation => None,
        Scope::Province(p) if p.is_empty() => Some(String::new()),
        Scope::Province(p) => Some(lang.province(p)),
        Scope::Parent(id) => Some(
            crate::agencies::named(app, id)
                .await?
                .map(|a| {
                    format!(
                        "{} {}",
                        a.name_th,
                        lang.pick("และหน่วยงานในสังกัด", "and the agencies under it")
                    )
                })
                .unwrap_or_else(|| id.clone()),
        ),
    })
}

/// The words of the map legend.
pub fn map_legend(lang: Lang, target_percent: u32) -> Vec<String> {
    let t = i64::from(target_percent);
    let step = |k: i64| lang.num(&(t * k / 4).to_string());
    vec![
        format!("{} {}%", lang.pick("ต่ำกว่า", "below"), step(1)),
        format!("{}–{}%", step(1), step(2)),
        format!("{}–{}%", step(2), step(3)),
        format!("{}–{}%", step(3), step(4)),
        format!(
            "{}% {}",
            step(4),
            lang.pick("ขึ้นไป (ถึงเป้าหมาย)", "or more (the target)")
        ),
        format!(
            "{} {} {}",
            lang.pick("น้อยกว่า", "fewer than"),
            lang.num(&itas_reports::charts::MAP_MIN_AGENCIES.to_string()),
            lang.pick("หน่วยงาน (ไม่แสดงร้อยละ)", "agencies (no share shown)")
        ),
        lang.pick("ไม่มีหน่วยงานในรอบนี้", "no agency in this round")
            .to_string(),
    ]
}

/// Provinces as map figures, each linking to its own dashboard.
pub fn province_figures(
    lang: Lang,
    round_id: &str,
    provinces: &BTreeMap<String, GroupSummary>,
) -> Vec<ProvinceFigure> {
    provinces
        .iter()
        .map(|(p, s)| ProvinceFigure {
            province: p.clone(),
            agencies: s.agencies,
            share_hundredths: s.share_at_pass.hundredths(),
            share_text: lang.num(&s.share_at_pass.to_string()),
            href: format!("/results/{round_id}?province={}", url_encode(p)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_is_exact_and_rounded_once() {
        let s = |h: i64| Score::from_hundredths(h);
        // (84.99 + 85.00 + 85.00) / 3 = 84.99666… → 85.00
        assert_eq!(
            mean([s(8_499), s(8_500), s(8_500)].into_iter()),
            Some(s(8_500))
        );
        assert_eq!(mean(std::iter::empty()), None);
    }

    #[test]
    fn scopes_select_by_query_value() {
        assert_eq!(
            Scope::of(Some("ขอนแก่น"), None),
            Scope::Province("ขอนแก่น".into())
        );
        assert_eq!(Scope::of(Some(""), Some("P1")), Scope::Parent("P1".into()));
        assert_eq!(Scope::of(None, None), Scope::Nation);
        assert_eq!(
            Scope::Province("ตาก".into()).query(),
            "province=%E0%B8%95%E0%B8%B2%E0%B8%81"
        );
    }
}
