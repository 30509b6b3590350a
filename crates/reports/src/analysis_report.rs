//! The agency's analysis report and improvement plan, written from the engine.
//!
//! Every number comes from the [`Scorecard`] and [`analyse`]; the text around
//! it is fixed Thai in a formal register. Nothing here computes a score.

use crate::document::{Bar, Block, Document, Row, Table};
use itas_core::analysis::{Analysis, Plan, analyse};
use itas_core::compare::{ResultChange, YearComparison, shown_level};
use itas_core::framework::{ResultRule, ToolKind};
use itas_core::thai::{Digits, FiscalYear, MONTHS_ABBR, format_date};
use itas_core::{Framework, Score, Scorecard};
use time::Date;

/// Who the report is for and how it is dated.
#[derive(Clone, Debug)]
pub struct Agency {
    pub name: String,
    /// The line under the name on the cover, e.g. "อำเภอบ้านไผ่ จังหวัดขอนแก่น".
    pub location: String,
    /// Who the memo is addressed to (เรียน …), e.g. "นายกองค์การบริหารส่วนตำบลหัวหนอง".
    pub addressee: String,
    /// The sending unit on the memo (ส่วนราชการ).
    pub unit: String,
}

/// One row of an improvement-plan table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Measure {
    pub tool: String,
    pub measure: String,
    pub weakness: String,
    pub owner: String,
    pub period: String,
    pub follow_up: String,
}

/// A published result to compare with, lined up with this round's framework.
#[derive(Clone, Debug)]
pub struct Previous {
    /// How the earlier round is named in the table header ("ปี ๒๕๖๘").
    pub label: String,
    /// The earlier round's framework code, named when it differs.
    pub framework: String,
    pub comparison: YearComparison,
}

/// One year of the agency's results over time, as published: a round itas
/// scored or a year imported from the NACC's published results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrendYear {
    pub fiscal_year: i64,
    pub tools: std::collections::BTreeMap<String, Score>,
    pub overall: Score,
    /// The result under that year's own rule, as a reader names it.
    pub result: String,
    /// Imported from a file rather than computed by itas.
    pub imported: bool,
    /// What the importer said of the year (e.g. demo figures); may be empty.
    pub note: String,
}

pub struct ReportInput<'a> {
    pub framework: &'a Framework,
    pub card: &'a Scorecard,
    pub agency: Agency,
    /// The fiscal year assessed (B.E.).
    pub fiscal_year: FiscalYear,
    pub date: Date,
    pub digits: Digits,
    pub previous: Option<Previous>,
    /// Every published year up to this one, oldest first, this year last;
    /// the trend is shown when it holds two years or more.
    pub trend: Vec<TrendYear>,
    /// The survey samples the scores were computed from (empty for entered
    /// scores): those below a minimum are remarked under the results table,
    /// and a tool collected in parts has each part's count said there.
    pub samples: Vec<itas_core::sample::Sample>,
    /// The OIT path to the pass mark, when item results are known.
    pub plan: Option<Plan>,
    /// The agency's own plan rows; when empty, rows are prefilled from the
    /// weaknesses the analysis finds.
    pub measures: Vec<Measure>,
}

/// A plan period as the seed writes it: "ต.ค. ๒๕๖๔ – ก.ย. ๒๕๖๕".
pub fn period_text(start: Date, end: Date, digits: Digits) -> String {
    let m = |d: Date| {
        format!(
            "{} {}",
            MONTHS_ABBR[usize::from(u8::from(d.month())) - 1],
            d.year() + itas_core::thai::BE_OFFSET
        )
    };
    digits.apply(&format!("{} – {}", m(start), m(end)))
}

/// Plan rows suggested from the analysis: every indicator below the pass
/// mark, or the weakest of a tool when none is below, with the framework's
/// suggestion as the measure.
pub fn suggested_measures(
    fw: &Framework,
    card: &Scorecard,
    fiscal_year: FiscalYear,
    digits: Digits,
) -> Vec<Measure> {
    let a = analyse(fw, card);
    let next = FiscalYear(fiscal_year.be() + 1);
    let period = period_text(next.start(), next.end(), digits);
    let mut out = Vec::new();
    for t in &a.tools {
        let mut weak: Vec<u32> = fw
            .indicators_of(&t.tool)
            .map(|i| i.number)
            .filter(|n| a.below_pass.contains(n))
            .collect();
        if weak.is_empty() {
            weak = t.lowest.clone();
        }
        for n in weak {
            let Some(ind) = fw.indicator(n) else { continue };
            let s = card.indicators.get(&n).copied().unwrap_or_default();
            let gap = if s < fw.pass_mark {
                format!(" ต่ำกว่าเกณฑ์ {} คะแนน", fw.pass_mark)
            } else {
                " ต่ำสุดของเครื่องมือนี้".to_string()
            };
            out.push(Measure {
                tool: t.tool.clone(),
                measure: ind.suggestion_th.clone(),
                weakness: digits.apply(&format!("ตัวชี้วัดที่ {n} {} ได้ {s} คะแนน{gap}", ind.name_th)),
                owner: "คณะทำงาน ITA ของหน่วยงาน".into(),
                period: period.clone(),
                follow_up: "รายงานความก้าวหน้าต่อผู้บริหารทุกเดือน".into(),
            });
        }
    }
    out
}

