//! The EIT in two parts (ita-2567 on): part 2 collected by the central
//! office through its own link per agency, which the agency never sees,
//! through the same anonymity, flags and exclusions; pooled into the EIT's
//! score; each part's count on the results page and in the report.

use crate::both_backends;
use crate::cli_report::squash;
use crate::results::docx_text;
use axum::http::StatusCode;

both_backends!(
    the_central_office_collects_part_2_and_the_eit_counts_both,
    |app| {
        let round = app.current_round().await;
        let agency = app.agency_id("KK-HUANONG").await;
        let fw = itas_store::rounds::get(&app.db, &round)
            .await
            .unwrap()
            .unwrap()
            .framework()
            .unwrap();
        assert!(
            fw.collection("EIT.2").is_some(),
            "the demo round has part 2"
        );
        crate::app::iit_without_codes(&app.db).await;
        itas_store::rounds::set_populations(&app.db, None, &round, &agency, 42, 1200)
            .await
            .unwrap();

        // The agency: part 2 is named, with no link, no poster, no codes.
        let mut huanong = app.signed_in("huanong").await;
        let home = huanong.get("/agency").await.body;
        assert!(home.contains("ส่วนที่ 2 (สำนักงาน ป.ป.ช. เก็บจากผู้มีส่วนได้ส่วนเสียที่เชิญเอง) (EIT.2)"));
        assert!(home.contains("หน่วยงานไม่มีลิงก์ของส่วนนี้"));
        assert!(!home.contains("/links/EIT.2/"));
        let links = huanong.get(&format!("/api/v1/rounds/{round}/links")).await;
        assert_eq!(links.status, StatusCode::OK);
        assert!(!links.body.contains("EIT.2"), "{}", links.body);
        for path in ["poster", "poster.pdf"] {
            let r = huanong
                .get(&format!("/agency/rounds/{round}/links/EIT.2/{path}"))
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        }
        let r = huanong
            .post_form(&format!("/agency/rounds/{round}/links/EIT.2/rotate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = huanong.get(&format!("/admin/rounds/{round}/parts")).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the parts list is the central office's"
        );

        // The central office: the list, then the agency's session page.
        let mut admin = app.signed_in("admin").await;
        let round_page = admin.get(&format!("/admin/rounds/{round}")).await.body;
        assert!(round_page.contains(&format!("/admin/rounds/{round}/parts")));
        let list = admin
            .get(&format!("/admin/rounds/{round}/parts?q=HUANONG"))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let session_path = format!("/admin/rounds/{round}/parts/EIT.2/{agency}");
        assert!(list.body.contains("KK-HUANONG") && list.body.contains(&session_path));
        assert!(
            !list.body.contains("KK-BANPHAI"),
            "the search narrows the list"
        );
        let session = admin.get(&session_path).await;
        assert_eq!(session.status, StatusCode::OK, "{}", session.body);
        assert_eq!(session.headers["cache-control"], "no-store");
        assert!(session.body.contains(r#"http-equiv="refresh""#));
        let part2 = itas_store::surveys::active_link(&app.db, &round, &agency, "EIT.2")
            .await
            .unwrap()
            .expect("part 2's link")
            .code;
        assert!(session.body.contains(&format!("/s/{part2}")));
        assert!(session.body.contains("<svg"), "the QR code");
        assert!(!home.contains(&part2), "the agency's page never holds it");

        // Answers: 30 IIT and 40 EIT part 1 through the agency's links; in the
        // session 6 stakeholders, then a script sending one answer 20 times.
        let (_, _, iit) = crate::app::demo_link(&app.db, "IIT").await;
        let (_, _, eit) = crate::app::demo_link(&app.db, "EIT").await;
        let mut phone = app.client();
        let landing = phone.get(&format!("/s/{part2}")).await;
        assert_eq!(landing.status, StatusCode::OK);
        assert!(
            landing.body.contains("ส่วนที่ 2"),
            "the respondent sees which part"
        );
        for k in 0..30 {
            crate::app::answer(&mut phone, &iit, &fw, "IIT", 100 + 2 * k).await;
        }
        for k in 0..40 {
            crate::app::answer(&mut phone, &eit, &fw, "EIT", 300 + 2 * k).await;
        }
        for k in 0..6 {
            crate::app::answer(&mut phone, &part2, &fw, "EIT.2", 700 + 2 * k).await;
        }
        for _ in 0..20 {
            crate::app::answer(&mut phone, &part2, &fw, "EIT.2", 999).await;
        }
        let count = |key: &'static str| {
            let (db, round, agency) = (app.db.clone(), round.clone(), agency.clone());
            async move {
                itas_store::surveys::count(&db, &round, &agency, key)
                    .await
                    .unwrap()
            }
        };
        assert_eq!((count("EIT").await, count("EIT.2").await), (40, 26));
        let session = admin.get(&session_path).await.body;
        assert!(
            session.contains(r#"<strong id="count">๒๖</strong>"#),
            "the live count"
        );
        let home = huanong.get("/agency").await.body;
        assert!(
            home.contains("หน่วยงานไม่มีลิงก์ของส่วนนี้"),
            "still hidden from the agency"
        );
        assert!(!home.contains("ส่วนนี้สำนักงานกลางเก็บเอง ผู้ตอบ"));

        // The same data-quality check, part by part: the script's copies are
        // flagged on EIT.2, and the central office leaves them out there only.
        let doc = admin
            .get(&format!("/api/v1/rounds/{round}/quality"))
            .await
            .json();
        let flagged: Vec<String> = doc["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["code"] == "KK-HUANONG")
            .flat_map(|a| a["flags"].as_array().unwrap().clone())
            .filter(|f| f["kind"] == "duplicates")
            .map(|f| f["tool"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(flagged, ["EIT.2"], "copies are seen in part 2 alone: {doc}");
        let r = admin
            .post_form(
                &format!("/admin/rounds/{round}/quality/{agency}/EIT.2"),
                &[
                    ("decision", "exclude"),
                    ("reason", "คำตอบ ๒๐ ชุดเหมือนกันทุกข้อ"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The engine's EIT: part 1 pooled with what part 2 kept (6 + 1).
        let by_key = itas_store::surveys::tallies_by_key(&app.db, &round, &agency)
            .await
            .unwrap();
        let (kept, n) =
            itas_store::quality::tallies_without_flagged(&app.db, &round, &agency, "EIT.2")
                .await
                .unwrap();
        assert_eq!(n, 7);
        let mut pooled = by_key["EIT"].clone();
        itas_store::ingest::merge_counts(&mut pooled, &kept);
        let expected = itas_app::scoring_run::tool_score(&fw, &pooled, "EIT").unwrap();
        let part1_only = itas_app::scoring_run::tool_score(&fw, &by_key["EIT"], "EIT").unwrap();
        let all = itas_store::surveys::tallies(&app.db, &round, &agency)
            .await
            .unwrap();
        let with_copies = itas_app::scoring_run::tool_score(&fw, &all, "EIT").unwrap();
        assert_ne!(expected, part1_only, "part 2 must move the EIT");
        assert_ne!(expected, with_copies, "the exclusion must move the EIT");

        let r = admin
            .post_form(&format!("/admin/rounds/{round}/compute"), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let given = itas_store::rounds::indicator_scores(&app.db, &round, &agency)
            .await
            .unwrap();
        let card = itas_app::published::scorecard(&fw, given).expect("computed");
        assert_eq!(card.tools["EIT"], expected);
        let samples = itas_store::rounds::agency_samples(&app.db, &round, &agency)
            .await
            .unwrap();
        let of = |key: &str| samples.iter().find(|s| s.tool == key).cloned().unwrap();
        assert_eq!((of("EIT").counted, of("EIT").required), (40, Some(40)));
        assert_eq!((of("EIT.2").counted, of("EIT.2").required), (7, None));
        assert!(samples.iter().all(|s| !s.is_short()), "{samples:?}");

        // Published, collection over: the agency sees part 2's count, and the
        // results page and the report give each part's count.
        let r = admin
            .post_form(&format!("/admin/rounds/{round}/publish"), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        crate::app::set_phases_around_today(&app.db, &round, crate::app::PUBLISHED_TODAY).await;
        let home = huanong.get("/agency").await.body;
        assert!(
            home.contains("ส่วนนี้สำนักงานกลางเก็บเอง ผู้ตอบ ๒๖"),
            "after collection"
        );
        let sentence = "ผู้ตอบ EIT ส่วนที่ ๑ ๔๐ คน ส่วนที่ ๒ ๗ คน รวม ๔๗ คน";
        let page = app
            .client()
            .get(&format!("/agencies/{agency}/results/{round}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(sentence), "the results page");
        let csv = app
            .client()
            .get(&format!("/results/{round}/results.csv"))
            .await
            .body;
        assert!(csv.contains("ผู้ตอบแต่ละส่วน (responses by part)"));
        let line = csv
            .lines()
            .find(|l| l.starts_with("KK-HUANONG,"))
            .expect("the agency's line");
        assert!(line.ends_with(",EIT 40; EIT.2 7,"), "{line}");
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
        assert_eq!(
            mine["responses_by_part"],
            serde_json::json!({"EIT": 40, "EIT.2": 7})
        );
        assert_eq!(
            mine["tools"]["EIT"].as_f64(),
            Some(expected.to_string().parse::<f64>().unwrap()),
            "the combined EIT"
        );
        let api = huanong
            .get(&format!("/api/v1/rounds/{round}/agencies/{agency}/scores"))
            .await
            .json();
        assert_eq!(
            api["responses_by_part"],
            serde_json::json!({"EIT": 40, "EIT.2": 7})
        );
        let docx = huanong
            .get(&format!("/agencies/{agency}/results/{round}/report.docx"))
            .await;
        assert_eq!(docx.status, StatusCode::OK);
        assert!(
            squash(&docx_text(&docx.bytes)).contains(&squash(sentence)),
            "the report"
        );
    }
);

both_backends!(
    a_ministry_weights_its_parts_and_the_eit_is_their_weighted_mean,
    |app| {
        // A ministry's own framework: the EIT's part 1 weighs 0.8, part 2 0.2.
        let source = itas_core::framework::ITA_2568_SOURCE
        .replace("code = \"ita-2568\"", "code = \"ministry-2568\"")
        .replace(
            "min_sample = { percent = 10, at_least = 30, at_most = 400 }",
            "min_sample = { percent = 10, at_least = 30, at_most = 400 }\ncombine = \"weighted\"",
        )
        .replace(
            "collected_by = \"agency\"",
            "collected_by = \"agency\"\nweight = 0.8",
        )
        .replace(
            "collected_by = \"central\"",
            "collected_by = \"central\"\nweight = 0.2",
        );
        let round =
            itas_store::rounds::create(&app.db, None, "กระทรวง 2568", Some(2568), &source, &[])
                .await
                .unwrap();
        crate::app::set_phases_around_today(
            &app.db,
            &round.id,
            &[
                (itas_core::directory::Phase::Setup, -20, -11),
                (itas_core::directory::Phase::Collection, -10, 10),
                (itas_core::directory::Phase::Review1, 11, 20),
            ],
        )
        .await;
        let fw = round.framework().unwrap();
        assert_eq!(
            fw.tool("EIT").unwrap().combine,
            itas_core::framework::Combine::Weighted
        );
        let agency = app.agency_id("KK-HUANONG").await;
        itas_store::rounds::join(&app.db, None, &round.id, std::slice::from_ref(&agency))
            .await
            .unwrap();
        itas_store::surveys::set_require_code(&app.db, None, &round.id, &agency, "IIT", false)
            .await
            .unwrap();
        let link = |key: &'static str| {
            let (db, round, agency) = (app.db.clone(), round.id.clone(), agency.clone());
            async move {
                itas_store::surveys::active_link(&db, &round, &agency, key)
                    .await
                    .unwrap()
                    .expect("a link per part")
                    .code
            }
        };
        let mut phone = app.client();
        for k in 0..3 {
            crate::app::answer(&mut phone, &link("IIT").await, &fw, "IIT", 10 + k).await;
        }
        for k in 0..9 {
            crate::app::answer(&mut phone, &link("EIT").await, &fw, "EIT", 100 + k).await;
        }
        for k in 0..4 {
            crate::app::answer(&mut phone, &link("EIT.2").await, &fw, "EIT.2", 500 + 7 * k).await;
        }
        let mut admin = app.signed_in("admin").await;
        let r = admin
            .post_form(&format!("/admin/rounds/{}/compute", round.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let given = itas_store::rounds::indicator_scores(&app.db, &round.id, &agency)
            .await
            .unwrap();
        let card = itas_app::published::scorecard(&fw, given).expect("computed");

        // Each part alone, and all answers pooled, by the engine.
        let by_key = itas_store::surveys::tallies_by_key(&app.db, &round.id, &agency)
            .await
            .unwrap();
        let alone =
            |key: &str| itas_app::scoring_run::tool_score(&fw, &by_key[key], "EIT").unwrap();
        let (t1, t2) = (alone("EIT"), alone("EIT.2"));
        let all = itas_store::surveys::tallies(&app.db, &round.id, &agency)
            .await
            .unwrap();
        let pooled = itas_app::scoring_run::tool_score(&fw, &all, "EIT").unwrap();
        let eit = card.tools["EIT"];
        assert_ne!(
            t1, t2,
            "the parts must differ for the test to mean anything"
        );
        assert_ne!(eit, pooled, "weighted is not pooled");
        // Item scores are means, so the tool's score is linear in them: the
        // weighted EIT is 0.8·part 1 + 0.2·part 2, within the two parts' and its
        // own rounding (half a hundredth each).
        let want = 80 * t1.hundredths() + 20 * t2.hundredths();
        let got = 100 * eit.hundredths();
        assert!((got - want).abs() <= 100, "EIT {eit}, parts {t1} and {t2}");
        let samples = itas_store::rounds::agency_samples(&app.db, &round.id, &agency)
            .await
            .unwrap();
        let counted: Vec<(String, i64)> = samples
            .iter()
            .map(|s| (s.tool.clone(), s.counted))
            .collect();
        assert!(counted.contains(&("EIT".into(), 9)) && counted.contains(&("EIT.2".into(), 4)));
    }
);

both_backends!(
    a_missing_part_link_is_made_by_a_post_never_by_viewing,
    |app| {
        let round = app.current_round().await;
        let agency = app.agency_id("KK-HUANONG").await;
        // An agency that joined before the round's framework had parts has
        // no part-2 link.
        itas_store::write!(&app.db, |p| {
            sqlx::query(
                "DELETE FROM survey_links WHERE round_id = $1 AND agency_id = $2 AND tool = $3",
            )
            .bind(&round)
            .bind(&agency)
            .bind("EIT.2")
            .execute(p)
            .await
            .unwrap();
        });
        let link = || {
            let (db, round, agency) = (app.db.clone(), round.clone(), agency.clone());
            async move {
                itas_store::surveys::active_link(&db, &round, &agency, "EIT.2")
                    .await
                    .unwrap()
            }
        };
        let mut admin = app.signed_in("admin").await;
        let session_path = format!("/admin/rounds/{round}/parts/EIT.2/{agency}");
        let page = admin.get(&session_path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("หน่วยงานนี้ยังไม่มีลิงก์ของส่วนนี้"));
        assert!(!page.body.contains("<svg"), "no QR code without a link");
        assert!(link().await.is_none(), "viewing the page made no link");
        let made = admin
            .post_form(&format!("{session_path}/rotate"), &[])
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let code = link().await.expect("the POST made the link").code;
        let page = admin.get(&session_path).await.body;
        assert!(page.contains(&format!("/s/{code}")) && page.contains("<svg"));
        assert!(!page.contains("หน่วยงานนี้ยังไม่มีลิงก์ของส่วนนี้"));
        let log = itas_store::audit::recent(&app.db, Some(&agency), 20)
            .await
            .unwrap();
        assert_eq!(
            log.iter().filter(|e| e.action == "create_link").count(),
            1,
            "made once, audited"
        );
    }
);
