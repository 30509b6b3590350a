//! The seed's agency, end to end through the document model and every renderer.

use crate::analysis_report::{Agency, ReportInput, analysis_report};
use crate::document::Document;
use itas_core::framework::embedded;
use itas_core::scoring::{Inputs, score};
use itas_core::thai::{Digits, FiscalYear};
use itas_core::{Framework, Score, Scorecard};

pub(crate) fn seed() -> (Framework, Scorecard) {
    let fw = embedded("ita-2564").expect("embedded framework");
    let values = [
        "93.20", "81.25", "86.26", "80.48", "88.95", "80.06", "82.74", "77.72", "71.92", "18.75",
    ];
    let given = fw
        .indicators
        .iter()
        .zip(values)
        .map(|(i, v)| (i.number, v.parse::<Score>().expect("score")))
        .collect();
    let card = score(
        &fw,
        &Inputs {
            given,
            ..Default::default()
        },
    )
    .expect("scores");
    (fw, card)
}

/// The seed's report input, with nothing beside the year's own results.
pub(crate) fn seed_input<'a>(
    fw: &'a Framework,
    card: &'a Scorecard,
    digits: Digits,
) -> ReportInput<'a> {
    ReportInput {
        framework: fw,
        card,
        agency: Agency {
            name: "องค์การบริหารส่วนตำบลหัวหนอง".into(),
            location: "อำเภอบ้านไผ่ จังหวัดขอนแก่น".into(),
            addressee: "นายกองค์การบริหารส่วนตำบลหัวหนอง".into(),
            unit: "สำนักปลัดองค์การบริหารส่วนตำบลหัวหนอง".into(),
        },
        fiscal_year: FiscalYear(2564),
        date: time::macros::date!(2021 - 09 - 06),
        digits,
        previous: None,
        trend: Vec::new(),
        samples: Vec::new(),
        plan: None,
        measures: vec![],
    }
}

pub(crate) fn seed_report(digits: Digits) -> Document {
    let (fw, card) = seed();
    analysis_report(&seed_input(&fw, &card, digits))
}

/// Whitespace-free text: Thai has no spaces between words, and every
/// renderer may break lines elsewhere.
pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// What the seed's report must say, and what the hand-written seed got wrong.
pub(crate) fn seed_claims(thai: bool) -> Vec<String> {
    let d = if thai { Digits::Thai } else { Digits::Arabic };
    [
        "ได้ 68.00 คะแนน อยู่ในระดับ C",
        "ตัวชี้วัดที่ได้คะแนนสูงสุด คือ ตัวชี้วัดที่ 1 การปฏิบัติหน้าที่ ได้ 93.20 คะแนน",
        "ตัวชี้วัดที่ได้คะแนนต่ำสุด คือ ตัวชี้วัดที่ 10 การป้องกันการทุจริต ได้ 18.75 คะแนน",
        "ต่ำกว่า 85.00 คะแนน จำนวน 7 ตัวชี้วัด",
        "ได้แก่ ตัวชี้วัดที่ 2, 4, 6, 7, 8, 9, 10",
        "ต่ำสุดในเครื่องมือนี้ คือ ตัวชี้วัดที่ 4 การใช้ทรัพย์สินของราชการ",
        "ต่ำสุดในเครื่องมือนี้ คือ ตัวชี้วัดที่ 8",
        "(IIT) ได้ 86.03 คะแนน",
        "(EIT) ได้ 80.17 คะแนน",
        "(OIT) ได้ 45.34 คะแนน",
    ]
    .iter()
    .map(|c| squash(&d.apply(c)))
    .collect()
}

#[test]
fn the_seed_report_states_the_engine_numbers() {
    for thai in [true, false] {
        let doc = seed_report(if thai { Digits::Thai } else { Digits::Arabic });
        let text = squash(&doc.plain_text());
        for claim in seed_claims(thai) {
            assert!(text.contains(&claim), "missing: {claim}");
        }
        // The seed's slips never appear.
        for wrong in ["83.20", "18.78", "จำนวน10ตัวชี้วัด"] {
            let wrong = squash(&if thai { Digits::Thai } else { Digits::Arabic }.apply(wrong));
            assert!(
                !text.contains(&wrong),
                "the seed's slip {wrong} is in the report"
            );
        }
    }
}

