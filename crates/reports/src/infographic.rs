//! A one-page A4 infographic of a round, a province or a parent agency: what
//! a provincial office prints for its meeting. Headline figures, the share at
//! 85 against the national target, the map (or the groups as bars), the levels,
//! the tools, and the best and weakest indicators. Drawn natively in Typst so
//! Thai is shaped by the same engine as the reports; every number arrives
//! formatted by the engine.

use crate::charts::{
    MAP_MIN_AGENCIES, PROVINCE_TILES, ProvinceFigure, share_class, tile_name_lines,
};
use crate::pdf::{RenderError, compile_pdf, lit};
use std::fmt::Write as _;

/// A value on a 0–100 bar: (label, value in hundredths, value as printed).
pub type BarLine = (String, i64, String);

#[derive(Debug)]
pub struct Infographic {
    /// e.g. "ผลการประเมิน ITA ประจำปีงบประมาณ พ.ศ. ๒๕๖๔".
    pub title: String,
    /// e.g. "จังหวัดขอนแก่น" or "ทั่วประเทศ".
    pub scope: String,
    /// (label, value) pairs set large: agencies, average, share at 85.
    pub headline: Vec<(String, String)>,
    pub share_hundredths: i64,
    pub share_text: String,
    pub target_percent: u32,
    /// e.g. "เป้าหมาย ร้อยละ ๘๐ ของหน่วยงานได้ ๘๕ คะแนนขึ้นไป".
    pub target_text: String,
    /// The map of provinces (whole round) or none (a province or parent).
    pub map: Option<Vec<ProvinceFigure>>,
    /// Map legend lines: classes 0..=4, then "too few", then "no agency".
    pub map_legend: Vec<String>,
    /// Otherwise the groups (agency kinds) as bars, sorted.
    pub groups: Vec<BarLine>,
    pub groups_title: String,
    /// (level or label, agencies as printed).
    pub levels: Vec<(String, String)>,
    pub tools: Vec<BarLine>,
    pub best: Vec<BarLine>,
    pub weakest: Vec<BarLine>,
    /// Section headings, in order: levels, tools, best, weakest, map.
    pub headings: [String; 5],
    /// The last line: source and date.
    pub footer: String,
}

const FILL: [&str; 5] = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"];
const TEXT: [&str; 5] = ["#111111", "#111111", "#111111", "#ffffff", "#ffffff"];
/// The legend's keys: the five classes, too few agencies, no agency.
const LEGEND_FILL: [&str; 7] = [
    FILL[0], FILL[1], FILL[2], FILL[3], FILL[4], "#d9d9d9", "#ffffff",
];

fn bars(lines: &[BarLine], pass_hundredths: i64) -> String {
    let mut s = String::from(
        "#grid(columns: (46%, 1fr, 15%), row-gutter: 5pt, column-gutter: 6pt, align: horizon,\n",
    );
    for (label, v, text) in lines {
        let pct = (*v).clamp(0, 10_000) as f64 / 100.0;
        let colour = if *v < pass_hundredths {
            "rgb(\"#c0504d\")"
        } else {
            "rgb(\"#2f6f9f\")"
        };
        let _ = writeln!(
            s,
            "  text(size: 10pt, {}), box(width: 100%, height: 9pt, fill: luma(235))[#place(box(width: {pct:.2}%, height: 9pt, fill: {colour}))], align(right, text(size: 10pt, weight: \"bold\", {})),",
            lit(label),
            lit(text)
        );
    }
    s.push_str(")\n");
    s
}

fn map(figures: &[ProvinceFigure], target_percent: u32) -> String {
    // 11 × 18 tiles of 7.2 mm.
    let pitch = 7.2;
    let size = 6.8;
    // A block, not a box: the legend starts on a line of its own below it.
    let mut s = format!(
        "#block(width: {w}mm, height: {h}mm)[\n",
        w = 11.0 * pitch,
        h = 18.0 * pitch
    );
    for (name, col, row) in PROVINCE_TILES {
        let f = figures.iter().find(|f| f.province == name);
        let (fill, text_fill, value) = match f {
            Some(f) if f.agencies >= MAP_MIN_AGENCIES => {
                let c = share_class(f.share_hundredths, target_percent);
                (FILL[c], TEXT[c], f.share_text.clone())
            }
            Some(_) => ("#d9d9d9", "#111111", "–".into()),
            None => ("#ffffff", "#555555", String::new()),
        };
        // The whole name, broken between its words when too wide (never cut).
        let label = match tile_name_lines(name) {
            (whole, None) => format!("#text(size: 4.2pt, {})", lit(whole)),
            (first, Some(second)) => format!(
                "#text(size: 3.8pt, {}) \\ #text(size: 3.8pt, {})",
                lit(first),
                lit(second)
            ),
        };
        let _ = writeln!(
            s,
            "  #place(dx: {dx:.1}mm, dy: {dy:.1}mm, rect(width: {size}mm, height: {size}mm, radius: 0.6mm, fill: rgb(\"{fill}\"), stroke: 0.3pt + luma(140), inset: 0.3mm)[#set align(center + horizon); #set par(leading: 0.25em); #set text(fill: rgb(\"{text_fill}\")); {label} \\ #text(size: 5pt, weight: \"bold\", {value})])",
            dx = f64::from(col) * pitch,
            dy = f64::from(row) * pitch,
            value = lit(&value),
        );
    }
    s.push_str("]\n");
    s
}

