//! The authorization matrix: every route, tried by every kind of caller.
//!
//! "Denied" means 403 for a signed-in user, and for an anonymous caller a
//! redirect to sign-in (pages) or 401 (API). Anything else means the request
//! got past authorization (it may still be 404 or 422 on its merits).

use crate::app::{Client, Reply, TestApp};
use crate::both_backends;
use axum::http::{Method, StatusCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    Central,
    /// assessor1: assigned to KK-HUANONG and KK-BANPHAI.
    Assessor,
    /// assessor2: assigned to nothing.
    OtherAssessor,
    /// huanong: agency admin of KK-HUANONG.
    Agency,
}

const EVERYONE: &[Who] = &[
    Who::Anonymous,
    Who::Central,
    Who::Assessor,
    Who::OtherAssessor,
    Who::Agency,
];
const SIGNED_IN: &[Who] = &[Who::Central, Who::Assessor, Who::OtherAssessor, Who::Agency];
const CENTRAL: &[Who] = &[Who::Central];
const SEES_HUANONG: &[Who] = &[Who::Central, Who::Assessor, Who::Agency];
/// An agency's computed scores before publication: never the agency's own
/// (docs/privacy.md, "What the agency can and cannot learn").
const SCORES_BEFORE_PUBLICATION: &[Who] = &[Who::Central, Who::Assessor];

enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    File,
    Json(serde_json::Value),
}

struct Case {
    method: Method,
    path: String,
    body: Body,
    allowed: &'static [Who],
}

fn get(path: String, allowed: &'static [Who]) -> Case {
    Case {
        method: Method::GET,
        path,
        body: Body::None,
        allowed,
    }
}

