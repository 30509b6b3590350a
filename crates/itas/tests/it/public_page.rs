//! The agency's public ITA page: published, withdrawn and published again
//! (audited); it states the engine's figures and the agency's measures and
//! progress, and nothing private; it serves as next year's o42/o43 evidence,
//! judged on-site once the agency's website links to it.

use crate::app::{Backend, TestApp};
use crate::both_backends;
use axum::http::StatusCode;
use itas_core::directory::Phase;
use sha2::Digest;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn th(s: &str) -> String {
    itas_core::thai::thai_digits(s)
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The seed agency's 2564 plan, prefilled from its weaknesses, with one
/// month of progress on its first measure. Returns the plan's address.
async fn plan_with_progress(app: &TestApp, agency: &str, round: &str) -> String {
    let plan = format!("/agencies/{agency}/plan/{round}");
    let mut c = app.signed_in("huanong").await;
    assert_eq!(
        c.post_form(&format!("{plan}/prefill"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let first = &itas_store::plans::measures(&app.db, agency, round)
        .await
        .unwrap()[0];
    let r = c
        .post_form(
            &format!("{plan}/measures/{}/progress", first.id),
            &[
                ("month", "2021-11"),
                ("percent", "40"),
                ("note", "จัดประชุมชี้แจงมาตรการแก่บุคลากรแล้ว"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    plan
}

both_backends!(publish_withdraw_and_publish_again, |app| {
    let agency = app.agency_id("KK-HUANONG").await;
    let round = app.round_id("ITA 2564").await;
    let address = "/p/KK-HUANONG/ita/2564";
    let mut public = app.client();
    assert_eq!(public.get(address).await.status, StatusCode::NOT_FOUND);

    let plan = plan_with_progress(&app, &agency, &round).await;
    let mut c = app.signed_in("huanong").await;
    assert!(c.get(&plan).await.body.contains("สถานะ: ยังไม่เผยแพร่"));
    let switch = format!("{plan}/public-page");
    // Only the agency's own admin publishes: not the public, another agency, the central office.
    let r = public.post_form(&switch, &[("action", "publish")]).await;
    assert!(
        r.location().starts_with("/login"),
        "the public is sent to sign in"
    );
    let mut other = app.signed_in("banphai").await;
    assert_eq!(
        other
            .post_form(&switch, &[("action", "publish")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut admin = app.signed_in("admin").await;
    assert_eq!(
        admin
            .post_form(&switch, &[("action", "publish")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(public.get(address).await.status, StatusCode::NOT_FOUND);

    let r = c.post_form(&switch, &[("action", "publish")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().ends_with("?page=published#public-page"));
    let page = c.get(&plan).await.body;
    assert!(page.contains("สถานะ: เผยแพร่แล้ว") && page.contains(address));

    // The page as anyone sees it: the engine's figures and the agency's measures.
    let r = public.get(address).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = squash(&r.body);
    for claim in [
        th("คะแนนภาพรวม <strong class=\"level\">68.00</strong>"),
        th("ตัวชี้วัดที่ได้คะแนนต่ำสุด คือ ตัวชี้วัดที่ 10 การป้องกันการทุจริต ได้ 18.75 คะแนน"),
        th("(OIT) ได้ 45.34 คะแนน"),
        th("สำหรับปีงบประมาณ พ.ศ. 2565"),
        "จัดประชุมชี้แจงมาตรการแก่บุคลากรแล้ว".to_string(),
        th("พ.ย. 2564"),
        "report.pdf".to_string(),
    ] {
        assert!(text.contains(&squash(&claim)), "missing: {claim}");
    }
    let measures = itas_store::plans::measures(&app.db, &agency, &round)
        .await
        .unwrap();
    assert_eq!(measures.len(), 7);
    for m in &measures {
        assert!(r.body.contains(&m.fields.measure) && r.body.contains(&m.fields.owner));
    }
    // Nothing private: no user's name or username, no response counts, no sign-in menu.
    for private in ["ผู้ดูแลระบบ อบต.หัวหนอง", "huanong", "ผู้ตอบ", "ออกจากระบบ"]
    {
        assert!(!r.body.contains(private), "{private} is on the public page");
    }
    // A signed-in reader sees the same page, without their name.
    assert!(!c.get(address).await.body.contains("ผู้ดูแลระบบ อบต.หัวหนอง"));

    // Progress recorded later shows at once.
    let r = c
        .post_form(
            &format!("{plan}/measures/{}/progress", measures[0].id),
            &[
                ("month", "2021-12"),
                ("percent", "70"),
                ("note", "ติดตามผลครั้งที่สอง"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(public.get(address).await.body.contains("ติดตามผลครั้งที่สอง"));

    // The report, from the page's own address.
    let r = public.get(&format!("{address}/report.docx")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.starts_with(b"PK"));

    // Withdrawn: the address says so (410, in Thai), the report too.
    let r = c.post_form(&switch, &[("action", "withdraw")]).await;
    assert!(r.location().ends_with("?page=withdrawn#public-page"));
    let r = public.get(address).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("หน่วยงานถอนหน้าเผยแพร่"), "{}", r.body);
    assert_eq!(
        public.get(&format!("{address}/report.pdf")).await.status,
        StatusCode::GONE
    );
    // Withdrawing twice is refused.
    assert_ne!(
        c.post_form(&switch, &[("action", "withdraw")]).await.status,
        StatusCode::SEE_OTHER
    );

    // And published again.
    c.post_form(&switch, &[("action", "publish")]).await;
    assert_eq!(public.get(address).await.status, StatusCode::OK);

    let huanong = itas_store::users::by_username(&app.db, "huanong")
        .await
        .unwrap()
        .unwrap();
    let log = itas_store::audit::recent(&app.db, Some(&format!("{agency}/{round}")), 10)
        .await
        .unwrap();
    // The agency/round key also names the participation's own entries.
    let actions: Vec<&str> = log
        .iter()
        .rev()
        .filter(|e| e.entity == "public_page")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "publish_public_page",
            "withdraw_public_page",
            "publish_public_page"
        ]
    );
    assert!(
        log.iter()
            .filter(|e| e.entity == "public_page")
            .all(|e| e.actor_id.as_deref() == Some(huanong.id.as_str()))
    );
    let audit_page = admin.get("/admin/audit").await.body;
    assert!(audit_page.contains("withdraw_public_page") && audit_page.contains("KK-HUANONG"));
});

/// The agency's website: its home page links to the itas page while `linked` is set.
async fn agency_site(linked: Arc<AtomicBool>, page: String) -> u16 {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let linked = linked.clone();
            let page = page.clone();
            async move {
                axum::response::Html(if linked.load(Ordering::SeqCst) {
                    format!(
                        "<html><body><h1>อบต.หัวหนอง</h1><a href=\"{page}\">ITA</a></body></html>"
                    )
                } else {
                    "<html><body><h1>อบต.หัวหนอง</h1><a href=\"/news\">ข่าว</a></body></html>".into()
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

async fn serves_as_evidence(backend: Backend) {
    let public_url = "https://ita.example.go.th";
    let config = itas_web::Config {
        public_url: Some(public_url.into()),
        ..crate::evidence::quick()
    };
    let app = crate::app::spawn_app_with(backend, config).await;
    let agency = app.agency_id("KK-HUANONG").await;
    let closed = app.round_id("ITA 2564").await;
    // Next year's round, on the 2564 framework: o42/o43 ask for the page.
    let next = itas_store::rounds::create(
        &app.db,
        None,
        "ITA 2565",
        Some(2565),
        itas_core::framework::ITA_2564_SOURCE,
        &[],
    )
    .await
    .unwrap();
    itas_store::rounds::join(&app.db, None, &next.id, std::slice::from_ref(&agency))
        .await
        .unwrap();
    crate::oit::move_to(&app, &next.id, Phase::Collection).await;
    let oit = format!("/agency/rounds/{}/oit", next.id);
    let mut c = app.signed_in("huanong").await;

    // No page yet: the item says where to publish one.
    let page = c.get(&oit).await.body;
    assert!(page.contains("หน่วยงานยังไม่ได้เผยแพร่หน้าผลการประเมินและมาตรการของปีก่อนบน itas"));
    assert!(page.contains(&format!("/agencies/{agency}/plan/{closed}#public-page")));

    let plan = plan_with_progress(&app, &agency, &closed).await;
    c.post_form(&format!("{plan}/public-page"), &[("action", "publish")])
        .await;
    let address = format!("{public_url}/p/KK-HUANONG/ita/2564");
    let page = c.get(&oit).await.body;
    assert!(
        page.contains("name=\"itas_page\" value=\"o42\""),
        "one click for o42"
    );
    assert!(
        page.contains("name=\"itas_page\" value=\"o43\""),
        "and for o43"
    );
    assert!(!page.contains("name=\"itas_page\" value=\"o41\""));
    assert!(page.contains(&address));
    assert!(
        page.contains("ผู้ตรวจจะเห็นผลการประเมินของปีก่อน"),
        "what the assessor sees"
    );

    // The agency's website, which does not link to the page yet.
    let linked = Arc::new(AtomicBool::new(false));
    let port = agency_site(linked.clone(), address.clone()).await;
    let site = format!("http://localhost:{port}/");
    crate::evidence::set_website(&app.db, "KK-HUANONG", &site).await;

    // One click: the page's address becomes o42's evidence, kept with what was typed.
    let r = c
        .post_form(
            &oit,
            &[
                ("o1.urls", site.as_str()),
                ("o1.explanation", "โครงสร้าง"),
                ("itas_page", "o42"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("#o42"));
    let evidence = itas_store::oit::evidence(&app.db, &agency, &next.id)
        .await
        .unwrap();
    assert_eq!(evidence["o42"].urls, address);
    assert_eq!(evidence["o1"].urls, site);
    // Twice adds nothing.
    c.post_form(&oit, &[("itas_page", "o42")]).await;
    c.post_form(&oit, &[("itas_page", "o43")]).await;
    let evidence = itas_store::oit::evidence(&app.db, &agency, &next.id)
        .await
        .unwrap();
    assert_eq!(evidence["o42"].urls, address);
    assert_eq!(evidence["o43"].urls, address);

    // Not linked from the website: amber, and says why.
    let check = format!("{oit}/check");
    c.post_form(&check, &[]).await;
    crate::evidence::wait_checks(&app, &agency, &next.id, "check", 3).await;
    let o42 = |all: &std::collections::BTreeMap<_, itas_store::evidence_checks::Check>| {
        all.values().find(|c| c.item == "o42").unwrap().clone()
    };
    let before = o42(
        &itas_store::evidence_checks::latest(&app.db, &agency, &next.id)
            .await
            .unwrap(),
    );
    assert_eq!(
        (before.light.as_str(), before.findings.clone()),
        ("amber", vec!["not_linked_from_site".to_string()])
    );

    // Linked from the home page: green, by the same rules as any page (year, key terms).
    linked.store(true, Ordering::SeqCst);
    c.post_form(&check, &[]).await;
    crate::evidence::wait_checks(&app, &agency, &next.id, "check", 3).await;
    let mut after = before.clone();
    for _ in 0..100 {
        after = o42(
            &itas_store::evidence_checks::latest(&app.db, &agency, &next.id)
                .await
                .unwrap(),
        );
        if after.id != before.id {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(after.id, before.id, "checked again");
    assert_eq!((after.light.as_str(), after.findings.len()), ("green", 0));

    // The assessor's snapshot: the measures and progress as they stood, with its SHA-256.
    let plan_measures = itas_store::plans::measures(&app.db, &agency, &closed)
        .await
        .unwrap();
    let mut cc = app.signed_in("huanong").await;
    cc.post_form(
        &format!("{plan}/measures/{}/progress", plan_measures[1].id),
        &[
            ("month", "2022-01"),
            ("percent", "20"),
            ("note", "บันทึกหลังการตรวจ"),
        ],
    )
    .await;
    crate::oit::move_to(&app, &next.id, Phase::Review1).await;
    let assessor = itas_store::users::by_username(&app.db, "assessor1")
        .await
        .unwrap()
        .unwrap();
    itas_store::assignments::assign(&app.db, None, &next.id, &agency, &assessor.id)
        .await
        .unwrap();
    let mut a = app.signed_in("assessor1").await;
    let base = format!("/assessor/rounds/{}/agencies/{agency}/oit", next.id);
    let page = a.get(&base).await.body;
    assert!(page.contains("ผู้ตรวจจะเห็นผลการประเมินของปีก่อน"));
    let r = a.get(&format!("{base}/snapshots/{}", after.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(hex::encode(sha2::Sha256::digest(&r.bytes)), after.sha256);
    let snap = String::from_utf8_lossy(&r.bytes);
    assert!(
        snap.contains("จัดประชุมชี้แจงมาตรการแก่บุคลากรแล้ว")
            && snap.contains(&plan_measures[0].fields.measure)
    );
    assert!(!snap.contains("บันทึกหลังการตรวจ"), "as it stood at the check");
    assert!(
        app.client()
            .get("/p/KK-HUANONG/ita/2564")
            .await
            .body
            .contains("บันทึกหลังการตรวจ"),
        "while the live page moves on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_itas_page_is_evidence_once_the_website_links_to_it_sqlite() {
    serves_as_evidence(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_itas_page_is_evidence_once_the_website_links_to_it_postgres() {
    serves_as_evidence(Backend::Postgres).await
}

/// `itas serve --demo` publishes the seed agency's 2564 and 2568 pages and
/// enters the 2568 one as the current round's O25/O26 evidence; doing it
/// again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_uses_its_published_page_as_evidence() {
    let app = crate::app::spawn_app(Backend::Sqlite).await;
    let (seed_url, url) = itas_app::demo::publish_seed_page(&app.db, "http://127.0.0.1:8080")
        .await
        .unwrap();
    assert_eq!(seed_url, "http://127.0.0.1:8080/p/KK-HUANONG/ita/2564");
    assert_eq!(url, "http://127.0.0.1:8080/p/KK-HUANONG/ita/2568");
    let agency = app.agency_id("KK-HUANONG").await;
    let current = app.current_round().await;
    let evidence = itas_store::oit::evidence(&app.db, &agency, &current)
        .await
        .unwrap();
    assert_eq!(evidence["O25"].urls, url);
    assert_eq!(evidence["O26"].urls, url);
    let r = app.client().get("/p/KK-HUANONG/ita/2564").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .contains("ประชุมชี้แจงผลการประเมินและมาตรการแก่บุคลากรทุกระดับ")
    );
    // The evidence page names the years O25 (2569) and O26 (2568) look for,
    // and their key terms, so the demo's own check finds them.
    let r = app.client().get("/p/KK-HUANONG/ita/2568").await;
    assert_eq!(r.status, StatusCode::OK);
    // No line of it mixes Thai and Arabic digits (names' years included).
    assert_eq!(
        crate::support::lines_mixing_digits(&r.body),
        Vec::<String>::new()
    );
    assert!(
        r.body.contains("ITA ๒๕๖๘ ·"),
        "the round's name in Thai digits"
    );
    let agency_id = app.agency_id("KK-HUANONG").await;
    let r2568 = app.round_id("ITA 2568").await;
    let results = app
        .signed_in("huanong")
        .await
        .get(&format!("/agencies/{agency_id}/results/{r2568}"))
        .await
        .body;
    assert_eq!(
        crate::support::lines_mixing_digits(&results),
        Vec::<String>::new()
    );
    assert!(results.contains("จังหวัดขอนแก่น"));
    let fw = itas_core::framework::embedded("ita-2569").unwrap();
    let text = itas_core::thai::arabic_digits(&r.body);
    for (item, year) in [("O25", "2569"), ("O26", "2568")] {
        let (light, findings) = itas_core::evidence::judge(
            &url,
            &itas_core::evidence::Fetched {
                final_url: url.clone(),
                status: Some(200),
                content_type: "text/html; charset=utf-8".into(),
                body: r.bytes.clone(),
                ..Default::default()
            },
            &itas_core::evidence::Expectation {
                website: "",
                fiscal_year_be: year.parse().unwrap(),
                key_terms: &itas_app::evidence_check::key_terms(&fw, item),
                itas_page: Some(true),
            },
        );
        assert!(text.contains(year), "{item}: {year}");
        assert!(
            findings
                .iter()
                .all(|f| *f == itas_core::evidence::Finding::NoTls),
            "{item}: {light:?} {findings:?}"
        );
    }
    itas_app::demo::publish_seed_page(&app.db, "http://other:1")
        .await
        .unwrap();
    let round = app.round_id("ITA 2564").await;
    assert_eq!(
        itas_store::plans::measures(&app.db, &agency, &round)
            .await
            .unwrap()
            .len(),
        7,
        "no second plan"
    );
}
