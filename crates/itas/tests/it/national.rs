//! A generated round (the one `itas bench round` builds, smaller): the
//! set-based scoring run gives every agency exactly the scores the
//! per-agency path gives, with one audit entry for the run; the bulk OIT
//! load writes the rows the reviewers' own path writes.

use crate::both_backends;
use axum::http::StatusCode;
use itas_app::synthetic::{Spec, build};
use itas_core::oit::{FailReason, Review};
use itas_store::rounds::PhaseDates;
use itas_web::{AppState, Config};

fn spec(name: &str) -> Spec {
    let today = time::OffsetDateTime::now_utc().date();
    Spec {
        agencies: 150,
        responses: 6_000,
        framework_source: itas_core::framework::ITA_2569_SOURCE,
        name: name.into(),
        fiscal_year: 2569,
        phases: vec![PhaseDates {
            phase: itas_core::directory::Phase::Collection,
            starts_on: today - time::Duration::days(30),
            ends_on: today,
        }],
        seed: 7,
    }
}

both_backends!(
    a_set_based_run_scores_every_agency_as_one_by_one_does,
    |app| {
        let built = build(&app.db, &spec("ITA สร้างขึ้น"), &|_, _, _| {})
            .await
            .expect("generated round");
        assert_eq!(built.agencies.len(), 150);
        assert!(built.responses >= 6_000);
        // A real tree: local government hangs under provinces.
        let sao = itas_store::agencies::get(
            &app.db,
            &built.agencies.iter().find(|a| a.1 == "sao").unwrap().0,
        )
        .await
        .unwrap()
        .unwrap();
        assert!(sao.name_th.starts_with("องค์การบริหารส่วนตำบล"));
        assert!(sao.parent_id.is_some() && !sao.province.is_empty());

        // The central office computes the round as it would on the page.
        let mut admin = app.signed_in("admin").await;
        let r = admin
            .post_form(&format!("/admin/rounds/{}/compute", built.round.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let stored = itas_store::rounds::round_scores(&app.db, &built.round.id)
            .await
            .unwrap();
        assert!(
            stored.len() >= 140,
            "nearly every agency is scored: {}",
            stored.len()
        );

        let state = AppState::new(app.db.clone(), Config::default());
        let reference = itas_app::scoring_run::score_one_by_one(&state, &built.round)
            .await
            .unwrap();
        assert_eq!(reference.len(), stored.len());
        for (agency, scores) in &reference {
            assert_eq!(stored.get(agency), Some(scores), "agency {agency}");
        }
        let audit = itas_store::audit::recent(&app.db, Some(&built.round.id), 100)
            .await
            .unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.action == "set_round_scores")
                .count(),
            1,
            "one audit entry for the run"
        );
    }
);

both_backends!(
    the_bulk_oit_load_writes_what_the_reviewers_path_writes,
    |app| {
        let round = app.current_round().await;
        let a = app.agency_id("KK-HUANONG").await;
        let b = app.agency_id("KK-DONHAN").await;
        let items = [
            ("O1", Review::First, true),
            ("O2", Review::First, false),
            ("O2", Review::Second, true),
        ];
        itas_store::oit::submit(&app.db, Some("assessor"), &a, &round)
            .await
            .unwrap();
        for (item, review, passed) in items {
            itas_store::oit::decide(
                &app.db,
                "assessor",
                &a,
                &round,
                item,
                review,
                passed,
                (!passed).then_some(FailReason::Incomplete),
                "",
            )
            .await
            .unwrap();
        }
        let rows: Vec<itas_store::oit::ReviewRow> = items
            .iter()
            .map(|(item, review, passed)| itas_store::oit::ReviewRow {
                agency_id: b.clone(),
                item: item.to_string(),
                review: *review,
                passed: *passed,
                reason: (!passed).then_some(FailReason::Incomplete),
                comment: String::new(),
            })
            .collect();
        itas_store::oit::load_reviews(&app.db, "assessor", &round, std::slice::from_ref(&b), &rows)
            .await
            .unwrap();
        let of = |x: Vec<itas_store::oit::StoredDecision>| x;
        assert_eq!(
            of(itas_store::oit::decisions(&app.db, &a, &round)
                .await
                .unwrap()),
            of(itas_store::oit::decisions(&app.db, &b, &round)
                .await
                .unwrap())
        );
        assert!(
            itas_store::oit::submitted_at(&app.db, &b, &round)
                .await
                .unwrap()
                .is_some()
        );
    }
);