#[test]
fn a_score_below_its_minimum_sample_is_remarked_under_the_results() {
    let (fw, card) = seed();
    let report = |short_samples: Vec<itas_core::sample::Sample>| {
        let doc = analysis_report(&ReportInput {
            samples: short_samples,
            ..seed_input(&fw, &card, Digits::Thai)
        });
        squash(&crate::analysis_report::results_and_analysis(&doc).plain_text())
    };
    let sample = |tool: &str, counted, required| itas_core::sample::Sample {
        tool: tool.into(),
        counted,
        required,
    };
    let text = report(vec![
        sample("EIT", 12, Some(30)),
        sample("IIT", 40, Some(30)),
    ]);
    assert!(text.contains(&squash(
        "หมายเหตุ: คะแนน EIT คำนวณจากผู้ตอบ ๑๒ คน น้อยกว่าจำนวนขั้นต่ำ ๓๐ คน"
    )));
    assert!(
        !text.contains("IIT คำนวณ"),
        "a sample at its minimum is not remarked"
    );
    assert!(!report(vec![sample("EIT", 30, Some(30))]).contains("หมายเหตุ:คะแนน"));
}

#[test]
fn the_public_summary_keeps_the_results_and_analysis_and_nothing_else() {
    let doc = seed_report(Digits::Thai);
    let summary = crate::analysis_report::results_and_analysis(&doc);
    let text = squash(&summary.plain_text());
    for claim in seed_claims(true) {
        assert!(text.contains(&claim), "missing: {claim}");
    }
    // Not the memo, not the framework section, not the measures.
    for absent in [
        "บันทึกข้อความ",
        "เรียน",
        "กรอบการประเมินคุณธรรม",
        "มาตรการและแนวทางการพัฒนา",
    ] {
        assert!(
            !text.contains(&squash(absent)),
            "{absent} is in the summary"
        );
    }
    assert!(matches!(
        summary.blocks.first(),
        Some(crate::document::Block::Heading(_))
    ));
}

#[test]
fn prefilled_plan_has_a_row_per_weak_indicator() {
    let doc = seed_report(Digits::Thai);
    let text = doc.plain_text();
    // Every indicator below 85: 2, 4 (IIT), 6, 7, 8 (EIT), 9, 10 (OIT).
    for n in ["๒", "๔", "๖", "๗", "๘", "๙", "๑๐"] {
        assert!(
            text.contains(&format!("ตัวชี้วัดที่ {n} ")),
            "plan lacks indicator {n}"
        );
    }
    assert!(text.contains("ต.ค. ๒๕๖๔ – ก.ย. ๒๕๖๕"));
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(name);
    if std::env::var_os("ITAS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with ITAS_UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "snapshot {name} differs from line {}: expected {:?}, got {:?} (ITAS_UPDATE_SNAPSHOTS=1 rewrites it)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn typst_source_snapshot() {
    let doc = seed_report(Digits::Thai);
    assert_snapshot("seed-report.typ", &crate::pdf::typst_source(&doc, true));
}

#[test]
fn docx_text_snapshot() {
    let doc = seed_report(Digits::Thai);
    let xml = crate::docx::document_xml(&doc);
    assert_snapshot(
        "seed-report.docx.txt",
        &crate::docx::text_of_document_xml(&xml),
    );
}

#[test]
fn docx_package_opens_and_declares_the_font_for_thai() {
    let doc = seed_report(Digits::Thai);
    let bytes = crate::docx::render(&doc, &crate::docx::DocxOptions::default()).expect("docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("utf-8 name").into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/core.xml",
            "word/_rels/document.xml.rels",
            "word/document.xml",
            "word/styles.xml"
        ]
    );
    let mut styles = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("word/styles.xml").expect("styles"),
        &mut styles,
    )
    .expect("utf8");
    assert!(styles.contains("w:cs=\"TH SarabunPSK\""));
    assert!(styles.contains("w:bidi=\"th-TH\""));
}

#[test]
fn pdf_renders_with_sarabun_embedded() {
    let doc = seed_report(Digits::Thai);
    let pdf = crate::pdf::render(&doc, true).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("Sarabun"), "font not embedded");
}

#[test]
fn poster_renders_with_the_qr_code() {
    let qr = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"5\" height=\"5\"/></svg>";
    let pdf = crate::poster::render(&crate::poster::Poster {
        agency: "องค์การบริหารส่วนตำบลหัวหนอง",
        survey: "แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายนอก (EIT)",
        audience: "สำหรับประชาชนและผู้มาติดต่อ",
        url: "http://127.0.0.1:8080/s/abc",
        qr_svg: qr,
        deadline: "ตอบได้ถึง ๓๐ มิถุนายน ๒๕๖๙",
        code_note: "",
    })
    .expect("poster");
    assert!(pdf.starts_with(b"%PDF-"));
}