fn post(path: String, fields: Vec<(&'static str, String)>, allowed: &'static [Who]) -> Case {
    Case {
        method: Method::POST,
        path,
        body: Body::Form(fields),
        allowed,
    }
}

async fn send(c: &mut Client<'_>, case: &Case) -> Reply {
    match &case.body {
        Body::None => {
            c.request(case.method.clone(), &case.path, None, Vec::new())
                .await
        }
        Body::Form(f) => {
            let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post_form(&case.path, &fields).await
        }
        Body::File => c.post_file(&case.path, "file", "empty.csv", b"").await,
        Body::Json(v) => {
            c.request(
                case.method.clone(),
                &case.path,
                Some("application/json"),
                serde_json::to_vec(v).unwrap(),
            )
            .await
        }
    }
}

fn denied(who: Who, path: &str, r: &Reply) -> bool {
    match who {
        Who::Anonymous if path.starts_with("/api/") => r.status == StatusCode::UNAUTHORIZED,
        Who::Anonymous => r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login"),
        _ => r.status == StatusCode::FORBIDDEN,
    }
}

async fn cases(app: &TestApp) -> Vec<Case> {
    let current = itas_store::rounds::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name.contains("สาธิต"))
        .unwrap()
        .id;
    let banphai = app.agency_id("KK-BANPHAI").await;
    let survey = itas_store::surveys::ensure_link(&app.db, None, &current, &banphai, "EIT")
        .await
        .unwrap()
        .code;
    let closed = app.round_id("ITA 2564").await;
    let huanong = app.agency_id("KK-HUANONG").await;
    let city = app.agency_id("KK-CITY").await;
    let assessor2 = itas_store::users::by_username(&app.db, "assessor2")
        .await
        .unwrap()
        .unwrap()
        .id;
    let s = |x: &str| x.to_string();
    vec![
        get(s("/"), EVERYONE),
        get(s("/healthz"), EVERYONE),
        get(s("/login"), EVERYONE),
        get(s("/assets/app.css"), EVERYONE),
        get(s("/lang/en"), EVERYONE),
        get(s("/api/v1/openapi.json"), EVERYONE),
        Case {
            method: Method::POST,
            path: s("/api/v1/score"),
            body: Body::Json(serde_json::json!({"indicators": {}})),
            allowed: EVERYONE,
        },
        get(s("/admin"), CENTRAL),
        get(s("/admin/rounds/new"), CENTRAL),
        get(format!("/admin/rounds/{current}"), CENTRAL),
        get(s("/admin/agencies"), CENTRAL),
        get(s("/admin/agencies/import"), CENTRAL),
        get(s("/admin/users"), CENTRAL),
        get(s("/admin/audit"), CENTRAL),
        post(s("/admin/rounds"), vec![("name", s(""))], CENTRAL),
        post(
            format!("/admin/rounds/{current}/phases"),
            vec![("start_setup", s("bad"))],
            CENTRAL,
        ),
        post(
            format!("/admin/rounds/{current}/participants"),
            vec![("codes", s("KK-NOPE"))],
            CENTRAL,
        ),
        post(
            format!("/admin/rounds/{current}/assignments"),
            vec![("agency_code", s("KK-NOPE"))],
            CENTRAL,
        ),
        post(
            format!("/admin/rounds/{current}/assignments/remove"),
            vec![("agency_code", s("KK-NOPE"))],
            CENTRAL,
        ),
        post(format!("/admin/rounds/{current}/compute"), vec![], CENTRAL),
        get(format!("/admin/rounds/{current}/quality"), CENTRAL),
        get(format!("/admin/rounds/{current}/framework.xlsx"), CENTRAL),
        get(format!("/admin/rounds/{current}/framework.toml"), CENTRAL),
        Case {
            method: Method::POST,
            path: s("/admin/rounds/framework-file"),
            body: Body::File,
            allowed: CENTRAL,
        },
        post(
            format!("/admin/rounds/{current}/quality/{huanong}/IIT"),
            vec![("decision", s("accept")), ("reason", s(""))],
            CENTRAL,
        ),
        get(format!("/api/v1/rounds/{current}/quality"), CENTRAL),
        post(s("/admin/agencies"), vec![("code", s(""))], CENTRAL),
        Case {
            method: Method::POST,
            path: s("/admin/agencies/import"),
            body: Body::File,
            allowed: CENTRAL,
        },
        post(s("/admin/users"), vec![("username", s(""))], CENTRAL),
        post(
            format!("/admin/users/{assessor2}/password"),
            vec![("password", s("short"))],
            CENTRAL,
        ),
        post(
            format!("/admin/users/{assessor2}/active"),
            vec![("active", s("1"))],
            CENTRAL,
        ),
        get(s("/agency"), &[Who::Agency]),
        post(
            format!("/agency/rounds/{current}/populations"),
            vec![("iit_population", s("x"))],
            &[Who::Agency],
        ),
        post(
            format!("/agency/rounds/{current}/links/IIT/rotate"),
            vec![],
            &[Who::Agency],
        ),
        post(
            format!("/agency/rounds/{current}/links/IIT/require-code"),
            vec![("on", s("0"))],
            &[Who::Agency],
        ),
        post(
            format!("/agency/rounds/{current}/links/IIT/codes"),
            vec![("count", s("0"))],
            &[Who::Agency],
        ),
        get(
            format!("/agency/rounds/{current}/links/EIT/poster"),
            &[Who::Agency],
        ),
        get(
            format!("/agency/rounds/{current}/links/EIT/poster.pdf"),
            &[Who::Agency],
        ),
        get(format!("/agencies/{huanong}/plan/{closed}"), SEES_HUANONG),
        get(format!("/agencies/{city}/plan/{closed}"), CENTRAL),
        post(
            format!("/agencies/{huanong}/plan/{closed}/measures"),
            vec![("measure", s(""))],
            &[Who::Agency],
        ),
        post(
            format!("/agencies/{huanong}/plan/{closed}/measures/nope"),
            vec![("measure", s(""))],
            &[Who::Agency],
        ),
        post(
            format!("/agencies/{huanong}/plan/{closed}/measures/nope/progress"),
            vec![("percent", s("x"))],
            &[Who::Agency],
        ),
        get(format!("/agency/rounds/{current}/oit"), &[Who::Agency]),
        post(
            format!("/agency/rounds/{current}/oit"),
            vec![("o1.urls", s("not a url")), ("o1.explanation", s(""))],
            &[Who::Agency],
        ),
        get(
            format!("/assessor/rounds/{current}/agencies/{huanong}/oit"),
            &[Who::Assessor],
        ),
        post(
            format!("/assessor/rounds/{current}/agencies/{huanong}/oit/o1"),
            vec![("result", s("maybe"))],
            &[Who::Assessor],
        ),
        get(
            format!("/assessor/rounds/{current}/agencies/{city}/oit"),
            &[],
        ),
        post(
            format!("/agency/rounds/{current}/oit/check"),
            vec![],
            &[Who::Agency],
        ),
        get(
            format!("/assessor/rounds/{current}/agencies/{huanong}/oit/snapshots/nope"),
            &[Who::Assessor],
        ),
        get(s("/results"), EVERYONE),
        get(format!("/results/{closed}"), EVERYONE),
        get(format!("/results/{closed}/results.csv"), EVERYONE),
        get(format!("/results/{closed}/results.xlsx"), EVERYONE),
        get(format!("/results/{closed}/open-data.json"), EVERYONE),
        get(format!("/api/v1/rounds/{closed}/dashboard"), EVERYONE),
        get(format!("/api/v1/rounds/{closed}/results"), EVERYONE),
        // An unpublished round's figures do not exist for anyone but the
        // central office (404, like its dashboard): dashboard.rs tests them.
        // Published results are public; the report and unpublished results are
        // not, and unpublished results are not the agency's own either.
        get(format!("/agencies/{huanong}/results/{closed}"), EVERYONE),
        get(
            format!("/agencies/{huanong}/results/{current}"),
            SCORES_BEFORE_PUBLICATION,
        ),
        get(format!("/agencies/{city}/results/{current}"), CENTRAL),
        get(
            format!("/agencies/{huanong}/results/{closed}/report.pdf"),
            SEES_HUANONG,
        ),
        get(
            format!("/agencies/{huanong}/results/{closed}/report.docx"),
            SEES_HUANONG,
        ),
        get(
            format!("/agencies/{city}/results/{closed}/report.docx"),
            CENTRAL,
        ),
        get(format!("/s/{survey}"), EVERYONE),
        get(format!("/s/{survey}/q/0"), EVERYONE),
        post(format!("/s/{survey}/q/0"), vec![], EVERYONE),
        post(format!("/s/{survey}/submit"), vec![], EVERYONE),
        get(format!("/s/{survey}/thanks"), EVERYONE),
        get(s("/assessor"), &[Who::Assessor, Who::OtherAssessor]),
        get(format!("/agencies/{huanong}"), SEES_HUANONG),
        get(format!("/agencies/{city}"), CENTRAL),
        get(s("/api/v1/me"), SIGNED_IN),
        get(s("/api/v1/rounds"), SIGNED_IN),
        get(s("/api/v1/agencies"), SIGNED_IN),
        get(format!("/api/v1/agencies/{huanong}"), SEES_HUANONG),
        get(format!("/api/v1/agencies/{city}"), CENTRAL),
        // Published scores: the API as the results page (anyone signed in;
        // the page is public); before publication as the page.
        get(
            format!("/api/v1/rounds/{closed}/agencies/{huanong}/scores"),
            SIGNED_IN,
        ),
        get(
            format!("/api/v1/rounds/{closed}/agencies/{city}/scores"),
            SIGNED_IN,
        ),
        get(
            format!("/api/v1/rounds/{current}/agencies/{huanong}/scores"),
            SCORES_BEFORE_PUBLICATION,
        ),
        get(format!("/results/{closed}/infographic.pdf"), EVERYONE),
        get(s("/open-data/data.json"), EVERYONE),
        get(format!("/results/{closed}/metadata.json"), EVERYONE),
        get(s("/p/KK-HUANONG/ita/2564"), EVERYONE),
        post(
            format!("/agencies/{huanong}/plan/{closed}/public-page"),
            vec![("action", s("nope"))],
            &[Who::Agency],
        ),
        get(s("/account/tokens"), SIGNED_IN),
        post(s("/account/tokens"), vec![("name", s(""))], SIGNED_IN),
        get(s("/api/v1/tokens"), SIGNED_IN),
        Case {
            method: Method::POST,
            path: s("/api/v1/tokens"),
            body: Body::Json(serde_json::json!({"name": ""})),
            allowed: SIGNED_IN,
        },
        Case {
            method: Method::DELETE,
            path: s("/api/v1/tokens/nope"),
            body: Body::None,
            allowed: SIGNED_IN,
        },
        get(format!("/api/v1/rounds/{current}/oit"), &[Who::Agency]),
        Case {
            method: Method::PUT,
            path: format!("/api/v1/rounds/{current}/oit/items/O1"),
            body: Body::Json(serde_json::json!({"urls": ["ftp://x"]})),
            allowed: &[Who::Agency],
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/rounds/{current}/oit/check"),
            body: Body::Json(serde_json::json!({})),
            allowed: &[Who::Agency],
        },
        Case {
            method: Method::POST,
            path: s("/api/v1/agencies/import"),
            body: Body::Json(serde_json::json!({"agencies": []})),
            allowed: CENTRAL,
        },
        get(format!("/api/v1/rounds/{current}/links"), &[Who::Agency]),
        get(
            format!("/api/v1/rounds/{current}/agencies/{huanong}/oit"),
            &[Who::Assessor],
        ),
        Case {
            method: Method::PUT,
            path: format!("/api/v1/rounds/{current}/agencies/{huanong}/oit/items/O1/decision"),
            body: Body::Json(serde_json::json!({"passed": true})),
            allowed: &[Who::Assessor],
        },
        // Each role sees its own part of the list (tested in api_rounds).
        get(format!("/api/v1/rounds/{current}/participants"), SIGNED_IN),
        Case {
            method: Method::POST,
            path: format!("/api/v1/rounds/{current}/compute"),
            body: Body::Json(serde_json::json!({})),
            allowed: CENTRAL,
        },
        // Withdrawn, then published again, so later cases see the round as before.
        get(format!("/api/v1/rounds/{closed}"), SIGNED_IN),
        Case {
            method: Method::POST,
            path: s("/api/v1/rounds"),
            body: Body::Json(serde_json::json!({"name": ""})),
            allowed: CENTRAL,
        },
        Case {
            method: Method::PUT,
            path: format!("/api/v1/rounds/{current}/phases"),
            body: Body::Json(
                serde_json::json!({"phases": [{"phase": "x", "starts_on": "", "ends_on": ""}]}),
            ),
            allowed: CENTRAL,
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/rounds/{current}/participants"),
            body: Body::Json(serde_json::json!({"codes": ["NOPE"]})),
            allowed: CENTRAL,
        },
        Case {
            method: Method::PUT,
            path: format!("/api/v1/rounds/{current}/populations"),
            body: Body::Json(serde_json::json!({"iit_population": -1, "eit_population": 0})),
            allowed: &[Who::Agency],
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/rounds/{closed}/withdraw"),
            body: Body::Json(serde_json::json!({})),
            allowed: CENTRAL,
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/rounds/{closed}/publish"),
            body: Body::Json(serde_json::json!({})),
            allowed: CENTRAL,
        },
    ]
}

