//! API tokens: made, listed and revoked by their user; only hashes stored;
//! never wider than the user; read tokens only read; rate-limited and
//! audited; and the curl example of docs/api.md, run as written against a
//! real server.

use crate::app::{Backend, Client, DEMO_PASSWORD, TestApp};
use crate::both_backends;
use axum::http::{Method, StatusCode};
use sha2::Digest;

/// Makes a token on the page as the signed-in client; returns it.
pub(crate) async fn token_from_page(c: &mut Client<'_>, name: &str, scope: &str) -> String {
    let r = c
        .post_form(
            "/account/tokens",
            &[("name", name), ("scope", scope), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let start = r
        .body
        .find("<code class=\"token\">")
        .expect("the token, once")
        + 20;
    let end = start + r.body[start..].find("</code>").unwrap();
    r.body[start..end].to_string()
}

fn bearer<'a>(app: &'a TestApp, token: &str) -> Client<'a> {
    let mut c = app.client();
    c.extra_headers
        .push(("authorization".into(), format!("Bearer {token}")));
    c
}

async fn put_item(c: &mut Client<'_>, round: &str, item: &str, url: &str) -> crate::app::Reply {
    c.request(
        Method::PUT,
        &format!("/api/v1/rounds/{round}/oit/items/{item}"),
        Some("application/json"),
        serde_json::to_vec(&serde_json::json!({"urls": [url], "explanation": "จาก API"})).unwrap(),
    )
    .await
}

