//! One broken framework file per validation rule, each with its message and line.

use super::{ita_2564, parse};

const MINI: &str = r#"code = "mini"
fiscal_year = 2569
name_th = "ทดสอบ"
rounding = "staged"
pass_mark = 85

[[levels]]
code = "P"
min = 50
max = 100

[[levels]]
code = "F"
min = 0
max = "49.99"

[scales.yn]
options = [
  { code = "n", th = "ไม่", score = 0 },
  { code = "y", th = "ใช่", score = 100 },
]

[[tools]]
code = "S"
kind = "survey"
weight = 0.5
name_th = "สำรวจ"

[[tools]]
code = "C"
kind = "checklist"
weight = 0.5
name_th = "ตรวจ"

[[indicators]]
number = 1
tool = "S"
name_th = "หนึ่ง"

[[indicators]]
number = 2
tool = "C"
name_th = "สอง"

[[subindicators]]
code = "2.1"
indicator = 2
name_th = "สองหนึ่ง"

[[items]]
code = "s1"
indicator = 1
answer = "yn"
th = "ข้อหนึ่ง"

[[items]]
code = "c1"
subindicator = "2.1"
th = "ข้อตรวจ"
"#;

/// Where a problem is expected: on the marker's own line, or on the header
/// (`[[tools]]`, `[scales.x]` …) of the table holding the marker.
enum At {
    Line,
    Table,
}

/// Applies `from → to` to the mini framework and expects a problem whose
/// message contains `message`, reported where `at` says relative to `line_of`.
#[track_caller]
fn refuses_at(from: &str, to: &str, message: &str, line_of: &str, at: At) {
    assert!(MINI.contains(from), "test setup: '{from}' not in MINI");
    let text = MINI.replacen(from, to, 1);
    let err = parse("mini.toml", &text).expect_err("the broken file must be refused");
    let lines: Vec<&str> = text.lines().collect();
    let marker = lines
        .iter()
        .position(|l| l.contains(line_of))
        .expect("marker line");
    let expected_line = match at {
        At::Line => marker,
        At::Table => (0..=marker)
            .rev()
            .find(|&i| lines[i].starts_with('['))
            .expect("table header"),
    } + 1;
    let shown = err.to_string();
    assert!(
        err.problems
            .iter()
            .any(|p| p.message.contains(message) && p.line == expected_line),
        "expected '{message}' at line {expected_line}, got:\n{shown}"
    );
    assert!(
        shown.starts_with("mini.toml:"),
        "message names the file: {shown}"
    );
    // A Thai author reads every problem in Thai, at the same place.
    for p in &err.problems {
        assert!(
            p.message_th
                .chars()
                .any(|c| ('\u{0E01}'..='\u{0E5B}').contains(&c)),
            "problem at line {} has no Thai: {}",
            p.line,
            p.message_th
        );
    }
    let thai = err.in_thai();
    assert!(
        thai.starts_with(&format!("mini.toml บรรทัด {expected_line} "))
            || thai.contains(&format!("\nmini.toml บรรทัด {expected_line} ")),
        "Thai version names file and line: {thai}"
    );
}

#[track_caller]
fn refuses(from: &str, to: &str, message: &str, line_of: &str) {
    refuses_at(from, to, message, line_of, At::Table)
}

#[test]
fn the_mini_framework_is_valid() {
    let fw = parse("mini.toml", MINI).unwrap();
    assert_eq!(fw.items.len(), 2);
    assert_eq!(fw.levels[0].code, "P");
}

#[test]
fn the_embedded_2564_framework_is_valid_and_complete() {
    let fw = ita_2564();
    assert_eq!(fw.indicators.len(), 10);
    let count = |tool: &str| {
        fw.indicators_of(tool)
            .map(|i| fw.items_of(i.number).count())
            .sum::<usize>()
    };
    assert_eq!((count("IIT"), count("EIT"), count("OIT")), (30, 15, 43));
    let sizes: Vec<usize> = fw
        .subindicators
        .iter()
        .map(|s| fw.items_of_sub(&s.code).count())
        .collect();
    assert_eq!(sizes, vec![9, 8, 7, 4, 5, 8, 2]);
    // 51 IIT answer cells. The SDU form's reverse cells are i4–i6 (3 each), i9, i10,
    // i11b, i16, i17, i18 (3), i19, i22: 19 cells (methodology.md's total of 17
    // is a miscount of its own list).
    let cells: Vec<_> = fw
        .indicators_of("IIT")
        .flat_map(|i| fw.items_of(i.number))
        .flat_map(|i| match &i.kind {
            super::ItemKind::Survey { cells, .. } => cells.clone(),
            _ => vec![],
        })
        .collect();
    assert_eq!(cells.len(), 51);
    assert_eq!(cells.iter().filter(|c| c.reverse).count(), 19);
}

