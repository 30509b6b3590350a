//! Checks the figures a hand-written report claims against the engine.
//!
//! Reports like the seed repeat each figure several times, and the copies
//! disagree. For each indicator we take the value that reproduces the tool
//! scores the report states (an agency copies tool scores from ITAS, so they
//! are the anchor); then every stated figure is compared with the engine.

use crate::analysis::analyse;
use crate::exact::Score;
use crate::framework::Framework;
use crate::scoring::{Inputs, Scorecard, score};
use crate::thai::arabic_digits;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClaimKind {
    Indicator { number: u32 },
    Tool { code: String },
    Overall,
    Level { code: String },
    CountBelow { count: u32 },
    Highest { number: u32 },
    Lowest { number: u32 },
    WeakestInTool { number: u32 },
}

/// A figure stated in the report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Claim {
    pub line: usize,
    #[serde(flatten)]
    pub kind: ClaimKind,
    /// The stated number, where the claim has one.
    pub value: Option<Score>,
    /// Decimals the number was written with (a "68" is compared at 0 decimals).
    pub decimals: u32,
}

/// A stated figure that disagrees with the engine.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckResult {
    pub claims: Vec<Claim>,
    /// The indicator values taken as true.
    pub resolved: BTreeMap<u32, Score>,
    pub scorecard: Option<Scorecard>,
    pub findings: Vec<Finding>,
}

const NUM: &str = r"(\d{1,3}(?:\.\d{1,2})?)";

static TABLE_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d{1,2})\.\s*([^\d\t]+?)\s*\t\s*(\d{1,3}\.\d{2})\s*$").expect("regex")
});
static INLINE_INDICATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"ตัวชี้วัดที่\s*(\d{1,2})\s+([^\d\n]*?)(\d{1,3}\.\d{2})").expect("regex")
});
static TOOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b(IIT|EIT|OIT)\)?\s*\(?\s*(?:มีค่าคะแนน|มีผลคะแนน)\s*เท่ากับ\s*{NUM}"
    ))
    .expect("regex")
});
static OVERALL: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        format!(r"ภาพรวม[^\d\n]*?คะแนน\s*{NUM}"),
        format!(r"^\s*คะแนนเฉลี่ย\s+{NUM}\s*$"),
        format!(r"^\s*{NUM}\s*คะแนน\s*$"),
    ]
    .iter()
    .map(|p| Regex::new(p).expect("regex"))
    .collect()
});
static LEVEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"จัดอยู่ในระดับ\s*(AA|A|B|C|D|E|F)\b").expect("regex"));
static COUNT_BELOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(\d{{1,2}})\s*ตัวชี้วัด\s*มี[^\n]*?ต่ำกว่า\s*{NUM}")).expect("regex")
});
static HIGHEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"สูงสุด\s*คือ\s*ตัวชี้วัดที่\s*(\d{1,2})").expect("regex"));
static LOWEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ต่ำที่สุด\s*คือ\s*ตัวชี้วัดที่\s*(\d{1,2})").expect("regex"));
static WEAKEST_IN_TOOL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ตัวชี้วัดที่\s*(\d{1,2})[^\n]*?น้อยที่สุดในกลุ่มเครื่องมือ").expect("regex"));
static STANDALONE_LEVEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(AA|A|B|C|D|E|F)\s*$").expect("regex"));

fn number(s: &str) -> Option<(Score, u32)> {
    let decimals = s.split_once('.').map_or(0, |(_, f)| f.len() as u32);
    s.parse::<Score>().ok().map(|v| (v, decimals))
}

/// Dice similarity of character bigrams: how alike two indicator names are.
fn similarity(a: &str, b: &str) -> f32 {
    let bigrams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let mut pool = y.clone();
    let mut common = 0;
    for g in &x {
        if let Some(i) = pool.iter().position(|h| h == g) {
            pool.swap_remove(i);
            common += 1;
        }
    }
    2.0 * common as f32 / (x.len() + y.len()) as f32
}

