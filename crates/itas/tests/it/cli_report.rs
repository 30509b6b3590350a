//! `itas report`: the seed's agency as PDF, DOCX and HTML, read back the way a
//! person would read them (PDF text through poppler's pdftotext).

use crate::support::{itas, stderr};
use std::process::Command;

const SEED: &str = "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,71.92,18.75";
const AGENCY: &str = "องค์การบริหารส่วนตำบลหัวหนอง";

pub(crate) fn out_dir(name: &str) -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("reports")
        .join(name);
    std::fs::create_dir_all(&d).expect("dir");
    d
}

fn report(format: &str, extra: &[&str], file: &std::path::Path) {
    let mut args = vec![
        "report",
        "--indicators",
        SEED,
        "--agency",
        AGENCY,
        "--location",
        "อำเภอบ้านไผ่ จังหวัดขอนแก่น",
        "--date",
        "2021-09-06",
        "--format",
        format,
        "-o",
    ];
    let f = file.to_str().expect("utf-8 path");
    args.push(f);
    args.extend_from_slice(extra);
    let o = itas(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Text of a PDF; fails loudly when poppler-utils is missing (.ci/run installs it).
pub(crate) fn pdftotext(pdf: &std::path::Path, layout: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    let o = cmd
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils) must be installed");
    assert!(o.status.success(), "pdftotext failed");
    String::from_utf8(o.stdout).expect("utf-8 text")
}

pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

pub(crate) fn claims(thai: bool) -> Vec<String> {
    let digits = |s: &str| {
        if thai {
            itas_core::thai::thai_digits(s)
        } else {
            s.to_string()
        }
    };
    [
        "68.00 คะแนน อยู่ในระดับ C",
        "สูงสุด คือ ตัวชี้วัดที่ 1 การปฏิบัติหน้าที่ ได้ 93.20 คะแนน",
        "ต่ำสุด คือ ตัวชี้วัดที่ 10 การป้องกันการทุจริต ได้ 18.75 คะแนน",
        "ต่ำกว่า 85.00 คะแนน จำนวน 7 ตัวชี้วัด",
        "ต่ำสุดในเครื่องมือนี้ คือ ตัวชี้วัดที่ 4",
        "ต่ำสุดในเครื่องมือนี้ คือ ตัวชี้วัดที่ 8",
    ]
    .iter()
    .map(|c| squash(&digits(c)))
    .collect()
}

#[test]
fn pdf_text_states_the_engine_numbers_in_thai_and_arabic_digits() {
    let dir = out_dir("pdf");
    for (thai, digits) in [(true, "thai"), (false, "arabic")] {
        let file = dir.join(format!("seed-{digits}.pdf"));
        report("pdf", &["--digits", digits], &file);
        let text = squash(&pdftotext(&file, false));
        for c in claims(thai) {
            assert!(text.contains(&c), "{digits}: PDF text lacks {c}");
        }
        assert!(text.contains(&squash(AGENCY)));
    }
}

#[test]
fn the_generated_report_passes_check_report() {
    let dir = out_dir("check");
    let pdf = dir.join("seed.pdf");
    report("pdf", &[], &pdf);
    let txt = dir.join("seed.txt");
    // Layout mode keeps each table row on one line, as a reader sees it.
    std::fs::write(&txt, pdftotext(&pdf, true)).expect("write");
    let o = itas(&["check-report", txt.to_str().expect("path")]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "check-report disagrees with our own report: {out}{}",
        stderr(&o)
    );
    let read: u32 = out
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        read >= 10,
        "check-report read too little to mean anything: {out}"
    );
}

#[test]
fn docx_and_html_carry_the_same_numbers() {
    let dir = out_dir("docx");
    let docx = dir.join("seed.docx");
    report("docx", &["--font", "TH Sarabun New"], &docx);
    let bytes = std::fs::read(&docx).expect("read");
    assert_eq!(&bytes[..2], b"PK", "a DOCX is a zip package");
    let html = dir.join("seed.html");
    report("html", &[], &html);
    let text = std::fs::read_to_string(&html).expect("read");
    let plain = squash(&text.replace("<br>", " "));
    for c in claims(true) {
        assert!(plain.contains(&c), "HTML lacks {c}");
    }
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = out_dir("bad");
    let o = itas(&[
        "report",
        "--indicators",
        "93.20,81.25",
        "--agency",
        AGENCY,
        "--format",
        "pdf",
        "-o",
        dir.join("x.pdf").to_str().expect("path"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs 10 values"), "{}", stderr(&o));
    assert!(!dir.join("x.pdf").exists(), "nothing written on bad input");
}

#[test]
fn with_oit_results_the_report_plans_the_way_to_85() {
    let dir = out_dir("plan");
    let file = dir.join("seed.html");
    let o = itas(&[
        "report",
        "--indicators",
        "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,-,-",
        "--oit-pass",
        "o1,o2,o3,o4,o5,o6,o7,o8,o10,o11,o18,o19,o20,o21,o22,o23,o25,o26,o27,o28,o29,o30,o31,o34,o35,o36",
        "--agency",
        AGENCY,
        "--digits",
        "arabic",
        "--format",
        "html",
        "-o",
        file.to_str().expect("path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = squash(&std::fs::read_to_string(&file).expect("read"));
    assert!(
        text.contains(&squash(
            "คะแนนภาพรวมจะเป็น 85.04 คะแนน ถึงเป้าหมาย 85.00 คะแนน"
        )),
        "the way to 85"
    );
    assert!(text.contains("O42") && text.contains("+5.00"));
}

/// A 2568 agency above 85 whose EIT is below it: the report names the label
/// ผ่าน, lists the conditions, and says the EIT holds it back.
#[test]
fn a_label_framework_report_says_which_tool_holds_the_result_back() {
    let file = out_dir("labels").join("report-2568.html");
    let o = itas(&[
        "report",
        "--framework",
        "ita-2568",
        "--indicators",
        "96.40,95.10,98.20,94.80,93.50,86.10,83.40,82.90,95.00,83.33",
        "--agency",
        AGENCY,
        "--date",
        "2025-09-01",
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&file).unwrap();
    for text in [
        "ผลการประเมิน &quot;ผ่าน&quot;",
        "คะแนนภาพรวมตั้งแต่ ๙๕.๐๐ คะแนน และทุกแบบวัดได้ตั้งแต่ ๙๕.๐๐ คะแนน",
        "ยังไม่ได้ &quot;ผ่านดี&quot; เพราะ EIT ได้ ๘๔.๑๓ คะแนน ต่ำกว่า ๘๕.๐๐ คะแนน",
        "๘๙.๕๙",
    ] {
        assert!(html.contains(text), "{text} not in the report");
    }
    assert!(!html.contains("อยู่ในระดับ pass"));
}

#[test]
fn a_provisional_framework_is_never_presented_as_official() {
    let file = out_dir("labels").join("report-2569.html");
    let o = itas(&[
        "report",
        "--framework",
        "ita-2569",
        "--indicators",
        SEED,
        "--agency",
        AGENCY,
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.contains("ยังไม่ได้ยืนยันกับคู่มือการประเมินของสำนักงาน ป.ป.ช."));
    let file = out_dir("labels").join("report-2564.html");
    report("html", &[], &file);
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.contains("ยังไม่ได้ยืนยันกับคู่มือ"), "2564 is confirmed");
}
