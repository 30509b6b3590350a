//! An agency's results over the years: those the NACC published before
//! itas (imported by the central office from a file, each row checked
//! against its year's framework) and those itas computed and published.
//!
//! The file: one row per agency and fiscal year, a header naming the
//! columns in English or Thai. Required: agency code, fiscal year, overall
//! and a column per tool of that year's framework (IIT, EIT, OIT).
//! Optional: the framework (default `ita-{year}`), the indicators
//! (`indicator_1` … or `ตัวชี้วัดที่ 1` …), the printed label and a note
//! shown beside the year (`note` or `หมายเหตุ`, e.g. "ตัวเลขสาธิต").

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, Result};
use itas_core::Score;
use itas_core::framework::Framework;
use itas_core::history::{PublishedRow, check};
use itas_store::history::{NewImported, Replaced};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// A row the import refused, where to find it and why, in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    pub line: usize,
    pub th: String,
    pub en: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows stored.
    pub stored: usize,
    /// Each fiscal year the file replaced: (rows before, rows now).
    pub years: BTreeMap<i64, (i64, i64)>,
    /// Every refused row, in file order.
    pub problems: Vec<LineProblem>,
}

/// Column names accepted for each field, lower-cased: English, then Thai.
const AGENCY: &[&str] = &["agency_code", "code", "รหัสหน่วยงาน", "รหัส"];
const YEAR: &[&str] = &["fiscal_year", "year", "ปีงบประมาณ", "ปี"];
const FRAMEWORK: &[&str] = &["framework", "กรอบการประเมิน"];
const OVERALL: &[&str] = &["overall", "คะแนนรวม", "คะแนนภาพรวม"];
const LABEL: &[&str] = &["label", "level", "result", "ผลการประเมิน", "ระดับ"];
const NOTE: &[&str] = &["note", "หมายเหตุ"];
/// A note is a few words beside a year, not a document.
const NOTE_MAX: usize = 200;

/// The central office imports a file of published results.
pub async fn import(
    app: &App,
    actor: &Actor,
    bytes: Vec<u8>,
    filename: &str,
) -> Result<ImportReport> {
    crate::rounds::require_central(actor)?;
    import_as(app, Some(&actor.user_id), bytes, filename).await
}

/// The import itself, for the command line too (`actor` none: the operator).
pub async fn import_as(
    app: &App,
    actor: Option<&str>,
    bytes: Vec<u8>,
    filename: &str,
) -> Result<ImportReport> {
    import_into(&app.db, actor, bytes, filename).await
}

/// The import on a bare database: the demo loads its history file here,
/// through the same checks as any other.
pub(crate) async fn import_into(
    db: &itas_store::Db,
    actor: Option<&str>,
    bytes: Vec<u8>,
    filename: &str,
) -> Result<ImportReport> {
    let name = filename.to_string();
    let table = tokio::task::spawn_blocking(move || crate::import::table_rows(&bytes, &name))
        .await
        .map_err(|e| Error::new(ErrorCode::Internal).detail(e.to_string()))?
        .map_err(|e| Error::new(ErrorCode::Invalid).detail(e))?;
    let agencies = itas_store::history::agency_ids_by_code(db).await?;
    let frameworks = known_frameworks(db).await?;
    let (rows, problems) = read_rows(table, &agencies, &frameworks).map_err(|(th, en)| {
        Error::invalid(vec![crate::error::FieldProblem::new("file", th, en)])
    })?;
    let mut report = ImportReport {
        problems,
        ..Default::default()
    };
    if !rows.is_empty() {
        let Replaced { years } = itas_store::history::replace_years(db, actor, &rows).await?;
        report.stored = rows.len();
        report.years = years;
    }
    tracing::info!(
        stored = report.stored,
        refused = report.problems.len(),
        years = ?report.years.keys().collect::<Vec<_>>(),
        "published results imported"
    );
    Ok(report)
}