#[test]
fn an_item_without_thai_text_is_refused() {
    refuses(
        "th = \"ข้อหนึ่ง\"",
        "th = \"  \"",
        "item s1: its Thai text (th) is empty",
        "code = \"s1\"",
    );
}

#[test]
fn syntax_error() {
    refuses_at(
        "weight = 0.5\nname_th = \"สำรวจ\"",
        "weight = = 0.5\nname_th = \"สำรวจ\"",
        "",
        "weight = = 0.5",
        At::Line,
    );
}

#[test]
fn unknown_field() {
    refuses_at(
        "kind = \"survey\"",
        "kind = \"survey\"\ncolour = \"red\"",
        "unknown field `colour`",
        "colour",
        At::Line,
    );
}

#[test]
fn weights_must_sum_to_one() {
    refuses(
        "weight = 0.5\nname_th = \"สำรวจ\"",
        "weight = 0.6\nname_th = \"สำรวจ\"",
        "tool weights sum to 1.1 instead of 1",
        "code = \"S\"",
    );
}

#[test]
fn indicator_without_items() {
    refuses(
        "[[subindicators]]",
        "[[indicators]]\nnumber = 3\ntool = \"S\"\nname_th = \"สาม\"\n\n[[subindicators]]",
        "indicator 3 has no items",
        "number = 3",
    );
}

#[test]
fn overlapping_level_bands() {
    refuses(
        "min = 50",
        "min = 49",
        "levels F (to 49.99) and P (from 49.00) overlap",
        "code = \"P\"",
    );
}

#[test]
fn gapped_level_bands() {
    refuses(
        "min = 50",
        "min = 60",
        "gap between levels F (to 49.99) and P (from 60.00)",
        "code = \"P\"",
    );
}

#[test]
fn bands_must_reach_100() {
    refuses(
        "max = 100",
        "max = 99",
        "the highest level P must end at 100",
        "code = \"P\"",
    );
}

#[test]
fn duplicate_item_codes() {
    refuses(
        "code = \"c1\"",
        "code = \"s1\"",
        "duplicate item code 's1'",
        "subindicator = \"2.1\"",
    );
}

#[test]
fn duplicate_indicator_numbers() {
    refuses(
        "number = 2",
        "number = 1",
        "duplicate indicator number 1",
        "tool = \"C\"",
    );
}

#[test]
fn unknown_answer_type() {
    refuses(
        "answer = \"yn\"",
        "answer = \"likert\"",
        "unknown answer type 'likert' (known: yn)",
        "code = \"s1\"",
    );
}

#[test]
fn unknown_tool_of_an_indicator() {
    refuses(
        "tool = \"S\"",
        "tool = \"X\"",
        "indicator 1: unknown tool 'X'",
        "number = 1",
    );
}

#[test]
fn unknown_rounding_policy() {
    refuses_at(
        "rounding = \"staged\"",
        "rounding = \"sometimes\"",
        "unknown rounding policy 'sometimes'",
        "rounding",
        At::Line,
    );
}

#[test]
fn unknown_tool_kind() {
    refuses_at(
        "kind = \"survey\"",
        "kind = \"poll\"",
        "unknown tool kind 'poll'",
        "kind = \"poll\"",
        At::Line,
    );
}

#[test]
fn pass_mark_out_of_range() {
    refuses_at(
        "pass_mark = 85",
        "pass_mark = 120",
        "pass_mark must be between 0 and 100",
        "pass_mark",
        At::Line,
    );
}

#[test]
fn option_score_out_of_range() {
    refuses_at(
        "score = 100 }",
        "score = 150 }",
        "option 'y' of 'yn': score must be between 0 and 100",
        "score = 150",
        At::Line,
    );
}