both_backends!(every_role_against_every_route, |app| {
    let mut clients = [
        (Who::Anonymous, app.client()),
        (Who::Central, app.signed_in("admin").await),
        (Who::Assessor, app.signed_in("assessor1").await),
        (Who::OtherAssessor, app.signed_in("assessor2").await),
        (Who::Agency, app.signed_in("huanong").await),
    ];
    let mut wrong = Vec::new();
    for case in cases(&app).await {
        for (who, client) in clients.iter_mut() {
            let r = send(client, &case).await;
            let expect_allowed = case.allowed.contains(who);
            if denied(*who, &case.path, &r) == expect_allowed {
                wrong.push(format!(
                    "{:?} {} {} → {} (expected {})",
                    who,
                    case.method,
                    case.path,
                    r.status,
                    if expect_allowed { "allowed" } else { "denied" }
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorization matrix:\n{}",
        wrong.join("\n")
    );
});

both_backends!(an_agency_admin_cannot_read_another_agency, |app| {
    let mut c = app.signed_in("huanong").await;
    let city = app.agency_id("KK-CITY").await;
    let r = c.get(&format!("/agencies/{city}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("ท่านไม่มีสิทธิ์เข้าถึงข้อมูลนี้"));
    assert!(
        !r.body.contains("เทศบาลนครขอนแก่น"),
        "no data leaks into the refusal"
    );
    let r = c.get(&format!("/api/v1/agencies/{city}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "forbidden");
    let r = c.get("/api/v1/agencies").await;
    let list = r.json()["agencies"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "only its own agency");
    assert_eq!(list[0]["code"], "KK-HUANONG");
});