/// The fiscal years imported so far, each with its number of agencies.
pub async fn years_held(app: &App, actor: &Actor) -> Result<Vec<(i64, i64)>> {
    crate::rounds::require_central(actor)?;
    Ok(itas_store::history::years(&app.db).await?)
}

/// Every framework a row may name: the embedded ones and those of rounds.
async fn known_frameworks(db: &itas_store::Db) -> Result<HashMap<String, Arc<Framework>>> {
    let mut out: HashMap<String, Arc<Framework>> = EMBEDDED_FRAMEWORKS.clone();
    for r in itas_store::rounds::list(db).await? {
        if !out.contains_key(&r.framework_code)
            && let Ok(fw) = r.framework()
        {
            out.insert(r.framework_code.clone(), Arc::new(fw));
        }
    }
    Ok(out)
}

/// The embedded frameworks, read once per process: pages that show an
/// agency's imported years look up their levels' names here.
static EMBEDDED_FRAMEWORKS: std::sync::LazyLock<HashMap<String, Arc<Framework>>> =
    std::sync::LazyLock::new(|| {
        itas_core::framework::EMBEDDED
            .iter()
            .filter_map(|(code, _)| {
                Some((
                    code.to_string(),
                    Arc::new(itas_core::framework::embedded(code)?),
                ))
            })
            .collect()
    });

type Table = Vec<(usize, Vec<String>)>;

