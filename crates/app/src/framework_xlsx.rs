//! Frameworks in a spreadsheet, for the people who own them: the NACC
//! changes the OIT list every year and ministries run their own rounds, and
//! they work in Excel, not TOML.
//!
//! [`export`] writes one sheet per part (settings, provisional notes, levels,
//! answer scales, tools, indicators, sub-indicators, items, cells) with every
//! number as exact text. [`import`] reads the sheets back into the framework
//! TOML (so the parser's rules are the only rules) and names every problem by
//! sheet, row and column, in Thai and English. The round trip is exact.

use itas_core::exact::Exact;
use itas_core::framework::{self, Framework, ItemKind, ResultRule, ToolKind, YearRef, quote};
use std::collections::HashMap;

/// Sheets and their columns, in order. Column names are the keys import reads.
pub const SHEETS: &[(&str, &[&str])] = &[
    ("framework", &["key", "value"]),
    ("provisional", &["part", "note"]),
    (
        "levels",
        &["code", "min", "max", "tool_floor", "name_th", "name_en"],
    ),
    ("scales", &["scale", "code", "th", "en", "score"]),
    (
        "tools",
        &[
            "code",
            "kind",
            "weight",
            "name_th",
            "name_en",
            "min_percent",
            "min_at_least",
            "min_at_most",
            "combine",
        ],
    ),
    (
        "parts",
        &[
            "tool",
            "number",
            "name_th",
            "name_en",
            "collected_by",
            "weight",
            "min_percent",
            "min_at_least",
            "min_at_most",
        ],
    ),
    (
        "indicators",
        &["number", "tool", "name_th", "name_en", "suggestion_th"],
    ),
    (
        "subindicators",
        &["code", "indicator", "name_th", "name_en"],
    ),
    (
        "items",
        &[
            "code",
            "indicator",
            "subindicator",
            "th",
            "en",
            "answer",
            "requirement_th",
            "keywords",
            "year",
            "itas_page",
        ],
    ),
    ("cells", &["item", "th", "en", "reverse"]),
    ("min_samples", &["tool", "kind", "size", "required"]),
];

/// Sheets a workbook may leave out (an older export, a round with no table).
const OPTIONAL_SHEETS: &[&str] = &["provisional", "min_samples", "parts"];
/// Columns added after workbooks were in use: a workbook without them still loads.
const OPTIONAL_COLUMNS: &[(&str, &str)] = &[("items", "itas_page"), ("tools", "combine")];

const README_TH: &[(&str, &str)] = &[
    (
        "framework",
        "ค่าหลักของกรอบ: code, fiscal_year (พ.ศ.), name_th, name_en, rounding (staged | final-only | tools-and-overall), result_rule (bands | conditions), pass_mark, national_target_percent",
    ),
    ("provisional", "ส่วนที่ยังไม่ได้ยืนยันกับเอกสารทางการ (เว้นว่างได้)"),
    (
        "levels",
        "ระดับผลการประเมิน: bands ใส่ min และ max; conditions เรียงจากดีที่สุด ใส่ min และ tool_floor (ทุกแบบวัดต้องได้อย่างน้อย)",
    ),
    (
        "scales",
        "ตัวเลือกของคำตอบ: scale คือชื่อชุดตัวเลือก score เขียนเป็นทศนิยมหรือเศษส่วน เช่น 100/3",
    ),
    (
        "tools",
        "เครื่องมือ: kind (survey | checklist) weight (เช่น 0.30) จำนวนผู้ตอบขั้นต่ำ (ร้อยละ ขั้นต่ำ ขั้นสูง) และ combine (pooled | weighted) วิธีรวมส่วนของแบบสำรวจที่แบ่งเป็นส่วน",
    ),
    (
        "parts",
        "ส่วนของแบบสำรวจ (เช่น EIT ส่วนที่ 1 และ 2): number เรียง 1, 2, … collected_by (agency = หน่วยงานเก็บ | central = ส่วนกลางเก็บเอง) weight เมื่อเครื่องมือใช้ combine = weighted และขั้นต่ำของส่วนที่ 2 เป็นต้นไป (เว้นว่างได้)",
    ),
    ("indicators", "ตัวชี้วัด"),
    ("subindicators", "ตัวชี้วัดย่อยของแบบตรวจ"),
    (
        "items",
        "ข้อคำถาม/ข้อตรวจ: ข้อคำถามใส่ answer; ข้อตรวจใส่ requirement_th keywords (คั่นด้วย |) และ year (current | previous); itas_page = TRUE เมื่อหน้าเผยแพร่ผล ITA และมาตรการของหน่วยงานบน itas ใช้เป็นหลักฐานของข้อนั้นได้",
    ),
    (
        "cells",
        "ข้อย่อยของข้อคำถาม ตามลำดับ reverse = TRUE เมื่อกลับคะแนน",
    ),
    (
        "min_samples",
        "จำนวนผู้ตอบขั้นต่ำแบบตายตัวตามประเภทหน่วยงาน (kind เช่น sao, subdistrict_municipality, university) และขนาด (size เช่น S M L เว้นว่างคือทุกขนาด) ใช้แทนเกณฑ์ร้อยละของเครื่องมือนั้น",
    ),
];

