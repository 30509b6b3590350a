//! One rule, two faces: for each write action, the same input through the
//! page and through the API meets the same rule and the same message, in
//! the caller's language (pages: the language cookie; the API:
//! `Accept-Language`). The rules live once, in itas-app.

use crate::app::{Client, Reply, TestApp};
use crate::both_backends;
use axum::http::{Method, StatusCode};
use itas_core::directory::Phase;
use serde_json::json;

async fn put_json(c: &mut Client<'_>, path: &str, v: &serde_json::Value) -> Reply {
    c.request(
        Method::PUT,
        path,
        Some("application/json"),
        serde_json::to_vec(v).unwrap(),
    )
    .await
}

/// The API's answer to the same request in English.
async fn in_english<'a>(
    c: &mut Client<'a>,
    call: impl AsyncFnOnce(&mut Client<'a>) -> Reply,
) -> Reply {
    c.extra_headers
        .push(("accept-language".into(), "en-GB,en;q=0.9,th;q=0.5".into()));
    let r = call(c).await;
    c.extra_headers.clear();
    r
}

/// A page showed this message beside its field.
fn page_says(r: &Reply, message: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(message), "the page lacks {message:?}");
}

/// The API said this field's message, in its body's detail.
fn api_says(r: &Reply, code: &str, field: &str, message: &str) {
    let body = r.json();
    assert_eq!(body["error"], code, "{}", r.body);
    assert_eq!(body["detail"], format!("{field}: {message}"), "{}", r.body);
}