/// Reads and checks every row; a problem with the file as a whole (no
/// header, a missing column) is the error.
fn read_rows(
    table: Table,
    agencies: &BTreeMap<String, String>,
    frameworks: &HashMap<String, Arc<Framework>>,
) -> std::result::Result<(Vec<NewImported>, Vec<LineProblem>), (String, String)> {
    let mut it = table.into_iter();
    let Some((_, header)) = it.next() else {
        return Err(("ไฟล์ว่างเปล่า".into(), "the file is empty".into()));
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (agency_col, year_col, overall_col) = (find(AGENCY), find(YEAR), find(OVERALL));
    let missing: Vec<&str> = [
        ("agency_code", agency_col),
        ("fiscal_year", year_col),
        ("overall", overall_col),
    ]
    .iter()
    .filter(|(_, c)| c.is_none())
    .map(|(n, _)| *n)
    .collect();
    if !missing.is_empty() {
        let m = missing.join(", ");
        return Err((
            format!("ไม่พบคอลัมน์ {m} (แถวแรกต้องเป็นหัวตาราง)"),
            format!("missing column(s): {m} (the first row must be the header)"),
        ));
    }
    let (agency_col, year_col, overall_col) = (
        agency_col.unwrap_or(0),
        year_col.unwrap_or(0),
        overall_col.unwrap_or(0),
    );
    let framework_col = find(FRAMEWORK);
    let label_col = find(LABEL);
    let note_col = find(NOTE);
    // Tool columns by their code ("iit" or "คะแนน iit"), indicators by number.
    let tool_col = |code: &str| {
        let code = code.to_lowercase();
        header.iter().position(|h| {
            *h == code || *h == format!("คะแนน {code}") || *h == format!("คะแนน{code}")
        })
    };
    let indicator_cols: BTreeMap<u32, usize> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let n = h
                .strip_prefix("indicator_")
                .or_else(|| h.strip_prefix("ตัวชี้วัดที่"))?
                .trim();
            itas_core::thai::arabic_digits(n)
                .parse::<u32>()
                .ok()
                .map(|n| (n, i))
        })
        .collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashSet<(String, i64)> = HashSet::new();
    for (line, cells) in it {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
        let mut refuse = |th: String, en: String| {
            problems.push(LineProblem { line, th, en });
        };
        let code = cell(agency_col);
        let Some(agency_id) = agencies.get(code) else {
            refuse(
                format!("ไม่พบหน่วยงานรหัส '{code}'"),
                format!("unknown agency '{code}'"),
            );
            continue;
        };
        let year_text = itas_core::thai::arabic_digits(cell(year_col));
        let Some(year) = year_text
            .parse::<i64>()
            .ok()
            .filter(|y| (2500..=2700).contains(y))
        else {
            refuse(
                format!("ปีงบประมาณ '{}' ต้องเป็นปี พ.ศ. เช่น 2566", cell(year_col)),
                format!(
                    "fiscal year '{}' must be a Buddhist-era year such as 2566",
                    cell(year_col)
                ),
            );
            continue;
        };
        // A second row of an agency's year, once one was kept.
        if seen.contains(&(agency_id.clone(), year)) {
            refuse(
                format!("หน่วยงาน {code} ปี {year} มีแล้วในแถวก่อนหน้าของไฟล์"),
                format!("agency {code}, year {year} is already in an earlier row"),
            );
            continue;
        }
        let framework_code = framework_col
            .map(|c| cell(c).to_string())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| format!("ita-{year}"));
        let Some(fw) = frameworks.get(&framework_code) else {
            let mut known: Vec<&str> = frameworks.keys().map(String::as_str).collect();
            known.sort_unstable();
            refuse(
                format!(
                    "ไม่รู้จักกรอบการประเมิน '{framework_code}' (ที่มี: {})",
                    known.join(", ")
                ),
                format!(
                    "unknown framework '{framework_code}' (known: {})",
                    known.join(", ")
                ),
            );
            continue;
        };
        let score = |what_th: &str,
                     what_en: &str,
                     text: &str|
         -> std::result::Result<Score, (String, String)> {
            itas_core::thai::arabic_digits(text).parse::<Score>().map_err(|_| {
                (
                    format!("{what_th} '{text}' ต้องเป็นคะแนน 0 ถึง 100 ทศนิยมไม่เกินสองตำแหน่ง"),
                    format!("{what_en} '{text}' must be a score from 0 to 100 with at most two decimals"),
                )
            })
        };
        let mut bad: Vec<(String, String)> = Vec::new();
        let overall = score("คะแนนภาพรวม", "overall", cell(overall_col))
            .map_err(|e| bad.push(e))
            .ok();
        let mut tools = BTreeMap::new();
        for t in &fw.tools {
            match tool_col(&t.code) {
                None => bad.push((
                    format!("ไม่มีคอลัมน์คะแนน {} ของกรอบการประเมิน {framework_code}", t.code),
                    format!("no {} column, which {framework_code} needs", t.code),
                )),
                Some(c) => match score(&t.code, &t.code, cell(c)) {
                    Ok(s) => {
                        tools.insert(t.code.clone(), s);
                    }
                    Err(e) => bad.push(e),
                },
            }
        }
        let mut indicators = BTreeMap::new();
        for (n, c) in &indicator_cols {
            let text = cell(*c);
            if text.is_empty() {
                continue;
            }
            match score(&format!("ตัวชี้วัดที่ {n}"), &format!("indicator {n}"), text)
            {
                Ok(s) => {
                    indicators.insert(*n, s);
                }
                Err(e) => bad.push(e),
            }
        }
        let label = label_col.map(|c| cell(c).to_string()).unwrap_or_default();
        let note = note_col.map(|c| cell(c).to_string()).unwrap_or_default();
        if note.chars().count() > NOTE_MAX {
            bad.push((
                format!("หมายเหตุยาวเกิน {NOTE_MAX} ตัวอักษร"),
                format!("the note is longer than {NOTE_MAX} characters"),
            ));
        }
        let (Some(overall), true) = (overall, bad.is_empty()) else {
            let (th, en): (Vec<String>, Vec<String>) = bad.into_iter().unzip();
            refuse(th.join("; "), en.join("; "));
            continue;
        };
        let published = PublishedRow {
            overall,
            tools,
            indicators,
            label: label.clone(),
        };
        match check(fw, &published) {
            Ok(checked) => {
                seen.insert((agency_id.clone(), year));
                rows.push(NewImported {
                    agency_id: agency_id.clone(),
                    fiscal_year: year,
                    framework_code,
                    overall: overall.hundredths(),
                    tools: published
                        .tools
                        .iter()
                        .map(|(t, s)| (t.clone(), s.hundredths()))
                        .collect(),
                    indicators: published
                        .indicators
                        .iter()
                        .map(|(n, s)| (*n, s.hundredths()))
                        .collect(),
                    level: checked.level,
                    label,
                    note,
                })
            }
            Err(ps) => {
                let th: Vec<String> = ps.iter().map(|p| p.message_th()).collect();
                let en: Vec<String> = ps.iter().map(|p| p.message_en()).collect();
                refuse(
                    format!("ปี {year} ({framework_code}): {}", th.join("; ")),
                    format!("year {year} ({framework_code}): {}", en.join("; ")),
                );
            }
        }
    }
    Ok((rows, problems))
}