/// A number as a person types it: a decimal when it has one (0.30, 94.99),
/// else a fraction (100/3). Both read back exactly.
fn exact_human(x: &Exact) -> String {
    let mut d = *x.denom();
    let mut k = 0;
    while d % 10 == 0 || d % 2 == 0 || d % 5 == 0 {
        if d % 10 == 0 {
            d /= 10;
        } else if d % 2 == 0 {
            d /= 2;
        } else {
            d /= 5;
        }
        k += 1;
        if k > 12 {
            break;
        }
    }
    if d != 1 {
        return format!("{}/{}", x.numer(), x.denom());
    }
    for places in 0..=12u32 {
        let scaled = *x * Exact::from_integer(10i128.pow(places));
        if scaled.is_integer() {
            let n = scaled.to_integer();
            if places == 0 {
                return n.to_string();
            }
            let neg = n < 0;
            let digits = format!("{:0width$}", n.abs(), width = places as usize + 1);
            let (int, frac) = digits.split_at(digits.len() - places as usize);
            return format!("{}{int}.{frac}", if neg { "-" } else { "" });
        }
    }
    format!("{}/{}", x.numer(), x.denom())
}

/// The rows of every sheet, as text.
pub fn sheets_of(fw: &Framework) -> Vec<(&'static str, Vec<Vec<String>>)> {
    let s = |x: &str| x.to_string();
    let mut out: Vec<(&'static str, Vec<Vec<String>>)> = Vec::new();
    let rule = match fw.result_rule {
        ResultRule::Bands => "bands",
        ResultRule::Conditions => "conditions",
    };
    out.push((
        "framework",
        vec![
            vec![s("code"), fw.code.clone()],
            vec![s("fiscal_year"), fw.fiscal_year.to_string()],
            vec![s("name_th"), fw.name_th.clone()],
            vec![s("name_en"), fw.name_en.clone()],
            vec![s("rounding"), s(fw.rounding.code())],
            vec![s("result_rule"), s(rule)],
            vec![s("pass_mark"), fw.pass_mark.to_string()],
            vec![
                s("national_target_percent"),
                fw.national_target_percent.to_string(),
            ],
        ],
    ));
    out.push((
        "provisional",
        fw.provisional
            .iter()
            .map(|(k, v)| vec![k.clone(), v.clone()])
            .collect(),
    ));
    out.push((
        "levels",
        fw.levels
            .iter()
            .map(|l| {
                vec![
                    l.code.clone(),
                    l.min.to_string(),
                    if fw.result_rule == ResultRule::Bands {
                        l.max.to_string()
                    } else {
                        String::new()
                    },
                    l.tool_floor.map(|f| f.to_string()).unwrap_or_default(),
                    l.name_th.clone(),
                    l.name_en.clone(),
                ]
            })
            .collect(),
    ));
    out.push((
        "scales",
        fw.scales
            .iter()
            .flat_map(|sc| {
                sc.options.iter().map(|o| {
                    vec![
                        sc.code.clone(),
                        o.code.clone(),
                        o.th.clone(),
                        o.en.clone(),
                        exact_human(&o.score),
                    ]
                })
            })
            .collect(),
    ));
    out.push((
        "tools",
        fw.tools
            .iter()
            .map(|t| {
                let m = t.min_sample;
                vec![
                    t.code.clone(),
                    s(match t.kind {
                        ToolKind::Survey => "survey",
                        ToolKind::Checklist => "checklist",
                    }),
                    exact_human(&t.weight),
                    t.name_th.clone(),
                    t.name_en.clone(),
                    m.map(|m| m.percent.to_string()).unwrap_or_default(),
                    m.map(|m| m.at_least.to_string()).unwrap_or_default(),
                    m.and_then(|m| m.at_most)
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    t.combine.code().to_string(),
                ]
            })
            .collect(),
    ));
    out.push((
        "parts",
        fw.parts
            .iter()
            .map(|p| {
                let m = p.min_sample;
                vec![
                    p.tool.clone(),
                    p.number.to_string(),
                    p.name_th.clone(),
                    p.name_en.clone(),
                    p.collected_by.code().to_string(),
                    p.weight.as_ref().map(exact_human).unwrap_or_default(),
                    m.map(|m| m.percent.to_string()).unwrap_or_default(),
                    m.map(|m| m.at_least.to_string()).unwrap_or_default(),
                    m.and_then(|m| m.at_most)
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    ));
    out.push((
        "indicators",
        fw.indicators
            .iter()
            .map(|i| {
                vec![
                    i.number.to_string(),
                    i.tool.clone(),
                    i.name_th.clone(),
                    i.name_en.clone(),
                    i.suggestion_th.clone(),
                ]
            })
            .collect(),
    ));
    out.push((
        "subindicators",
        fw.subindicators
            .iter()
            .map(|x| {
                vec![
                    x.code.clone(),
                    x.indicator.to_string(),
                    x.name_th.clone(),
                    x.name_en.clone(),
                ]
            })
            .collect(),
    ));
    let mut items = Vec::new();
    let mut cells = Vec::new();
    for it in &fw.items {
        let (answer, req, keywords, year, itas_page) = match &it.kind {
            ItemKind::Survey { scale, cells: cs } => {
                for c in cs {
                    cells.push(vec![
                        it.code.clone(),
                        c.th.clone(),
                        c.en.clone(),
                        if c.reverse { s("TRUE") } else { s("FALSE") },
                    ]);
                }
                (
                    scale.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                )
            }
            ItemKind::Checklist {
                requirement_th,
                keywords,
                year,
                itas_page,
            } => (
                String::new(),
                requirement_th.clone(),
                keywords.join(" | "),
                s(match year {
                    YearRef::Current => "current",
                    YearRef::Previous => "previous",
                }),
                if *itas_page { s("TRUE") } else { String::new() },
            ),
        };
        items.push(vec![
            it.code.clone(),
            if it.subindicator.is_some() {
                String::new()
            } else {
                it.indicator.to_string()
            },
            it.subindicator.clone().unwrap_or_default(),
            it.th.clone(),
            it.en.clone(),
            answer,
            req,
            keywords,
            year,
            itas_page,
        ]);
    }
    out.push(("items", items));
    out.push(("cells", cells));
    out.push((
        "min_samples",
        fw.min_samples
            .iter()
            .map(|r| {
                vec![
                    r.tool.clone(),
                    r.kind.clone(),
                    r.size.clone(),
                    r.required.to_string(),
                ]
            })
            .collect(),
    ));
    out
}

/// The framework as an XLSX workbook.
pub fn export(fw: &Framework) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    write_book(&sheets_of(fw))
}

/// A workbook of the given sheets (rows below the header row of each).
pub fn write_book(
    sheets: &[(&'static str, Vec<Vec<String>>)],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let readme = book.add_worksheet();
    readme.set_name("คำอธิบาย")?;
    readme.write_string_with_format(0, 0, "แผ่นงาน / sheet", &bold)?;
    readme.write_string_with_format(0, 1, "คำอธิบาย", &bold)?;
    for (i, (sheet, th)) in README_TH.iter().enumerate() {
        readme.write_string(i as u32 + 1, 0, *sheet)?;
        readme.write_string(i as u32 + 1, 1, *th)?;
    }
    readme.set_column_width(1, 100)?;
    for (name, rows) in sheets {
        let columns = SHEETS
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |s| s.1);
        let sheet = book.add_worksheet();
        sheet.set_name(*name)?;
        for (c, h) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
            sheet.set_column_format(c as u16, &text)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(r as u32 + 1, c as u16, v)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

/// One problem of an imported workbook, where a person finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetProblem {
    pub sheet: String,
    /// 1-based, as Excel numbers rows (the header is row 1); 0 when the
    /// problem concerns the whole sheet or workbook.
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for SheetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, self.column.is_empty()) {
            (0, _) => write!(
                f,
                "แผ่นงาน {s} / sheet {s}: {m}",
                s = self.sheet,
                m = self.message
            ),
            (r, true) => write!(
                f,
                "แผ่นงาน {s} แถว {r} / sheet {s}, row {r}: {m}",
                s = self.sheet,
                m = self.message
            ),
            (r, false) => write!(
                f,
                "แผ่นงาน {s} แถว {r} คอลัมน์ {c} / sheet {s}, row {r}, column {c}: {m}",
                s = self.sheet,
                c = self.column,
                m = self.message
            ),
        }
    }
}

/// A sheet's rows: the Excel row number and the values by column name.
type Rows = Vec<(usize, HashMap<String, String>)>;

/// An integer as TOML text; anything else is a problem named by its cell.
fn whole_cell(
    v: &str,
    sheet: &str,
    row: usize,
    col: &str,
    problems: &mut Vec<SheetProblem>,
) -> String {
    match itas_core::thai::arabic_digits(v).parse::<i64>() {
        Ok(n) => n.to_string(),
        Err(_) => {
            problems.push(SheetProblem {
                sheet: sheet.into(),
                row,
                column: col.into(),
                message: format!("'{v}' ไม่ใช่จำนวนเต็ม / '{v}' is not a whole number"),
            });
            "0".into()
        }
    }
}

/// A row's `min_sample = { … }` line from its min_percent, min_at_least and
/// min_at_most columns (tools and parts), if it states one.
fn min_sample_line(
    m: &HashMap<String, String>,
    sheet: &str,
    row: usize,
    problems: &mut Vec<SheetProblem>,
) -> Option<String> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let (p, l, c) = (get("min_percent"), get("min_at_least"), get("min_at_most"));
    if p.is_empty() && l.is_empty() {
        return None;
    }
    let p = whole_cell(&p, sheet, row, "min_percent", problems);
    let l = whole_cell(&l, sheet, row, "min_at_least", problems);
    let cap = if c.is_empty() {
        String::new()
    } else {
        format!(
            ", at_most = {}",
            whole_cell(&c, sheet, row, "min_at_most", problems)
        )
    };
    Some(format!(
        "min_sample = {{ percent = {p}, at_least = {l}{cap} }}"
    ))
}

/// Where each line of the generated TOML came from.
struct Origins(Vec<(String, usize, String)>);

/// Text being built, with the origin of every line.
struct Out {
    text: String,
    origins: Origins,
}

impl Out {
    fn line(&mut self, line: String, sheet: &str, row: usize, column: &str) {
        self.text.push_str(&line);
        self.text.push('\n');
        self.origins
            .0
            .push((sheet.to_string(), row, column.to_string()));
    }
}

/// Reads a workbook written by [`export`] (or by a person in the same shape)
/// into framework TOML; every problem is named by sheet, row and column.
pub fn import(bytes: &[u8]) -> Result<String, Vec<SheetProblem>> {
    use calamine::Data;
    let whole = |m: String| {
        vec![SheetProblem {
            sheet: "-".into(),
            row: 0,
            column: String::new(),
            message: m,
        }]
    };
    let mut book = crate::spreadsheet::open_xlsx(bytes, crate::spreadsheet::LIMITS)
        .map_err(|e| whole(e.to_string()))?;
    let mut problems = Vec::new();
    // sheet -> rows (Excel row number, column name -> value)
    let mut data: HashMap<&str, Rows> = HashMap::new();
    for (name, columns) in SHEETS {
        let range = match book.sheet(name) {
            Ok(Some(r)) => r,
            Err(e) => return Err(whole(e.to_string())),
            Ok(None) => {
                if !OPTIONAL_SHEETS.contains(name) {
                    problems.push(SheetProblem {
                        sheet: name.to_string(),
                        row: 0,
                        column: String::new(),
                        message: "ไม่พบแผ่นงานนี้ / the sheet is missing".into(),
                    });
                }
                continue;
            }
        };
        let first = range.start().map_or(0, |(r, _)| r as usize);
        let mut rows = range.rows();
        let header: Vec<String> = rows
            .next()
            .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
            .unwrap_or_default();
        for col in *columns {
            if !header.iter().any(|h| h == col) && !OPTIONAL_COLUMNS.contains(&(*name, *col)) {
                problems.push(SheetProblem {
                    sheet: name.to_string(),
                    row: first + 1,
                    column: col.to_string(),
                    message: "ไม่พบคอลัมน์นี้ในแถวหัวตาราง / the header row lacks this column".into(),
                });
            }
        }
        let mut out = Vec::new();
        for (i, r) in rows.enumerate() {
            let mut m = HashMap::new();
            for (c, v) in r.iter().enumerate() {
                let Some(h) = header.get(c) else { continue };
                let v = match v {
                    Data::Empty => String::new(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
                    other => other.to_string(),
                };
                m.insert(h.clone(), v.trim().to_string());
            }
            if m.values().all(|v| v.is_empty()) {
                continue;
            }
            out.push((first + i + 2, m));
        }
        data.insert(name, out);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut o = Out {
        text: String::new(),
        origins: Origins(Vec::new()),
    };
    let get = |m: &HashMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
    // Integers must be integers; numbers may be decimals or fractions (quoted,
    // read exactly by the parser).
    let num = |v: &str| quote(&itas_core::thai::arabic_digits(v));

    // framework settings
    let settings = data.remove("framework").unwrap_or_default();
    for (row, m) in &settings {
        let key = get(m, "key");
        let value = get(m, "value");
        let line = match key.as_str() {
            "fiscal_year" | "national_target_percent" => {
                format!(
                    "{key} = {}",
                    whole_cell(&value, "framework", *row, "value", &mut problems)
                )
            }
            "pass_mark" => format!("{key} = {}", num(&value)),
            "code" | "name_th" | "name_en" | "rounding" | "result_rule" => {
                format!("{key} = {}", quote(&value))
            }
            other => {
                problems.push(SheetProblem {
                    sheet: "framework".into(),
                    row: *row,
                    column: "key".into(),
                    message: format!("ไม่รู้จักค่า '{other}' / unknown key '{other}'"),
                });
                continue;
            }
        };
        o.line(line, "framework", *row, "value");
    }
    let provisional = data.remove("provisional").unwrap_or_default();
    if !provisional.is_empty() {
        o.line("[provisional]".into(), "provisional", 0, "");
        for (row, m) in &provisional {
            o.line(
                format!("{} = {}", quote(&get(m, "part")), quote(&get(m, "note"))),
                "provisional",
                *row,
                "note",
            );
        }
    }
    for (row, m) in data.remove("levels").unwrap_or_default() {
        o.line("[[levels]]".into(), "levels", row, "");
        o.line(
            format!("code = {}", quote(&get(&m, "code"))),
            "levels",
            row,
            "code",
        );
        for k in ["min", "max", "tool_floor"] {
            let v = get(&m, k);
            if !v.is_empty() {
                o.line(format!("{k} = {}", num(&v)), "levels", row, k);
            }
        }
        for k in ["name_th", "name_en"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), "levels", row, k);
        }
    }
    // Scales: rows grouped by scale, in order of first appearance.
    let mut scale_order: Vec<String> = Vec::new();
    let mut scale_rows: HashMap<String, Rows> = HashMap::new();
    for (row, m) in data.remove("scales").unwrap_or_default() {
        let s = get(&m, "scale");
        if !scale_rows.contains_key(&s) {
            scale_order.push(s.clone());
        }
        scale_rows.entry(s).or_default().push((row, m));
    }
    for s in scale_order {
        let rows = &scale_rows[&s];
        o.line(
            format!("[scales.{}]", quote(&s)),
            "scales",
            rows[0].0,
            "scale",
        );
        o.line("options = [".into(), "scales", rows[0].0, "");
        for (row, m) in rows {
            o.line(
                format!(
                    "  {{ code = {}, th = {}, en = {}, score = {} }},",
                    quote(&get(m, "code")),
                    quote(&get(m, "th")),
                    quote(&get(m, "en")),
                    num(&get(m, "score"))
                ),
                "scales",
                *row,
                "score",
            );
        }
        o.line("]".into(), "scales", rows[rows.len() - 1].0, "");
    }
    for (row, m) in data.remove("tools").unwrap_or_default() {
        let t = "tools";
        o.line("[[tools]]".into(), t, row, "");
        o.line(
            format!("code = {}", quote(&get(&m, "code"))),
            t,
            row,
            "code",
        );
        o.line(
            format!("kind = {}", quote(&get(&m, "kind"))),
            t,
            row,
            "kind",
        );
        o.line(
            format!("weight = {}", num(&get(&m, "weight"))),
            t,
            row,
            "weight",
        );
        for k in ["name_th", "name_en"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), t, row, k);
        }
        if let Some(line) = min_sample_line(&m, t, row, &mut problems) {
            o.line(line, t, row, "min_percent");
        }
        let combine = get(&m, "combine");
        if !combine.is_empty() && combine != "pooled" {
            o.line(format!("combine = {}", quote(&combine)), t, row, "combine");
        }
    }
    for (row, m) in data.remove("parts").unwrap_or_default() {
        let t = "parts";
        o.line("[[parts]]".into(), t, row, "");
        o.line(
            format!("tool = {}", quote(&get(&m, "tool"))),
            t,
            row,
            "tool",
        );
        let n = whole_cell(&get(&m, "number"), t, row, "number", &mut problems);
        o.line(format!("number = {n}"), t, row, "number");
        for k in ["name_th", "name_en", "collected_by"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), t, row, k);
        }
        let weight = get(&m, "weight");
        if !weight.is_empty() {
            o.line(format!("weight = {}", num(&weight)), t, row, "weight");
        }
        if let Some(line) = min_sample_line(&m, t, row, &mut problems) {
            o.line(line, t, row, "min_percent");
        }
    }
    for (row, m) in data.remove("indicators").unwrap_or_default() {
        let t = "indicators";
        o.line("[[indicators]]".into(), t, row, "");
        let n = whole_cell(&get(&m, "number"), t, row, "number", &mut problems);
        o.line(format!("number = {n}"), t, row, "number");
        for k in ["tool", "name_th", "name_en", "suggestion_th"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), t, row, k);
        }
    }
    for (row, m) in data.remove("subindicators").unwrap_or_default() {
        let t = "subindicators";
        o.line("[[subindicators]]".into(), t, row, "");
        o.line(
            format!("code = {}", quote(&get(&m, "code"))),
            t,
            row,
            "code",
        );
        let n = whole_cell(&get(&m, "indicator"), t, row, "indicator", &mut problems);
        o.line(format!("indicator = {n}"), t, row, "indicator");
        for k in ["name_th", "name_en"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), t, row, k);
        }
    }
    // Cells by item, in sheet order.
    let mut cells: HashMap<String, Rows> = HashMap::new();
    for (row, m) in data.remove("cells").unwrap_or_default() {
        cells.entry(get(&m, "item")).or_default().push((row, m));
    }
    for (row, m) in data.remove("items").unwrap_or_default() {
        let t = "items";
        let code = get(&m, "code");
        o.line("[[items]]".into(), t, row, "");
        o.line(format!("code = {}", quote(&code)), t, row, "code");
        let ind = get(&m, "indicator");
        if !ind.is_empty() {
            let n = whole_cell(&ind, t, row, "indicator", &mut problems);
            o.line(format!("indicator = {n}"), t, row, "indicator");
        }
        let sub = get(&m, "subindicator");
        if !sub.is_empty() {
            o.line(
                format!("subindicator = {}", quote(&sub)),
                t,
                row,
                "subindicator",
            );
        }
        for k in ["th", "en"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), t, row, k);
        }
        let answer = get(&m, "answer");
        if !answer.is_empty() {
            o.line(format!("answer = {}", quote(&answer)), t, row, "answer");
            if let Some(cs) = cells.remove(&code) {
                o.line("cells = [".into(), t, row, "answer");
                for (crow, c) in cs {
                    let rev = get(&c, "reverse").to_ascii_lowercase();
                    let reverse = matches!(rev.as_str(), "true" | "1" | "yes" | "ใช่");
                    o.line(
                        format!(
                            "  {{ th = {}, en = {}, reverse = {reverse} }},",
                            quote(&get(&c, "th")),
                            quote(&get(&c, "en"))
                        ),
                        "cells",
                        crow,
                        "th",
                    );
                }
                o.line("]".into(), t, row, "answer");
            }
        }
        let req = get(&m, "requirement_th");
        if !req.is_empty() {
            o.line(
                format!("requirement_th = {}", quote(&req)),
                t,
                row,
                "requirement_th",
            );
            let kws: Vec<String> = get(&m, "keywords")
                .split('|')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(quote)
                .collect();
            o.line(
                format!("keywords = [{}]", kws.join(", ")),
                t,
                row,
                "keywords",
            );
            let year = get(&m, "year");
            if !year.is_empty() {
                o.line(format!("year = {}", quote(&year)), t, row, "year");
            }
            let itas_page = get(&m, "itas_page").to_ascii_lowercase();
            if matches!(itas_page.as_str(), "true" | "1" | "yes" | "ใช่") {
                o.line("itas_page = true".into(), t, row, "itas_page");
            }
        }
    }
    for (row, m) in data.remove("min_samples").unwrap_or_default() {
        let t = "min_samples";
        o.line("[[min_samples]]".into(), t, row, "");
        for k in ["tool", "kind", "size"] {
            o.line(format!("{k} = {}", quote(&get(&m, k))), t, row, k);
        }
        let n = whole_cell(&get(&m, "required"), t, row, "required", &mut problems);
        o.line(format!("required = {n}"), t, row, "required");
    }
    for (item, rows) in cells {
        for (row, _) in rows {
            problems.push(SheetProblem {
                sheet: "cells".into(),
                row,
                column: "item".into(),
                message: format!(
                    "ไม่มีข้อคำถาม '{item}' ที่มีคำตอบในแผ่นงาน items / no survey item '{item}' in the items sheet"
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Settings go before any table: TOML keys after a [table] belong to it.
    match framework::parse("framework.xlsx", &o.text) {
        Ok(_) => Ok(o.text),
        Err(e) => Err(e
            .problems
            .iter()
            .map(|p| {
                let (sheet, row, column) = o
                    .origins
                    .0
                    .get(p.line.saturating_sub(1))
                    .cloned()
                    .unwrap_or_else(|| ("framework".into(), 0, String::new()));
                SheetProblem {
                    sheet,
                    row,
                    column,
                    message: format!("{} / {}", p.message_th, p.message),
                }
            })
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_people_type_them_and_read_back_exactly() {
        let e = |n, d| Exact::new(n, d);
        assert_eq!(exact_human(&e(3, 10)), "0.3");
        assert_eq!(exact_human(&e(9499, 100)), "94.99");
        assert_eq!(exact_human(&e(100, 3)), "100/3");
        assert_eq!(exact_human(&e(100, 1)), "100");
        assert_eq!(exact_human(&e(-1, 4)), "-0.25");
    }

    #[test]
    fn a_broken_sheet_is_refused_with_its_cell_named() {
        let fw = framework::embedded("ita-2569").unwrap();
        let mut sheets = sheets_of(&fw);
        let set = |sheets: &mut Vec<(&'static str, Vec<Vec<String>>)>,
                   sheet: &str,
                   row: usize,
                   col: usize,
                   v: &str| {
            let s = sheets.iter_mut().find(|(n, _)| *n == sheet).unwrap();
            s.1[row][col] = v.to_string();
        };
        // IIT weighs 0.5: the weights no longer add up to 1 (tools, row 2, weight).
        set(&mut sheets, "tools", 0, 2, "0.5");
        // An indicator number that is not a number (indicators, row 4, number).
        set(&mut sheets, "indicators", 2, 0, "สาม");
        let err = import(&write_book(&sheets).unwrap()).unwrap_err();
        let shown: Vec<String> = err.iter().map(|p| p.to_string()).collect();
        assert!(
            err.iter()
                .any(|p| p.sheet == "indicators" && p.row == 4 && p.column == "number"),
            "{shown:?}"
        );
        assert!(shown.iter().any(|s| s.starts_with(
            "แผ่นงาน indicators แถว 4 คอลัมน์ number / sheet indicators, row 4, column number"
        )));
        // Fix the number: the weight problem is then found by the parser's rules
        // and still named by its sheet, row and column.
        set(&mut sheets, "indicators", 2, 0, "3");
        let err = import(&write_book(&sheets).unwrap()).unwrap_err();
        assert!(
            err.iter()
                .any(|p| p.sheet == "tools" && p.row == 2 && p.message.contains("weight")),
            "{err:?}"
        );
        // A missing sheet is named.
        let without: Vec<_> = sheets_of(&fw)
            .into_iter()
            .filter(|(n, _)| *n != "items")
            .collect();
        let err = import(&write_book(&without).unwrap()).unwrap_err();
        assert!(
            err.iter()
                .any(|p| p.sheet == "items" && p.message.contains("missing"))
        );
    }

    #[test]
    fn every_embedded_framework_round_trips_through_xlsx() {
        for (name, _) in framework::EMBEDDED {
            let fw = framework::embedded(name).unwrap();
            let bytes = export(&fw).unwrap();
            let toml = import(&bytes).unwrap_or_else(|p| {
                panic!(
                    "{name}: {}",
                    p.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            });
            let back = framework::parse("x.toml", &toml).unwrap();
            assert_eq!(back, fw, "{name} through XLSX is the same framework");
        }
    }

    #[test]
    fn weighted_parts_round_trip_through_xlsx() {
        let source = framework::ITA_2568_SOURCE
            .replace(
                "min_sample = { percent = 10, at_least = 30, at_most = 400 }",
                "min_sample = { percent = 10, at_least = 30, at_most = 400 }\ncombine = \"weighted\"",
            )
            .replace("collected_by = \"agency\"", "collected_by = \"agency\"\nweight = \"2/3\"")
            .replace(
                "collected_by = \"central\"",
                "collected_by = \"central\"\nweight = \"1/3\"\nmin_sample = { percent = 0, at_least = 20 }",
            );
        let fw = framework::parse("w.toml", &source).unwrap();
        let back = framework::parse("x.toml", &import(&export(&fw).unwrap()).unwrap()).unwrap();
        assert_eq!(back, fw);
        assert_eq!(
            back.required_sample("EIT.2", "department", "", 1000),
            Some(20)
        );
    }
}
