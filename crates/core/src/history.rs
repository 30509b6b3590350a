//! Published results of earlier years, as the NACC printed them: checked
//! against that year's framework before they are kept, so a typing mistake
//! in a file (or in the newspaper it came from) never becomes history.
//!
//! A row states the overall and the tool scores, and may state the ten
//! indicators and the printed label. The tools must give the overall under
//! the year's weights and rounding; the indicators, when given, must give
//! the tools; the label, when given, must be the one the year's rule gives.

use crate::exact::{Exact, Score};
use crate::framework::{Framework, Rounding};
use crate::scoring::{Inputs, score};
use std::collections::BTreeMap;

/// One earlier year's published result of one agency, as read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedRow {
    pub overall: Score,
    /// Tool code → score, one for each tool of the framework.
    pub tools: BTreeMap<String, Score>,
    /// Indicator number → score; empty when the file gives none.
    pub indicators: BTreeMap<u32, Score>,
    /// The label or letter as printed (a code, its Thai or English name);
    /// empty when not known.
    pub label: String,
}

/// Why a row does not agree with its year's framework, in Thai and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// A tool of the framework has no score in the row.
    MissingTool(String),
    /// Some indicators are given but not all.
    PartialIndicators { given: usize, expected: usize },
    /// The indicators give another score for a tool.
    ToolDisagrees {
        tool: String,
        stated: Score,
        computed: Score,
    },
    /// The tools give another overall.
    OverallDisagrees { stated: Score, computed: Score },
    /// The printed label is not the one the year's rule gives.
    LabelDisagrees { stated: String, computed: String },
}

impl RowProblem {
    pub fn message_th(&self) -> String {
        match self {
            RowProblem::MissingTool(t) => format!("ไม่มีคะแนน {t}"),
            RowProblem::PartialIndicators { given, expected } => {
                format!("มีคะแนนรายตัวชี้วัด {given} จาก {expected} ตัว ให้ใส่ครบทุกตัวหรือเว้นว่างทั้งหมด")
            }
            RowProblem::ToolDisagrees {
                tool,
                stated,
                computed,
            } => format!("คะแนน {tool} ที่ระบุ {stated} ไม่ตรงกับที่คำนวณจากคะแนนรายตัวชี้วัด ({computed})"),
            RowProblem::OverallDisagrees { stated, computed } => format!(
                "คะแนนภาพรวมที่ระบุ {stated} ไม่ตรงกับที่คำนวณจากคะแนนรายเครื่องมือตามน้ำหนักและการปัดเศษของปีนั้น ({computed})"
            ),
            RowProblem::LabelDisagrees { stated, computed } => {
                format!("ผลการประเมินที่ระบุ '{stated}' ขัดกับเกณฑ์ของปีนั้น ซึ่งให้ผล '{computed}'")
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            RowProblem::MissingTool(t) => format!("no {t} score"),
            RowProblem::PartialIndicators { given, expected } => {
                format!("{given} of {expected} indicator scores given; give all or none")
            }
            RowProblem::ToolDisagrees {
                tool,
                stated,
                computed,
            } => format!("the {tool} score {stated} is not what its indicators give ({computed})"),
            RowProblem::OverallDisagrees { stated, computed } => format!(
                "the overall {stated} is not what the tool scores give under that year's weights and rounding ({computed})"
            ),
            RowProblem::LabelDisagrees { stated, computed } => format!(
                "the label '{stated}' contradicts that year's rule, which gives '{computed}'"
            ),
        }
    }
}

/// What a checked row keeps: the level code under the year's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub level: String,
}