/// An agency's imported years, oldest first, each with its level's names
/// from the framework it names (parsed only for the frameworks named).
pub async fn imported_of(app: &App, agency_id: &str) -> Result<Vec<HistoryYear>> {
    let mut out = Vec::new();
    let mut frameworks = Frameworks::default();
    for r in itas_store::history::of_agency(&app.db, agency_id).await? {
        let fw = frameworks.named(app, &r.framework_code).await?;
        out.push(history_year(r, fw.as_deref()));
    }
    Ok(out)
}

/// Frameworks looked up once each while reading many rows.
#[derive(Default)]
struct Frameworks(HashMap<String, Option<Arc<Framework>>>);

impl Frameworks {
    async fn named(&mut self, app: &App, code: &str) -> Result<Option<Arc<Framework>>> {
        if !self.0.contains_key(code) {
            let fw = framework_named(app, code).await?;
            self.0.insert(code.to_string(), fw);
        }
        Ok(self.0[code].clone())
    }
}

/// A stored row as a year of results, its level named by its framework
/// (by its code alone when the framework is unknown here).
fn history_year(r: itas_store::history::ImportedResult, fw: Option<&Framework>) -> HistoryYear {
    let tools: BTreeMap<String, i64> = serde_json::from_str(&r.tools).unwrap_or_default();
    let indicators: BTreeMap<u32, i64> = if r.indicators.is_empty() {
        BTreeMap::new()
    } else {
        serde_json::from_str(&r.indicators).unwrap_or_default()
    };
    let level = fw.and_then(|fw| fw.levels.iter().find(|l| l.code == r.level));
    HistoryYear {
        fiscal_year: r.fiscal_year,
        framework: r.framework_code,
        overall: Score::from_hundredths(r.overall),
        tools: tools
            .into_iter()
            .map(|(t, h)| (t, Score::from_hundredths(h)))
            .collect(),
        indicators: indicators
            .into_iter()
            .map(|(n, h)| (n, Score::from_hundredths(h)))
            .collect(),
        level_th: level.map_or(r.level.clone(), |l| l.name_th.clone()),
        level_en: level.map_or(r.level.clone(), |l| l.name_en.clone()),
        level: r.level,
        note: r.note,
        source: Source::Imported,
    }
}

/// The years imported so far, oldest first (public: published results).
pub async fn imported_years(app: &App) -> Result<Vec<i64>> {
    Ok(itas_store::history::years(&app.db)
        .await?
        .into_iter()
        .map(|(year, _)| year)
        .collect())
}

