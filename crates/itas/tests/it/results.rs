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
    // Compared with the year before, 2567, imported by the demo without its
    // indicators: tools and the overall only, each result under its rule.
    // (Indicators matched by name across frameworks: compare.rs's tests.)
    assert!(
        r.body.contains(
            "เมื่อเทียบกับปี ๒๕๖๗ (นำเข้า) คะแนนภาพรวมลดลง ๑.๗๑ คะแนน (จาก ๙๑.๓๐ เป็น ๘๙.๕๙) ผลการประเมินคงเดิม (ผ่าน)"
        ),
        "{}",
        r.body
    );
    assert!(r.body.contains("ผลของปีก่อนไม่มีคะแนนรายตัวชี้วัด"));
    assert!(r.body.contains("คงเดิม"));
    // The way to a better result: what each better label needs.
    assert!(r.body.contains("ทางไปสู่ผลการประเมินที่ดีขึ้น"));
    assert!(
        r.body
            .contains("ผ่านดี: ผ่าน OIT เพิ่มอย่างเดียวไม่พอ ต้องยก EIT จาก ๘๔.๑๓ ให้ถึง ๘๕.๐๐ (อีก ๐.๘๗)"),
        "{}",
        r.body
    );
    // The agency's home names the result, not its code.
    let mut agency_admin = app.signed_in("huanong").await;
    let home = agency_admin.get("/agency").await.body;
    assert!(home.contains(" · จังหวัดขอนแก่น"), "{home}");
    assert!(home.contains("<span class=\"level\">ผ่าน</span>"), "{home}");
    assert!(!home.contains("<span class=\"level\">pass</span>"));
    assert!(
        home.contains("<span class=\"level\">C</span>"),
        "letters stay letters"
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

both_backends!(one_set_of_numbers_after_an_exclusion, |app| {
    // The seed agency's current round: 30 IIT answers (its minimum of 30
    // of 42 staff), 8 honest EIT answers and 40 identical ones a script sent
    // (its minimum as a medium SAO is 40). The central office leaves the
    // flagged EIT answers out, computes and publishes: every place that shows
    // the agency a figure shows the published one, computed without them,
    // and marks the EIT as computed below its minimum.
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    let fw = itas_store::rounds::get(&app.db, &round)
        .await
        .unwrap()
        .unwrap()
        .framework()
        .unwrap();
    crate::app::iit_without_codes(&app.db).await;
    itas_store::rounds::set_populations(&app.db, None, &round, &agency, 42, 1200)
        .await
        .unwrap();
    let (_, _, iit) = crate::app::demo_link(&app.db, "IIT").await;
    let (_, _, eit) = crate::app::demo_link(&app.db, "EIT").await;
    let mut phone = app.client();
    for k in 0..30 {
        crate::app::answer(&mut phone, &iit, &fw, "IIT", 100 + 2 * k).await;
    }
    for k in 0..8 {
        crate::app::answer(&mut phone, &eit, &fw, "EIT", 200 + 2 * k).await;
    }
    for _ in 0..40 {
        crate::app::answer(&mut phone, &eit, &fw, "EIT", 999).await;
    }
    let mut admin = app.signed_in("admin").await;
    let r = admin
        .post_form(
            &format!("/admin/rounds/{round}/quality/{agency}/EIT"),
            &[
                ("decision", "exclude"),
                ("reason", "คำตอบ ๔๐ ชุดเหมือนกันทุกข้อ"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // What the EIT is with and without the left-out answers, by the engine.
    let all = itas_store::surveys::tallies(&app.db, &round, &agency)
        .await
        .unwrap();
    let (kept, n) = itas_store::quality::tallies_without_flagged(&app.db, &round, &agency, "EIT")
        .await
        .unwrap();
    assert_eq!(n, 9, "8 honest answers and one of the 40 identical ones");
    let with_all = itas_app::scoring_run::tool_score(&fw, &all, "EIT").unwrap();
    let counted = itas_app::scoring_run::tool_score(&fw, &kept, "EIT").unwrap();
    assert_ne!(with_all, counted, "the exclusion must move the EIT");

    let r = admin
        .post_form(&format!("/admin/rounds/{round}/compute"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let given = itas_store::rounds::indicator_scores(&app.db, &round, &agency)
        .await
        .unwrap();
    let card = itas_app::published::scorecard(&fw, given).expect("computed");
    assert_eq!(
        card.tools["EIT"], counted,
        "the stored EIT counts what was kept"
    );
    let th = |s: itas_core::Score| itas_core::thai::thai_digits(&s.to_string());
    let remark = "คะแนน EIT คำนวณจากผู้ตอบ ๙ คน น้อยกว่าจำนวนขั้นต่ำ ๔๐ คน";

    // Computed, not yet published: the agency's home shows no score of it.
    let mut huanong = app.signed_in("huanong").await;
    let home = huanong.get("/agency").await.body;
    for hidden in [th(counted), th(card.overall), th(with_all)] {
        assert!(
            !home.contains(&hidden),
            "{hidden} on the home before publication"
        );
    }
    assert!(!home.contains(remark));

    // Published, and the round in its publication phase.
    let r = admin
        .post_form(&format!("/admin/rounds/{round}/publish"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    crate::app::set_phases_around_today(&app.db, &round, crate::app::PUBLISHED_TODAY).await;
    let shows_published = |place: &str, text: &str, digits: &dyn Fn(itas_core::Score) -> String| {
        for s in [card.overall, counted] {
            assert!(text.contains(&digits(s)), "{place} lacks {}", digits(s));
        }
        assert!(
            !text.contains(&digits(with_all)),
            "{place} shows the EIT with the left-out answers ({})",
            digits(with_all)
        );
    };
    let arabic = |s: itas_core::Score| s.to_string();

    // 1. The agency's home.
    let home = huanong.get("/agency").await.body;
    shows_published("the home", &home, &th);
    assert!(home.contains(remark), "the home marks the short EIT");
    assert!(
        !home.contains("คะแนน IIT คำนวณจากผู้ตอบ"),
        "the IIT met its minimum"
    );

    // 2. The links API: counts, never a score.
    let links = huanong.get(&format!("/api/v1/rounds/{round}/links")).await;
    assert_eq!(links.status, StatusCode::OK);
    assert!(
        !links.body.contains("score") && !links.body.contains("provisional"),
        "a score in the links API: {}",
        links.body
    );

    // 3. The results page, as the public reads it.
    let page = app
        .client()
        .get(&format!("/agencies/{agency}/results/{round}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    shows_published("the results page", &page.body, &th);
    assert!(page.body.contains(remark));

    // 4. The report (DOCX) and 5. the public page, which shows its analysis.
    let docx = huanong
        .get(&format!("/agencies/{agency}/results/{round}/report.docx"))
        .await;
    assert_eq!(docx.status, StatusCode::OK);
    let report = docx_text(&docx.bytes);
    shows_published("the report", &report, &th);
    assert!(squash(&report).contains(&squash(&format!("หมายเหตุ: {remark}"))));
    let r = huanong
        .post_form(
            &format!("/agencies/{agency}/plan/{round}/public-page"),
            &[("action", "publish")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let year = itas_store::rounds::get(&app.db, &round)
        .await
        .unwrap()
        .unwrap()
        .fiscal_year;
    let public = app.client().get(&format!("/p/KK-HUANONG/ita/{year}")).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    shows_published("the public page", &public.body, &th);
    assert!(squash(&public.body).contains(&squash(remark)));

    // 6. The dashboard and the exports.
    let dashboard = app.client().get(&format!("/results/{round}")).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains(&th(card.overall)));
    assert!(dashboard.body.contains("ผู้ตอบน้อยกว่าขั้นต่ำ: EIT ๙/๔๐"));
    assert!(dashboard.body.contains("คะแนนคำนวณจากผู้ตอบน้อยกว่าจำนวนขั้นต่ำ"));
    let csv = app
        .client()
        .get(&format!("/results/{round}/results.csv"))
        .await
        .body;
    let line = csv
        .lines()
        .find(|l| l.starts_with("KK-HUANONG,"))
        .expect("the agency's line");
    shows_published("the CSV", line, &arabic);
    assert!(line.ends_with(",EIT 9/40"), "{line}");
    let open = app
        .client()
        .get(&format!("/results/{round}/open-data.json"))
        .await
        .json();
    let mine = open["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "KK-HUANONG")
        .unwrap()
        .clone();
    let number = |s: itas_core::Score| s.to_string().parse::<f64>().unwrap();
    assert_eq!(mine["overall"].as_f64(), Some(number(card.overall)));
    assert_eq!(mine["tools"]["EIT"].as_f64(), Some(number(counted)));
    assert_eq!(
        mine["below_minimum_sample"],
        serde_json::json!([{"tool": "EIT", "counted": 9, "required": 40}])
    );
    let api = huanong
        .get(&format!("/api/v1/rounds/{round}/agencies/{agency}/scores"))
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let api = api.json();
    assert_eq!(
        api["tools"]["EIT"].to_string(),
        mine["tools"]["EIT"].to_string()
    );
    assert_eq!(api["below_minimum_sample"], mine["below_minimum_sample"]);
    let page = app
        .client()
        .get(&format!("/api/v1/rounds/{round}/results?limit=1000"))
        .await
        .json();
    let row = page["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "KK-HUANONG")
        .unwrap()
        .clone();
    assert_eq!(row["overall"], mine["overall"]);
    assert_eq!(row["below_minimum_sample"], mine["below_minimum_sample"]);

    // Scores entered as published (the 2564 round) carry no mark.
    let closed = app.round_id("ITA 2564").await;
    let old = app
        .client()
        .get(&format!("/agencies/{agency}/results/{closed}"))
        .await
        .body;
    assert!(!old.contains("short-sample"));
});
