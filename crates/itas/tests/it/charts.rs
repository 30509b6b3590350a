//! Dashboards drawn: the share at 85 against the target, the levels, the
//! tools, the groups as sorted bars, the province map (77 tiles, small
//! provinces greyed), the trend over rounds, and the one-page infographic
//! (PDF, read back with pdftotext), each stating the engine's figures.

use crate::app::{Backend, TestApp};
use axum::http::StatusCode;
use itas_core::Score;
use itas_core::directory::Phase;
use itas_store::agencies::NewAgency;

fn th(s: &str) -> String {
    itas_core::thai::thai_digits(s)
}

/// A published round on ita-2564 (fiscal year 2569) of 19 agencies in three
/// provinces: ขอนแก่น 10, ภูเก็ต 6, ตาก 3 (too few for the map).
async fn published_round(app: &TestApp) -> (String, Vec<itas_core::Scorecard>) {
    let plan = [("ขอนแก่น", 10), ("ภูเก็ต", 6), ("ตาก", 3)];
    let mut rows = Vec::new();
    for (p, n) in plan {
        for k in 0..n {
            rows.push((
                rows.len() + 1,
                NewAgency {
                    code: format!("CH-{}-{k}", rows.len()),
                    name_th: format!("องค์การบริหารส่วนตำบลทดสอบ{}", rows.len()),
                    name_en: String::new(),
                    kind: "sao".into(),
                    province: p.into(),
                    parent_code: None,
                    website: String::new(),
                },
            ));
        }
    }
    let report = itas_store::agencies::import(&app.db, None, rows.clone())
        .await
        .unwrap();
    assert!(report.errors.is_empty());
    let round = itas_store::rounds::create(
        &app.db,
        None,
        "ITA 2569 แผนภูมิ",
        Some(2569),
        itas_core::framework::ITA_2564_SOURCE,
        &[],
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (_, a) in &rows {
        ids.push(app.agency_id(&a.code).await);
    }
    itas_store::rounds::join(&app.db, None, &round.id, &ids)
        .await
        .unwrap();
    let fw = itas_core::framework::embedded("ita-2564").unwrap();
    let mut cards = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        // Spread over the bands: some agencies above 85, most below.
        let base = 6_000 + (i as i64 * 397) % 3_900;
        let scores: std::collections::BTreeMap<u32, Score> = (1..=10)
            .map(|n| {
                (
                    n,
                    Score::from_hundredths((base + n as i64 * 53).min(10_000)),
                )
            })
            .collect();
        itas_store::rounds::set_indicator_scores(
            &app.db,
            None,
            &round.id,
            id,
            &scores,
            "published",
        )
        .await
        .unwrap();
        cards.push(itas_app::published::scorecard(&fw, scores).unwrap());
    }
    crate::oit::move_to(app, &round.id, Phase::Publication).await;
    itas_store::rounds::publish(&app.db, None, &round.id, itas_store::now_ms())
        .await
        .unwrap();
    (round.id, cards)
}

/// The mean of published scores, half up, as the engine's Score prints it.
fn mean(values: impl Iterator<Item = Score>) -> String {
    let v: Vec<i64> = values.map(|s| s.hundredths()).collect();
    let n = v.len() as i64;
    let sum: i64 = v.iter().sum();
    // Half up on hundredths: (2·sum + n) / (2n).
    Score::from_hundredths((2 * sum + n) / (2 * n)).to_string()
}

fn share(cards: &[&itas_core::Scorecard]) -> String {
    let at = cards
        .iter()
        .filter(|c| c.overall >= Score::from_hundredths(8_500))
        .count() as i64;
    let n = cards.len() as i64;
    Score::from_hundredths((2 * 10_000 * at + n) / (2 * n)).to_string()
}