fn percent(w: itas_core::Exact) -> String {
    let s = Score::round_half_up(w * itas_core::Exact::from_integer(100));
    if s.hundredths() % 100 == 0 {
        (s.hundredths() / 100).to_string()
    } else {
        s.to_string()
    }
}

fn join_th(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} และ{}", init.join(" "), last),
    }
}

struct Writer<'a> {
    fw: &'a Framework,
    card: &'a Scorecard,
    a: Analysis,
    d: Digits,
}

impl Writer<'_> {
    fn n(&self, s: impl std::fmt::Display) -> String {
        self.d.apply(&s.to_string())
    }

    fn ind_score(&self, n: u32) -> Score {
        self.card.indicators.get(&n).copied().unwrap_or_default()
    }

    /// "ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่"
    fn ind_name(&self, n: u32) -> String {
        let name = self
            .fw
            .indicator(n)
            .map(|i| i.name_th.as_str())
            .unwrap_or("");
        format!("ตัวชี้วัดที่ {} {}", self.n(n), name)
    }

    /// "ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่ ได้ ๙๓.๒๐ คะแนน", ties joined.
    fn ind_with_scores(&self, ns: &[u32]) -> String {
        let parts: Vec<String> = ns
            .iter()
            .map(|n| {
                format!(
                    "{} ได้ {} คะแนน",
                    self.ind_name(*n),
                    self.n(self.ind_score(*n))
                )
            })
            .collect();
        join_th(&parts)
    }
}

/// The seed's results table: indicators grouped by tool, tool scores, overall
/// and level, with the previous round beside them when there is one.
pub fn results_table(
    fw: &Framework,
    card: &Scorecard,
    prev: Option<&Previous>,
    digits: Digits,
) -> Table {
    let w = Writer {
        fw,
        card,
        a: analyse(fw, card),
        d: digits,
    };
    let mut header = vec!["ตัวชี้วัด".to_string(), "ผลคะแนน".to_string()];
    let mut widths = vec![5, 1];
    if let Some(p) = prev {
        header.push(p.label.clone());
        header.push("เปลี่ยนแปลง".into());
        widths.extend([1, 1]);
    }
    let with_prev = |cells: &mut Vec<String>, now: Score, before: Option<Score>| {
        if prev.is_some() {
            match before {
                Some(s) => {
                    let diff = now.hundredths() - s.hundredths();
                    let sign = if diff > 0 { "+" } else { "" };
                    cells.push(w.n(s));
                    cells.push(w.n(format!("{sign}{}", Score::from_hundredths(diff))));
                }
                None => cells.extend(["–".to_string(), "–".to_string()]),
            }
        }
    };
    let mut rows = Vec::new();
    for t in &fw.tools {
        rows.push(Row::group(format!("{} ({})", t.name_th, t.code)));
        for i in fw.indicators_of(&t.code) {
            let mut cells = vec![
                format!("{}. {}", w.n(i.number), i.name_th),
                w.n(w.ind_score(i.number)),
            ];
            with_prev(
                &mut cells,
                w.ind_score(i.number),
                prev.and_then(|p| p.comparison.indicators.get(&i.number).copied()),
            );
            rows.push(Row::normal(cells));
        }
        let tool_score = card.tools.get(&t.code).copied().unwrap_or_default();
        let mut cells = vec![format!("คะแนน {}", t.code), w.n(tool_score)];
        with_prev(
            &mut cells,
            tool_score,
            prev.and_then(|p| p.comparison.tools.get(&t.code).copied()),
        );
        rows.push(Row::total(cells));
    }
    let mut cells = vec!["คะแนนภาพรวม".to_string(), w.n(card.overall)];
    with_prev(&mut cells, card.overall, prev.map(|p| p.comparison.overall));
    rows.push(Row::total(cells));
    let row_name = match fw.result_rule {
        ResultRule::Bands => "ระดับผลการประเมิน",
        ResultRule::Conditions => "ผลการประเมิน",
    };
    let mut cells = vec![row_name.to_string(), result_name(fw, card)];
    if let Some(p) = prev {
        // The previous round may name its result another way (AA…F or labels).
        cells.push(shown_level(&p.comparison.level, &p.comparison.level_th));
        cells.push(
            match p.comparison.change {
                ResultChange::Better => "ดีขึ้น",
                ResultChange::Same => "คงเดิม",
                ResultChange::Worse => "ลดลง",
                ResultChange::DifferentRules => "ต่างเกณฑ์",
            }
            .to_string(),
        );
    }
    rows.push(Row::total(cells));
    Table {
        widths,
        header,
        rows,
    }
}