/// Every agency's imported result of a year as a round's table, with the
/// framework most of its rows name: what dashboards draw a year from. Kept
/// like a round's table; an import moves the scores' generation.
pub async fn year_table(
    app: &App,
    fiscal_year: i64,
) -> Result<Option<(Arc<Framework>, Arc<Vec<crate::published::ResultRow>>)>> {
    let generation = itas_store::rounds::scores_generation();
    let key = year_key(fiscal_year);
    let rows = app
        .caches
        .results
        .get_or_compute(&key, generation, || async {
            let mut frameworks = Frameworks::default();
            let mut out = Vec::new();
            for y in itas_store::history::of_year(&app.db, fiscal_year).await? {
                let fw = frameworks.named(app, &y.result.framework_code).await?;
                let agency_id = y.result.agency_id.clone();
                let year = history_year(y.result, fw.as_deref());
                out.push(crate::published::ResultRow {
                    agency_id,
                    code: y.code,
                    name_th: y.name_th,
                    kind: y.kind,
                    province: y.province,
                    parent_id: y.parent_id,
                    card: year.card(),
                    short: Vec::new(),
                    parts: Vec::new(),
                });
            }
            Ok::<_, Error>(out)
        })
        .await?;
    // The framework most rows name: a year's file may mix a ministry's own.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows.iter() {
        *counts.entry(r.card.framework.as_str()).or_default() += 1;
    }
    let Some((code, _)) = counts.iter().max_by_key(|(_, n)| **n) else {
        return Ok(None);
    };
    let Some(fw) = framework_named(app, code).await? else {
        return Ok(None);
    };
    Ok(Some((fw, rows)))
}

/// How an imported year is keyed among rounds' tables and figures.
pub fn year_key(fiscal_year: i64) -> String {
    format!("imported-{fiscal_year}")
}

/// A framework by its code: an embedded one, or a ministry's own that a
/// round holds; None when neither knows it.
pub async fn framework_named(app: &App, code: &str) -> Result<Option<Arc<Framework>>> {
    if let Some(fw) = EMBEDDED_FRAMEWORKS.get(code) {
        return Ok(Some(fw.clone()));
    }
    Ok(itas_store::rounds::list(&app.db)
        .await?
        .into_iter()
        .find(|round| round.framework_code == code)
        .and_then(|round| round.framework().ok())
        .map(Arc::new))
}

/// Where a year's result comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Published by the NACC and imported from a file.
    Imported,
    /// Computed and published by itas in this round.
    Round { id: String, name: String },
}

/// One year of an agency's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryYear {
    pub fiscal_year: i64,
    pub framework: String,
    pub overall: Score,
    pub tools: BTreeMap<String, Score>,
    /// Empty when the year's file gave none.
    pub indicators: BTreeMap<u32, Score>,
    /// The level code under that year's own rule, with its names.
    pub level: String,
    pub level_th: String,
    pub level_en: String,
    /// What the importer said of the year; empty for rounds.
    pub note: String,
    pub source: Source,
}

impl HistoryYear {
    pub fn imported(&self) -> bool {
        self.source == Source::Imported
    }

    /// The year as a scorecard: what comparisons and trends read. Items and
    /// sub-indicators are not published, so an imported year has none.
    pub fn card(&self) -> itas_core::Scorecard {
        itas_core::Scorecard {
            framework: self.framework.clone(),
            items: Default::default(),
            subindicators: Default::default(),
            indicators: self.indicators.clone(),
            tools: self.tools.clone(),
            overall: self.overall,
            level: self.level.clone(),
            level_th: self.level_th.clone(),
            held_back_by: Vec::new(),
        }
    }
}