#[test]
fn the_years_before_are_a_table_a_chart_and_sentences() {
    use crate::analysis_report::{Previous, TrendYear};
    use crate::document::Block;
    let (fw, card) = seed();
    let year = |y: i64, iit: &str, eit: &str, oit: &str, overall: &str, result: &str| TrendYear {
        fiscal_year: y,
        tools: [("IIT", iit), ("EIT", eit), ("OIT", oit)]
            .iter()
            .map(|(t, s)| (t.to_string(), s.parse().unwrap()))
            .collect(),
        overall: overall.parse().unwrap(),
        result: result.into(),
        imported: y < 2564,
        note: if y == 2562 {
            "ตัวเลขสาธิต".into()
        } else {
            String::new()
        },
    };
    let trend = vec![
        year(2562, "88.00", "86.00", "80.00", "84.20", "B"),
        year(2563, "90.00", "85.00", "70.00", "80.50", "B"),
        year(2564, "86.03", "80.17", "45.34", "68.00", "C"),
    ];
    let before = &trend[1];
    let before_card = Scorecard {
        framework: fw.code.clone(),
        items: Default::default(),
        subindicators: Default::default(),
        indicators: Default::default(),
        tools: before.tools.clone(),
        overall: before.overall,
        level: "B".into(),
        level_th: "ดี".into(),
        held_back_by: Vec::new(),
    };
    let doc = analysis_report(&ReportInput {
        previous: Some(Previous {
            label: "ปี ๒๕๖๓ (นำเข้า)".into(),
            framework: fw.code.clone(),
            comparison: itas_core::compare::compare_years(&fw, &card, &fw, &before_card),
        }),
        trend: trend.clone(),
        ..seed_input(&fw, &card, Digits::Thai)
    });
    let text = squash(&doc.plain_text());
    for claim in [
        // Two years: the sentence, and why indicators are not compared.
        "เมื่อเทียบกับปี๒๕๖๓(นำเข้า)คะแนนภาพรวมลดลง๑๒.๕๐คะแนน(จาก๘๐.๕๐เป็น๖๘.๐๐)ผลการประเมินลดลงจากBเป็นC",
        "ผลของปีก่อนไม่มีคะแนนรายตัวชี้วัด",
        // The table, oldest first, imported years marked.
        "ผลการประเมินย้อนหลังปีงบประมาณพ.ศ.๒๕๖๒–๒๕๖๔",
        "๒๕๖๒(นำเข้า)๘๘.๐๐๘๖.๐๐๘๐.๐๐๘๔.๒๐B",
        "๒๕๖๓(นำเข้า)๙๐.๐๐๘๕.๐๐๗๐.๐๐๘๐.๕๐B",
        "๒๕๖๔๘๖.๐๓๘๐.๑๗๔๕.๓๔๖๘.๐๐C",
        // The chart and the sentences, every figure from the years.
        "ปี๒๕๖๒(นำเข้า)๘๔.๒๐",
        "ตลอด๓ปี(พ.ศ.๒๕๖๒–๒๕๖๔)คะแนนภาพรวมสูงสุด๘๔.๒๐คะแนนในปี๒๕๖๒ต่ำสุด๖๘.๐๐คะแนนในปี๒๕๖๔ได้๘๕.๐๐คะแนนขึ้นไป๐ใน๓ปีคะแนนภาพรวมลดลงต่อเนื่อง๒ปี",
        "ปีที่ระบุว่านำเข้าคือผลที่สำนักงานป.ป.ช.ประกาศ",
        "(ปี๒๕๖๒ตัวเลขสาธิต)",
    ] {
        assert!(text.contains(claim), "missing: {claim}\n{text}");
    }
    let bars: Vec<&Block> = doc
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Bars(bars) if bars.len() == 3))
        .collect();
    assert_eq!(bars.len(), 1, "one bar per year");
    // Every renderer draws it.
    let pdf = crate::pdf::render(&doc, true).expect("pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let docx = crate::docx::render(&doc, &crate::docx::DocxOptions::default()).expect("docx");
    assert!(docx.starts_with(b"PK"));

    // One year alone is no trend.
    let one = analysis_report(&ReportInput {
        trend: trend[2..].to_vec(),
        ..seed_input(&fw, &card, Digits::Thai)
    });
    assert!(!squash(&one.plain_text()).contains("ผลการประเมินย้อนหลัง"));
}