/// One bar per indicator, red below the pass mark.
pub fn indicator_bars(fw: &Framework, card: &Scorecard, digits: Digits) -> Vec<Bar> {
    fw.indicators
        .iter()
        .map(|i| {
            let v = card.indicators.get(&i.number).copied().unwrap_or_default();
            Bar {
                label: format!("{}. {}", digits.apply(&i.number.to_string()), i.name_th),
                text: digits.apply(&v.to_string()),
                value: v,
                below: v < fw.pass_mark,
            }
        })
        .collect()
}

/// The whole report: memo, cover, framework, results, analysis, plan, practice.
pub fn analysis_report(input: &ReportInput<'_>) -> Document {
    let fw = input.framework;
    let card = input.card;
    let w = Writer {
        fw,
        card,
        a: analyse(fw, card),
        d: input.digits,
    };
    let fy = w.n(input.fiscal_year.be());
    let next_fy = w.n(input.fiscal_year.be() + 1);
    let agency = &input.agency;
    let subject = format!(
        "รายงานผลการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) ประจำปีงบประมาณ พ.ศ. {fy}"
    );
    let mut b: Vec<Block> = Vec::new();

    // Cover memo.
    b.push(Block::Memo {
        heading: "บันทึกข้อความ".into(),
        lines: vec![
            ("ส่วนราชการ".into(), agency.unit.clone()),
            ("ที่".into(), String::new()),
            ("วันที่".into(), format_date(input.date, input.digits)),
            ("เรื่อง".into(), subject.clone()),
            ("เรียน".into(), agency.addressee.clone()),
        ],
    });
    b.push(Block::Body(format!(
        "ตามที่{} ได้เข้ารับการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (Integrity and Transparency Assessment: ITA) ประจำปีงบประมาณ พ.ศ. {fy} ตามแนวทางและเครื่องมือการประเมินที่สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ (สำนักงาน ป.ป.ช.) กำหนด นั้น",
        agency.name
    )));
    b.push(Block::Body(format!(
        "บัดนี้ ผลการประเมินได้ประกาศแล้ว {} ได้คะแนนภาพรวม {} คะแนน {} จึงได้วิเคราะห์ผลการประเมินรายตัวชี้วัด และจัดทำมาตรการและแนวทางการพัฒนาสำหรับปีงบประมาณ พ.ศ. {next_fy} รายละเอียดปรากฏตามเอกสารที่แนบมาพร้อมนี้",
        agency.name,
        w.n(card.overall),
        result_phrase(fw, card, false)
    )));
    b.push(Block::Body("จึงเรียนมาเพื่อโปรดทราบและพิจารณาสั่งการ".into()));
    b.push(Block::Signature(vec![
        "(..................................................)".into(),
        "ตำแหน่ง ..................................................".into(),
    ]));
    b.push(Block::PageBreak);

    // Cover.
    b.push(Block::Title(vec![
        "การวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ".into(),
        format!("ประจำปีงบประมาณ พ.ศ. {fy}"),
        String::new(),
        agency.name.clone(),
        agency.location.clone(),
    ]));

    // 1. Framework.
    b.push(Block::Heading(format!(
        "{}. กรอบการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ ประจำปีงบประมาณ พ.ศ. {fy}",
        w.n(1)
    )));
    b.push(Block::Body(format!(
        "การประเมินประกอบด้วย {} ตัวชี้วัด เก็บข้อมูลด้วยเครื่องมือ {} เครื่องมือ ดังนี้",
        w.n(fw.indicators.len()),
        w.n(fw.tools.len())
    )));
    b.push(Block::Table(Table {
        widths: vec![3, 5, 1],
        header: vec!["เครื่องมือการประเมิน".into(), "ตัวชี้วัด".into(), "น้ำหนัก".into()],
        rows: fw
            .tools
            .iter()
            .map(|t| {
                let inds: Vec<String> = fw
                    .indicators_of(&t.code)
                    .map(|i| w.ind_name(i.number))
                    .collect();
                Row::normal(vec![
                    format!("{} ({})", t.name_th, t.code),
                    inds.join("\n"),
                    format!("ร้อยละ {}", w.n(percent(t.weight))),
                ])
            })
            .collect(),
    }));
    if fw.result_rule == ResultRule::Conditions {
        b.push(Block::Body(format!(
            "ผลการประเมินรายงานเป็นคะแนนคู่กับผลการประเมิน {} ระดับ โดยใช้ระดับแรกที่เข้าเงื่อนไข ดังนี้",
            w.n(fw.levels.len())
        )));
        b.push(Block::Table(Table {
            widths: vec![1, 3],
            header: vec!["ผลการประเมิน".into(), "เงื่อนไข".into()],
            rows: fw
                .levels
                .iter()
                .map(|l| {
                    let floor = l
                        .tool_floor
                        .map(|f| format!(" และทุกแบบวัดได้ตั้งแต่ {} คะแนน", w.n(f)))
                        .unwrap_or_default();
                    Row::normal(vec![
                        l.name_th.clone(),
                        format!("คะแนนภาพรวมตั้งแต่ {} คะแนน{floor}", w.n(l.min)),
                    ])
                })
                .collect(),
        }));
    } else {
        b.push(Block::Body(format!(
            "ผลการประเมินรายงานเป็นคะแนนคู่กับระดับผลการประเมิน {} ระดับ ดังนี้",
            w.n(fw.levels.len())
        )));
        b.push(Block::Table(Table {
            widths: vec![2, 1, 2],
            header: vec!["คะแนน".into(), "ระดับ".into(), "ความหมาย".into()],
            rows: fw
                .levels
                .iter()
                .map(|l| {
                    Row::normal(vec![
                        w.n(format!("{} – {}", l.min, l.max)),
                        l.code.clone(),
                        l.name_th.clone(),
                    ])
                })
                .collect(),
        }));
    }

    // What the framework itself does not yet confirm is said, never presented
    // as the NACC's official text.
    if !fw.provisional.is_empty() {
        b.push(Block::Para(
            "หมายเหตุ: กรอบการประเมินปีนี้บางส่วนยังไม่ได้ยืนยันกับคู่มือการประเมินของสำนักงาน ป.ป.ช. (เช่น ชุดคำถาม IIT/EIT การจัดกลุ่มข้อ OIT และเกณฑ์ผลการประเมินที่ต่ำกว่า ๘๕ คะแนน) คะแนนคำนวณตามกรอบที่ใช้ในรอบนี้".into(),
        ));
    }

    // 2. Results.
    b.push(Block::Heading(format!(
        "{}. ผลการประเมินคุณธรรมและความโปร่งใส ประจำปีงบประมาณ พ.ศ. {fy} ของ{}",
        w.n(2),
        agency.name
    )));
    b.push(Block::Table(results_table(
        fw,
        card,
        input.previous.as_ref(),
        input.digits,
    )));
    if let Some(p) = &input.previous {
        b.push(Block::Para(comparison_text(fw, card, p, input.digits)));
    }
    if input.trend.len() > 1 {
        b.extend(trend_blocks(fw, &input.trend, input.digits));
    }
    for (th, _) in itas_core::sample::parts_text(&input.samples) {
        b.push(Block::Para(input.digits.apply(&format!(
            "{th} (คำตอบทุกส่วนนับรวมในคะแนนของเครื่องมือตามที่กรอบการประเมินกำหนด)"
        ))));
    }
    let short: Vec<String> = input
        .samples
        .iter()
        .filter(|s| s.is_short())
        .map(|s| input.digits.apply(&s.remark_th()))
        .collect();
    if !short.is_empty() {
        b.push(Block::Para(format!(
            "หมายเหตุ: {} คะแนนดังกล่าวจึงสะท้อนความเห็นของผู้ตอบจำนวนจำกัด ควรใช้ประกอบการวิเคราะห์ด้วยความระมัดระวัง",
            short.join(" และ")
        )));
    }
    b.push(Block::Para(format!(
        "คะแนนรายตัวชี้วัด (เส้นเกณฑ์ {} คะแนน)",
        w.n(fw.pass_mark)
    )));
    b.push(Block::Bars(indicator_bars(fw, card, input.digits)));

    // 3. Analysis.
    b.push(Block::Heading(format!("{}. การวิเคราะห์ผลการประเมิน", w.n(3))));
    let mut first = format!(
        "{}) ผลการประเมินภาพรวมของ{} ได้ {} คะแนน {}",
        w.n(1),
        agency.name,
        w.n(card.overall),
        result_phrase(fw, card, true)
    );
    // Under a tool-floor rule, say which tool holds the result back.
    if let Some((better, tools)) = fw.result(card.overall, &card.tools).held_back {
        let low: Vec<String> = tools
            .iter()
            .map(|t| format!("{t} ได้ {} คะแนน", w.n(card.tools[t])))
            .collect();
        first.push_str(&format!(
            " ยังไม่ได้ \"{}\" เพราะ {} ต่ำกว่า {} คะแนน ซึ่งเป็นเกณฑ์ขั้นต่ำของทุกแบบวัดในระดับนั้น การผ่านข้อ OIT เพิ่มอย่างเดียวจึงยกระดับผลการประเมินไม่ได้ ต้องยกคะแนน {} ให้ถึงเกณฑ์ด้วย",
            better.name_th,
            low.join(" และ "),
            w.n(better.tool_floor.unwrap_or(fw.pass_mark)),
            tools.join(" และ ")
        ));
    }
    let mut points = vec![
        first,
        format!(
            "{}) ตัวชี้วัดที่ได้คะแนนสูงสุด คือ {} ส่วนตัวชี้วัดที่ได้คะแนนต่ำสุด คือ {}",
            w.n(2),
            w.ind_with_scores(&w.a.highest),
            w.ind_with_scores(&w.a.lowest)
        ),
    ];
    let below = &w.a.below_pass;
    points.push(if below.is_empty() {
        format!(
            "{}) ทุกตัวชี้วัดได้คะแนนตั้งแต่ {} คะแนนขึ้นไป",
            w.n(3),
            w.n(fw.pass_mark)
        )
    } else {
        let names: Vec<String> = below.iter().map(|n| w.n(n)).collect();
        format!(
            "{}) มีตัวชี้วัดที่ได้คะแนนต่ำกว่า {} คะแนน จำนวน {} ตัวชี้วัด จากทั้งหมด {} ตัวชี้วัด ได้แก่ ตัวชี้วัดที่ {}",
            w.n(3),
            w.n(fw.pass_mark),
            w.n(below.len()),
            w.n(fw.indicators.len()),
            names.join(", ")
        )
    });
    b.push(Block::List(points));
    for t in &w.a.tools {
        let Some(tool) = fw.tool(&t.tool) else {
            continue;
        };
        let inds: Vec<_> = fw.indicators_of(&t.tool).collect();
        b.push(Block::Body(format!(
            "{} ({}) ได้ {} คะแนน ประกอบด้วย {} ตัวชี้วัด ดังนี้",
            tool.name_th,
            tool.code,
            w.n(t.score),
            w.n(inds.len())
        )));
        b.push(Block::List(
            inds.iter()
                .map(|i| {
                    format!(
                        "{} ได้ {} คะแนน",
                        w.ind_name(i.number),
                        w.n(w.ind_score(i.number))
                    )
                })
                .collect(),
        ));
        if tool.kind == ToolKind::Survey || inds.len() > 1 {
            let suggestions: Vec<String> = t
                .lowest
                .iter()
                .filter_map(|n| fw.indicator(*n))
                .map(|i| i.suggestion_th.clone())
                .collect();
            b.push(Block::Body(format!(
                "ตัวชี้วัดที่ได้คะแนนต่ำสุดในเครื่องมือนี้ คือ {} ข้อเสนอแนะเพื่อการปรับปรุงในปีต่อไป คือ {}",
                join_th(&t.lowest.iter().map(|n| w.ind_name(*n)).collect::<Vec<_>>()),
                suggestions.join(" ")
            )));
        }
    }
    if let Some(plan) = &input.plan {
        b.push(Block::Body(if plan.steps.is_empty() {
            format!(
                "คะแนนภาพรวมปัจจุบัน {} คะแนน ถึงเป้าหมาย {} คะแนนแล้ว",
                w.n(plan.current),
                w.n(plan.target)
            )
        } else if plan.reachable {
            format!(
                "หากรายการตรวจการเปิดเผยข้อมูลสาธารณะต่อไปนี้ผ่านเกณฑ์ทั้ง {} รายการ โดยคะแนนด้านอื่นคงเดิม คะแนนภาพรวมจะเป็น {} คะแนน ถึงเป้าหมาย {} คะแนน",
                w.n(plan.steps.len()),
                w.n(plan.projected),
                w.n(plan.target)
            )
        } else {
            format!(
                "แม้รายการตรวจที่ยังไม่ผ่านทั้ง {} รายการผ่านเกณฑ์ทั้งหมด คะแนนภาพรวมจะเป็น {} คะแนน ยังไม่ถึงเป้าหมาย {} คะแนน จึงต้องยกระดับคะแนนจากแบบวัดการรับรู้ด้วย",
                w.n(plan.steps.len()),
                w.n(plan.projected),
                w.n(plan.target)
            )
        }));
        if !plan.steps.is_empty() {
            b.push(Block::Table(Table {
                widths: vec![1, 6, 1, 1],
                header: vec![
                    "รายการ".into(),
                    "ข้อมูลที่ต้องเปิดเผย".into(),
                    "ตัวชี้วัด".into(),
                    "คะแนนที่เพิ่ม".into(),
                ],
                rows: plan
                    .steps
                    .iter()
                    .map(|s| {
                        let text = fw.item(&s.item).map(|i| i.th.clone()).unwrap_or_default();
                        Row::normal(vec![
                            s.item.to_uppercase(),
                            text,
                            w.n(s.indicator),
                            w.n(format!("+{}", s.gain)),
                        ])
                    })
                    .collect(),
            }));
        }
    }

    // 4… Improvement plan per tool.
    let measures = if input.measures.is_empty() {
        suggested_measures(fw, card, input.fiscal_year, input.digits)
    } else {
        input.measures.clone()
    };
    for (k, t) in fw.tools.iter().enumerate() {
        b.push(Block::Heading(format!(
            "{}. มาตรการและแนวทางการพัฒนาหรือแก้ไขข้อบกพร่องจากผลการประเมิน{} ({}) ประจำปีงบประมาณ พ.ศ. {next_fy}",
            w.n(4 + k),
            t.name_th,
            t.code
        )));
        let rows: Vec<Row> = measures
            .iter()
            .filter(|m| m.tool == t.code)
            .enumerate()
            .map(|(j, m)| {
                Row::normal(vec![
                    format!("{}) {}", w.n(j + 1), m.measure),
                    m.weakness.clone(),
                    m.owner.clone(),
                    m.period.clone(),
                    m.follow_up.clone(),
                ])
            })
            .collect();
        b.push(Block::Table(Table {
            widths: vec![4, 3, 2, 2, 2],
            header: vec![
                "มาตรการ/แนวทาง ขั้นตอนหรือวิธีการพัฒนาหรือแก้ไข".into(),
                "ข้อบกพร่อง/จุดอ่อนจากการประเมิน".into(),
                "ผู้รับผิดชอบ".into(),
                "ระยะเวลาดำเนินการ".into(),
                "การกำกับติดตาม".into(),
            ],
            rows,
        }));
    }

    // Practice.
    b.push(Block::Heading(format!(
        "{}. แนวทางการนำผลการวิเคราะห์ไปสู่การปฏิบัติ",
        w.n(4 + fw.tools.len())
    )));
    let steps = [
        "แต่งตั้งคณะทำงานขับเคลื่อนการส่งเสริมคุณธรรมและความโปร่งใส และมอบหมายผู้รับผิดชอบแต่ละมาตรการ",
        "ชี้แจงผลการประเมินและมาตรการให้บุคลากรทุกระดับรับทราบ",
        "ดำเนินการตามมาตรการภายในระยะเวลาที่กำหนด และบันทึกความก้าวหน้าทุกเดือน",
        "ตรวจสอบข้อมูลบนเว็บไซต์ของหน่วยงานตามรายการตรวจการเปิดเผยข้อมูลสาธารณะก่อนถึงกำหนดส่ง",
        "รายงานผลการดำเนินงานต่อผู้บริหาร และเผยแพร่ให้ประชาชนทราบผ่านช่องทางต่าง ๆ ของหน่วยงาน",
    ];
    b.push(Block::List(
        steps
            .iter()
            .enumerate()
            .map(|(k, s)| format!("{}. {s}", w.n(k + 1)))
            .collect(),
    ));
    b.push(Block::Signature(vec![
        agency.name.clone(),
        w.n(format!(
            "{} {}",
            itas_core::thai::MONTHS_FULL[usize::from(u8::from(input.date.month())) - 1],
            input.date.year() + itas_core::thai::BE_OFFSET
        )),
    ]));

    Document {
        title: format!("{subject} {}", agency.name),
        blocks: b,
    }
}