/// Every year of an agency's published results, oldest first: rounds itas
/// published, and imported years that no such round covers. Public data,
/// so anyone may read it.
pub async fn of_agency(app: &App, agency_id: &str) -> Result<Vec<HistoryYear>> {
    if itas_store::agencies::get(&app.db, agency_id)
        .await?
        .is_none()
    {
        return Err(Error::new(ErrorCode::NotFound));
    }
    let mut years: BTreeMap<i64, HistoryYear> = imported_of(app, agency_id)
        .await?
        .into_iter()
        .map(|y| (y.fiscal_year, y))
        .collect();
    // A round itas published wins over an imported row of its year: it is
    // the same result, computed here from the answers.
    for round in itas_store::rounds::rounds_of_agency(&app.db, agency_id).await? {
        if round.published_at.is_none() {
            continue;
        }
        let fw = crate::survey::round_framework(app, &round.id).await?;
        let Some(card) = crate::published::agency_card(app, &round, &fw, agency_id).await? else {
            continue;
        };
        if years
            .get(&round.fiscal_year)
            .is_some_and(|y| matches!(y.source, Source::Round { .. }))
        {
            continue;
        }
        let level = fw.levels.iter().find(|l| l.code == card.level);
        years.insert(
            round.fiscal_year,
            HistoryYear {
                fiscal_year: round.fiscal_year,
                framework: fw.code.clone(),
                overall: card.overall,
                tools: card.tools.clone(),
                indicators: card.indicators.clone(),
                level_th: level.map_or(card.level.clone(), |l| l.name_th.clone()),
                level_en: level.map_or(card.level.clone(), |l| l.name_en.clone()),
                level: card.level.clone(),
                note: String::new(),
                source: Source::Round {
                    id: round.id.clone(),
                    name: round.name.clone(),
                },
            },
        );
    }
    Ok(years.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.split(',').map(str::to_string).collect()))
            .collect()
    }

    fn frameworks() -> HashMap<String, Arc<Framework>> {
        ["ita-2564", "ita-2566", "ita-2567"]
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    Arc::new(itas_core::framework::embedded(c).unwrap()),
                )
            })
            .collect()
    }

    #[test]
    fn every_bad_row_is_named_by_its_line_and_the_good_ones_are_kept() {
        let agencies: BTreeMap<String, String> = [("A1".to_string(), "id-a1".to_string())].into();
        let text = "\u{feff}รหัสหน่วยงาน,ปีงบประมาณ,กรอบการประเมิน,คะแนนภาพรวม,IIT,EIT,OIT,ผลการประเมิน\n\
                    A1,๒๕๖๔,ita-2564,68.00,86.03,80.17,45.34,C\n\
                    ZZ,2564,ita-2564,68.00,86.03,80.17,45.34,C\n\
                    A1,2566,,95.20,100,84,100,ผ่านดี\n\
                    A1,2567,,95.20,100,84,100,ผ่านดี\n\
                    A1,2566,,90.00,90,90,90,ผ่าน\n\
                    A1,2570,ita-2570,90,90,90,90,\n\
                    A1,64,ita-2564,68,1,2,3,\n\
                    A1,2565,ita-2564,abc,86.03,80.17,45.345,\n";
        let (rows, problems) = read_rows(table(text), &agencies, &frameworks()).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.fiscal_year, r.level.as_str()))
                .collect::<Vec<_>>(),
            [(2564, "C"), (2566, "good")]
        );
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 5, 6, 7, 8, 9]);
        let en: Vec<&str> = problems.iter().map(|p| p.en.as_str()).collect();
        assert!(en[0].contains("unknown agency 'ZZ'"), "{en:?}");
        assert!(
            en[1].contains("contradicts") && en[1].contains("ผ่าน"),
            "{en:?}"
        );
        assert!(en[2].contains("already in an earlier row"), "{en:?}");
        assert!(en[3].contains("unknown framework 'ita-2570'"), "{en:?}");
        assert!(en[4].contains("Buddhist-era"), "{en:?}");
        assert!(
            en[5].contains("overall 'abc'") && en[5].contains("OIT '45.345'"),
            "{en:?}"
        );
        assert!(problems.iter().all(|p| !p.th.is_empty()));
    }

    #[test]
    fn a_file_without_its_key_columns_is_refused_whole() {
        let (th, en) = read_rows(
            table("code,overall\nA1,68"),
            &BTreeMap::new(),
            &frameworks(),
        )
        .unwrap_err();
        assert!(
            en.contains("fiscal_year") && th.contains("fiscal_year"),
            "{en}"
        );
    }
}
