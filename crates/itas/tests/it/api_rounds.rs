//! The central office's workflow as JSON: importing agencies, participants
//! with their counts against the minimum samples (each role sees what its
//! pages show), computing, and publishing and withdrawing, with the rights
//! of their pages.

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

both_backends!(agencies_are_imported_as_json_csv_or_xlsx, |app| {
    let mut admin = app.signed_in("admin").await;
    // JSON rows: the good ones land, each bad one is reported by position.
    let r = admin
        .post_json(
            "/api/v1/agencies/import",
            &serde_json::json!({"agencies": [
                {"code": "KK-API1", "name_th": "องค์การบริหารส่วนตำบลเอพีไอหนึ่ง", "kind": "sao", "province": "ขอนแก่น", "parent_code": "KK"},
                {"code": "KK-API2", "name_th": "", "kind": "sao"},
                {"code": "KK-API3", "name_th": "เทศบาลตำบลเอพีไอสาม", "kind": "no_such_kind"},
                {"code": "KK-API4", "name_th": "องค์การบริหารส่วนตำบลเอพีไอสี่", "kind": "sao", "parent_code": "KK-API1"}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = r.json();
    assert_eq!(report["inserted"], 2, "{report}");
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3]);
    let child = itas_store::agencies::by_code(&app.db, "KK-API4")
        .await
        .unwrap()
        .unwrap();
    let parent = itas_store::agencies::by_code(&app.db, "KK-API1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(child.parent_id.as_deref(), Some(parent.id.as_str()));

    // The page's CSV, as Excel saves it (Thai headers, CRLF): lines as in the file.
    let csv = "\u{feff}รหัส,ชื่อหน่วยงาน,ประเภท,จังหวัด\r\nKK-API5,องค์การบริหารส่วนตำบลเอพีไอห้า,sao,ขอนแก่น\r\nKK-API1,ซ้ำ,sao,ขอนแก่น\r\n";
    let r = admin
        .request(
            axum::http::Method::POST,
            "/api/v1/agencies/import",
            Some("text/csv; charset=utf-8"),
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["inserted"], 1);
    assert_eq!(r.json()["errors"][0]["line"], 3);

    // An XLSX workbook goes the same way.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["code", "name_th", "kind"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["KK-API6", "องค์การบริหารส่วนตำบลเอพีไอหก", "sao"]
        .iter()
        .enumerate()
    {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    let r = admin
        .request(
            axum::http::Method::POST,
            "/api/v1/agencies/import",
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            book.save_to_buffer().unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["inserted"], 1);

    // A file without the needed columns adds nothing and says why on line 1;
    // another type is refused.
    let r = admin
        .request(
            axum::http::Method::POST,
            "/api/v1/agencies/import",
            Some("text/csv"),
            b"a,b\n1,2\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["inserted"], 0);
    assert_eq!(r.json()["errors"][0]["line"], 1);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("missing column")
    );
    let r = admin
        .request(
            axum::http::Method::POST,
            "/api/v1/agencies/import",
            Some("text/plain"),
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.json()["error"], "bad_content_type");
    // Only the central office imports.
    let mut huanong = app.signed_in("huanong").await;
    let r = huanong
        .post_json(
            "/api/v1/agencies/import",
            &serde_json::json!({"agencies": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

both_backends!(an_agency_reads_its_survey_links_and_counts, |app| {
    let round = app.current_round().await;
    let mut huanong = app.signed_in("huanong").await;
    let r = huanong.get(&format!("/api/v1/rounds/{round}/links")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let links = r.json();
    let tools: Vec<&str> = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["tool"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["IIT", "EIT"]);
    // The link is the one respondents open, and the counts are the page's.
    let (_, _, code) = crate::app::demo_link(&app.db, "EIT").await;
    let eit = &links["links"][1];
    assert!(
        eit["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/s/{code}")),
        "{eit}"
    );
    let page = huanong.get("/agency").await.body;
    assert!(page.contains(eit["url"].as_str().unwrap()));
    // Counts, never scores: the agency sees its scores once published.
    for l in links["links"].as_array().unwrap() {
        assert!(
            l.get("provisional").is_none() && l.get("tool_score").is_none(),
            "{l}"
        );
    }
    // The agency admin's own links only: no one else has any.
    for who in ["admin", "assessor1"] {
        let mut c = app.signed_in(who).await;
        let r = c.get(&format!("/api/v1/rounds/{round}/links")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    // A closed round has no links left to share.
    let closed = app.round_id("ITA 2564").await;
    let r = huanong.get(&format!("/api/v1/rounds/{closed}/links")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["links"].as_array().unwrap().is_empty());
});

both_backends!(an_assessor_reviews_oit_through_the_api, |app| {
    use itas_core::directory::Phase;
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    crate::oit::move_to(&app, &round, Phase::Collection).await;
    let mut huanong = app.signed_in("huanong").await;
    let put = |item: &str| {
        (
            format!("/api/v1/rounds/{round}/oit/items/{item}"),
            serde_json::to_vec(
                &serde_json::json!({"urls": [format!("https://huanong.go.th/{item}")]}),
            )
            .unwrap(),
        )
    };
    for item in ["O1", "O2"] {
        let (path, body) = put(item);
        let r = huanong
            .request(
                axum::http::Method::PUT,
                &path,
                Some("application/json"),
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let base = format!("/api/v1/rounds/{round}/agencies/{agency}/oit");
    let decide = |item: &str| format!("{base}/items/{item}/decision");
    let mut assessor = app.signed_in("assessor1").await;
    // Nothing to decide before the agency submits: its review has not opened.
    let r = assessor
        .request(
            axum::http::Method::PUT,
            &decide("O1"),
            Some("application/json"),
            br#"{"passed": true}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"], "phase_not_open");
    let r = huanong
        .post_json(
            &format!("/api/v1/rounds/{round}/oit/submit"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    crate::oit::move_to(&app, &round, Phase::Review1).await;

    let list = assessor.get(&base).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list = list.json();
    assert_eq!(list["submitted"], true);
    let o1 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "O1")
        .unwrap();
    assert_eq!(o1["urls"][0], "https://huanong.go.th/O1");
    assert_eq!(o1["decide"], 1);
    // The page's rules, in the page's words: a fail needs a reason,
    // "other" a comment.
    for (body, why) in [
        (r#"{"passed": false}"#, "O1: กรุณาเลือกเหตุผลที่ไม่ผ่าน"),
        (
            r#"{"passed": false, "reason": "other", "comment": "  "}"#,
            "O1: กรุณาระบุเหตุผลในช่องความเห็น",
        ),
    ] {
        let r = assessor
            .request(
                axum::http::Method::PUT,
                &decide("O1"),
                Some("application/json"),
                body.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(r.json()["detail"].as_str().unwrap().contains(why));
    }
    let r = assessor
        .request(
            axum::http::Method::PUT,
            &decide("O1"),
            Some("application/json"),
            r#"{"passed": false, "reason": "wrong_year", "comment": "เป็นข้อมูลปี 2563"}"#
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["review"], 1);
    assert_eq!(r.json()["reason"], "wrong_year");
    // Stored as the page stores it, and shown to both.
    let stored = itas_store::oit::decisions(&app.db, &agency, &round)
        .await
        .unwrap();
    let d = stored.iter().find(|d| d.item == "O1").unwrap();
    assert!(!d.passed && d.comment == "เป็นข้อมูลปี 2563");
    let after = assessor.get(&base).await.json();
    let o1 = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "O1")
        .unwrap()
        .clone();
    assert_eq!(o1["first"]["reason"], "wrong_year");
    // Only the assigned assessor; the agency reads its decision on its own list.
    let mut other = app.signed_in("assessor2").await;
    assert_eq!(other.get(&base).await.status, StatusCode::FORBIDDEN);
    let r = huanong
        .request(
            axum::http::Method::PUT,
            &decide("O2"),
            Some("application/json"),
            br#"{"passed": true}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

async fn put_json(
    c: &mut crate::app::Client<'_>,
    path: &str,
    v: &serde_json::Value,
) -> crate::app::Reply {
    c.request(
        axum::http::Method::PUT,
        path,
        Some("application/json"),
        serde_json::to_vec(v).unwrap(),
    )
    .await
}

fn day(offset: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    d.format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap()
}

both_backends!(a_round_is_set_up_through_the_api, |app| {
    let mut admin = app.signed_in("admin").await;
    let mut agency = app.signed_in("huanong").await;
    let phases = serde_json::json!([
        {"phase": "setup", "starts_on": day(-30), "ends_on": day(-11)},
        {"phase": "collection", "starts_on": day(-10), "ends_on": day(10)},
        {"phase": "review1", "starts_on": day(11), "ends_on": day(20)},
    ]);
    let new = serde_json::json!({"name": "ITA 2570 ทดลอง API", "framework": "ita-2569", "fiscal_year": 2570, "phases": phases});
    // Only the central office opens rounds.
    assert_eq!(
        agency.post_json("/api/v1/rounds", &new).await.status,
        StatusCode::FORBIDDEN
    );
    let r = admin.post_json("/api/v1/rounds", &new).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let made = r.json();
    let id = made["round"]["id"].as_str().unwrap().to_string();
    assert_eq!(made["round"]["framework_code"], "ita-2569");
    assert_eq!(made["round"]["fiscal_year"], 2570);
    assert_eq!(made["state"], "in");
    assert_eq!(made["phase"], "collection");
    assert_eq!(made["phases"].as_array().unwrap().len(), 3);
    // The same as the round page and the round list show.
    let got = agency.get(&format!("/api/v1/rounds/{id}")).await.json();
    assert_eq!(got["phases"], made["phases"]);
    assert!(
        admin
            .get(&format!("/admin/rounds/{id}"))
            .await
            .body
            .contains("ITA 2570 ทดลอง API")
    );
    // What the new-round page refuses, the API refuses, naming why.
    let again = admin.post_json("/api/v1/rounds", &new).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    for (body, why) in [
        (
            serde_json::json!({"name": "x", "framework": "ita-1999"}),
            "ita-1999",
        ),
        (serde_json::json!({"name": "x"}), "framework"),
        (
            serde_json::json!({"name": "x", "framework": "ita-2569", "phases": [{"phase": "lunch", "starts_on": day(0), "ends_on": day(1)}]}),
            "lunch",
        ),
        (
            serde_json::json!({"name": "x", "framework": "ita-2569", "phases": [{"phase": "review1", "starts_on": day(0), "ends_on": day(1)}, {"phase": "setup", "starts_on": day(2), "ends_on": day(3)}]}),
            "phase_review1: ขั้นตอนนี้ต้องเริ่มหลังขั้นตอนก่อนหน้าสิ้นสุด",
        ),
        (
            serde_json::json!({"name": "x", "framework": "ita-2569", "fiscal_year": 70}),
            "fiscal_year",
        ),
    ] {
        let r = admin.post_json("/api/v1/rounds", &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(r.json()["error"], "invalid");
        assert!(
            r.json()["detail"].as_str().unwrap().contains(why),
            "{body}: {}",
            r.body
        );
    }
    // Participants: an unknown code adds nothing and is named.
    let path = format!("/api/v1/rounds/{id}/participants");
    let r = admin
        .post_json(
            &path,
            &serde_json::json!({"codes": ["KK-HUANONG", "NOPE-1"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["detail"].as_str().unwrap().contains("NOPE-1"));
    assert_eq!(
        itas_store::rounds::participant_count(&app.db, &id)
            .await
            .unwrap(),
        0
    );
    let r = admin
        .post_json(
            &path,
            &serde_json::json!({"codes": ["KK-HUANONG", "KK-CITY"]}),
        )
        .await
        .json();
    assert_eq!(r["added"], 2);
    assert_eq!(r["participants"], 2);
    let r = admin
        .post_json(&path, &serde_json::json!({"codes": ["KK-HUANONG"]}))
        .await
        .json();
    assert_eq!(r["added"], 0, "already taking part");
    assert_eq!(
        agency
            .post_json(&path, &serde_json::json!({"codes": ["KK-BANPHAI"]}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The agency gives its populations; its minimum samples follow.
    let pops = format!("/api/v1/rounds/{id}/populations");
    let r = put_json(
        &mut agency,
        &pops,
        &serde_json::json!({"iit_population": 40, "eit_population": 900}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mine = agency.get(&format!("{path}?limit=10")).await.json();
    assert_eq!(mine["participants"][0]["iit_population"], 40);
    assert_eq!(mine["participants"][0]["eit_population"], 900);
    assert_eq!(
        put_json(
            &mut admin,
            &pops,
            &serde_json::json!({"iit_population": 1, "eit_population": 1})
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "the central office has no agency of its own"
    );
    // Phases moved: collection over, so populations are closed.
    let r = put_json(
        &mut admin,
        &format!("/api/v1/rounds/{id}/phases"),
        &serde_json::json!({"phases": [
            {"phase": "collection", "starts_on": day(-20), "ends_on": day(-5)},
            {"phase": "review1", "starts_on": day(-4), "ends_on": day(5)},
        ]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["phase"], "review1");
    assert_eq!(r.json()["phases"].as_array().unwrap().len(), 2);
    let r = put_json(
        &mut agency,
        &pops,
        &serde_json::json!({"iit_population": 41, "eit_population": 900}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"], "phase_closed");
    // Every change was audited, under the name of whoever made it.
    let admin_id = itas_store::users::by_username(&app.db, "admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let round_log = itas_store::audit::recent(&app.db, Some(&id), 20)
        .await
        .unwrap();
    for action in ["create", "set_phases"] {
        assert!(
            round_log
                .iter()
                .any(|e| e.action == action && e.actor_id.as_deref() == Some(admin_id.as_str())),
            "{action}: {round_log:?}"
        );
    }
    let log = itas_store::audit::recent(&app.db, None, 50).await.unwrap();
    for action in ["join", "set_populations"] {
        assert!(log.iter().any(|e| e.action == action), "{action}");
    }
});