/// The result as named in the text: "อยู่ในระดับ C" (with its meaning when
/// `named`) under letter bands, "ผลการประเมิน "ผ่าน"" under labels.
/// The comparison with the earlier round in words: the overall's change, the
/// result under each year's rule, and what could not be compared.
pub fn comparison_text(fw: &Framework, card: &Scorecard, p: &Previous, d: Digits) -> String {
    let n = |x: String| d.apply(&x);
    let c = &p.comparison;
    let diff = card.overall.hundredths() - c.overall.hundredths();
    let moved = match diff.cmp(&0) {
        std::cmp::Ordering::Greater => format!(
            "เพิ่มขึ้น {} คะแนน",
            n(Score::from_hundredths(diff).to_string())
        ),
        std::cmp::Ordering::Less => format!(
            "ลดลง {} คะแนน",
            n(Score::from_hundredths(-diff).to_string())
        ),
        std::cmp::Ordering::Equal => "เท่าเดิม".to_string(),
    };
    let before = shown_level(&c.level, &c.level_th);
    let now = result_name(fw, card);
    let mut out = format!(
        "เมื่อเทียบกับ{} คะแนนภาพรวม{} (จาก {} เป็น {})",
        p.label,
        moved,
        n(c.overall.to_string()),
        n(card.overall.to_string())
    );
    out.push_str(&match c.change {
        ResultChange::Better => format!(" ผลการประเมินดีขึ้นจาก {before} เป็น {now}"),
        ResultChange::Worse => format!(" ผลการประเมินลดลงจาก {before} เป็น {now}"),
        ResultChange::Same => format!(" ผลการประเมินคงเดิม ({now})"),
        ResultChange::DifferentRules => format!(
            " ผลการประเมินปีก่อน {before} และปีนี้ {now} ตัดสินตามเกณฑ์ของแต่ละปีซึ่งต่างกัน จึงเทียบกันโดยตรงไม่ได้"
        ),
    });
    if c.indicators.is_empty() {
        out.push_str(" ผลของปีก่อนไม่มีคะแนนรายตัวชี้วัด จึงเทียบได้เฉพาะคะแนนรายเครื่องมือและคะแนนภาพรวม");
    } else if !c.same_framework {
        out.push_str(&format!(
            " กรอบการประเมินสองปีต่างกัน ({} และ {}) จึงเทียบรายตัวชี้วัดเฉพาะตัวชี้วัดที่ชื่อตรงกัน",
            p.framework, fw.code
        ));
        if c.unmatched.is_empty() {
            out.push_str(" (ตรงกันครบทุกตัวชี้วัด)");
        } else {
            let list: Vec<String> = c.unmatched.iter().map(|i| n(i.to_string())).collect();
            out.push_str(&format!(
                " ตัวชี้วัดที่ {} ไม่มีตัวชี้วัดชื่อเดียวกันในปีก่อน",
                list.join(", ")
            ));
        }
    }
    out
}

