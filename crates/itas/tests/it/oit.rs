//! The OIT evidence workflow, one full round through the web UI: the agency
//! submits URLs, the assessor fails two items, the agency revises them, the
//! assessor passes one; the OIT scores equal the engine's on the same decisions.

use crate::app::TestApp;
use crate::both_backends;
use axum::http::StatusCode;
use itas_core::directory::Phase;
use itas_core::framework::embedded;
use itas_core::scoring::{Inputs, score_available};
use itas_store::rounds::PhaseDates;
use std::collections::BTreeSet;
use time::Duration;

/// Moves the round's calendar so that today falls in `now`.
pub(crate) async fn move_to(app: &TestApp, round: &str, now: Phase) {
    let today = itas_web::today();
    let k = Phase::ALL.iter().position(|p| *p == now).unwrap() as i64;
    let phases: Vec<PhaseDates> = Phase::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let start = today + Duration::days((i as i64 - k) * 10 - 2);
            PhaseDates {
                phase: *p,
                starts_on: start,
                ends_on: start + Duration::days(9),
            }
        })
        .collect();
    itas_store::rounds::set_phases(&app.db, None, round, &phases)
        .await
        .unwrap();
}

fn th(s: &str) -> String {
    itas_core::thai::thai_digits(s)
}

/// The whole round; evidence lives on a local test site (never the internet).
async fn full_round(backend: crate::app::Backend) {
    let app = crate::app::spawn_app_with(backend, crate::evidence::quick()).await;
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    let fw = embedded("ita-2569").unwrap();
    let fy = itas_store::rounds::get(&app.db, &round)
        .await
        .unwrap()
        .unwrap()
        .fiscal_year as i32;
    let port = crate::evidence::evidence_site(fy).await;
    let site = format!("http://localhost:{port}");
    crate::evidence::set_website(&app.db, "KK-HUANONG", &site).await;
    let codes: Vec<String> = fw.checklist_items().map(|i| i.code.clone()).collect();
    move_to(&app, &round, Phase::Collection).await;

    // The agency enters evidence; a bad URL is refused and what was typed kept.
    let mut agency_c = app.signed_in("huanong").await;
    let page = agency_c.get(&format!("/agency/rounds/{round}/oit")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("แผนผังโครงสร้างหน่วยงาน"),
        "requirements in plain Thai"
    );
    let r = agency_c
        .post_form(
            &format!("/agency/rounds/{round}/oit"),
            &[
                ("O1.urls", "ftp://huanong.go.th/x"),
                ("O1.explanation", "หน้าโครงสร้าง"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("ftp://huanong.go.th/x")
            && r.body.contains("URL ต้องขึ้นต้นด้วย https:// หรือ http://")
    );

    // A draft, saved and not submitted, is the agency's own: the assigned
    // assessor does not see it.
    let r = agency_c
        .post_form(
            &format!("/agency/rounds/{round}/oit"),
            &[
                ("O1.urls", &format!("{site}/draft/O1")),
                ("O1.explanation", "ร่าง"),
            ],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.body
    );
    let mut early = app.signed_in("assessor1").await;
    let page = early
        .get(&format!("/assessor/rounds/{round}/agencies/{agency}/oit"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains(&format!("{site}/draft/O1")),
        "an unsubmitted draft is not shown to the assessor"
    );

    let mut fields: Vec<(String, String)> = Vec::new();
    for c in &codes {
        fields.push((format!("{c}.urls"), format!("{site}/oit/{c}")));
        fields.push((format!("{c}.explanation"), format!("ข้อมูลข้อ {c}")));
    }
    fields.push(("action".into(), "submit".into()));
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = agency_c
        .post_form(&format!("/agency/rounds/{round}/oit"), &f)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The submission's check ran: every URL judged and snapshotted.
    crate::evidence::wait_checks(&app, &agency, &round, "submit", codes.len()).await;
    // Submitted: locked.
    let r = agency_c
        .post_form(
            &format!("/agency/rounds/{round}/oit"),
            &[
                ("O1.urls", "http://localhost/changed"),
                ("O1.explanation", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Round 1: only the assigned assessor reviews; two items fail.
    move_to(&app, &round, Phase::Review1).await;
    let mut other = app.signed_in("assessor2").await;
    let base = format!("/assessor/rounds/{round}/agencies/{agency}/oit");
    assert_eq!(other.get(&base).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        other
            .post_form(&format!("{base}/O1"), &[("result", "pass")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut assessor = app.signed_in("assessor1").await;
    let page = assessor.get(&base).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("{site}/oit/O1")));
    assert!(
        !page.body.contains("เปิดให้บันทึกผล"),
        "review 1 is open: no note"
    );
    // A decision form per item, and no access key repeated across them.
    assert!(page.body.matches("name=\"result\" value=\"pass\"").count() > 1);
    assert!(!page.body.contains("accesskey"), "no duplicate access keys");
    // A fail without a reason is refused.
    let r = assessor
        .post_form(&format!("{base}/O1"), &[("result", "fail")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("กรุณาเลือกเหตุผลที่ไม่ผ่าน"));
    for c in &codes {
        let form: Vec<(&str, &str)> = match c.as_str() {
            "O1" => vec![
                ("result", "fail"),
                ("reason", "wrong_year"),
                ("comment", "เป็นข้อมูลปี 2563"),
            ],
            "O25" => vec![
                ("result", "fail"),
                ("reason", "unreachable"),
                ("comment", ""),
            ],
            _ => vec![("result", "pass")],
        };
        let r = assessor.post_form(&format!("{base}/{c}"), &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{c}: {}", r.body);
    }
    // The assessor's queue shows the review complete.
    let home = assessor.get("/assessor").await.body;
    assert!(home.contains("ส่งแล้ว · ตัดสินแล้ว ๔๓ / ๔๓"), "queue progress");
    // The agency sees the results and reasons.
    let page = agency_c
        .get(&format!("/agency/rounds/{round}/oit"))
        .await
        .body;
    assert!(page.contains("ไม่ใช่ข้อมูลของปีงบประมาณที่ประเมิน") && page.contains("เป็นข้อมูลปี 2563"));

    // Revision: only the failed items can change.
    move_to(&app, &round, Phase::Revision).await;
    // Between the reviews the assessor is told when round 2 opens.
    let page = assessor.get(&base).await.body;
    assert!(
        page.contains("การตรวจรอบที่ ๒ (เฉพาะข้อที่ไม่ผ่าน) เปิดให้บันทึกผล"),
        "{page}"
    );
    let r = agency_c
        .post_form(
            &format!("/agency/rounds/{round}/oit"),
            &[("O2.urls", "http://localhost/x"), ("O2.explanation", "")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a passed item stays as it was"
    );
    let r = agency_c
        .post_form(
            &format!("/agency/rounds/{round}/oit"),
            &[
                ("O1.urls", format!("{site}/ok").as_str()),
                ("O1.explanation", "แก้เป็นข้อมูลปี 2564"),
                ("O25.urls", format!("{site}/oit/O25-new").as_str()),
                ("O25.explanation", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Round 2: the assessor decides only the failed items; one passes.
    move_to(&app, &round, Phase::Review2).await;
    let page = assessor.get(&base).await.body;
    assert!(page.contains(&format!("{site}/ok")), "the revised URL");
    let r = assessor
        .post_form(
            &format!("{base}/O2"),
            &[("result", "fail"), ("reason", "incomplete")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "O2 passed in round 1");
    let r = assessor
        .post_form(&format!("{base}/O1"), &[("result", "pass")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = assessor
        .post_form(
            &format!("{base}/O25"),
            &[
                ("result", "fail"),
                ("reason", "other"),
                ("comment", "ยังเปิดไม่ได้"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The engine on the same decisions: everything passed but O25.
    let passed: BTreeSet<String> = codes.iter().filter(|c| *c != "O25").cloned().collect();
    let expected = score_available(
        &fw,
        &Inputs {
            passed: Some(passed),
            ..Default::default()
        },
    )
    .unwrap();
    let i9 = expected.indicators[&9].to_string();
    let i10 = expected.indicators[&10].to_string();
    let oit = expected.tools["OIT"].to_string();
    assert_eq!(i9, "100.00");
    assert_ne!(i10, "100.00");
    let page = assessor.get(&base).await.body;
    for v in [&i9, &i10, &oit] {
        assert!(page.contains(&th(v)), "assessor page shows {v}");
    }
    // The agency sees its OIT score only once results are published.
    let page = agency_c
        .get(&format!("/agency/rounds/{round}/oit"))
        .await
        .body;
    assert!(!page.contains(&th(&oit)));
    move_to(&app, &round, Phase::Publication).await;
    let page = agency_c
        .get(&format!("/agency/rounds/{round}/oit"))
        .await
        .body;
    assert!(
        !page.contains(&th(&oit)),
        "the publication phase alone publishes nothing"
    );
    let mut central = app.signed_in("admin").await;
    let r = central
        .post_form(&format!("/admin/rounds/{round}/publish"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = agency_c
        .get(&format!("/agency/rounds/{round}/oit"))
        .await
        .body;
    assert!(page.contains(&th(&oit)), "published OIT score {oit}");

    // Every decision is in the audit log.
    let mut admin = app.signed_in("admin").await;
    let log = admin.get("/admin/audit").await.body;
    assert!(log.contains("oit_decision"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_oit_round_scores_as_the_engine_does_sqlite() {
    full_round(crate::app::Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_oit_round_scores_as_the_engine_does_postgres() {
    full_round(crate::app::Backend::Postgres).await
}

both_backends!(
    computing_a_round_combines_answers_and_oit_decisions,
    |app| {
        let round = app.current_round().await;
        let agency = app.agency_id("KK-HUANONG").await;
        let fw = embedded("ita-2569").unwrap();
        move_to(&app, &round, Phase::Collection).await;
        crate::app::iit_without_codes(&app.db).await;
        // Six answers per survey tool through the public links.
        let mut phone = app.client();
        for tool in ["IIT", "EIT"] {
            let (_, _, code) = crate::app::demo_link(&app.db, tool).await;
            for k in 0..6u64 {
                let body = format!(
                    "{}&sid={}",
                    itas_web::loadgen::answers_body(&fw, tool, k + 1),
                    uuid::Uuid::new_v4()
                );
                let r = phone
                    .request(
                        axum::http::Method::POST,
                        &format!("/s/{code}/submit"),
                        Some("application/x-www-form-urlencoded"),
                        body.into_bytes(),
                    )
                    .await;
                assert!(
                    r.status.is_success() || r.status.is_redirection(),
                    "{}",
                    r.status
                );
            }
        }
        // HUANONG never submits OIT: every item fails.
        move_to(&app, &round, Phase::Publication).await;
        let mut admin = app.signed_in("admin").await;
        let r = admin
            .post_form(&format!("/admin/rounds/{round}/compute"), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("คำนวณคะแนนแล้ว (หน่วยงาน): 1"), "{}", r.body);
        assert!(
            r.body.contains("KK-BANPHAI (ยังไม่มีผู้ตอบแบบวัด IIT EIT)"),
            "reasons in Thai"
        );
        // The review before publishing lists it with its reason, in Thai.
        assert!(
            r.body
                .contains("<td>KK-BANPHAI</td><td>ยังไม่มีผู้ตอบแบบวัด IIT EIT</td>")
        );
        assert!(r.body.contains("ยังไม่เผยแพร่"));

        // Stored scores equal the engine on the same tallies and decisions.
        let tallies = itas_store::surveys::tallies(&app.db, &round, &agency)
            .await
            .unwrap();
        let expected = score_available(
            &fw,
            &Inputs {
                tallies: tallies
                    .into_iter()
                    .map(|(k, counts)| (k, itas_core::scoring::ItemTally { counts }))
                    .collect(),
                passed: Some(BTreeSet::new()),
                ..Default::default()
            },
        )
        .unwrap();
        let stored = itas_store::rounds::indicator_scores(&app.db, &round, &agency)
            .await
            .unwrap();
        assert_eq!(stored, expected.indicators);
        assert_eq!(stored[&9].hundredths(), 0);
        // Computed is not public: the results page asks the public to sign in...
        let page = app
            .client()
            .get(&format!("/agencies/{agency}/results/{round}"))
            .await;
        assert_ne!(page.status, StatusCode::OK, "not public before publishing");
        let dashboard = app.client().get(&format!("/results/{round}")).await;
        assert_ne!(dashboard.status, StatusCode::OK);
        // ...until the central office publishes, which is audited and can be withdrawn.
        let r = admin
            .post_form(&format!("/admin/rounds/{round}/publish"), &[])
            .await;
        assert!(r.body.contains("เผยแพร่แล้วเมื่อ"), "{}", r.body);
        let page = app
            .client()
            .get(&format!("/agencies/{agency}/results/{round}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let dashboard = app.client().get(&format!("/results/{round}")).await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(
            dashboard.body.contains("ยังไม่มีผลและไม่รวมอยู่ในตัวเลขนี้"),
            "the dashboard says who is not included: {}",
            dashboard.body
        );
        let log = admin.get("/admin/audit").await.body;
        assert!(log.contains("publish_results"), "publishing is audited");
        let round_name = itas_store::rounds::get(&app.db, &round)
            .await
            .unwrap()
            .unwrap()
            .name;
        assert!(
            log.contains(&round_name),
            "the log names the round, not only its id"
        );
        admin
            .post_form(&format!("/admin/rounds/{round}/withdraw"), &[])
            .await;
        let gone = app
            .client()
            .get(&format!("/agencies/{agency}/results/{round}"))
            .await;
        assert_ne!(gone.status, StatusCode::OK, "withdrawn");
        assert!(
            admin
                .get("/admin/audit")
                .await
                .body
                .contains("withdraw_results")
        );
        assert!(page.body.contains(&th(&expected.tools["IIT"].to_string())));
    }
);