both_backends!(a_token_is_its_user_and_no_more, |app| {
    let round = app.current_round().await;
    crate::oit::move_to(&app, &round, itas_core::directory::Phase::Collection).await;
    let mut page = app.signed_in("huanong").await;
    let read = token_from_page(&mut page, "แดชบอร์ดกระทรวง", "read").await;
    let write = token_from_page(&mut page, "เว็บไซต์ อบต.", "write").await;
    assert!(read.starts_with("itas_") && read.len() > 60);
    // A refused form keeps what was typed.
    let r = page
        .post_form(
            "/account/tokens",
            &[("name", "ชื่อที่พิมพ์ไว้"), ("scope", "read"), ("days", "999")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ชื่อที่พิมพ์ไว้") && r.body.contains("อายุต้องเป็นจำนวนวัน"));

    // Only the hashes are kept.
    let huanong = itas_store::users::by_username(&app.db, "huanong")
        .await
        .unwrap()
        .unwrap();
    let stored = itas_store::api_tokens::of_user(&app.db, &huanong.id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    let hash = hex::encode(sha2::Sha256::digest(read.as_bytes()));
    let found = itas_store::api_tokens::by_hash(&app.db, &hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.name, "แดชบอร์ดกระทรวง");
    assert!(
        !serde_json::to_string(&stored).unwrap().contains(&read[5..]),
        "no token in storage"
    );

    // A read token reads what its user may, and changes nothing.
    let mut r_client = bearer(&app, &read);
    let me = r_client.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("huanong"));
    let city = app.agency_id("KK-CITY").await;
    assert_eq!(
        r_client
            .get(&format!("/api/v1/agencies/{city}"))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "no wider than the user"
    );
    let r = put_item(&mut r_client, &round, "O1", "https://huanong.go.th/a").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "forbidden");
    // No token makes tokens, not even a write token a read one: only a
    // signed-in session does.
    for (token, scope, why) in [
        (&read, "write", "read-only token"),
        (&write, "read", "signed-in session"),
        (&write, "write", "signed-in session"),
    ] {
        let r = bearer(&app, token)
            .post_json(
                "/api/v1/tokens",
                &serde_json::json!({"name": "x", "scope": scope}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            r.json()["detail"].as_str().unwrap().contains(why),
            "{}",
            r.body
        );
    }
    // Pages take sessions, not tokens.
    let r = r_client.get("/agency").await;
    assert!(r.location().starts_with("/login"));

    // A write token does what the page does, with the same checks.
    let mut w = bearer(&app, &write);
    let r = put_item(&mut w, &round, "O1", "https://huanong.go.th/structure").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = put_item(&mut w, &round, "O2", "javascript:alert(1)").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"], "invalid");
    let items = w.get(&format!("/api/v1/rounds/{round}/oit")).await.json();
    let o1 = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "O1")
        .unwrap();
    assert_eq!(o1["urls"][0], "https://huanong.go.th/structure");
    assert_eq!(o1["editable"], true);
    // Another agency's admin with the same call reaches only its own agency.
    let mut banphai = app.signed_in("banphai").await;
    let theirs = banphai
        .get(&format!("/api/v1/rounds/{round}/oit"))
        .await
        .json();
    assert_ne!(theirs["agency"], items["agency"]);

    // Every write through a token is one audit entry; reads are counted
    // per hour instead, so they cannot push changes out of the log's view.
    let log = itas_store::audit::recent(&app.db, Some(&found.id), 50)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "create_api_token"));
    assert!(
        !log.iter().any(|e| e.action == "api_token_use"),
        "reads are not logged one by one"
    );
    let write_id = itas_store::api_tokens::by_hash(
        &app.db,
        &hex::encode(sha2::Sha256::digest(write.as_bytes())),
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let log = itas_store::audit::recent(&app.db, Some(&write_id), 50)
        .await
        .unwrap();
    let uses: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "api_token_use")
        .filter_map(|e| e.after_json.as_deref())
        .collect();
    assert_eq!(
        uses.len(),
        4,
        "two PUTs and two refused POSTs, not the GET: {uses:?}"
    );
    assert!(
        uses.iter()
            .all(|u| u.starts_with("PUT /api/v1/rounds/") || *u == "POST /api/v1/tokens")
    );
    let listed = itas_store::api_tokens::all(&app.db, itas_store::now_ms(), 100, 0)
        .await
        .unwrap();
    let calls = |id: &str| {
        listed
            .iter()
            .find(|l| l.token.id == id)
            .unwrap()
            .calls_last_day
    };
    assert_eq!(
        calls(&found.id),
        2,
        "me and the agency: its refused writes are refused before use"
    );
    assert_eq!(calls(&write_id), 5, "two POSTs, two PUTs and a GET");

    // Listed without the token; revoked, it stops working.
    let list = page.get("/api/v1/tokens").await.json();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&write));
    let r = page
        .request(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", found.id),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = r_client.get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "bad_token");
    assert_eq!(
        bearer(&app, "itas_not-a-token")
            .get("/api/v1/me")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // An expired token too.
    let old = "itas_expired-token-for-the-test";
    itas_store::api_tokens::create(
        &app.db,
        &huanong.id,
        "old",
        &hex::encode(sha2::Sha256::digest(old.as_bytes())),
        itas_store::api_tokens::Scope::Read,
        1,
        2,
    )
    .await
    .unwrap();
    assert_eq!(
        bearer(&app, old).get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    // The page lists them with their state.
    let p = page.get("/account/tokens").await.body;
    assert!(p.contains("เพิกถอนแล้ว") && p.contains("หมดอายุ") && p.contains("ใช้ได้"));
});

both_backends!(tokens_end_with_their_users_standing, |app| {
    // The incident: an agency admin's write token leaked. The central office
    // resets the password, and later suspends and reactivates the user.
    let mut page = app.signed_in("huanong").await;
    let mut tokens = Vec::new();
    for k in 0..3 {
        tokens.push(token_from_page(&mut page, &format!("สคริปต์ {k}"), "write").await);
    }
    for t in &tokens {
        assert_eq!(
            bearer(&app, t).get("/api/v1/me").await.status,
            StatusCode::OK
        );
    }
    let huanong = itas_store::users::by_username(&app.db, "huanong")
        .await
        .unwrap()
        .unwrap();
    let mut admin = app.signed_in("admin").await;
    let r = admin
        .post_form(
            &format!("/admin/users/{}/password", huanong.id),
            &[("password", "a-new-password-2569")],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.body
    );
    for t in &tokens {
        let r = bearer(&app, t).get("/api/v1/me").await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "a token outlived the reset"
        );
        assert_eq!(r.json()["error"], "bad_token");
    }
    assert!(
        page.get("/agency").await.location().starts_with("/login"),
        "the session ended too"
    );
    let log = itas_store::audit::recent(&app.db, Some(&huanong.id), 20)
        .await
        .unwrap();
    let reset = log.iter().find(|e| e.action == "set_password").unwrap();
    assert_eq!(
        reset.after_json.as_deref(),
        Some(r#"{"sessions_ended":1,"tokens_revoked":3}"#),
        "the counts are in the audit entry"
    );

    // Suspended then reactivated: nothing made before comes back.
    let mut c = app.client();
    let r = c
        .post_form(
            "/login",
            &[("username", "huanong"), ("password", "a-new-password-2569")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let fresh = token_from_page(&mut c, "หลังรีเซ็ต", "read").await;
    for active in ["0", "1"] {
        let r = admin
            .post_form(
                &format!("/admin/users/{}/active", huanong.id),
                &[("active", active)],
            )
            .await;
        assert!(
            r.status.is_success() || r.status.is_redirection(),
            "{}",
            r.body
        );
    }
    assert_eq!(
        bearer(&app, &fresh).get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "a suspension ends the token for good"
    );
    let log = itas_store::audit::recent(&app.db, Some(&huanong.id), 20)
        .await
        .unwrap();
    assert!(log.iter().any(|e| {
        e.action == "set_active"
            && e.after_json
                .as_deref()
                .is_some_and(|a| a.contains(r#""tokens_revoked":1"#))
    }));
});

both_backends!(the_central_office_lists_and_revokes_anyones_tokens, |app| {
    let mut page = app.signed_in("huanong").await;
    let token = token_from_page(&mut page, "เว็บไซต์ อบต.", "write").await;
    assert_eq!(
        bearer(&app, &token).get("/api/v1/me").await.status,
        StatusCode::OK
    );

    // Ten live tokens at most; the eleventh is refused with the name kept.
    for k in 1..10 {
        token_from_page(&mut page, &format!("สำรอง {k}"), "read").await;
    }
    let r = page
        .post_form(
            "/account/tokens",
            &[("name", "ใบที่สิบเอ็ด"), ("scope", "read"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("มีโทเคนที่ใช้ได้ครบ ๑๐ รายการแล้ว") && r.body.contains("ใบที่สิบเอ็ด"));
    let r = page
        .post_json("/api/v1/tokens", &serde_json::json!({"name": "eleven"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"], "conflict");

    // Neither the agency nor an assessor sees the list.
    assert_eq!(
        page.get("/admin/tokens").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        page.get("/api/v1/admin/tokens").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bearer(&app, &token)
            .get("/api/v1/admin/tokens")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The central office sees every user's tokens, never the token itself.
    let mut admin = app.signed_in("admin").await;
    let list = admin.get("/admin/tokens").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("เว็บไซต์ อบต.") && list.body.contains("(huanong)"));
    assert!(!list.body.contains(&token));
    let all = admin.get("/api/v1/admin/tokens?limit=1000").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let all = all.json();
    assert_eq!(all["total"], 10);
    let site = all["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "เว็บไซต์ อบต.")
        .unwrap()
        .clone();
    assert_eq!(site["username"], "huanong");
    assert_eq!(site["scope"], "write");
    assert_eq!(site["calls_last_day"], 2, "me, and the refused list");
    assert!(!all.to_string().contains(&token));

    // Revoked from the API: it stops at once, audited under the central office.
    let id = site["id"].as_str().unwrap();
    let r = admin
        .request(
            Method::DELETE,
            &format!("/api/v1/admin/tokens/{id}"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        bearer(&app, &token).get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let central = itas_store::users::by_username(&app.db, "admin")
        .await
        .unwrap()
        .unwrap();
    let log = itas_store::audit::recent(&app.db, Some(id), 10)
        .await
        .unwrap();
    assert!(
        log.iter().any(|e| e.action == "revoke_api_token"
            && e.actor_id.as_deref() == Some(central.id.as_str()))
    );
    // One slot is free again; the page's revoke works the same way.
    let another = token_from_page(&mut page, "ใบใหม่", "read").await;
    let another_id = itas_store::api_tokens::by_hash(
        &app.db,
        &hex::encode(sha2::Sha256::digest(another.as_bytes())),
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let r = admin
        .post_form(&format!("/admin/tokens/{another_id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("เพิกถอนโทเคนแล้ว"));
    assert_eq!(
        bearer(&app, &another).get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = admin
        .request(
            Method::DELETE,
            "/api/v1/admin/tokens/no-such-token",
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_is_rate_limited() {
    let app = crate::app::spawn_app(Backend::Sqlite).await;
    let mut page = app.signed_in("huanong").await;
    let token = token_from_page(&mut page, "loop", "read").await;
    let mut c = bearer(&app, &token);
    let limit = itas_web::auth::USER_API_CALLS_PER_MINUTE as usize;
    for k in 0..limit {
        let r = c.get("/api/v1/me").await;
        assert_eq!(r.status, StatusCode::OK, "call {k}");
    }
    let r = c.get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"], "api_slow_down");
    // The limit is the user's: a new token of the same user does not
    // multiply it; another user's token is not held back.
    let other = token_from_page(&mut page, "other", "read").await;
    assert_eq!(
        bearer(&app, &other).get("/api/v1/me").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut banphai = app.signed_in("banphai").await;
    let theirs = token_from_page(&mut banphai, "theirs", "read").await;
    assert_eq!(
        bearer(&app, &theirs).get("/api/v1/me").await.status,
        StatusCode::OK
    );
}

/// The `sh` block of docs/api.md, as written.
fn push_oit_script() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"))
        .expect("docs/api.md");
    let start = doc.find("```sh\n").expect("a sh block") + 6;
    let end = start + doc[start..].find("```").unwrap();
    doc[start..end].to_string()
}

/// docs/api.md's example, run by `sh` with curl and jq against a real
/// server on a socket: a token from a session, URLs from a CSV, submitted,
/// and the lights read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_curl_example_in_docs_api_md_works() {
    let app = crate::app::spawn_app_with(Backend::Sqlite, crate::evidence::quick()).await;
    let round = app.current_round().await;
    crate::oit::move_to(&app, &round, itas_core::directory::Phase::Collection).await;
    let fy = itas_store::rounds::get(&app.db, &round)
        .await
        .unwrap()
        .unwrap()
        .fiscal_year as i32;
    let site_port = crate::evidence::evidence_site(fy).await;
    let site = format!("http://localhost:{site_port}");
    crate::evidence::set_website(&app.db, "KK-HUANONG", &site).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let dir = std::env::temp_dir().join(format!("itas-api-example-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("push-oit.sh");
    std::fs::write(&script, push_oit_script()).unwrap();
    let csv = dir.join("oit.csv");
    std::fs::write(
        &csv,
        format!("item,url\nO1,{site}/ok\nO2,{site}/notfound\nO3,{site}/slow\n"),
    )
    .unwrap();
    // Green lights from an earlier check of the same URLs: the script waits
    // for this submit's checks, not these.
    let agency = app.agency_id("KK-HUANONG").await;
    // O3's page answers after the check's timeout (1.5 s): its new light
    // comes late, long after the stale ones were all there.
    for (item, path) in [("O1", "ok"), ("O2", "notfound"), ("O3", "slow")] {
        let url = format!("{site}/{path}");
        itas_store::evidence_checks::insert(
            &app.db,
            &agency,
            &itas_store::evidence_checks::NewCheck {
                round_id: round.clone(),
                item: item.into(),
                url: url.clone(),
                purpose: "check".into(),
                light: "green".into(),
                findings: Vec::new(),
                status: Some(200),
                final_url: url,
                content_type: "text/html".into(),
                bytes: 0,
                sha256: String::new(),
                headers: Vec::new(),
                body: Vec::new(),
            },
        )
        .await
        .unwrap();
    }
    let (s, c, r) = (script.clone(), csv.clone(), round.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg(&s)
            .arg(&r)
            .arg(&c)
            .env("ITAS_URL", format!("http://127.0.0.1:{port}"))
            .env("ITAS_USER", "huanong")
            .env("ITAS_PASSWORD", DEMO_PASSWORD)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("O1 amber {site}/ok no_tls")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("O2 red {site}/notfound http_error")),
        "{stdout}"
    );
    assert!(!stdout.contains("green"), "no stale light: {stdout}");
    assert!(
        itas_store::oit::submitted_at(&app.db, &agency, &round)
            .await
            .unwrap()
            .is_some(),
        "submitted"
    );
}

both_backends!(api_bodies_and_pages_answer_as_the_document_says, |app| {
    let mut anon = app.client();
    // No Content-Type, unreadable JSON, JSON of the wrong shape: each its own
    // JSON error, in the caller's language.
    let r = anon
        .request(Method::POST, "/api/v1/score", None, b"{}".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.json()["error"], "not_json");
    let r = anon
        .request(
            Method::POST,
            "/api/v1/score",
            Some("application/json"),
            b"{\"indicators\":".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "bad_json");
    assert!(r.json()["message"].as_str().unwrap().contains("JSON"));
    let r = anon
        .post_json("/api/v1/score", &serde_json::json!({"indicators": []}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"], "invalid");
    // A score as a string is digits with two decimals at most, as the schema says.
    let r = anon
        .post_json(
            "/api/v1/score",
            &serde_json::json!({"indicators": {"1": "5/2"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("two decimals")
    );

    // A token made through the API: 30.0 days is the integer 30 to JSON Schema.
    let mut admin = app.signed_in("admin").await;
    let r = admin
        .post_json(
            "/api/v1/tokens",
            &serde_json::json!({"name": "พอร์ทัลข้อมูลเปิด", "days": 30.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["days"], 30);
    assert_eq!(r.json()["scope"], "read");
    let token = r.json()["token"].as_str().unwrap().to_string();
    let r = admin
        .post_json(
            "/api/v1/tokens",
            &serde_json::json!({"name": "x", "days": 30.5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut portal = bearer(&app, &token);
    let me = portal.get("/api/v1/me").await.json();
    assert_eq!(me["token_scope"], "read");
    assert_eq!(
        admin.get("/api/v1/me").await.json()["token_scope"],
        serde_json::Value::Null
    );

    // Agencies a page at a time, with the total.
    let all = portal.get("/api/v1/agencies?limit=1000").await.json();
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 3);
    assert_eq!(all["agencies"].as_array().unwrap().len() as i64, total);
    let page = portal.get("/api/v1/agencies?limit=2&offset=1").await.json();
    assert_eq!(page["total"], total);
    assert_eq!(page["agencies"][0]["code"], all["agencies"][1]["code"]);
    assert_eq!(page["agencies"].as_array().unwrap().len(), 2);
    let r = portal.get("/api/v1/agencies?limit=0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The agency admin sees its own agency, searched and paged the same way.
    let mut huanong = app.signed_in("huanong").await;
    let own = huanong.get("/api/v1/agencies?q=huanong").await.json();
    assert_eq!(own["total"], 1);
    assert_eq!(own["agencies"][0]["code"], "KK-HUANONG");
    assert_eq!(
        huanong.get("/api/v1/agencies?q=city").await.json()["total"],
        0
    );
});