/// Finds the figures a report states.
pub fn extract_claims(fw: &Framework, text: &str) -> Vec<Claim> {
    let mut claims = Vec::new();
    let mut previous_nonempty = String::new();
    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = arabic_digits(raw_line);
        let mut push = |kind, value: Option<(Score, u32)>| {
            claims.push(Claim {
                line: line_no,
                kind,
                value: value.map(|v| v.0),
                decimals: value.map_or(2, |v| v.1),
            });
        };
        if let Some(c) = TABLE_ROW.captures(&line) {
            let n: u32 = c[1].parse().unwrap_or(0);
            if let Some(ind) = fw.indicator(n)
                && similarity(&ind.name_th, &c[2]) >= 0.5
            {
                push(ClaimKind::Indicator { number: n }, number(&c[3]));
            }
        }
        for c in INLINE_INDICATOR.captures_iter(&line) {
            let n: u32 = c[1].parse().unwrap_or(0);
            if fw.indicator(n).is_some() {
                push(ClaimKind::Indicator { number: n }, number(&c[3]));
            }
        }
        for c in TOOL.captures_iter(&line) {
            push(
                ClaimKind::Tool {
                    code: c[1].to_string(),
                },
                number(&c[2]),
            );
        }
        for re in OVERALL.iter() {
            if let Some(c) = re.captures(&line) {
                push(ClaimKind::Overall, number(&c[1]));
                break;
            }
        }
        if let Some(c) = LEVEL.captures(&line) {
            push(
                ClaimKind::Level {
                    code: c[1].to_string(),
                },
                None,
            );
        } else if let Some(c) = STANDALONE_LEVEL.captures(&line)
            && previous_nonempty.contains("ระดับผลการประเมิน")
        {
            push(
                ClaimKind::Level {
                    code: c[1].to_string(),
                },
                None,
            );
        }
        if let Some(c) = COUNT_BELOW.captures(&line) {
            let count = c[1].parse().unwrap_or(0);
            push(ClaimKind::CountBelow { count }, number(&c[2]));
        }
        if let Some(c) = HIGHEST.captures(&line) {
            push(
                ClaimKind::Highest {
                    number: c[1].parse().unwrap_or(0),
                },
                None,
            );
        }
        if let Some(c) = LOWEST.captures(&line) {
            push(
                ClaimKind::Lowest {
                    number: c[1].parse().unwrap_or(0),
                },
                None,
            );
        }
        if let Some(c) = WEAKEST_IN_TOOL.captures(&line) {
            push(
                ClaimKind::WeakestInTool {
                    number: c[1].parse().unwrap_or(0),
                },
                None,
            );
        }
        if !line.trim().is_empty() {
            previous_nonempty = line;
        }
    }
    claims
}

