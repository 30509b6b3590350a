//! Trustworthy counts: a stuffing script is flagged, honest answers are not,
//! and nothing stored dates or identifies a respondent (on both backends).

use crate::app::{Backend, Client, TestApp, spawn_app_with};
use axum::http::StatusCode;
use itas_core::framework::ita_2564;
use itas_web::loadgen::answers_body;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A server whose clock the test moves (seconds since the epoch).
async fn app_with_clock(backend: Backend) -> (TestApp, Arc<AtomicI64>) {
    // 09:00 in Bangkok today.
    let start = itas_web::today()
        .with_hms(2, 0, 0)
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    let t = Arc::new(AtomicI64::new(start));
    let clock = {
        let t = t.clone();
        itas_web::Clock::new(move || {
            time::OffsetDateTime::from_unix_timestamp(t.load(Ordering::Relaxed)).unwrap()
        })
    };
    let config = itas_web::Config {
        clock,
        ..Default::default()
    };
    (spawn_app_with(backend, config).await, t)
}

fn sid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Fields of page `page` of `tool`, each cell chosen from `seed`.
fn page_fields(tool: &str, page: usize, seed: u64) -> Vec<(String, String)> {
    let fw = ita_2564();
    let indicator = itas_core::survey::pages(&fw, tool)[page];
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005) | 1;
    let mut out = Vec::new();
    for (it, scale, cells) in itas_core::survey::items(&fw, tool) {
        for c in 0..cells {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if it.indicator == indicator {
                let o = &scale.options[(x % scale.options.len() as u64) as usize];
                out.push((format!("{}.{c}", it.code), o.code.clone()));
            }
        }
    }
    out
}