pub fn typst_source(g: &Infographic) -> String {
    let mut s = String::from(
        "#set page(paper: \"a4\", margin: (x: 1.4cm, y: 1.2cm))\n#set text(font: \"Sarabun\", size: 11pt, lang: \"th\")\n#set par(justify: false, leading: 0.5em)\n",
    );
    let _ = writeln!(
        s,
        "#block(fill: rgb(\"#045a8d\"), inset: 10pt, radius: 4pt, width: 100%)[#set text(fill: white); #text(size: 18pt, weight: \"bold\", {}) \\ #text(size: 14pt, {})]",
        lit(&g.title),
        lit(&g.scope)
    );
    // Headline figures.
    let _ = writeln!(
        s,
        "#grid(columns: ({}), column-gutter: 8pt,",
        vec!["1fr"; g.headline.len().max(1)].join(", ")
    );
    for (label, value) in &g.headline {
        let _ = writeln!(
            s,
            "  block(stroke: 0.5pt + luma(180), radius: 4pt, inset: 8pt, width: 100%)[#align(center)[#text(size: 20pt, weight: \"bold\", {}) \\ #text(size: 10pt, {})]],",
            lit(value),
            lit(label)
        );
    }
    s.push_str(")\n#v(4pt)\n");
    // The share against the target.
    let pct = g.share_hundredths.clamp(0, 10_000) as f64 / 100.0;
    let target = f64::from(g.target_percent.min(100));
    let meets = g.share_hundredths >= i64::from(g.target_percent) * 100;
    let _ = writeln!(
        s,
        "#box(width: 100%, height: 16pt, fill: luma(235))[#place(box(width: {pct:.2}%, height: 16pt, fill: rgb(\"{}\"))) #place(dx: {target:.1}%, dy: -3pt, line(length: 22pt, angle: 90deg, stroke: (thickness: 1.5pt, dash: \"dashed\")))]\n#text(size: 10pt)[#text(weight: \"bold\", {}) · #{}]",
        if meets { "#2f6f9f" } else { "#c0504d" },
        lit(&format!("{}%", g.share_text)),
        lit(&g.target_text)
    );
    // Left: map or groups. Right: levels, tools, best, weakest.
    s.push_str("#v(4pt)\n#grid(columns: (47%, 1fr), column-gutter: 12pt,\n[\n");
    match &g.map {
        Some(figures) => {
            let _ = writeln!(s, "#text(weight: \"bold\", {})", lit(&g.headings[4]));
            s.push_str(&map(figures, g.target_percent));
            // Each key beside its words, in a grid so none drifts away.
            s.push_str(
                "#grid(columns: (9pt, 1fr), row-gutter: 3pt, column-gutter: 3pt, align: horizon,\n",
            );
            for (line, fill) in g.map_legend.iter().zip(LEGEND_FILL) {
                let _ = writeln!(
                    s,
                    "  box(width: 7pt, height: 7pt, fill: rgb(\"{fill}\"), stroke: 0.5pt + luma(100)), text(size: 8pt, {}),",
                    lit(line)
                );
            }
            s.push_str(")\n");
        }
        None => {
            let _ = writeln!(s, "#text(weight: \"bold\", {})", lit(&g.groups_title));
            s.push_str(&bars(&g.groups, 8_500));
        }
    }
    s.push_str("],\n[\n");
    let _ = writeln!(s, "#text(weight: \"bold\", {})", lit(&g.headings[0]));
    let _ = writeln!(
        s,
        "#table(columns: {}, align: center, stroke: 0.4pt + luma(160),",
        g.levels.len().max(1)
    );
    for (name, _) in &g.levels {
        let _ = write!(s, "  text(size: 9pt, {}),", lit(name));
    }
    s.push('\n');
    for (_, n) in &g.levels {
        let _ = write!(s, "  text(size: 11pt, weight: \"bold\", {}),", lit(n));
    }
    s.push_str(")\n");
    for (k, lines) in [(1, &g.tools), (2, &g.best), (3, &g.weakest)] {
        let _ = writeln!(
            s,
            "#v(4pt)\n#text(weight: \"bold\", {})",
            lit(&g.headings[k])
        );
        s.push_str(&bars(lines, 8_500));
    }
    s.push_str("]\n)\n");
    let _ = writeln!(
        s,
        "#place(bottom + left, text(size: 8pt, fill: luma(90), {}))",
        lit(&g.footer)
    );
    s
}

pub fn render(g: &Infographic) -> Result<Vec<u8>, RenderError> {
    compile_pdf(typst_source(g), &[])
}