/// Picks, per indicator, the stated value that reproduces the stated tool scores.
fn resolve(fw: &Framework, claims: &[Claim]) -> BTreeMap<u32, Score> {
    let mut candidates: BTreeMap<u32, Vec<(Score, usize)>> = BTreeMap::new();
    for c in claims {
        if let (ClaimKind::Indicator { number }, Some(v)) = (&c.kind, c.value) {
            let list = candidates.entry(*number).or_default();
            match list.iter_mut().find(|(s, _)| *s == v) {
                Some(e) => e.1 += 1,
                None => list.push((v, 1)),
            }
        }
    }
    let mut resolved: BTreeMap<u32, Score> = candidates
        .iter()
        .filter_map(|(n, list)| {
            list.iter()
                .max_by_key(|(_, count)| *count)
                .map(|(s, _)| (*n, *s))
        })
        .collect();
    for tool in &fw.tools {
        let stated: BTreeSet<Score> = claims
            .iter()
            .filter(|c| {
                matches!(&c.kind, ClaimKind::Tool { code } if *code == tool.code) && c.decimals == 2
            })
            .filter_map(|c| c.value)
            .collect();
        let inds: Vec<u32> = fw.indicators_of(&tool.code).map(|i| i.number).collect();
        if stated.is_empty() || inds.iter().any(|n| !candidates.contains_key(n)) {
            continue;
        }
        let lists: Vec<&Vec<(Score, usize)>> = inds.iter().map(|n| &candidates[n]).collect();
        let combos: usize = lists.iter().map(|l| l.len()).product();
        if combos > 4096 {
            continue;
        }
        let mut best: Option<(usize, Vec<Score>)> = None;
        for k in 0..combos {
            let mut rest = k;
            let pick: Vec<Score> = lists
                .iter()
                .map(|l| {
                    let v = l[rest % l.len()].0;
                    rest /= l.len();
                    v
                })
                .collect();
            let sum: i64 = pick.iter().map(|s| s.hundredths()).sum();
            let tool_score = Score::round_half_up(crate::exact::Exact::new(
                i128::from(sum),
                100 * pick.len() as i128,
            ));
            let support: usize = pick
                .iter()
                .zip(&lists)
                .map(|(v, l)| l.iter().find(|x| x.0 == *v).map_or(0, |x| x.1))
                .sum();
            if stated.contains(&tool_score) && best.as_ref().is_none_or(|(s, _)| support > *s) {
                best = Some((support, pick));
            }
        }
        if let Some((_, pick)) = best {
            for (n, v) in inds.iter().zip(pick) {
                resolved.insert(*n, v);
            }
        }
    }
    resolved
}

fn name(fw: &Framework, n: u32) -> String {
    fw.indicator(n)
        .map_or_else(String::new, |i| format!(" ({})", i.name_en))
}

