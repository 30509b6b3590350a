//! The one-page infographic of a round, for the nation, a province or a
//! parent agency and those under it: what goes on the page, in Thai. The web
//! crate renders it through its memo of rendered files; the CLI renders it
//! directly. The map legend and the provinces' figures come from
//! [`crate::figures`], shared with the dashboard page, which draws the same map.

use crate::App;
use crate::error::{Error, ErrorCode};
use crate::figures::{
    IndicatorMean, Overview, Scope, best_and_weakest, by_province, level_head, map_legend,
    overview, province_figures, scope_name,
};
use crate::lang::Lang;
use crate::published::{GroupSummary, ResultRow, round_rows, summarise};
use itas_core::Score;
use itas_core::directory::AgencyKind;
use itas_core::framework::Framework;
use itas_reports::charts::ProvinceFigure;
use itas_reports::infographic::Infographic;
use itas_store::rounds::Round;
use std::collections::BTreeMap;

/// What the infographic of `round` within `scope` shows; `NoResults` when no
/// agency in the scope has results.
pub async fn document(app: &App, round: &Round, scope: &Scope) -> Result<Infographic, Error> {
    let lang = Lang::Th;
    let fw = crate::survey::round_framework(app, &round.id).await?;
    let table = round_rows(app, round, &fw).await?;
    let rows: Vec<&ResultRow> = table.iter().filter(|r| scope.keeps(r)).collect();
    if rows.is_empty() {
        return Err(ErrorCode::NoResults.into());
    }
    let figures = overview(&fw, &rows);
    // The nation by province, a province or a parent's agencies by kind.
    let by_kind = *scope != Scope::Nation;
    let mut grouped: BTreeMap<String, Vec<&ResultRow>> = BTreeMap::new();
    for r in rows.iter().copied() {
        let key = if by_kind { &r.kind } else { &r.province };
        grouped.entry(key.clone()).or_default().push(r);
    }
    let groups: Vec<(String, GroupSummary)> = grouped
        .into_iter()
        .map(|(key, members)| {
            let name = key
                .parse::<AgencyKind>()
                .map(|k| k.name_th().to_string())
                .unwrap_or(key.clone());
            (name, summarise(&fw, key, &members))
        })
        .collect();
    let level_heads: Vec<String> = fw
        .levels
        .iter()
        .map(|l| level_head(lang, &fw, &l.code))
        .collect();
    let map = (*scope == Scope::Nation)
        .then(|| province_figures(lang, &round.id, &by_province(&fw, &rows)));
    let name = scope_name(app, lang, scope)
        .await?
        .unwrap_or_else(|| "ทุกหน่วยงานที่มีผลในรอบนี้".to_string());
    let footer = format!(
        "ที่มา: ระบบ itas · {} · กรอบการประเมิน {} · ข้อมูล ณ วันที่ {}",
        round.name,
        fw.name_th,
        itas_core::thai::format_date(crate::today(), itas_core::thai::Digits::Thai)
    );
    Ok(compose(
        lang,
        &fw,
        round.fiscal_year,
        &name,
        &level_heads,
        &figures,
        &groups,
        map,
        footer,
    ))
}

#[allow(clippy::too_many_arguments)]
fn compose(
    lang: Lang,
    fw: &Framework,
    fiscal_year: i64,
    scope_name: &str,
    level_heads: &[String],
    o: &Overview,
    groups: &[(String, GroupSummary)],
    map: Option<Vec<ProvinceFigure>>,
    footer: String,
) -> Infographic {
    let line = |label: String, s: Score| (label, s.hundredths(), lang.num(&s.to_string()));
    let (best, weakest) = best_and_weakest(o, 3);
    let ind = |v: Vec<IndicatorMean>| {
        v.into_iter()
            .map(|(n, name, m)| line(format!("{}. {name}", lang.num(&n.to_string())), m))
            .collect()
    };
    let mut sorted: Vec<&(String, GroupSummary)> = groups.iter().collect();
    sorted.sort_by(|a, b| b.1.average.cmp(&a.1.average).then(a.0.cmp(&b.0)));
    let target = fw.national_target_percent;
    Infographic {
        title: format!(
            "{} {}",
            lang.pick(
                "ผลการประเมิน ITA ประจำปีงบประมาณ พ.ศ.",
                "ITA results, fiscal year"
            ),
            lang.num(&fiscal_year.to_string())
        ),
        scope: scope_name.to_string(),
        headline: vec![
            (
                lang.pick("หน่วยงานที่มีผลการประเมิน", "agencies with results")
                    .to_string(),
                lang.num(&o.summary.agencies.to_string()),
            ),
            (
                lang.pick("คะแนนเฉลี่ยภาพรวม", "average overall").to_string(),
                lang.num(&o.summary.average.to_string()),
            ),
            (
                lang.pick("ร้อยละที่ได้ ๘๕ คะแนนขึ้นไป", "% at 85 or more")
                    .to_string(),
                format!("{}%", lang.num(&o.summary.share_at_pass.to_string())),
            ),
        ],
        share_hundredths: o.summary.share_at_pass.hundredths(),
        share_text: lang.num(&o.summary.share_at_pass.to_string()),
        target_percent: target,
        target_text: format!(
            "{} {} {}",
            lang.pick("เป้าหมายระดับชาติ: ร้อยละ", "National target:"),
            lang.num(&target.to_string()),
            lang.pick("ของหน่วยงานได้ ๘๕ คะแนนขึ้นไป", "% of agencies at 85 or more")
        ),
        map_legend: map_legend(lang, target),
        map,
        groups: sorted
            .iter()
            .take(14)
            .map(|(name, s)| line(name.clone(), s.average))
            .collect(),
        groups_title: lang
            .pick("คะแนนเฉลี่ยตามประเภทหน่วยงาน", "Average by agency kind")
            .to_string(),
        levels: o
            .summary
            .levels
            .iter()
            .zip(level_heads)
            .map(|((_, n), head)| (head.clone(), lang.num(&n.to_string())))
            .collect(),
        // The code alone: the tools' full names wrap on a third of a page.
        tools: o
            .tools
            .iter()
            .map(|(code, _, m)| line(code.clone(), *m))
            .collect(),
        best: ind(best),
        weakest: ind(weakest),
        headings: [
            lang.pick("จำนวนหน่วยงานตามผลการประเมิน", "Agencies by result")
                .to_string(),
            lang.pick("คะแนนเฉลี่ยรายเครื่องมือ", "Average per tool")
                .to_string(),
            lang.pick("ตัวชี้วัดที่คะแนนเฉลี่ยสูงสุด", "Best indicators")
                .to_string(),
            lang.pick("ตัวชี้วัดที่คะแนนเฉลี่ยต่ำสุด", "Weakest indicators")
                .to_string(),
            lang.pick(
                "ร้อยละของหน่วยงานที่ได้ ๘๕ คะแนนขึ้นไป รายจังหวัด",
                "Share at 85 or more, by province",
            )
            .to_string(),
        ],
        footer,
    }
}