/// Issues `n` single-use codes as the agency admin and returns them.
async fn issue_codes(app: &TestApp, admin: &str, round: &str, n: usize) -> Vec<String> {
    let mut c = app.signed_in(admin).await;
    let r = c
        .post_form(
            &format!("/agency/rounds/{round}/links/IIT/codes"),
            &[("count", &n.to_string()), ("format", "csv")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(str::to_string)
        .collect()
}

/// One respondent, page by page, `minutes_per_page` apart on the test clock.
async fn respond_by_pages(
    app: &TestApp,
    clock: &AtomicI64,
    code: &str,
    access_code: Option<&str>,
    seed: u64,
    minutes_per_page: i64,
) {
    let mut phone: Client<'_> = app.client();
    if let Some(a) = access_code {
        let r = phone
            .post_form(&format!("/s/{code}"), &[("access_code", a)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "start: {}", r.body);
    }
    let pages = itas_core::survey::pages(&ita_2564(), "IIT").len();
    for page in 0..pages {
        clock.fetch_add(minutes_per_page * 60, Ordering::Relaxed);
        let fields = page_fields("IIT", page, seed);
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = phone.post_form(&format!("/s/{code}/q/{page}"), &f).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "page {page}: {}", r.body);
    }
}

async fn quality_json(app: &TestApp, round: &str) -> serde_json::Value {
    let mut admin = app.signed_in("admin").await;
    let r = admin.get(&format!("/api/v1/rounds/{round}/quality")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn flags_of(doc: &serde_json::Value, code: &str) -> BTreeSet<String> {
    doc["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["code"] == code)
        .flat_map(|a| a["flags"].as_array().unwrap().clone())
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn stuffing_is_flagged(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let round = app.current_round().await;
    let huanong = app.agency_id("KK-HUANONG").await;
    let banphai = app.agency_id("KK-BANPHAI").await;
    itas_store::rounds::set_populations(&app.db, None, &round, &huanong, 46, 200)
        .await
        .unwrap();
    itas_store::rounds::set_populations(&app.db, None, &round, &banphai, 50, 200)
        .await
        .unwrap();

    // The small agency turns codes off (the central office will see it), then
    // a script posts 120 identical questionnaires within a minute.
    let mut agency = app.signed_in("huanong").await;
    let r = agency
        .post_form(
            &format!("/agency/rounds/{round}/links/IIT/require-code"),
            &[("on", "0")],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let (_, _, code) = crate::app::demo_link(&app.db, "IIT").await;
    let fw = ita_2564();
    let body = answers_body(&fw, "IIT", 99);
    let mut script = app.client();
    for _ in 0..120 {
        let r = script
            .post_form_raw(
                &format!("/s/{code}/submit"),
                &format!("{body}&sid={}", sid()),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    // Beside it, a normal agency: twelve staff with their codes, page by page,
    // a few minutes each, spread over the day.
    let codes = issue_codes(&app, "banphai", &round, 12).await;
    let banphai_link = itas_store::surveys::ensure_link(&app.db, None, &round, &banphai, "IIT")
        .await
        .unwrap()
        .code;
    for (k, c) in codes.iter().enumerate() {
        clock.fetch_add(40 * 60, Ordering::Relaxed);
        respond_by_pages(&app, &clock, &banphai_link, Some(c), 1000 + k as u64, 1).await;
    }
    assert_eq!(
        itas_store::surveys::count(&app.db, &round, &banphai, "IIT")
            .await
            .unwrap(),
        12
    );

    let doc = quality_json(&app, &round).await;
    let stuffed = flags_of(&doc, "KK-HUANONG");
    for kind in ["burst", "duplicates", "over_population"] {
        assert!(stuffed.contains(kind), "{kind} missing from {stuffed:?}");
    }
    assert!(
        flags_of(&doc, "KK-BANPHAI").is_empty(),
        "a normal agency raises nothing: {doc}"
    );

    // The central office's page: the flags explained in Thai, codes turned
    // off, and the score without the flagged part beside the plain one.
    let mut admin = app.signed_in("admin").await;
    let page = admin.get(&format!("/admin/rounds/{round}/quality")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "คำตอบเข้ามากระจุกในชั่วโมงเดียว",
        "คำตอบซ้ำกันทั้งชุด",
        "จำนวนคำตอบเกินจำนวนบุคลากร",
        "120 จาก 120",
        "หน่วยงานที่ปิดการใช้รหัสของ IIT",
        "ตัดส่วนที่มีข้อสังเกตออก",
    ] {
        assert!(page.body.contains(text), "{text} not on the quality page");
    }
    // The IIT beyond the population does not count until a decision.
    let exclude_without_reason = admin
        .post_form(
            &format!("/admin/rounds/{round}/quality/{huanong}/IIT"),
            &[("decision", "exclude"), ("reason", "")],
        )
        .await;
    assert_eq!(
        exclude_without_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(
        exclude_without_reason
            .body
            .contains("การตัดคำตอบออกต้องระบุเหตุผล")
    );
    assert!(
        exclude_without_reason
            .body
            .contains(r#"value="exclude" checked"#),
        "the refused form keeps the choice made"
    );
    let too_long = "ก".repeat(2001);
    let refused = admin
        .post_form(
            &format!("/admin/rounds/{round}/quality/{huanong}/IIT"),
            &[("decision", "exclude"), ("reason", too_long.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(&too_long),
        "the refused form keeps the reason typed"
    );
    let r = admin
        .post_form(
            &format!("/admin/rounds/{round}/quality/{huanong}/IIT"),
            &[
                ("decision", "exclude"),
                ("reason", "คำตอบ 120 ชุดเหมือนกันทุกข้อภายในหนึ่งนาที"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let log = admin.get("/admin/audit").await.body;
    assert!(log.contains("quality_decision"), "the decision is audited");
    // The agency is told the outcome, never the detection details.
    let home = agency.get("/agency").await.body;
    assert!(home.contains("ตัดคำตอบบางส่วนออก"));
    assert!(!home.contains("กระจุก") && !home.contains("ซ้ำกันทั้งชุด"));
    let (kept, n) = itas_store::quality::tallies_without_flagged(&app.db, &round, &huanong, "IIT")
        .await
        .unwrap();
    assert_eq!(n, 1, "120 identical answers count once");
    assert_eq!(kept["i1"][0].iter().sum::<u64>(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuffing_script_is_flagged_and_a_normal_agency_is_not_sqlite() {
    stuffing_is_flagged(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuffing_script_is_flagged_and_a_normal_agency_is_not_postgres() {
    stuffing_is_flagged(Backend::Postgres).await;
}

async fn honest_answers_raise_nothing(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let round = app.current_round().await;
    let huanong = app.agency_id("KK-HUANONG").await;
    itas_store::rounds::set_populations(&app.db, None, &round, &huanong, 46, 200)
        .await
        .unwrap();
    let codes = issue_codes(&app, "huanong", &round, 46).await;
    assert_eq!(codes.len(), 46);
    let (_, _, code) = crate::app::demo_link(&app.db, "IIT").await;
    for (k, c) in codes.iter().take(40).enumerate() {
        clock.fetch_add(20 * 60, Ordering::Relaxed);
        respond_by_pages(
            &app,
            &clock,
            &code,
            Some(c),
            k as u64 + 1,
            1 + (k as i64 % 3),
        )
        .await;
    }
    assert_eq!(
        itas_store::surveys::count(&app.db, &round, &huanong, "IIT")
            .await
            .unwrap(),
        40
    );
    let doc = quality_json(&app, &round).await;
    assert!(
        flags_of(&doc, "KK-HUANONG").is_empty(),
        "40 honest answers over hours raise no flag: {doc}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_answers_spread_over_hours_raise_no_flag_sqlite() {
    honest_answers_raise_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_answers_spread_over_hours_raise_no_flag_postgres() {
    honest_answers_raise_nothing(Backend::Postgres).await;
}

/// Every value of every row of `table`, as text (NULL as "").
async fn rows_of(db: &itas_store::Db, table: &str) -> Vec<Vec<(String, String)>> {
    let cols: Vec<String> = match db {
        itas_store::Db::Sqlite { reader, .. } => {
            sqlx::query_as::<_, (String,)>("SELECT name FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(reader)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.0)
                .collect()
        }
        itas_store::Db::Postgres(p) => sqlx::query_as::<_, (String,)>(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table)
        .fetch_all(p)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect(),
    };
    let select: Vec<String> = cols
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
        .collect();
    let q = format!("SELECT {} FROM {table}", select.join(" || '\u{1f}' || "));
    let rows: Vec<(String,)> = match db {
        itas_store::Db::Sqlite { reader, .. } => sqlx::query_as(sqlx::AssertSqlSafe(q))
            .fetch_all(reader)
            .await
            .unwrap(),
        itas_store::Db::Postgres(p) => sqlx::query_as(sqlx::AssertSqlSafe(q))
            .fetch_all(p)
            .await
            .unwrap(),
    };
    rows.into_iter()
        .map(|(r,)| {
            cols.iter()
                .cloned()
                .zip(r.split('\u{1f}').map(str::to_string))
                .collect()
        })
        .collect()
}

/// A value that could date something finer than a day: an epoch in seconds
/// or milliseconds, or a time of day.
fn time_like(v: &str) -> bool {
    if let Ok(n) = v.parse::<i64>() {
        return (1_000_000_000..4_000_000_000).contains(&n)
            || (1_000_000_000_000..4_000_000_000_000).contains(&n);
    }
    let b = v.as_bytes();
    (0..b.len().saturating_sub(4)).any(|i| {
        b[i].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2] == b':'
            && b[i + 3].is_ascii_digit()
            && b[i + 4].is_ascii_digit()
    })
}

async fn nothing_stored_dates_a_respondent(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let round = app.current_round().await;
    let huanong = app.agency_id("KK-HUANONG").await;
    itas_store::rounds::set_populations(&app.db, None, &round, &huanong, 46, 200)
        .await
        .unwrap();
    // Answers of every kind: with a code page by page, one-shot on the EIT,
    // and a questionnaire left half done (a draft).
    let codes = issue_codes(&app, "huanong", &round, 3).await;
    let (_, _, iit) = crate::app::demo_link(&app.db, "IIT").await;
    for (k, c) in codes.iter().take(2).enumerate() {
        respond_by_pages(&app, &clock, &iit, Some(c), k as u64 + 7, 2).await;
    }
    let (_, _, eit) = crate::app::demo_link(&app.db, "EIT").await;
    let fw = ita_2564();
    let mut c = app.client();
    for k in 0..3 {
        let r = c
            .post_form_raw(
                &format!("/s/{eit}/submit"),
                &format!("{}&sid={}", answers_body(&fw, "EIT", k), sid()),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let mut half = app.client();
    let r = half
        .post_form(&format!("/s/{iit}"), &[("access_code", codes[2].as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let fields = page_fields("IIT", 0, 3);
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        half.post_form(&format!("/s/{iit}/q/0"), &f).await.status,
        StatusCode::SEE_OTHER
    );

    // Ids a client makes up that carry a time are refused.
    for bad in [
        "c232ab00-9414-11ec-b3c8-9f6bdeced846", // v1: time and MAC address
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", // v7: milliseconds
    ] {
        let r = c
            .post_form_raw(
                &format!("/s/{eit}/submit"),
                &format!("{}&sid={bad}", answers_body(&fw, "EIT", 9)),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // Every table that holds answers or their counts: no value that dates
    // finer than the day, and every id that is not the agency's or the
    // round's is a random (v4) UUID.
    let answer_tables = [
        "responses",
        "tally_deltas",
        "drafts",
        "response_counts",
        "answer_vectors",
        "speed_counts",
        "hourly_counts",
        "access_codes",
    ];
    for table in answer_tables {
        let rows = rows_of(&app.db, table).await;
        assert!(!rows.is_empty(), "{table} has rows to inspect");
        let holds_answers = rows[0].iter().any(|(c, _)| c == "answers" || c == "counts");
        for row in &rows {
            for (col, v) in row {
                if col == "agency_id" || col == "round_id" {
                    continue;
                }
                if let Ok(u) = uuid::Uuid::parse_str(v) {
                    assert_eq!(u.get_version_num(), 4, "{table}.{col} = {v} carries a time");
                }
                if holds_answers {
                    assert!(
                        !time_like(v) && !col.ends_with("_at"),
                        "{table}.{col} = {v} dates answers finer than the day"
                    );
                }
            }
            if table == "hourly_counts" {
                assert!(!row.iter().any(|(c, _)| c == "answers" || c == "counts"));
            }
        }
    }
    // One tally row per agency and tool, never one per respondent or batch.
    let tallies = rows_of(&app.db, "tally_deltas").await;
    let keys: Vec<(String, String)> = tallies
        .iter()
        .map(|r| {
            let get = |k: &str| r.iter().find(|(c, _)| c == k).unwrap().1.clone();
            (get("agency_id"), get("tool"))
        })
        .collect();
    let distinct: BTreeSet<&(String, String)> = keys.iter().collect();
    assert_eq!(
        distinct.len(),
        keys.len(),
        "one tally row per agency and tool"
    );
    // No arrival order to read back (SQLite keeps these tables by key).
    if let itas_store::Db::Sqlite { reader, .. } = &app.db {
        for table in ["responses", "tally_deltas"] {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT rowid FROM {table}")))
                .fetch_all(reader)
                .await;
            assert!(r.is_err(), "{table} has no rowid");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_stored_dates_or_orders_a_respondent_sqlite() {
    nothing_stored_dates_a_respondent(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_stored_dates_or_orders_a_respondent_postgres() {
    nothing_stored_dates_a_respondent(Backend::Postgres).await;
}

async fn privacy_maintenance_keeps_every_answer(backend: Backend) {
    let (url, db) = crate::procs::database(backend).await;
    db.migrate().await.unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    itas_app::demo::load(&db, Some(crate::app::DEMO_PASSWORD), today)
        .await
        .unwrap();
    let (round, agency, _) = crate::app::demo_link(&db, "EIT").await;
    let ingest = itas_store::ingest::Ingestor::spawn(db.clone(), Default::default());
    let fw = ita_2564();
    for k in 0..30u64 {
        let mut answers = std::collections::BTreeMap::new();
        for (it, scale, cells) in itas_core::survey::items(&fw, "EIT") {
            answers.insert(
                it.code.clone(),
                (0..cells)
                    .map(|c| (k as usize + c) % scale.options.len())
                    .collect(),
            );
        }
        ingest
            .submit(itas_store::ingest::Submission {
                agency_id: agency.clone(),
                round_id: round.clone(),
                tool: "EIT".into(),
                id: sid(),
                day: today.to_string(),
                hour: format!("{today}T10"),
                speed: itas_core::quality::SpeedBucket::Under10Min,
                answers,
                code_hash: None,
            })
            .await
            .unwrap();
    }
    let before = itas_store::surveys::tallies(&db, &round, &agency)
        .await
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(["privacy-maintenance", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("VACUUM") || said.contains("CLUSTER responses"),
        "{said}"
    );
    assert_eq!(
        itas_store::surveys::response_ids(&db, &round, &agency)
            .await
            .unwrap()
            .len(),
        30
    );
    assert_eq!(
        itas_store::surveys::tallies(&db, &round, &agency)
            .await
            .unwrap(),
        before
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_maintenance_rewrites_in_key_order_and_keeps_every_answer_sqlite() {
    privacy_maintenance_keeps_every_answer(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_maintenance_rewrites_in_key_order_and_keeps_every_answer_postgres() {
    privacy_maintenance_keeps_every_answer(Backend::Postgres).await;
}