fn list(ns: &[u32]) -> String {
    ns.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Checks every stated figure of `text` against the engine.
pub fn check_report(fw: &Framework, text: &str) -> CheckResult {
    let claims = extract_claims(fw, text);
    let resolved = resolve(fw, &claims);
    let mut findings = Vec::new();
    let missing: Vec<u32> = fw
        .indicators
        .iter()
        .map(|i| i.number)
        .filter(|n| !resolved.contains_key(n))
        .collect();
    if !missing.is_empty() {
        findings.push(Finding {
            line: 0,
            message: format!("no score found for indicator(s) {}", list(&missing)),
        });
        return CheckResult {
            claims,
            resolved,
            scorecard: None,
            findings,
        };
    }
    let Ok(card) = score(
        fw,
        &Inputs {
            given: resolved.clone(),
            ..Default::default()
        },
    ) else {
        return CheckResult {
            claims,
            resolved,
            scorecard: None,
            findings,
        };
    };
    let analysis = analyse(fw, &card);
    for c in &claims {
        let stated = c
            .value
            .map(|v| trim_to(&v.to_string(), c.decimals))
            .unwrap_or_default();
        let message = match &c.kind {
            ClaimKind::Indicator { number } => {
                let truth = resolved[number];
                (c.value != Some(truth)).then(|| {
                    let tool = fw.tool_of_indicator(*number).map(|t| t.code.clone()).unwrap_or_default();
                    format!(
                        "indicator {number}{} stated as {stated}; the engine uses {truth} (the value consistent with {tool} {})",
                        name(fw, *number),
                        card.tools.get(&tool).copied().unwrap_or_default()
                    )
                })
            }
            ClaimKind::Tool { code } => card.tools.get(code).and_then(|truth| {
                (c.value
                    .map(|v| v != truth.rounded_to(c.decimals))
                    .unwrap_or(true))
                .then(|| format!("{code} stated as {stated}; the engine gives {truth}"))
            }),
            ClaimKind::Overall => {
                (c.value != Some(card.overall.rounded_to(c.decimals))).then(|| {
                    format!(
                        "overall stated as {stated}; the engine gives {}",
                        card.overall
                    )
                })
            }
            ClaimKind::Level { code } => (*code != card.level)
                .then(|| format!("level stated as {code}; the engine gives {}", card.level)),
            ClaimKind::CountBelow { count } => {
                let threshold = c.value.unwrap_or(fw.pass_mark);
                let below: Vec<u32> = card
                    .indicators
                    .iter()
                    .filter(|(_, s)| **s < threshold)
                    .map(|(n, _)| *n)
                    .collect();
                (*count as usize != below.len()).then(|| {
                    format!(
                        "says {count} indicators are below {threshold}; the engine finds {} ({})",
                        below.len(),
                        list(&below)
                    )
                })
            }
            ClaimKind::Highest { number } => (!analysis.highest.contains(number)).then(|| {
                format!(
                    "names indicator {number} as the highest; the engine finds {}",
                    list(&analysis.highest)
                )
            }),
            ClaimKind::Lowest { number } => (!analysis.lowest.contains(number)).then(|| {
                format!(
                    "names indicator {number} as the lowest; the engine finds {}",
                    list(&analysis.lowest)
                )
            }),
            ClaimKind::WeakestInTool { number } => {
                let tool = fw
                    .tool_of_indicator(*number)
                    .map(|t| t.code.clone())
                    .unwrap_or_default();
                let weakest = analysis
                    .tools
                    .iter()
                    .find(|t| t.tool == tool)
                    .map(|t| t.lowest.clone())
                    .unwrap_or_default();
                (!weakest.contains(number)).then(|| {
                    format!(
                        "names indicator {number} as the weakest of {tool}; the engine finds {}",
                        list(&weakest)
                    )
                })
            }
        };
        if let Some(message) = message {
            findings.push(Finding {
                line: c.line,
                message,
            });
        }
    }
    CheckResult {
        claims,
        resolved,
        scorecard: Some(card),
        findings,
    }
}

fn trim_to(s: &str, decimals: u32) -> String {
    match decimals {
        0 => s.split('.').next().unwrap_or(s).to_string(),
        1 => s[..s.len().saturating_sub(1)].to_string(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::ita_2564;

    #[test]
    fn names_are_matched_loosely_but_not_blindly() {
        assert!(similarity("การใช้งบประมาณ", "การใช้จ่ายงบประมาณ") >= 0.5);
        assert!(similarity("การปรับปรุงระบบการทำงาน", "การปรับปรุงการทำงาน") >= 0.5);
        assert!(similarity("การใช้อำนาจ", "ผลการประเมินจำนวน ตัวชี้วัด มีระดับคะแนนต่ำกว่า") < 0.5);
    }

    #[test]
    fn a_consistent_report_has_no_findings() {
        let fw = ita_2564();
        let text = "ตัวชี้วัดที่ 1 การปฏิบัติหน้าที่ มีผลคะแนน เท่ากับ 93.20\nตัวชี้วัดที่ 2 x 81.25\nตัวชี้วัดที่ 3 x 86.26\n\
ตัวชี้วัดที่ 4 x 80.48\nตัวชี้วัดที่ 5 x 88.95\nตัวชี้วัดที่ 6 x 80.06\nตัวชี้วัดที่ 7 x 82.74\nตัวชี้วัดที่ 8 x 77.72\n\
ตัวชี้วัดที่ 9 x 71.92\nตัวชี้วัดที่ 10 x 18.75\nในภาพรวมมีระดับคะแนน 68.00 จัดอยู่ในระดับ C\n(IIT มีค่าคะแนนเท่ากับ 86.03";
        let r = check_report(&fw, text);
        assert_eq!(r.findings, vec![]);
        assert_eq!(r.claims.len(), 13);
    }

    #[test]
    fn a_wrong_overall_and_level_are_flagged() {
        let fw = ita_2564();
        let mut text = String::new();
        for (n, v) in [
            "93.20", "81.25", "86.26", "80.48", "88.95", "80.06", "82.74", "77.72", "71.92",
            "18.75",
        ]
        .iter()
        .enumerate()
        {
            text.push_str(&format!("ตัวชี้วัดที่ {} x {v}\n", n + 1));
        }
        text.push_str("ในภาพรวมมีระดับคะแนน 67.99 จัดอยู่ในระดับ B\n");
        let r = check_report(&fw, &text);
        let lines: Vec<_> = r.findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, vec![11, 11]);
    }
}
