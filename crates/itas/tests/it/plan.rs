//! Improvement-plan tracking: prefilled from the engine's weaknesses, edited
//! by the agency, progress month by month, overdue measures standing out, the
//! report using the agency's own plan, and the next round linking back.

use crate::both_backends;
use axum::http::StatusCode;

both_backends!(the_agency_tracks_its_plan_through_the_year, |app| {
    let agency = app.agency_id("KK-HUANONG").await;
    let round = app.round_id("ITA 2564").await;
    let plan = format!("/agencies/{agency}/plan/{round}");
    let mut c = app.signed_in("huanong").await;
    let page = c.get(&plan).await.body;
    assert!(page.contains("ยังไม่มีมาตรการในแผน"));

    // Prefill: one measure per indicator below 85 (2, 4, 6, 7, 8, 9, 10).
    let r = c.post_form(&format!("{plan}/prefill"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let measures = itas_store::plans::measures(&app.db, &agency, &round)
        .await
        .unwrap();
    assert_eq!(measures.len(), 7);
    assert!(measures[1].fields.weakness.contains("ตัวชี้วัดที่ ๔"));
    // Prefilling twice adds nothing.
    c.post_form(&format!("{plan}/prefill"), &[]).await;
    assert_eq!(
        itas_store::plans::measures(&app.db, &agency, &round)
            .await
            .unwrap()
            .len(),
        7
    );
    // The plan ran over fiscal year 2565, long past: every open measure is overdue.
    let page = c.get(&plan).await.body;
    assert!(page.contains("เลยกำหนด <strong>๗</strong>"), "{page}");

    // A refused edit keeps what was typed.
    let m = &measures[0];
    let url = format!("{plan}/measures/{}", m.id);
    let r = c
        .post_form(
            &url,
            &[
                ("tool", "IIT"),
                ("measure", "มาตรการเฉพาะของหน่วยงานหัวหนอง"),
                ("weakness", "w"),
                ("owner", "งานการเจ้าหน้าที่"),
                ("starts_on", "2022-09-30"),
                ("ends_on", "2022-01-01"),
                ("follow_up", "f"),
                ("status", "done"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("มาตรการเฉพาะของหน่วยงานหัวหนอง") && r.body.contains("วันสิ้นสุดต้องไม่ก่อนวันเริ่ม")
    );
    // Fixed, it saves; a finished measure is no longer overdue.
    let r = c
        .post_form(
            &url,
            &[
                ("tool", "IIT"),
                ("measure", "มาตรการเฉพาะของหน่วยงานหัวหนอง"),
                ("weakness", "w"),
                ("owner", "งานการเจ้าหน้าที่"),
                ("starts_on", "2021-10-01"),
                ("ends_on", "2022-09-30"),
                ("follow_up", "f"),
                ("status", "done"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c.get(&plan).await.body;
    assert!(page.contains("เลยกำหนด <strong>๖</strong>"));

    // Monthly progress; a bad percentage is refused and the note kept.
    let r = c
        .post_form(
            &format!("{url}/progress"),
            &[
                ("month", "2021-11"),
                ("percent", "140"),
                ("note", "จัดประชุมชี้แจงแล้ว"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("จัดประชุมชี้แจงแล้ว") && r.body.contains("ร้อยละ 0 ถึง 100"));
    let r = c
        .post_form(
            &format!("{url}/progress"),
            &[
                ("month", "2021-11"),
                ("percent", "๔๐"),
                ("note", "จัดประชุมชี้แจงแล้ว"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c.get(&plan).await.body;
    // The month as a Thai office reads it: Buddhist era, Thai digits.
    assert!(
        page.contains("พ.ย. ๒๕๖๔") && page.contains("๔๐%") && page.contains("จัดประชุมชี้แจงแล้ว"),
        "{page}"
    );
    assert!(!page.contains("2021-11</td>"), "no ISO month in the table");
    // A month's note is a note: past 1,000 characters it is refused, and
    // what was typed is kept.
    let long = "ก".repeat(1_001);
    let r = c
        .post_form(
            &format!("{url}/progress"),
            &[("month", "2021-12"), ("percent", "45"), ("note", &long)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("ยาวเกินไป: ๑๐๐๑ ตัวอักษร ใส่ได้ไม่เกิน ๑๐๐๐"),
        "{}",
        r.body
    );
    assert!(r.body.contains(&long), "the note is kept");
    // A month typed in the Buddhist era (as a Thai office writes it) is that
    // month, never the year 3112.
    let r = c
        .post_form(
            &format!("{url}/progress"),
            &[("month", "๒๕๖๔-๑๒"), ("percent", "60")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(&plan).await.body;
    assert!(page.contains("ธ.ค. ๒๕๖๔") && page.contains("๖๐%"), "{page}");

    // The report uses the agency's own plan.
    let r = c
        .get(&format!("/agencies/{agency}/results/{round}/report.docx"))
        .await;
    let text = crate::results::docx_text(&r.bytes);
    assert!(text.contains("มาตรการเฉพาะของหน่วยงานหัวหนอง"));
    assert!(text.contains("งานการเจ้าหน้าที่"));

    // Readers may read; only the agency writes.
    let mut assessor = app.signed_in("assessor1").await;
    assert_eq!(assessor.get(&plan).await.status, StatusCode::OK);
    assert_eq!(
        assessor
            .post_form(
                &format!("{url}/progress"),
                &[("month", "2021-12"), ("percent", "50")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut other = app.signed_in("banphai").await;
    assert_eq!(other.get(&plan).await.status, StatusCode::FORBIDDEN);

    // The next round's results (2568, published) link back to this plan.
    let current = app.round_id("ITA 2568").await;
    let page = c
        .get(&format!("/agencies/{agency}/results/{current}"))
        .await
        .body;
    assert!(
        page.contains(&format!("/agencies/{agency}/plan/{round}")),
        "link back"
    );
    assert!(page.contains("แผนพัฒนาจากผล"));
});
