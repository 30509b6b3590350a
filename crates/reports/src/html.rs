//! HTML rendering of a document: the preview on the results page and the
//! `--format html` file. Escaped text only; styling comes from the page.

use crate::document::{Block, Document, RowStyle, Table};
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "<br>")
}

/// A table as HTML, for pages that show one part of a report.
pub fn table_html(t: &Table) -> String {
    let mut s = String::new();
    table(&mut s, t);
    s
}

fn table(out: &mut String, t: &Table) {
    // A wrapper that scrolls on a phone must take keyboard focus and have a
    // name; the column headings name it.
    let _ = write!(
        out,
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table class=\"report\"><thead><tr>",
        esc(&t.header.join(" · "))
    );
    for h in &t.header {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        match r.style {
            RowStyle::Group => {
                let _ = write!(
                    out,
                    "<tr class=\"group\"><th colspan=\"{}\" scope=\"rowgroup\">{}</th></tr>",
                    t.widths.len(),
                    esc(r.cells.first().map(String::as_str).unwrap_or(""))
                );
            }
            RowStyle::Normal | RowStyle::Total => {
                let class = if r.style == RowStyle::Total {
                    " class=\"total\""
                } else {
                    ""
                };
                let _ = write!(out, "<tr{class}>");
                for c in &r.cells {
                    let _ = write!(out, "<td>{}</td>", esc(c));
                }
                out.push_str("</tr>");
            }
        }
    }
    out.push_str("</tbody></table></div>");
}

/// A bar chart as inline SVG: label, bar, value, and the pass-mark line.
pub fn bars_svg(bars: &[crate::document::Bar], pass_mark_hundredths: i64) -> String {
    bars_svg_named(bars, pass_mark_hundredths, "คะแนนรายตัวชี้วัด")
}

/// [`bars_svg`] with the chart's accessible name.
pub fn bars_svg_named(
    bars: &[crate::document::Bar],
    pass_mark_hundredths: i64,
    name: &str,
) -> String {
    let row = 26;
    let h = bars.len() * row + 8;
    let mut s = format!(
        "<svg class=\"bars\" viewBox=\"0 0 640 {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(name)
    );
    // 250 px of label, 320 px of bar (100 points), 70 px of value.
    for (i, b) in bars.iter().enumerate() {
        let y = i * row + 4;
        let w = b.value.hundredths().clamp(0, 10_000) * 320 / 10_000;
        let colour = if b.below { "#c0504d" } else { "#2f6f9f" };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{ty}\" font-size=\"13\">{label}</text><rect x=\"250\" y=\"{y}\" width=\"320\" height=\"16\" fill=\"#eee\"/><rect x=\"250\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"{colour}\"/><text x=\"636\" y=\"{ty}\" font-size=\"13\" text-anchor=\"end\">{text}</text>",
            ty = y + 13,
            label = esc(&b.label),
            text = esc(&b.text),
        );
    }
    let x = 250 + pass_mark_hundredths.clamp(0, 10_000) * 320 / 10_000;
    let _ = write!(
        s,
        "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{h}\" stroke=\"#333\" stroke-dasharray=\"3 2\"/></svg>"
    );
    s
}

/// The document body as HTML (no `<html>` wrapper).
pub fn fragment(doc: &Document, pass_mark_hundredths: i64) -> String {
    let mut s = String::new();
    for b in &doc.blocks {
        match b {
            Block::Memo { heading, lines } => {
                let _ = write!(
                    s,
                    "<h2 class=\"memo\">{}</h2><dl class=\"memo\">",
                    esc(heading)
                );
                for (k, v) in lines {
                    let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
                }
                s.push_str("</dl>");
            }
            Block::Title(lines) => {
                s.push_str("<div class=\"cover\">");
                for l in lines.iter().filter(|l| !l.is_empty()) {
                    let _ = write!(s, "<p>{}</p>", esc(l));
                }
                s.push_str("</div>");
            }
            Block::Heading(t) => {
                let _ = write!(s, "<h3>{}</h3>", esc(t));
            }
            Block::Para(t) => {
                let _ = write!(s, "<p>{}</p>", esc(t));
            }
            Block::Body(t) => {
                let _ = write!(s, "<p class=\"indent\">{}</p>", esc(t));
            }
            Block::List(items) => {
                s.push_str("<ul class=\"plain\">");
                for l in items {
                    let _ = write!(s, "<li>{}</li>", esc(l));
                }
                s.push_str("</ul>");
            }
            Block::Table(t) => table(&mut s, t),
            Block::Bars(bars) => s.push_str(&bars_svg(bars, pass_mark_hundredths)),
            Block::Signature(lines) => {
                s.push_str("<div class=\"signature\">");
                for l in lines {
                    let _ = write!(s, "<p>{}</p>", esc(l));
                }
                s.push_str("</div>");
            }
            Block::PageBreak => s.push_str("<hr class=\"page\">"),
        }
    }
    s
}

/// A standalone HTML file with its own minimal style.
pub fn standalone(doc: &Document, pass_mark_hundredths: i64) -> String {
    format!(
        "<!doctype html>\n<html lang=\"th\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>body{{font-family:Sarabun,\"TH SarabunPSK\",sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.6}}table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #888;padding:.25rem .4rem;vertical-align:top}}tr.group th{{text-align:left;background:#f2f2f2}}tr.total td{{font-weight:bold}}.indent{{text-indent:2.5em}}.cover{{text-align:center;font-weight:bold;font-size:1.3rem;margin:2rem 0}}.signature{{text-align:center;margin-left:50%}}h2.memo{{text-align:center}}dl.memo{{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}}dt{{font-weight:bold}}ul.plain{{list-style:none}}svg.bars{{width:100%;max-width:640px}}hr.page{{margin:2rem 0}}</style></head><body>{}</body></html>\n",
        esc(&doc.title),
        fragment(doc, pass_mark_hundredths)
    )
}