/// The agency's years as a table, a bar per year and the sentences that
/// read them: highest, lowest, how often at the pass mark, the latest run.
pub fn trend_blocks(fw: &Framework, trend: &[TrendYear], d: Digits) -> Vec<Block> {
    let n = |x: &dyn std::fmt::Display| d.apply(&x.to_string());
    let year_name = |y: &TrendYear| {
        if y.imported {
            format!("{} (นำเข้า)", n(&y.fiscal_year))
        } else {
            n(&y.fiscal_year)
        }
    };
    // This year's tools first, then any an earlier framework had besides.
    let mut tools: Vec<String> = fw.tools.iter().map(|t| t.code.clone()).collect();
    for y in trend {
        for t in y.tools.keys() {
            if !tools.contains(t) {
                tools.push(t.clone());
            }
        }
    }
    let mut header = vec!["ปีงบประมาณ".to_string()];
    header.extend(tools.iter().cloned());
    header.extend(["คะแนนภาพรวม".to_string(), "ผลการประเมิน".to_string()]);
    let mut widths = vec![2];
    widths.extend(tools.iter().map(|_| 1));
    widths.extend([1, 2]);
    let rows = trend
        .iter()
        .map(|y| {
            let mut cells = vec![year_name(y)];
            cells.extend(
                tools
                    .iter()
                    .map(|t| y.tools.get(t).map_or("–".to_string(), |s| n(s))),
            );
            cells.extend([n(&y.overall), y.result.clone()]);
            Row::normal(cells)
        })
        .collect();
    let (first, last) = (&trend[0], &trend[trend.len() - 1]);
    let mut out = vec![
        Block::Para(format!(
            "ผลการประเมินย้อนหลัง ปีงบประมาณ พ.ศ. {} – {}",
            n(&first.fiscal_year),
            n(&last.fiscal_year)
        )),
        Block::Table(Table {
            widths,
            header,
            rows,
        }),
        Block::Bars(
            trend
                .iter()
                .map(|y| Bar {
                    label: format!("ปี {}", year_name(y)),
                    text: n(&y.overall),
                    value: y.overall,
                    below: y.overall < fw.pass_mark,
                })
                .collect(),
        ),
        Block::Para(trend_text(fw, trend, d)),
    ];
    let imported: Vec<&TrendYear> = trend.iter().filter(|y| y.imported).collect();
    if !imported.is_empty() {
        let mut note =
            "หมายเหตุ: ปีที่ระบุว่านำเข้า คือผลที่สำนักงาน ป.ป.ช. ประกาศ ซึ่งนำเข้าระบบจากไฟล์ ตัดสินตามเกณฑ์ของปีนั้น"
                .to_string();
        let notes: Vec<String> = imported
            .iter()
            .filter(|y| !y.note.trim().is_empty())
            .map(|y| format!("ปี {} {}", n(&y.fiscal_year), y.note.trim()))
            .collect();
        if !notes.is_empty() {
            note.push_str(&format!(" ({})", notes.join("; ")));
        }
        out.push(Block::Para(note));
    }
    out
}

