//! What a dashboard draws and an infographic prints, for a whole round or one
//! province or parent agency in it: the share at the pass mark against the
//! national target, the levels, the average per tool and per indicator, each
//! province for the map, and the same figures over the rounds taken part in.
//! Every figure is a mean or a count of the engine's published scores, kept
//! exact and rounded half up once.

use crate::pages::PageCtx;
pub use itas_app::figures::{
    IndicatorMean, Overview, Scope, best_and_weakest, by_province, cached_overview,
    cached_provinces, mean, overview, url_encode,
};
use itas_app::published::GroupSummary;
use itas_core::Score;
use itas_core::framework::Framework;
use itas_reports::charts::ProvinceFigure;
use itas_reports::document::Bar;
use std::collections::BTreeMap;

/// A trend drawn: the chart, the round heads and the table's rows.
pub struct DrawnTrend {
    pub svg: String,
    pub heads: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

/// The page's charts, as SVG.
pub struct Drawn {
    pub gauge: String,
    pub levels: String,
    pub tools: String,
    pub groups: String,
    pub map: Option<String>,
}

/// The words of the map legend.
pub fn map_legend(ctx: &PageCtx, target_percent: u32) -> Vec<String> {
    itas_app::figures::map_legend(ctx.lang, target_percent)
}

/// Provinces as map figures, each linking to its own dashboard.
pub fn province_figures(
    ctx: &PageCtx,
    round_id: &str,
    provinces: &BTreeMap<String, GroupSummary>,
) -> Vec<ProvinceFigure> {
    itas_app::figures::province_figures(ctx.lang, round_id, provinces)
}

fn bar(ctx: &PageCtx, label: String, value: Score, pass: Score) -> Bar {
    Bar {
        label,
        text: ctx.num(&value.to_string()),
        value,
        below: value < pass,
    }
}

/// Draws the overview, the groups (sorted by average, best first) and, for
/// a whole round, the map.
pub fn draw(
    ctx: &PageCtx,
    fw: &Framework,
    level_heads: &[String],
    o: &Overview,
    groups: &[(String, GroupSummary)],
    map: Option<&[ProvinceFigure]>,
) -> Drawn {
    let target = fw.national_target_percent;
    let gauge = itas_reports::charts::target_gauge_svg(
        o.summary.share_at_pass.hundredths(),
        &ctx.num(&o.summary.share_at_pass.to_string()),
        target,
        &format!(
            "{} {}%",
            ctx.pick("เป้าหมาย", "target"),
            ctx.num(&target.to_string())
        ),
        &format!(
            "{} {}",
            ctx.pick("ร้อยละของหน่วยงานที่ได้", "Share of agencies at"),
            ctx.num(&format!(
                "{} {}",
                fw.pass_mark.to_string().trim_end_matches(".00"),
                ctx.pick("คะแนนขึ้นไป", "or more")
            ))
        ),
    );
    let columns: Vec<(String, usize, String)> = o
        .summary
        .levels
        .iter()
        .zip(level_heads)
        .map(|((_, n), head)| (head.clone(), *n, ctx.num(&n.to_string())))
        .collect();
    let levels = itas_reports::charts::distribution_svg(
        &columns,
        ctx.pick("จำนวนหน่วยงานตามผลการประเมิน", "Agencies by result"),
    );
    let tool_bars: Vec<Bar> = o
        .tools
        .iter()
        .map(|(code, _, m)| bar(ctx, code.clone(), *m, fw.pass_mark))
        .collect();
    let tools = itas_reports::html::bars_svg_named(
        &tool_bars,
        fw.pass_mark.hundredths(),
        ctx.pick("คะแนนเฉลี่ยรายเครื่องมือ", "Average per tool"),
    );
    let mut sorted: Vec<&(String, GroupSummary)> = groups.iter().collect();
    sorted.sort_by(|a, b| b.1.average.cmp(&a.1.average).then(a.0.cmp(&b.0)));
    let mut group_bars: Vec<Bar> = sorted
        .iter()
        .map(|(name, s)| bar(ctx, name.clone(), s.average, fw.pass_mark))
        .collect();
    // Hundreds of parent agencies make a chart no one reads: the best and
    // the weakest 40 are drawn, every group stays in the table.
    const DRAWN: usize = 40;
    if group_bars.len() > 2 * DRAWN {
        let hidden = group_bars.len() - 2 * DRAWN;
        let tail = group_bars.split_off(group_bars.len() - DRAWN);
        group_bars.truncate(DRAWN);
        group_bars.push(Bar {
            label: format!(
                "… {} {}",
                ctx.num(&hidden.to_string()),
                ctx.pick("กลุ่มอยู่ในตาราง", "more groups in the table")
            ),
            text: String::new(),
            value: Score::ZERO,
            below: false,
        });
        group_bars.extend(tail);
    }
    let groups = itas_reports::html::bars_svg_named(
        &group_bars,
        fw.pass_mark.hundredths(),
        ctx.pick("คะแนนเฉลี่ยรายกลุ่ม", "Average per group"),
    );
    let map = map.map(|figures| {
        let legend = map_legend(ctx, target);
        let [a, b, c, d, e, few, none]: [String; 7] = legend
            .try_into()
            .unwrap_or_else(|_| std::array::from_fn(|_| String::new()));
        itas_reports::charts::province_map_svg(
            figures,
            target,
            &itas_reports::charts::MapWords {
                title: ctx.pick(
                    "แผนที่ร้อยละของหน่วยงานที่ได้ ๘๕ คะแนนขึ้นไปรายจังหวัด",
                    "Map: share of agencies at 85 or more by province",
                ),
                classes: [a, b, c, d, e],
                too_few: few,
                none,
            },
        )
    });
    Drawn {
        gauge,
        levels,
        tools,
        groups,
        map,
    }
}

/// One round of a trend: its name and the scope's figures in it.
pub struct TrendPoint {
    pub round_id: String,
    pub label: String,
    pub overview: Overview,
}

/// The trend as a chart and a table: (svg, header, rows).
pub fn draw_trend(ctx: &PageCtx, points: &[TrendPoint]) -> DrawnTrend {
    let mut tools: Vec<String> = Vec::new();
    for p in points {
        for (code, _, _) in &p.overview.tools {
            if !tools.contains(code) {
                tools.push(code.clone());
            }
        }
    }
    let fmt = |s: Score| (s.hundredths(), ctx.num(&s.to_string()));
    let mut series: Vec<itas_reports::charts::Series> = vec![
        (
            ctx.pick("คะแนนเฉลี่ยภาพรวม", "Average overall").to_string(),
            points
                .iter()
                .map(|p| Some(fmt(p.overview.summary.average)))
                .collect(),
        ),
        (
            ctx.pick("ร้อยละที่ได้ ๘๕ ขึ้นไป", "% at 85 or more").to_string(),
            points
                .iter()
                .map(|p| Some(fmt(p.overview.summary.share_at_pass)))
                .collect(),
        ),
    ];
    for t in &tools {
        series.push((
            format!("{t} {}", ctx.pick("เฉลี่ย", "average")),
            points
                .iter()
                .map(|p| {
                    p.overview
                        .tools
                        .iter()
                        .find(|x| &x.0 == t)
                        .map(|x| fmt(x.2))
                })
                .collect(),
        ));
    }
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let svg =
        itas_reports::charts::trend_svg(&labels, &series, ctx.pick("แนวโน้มรายปี", "Trend by year"));
    let header = labels.clone();
    let rows = table_rows(series);
    DrawnTrend {
        svg,
        heads: header,
        rows,
    }
}

/// A trend's series as table rows, "–" where a round has no value.
fn table_rows(series: Vec<itas_reports::charts::Series>) -> Vec<(String, Vec<String>)> {
    series
        .into_iter()
        .map(|(name, values)| {
            (
                name,
                values
                    .into_iter()
                    .map(|v| v.map(|(_, t)| t).unwrap_or_else(|| "–".into()))
                    .collect(),
            )
        })
        .collect()
}

/// One agency over the rounds it took part in: its overall and each tool,
/// side by side (the share at 85 means nothing for one agency).
pub fn draw_agency_trend(ctx: &PageCtx, points: &[(String, itas_core::Scorecard)]) -> DrawnTrend {
    let mut tools: Vec<String> = Vec::new();
    for (_, c) in points {
        for t in c.tools.keys() {
            if !tools.contains(t) {
                tools.push(t.clone());
            }
        }
    }
    let fmt = |s: Score| (s.hundredths(), ctx.num(&s.to_string()));
    let mut series: Vec<itas_reports::charts::Series> = vec![(
        ctx.pick("คะแนนภาพรวม", "Overall").to_string(),
        points.iter().map(|(_, c)| Some(fmt(c.overall))).collect(),
    )];
    for t in &tools {
        series.push((
            t.clone(),
            points
                .iter()
                .map(|(_, c)| c.tools.get(t).map(|s| fmt(*s)))
                .collect(),
        ));
    }
    let labels: Vec<String> = points.iter().map(|(l, _)| l.clone()).collect();
    let svg =
        itas_reports::charts::trend_svg(&labels, &series, ctx.pick("คะแนนรายปี", "Scores by year"));
    let rows = table_rows(series);
    DrawnTrend {
        svg,
        heads: labels,
        rows,
    }
}

#[cfg(test)]
mod drawing {
    use super::*;

    fn summary(average: i64) -> GroupSummary {
        GroupSummary {
            key: String::new(),
            agencies: 5,
            average: Score::from_hundredths(average),
            levels: Vec::new(),
            at_pass: 0,
            share_at_pass: Score::ZERO,
        }
    }

    #[test]
    fn hundreds_of_groups_draw_the_best_and_weakest_forty() {
        let fw = itas_core::framework::ita_2564();
        let ctx = PageCtx::anonymous(crate::i18n::Lang::En);
        let groups: Vec<(String, GroupSummary)> = (0..300)
            .map(|i| (format!("G{i:03}"), summary(5_000 + i * 10)))
            .collect();
        let o = Overview {
            summary: summary(7_000),
            tools: Vec::new(),
            indicators: Vec::new(),
        };
        let d = draw(&ctx, &fw, &[], &o, &groups, None);
        assert_eq!(
            d.groups.matches("<rect x=\"250\"").count(),
            2 * (2 * 40 + 1)
        );
        assert!(d.groups.contains("G299") && d.groups.contains("G000"));
        assert!(!d.groups.contains("G150"));
        assert!(d.groups.contains("220 more groups in the table"));
    }
}
