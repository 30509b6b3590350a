//! Earlier years' published results: imported from a file by the central
//! office (command line, page, API), each row checked against its year's
//! framework, and an agency's years read back beside the rounds itas ran.

use crate::app::TestApp;
use crate::both_backends;
use crate::support::{itas, stderr, stdout};
use axum::http::{Method, StatusCode};

/// Huanong's years before itas (demo figures, consistent with each year's
/// rule), and one bad row of each kind the import refuses.
const FILE: &str = "\u{feff}รหัสหน่วยงาน,ปีงบประมาณ,กรอบการประเมิน,คะแนนภาพรวม,IIT,EIT,OIT,ผลการประเมิน\r\n\
KK-HUANONG,2565,ita-2565,75.68,88.10,82.30,61.40,B\r\n\
KK-HUANONG,๒๕๖๖,,90.39,95.20,86.50,89.70,ผ่าน\r\n\
KK-BANPHAI,2567,,95.20,100,84,100,ผ่าน\r\n\
KK-NOWHERE,2566,,90.00,90,90,90,\r\n\
KK-BANPHAI,2566,ita-2599,90.00,90,90,90,\r\n\
KK-BANPHAI,2565,,80.00,86.03,80.17,45.34,\r\n\
KK-BANPHAI,2566,,96.00,96,96,96,ผ่าน\r\n";

