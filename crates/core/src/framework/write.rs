//! Writes a framework back as a TOML file that [`super::parse`] reads to the
//! same model: every number exact (`"100/3"`, `"94.99"`), every cell explicit.
//! The spreadsheet import goes through this text, so the parser's rules are
//! the only rules.

use super::model::*;
use crate::exact::{Exact, Score};
use std::fmt::Write as _;

/// A TOML string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An exact number as the parser reads it: an integer, or "n/d".
pub fn exact_text(x: &Exact) -> String {
    if *x.denom() == 1 {
        x.numer().to_string()
    } else {
        quote(&format!("{}/{}", x.numer(), x.denom()))
    }
}

/// A two-decimal score, as written in framework files ("94.99").
pub fn score_text(s: Score) -> String {
    quote(&s.to_string())
}

pub fn to_toml(fw: &Framework) -> String {
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(w, "code = {}", quote(&fw.code));
    let _ = writeln!(w, "fiscal_year = {}", fw.fiscal_year);
    let _ = writeln!(w, "name_th = {}", quote(&fw.name_th));
    let _ = writeln!(w, "name_en = {}", quote(&fw.name_en));
    let _ = writeln!(w, "rounding = {}", quote(fw.rounding.code()));
    let rule = match fw.result_rule {
        ResultRule::Bands => "bands",
        ResultRule::Conditions => "conditions",
    };
    let _ = writeln!(w, "result_rule = {}", quote(rule));
    let _ = writeln!(w, "pass_mark = {}", score_text(fw.pass_mark));
    let _ = writeln!(
        w,
        "national_target_percent = {}",
        fw.national_target_percent
    );
    if !fw.provisional.is_empty() {
        let _ = writeln!(w, "\n[provisional]");
        for (k, v) in &fw.provisional {
            let _ = writeln!(w, "{} = {}", quote(k), quote(v));
        }
    }
    for l in &fw.levels {
        let _ = writeln!(w, "\n[[levels]]");
        let _ = writeln!(w, "code = {}", quote(&l.code));
        let _ = writeln!(w, "min = {}", score_text(l.min));
        if fw.result_rule == ResultRule::Bands {
            let _ = writeln!(w, "max = {}", score_text(l.max));
        }
        if let Some(f) = l.tool_floor {
            let _ = writeln!(w, "tool_floor = {}", score_text(f));
        }
        let _ = writeln!(w, "name_th = {}", quote(&l.name_th));
        let _ = writeln!(w, "name_en = {}", quote(&l.name_en));
    }
    for s in &fw.scales {
        let _ = writeln!(w, "\n[scales.{}]\noptions = [", quote(&s.code));
        for o in &s.options {
            let _ = writeln!(
                w,
                "  {{ code = {}, th = {}, en = {}, score = {} }},",
                quote(&o.code),
                quote(&o.th),
                quote(&o.en),
                exact_text(&o.score)
            );
        }
        let _ = writeln!(w, "]");
    }
    for tool in &fw.tools {
        let _ = writeln!(w, "\n[[tools]]");
        let _ = writeln!(w, "code = {}", quote(&tool.code));
        let kind = match tool.kind {
            ToolKind::Survey => "survey",
            ToolKind::Checklist => "checklist",
        };
        let _ = writeln!(w, "kind = {}", quote(kind));
        let _ = writeln!(w, "weight = {}", exact_text(&tool.weight));
        let _ = writeln!(w, "name_th = {}", quote(&tool.name_th));
        let _ = writeln!(w, "name_en = {}", quote(&tool.name_en));
        if let Some(m) = tool.min_sample {
            let cap = m
                .at_most
                .map(|c| format!(", at_most = {c}"))
                .unwrap_or_default();
            let _ = writeln!(
                w,
                "min_sample = {{ percent = {}, at_least = {}{cap} }}",
                m.percent, m.at_least
            );
        }
        if tool.combine != Combine::Pooled {
            let _ = writeln!(w, "combine = {}", quote(tool.combine.code()));
        }
    }
    for p in &fw.parts {
        let _ = writeln!(w, "\n[[parts]]");
        let _ = writeln!(w, "tool = {}", quote(&p.tool));
        let _ = writeln!(w, "number = {}", p.number);
        let _ = writeln!(w, "name_th = {}", quote(&p.name_th));
        let _ = writeln!(w, "name_en = {}", quote(&p.name_en));
        let _ = writeln!(w, "collected_by = {}", quote(p.collected_by.code()));
        if let Some(x) = &p.weight {
            let _ = writeln!(w, "weight = {}", exact_text(x));
        }
        if let Some(m) = p.min_sample {
            let cap = m
                .at_most
                .map(|c| format!(", at_most = {c}"))
                .unwrap_or_default();
            let _ = writeln!(
                w,
                "min_sample = {{ percent = {}, at_least = {}{cap} }}",
                m.percent, m.at_least
            );
        }
    }
    for r in &fw.min_samples {
        let _ = writeln!(w, "\n[[min_samples]]");
        let _ = writeln!(w, "tool = {}", quote(&r.tool));
        let _ = writeln!(w, "kind = {}", quote(&r.kind));
        if !r.size.is_empty() {
            let _ = writeln!(w, "size = {}", quote(&r.size));
        }
        let _ = writeln!(w, "required = {}", r.required);
    }
    for i in &fw.indicators {
        let _ = writeln!(w, "\n[[indicators]]");
        let _ = writeln!(w, "number = {}", i.number);
        let _ = writeln!(w, "tool = {}", quote(&i.tool));
        let _ = writeln!(w, "name_th = {}", quote(&i.name_th));
        let _ = writeln!(w, "name_en = {}", quote(&i.name_en));
        let _ = writeln!(w, "suggestion_th = {}", quote(&i.suggestion_th));
    }
    for s in &fw.subindicators {
        let _ = writeln!(w, "\n[[subindicators]]");
        let _ = writeln!(w, "code = {}", quote(&s.code));
        let _ = writeln!(w, "indicator = {}", s.indicator);
        let _ = writeln!(w, "name_th = {}", quote(&s.name_th));
        let _ = writeln!(w, "name_en = {}", quote(&s.name_en));
    }
    for it in &fw.items {
        let _ = writeln!(w, "\n[[items]]");
        let _ = writeln!(w, "code = {}", quote(&it.code));
        match &it.subindicator {
            Some(s) => {
                let _ = writeln!(w, "subindicator = {}", quote(s));
            }
            None => {
                let _ = writeln!(w, "indicator = {}", it.indicator);
            }
        }
        let _ = writeln!(w, "th = {}", quote(&it.th));
        let _ = writeln!(w, "en = {}", quote(&it.en));
        match &it.kind {
            ItemKind::Survey { scale, cells } => {
                let _ = writeln!(w, "answer = {}", quote(scale));
                let _ = writeln!(w, "cells = [");
                for c in cells {
                    let _ = writeln!(
                        w,
                        "  {{ th = {}, en = {}, reverse = {} }},",
                        quote(&c.th),
                        quote(&c.en),
                        c.reverse
                    );
                }
                let _ = writeln!(w, "]");
            }
            ItemKind::Checklist {
                requirement_th,
                keywords,
                year,
                itas_page,
            } => {
                let _ = writeln!(w, "requirement_th = {}", quote(requirement_th));
                let k: Vec<String> = keywords.iter().map(|k| quote(k)).collect();
                let _ = writeln!(w, "keywords = [{}]", k.join(", "));
                let y = match year {
                    YearRef::Current => "current",
                    YearRef::Previous => "previous",
                };
                let _ = writeln!(w, "year = {}", quote(y));
                if *itas_page {
                    let _ = writeln!(w, "itas_page = true");
                }
            }
        }
    }
    t
}