#[test]
fn sub_indicator_without_items() {
    refuses(
        "[[items]]\ncode = \"s1\"",
        "[[subindicators]]\ncode = \"2.2\"\nindicator = 2\nname_th = \"ว่าง\"\n\n[[items]]\ncode = \"s1\"",
        "sub-indicator 2.2 has no items",
        "code = \"2.2\"",
    );
}

#[test]
fn checklist_item_must_name_its_sub_indicator() {
    refuses(
        "subindicator = \"2.1\"",
        "indicator = 2",
        "indicator 2 has sub-indicators; name one",
        "code = \"c1\"",
    );
}

#[test]
fn tool_without_indicators() {
    refuses(
        "tool = \"C\"",
        "tool = \"S\"",
        "tool C has no indicators",
        "code = \"C\"",
    );
}

#[test]
fn unknown_sub_indicator() {
    refuses(
        "subindicator = \"2.1\"",
        "subindicator = \"2.9\"",
        "item c1: unknown sub-indicator '2.9'",
        "code = \"c1\"",
    );
}

#[test]
fn scale_with_one_option() {
    refuses(
        "  { code = \"n\", th = \"ไม่\", score = 0 },\n",
        "",
        "answer type 'yn' needs at least two options",
        "options",
    );
}

#[test]
fn survey_item_with_empty_cells() {
    refuses(
        "th = \"ข้อหนึ่ง\"",
        "th = \"ข้อหนึ่ง\"\ncells = []",
        "item s1: cells is empty",
        "code = \"s1\"",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = MINI
        .replacen("answer = \"yn\"", "answer = \"likert\"", 1)
        .replacen("min = 50", "min = 60", 1);
    let err = parse("mini.toml", &text).unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
}

#[test]
fn weights_as_strings_and_fractions_are_exact() {
    let text = MINI
        .replacen("weight = 0.5", "weight = \"1/3\"", 1)
        .replacen("weight = 0.5", "weight = \"2/3\"", 1);
    assert!(parse("mini.toml", &text).is_ok());
}

#[test]
fn the_embedded_current_frameworks_are_valid_and_marked_provisional() {
    for name in ["ita-2568", "ita-2569"] {
        let fw = super::embedded(name).unwrap();
        assert_eq!(fw.indicators.len(), 10, "{name}");
        assert_eq!(fw.checklist_items().count(), 26, "{name}: 26 OIT items");
        assert_eq!(fw.result_rule, super::ResultRule::Conditions);
        assert_eq!(fw.rounding, super::Rounding::ToolsAndOverall);
        assert!(fw.provisional.contains_key("questionnaires"));
        assert_eq!(
            fw.levels
                .iter()
                .map(|l| l.name_th.as_str())
                .collect::<Vec<_>>(),
            ["ผ่านดีเยี่ยม", "ผ่านดี", "ผ่าน", "ต้องปรับปรุง", "ต้องปรับปรุงโดยด่วน"]
        );
        // "Report" items look for the year before the round's.
        let previous = fw
            .checklist_items()
            .filter(|i| {
                matches!(
                    i.kind,
                    super::ItemKind::Checklist {
                        year: super::YearRef::Previous,
                        ..
                    }
                )
            })
            .count();
        assert!(previous >= 6, "{name}: {previous} report items");
    }
    assert!(ita_2564().provisional.is_empty());
}

const CONDITIONS: &str = r#"result_rule = "conditions"

[[levels]]
code = "good"
min = 85
tool_floor = 85
[[levels]]
code = "pass"
min = 85
[[levels]]
code = "fail"
min = 0
"#;

#[test]
fn a_conditions_rule_is_validated() {
    // MINI with its level bands replaced by `levels`.
    let with = |levels: &str| {
        let head_end = MINI.find("[[levels]]").unwrap();
        let rest = MINI.find("[scales.yn]").unwrap();
        format!("{}{levels}\n{}", &MINI[..head_end], &MINI[rest..])
    };
    let fw = parse("c.toml", &with(CONDITIONS)).unwrap();
    assert_eq!(fw.levels.len(), 3);
    let bad = with(&CONDITIONS.replace(
        "code = \"fail\"\nmin = 0",
        "code = \"fail\"\nmin = 0\ntool_floor = 10",
    ));
    let err = parse("c.toml", &bad).unwrap_err().to_string();
    assert!(err.contains("must always apply"), "{err}");
    let bad = with(&CONDITIONS.replace("code = \"pass\"\nmin = 85", "code = \"pass\"\nmin = 90"));
    let err = parse("c.toml", &bad).unwrap_err().to_string();
    assert!(err.contains("from the best down"), "{err}");
    let bands_with_floor = MINI.replace(
        "code = \"P\"\nmin = 50",
        "code = \"P\"\nmin = 50\ntool_floor = 60",
    );
    let err = parse("c.toml", &bands_with_floor).unwrap_err().to_string();
    assert!(err.contains("tool_floor needs result_rule"), "{err}");
}

#[test]
fn every_embedded_framework_writes_back_to_the_same_model() {
    for (name, _) in super::EMBEDDED {
        let fw = super::embedded(name).unwrap();
        let text = super::to_toml(&fw);
        let again = parse(&format!("{name}.toml"), &text)
            .unwrap_or_else(|e| panic!("{name} written back does not parse: {e}"));
        assert_eq!(
            again, fw,
            "{name}: the written file reads back to the same model"
        );
    }
}

const TABLE: &str = r#"
[[min_samples]]
tool = "S"
kind = "sao"
size = "S"
required = 30

[[min_samples]]
tool = "S"
kind = "sao"
size = "L"
required = 50

[[min_samples]]
tool = "S"
kind = "university"
required = 400
"#;

#[test]
fn a_minimum_sample_table_sets_the_minimum_by_kind_and_size() {
    let text = MINI.replace(
        "name_th = \"สำรวจ\"",
        "name_th = \"สำรวจ\"\nmin_sample = { percent = 10, at_least = 20 }",
    ) + TABLE;
    let fw = parse("t.toml", &text).unwrap();
    // A row for the kind and size.
    assert_eq!(fw.required_sample("S", "sao", "S", 1000), Some(30));
    assert_eq!(fw.required_sample("S", "sao", "L", 1000), Some(50));
    // Never more than the stated population; the table holds while none is stated.
    assert_eq!(fw.required_sample("S", "sao", "L", 12), Some(12));
    assert_eq!(fw.required_sample("S", "sao", "L", 0), Some(50));
    // A row for every size of the kind.
    assert_eq!(fw.required_sample("S", "university", "M", 9000), Some(400));
    // No row for this size or kind: the tool's percentage rule.
    assert_eq!(fw.required_sample("S", "sao", "M", 1000), Some(100));
    assert_eq!(fw.required_sample("S", "department", "", 100), Some(20));
    assert_eq!(fw.required_sample("C", "sao", "S", 100), None);
    assert_eq!(fw.sizes(), ["S", "L"]);
    let again = parse("t.toml", &super::to_toml(&fw)).unwrap();
    assert_eq!(again, fw, "the table writes back");
}

#[test]
fn a_broken_minimum_sample_row_is_refused_where_it_stands() {
    let with = |row: &str| MINI.to_string() + "\n[[min_samples]]\n" + row;
    for (row, message) in [
        (
            "tool = \"X\"\nkind = \"sao\"\nrequired = 30\n",
            "unknown tool 'X'",
        ),
        (
            "tool = \"C\"\nkind = \"sao\"\nrequired = 30\n",
            "'C' is not a survey",
        ),
        (
            "tool = \"S\"\nkind = \"village\"\nrequired = 30\n",
            "unknown agency kind 'village'",
        ),
        (
            "tool = \"S\"\nkind = \"sao\"\nsize = \"very large\"\nrequired = 30\n",
            "short code",
        ),
        ("tool = \"S\"\nkind = \"sao\"\nrequired = 0\n", "at least 1"),
    ] {
        let text = with(row);
        let err = parse("t.toml", &text).expect_err(row);
        let line = text.lines().position(|l| l == "[[min_samples]]").unwrap() + 1;
        assert!(
            err.problems
                .iter()
                .any(|p| p.message.contains(message) && p.line == line),
            "{row}: expected '{message}' at line {line}, got {err}"
        );
    }
    let twice = with("tool = \"S\"\nkind = \"sao\"\nrequired = 30\n")
        + "\n[[min_samples]]\ntool = \"S\"\nkind = \"sao\"\nrequired = 40\n";
    let err = parse("t.toml", &twice).unwrap_err().to_string();
    assert!(err.contains("a second row"), "{err}");
}

#[test]
fn the_current_frameworks_carry_the_known_eit_minimums() {
    for name in ["ita-2568", "ita-2569"] {
        let fw = super::embedded(name).unwrap();
        assert_eq!(fw.required_sample("EIT", "sao", "S", 5000), Some(30));
        assert_eq!(fw.required_sample("EIT", "sao", "M", 5000), Some(40));
        assert_eq!(fw.required_sample("EIT", "sao", "L", 5000), Some(50));
        assert_eq!(
            fw.required_sample("EIT", "subdistrict_municipality", "M", 5000),
            Some(70)
        );
        assert_eq!(fw.required_sample("EIT", "university", "", 9000), Some(400));
        // A department keeps the percentage rule: 10 % of 1,000.
        assert_eq!(fw.required_sample("EIT", "department", "", 1000), Some(100));
    }
}

#[test]
fn itas_page_marks_the_items_a_published_itas_page_serves() {
    let itas_items = |name: &str| -> Vec<String> {
        super::embedded(name)
            .unwrap()
            .checklist_items()
            .filter(|i| {
                matches!(
                    i.kind,
                    super::ItemKind::Checklist {
                        itas_page: true,
                        ..
                    }
                )
            })
            .map(|i| i.code.clone())
            .collect()
    };
    assert_eq!(itas_items("ita-2564"), ["o42", "o43"]);
    assert_eq!(itas_items("ita-2569"), ["O25", "O26"]);
    assert!(itas_items("ita-2568").is_empty());
    // Written back and read again, the mark stays.
    let fw = super::embedded("ita-2564").unwrap();
    let again = parse("again.toml", &super::write::to_toml(&fw)).unwrap();
    assert_eq!(again, fw);
    refuses(
        "th = \"ข้อหนึ่ง\"",
        "th = \"ข้อหนึ่ง\"\nitas_page = true",
        "item s1: itas_page is for checklist items",
        "code = \"s1\"",
    );
}

const TWO_PARTS: &str = r#"
[[parts]]
tool = "S"
number = 1
name_th = "ส่วนที่ 1"
collected_by = "agency"

[[parts]]
tool = "S"
number = 2
name_th = "ส่วนที่ 2"
collected_by = "central"
min_sample = { percent = 0, at_least = 10 }

[[min_samples]]
tool = "S.2"
kind = "sao"
required = 25
"#;

#[test]
fn a_survey_tool_splits_into_parts_each_collected_and_counted_on_its_own() {
    use super::{Collector, Combine, part_number, tool_code};
    let text = MINI.replace(
        "name_th = \"สำรวจ\"",
        "name_th = \"สำรวจ\"\nmin_sample = { percent = 10, at_least = 20 }",
    ) + TWO_PARTS;
    let fw = parse("t.toml", &text).unwrap();
    let keys: Vec<String> = fw.collections().iter().map(|c| c.key()).collect();
    assert_eq!(keys, ["S", "S.2"]);
    let part2 = fw.collection("S.2").unwrap();
    assert_eq!(part2.collected_by(), Collector::Central);
    assert_eq!(
        fw.collection("S").unwrap().collected_by(),
        Collector::Agency
    );
    assert_eq!(fw.tool("S").unwrap().combine, Combine::Pooled);
    // Part 1 keeps the tool's minimum; part 2 has its own rule and table.
    assert_eq!(fw.required_sample("S", "department", "", 1000), Some(100));
    assert_eq!(fw.required_sample("S.2", "department", "", 1000), Some(10));
    assert_eq!(fw.required_sample("S.2", "sao", "M", 1000), Some(25));
    assert_eq!(fw.required_sample("S.3", "sao", "M", 1000), None);
    assert_eq!((tool_code("S.2"), part_number("S.2")), ("S", Some(2)));
    assert_eq!(part_number("S.x"), None);
    // Every part asks the tool's questions.
    assert_eq!(
        crate::survey::pages(&fw, "S.2"),
        crate::survey::pages(&fw, "S")
    );
    let again = parse("t.toml", &super::to_toml(&fw)).unwrap();
    assert_eq!(again, fw, "parts write back");

    let weighted = text
        .replace(
            "min_sample = { percent = 10, at_least = 20 }",
            "min_sample = { percent = 10, at_least = 20 }\ncombine = \"weighted\"",
        )
        .replace(
            "collected_by = \"agency\"",
            "collected_by = \"agency\"\nweight = 0.6",
        )
        .replace(
            "collected_by = \"central\"",
            "collected_by = \"central\"\nweight = 0.4",
        );
    let fw = parse("t.toml", &weighted).unwrap();
    assert_eq!(fw.tool("S").unwrap().combine, Combine::Weighted);
    assert_eq!(parse("t.toml", &super::to_toml(&fw)).unwrap(), fw);
}

#[test]
fn broken_parts_are_refused_with_a_reason() {
    let base = MINI.to_string() + TWO_PARTS;
    for (from, to, message) in [
        (
            "tool = \"S\"\nnumber = 2",
            "tool = \"S\"\nnumber = 3",
            "should be part 2",
        ),
        (
            "tool = \"S\"\nnumber = 1",
            "tool = \"C\"\nnumber = 1",
            "'C' is not a survey",
        ),
        (
            "collected_by = \"agency\"",
            "collected_by = \"agency\"\nmin_sample = { percent = 5, at_least = 1 }",
            "part 1 of S takes the tool's min_sample",
        ),
        (
            "collected_by = \"agency\"",
            "collected_by = \"agency\"\nweight = 0.5",
            "take no weight",
        ),
        ("tool = \"S.2\"", "tool = \"S.3\"", "unknown part 'S.3'"),
        ("name_th = \"ส่วนที่ 2\"", "name_th = \"\"", "has no Thai name"),
    ] {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let err = parse("t.toml", &text).expect_err(to);
        assert!(
            err.problems.iter().any(|p| p.message.contains(message)),
            "{to}: expected '{message}', got {err}"
        );
        assert!(err.problems.iter().all(|p| !p.message_th.is_empty()));
    }
    let weighted = base.replace(
        "name_th = \"สำรวจ\"",
        "name_th = \"สำรวจ\"\ncombine = \"weighted\"",
    );
    let err = parse("t.toml", &weighted).unwrap_err().to_string();
    assert!(err.contains("every part needs a weight"), "{err}");
    let uneven = weighted
        .replace(
            "collected_by = \"agency\"",
            "collected_by = \"agency\"\nweight = 0.5",
        )
        .replace(
            "collected_by = \"central\"",
            "collected_by = \"central\"\nweight = 0.4",
        );
    let err = parse("t.toml", &uneven).unwrap_err().to_string();
    assert!(err.contains("part weights sum to 0.9"), "{err}");
    let one_part = MINI.to_string()
        + "\n[[parts]]\ntool = \"S\"\nnumber = 1\nname_th = \"หนึ่ง\"\ncollected_by = \"agency\"\n";
    let err = parse("t.toml", &one_part).unwrap_err().to_string();
    assert!(err.contains("one part is no split"), "{err}");
}

#[test]
fn the_eit_is_in_two_parts_from_2567_pooled_and_provisional() {
    for name in ["ita-2567", "ita-2568", "ita-2569"] {
        let fw = super::embedded(name).unwrap();
        let keys: Vec<String> = fw.collections().iter().map(|c| c.key()).collect();
        assert_eq!(keys, ["IIT", "EIT", "EIT.2"], "{name}");
        assert_eq!(
            fw.collection("EIT.2").unwrap().collected_by(),
            super::Collector::Central
        );
        assert_eq!(fw.tool("EIT").unwrap().combine, super::Combine::Pooled);
        assert!(fw.provisional.contains_key("eit_parts"), "{name}");
        assert_eq!(fw.required_sample("EIT.2", "sao", "S", 5000), None);
    }
    for name in ["ita-2564", "ita-2565", "ita-2566"] {
        let fw = super::embedded(name).unwrap();
        assert!(fw.parts.is_empty(), "{name}");
    }
}
