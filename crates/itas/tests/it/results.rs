//! Published results through the web UI: the agency's results page, the
//! analysis report downloads, who may see what, and the previous round beside
//! the current one.

use crate::app::TestApp;
use crate::both_backends;
use crate::cli_report::{claims, out_dir, pdftotext, squash};
use axum::http::StatusCode;
use itas_core::Score;
use std::collections::BTreeMap;

async fn seed_ids(app: &TestApp) -> (String, String) {
    (
        app.agency_id("KK-HUANONG").await,
        app.round_id("ITA 2564").await,
    )
}

pub(crate) fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("docx is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("word/document.xml").expect("document part"),
        &mut xml,
    )
    .expect("utf-8");
    itas_reports::docx::text_of_document_xml(&xml)
}

both_backends!(
    the_public_sees_published_results_with_table_and_chart,
    |app| {
        let (agency, round) = seed_ids(&app).await;
        let mut anon = app.client();
        let r = anon
            .get(&format!("/agencies/{agency}/results/{round}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for s in [
            "๖๘.๐๐",
            "๙๓.๒๐",
            "๑๘.๗๕",
            "๘๖.๐๓",
            "๔๕.๓๔",
            "<svg class=\"bars\"",
        ] {
            assert!(r.body.contains(s), "results page lacks {s}");
        }
        assert!(r.body.contains("ตัวชี้วัดที่ต่ำกว่าเกณฑ์") && r.body.contains("<strong>๗</strong>"));
        // The way to 85 from the seed's OIT review: o42 and o43 first, 85.04 in the end.
        assert!(
            r.body.contains("เส้นทางสู่ ๘๕ คะแนน"),
            "planner on the results page"
        );
        assert!(r.body.contains("O42") && r.body.contains("+๕.๐๐") && r.body.contains("๘๕.๐๔"));
        // The report is an internal memo: no download for the public.
        assert!(!r.body.contains("report.pdf"));
        let r = anon
            .get(&format!("/agencies/{agency}/results/{round}/report.pdf"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
    }
);

both_backends!(
    the_agency_downloads_a_pdf_and_docx_whose_numbers_are_right,
    |app| {
        let (agency, round) = seed_ids(&app).await;
        let mut c = app.signed_in("huanong").await;
        let home = c.get("/agency").await.body;
        assert!(home.contains(&format!("/agencies/{agency}/results/{round}")));
        let page = c
            .get(&format!("/agencies/{agency}/results/{round}"))
            .await
            .body;
        assert!(page.contains("report.pdf") && page.contains("report.docx"));

        let r = c
            .get(&format!("/agencies/{agency}/results/{round}/report.pdf"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "application/pdf");
        assert!(r.bytes.starts_with(b"%PDF-"));
        // Both backends run at once in this process: one file each, or one
        // test reads the PDF the other is writing.
        let file = out_dir("web").join(format!("seed-{}-{round}.pdf", std::process::id()));
        std::fs::write(&file, &r.bytes).expect("write");
        let text = squash(&pdftotext(&file, false));
        for claim in claims(true) {
            assert!(text.contains(&claim), "downloaded PDF lacks {claim}");
        }
        assert!(text.contains(&squash("เรียน นายกองค์การบริหารส่วนตำบลหัวหนอง")));
        assert!(
            text.contains(&squash("คะแนนภาพรวมจะเป็น ๘๕.๐๔ คะแนน")),
            "the OIT path in the report"
        );

        let r = c
            .get(&format!(
                "/agencies/{agency}/results/{round}/report.docx?digits=arabic"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("ita-report-KK-HUANONG-2564.docx")
        );
        let text = squash(&docx_text(&r.bytes));
        for claim in claims(false) {
            assert!(text.contains(&claim), "downloaded DOCX lacks {claim}");
        }
    }
);

both_backends!(another_agency_cannot_download_the_report, |app| {
    let (agency, round) = seed_ids(&app).await;
    let mut other = app.signed_in("banphai").await;
    let r = other
        .get(&format!("/agencies/{agency}/results/{round}/report.docx"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("๖๘.๐๐"));
});

both_backends!(
    unpublished_results_stay_inside_and_compare_with_last_year,
    |app| {
        let agency = app.agency_id("KK-HUANONG").await;
        let current = app.current_round().await;
        // Results entered for the current round (still collecting, not published).
        let values = [9820, 9000, 9000, 9000, 9000, 8500, 8500, 8500, 8000, 5000];
        let scores: BTreeMap<u32, Score> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u32 + 1, Score::from_hundredths(*v)))
            .collect();
        itas_store::rounds::set_indicator_scores(&app.db, None, &current, &agency, &scores, "test")
            .await
            .expect("store scores");
        let mut anon = app.client();
        let r = anon
            .get(&format!("/agencies/{agency}/results/{current}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "not public before publication"
        );
        assert!(!r.body.contains("๙๕.๐๐"));

        // Nor the agency's own before publication: its scores would tell
        // its admin what staff and clients answered (docs/privacy.md).
        let mut own = app.signed_in("huanong").await;
        for path in [
            format!("/agencies/{agency}/results/{current}"),
            format!("/agencies/{agency}/results/{current}/report.pdf"),
            format!("/api/v1/rounds/{current}/agencies/{agency}/scores"),
        ] {
            let r = own.get(&path).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
            assert!(!r.body.contains("๗๘.๙๙") && !r.body.contains("78.99"));
        }
        // Its published results of earlier rounds stay its to read.
        let published = app.round_id("ITA 2564").await;
        let r = own
            .get(&format!("/agencies/{agency}/results/{published}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);

        let mut c = app.signed_in("admin").await;
        let r = c
            .get(&format!("/agencies/{agency}/results/{current}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let api = c
            .get(&format!(
                "/api/v1/rounds/{current}/agencies/{agency}/scores"
            ))
            .await;
        assert_eq!(api.status, StatusCode::OK, "the central office reads them");
        // Beside the previous round's (2568, another framework) 96.40 for
        // indicator 1: +1.80; indicators compare where their names match.
        assert!(r.body.contains("ปี ๒๕๖๘"), "previous round column");
        assert!(
            r.body.contains("+๑.๘๐"),
            "change against the previous round"
        );
        // The engine's numbers: IIT (98.2+90*4)/5 = 91.64; EIT 85.00; OIT 65.00;
        // overall 0.3*91.64 + 0.3*85 + 0.4*65 = 78.992 → 78.99.
        assert!(r.body.contains("๗๘.๙๙"));
        // Both rounds label results the same way, so the label change is told.
        assert!(
            r.body.contains("ผลการประเมินลดลงจาก ผ่าน เป็น ต้องปรับปรุง"),
            "{}",
            r.body
        );
        assert!(r.body.contains("ita-2568 และ ita-2569"), "frameworks named");
    }
);

both_backends!(the_qr_poster_is_an_a4_pdf_with_the_agency_and_link, |app| {
    let round = app.current_round().await;
    let mut c = app.signed_in("huanong").await;
    let r = c
        .get(&format!("/agency/rounds/{round}/links/EIT/poster.pdf"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/pdf");
    // Both backends run at once in this process: one file each.
    let file = out_dir("poster").join(format!("eit-{}-{round}.pdf", std::process::id()));
    std::fs::write(&file, &r.bytes).expect("write");
    let text = squash(&pdftotext(&file, false));
    let (_, _, code) = crate::app::demo_link(&app.db, "EIT").await;
    assert!(text.contains(&squash("องค์การบริหารส่วนตำบลหัวหนอง")));
    assert!(
        text.contains(&format!("/s/{code}")),
        "poster shows the link"
    );
    assert!(
        text.contains(&squash("ตอบได้ถึงวันที่")),
        "poster shows the closing date"
    );
    let info = std::process::Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("595.276 x 841.89") || info.contains("(A4)"),
        "{info}"
    );
});

both_backends!(a_2568_result_is_pass_held_back_by_the_eit, |app| {
    let agency = app.agency_id("KK-HUANONG").await;
    let round = app.round_id("ITA 2568").await;
    let r = app
        .client()
        .get(&format!("/agencies/{agency}/results/{round}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // IIT 95.60, EIT 84.13, OIT 89.17 → 89.59: above 85, yet ผ่าน, not ผ่านดี.
    assert!(r.body.contains("๘๙.๕๙"), "{}", r.body);
    assert!(r.body.contains("<span class=\"level\">ผ่าน</span>"));
    assert!(
        r.body.contains("เพราะ EIT ๘๔.๑๓ ต่ำกว่า ๘๕") && r.body.contains("ผ่านดี"),
        "the page says why"
    );
    // Compared with 2564 (letters AA…F, another framework): tools, overall and
    // indicators by name; the results are not ranked against each other.
    assert!(
        r.body.contains("เมื่อเทียบกับปี ๒๕๖๔ คะแนนภาพรวมเพิ่มขึ้น"),
        "{}",
        r.body
    );
    assert!(r.body.contains("ตัดสินตามเกณฑ์ของแต่ละปีซึ่งต่างกัน"));
    assert!(r.body.contains("ต่างเกณฑ์"));
    assert!(r.body.contains("ita-2564 และ ita-2568") && r.body.contains("ตรงกันครบทุกตัวชี้วัด"));
    // The way to a better result: what each better label needs.
    assert!(r.body.contains("ทางไปสู่ผลการประเมินที่ดีขึ้น"));
    assert!(
        r.body
            .contains("ผ่านดี: ผ่าน OIT เพิ่มอย่างเดียวไม่พอ ต้องยก EIT จาก ๘๔.๑๓ ให้ถึง ๘๕.๐๐ (อีก ๐.๘๗)"),
        "{}",
        r.body
    );
    // A round on a framework with provisional parts says so to the central office.
    let mut admin = app.signed_in("admin").await;
    let current = app.current_round().await;
    let page = admin.get(&format!("/admin/rounds/{current}")).await.body;
    assert!(page.contains("ตรวจกับคู่มือ ป.ป.ช. ก่อนใช้"));
    let closed = app.round_id("ITA 2564").await;
    let page = admin.get(&format!("/admin/rounds/{closed}")).await.body;
    assert!(!page.contains("ตรวจกับคู่มือ ป.ป.ช. ก่อนใช้"));
});