async fn import(app: &TestApp, csv: &str) -> serde_json::Value {
    let mut admin = app.signed_in("admin").await;
    let r = admin
        .request(
            Method::POST,
            "/api/v1/results/import",
            Some("text/csv; charset=utf-8"),
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

both_backends!(published_years_are_checked_then_kept, |app| {
    let report = import(&app, FILE).await;
    assert_eq!(report["stored"], 3, "{report}");
    let problems = report["problems"].as_array().unwrap();
    let lines: Vec<i64> = problems
        .iter()
        .map(|p| p["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [5, 6, 7, 8], "{report}");
    let en = |i: usize| problems[i]["message_en"].as_str().unwrap().to_string();
    assert!(en(0).contains("unknown agency 'KK-NOWHERE'"), "{report}");
    assert!(en(1).contains("unknown framework 'ita-2599'"), "{report}");
    assert!(
        en(2).contains("overall 80.00") && en(2).contains("(68.00)"),
        "{report}"
    );
    assert!(
        en(3).contains("label 'ผ่าน'") && en(3).contains("ผ่านดี"),
        "{report}"
    );
    // In the admin's language by default, both kept.
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("ไม่พบหน่วยงานรหัส")
    );
    assert_eq!(report["years"].as_array().unwrap().len(), 3);

    // Huanong's years: the two imported, then the rounds itas published
    // (2564 and 2568), each with its level under its own year's rule.
    let huanong = app.agency_id("KK-HUANONG").await;
    let r = app
        .client()
        .get(&format!("/api/v1/agencies/{huanong}/history"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let years = r.json()["years"].as_array().unwrap().clone();
    let seen: Vec<(i64, &str, &str)> = years
        .iter()
        .map(|y| {
            (
                y["fiscal_year"].as_i64().unwrap(),
                y["level_th"].as_str().unwrap(),
                y["source"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            // The demo's own file, and a demo figure is said to be one.
            (2562, "ปานกลาง", "imported"),
            (2563, "ปานกลาง", "imported"),
            (2564, "ปานกลาง", "round"),
            (2565, "ดี", "imported"),
            (2566, "ผ่าน", "imported"),
            (2568, "ผ่าน", "round"),
        ]
    );
    assert_eq!(years[0]["note"], "ตัวเลขสาธิต");
    assert_eq!(years[3]["overall"].to_string(), "75.68");
    assert_eq!(years[4]["tools"]["EIT"].to_string(), "86.5");
    assert_eq!(years[4]["framework"], "ita-2566");
    assert_eq!(years[2]["indicators"]["10"].to_string(), "18.75");
    // The agency's results page draws the imported years into its trend,
    // marked as imported, in order.
    let r2568 = app.round_id("ITA 2568").await;
    let page = app
        .client()
        .get(&format!("/agencies/{huanong}/results/{r2568}"))
        .await
        .body;
    let trend = &page[page.find("คะแนนรายปีของหน่วยงาน").expect("a trend")..];
    let order: Vec<usize> = [
        "ITA 2564",
        "ITA 2565 (นำเข้า)",
        "ITA 2566 (นำเข้า)",
        "ITA 2568",
    ]
    .iter()
    .map(|l| trend.find(l).unwrap_or_else(|| panic!("{l} in {trend}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(trend.contains(&itas_core::thai::thai_digits("75.68")));
    // The agency's public ITA page of 2568 shows the same years, with a word
    // on what "imported" means.
    itas_app::demo::publish_seed_page(&app.db, "http://127.0.0.1:8080")
        .await
        .unwrap();
    let public = app.client().get("/p/KK-HUANONG/ita/2568").await;
    assert_eq!(public.status, StatusCode::OK);
    let t = &public.body[public
        .body
        .find("ผลการประเมินรายปีของหน่วยงาน")
        .expect("a trend")..];
    let order: Vec<usize> = [
        "ITA 2564",
        "ITA 2565 (นำเข้า)",
        "ITA 2566 (นำเข้า)",
        "ITA 2568",
    ]
    .iter()
    .map(|l| {
        t.find(l)
            .unwrap_or_else(|| panic!("{l} on the public page"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(t.contains("ส่วนกลางนำเข้าหลังตรวจกับเกณฑ์ของปีนั้นแล้ว"));
    // An unknown agency.
    let r = app.client().get("/api/v1/agencies/nobody/history").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A second file of 2566 replaces the whole year, audited.
    let again = "agency_code,fiscal_year,overall,iit,eit,oit\nKK-BANPHAI,2566,96.00,96,96,96\n";
    let report = import(&app, again).await;
    assert_eq!(report["stored"], 1);
    assert_eq!(
        report["years"][0],
        serde_json::json!({"fiscal_year": 2566, "before": 1, "after": 1})
    );
    let r = app
        .client()
        .get(&format!("/api/v1/agencies/{huanong}/history"))
        .await;
    assert!(
        !r.json()["years"]
            .as_array()
            .unwrap()
            .iter()
            .any(|y| y["fiscal_year"] == 2566),
        "Huanong's 2566 went with the year it was in"
    );
    let audit = itas_store::audit::recent(&app.db, Some("2566"), 10)
        .await
        .unwrap();
    // The demo's year, replaced by the file, then by the second file.
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["replace", "replace", "import"]
    );
    assert_eq!(audit[0].before_json.as_deref(), Some("{\"rows\":1}"));
});

both_backends!(only_the_central_office_imports_results, |app| {
    let mut agency = app.signed_in("huanong").await;
    let r = agency
        .request(
            Method::POST,
            "/api/v1/results/import",
            Some("text/csv"),
            FILE.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = agency.get("/admin/history").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut admin = app.signed_in("admin").await;
    // Another type, and a file without the key columns.
    let r = admin
        .request(
            Method::POST,
            "/api/v1/results/import",
            Some("text/plain"),
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    let r = admin
        .request(
            Method::POST,
            "/api/v1/results/import",
            Some("text/csv"),
            b"code,overall\nKK-HUANONG,68\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("fiscal_year"), "{}", r.body);
});

both_backends!(the_page_imports_a_workbook_and_lists_the_years, |app| {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in FILE.trim_start_matches('\u{feff}').lines().enumerate() {
        for (c, v) in line.split(',').enumerate() {
            sheet.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/history").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ผลการประเมินปีก่อน ๆ"));
    let r = admin
        .post_file("/admin/history", "file", "history.xlsx", &bytes)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("บันทึกแล้ว ๓ แถว"), "{}", r.body);
    // Each refused row by its line, in Thai.
    for want in [
        "ไม่พบหน่วยงานรหัส",
        "KK-NOWHERE",
        "ไม่รู้จักกรอบการประเมิน",
        "ita-2599",
        "ขัดกับเกณฑ์ของปีนั้น",
    ] {
        assert!(r.body.contains(want), "{want}: {}", r.body);
    }
    assert!(r.body.contains("<td class=\"num\">๕</td>"), "{}", r.body);
    // The years held.
    assert!(
        r.body.contains("<td>๒๕๖๕</td><td class=\"num\">๑</td>"),
        "{}",
        r.body
    );
    // No file: said beside the field.
    let r = admin.post_file("/admin/history", "file", "", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("กรุณาเลือกไฟล์"));
});

/// `itas import-results FILE`: the same checks from the command line.
#[test]
fn results_are_imported_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("itas-cli-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/itas.sqlite3", dir.display());
    assert!(itas(&["migrate", "--database-url", &url]).status.success());
    let agencies = dir.join("agencies.csv");
    std::fs::write(&agencies, "code,name_th,kind\nKK-HUANONG,อบต.หัวหนอง,sao\nKK-BANPHAI,เทศบาลเมืองบ้านไผ่,town_municipality\n").unwrap();
    let o = itas(&[
        "import-agencies",
        agencies.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let file = dir.join("history.csv");
    std::fs::write(&file, FILE).unwrap();
    let o = itas(&[
        "import-results",
        file.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a refused row exits 1: {}",
        stderr(&o)
    );
    let out = stdout(&o);
    assert!(out.contains("3 results stored, 4 rows refused"), "{out}");
    assert!(out.contains("fiscal year 2566: 1 rows"), "{out}");
    assert!(out.contains("line 5: unknown agency 'KK-NOWHERE'"), "{out}");
    // Again: the same years replaced, the same rows refused.
    let o = itas(&[
        "import-results",
        file.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert!(
        stdout(&o).contains("fiscal year 2566: 1 rows replaced by 1"),
        "{}",
        stdout(&o)
    );
    // A file without its key columns is refused whole, exit 2.
    std::fs::write(&file, "code,overall\nKK-HUANONG,68\n").unwrap();
    let o = itas(&[
        "import-results",
        file.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("missing column(s): fiscal_year"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

both_backends!(the_demo_years_reach_the_report_and_the_dashboards, |app| {
    // The demo imported Huanong's 2562–2567 from demo/huanong-history.csv;
    // its 2564 report compares with 2563 and shows 2562 to 2564.
    let huanong = app.agency_id("KK-HUANONG").await;
    let r2564 = app.round_id("ITA 2564").await;
    let mut agency = app.signed_in("huanong").await;
    let r = agency
        .get(&format!("/agencies/{huanong}/results/{r2564}/report.docx"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = crate::results::docx_text(&r.bytes);
    for want in [
        "เมื่อเทียบกับปี ๒๕๖๓ (นำเข้า) คะแนนภาพรวมลดลง ๕.๕๔ คะแนน (จาก ๗๓.๕๔ เป็น ๖๘.๐๐) ผลการประเมินคงเดิม (C)",
        "ผลของปีก่อนไม่มีคะแนนรายตัวชี้วัด",
        "ผลการประเมินย้อนหลัง ปีงบประมาณ พ.ศ. ๒๕๖๒ – ๒๕๖๔",
        "๒๕๖๒ (นำเข้า)",
        "๘๒.๔๑",
        "ตลอด ๓ ปี (พ.ศ. ๒๕๖๒ – ๒๕๖๔) คะแนนภาพรวมสูงสุด ๗๓.๕๔ คะแนนในปี ๒๕๖๓ ต่ำสุด ๖๘.๐๐ คะแนนในปี ๒๕๖๔ ได้ ๘๕.๐๐ คะแนนขึ้นไป ๐ ใน ๓ ปี ปีล่าสุดคะแนนภาพรวมลดลงจากปีก่อน",
        "ปี ๒๕๖๒ ตัวเลขสาธิต",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    // No later year in a 2564 report.
    assert!(!text.contains("๒๕๖๕ (นำเข้า)"), "{text}");
    // The PDF says the same figures (read back by pdftotext).
    let r = agency
        .get(&format!("/agencies/{huanong}/results/{r2564}/report.pdf"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let dir = std::env::temp_dir().join(format!("itas-history-pdf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("report.pdf");
    std::fs::write(&pdf, &r.bytes).unwrap();
    let pdf_text = crate::cli_report::pdftotext(&pdf, false);
    let _ = std::fs::remove_dir_all(&dir);
    for want in ["๖๙.๓๙", "๗๓.๕๔", "๘๔.๑๒", "(นำเข้า)"] {
        assert!(pdf_text.contains(want), "{want} in the PDF");
    }
    // 2568 is compared with the year before it, imported.
    let r2568 = app.round_id("ITA 2568").await;
    let page = agency
        .get(&format!("/agencies/{huanong}/results/{r2568}"))
        .await
        .body;
    assert!(page.contains("เมื่อเทียบกับปี ๒๕๖๗ (นำเข้า)"), "{page}");
    assert!(page.contains("ITA 2562 (นำเข้า · ตัวเลขสาธิต)"), "{page}");

    // The dashboards: the imported years in the trend, in year order, with
    // the share at 85 of each.
    for (round, scope) in [
        (&r2568, ""),
        (
            &r2568,
            "?province=%E0%B8%82%E0%B8%AD%E0%B8%99%E0%B9%81%E0%B8%81%E0%B9%88%E0%B8%99",
        ),
    ] {
        let page = app.client().get(&format!("/results/{round}{scope}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let body = &page.body[page.body.find("แนวโน้มรายปี").expect("a trend")..];
        let order: Vec<usize> = [
            "ITA 2562 (นำเข้า)",
            "ITA 2563 (นำเข้า)",
            "ITA 2564",
            "ITA 2565 (นำเข้า)",
            "ITA 2566 (นำเข้า)",
            "ITA 2567 (นำเข้า)",
            "ITA 2568",
        ]
        .iter()
        .map(|l| {
            body.find(l)
                .unwrap_or_else(|| panic!("{l} in the trend{scope}"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        // One agency a year: its overall is the average, 2567's 91.30 is at 85.
        for figure in ["๖๙.๓๙", "๙๑.๓๐", "๑๐๐.๐๐"] {
            assert!(body.contains(figure), "{figure} in the trend{scope}");
        }
    }
    // The 2564 dashboard stops at 2564.
    let page = app.client().get(&format!("/results/{r2564}")).await.body;
    let body = &page[page.find("แนวโน้มรายปี").expect("a trend")..];
    assert!(body.contains("ITA 2563 (นำเข้า)") && !body.contains("ITA 2565 (นำเข้า)"));
});
