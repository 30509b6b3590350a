//! The round workflow as JSON: participants with their counts against the
//! minimum samples (each role sees what its pages show), computing, and
//! publishing and withdrawing, with the rights of the round page.

use crate::both_backends;
use axum::http::StatusCode;

both_backends!(participants_compute_and_publish_through_the_api, |app| {
    let round = app.round_id("ITA 2564").await;
    let huanong_id = app.agency_id("KK-HUANONG").await;
    let mut admin = app.signed_in("admin").await;

    // The central office: every participant, paged, with counts and minimums.
    let all = admin
        .get(&format!("/api/v1/rounds/{round}/participants?limit=1000"))
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let all = all.json();
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 2, "{all}");
    let rows = all["participants"].as_array().unwrap();
    assert_eq!(rows.len() as u64, total);
    let seed = rows
        .iter()
        .find(|r| r["code"] == "KK-HUANONG")
        .expect("the seed agency takes part");
    assert_eq!(seed["iit_population"], 42);
    let iit = seed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tool"] == "IIT")
        .unwrap();
    // The counts are the stored ones, and the minimum is the framework's.
    let counts = itas_store::surveys::counts(&app.db, &round).await.unwrap();
    assert_eq!(
        iit["responses"].as_i64().unwrap(),
        counts
            .get(&(huanong_id.clone(), "IIT".to_string()))
            .copied()
            .unwrap_or(0)
    );
    let fw = itas_core::framework::ita_2564();
    assert_eq!(
        iit["minimum"].as_u64().unwrap(),
        u64::from(fw.required_sample("IIT", "sao", "", 42).unwrap())
    );
    let page = admin
        .get(&format!(
            "/api/v1/rounds/{round}/participants?limit=1&offset=1"
        ))
        .await
        .json();
    assert_eq!(page["participants"][0]["code"], rows[1]["code"]);
    let behind = admin
        .get(&format!(
            "/api/v1/rounds/{round}/participants?behind=true&limit=1000"
        ))
        .await
        .json();
    assert_eq!(behind["total"], all["behind"]);

    // An agency admin sees its own row only; an assessor only those assigned.
    let mut huanong = app.signed_in("huanong").await;
    let own = huanong
        .get(&format!("/api/v1/rounds/{round}/participants"))
        .await
        .json();
    assert_eq!(own["total"], 1);
    assert_eq!(own["participants"][0]["code"], "KK-HUANONG");
    let mut assessor = app.signed_in("assessor1").await;
    let assigned = itas_store::assignments::agencies_of(
        &app.db,
        &round,
        &itas_store::users::by_username(&app.db, "assessor1")
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap();
    let seen = assessor
        .get(&format!("/api/v1/rounds/{round}/participants"))
        .await
        .json();
    assert_eq!(seen["total"].as_u64().unwrap(), assigned.len() as u64);

    // Compute, publish and withdraw: the central office only.
    for path in ["compute", "publish", "withdraw"] {
        let r = huanong
            .post_json(
                &format!("/api/v1/rounds/{round}/{path}"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.json()["error"], "forbidden");
    }
    let r = admin
        .post_json(
            &format!("/api/v1/rounds/{round}/compute"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = r.json();
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(
        report["computed"].as_u64().unwrap() + skipped.len() as u64,
        total,
        "{report}"
    );
    for s in skipped {
        assert!(
            ["oit_review_incomplete", "over_population", "no_responses"]
                .contains(&s["reason"].as_str().unwrap()),
            "{s}"
        );
        assert!(!s["message"].as_str().unwrap().is_empty());
    }
    // The seed agency's published figures come out of the engine again.
    let scores = admin
        .get(&format!(
            "/api/v1/rounds/{round}/agencies/{huanong_id}/scores"
        ))
        .await
        .json();
    assert_eq!(scores["overall"].to_string(), "68.0");

    let r = admin
        .post_json(
            &format!("/api/v1/rounds/{round}/withdraw"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["published_at"], serde_json::Value::Null);
    assert_eq!(
        app.client().get(&format!("/results/{round}")).await.status,
        StatusCode::NOT_FOUND,
        "withdrawn: the public no longer sees it"
    );
    let r = admin
        .post_json(
            &format!("/api/v1/rounds/{round}/publish"),
            &serde_json::json!({}),
        )
        .await;
    assert!(r.json()["published_at"].as_i64().unwrap() > 0);
    assert_eq!(
        app.client().get(&format!("/results/{round}")).await.status,
        StatusCode::OK
    );
    // Both changes are in the audit log, by the central admin.
    let audit = admin.get("/admin/audit").await.body;
    assert!(audit.contains("publish") && audit.contains("withdraw"));

    let r = admin.get("/api/v1/rounds/no-such-round/participants").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "not_found");
});
