//! Anyone with a survey link can start drafts; a flood of them stays within
//! the draft budget (per link and in total, rows and bytes) and the flood
//! limit, while real respondents in the middle of the questionnaire finish.

use crate::app::{Backend, Client, TestApp, post_page, spawn_app_with};
use axum::http::StatusCode;
use itas_core::framework::ita_2564;
use itas_store::drafts::{self, DraftBudget};

const PER_LINK: i64 = 40;
const TOTAL: i64 = 60;

/// `n` cookie-less page posts, each of which would start a new draft.
async fn flood(app: &TestApp, tool: &str, code: &str, n: usize) -> (usize, usize) {
    let (mut saved, mut slowed) = (0, 0);
    for i in 0..n {
        let mut bot = app.client();
        let r = post_page(&mut bot, tool, code, 0, i % 4).await;
        match r.status {
            StatusCode::SEE_OTHER => saved += 1,
            StatusCode::TOO_MANY_REQUESTS => slowed += 1,
            s => panic!("flood post answered {s}: {}", r.body),
        }
    }
    (saved, slowed)
}

async fn flood_stays_within_budget(backend: Backend) {
    let config = itas_web::Config {
        page_rate_per_minute: 400,
        draft_budget: DraftBudget {
            per_link_rows: PER_LINK,
            per_link_bytes: 1024 * 1024,
            total_rows: TOTAL,
            total_bytes: 1024 * 1024,
        },
        ..Default::default()
    };
    let app = spawn_app_with(backend, config).await;
    let (_, _, code) = crate::app::demo_link(&app.db, "EIT").await;
    crate::app::iit_without_codes(&app.db).await;
    let (round, agency, iit) = crate::app::demo_link(&app.db, "IIT").await;

    // Opening a link (a person, a crawler) stores nothing.
    for _ in 0..20 {
        let mut visitor = app.client();
        assert_eq!(
            visitor.get(&format!("/s/{code}/q/0")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(drafts::usage(&app.db, None).await.unwrap().0, 0);

    // Five real respondents answer page by page while drafts flood in between.
    let mut people: Vec<Client<'_>> = (0..5).map(|_| app.client()).collect();
    let pages = itas_core::survey::pages(&ita_2564(), "EIT").len();
    let mut flooded = 0;
    for page in 0..pages {
        for (i, p) in people.iter_mut().enumerate() {
            let r = post_page(p, "EIT", &code, page, i).await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "respondent {i}, page {page}: {}",
                r.body
            );
            if page + 1 == pages {
                assert!(r.location().ends_with("/thanks"), "respondent {i} finished");
            }
        }
        let (saved, _) = flood(&app, "EIT", &code, 30).await;
        flooded += saved;
        let (rows, _) = drafts::usage(&app.db, Some(&code)).await.unwrap();
        assert!(
            rows <= PER_LINK,
            "{rows} drafts on one link, budget {PER_LINK}"
        );
    }
    assert!(
        flooded > PER_LINK as usize,
        "the flood passed the budget: {flooded}"
    );
    assert_eq!(
        itas_store::surveys::count(&app.db, &round, &agency, "EIT")
            .await
            .unwrap(),
        5,
        "every real respondent's answers are stored"
    );

    // A second link floods too: the total budget holds after housekeeping.
    flood(&app, "IIT", &iit, 35).await;
    drafts::enforce_total(&app.db, &app_budget()).await.unwrap();
    let (rows, bytes) = drafts::usage(&app.db, None).await.unwrap();
    assert!(rows <= TOTAL, "{rows} drafts in all, budget {TOTAL}");
    assert!(bytes > 0 && bytes <= 1024 * 1024);

    // Past the flood limit, page saves are slowed down and no draft is added.
    let before = drafts::usage(&app.db, Some(&code)).await.unwrap().0;
    let (_, slowed) = flood(&app, "EIT", &code, 300).await;
    assert!(slowed > 0, "the flood limit covers page saves");
    let mut late = app.client();
    let r = post_page(&mut late, "EIT", &code, 0, 1).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body.contains("คำตอบที่ท่านเลือกไว้ยังอยู่ในหน้านี้") && r.body.contains("checked"),
        "a slowed-down respondent keeps the ticked answers"
    );
    assert!(drafts::usage(&app.db, Some(&code)).await.unwrap().0 <= PER_LINK.max(before));
}

fn app_budget() -> DraftBudget {
    DraftBudget {
        per_link_rows: PER_LINK,
        per_link_bytes: 1024 * 1024,
        total_rows: TOTAL,
        total_bytes: 1024 * 1024,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_flood_stays_within_budget_while_respondents_finish_sqlite() {
    flood_stays_within_budget(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_flood_stays_within_budget_while_respondents_finish_postgres() {
    flood_stays_within_budget(Backend::Postgres).await;
}