async fn run(backend: Backend) {
    let app = crate::app::spawn_app(backend).await;
    let (round, cards) = published_round(&app).await;
    let all: Vec<&itas_core::Scorecard> = cards.iter().collect();
    let mut public = app.client();
    let r = public.get(&format!("/results/{round}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.body;
    std::fs::write(
        std::env::temp_dir().join(format!("itas-dashboard-{backend:?}.html")),
        &page,
    )
    .unwrap();

    // The gauge: the share at 85 against the 80 % target.
    let overall_share = th(&share(&all));
    assert!(page.contains("class=\"gauge\""));
    assert!(
        page.contains(&format!("{overall_share}%")),
        "share {overall_share}"
    );
    // The tools: each average as the engine rounds it.
    for tool in ["IIT", "EIT", "OIT"] {
        let m = th(&mean(cards.iter().map(|c| c.tools[tool])));
        assert!(page.contains(&m), "{tool} average {m}");
    }
    // The levels: a column per level with its count.
    assert!(page.contains("class=\"distribution\""));
    // The map: 77 tiles, Khon Kaen and Phuket coloured with their share, Tak greyed.
    let map_start = page.find("<svg class=\"map\"").expect("a map");
    let map = &page[map_start..map_start + page[map_start..].find("</svg>").unwrap()];
    assert_eq!(
        map.matches("<rect x=").count(),
        77 + 7,
        "77 tiles and the legend"
    );
    let kk: Vec<&itas_core::Scorecard> = cards[..10].iter().collect();
    let kk_share = th(&share(&kk));
    assert!(
        map.contains(&format!("{kk_share}%")),
        "Khon Kaen {kk_share}"
    );
    assert!(
        map.contains("province=%E0%B8%82%E0%B8%AD%E0%B8%99%E0%B9%81%E0%B8%81%E0%B9%88%E0%B8%99")
    );
    assert!(
        map.matches("#d9d9d9").count() >= 2,
        "Tak (3 agencies) greyed, and the legend says why"
    );
    // The trend: the demo's published 2564 and 2568 rounds, then this one.
    let trend = page.find("class=\"trend\"").expect("a trend");
    assert!(page[trend..].contains("ITA 2569 แผนภูมิ") && page[..trend].contains("แนวโน้มรายปี"));

    // A province's own page, from its tile.
    let r = public
        .get(&format!(
            "/results/{round}?province=%E0%B8%82%E0%B8%AD%E0%B8%99%E0%B9%81%E0%B8%81%E0%B9%88%E0%B8%99"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("จังหวัดขอนแก่น"));
    assert!(r.body.contains(&format!("{kk_share}%")));
    assert!(
        !r.body.contains("<svg class=\"map\""),
        "no national map on a province's page"
    );
    let kk_overall = th(&mean(kk.iter().map(|c| c.overall)));
    assert!(
        r.body.contains(&kk_overall),
        "Khon Kaen average {kk_overall}"
    );

    // The infographic, read back as a person would.
    for (query, scope_text, figure) in [
        (
            String::new(),
            "ทุกหน่วยงานที่มีผลในรอบนี้",
            th(&mean(all.iter().map(|c| c.overall))),
        ),
        (
            "?province=%E0%B8%82%E0%B8%AD%E0%B8%99%E0%B9%81%E0%B8%81%E0%B9%88%E0%B8%99".into(),
            "จังหวัดขอนแก่น",
            kk_overall.clone(),
        ),
    ] {
        let r = public
            .get(&format!("/results/{round}/infographic.pdf{query}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.bytes.starts_with(b"%PDF-"));
        let path =
            std::env::temp_dir().join(format!("itas-infographic-{backend:?}-{}.pdf", query.len()));
        std::fs::write(&path, &r.bytes).unwrap();
        let text = crate::cli_report::pdftotext(&path, false);
        let squashed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for want in [
            scope_text,
            figure.as_str(),
            "ผลการประเมินITAประจำปีงบประมาณพ.ศ.๒๕๖๙",
        ] {
            let want: String = want.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(squashed.contains(&want), "infographic lacks {want}: {text}");
        }
        if query.is_empty() {
            // The map names provinces whole (two lines where too wide) and
            // its legend keeps the key for provinces with no agency.
            for want in ["ร้อยเอ็ด", "ฉะเชิง", "เทรา", "ไม่มีหน่วยงานในรอบนี้"]
            {
                assert!(squashed.contains(want), "infographic lacks {want}: {text}");
            }
        }
        let info = std::process::Command::new("pdfinfo")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&info.stdout).contains("Pages:           1"),
            "one page: {}",
            String::from_utf8_lossy(&info.stdout)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_draw_the_engines_figures_sqlite() {
    run(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_draw_the_engines_figures_postgres() {
    run(Backend::Postgres).await
}

/// The agency's results page sets its rounds side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_sees_its_scores_by_year() {
    let app = crate::app::spawn_app(Backend::Sqlite).await;
    let huanong = app.agency_id("KK-HUANONG").await;
    let r2568 = app.round_id("ITA 2568").await;
    let page = app
        .client()
        .get(&format!("/agencies/{huanong}/results/{r2568}"))
        .await
        .body;
    let trend = page.find("คะแนนรายปีของหน่วยงาน").expect("a trend");
    let after = &page[trend..];
    assert!(after.contains("ITA 2564") && after.contains("ITA 2568"));
    // 2564's overall as the seed published it, beside 2568's.
    assert!(after.contains(&th("68.00")));
    let stored = itas_store::rounds::indicator_scores(&app.db, &r2568, &huanong)
        .await
        .unwrap();
    let fw = itas_core::framework::embedded("ita-2568").unwrap();
    let card = itas_app::published::scorecard(&fw, stored).unwrap();
    assert!(after.contains(&th(&card.overall.to_string())));
}

/// `itas report --infographic ROUND` writes the dashboard's one-page PDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn itas_report_infographic_on_the_command_line() {
    let dir = std::env::temp_dir().join("itas-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("cli-infographic-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let db = itas_store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    itas_app::demo::load(&db, Some("pw-for-cli-test"), itas_web::today())
        .await
        .unwrap();
    db.close().await;
    let pdf = dir.join(format!("cli-infographic-{}.pdf", std::process::id()));
    let (u, p) = (url.clone(), pdf.display().to_string());
    let out = tokio::task::spawn_blocking(move || {
        crate::support::itas(&[
            "report",
            "--infographic",
            "ITA 2564",
            "--province",
            "ขอนแก่น",
            "--database-url",
            &u,
            "-o",
            &p,
        ])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let text = crate::cli_report::pdftotext(&pdf, false);
    let squashed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for want in [
        "จังหวัดขอนแก่น",
        "๖๘.๐๐",
        "ผลการประเมินITAประจำปีงบประมาณพ.ศ.๒๕๖๔",
    ] {
        assert!(squashed.contains(want), "{want} missing: {text}");
    }
    // An unknown round is named, with the rounds there are.
    let u = url.clone();
    let out = tokio::task::spawn_blocking(move || {
        crate::support::itas(&[
            "report",
            "--infographic",
            "ITA 2499",
            "--database-url",
            &u,
            "-o",
            "/dev/null",
        ])
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(crate::support::stderr(&out).contains("no round 'ITA 2499'"));
}

/// The generated national round (as `itas bench round` builds it, smaller):
/// its dashboards, with charts, map and trend, and its agencies' pages answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_round_draws_its_dashboards() {
    let app = crate::app::spawn_app(Backend::Sqlite).await;
    let today = time::OffsetDateTime::now_utc().date();
    let spec = itas_app::synthetic::Spec {
        agencies: 150,
        responses: 3_000,
        framework_source: itas_core::framework::ITA_2569_SOURCE,
        name: "ITA สร้างขึ้น".into(),
        fiscal_year: 2569,
        phases: vec![itas_store::rounds::PhaseDates {
            phase: Phase::Collection,
            starts_on: today - time::Duration::days(30),
            ends_on: today,
        }],
        seed: 7,
    };
    let built = itas_app::synthetic::build(&app.db, &spec, &|_, _, _| {})
        .await
        .unwrap();
    let mut admin = app.signed_in("admin").await;
    let r = admin
        .post_form(&format!("/admin/rounds/{}/compute", built.round.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let round = built.round.id.clone();
    for url in [
        format!("/results/{round}"),
        format!("/results/{round}?by=province"),
        format!("/results/{round}?by=parent"),
        format!("/results/{round}?by=kind&sort=name&dir=asc&page=3"),
        format!("/agencies/{}/results/{round}", built.agencies[0].0),
    ] {
        let r = admin.get(&url).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{url}: {}",
            &r.body[..r.body.len().min(400)]
        );
    }
}