both_backends!(populations_meet_one_rule_on_the_page_and_the_api, |app| {
    let round = app.current_round().await;
    crate::oit::move_to(&app, &round, Phase::Collection).await;
    let mut c = app.signed_in("huanong").await;
    let page = format!("/agency/rounds/{round}/populations");
    let api = format!("/api/v1/rounds/{round}/populations");
    let th = "กรุณากรอกจำนวนเต็มตั้งแต่ 0 ถึง 100,000,000";
    let en = "Enter a whole number from 0 to 100,000,000";

    // Past the bound: refused alike, the page keeping what was typed.
    let r = c
        .post_form(
            &page,
            &[("iit_population", "42"), ("eit_population", "200,000,000")],
        )
        .await;
    page_says(&r, th);
    assert!(r.body.contains("200,000,000"), "what was typed is kept");
    let too_many = json!({"iit_population": 42, "eit_population": 200_000_000});
    let r = put_json(&mut c, &api, &too_many).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    api_says(&r, "invalid", "eit_population", th);
    let r = in_english(&mut c, async |c| put_json(c, &api, &too_many).await).await;
    api_says(&r, "invalid", "eit_population", en);
    assert_eq!(
        r.json()["message"],
        "Some fields are not valid; see the messages beside them"
    );

    // 20,000,000 people served is a national service's year: taken by both
    // (the page refused it before the rule was one).
    let r = c
        .post_form(
            &page,
            &[("iit_population", "๔๒"), ("eit_population", "20,000,000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored = |app: &TestApp| {
        let (db, round) = (app.db.clone(), round.clone());
        async move {
            let agency = itas_store::agencies::by_code(&db, "KK-HUANONG")
                .await
                .unwrap()
                .unwrap()
                .id;
            let p = itas_store::rounds::participation(&db, &round, &agency)
                .await
                .unwrap()
                .unwrap();
            (p.iit_population, p.eit_population)
        }
    };
    assert_eq!(stored(&app).await, (42, 20_000_000));
    let r = put_json(
        &mut c,
        &api,
        &json!({"iit_population": 43, "eit_population": 20_000_001}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(stored(&app).await, (43, 20_000_001));
    // Staff have their own, lower bound, the same on both.
    let r = c
        .post_form(
            &page,
            &[("iit_population", "20,000,000"), ("eit_population", "1")],
        )
        .await;
    page_says(&r, "กรุณากรอกจำนวนเต็มตั้งแต่ 0 ถึง 10,000,000");
    let r = put_json(
        &mut c,
        &api,
        &json!({"iit_population": 20_000_000, "eit_population": 1}),
    )
    .await;
    api_says(
        &r,
        "invalid",
        "iit_population",
        "กรุณากรอกจำนวนเต็มตั้งแต่ 0 ถึง 10,000,000",
    );
    assert_eq!(
        stored(&app).await,
        (43, 20_000_001),
        "nothing refused was stored"
    );
});

both_backends!(token_names_meet_one_rule_on_the_page_and_the_api, |app| {
    let mut c = app.signed_in("huanong").await;
    let th = "ชื่อยาวเกิน ๑๐๐ ตัวอักษร";
    // 100 characters with spaces around them: counted after trimming, taken by both.
    let hundred = format!("  {}  ", "ก".repeat(100));
    let r = c
        .post_form(
            "/account/tokens",
            &[("name", &hundred), ("scope", "read"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("itas_"), "the new token is shown once");
    let r = c
        .post_json(
            "/api/v1/tokens",
            &json!({"name": hundred, "scope": "read", "days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // 101 refused by both, with the same words.
    let long = "ก".repeat(101);
    let r = c
        .post_form(
            "/account/tokens",
            &[("name", &long), ("scope", "read"), ("days", "30")],
        )
        .await;
    page_says(&r, th);
    let body = json!({"name": long, "scope": "read", "days": 30});
    let r = c.post_json("/api/v1/tokens", &body).await;
    api_says(&r, "invalid", "name", th);
    let r = in_english(&mut c, async |c| c.post_json("/api/v1/tokens", &body).await).await;
    api_says(&r, "invalid", "name", "At most 100 characters");
    // Days past a year, the same.
    let r = c
        .post_form(
            "/account/tokens",
            &[("name", "x"), ("scope", "read"), ("days", "366")],
        )
        .await;
    page_says(&r, "อายุต้องเป็นจำนวนวัน ๑ ถึง ๓๖๕");
    let r = c
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "x", "scope": "read", "days": 366}),
        )
        .await;
    api_says(&r, "invalid", "days", "อายุต้องเป็นจำนวนวัน ๑ ถึง ๓๖๕");
});

both_backends!(oit_evidence_meets_one_rule_on_the_page_and_the_api, |app| {
    let round = app.current_round().await;
    crate::oit::move_to(&app, &round, Phase::Collection).await;
    let mut c = app.signed_in("huanong").await;
    let page = format!("/agency/rounds/{round}/oit");
    let api = format!("/api/v1/rounds/{round}/oit/items/O1");
    // An explanation of 4,000 characters with spaces around: taken by both.
    let full = format!("  {}  ", "ข".repeat(4_000));
    let r = c
        .post_form(
            &page,
            &[
                ("O1.urls", " https://a.go.th/x "),
                ("O1.explanation", &full),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = put_json(
        &mut c,
        &api,
        &json!({"urls": ["https://a.go.th/x"], "explanation": full}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["explanation"].as_str().unwrap().chars().count(),
        4_000,
        "kept trimmed"
    );
    // One more: refused by both, the same words, under the item's code.
    let th = "คำอธิบายยาวเกินไป ใส่ได้ไม่เกิน ๔,๐๐๐ ตัวอักษร";
    let over = "ข".repeat(4_001);
    let r = c
        .post_form(&page, &[("O1.urls", ""), ("O1.explanation", &over)])
        .await;
    page_says(&r, th);
    let body = json!({"urls": [], "explanation": over});
    let r = put_json(&mut c, &api, &body).await;
    api_says(&r, "invalid", "O1", th);
    let r = in_english(&mut c, async |c| put_json(c, &api, &body).await).await;
    api_says(
        &r,
        "invalid",
        "O1",
        "The explanation is too long; at most 4,000 characters",
    );
    // A URL that is not one: the rule it breaks, then the URL.
    let r = c
        .post_form(
            &page,
            &[("O1.urls", "ftp://a.go.th/x"), ("O1.explanation", "")],
        )
        .await;
    page_says(&r, "URL ต้องขึ้นต้นด้วย https:// หรือ http://: ftp://a.go.th/x");
    let r = put_json(
        &mut c,
        &api,
        &json!({"urls": ["https://a.go.th/ok", "ftp://a.go.th/x"], "explanation": ""}),
    )
    .await;
    api_says(
        &r,
        "invalid",
        "O1",
        "URL ต้องขึ้นต้นด้วย https:// หรือ http://: ftp://a.go.th/x",
    );
});

both_backends!(a_decision_meets_one_rule_on_the_page_and_the_api, |app| {
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    crate::oit::move_to(&app, &round, Phase::Review1).await;
    let mut assessor = app.signed_in("assessor1").await;
    let page = format!("/assessor/rounds/{round}/agencies/{agency}/oit/O1");
    let api = format!("/api/v1/rounds/{round}/agencies/{agency}/oit/items/O1/decision");
    // Before the agency submits, its review has not opened (never "closed").
    let r = assessor.post_form(&page, &[("result", "pass")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("ขั้นตอนนี้ยังไม่เปิด"), "{}", r.body);
    let r = put_json(&mut assessor, &api, &json!({"passed": true})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"], "phase_not_open");

    // The agency submits in collection; review 1 opens.
    crate::oit::move_to(&app, &round, Phase::Collection).await;
    let mut c = app.signed_in("huanong").await;
    let r = c
        .post_form(
            &format!("/agency/rounds/{round}/oit"),
            &[
                ("O1.urls", "https://a.go.th/x"),
                ("O1.explanation", "x"),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    crate::oit::move_to(&app, &round, Phase::Review1).await;

    // A comment of 2,000 characters with spaces around, on a fail for
    // "other": taken by both; one more refused by both.
    let th = "ความเห็นยาวเกินไป ใส่ได้ไม่เกิน ๒,๐๐๐ ตัวอักษร";
    let over = "ค".repeat(2_001);
    let r = assessor
        .post_form(
            &page,
            &[("result", "fail"), ("reason", "other"), ("comment", &over)],
        )
        .await;
    page_says(&r, th);
    let body = json!({"passed": false, "reason": "other", "comment": over});
    let r = put_json(&mut assessor, &api, &body).await;
    api_says(&r, "invalid", "O1", th);
    let r = in_english(&mut assessor, async |c| put_json(c, &api, &body).await).await;
    api_says(
        &r,
        "invalid",
        "O1",
        "The comment is too long; at most 2,000 characters",
    );
    // "Other" with a blank comment: the same rule.
    let r = assessor
        .post_form(
            &page,
            &[("result", "fail"), ("reason", "other"), ("comment", "   ")],
        )
        .await;
    page_says(&r, "กรุณาระบุเหตุผลในช่องความเห็น");
    let r = put_json(
        &mut assessor,
        &api,
        &json!({"passed": false, "reason": "other", "comment": "   "}),
    )
    .await;
    api_says(&r, "invalid", "O1", "กรุณาระบุเหตุผลในช่องความเห็น");
    // Taken, trimmed alike.
    let full = format!("  {}  ", "ค".repeat(2_000));
    let r = put_json(
        &mut assessor,
        &api,
        &json!({"passed": false, "reason": "other", "comment": full}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["comment"].as_str().unwrap().chars().count(), 2_000);
    let r = assessor
        .post_form(
            &page,
            &[("result", "fail"), ("reason", "other"), ("comment", &full)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
});

both_backends!(lists_page_alike_and_say_so_in_the_callers_language, |app| {
    let round = app.current_round().await;
    let mut admin = app.signed_in("admin").await;
    for path in [
        format!("/api/v1/rounds/{round}/participants?limit=0&offset=-1"),
        "/api/v1/agencies?limit=0&offset=-1".to_string(),
        "/api/v1/admin/tokens?limit=0&offset=-1".to_string(),
        format!("/api/v1/rounds/{round}/results?limit=0&offset=-1"),
    ] {
        let r = admin.get(&path).await;
        api_says_prefix(&r, "limit: จำนวนต่อหน้าต้องอยู่ระหว่าง ๑ ถึง ๑,๐๐๐", &path);
        let r = in_english(&mut admin, async |c| c.get(&path).await).await;
        assert_eq!(
            r.json()["detail"],
            "limit: limit must be 1 to 1,000; offset: offset must be 0 or more",
            "{path}"
        );
    }
});

fn api_says_prefix(r: &Reply, prefix: &str, path: &str) {
    let body = r.json();
    assert_eq!(body["error"], "invalid", "{path}: {}", r.body);
    assert!(
        body["detail"].as_str().unwrap_or("").starts_with(prefix),
        "{path}: {}",
        r.body
    );
}

both_backends!(an_assessor_sees_the_same_agencies_in_every_list, |app| {
    // Don Han takes part in the current round, where assessor1 is not
    // assigned it; assigned in an earlier round, it is theirs to read
    // (docs/access.md), in the participants list as on its pages.
    let round = app.current_round().await;
    let donhan = app.agency_id("KK-DONHAN").await;
    let assessor = itas_store::users::by_username(&app.db, "assessor1")
        .await
        .unwrap()
        .unwrap();
    let earlier = app.round_id("ITA 2564").await;
    itas_store::rounds::join(&app.db, None, &earlier, std::slice::from_ref(&donhan))
        .await
        .unwrap();
    itas_store::assignments::assign(&app.db, None, &earlier, &donhan, &assessor.id)
        .await
        .unwrap();
    let mut c = app.signed_in("assessor1").await;
    let page = c.get(&format!("/agencies/{donhan}")).await;
    let listed = c
        .get(&format!("/api/v1/rounds/{round}/participants?limit=1000"))
        .await
        .json();
    let in_list = listed["participants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["agency_id"] == donhan.as_str());
    assert_eq!(
        page.status == StatusCode::OK,
        in_list,
        "the agency page ({}) and the participants list agree",
        page.status
    );
    assert!(in_list, "assigned in an earlier round: readable");
});