both_backends!(
    the_round_page_pages_a_large_round_and_counts_all_of_it,
    |app| {
        let built = build(&app.db, &spec("ITA สร้างขึ้น หลายหน้า"), &|_, _, _| {})
            .await
            .expect("generated round");
        let mut admin = app.signed_in("admin").await;
        let round = &built.round.id;
        let first = admin.get(&format!("/admin/rounds/{round}")).await;
        assert_eq!(first.status, StatusCode::OK);
        // The heading counts every participant; the table shows one page.
        assert!(first.body.contains("(๑๕๐)"), "{}", first.body);
        assert!(first.body.contains("หน้า ๑ / ๒"));
        assert!(
            first
                .body
                .contains(&format!("/admin/rounds/{round}?page=2"))
        );
        let second = admin.get(&format!("/admin/rounds/{round}?page=2")).await;
        assert!(second.body.contains("หน้า ๒ / ๒"));
        let rows = |body: &str| body.matches("<tr><td>S").count();
        assert_eq!(rows(&first.body), 100);
        assert_eq!(rows(&second.body), 50);
        // A page past the end shows the last one.
        let past = admin.get(&format!("/admin/rounds/{round}?page=9")).await;
        assert_eq!(rows(&past.body), 50);
    }
);

both_backends!(a_scoring_run_that_stops_midway_changes_no_score, |app| {
    let built = build(&app.db, &spec("ITA สร้างขึ้น หยุดกลางทาง"), &|_, _, _| {})
        .await
        .expect("generated round");
    let round = &built.round.id;
    let mut admin = app.signed_in("admin").await;
    let r = admin
        .post_form(&format!("/admin/rounds/{round}/compute"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored = || async {
        itas_store::rounds::round_scores(&app.db, round)
            .await
            .unwrap()
    };
    let before = stored().await;
    let (agency, scores) = before.iter().next().expect("a scored agency");
    let changed: std::collections::BTreeMap<u32, itas_core::Score> = scores
        .keys()
        .map(|n| (*n, itas_core::Score::from_hundredths(1)))
        .collect();

    // One slice reaches the writer, then the run fails: its sender is
    // dropped before the run is done.
    use itas_store::rounds::{ScoredAgency, ScoresPart, write_round_scores};
    let scored = |agency: &str, indicators: &std::collections::BTreeMap<u32, itas_core::Score>| {
        ScoredAgency {
            agency_id: agency.to_string(),
            indicators: indicators.clone(),
            samples: Vec::new(),
        }
    };
    let (send, parts) = tokio::sync::mpsc::channel(2);
    let writer = tokio::spawn({
        let (db, round) = (app.db.clone(), round.clone());
        async move { write_round_scores(&db, Some("admin"), &round, "computed", parts).await }
    });
    send.send(ScoresPart::Scored(vec![scored(agency, &changed)]))
        .await
        .unwrap();
    drop(send);
    let stopped = writer.await.unwrap();
    assert!(
        stopped
            .unwrap_err()
            .to_string()
            .contains("no score was changed"),
        "the writer says why"
    );
    assert_eq!(
        stored().await,
        before,
        "a run that stopped midway leaves every score as it was"
    );

    // The same slice followed by the end of the run is stored, and the
    // writer is free for the next run.
    let (send, parts) = tokio::sync::mpsc::channel(2);
    send.send(ScoresPart::Scored(vec![scored(agency, &changed)]))
        .await
        .unwrap();
    send.send(ScoresPart::Done).await.unwrap();
    let written = write_round_scores(&app.db, Some("admin"), round, "computed", parts)
        .await
        .unwrap();
    assert_eq!(written, 1);
    assert_eq!(stored().await.get(agency), Some(&changed));
    let r = admin
        .post_form(&format!("/admin/rounds/{round}/compute"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        stored().await,
        before,
        "computing again restores the engine's scores"
    );
});