/// The trend in words, every figure from the years given.
pub fn trend_text(fw: &Framework, trend: &[TrendYear], d: Digits) -> String {
    let n = |x: &dyn std::fmt::Display| d.apply(&x.to_string());
    let (Some(first), Some(last)) = (trend.first(), trend.last()) else {
        return String::new();
    };
    // The first year of a tie: the earliest time the agency reached it.
    let best = trend
        .iter()
        .fold(first, |b, y| if y.overall > b.overall { y } else { b });
    let worst = trend
        .iter()
        .fold(first, |b, y| if y.overall < b.overall { y } else { b });
    let passed = trend.iter().filter(|y| y.overall >= fw.pass_mark).count();
    let mut out = format!(
        "ตลอด {} ปี (พ.ศ. {} – {}) คะแนนภาพรวมสูงสุด {} คะแนนในปี {} ต่ำสุด {} คะแนนในปี {} ได้ {} คะแนนขึ้นไป {} ใน {} ปี",
        n(&trend.len()),
        n(&first.fiscal_year),
        n(&last.fiscal_year),
        n(&best.overall),
        n(&best.fiscal_year),
        n(&worst.overall),
        n(&worst.fiscal_year),
        n(&fw.pass_mark),
        n(&passed),
        n(&trend.len())
    );
    // How many years in a row the overall has moved the same way up to now.
    let steps: Vec<std::cmp::Ordering> = trend
        .windows(2)
        .map(|w| w[1].overall.cmp(&w[0].overall))
        .collect();
    if let Some(latest) = steps.last().copied() {
        let run = steps.iter().rev().take_while(|s| **s == latest).count();
        let phrase = match latest {
            std::cmp::Ordering::Greater => "เพิ่มขึ้น",
            std::cmp::Ordering::Less => "ลดลง",
            std::cmp::Ordering::Equal => "เท่าเดิม",
        };
        if run > 1 {
            out.push_str(&format!(" คะแนนภาพรวม{phrase}ต่อเนื่อง {} ปี", n(&run)));
        } else {
            out.push_str(&format!(" ปีล่าสุดคะแนนภาพรวม{phrase}จากปีก่อน"));
        }
    }
    out
}