/// Checks one row against its year's framework; every problem at once.
pub fn check(fw: &Framework, row: &PublishedRow) -> Result<Checked, Vec<RowProblem>> {
    let mut problems = Vec::new();
    for t in &fw.tools {
        if !row.tools.contains_key(&t.code) {
            problems.push(RowProblem::MissingTool(t.code.clone()));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if !row.indicators.is_empty() {
        if row.indicators.len() != fw.indicators.len()
            || fw
                .indicators
                .iter()
                .any(|i| !row.indicators.contains_key(&i.number))
        {
            problems.push(RowProblem::PartialIndicators {
                given: row.indicators.len(),
                expected: fw.indicators.len(),
            });
        } else if let Ok(card) = score(
            fw,
            &Inputs {
                given: row.indicators.clone(),
                ..Default::default()
            },
        ) {
            for (tool, computed) in &card.tools {
                let stated = row.tools[tool];
                if stated != *computed {
                    problems.push(RowProblem::ToolDisagrees {
                        tool: tool.clone(),
                        stated,
                        computed: *computed,
                    });
                }
            }
        }
    }
    let exact: Exact = fw
        .tools
        .iter()
        .map(|t| t.weight * row.tools[&t.code].exact())
        .sum();
    let computed = Score::round_half_up(exact);
    // Under final-only rounding the overall came from unrounded tools, which
    // a row no longer has: half a hundredth on each tool moves it at most a
    // hundredth either way.
    let close_enough = match fw.rounding {
        Rounding::FinalOnly => (row.overall.hundredths() - computed.hundredths()).abs() <= 1,
        _ => row.overall == computed,
    };
    if !close_enough {
        problems.push(RowProblem::OverallDisagrees {
            stated: row.overall,
            computed,
        });
    }
    let outcome = fw.result(row.overall, &row.tools);
    let level = outcome.level;
    let stated = row.label.trim();
    if !stated.is_empty()
        && ![&level.code, &level.name_th, &level.name_en]
            .iter()
            .any(|n| !n.is_empty() && n.trim().eq_ignore_ascii_case(stated))
    {
        problems.push(RowProblem::LabelDisagrees {
            stated: stated.to_string(),
            computed: if level.name_th.is_empty() {
                level.code.clone()
            } else {
                level.name_th.clone()
            },
        });
    }
    if problems.is_empty() {
        Ok(Checked {
            level: level.code.clone(),
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::embedded;

    fn s(x: &str) -> Score {
        x.parse().unwrap()
    }

    fn row(overall: &str, tools: [&str; 3], label: &str) -> PublishedRow {
        PublishedRow {
            overall: s(overall),
            tools: ["IIT", "EIT", "OIT"]
                .iter()
                .zip(tools)
                .map(|(t, v)| (t.to_string(), s(v)))
                .collect(),
            indicators: BTreeMap::new(),
            label: label.into(),
        }
    }

    #[test]
    fn the_seeds_2564_row_is_kept_with_its_letter() {
        let fw = embedded("ita-2564").unwrap();
        let r = row("68.00", ["86.03", "80.17", "45.34"], "C");
        assert_eq!(check(&fw, &r).unwrap().level, "C");
        // The Thai name of the level is as good as its letter.
        let r = row("68.00", ["86.03", "80.17", "45.34"], "ปานกลาง");
        assert!(check(&fw, &r).is_ok());
        // With its ten indicators, which give those tools.
        let mut r = r;
        r.indicators = [9320, 8125, 8626, 8048, 8895, 8006, 8274, 7772, 7192, 1875]
            .iter()
            .enumerate()
            .map(|(i, h)| (i as u32 + 1, Score::from_hundredths(*h)))
            .collect();
        assert!(check(&fw, &r).is_ok());
    }

    #[test]
    fn every_disagreement_is_named() {
        let fw = embedded("ita-2564").unwrap();
        // A hundredth off, and a letter that is not the rule's: both named.
        let r = row("68.01", ["86.03", "80.17", "45.34"], "B");
        let problems = check(&fw, &r).unwrap_err();
        assert_eq!(
            problems,
            vec![
                RowProblem::OverallDisagrees {
                    stated: s("68.01"),
                    computed: s("68.00")
                },
                RowProblem::LabelDisagrees {
                    stated: "B".into(),
                    computed: "ปานกลาง".into()
                }
            ]
        );
        assert!(problems[0].message_th().contains("68.00"));
        let mut r = row("68.00", ["86.03", "80.17", "45.34"], "");
        r.indicators = [(1, s("93.20"))].into();
        assert!(matches!(
            check(&fw, &r).unwrap_err()[0],
            RowProblem::PartialIndicators {
                given: 1,
                expected: 10
            }
        ));
        let mut r = row("68.00", ["86.03", "80.17", "45.34"], "");
        r.tools.remove("EIT");
        assert_eq!(
            check(&fw, &r).unwrap_err(),
            vec![RowProblem::MissingTool("EIT".into())]
        );
    }

    #[test]
    fn a_label_is_checked_under_its_own_years_rule() {
        // 95.20 with the EIT at 84: ผ่านดี in 2566 (no tool floor), ผ่าน from 2567.
        let r = row("95.20", ["100.00", "84.00", "100.00"], "ผ่านดี");
        assert_eq!(
            check(&embedded("ita-2566").unwrap(), &r).unwrap().level,
            "good"
        );
        let e = check(&embedded("ita-2567").unwrap(), &r).unwrap_err();
        assert_eq!(
            e,
            vec![RowProblem::LabelDisagrees {
                stated: "ผ่านดี".into(),
                computed: "ผ่าน".into()
            }]
        );
    }
}
