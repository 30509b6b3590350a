//! `itas check-report`: the seed's slips are found, a correct report passes.

use crate::support::{fixture, itas, stdout};

#[test]
fn seed_report_slips_are_all_flagged() {
    let o = itas(&["check-report", &fixture("seed-report-2564.txt")]);
    assert_eq!(o.status.code(), Some(1), "disagreements exit 1");
    let out = stdout(&o);
    assert!(
        out.contains("indicator 1 (Duty performance) stated as 83.20; the engine uses 93.20"),
        "{out}"
    );
    assert!(
        out.contains("indicator 10 (Corruption prevention) stated as 18.78; the engine uses 18.75"),
        "{out}"
    );
    assert!(
        out.contains(
            "says 10 indicators are below 85.00; the engine finds 7 (2, 4, 6, 7, 8, 9, 10)"
        ),
        "{out}"
    );
    assert!(out.contains("overall 68.00, level C"), "{out}");
    // Exactly these three: the correct figures (93.20 in the text, 68, C, the tool scores) are not flagged.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("line ")).count(),
        3,
        "{out}"
    );
}

#[test]
fn corrected_report_passes() {
    let text = std::fs::read_to_string(fixture("seed-report-2564.txt"))
        .unwrap()
        .replace("๑. การปฏิบัติหน้าที่\t๘๓.๒๐", "๑. การปฏิบัติหน้าที่\t๙๓.๒๐")
        .replace("๑๘.๗๘", "๑๘.๗๕")
        .replace("จำนวน ๑๐ ตัวชี้วัด", "จำนวน ๗ ตัวชี้วัด");
    let path = std::env::temp_dir().join(format!("itas-corrected-{}.txt", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let o = itas(&["check-report", path.to_str().unwrap()]);
    std::fs::remove_file(&path).ok();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn unreadable_report_is_bad_input() {
    let o = itas(&["check-report", "/nonexistent/report.txt"]);
    assert_eq!(o.status.code(), Some(2));
}