fn result_phrase(fw: &Framework, card: &Scorecard, named: bool) -> String {
    match fw.result_rule {
        ResultRule::Bands if named => format!("อยู่ในระดับ {} ({})", card.level, card.level_th),
        ResultRule::Bands => format!("อยู่ในระดับ {}", card.level),
        ResultRule::Conditions => format!("ผลการประเมิน \"{}\"", card.level_th),
    }
}

/// The result as a table cell: the letter (2564) or the label (2566 on).
fn result_name(fw: &Framework, card: &Scorecard) -> String {
    match fw.result_rule {
        ResultRule::Bands => card.level.clone(),
        ResultRule::Conditions => card.level_th.clone(),
    }
}

/// The report's results and analysis sections (2 and 3), without the memo,
/// the framework description or the measures: what an agency's public ITA
/// page shows, word for word as the report says it.
pub fn results_and_analysis(report: &Document) -> Document {
    let headings: Vec<usize> = report
        .blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, Block::Heading(_)))
        .map(|(i, _)| i)
        .collect();
    let from = headings.get(1).copied().unwrap_or(report.blocks.len());
    let to = headings.get(3).copied().unwrap_or(report.blocks.len());
    Document {
        title: report.title.clone(),
        blocks: report.blocks[from..to.max(from)].to_vec(),
    }
}
