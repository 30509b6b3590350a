//! IIT/EIT collection: links, pages, drafts, validation, single-use codes,
//! retries, flood limits, and scores that move as answers arrive.

use crate::app::{Backend, Client, TestApp, page_fields, spawn_app_with};
use crate::both_backends;
use axum::http::StatusCode;
use itas_core::framework::ita_2564;

/// The active link code of a tool for KK-HUANONG in the current round.
async fn link(app: &TestApp, tool: &str) -> String {
    crate::app::demo_link(&app.db, tool).await.2
}

async fn count(app: &TestApp, tool: &str) -> i64 {
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    itas_store::surveys::count(&app.db, &round, &agency, tool)
        .await
        .unwrap()
}

/// Every field of a whole questionnaire, each cell answered with option `choice(item, cell)`.
fn all_fields(tool: &str, choice: impl Fn(&str, usize, usize) -> usize) -> Vec<(String, String)> {
    let fw = ita_2564();
    let mut out = Vec::new();
    for (it, scale, cells) in itas_core::survey::items(&fw, tool) {
        for c in 0..cells {
            let o = choice(&it.code, c, scale.options.len()).min(scale.options.len() - 1);
            out.push((format!("{}.{c}", it.code), scale.options[o].code.clone()));
        }
    }
    out
}

async fn submit_all(
    c: &mut Client<'_>,
    code: &str,
    sid: &str,
    fields: &[(String, String)],
    extra: &[(&str, &str)],
) -> crate::app::Reply {
    let mut f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    f.push(("sid", sid));
    f.extend_from_slice(extra);
    c.post_form(&format!("/s/{code}/submit"), &f).await
}

fn sid() -> String {
    uuid_v4()
}

fn uuid_v4() -> String {
    // Tests may use any v4-shaped id; random enough for a test run.
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let x = n
        ^ (u128::from(std::process::id()) << 64)
        ^ (COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as u128) << 32;
    let h = format!("{x:032x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

both_backends!(
    a_respondent_answers_page_by_page_and_the_count_moves,
    |app| {
        let code = link(&app, "EIT").await;
        let mut phone = app.client();
        let r = phone.get(&format!("/s/{code}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("องค์การบริหารส่วนตำบลหัวหนอง") && r.body.contains("ไม่ระบุตัวตน"),
            "{}",
            r.body
        );
        let fields = all_fields("EIT", |_, _, n| n - 1);
        let fw = ita_2564();
        for (page, indicator) in [6u32, 7, 8].iter().enumerate() {
            let r = phone.get(&format!("/s/{code}/q/{page}")).await;
            assert_eq!(r.status, StatusCode::OK);
            let sid = r
                .body
                .split("name=\"sid\" value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            let mine: Vec<(&str, &str)> = fields
                .iter()
                .filter(|(k, _)| {
                    fw.item(k.split('.').next().unwrap()).unwrap().indicator == *indicator
                })
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([("sid", sid.as_str())])
                .collect();
            let r = phone.post_form(&format!("/s/{code}/q/{page}"), &mine).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "page {page}: {}", r.body);
            let next = if page < 2 {
                format!("/s/{code}/q/{}", page + 1)
            } else {
                format!("/s/{code}/thanks")
            };
            assert_eq!(r.location(), next);
        }
        let r = phone.get(&format!("/s/{code}/thanks")).await;
        assert!(r.body.contains("ขอบคุณที่ตอบแบบวัด"));
        assert_eq!(count(&app, "EIT").await, 1);
        // The draft went in the transaction that stored the response.
        assert_eq!(
            itas_store::drafts::usage(&app.db, Some(&code))
                .await
                .unwrap()
                .0,
            0
        );
        // Back to the last page after sending: never kept by the browser, and
        // a new set does not start on page 3 of 3 but from the link's first
        // page, which says the answers went.
        let r = phone.get(&format!("/s/{code}/q/2")).await;
        assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("/s/{code}"));
        let r = phone.get(&format!("/s/{code}")).await;
        assert!(r.body.contains("เครื่องนี้ส่งคำตอบแบบวัดนี้ไปแล้ว"), "{}", r.body);
        // The first page of a new set says so, with nothing ticked.
        let r = phone.get(&format!("/s/{code}/q/0")).await;
        assert!(r.body.contains("ส่งไปแล้ว"), "{}", r.body);
        assert!(
            !r.body.contains(" checked"),
            "nothing shown ticked after sending"
        );
        // The stored response keeps the day and the answers, nothing else.
        let round = app.current_round().await;
        let agency = app.agency_id("KK-HUANONG").await;
        assert_eq!(
            itas_store::surveys::response_ids(&app.db, &round, &agency)
                .await
                .unwrap()
                .len(),
            1
        );
    }
);

both_backends!(
    a_missing_answer_is_shown_beside_its_question_and_nothing_is_lost,
    |app| {
        crate::app::iit_without_codes(&app.db).await;
        let code = link(&app, "IIT").await;
        let mut phone = app.client();
        let r = phone
            .post_form(
                &format!("/s/{code}/q/0"),
                &[("i1.0", "4"), ("i1.1", "3"), ("i2.0", "2")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("กรุณาตอบข้อนี้ให้ครบทุกข้อย่อย"), "{}", r.body);
        assert!(
            r.body.contains("name=\"i1.0\" value=\"4\" checked"),
            "typed answers are kept"
        );
        assert!(r.body.contains("name=\"i2.0\" value=\"2\" checked"));
        // Every radio group has a fieldset (and so a name) of its own.
        let names: std::collections::BTreeSet<&str> = r
            .body
            .split("type=\"radio\" name=\"")
            .skip(1)
            .filter_map(|x| x.split('"').next())
            .collect();
        assert!(names.len() > 5);
        assert_eq!(
            r.body.matches("<fieldset").count(),
            names.len(),
            "one fieldset per radio group"
        );
        assert_eq!(
            r.body.matches("<legend").count(),
            names.len(),
            "each with its legend"
        );
        // The error is tied to its question, the banner links to it, and the
        // first unanswered part gets the focus without JavaScript.
        assert!(r.body.contains("aria-describedby=\"qe-i3\"") && r.body.contains("id=\"qe-i3\""));
        assert!(
            r.body.contains("href=\"#q-i3\"")
                && !r.body.contains("href=\"#q-i1\"")
                && !r.body.contains("href=\"#q-i2\"")
        );
        assert_eq!(r.body.matches(" autofocus").count(), 1);
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert_eq!(count(&app, "IIT").await, 0);
    }
);

both_backends!(a_dropped_connection_resumes_from_the_draft, |app| {
    let code = link(&app, "EIT").await;
    let mut phone = app.client();
    phone.get(&format!("/s/{code}/q/0")).await;
    let page0: Vec<(String, String)> = all_fields("EIT", |_, _, _| 1)
        .into_iter()
        .filter(|(k, _)| ["e1", "e2", "e3", "e4", "e5"].contains(&k.split('.').next().unwrap()))
        .collect();
    let f: Vec<(&str, &str)> = page0
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        phone.post_form(&format!("/s/{code}/q/0"), &f).await.status,
        StatusCode::SEE_OTHER
    );
    // The phone comes back later through the link.
    let r = phone.get(&format!("/s/{code}")).await;
    assert!(r.body.contains("ทำต่อจากที่ค้างไว้"), "{}", r.body);
    let r = phone.get(&format!("/s/{code}/q/0")).await;
    assert!(
        r.body.contains("name=\"e1.0\" value=\"2\" checked"),
        "saved answers come back"
    );
    // Submitting the last page before the middle one sends the respondent back to it.
    let last: Vec<(String, String)> = all_fields("EIT", |_, _, _| 1)
        .into_iter()
        .filter(|(k, _)| {
            ["e11", "e12", "e13", "e14", "e15"].contains(&k.split('.').next().unwrap())
        })
        .collect();
    let f: Vec<(&str, &str)> = last.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = phone.post_form(&format!("/s/{code}/q/2"), &f).await;
    assert_eq!(r.location(), format!("/s/{code}/q/1?unanswered=1"));
    assert_eq!(count(&app, "EIT").await, 0);
    // ... which says why it is there and marks what is missing.
    let r = phone.get(r.location()).await;
    assert!(
        r.body.contains("ยังส่งคำตอบไม่ได้ เพราะยังตอบไม่ครบ"),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"#q-e6\""), "{}", r.body);
    assert_eq!(r.body.matches(" autofocus").count(), 1);
    // The pages already answered show no such message.
    let r = phone.get(&format!("/s/{code}/q/0?unanswered=1")).await;
    assert!(!r.body.contains("ยังส่งคำตอบไม่ได้"), "{}", r.body);
});

/// Saves page `page` of the EIT, every cell on option `o`.
async fn save(phone: &mut Client<'_>, code: &str, page: usize, o: usize) {
    let r = crate::app::post_page(phone, "EIT", code, page, o).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// How many of `fields` page `page` shows ticked.
async fn ticked(
    phone: &mut Client<'_>,
    code: &str,
    page: usize,
    fields: &[(String, String)],
) -> usize {
    let r = phone.get(&format!("/s/{code}/q/{page}")).await;
    assert_eq!(r.status, StatusCode::OK);
    fields
        .iter()
        .filter(|(k, v)| {
            r.body
                .contains(&format!("name=\"{k}\" value=\"{v}\" checked"))
        })
        .count()
}

both_backends!(
    a_respondent_moving_between_servers_never_gets_a_stale_draft,
    |app| {
        // Two servers over one database, a phone's requests reaching either
        // (a round-robin load balancer). Each server keeps the drafts it saved.
        let a = &app;
        let b = app.another_server();
        let code = link(a, "EIT").await;
        let (first0, first1) = (page_fields("EIT", 0, 0), page_fields("EIT", 1, 0));
        let (second0, second1) = (page_fields("EIT", 0, 1), page_fields("EIT", 1, 1));
        assert!(first0.iter().zip(&second0).all(|(x, y)| x.1 != y.1));

        let mut phone = a.client();
        save(&mut phone, &code, 0, 0).await;
        assert_eq!(ticked(&mut phone, &code, 0, &first0).await, first0.len());
        // On B, which never saw this draft: read from the database.
        let mut phone = phone.on(&b);
        assert_eq!(ticked(&mut phone, &code, 0, &first0).await, first0.len());
        save(&mut phone, &code, 0, 1).await;
        save(&mut phone, &code, 1, 1).await;
        // Back on A, which kept its own (older) copy: B's answers, not A's.
        let mut phone = phone.on(a);
        assert_eq!(ticked(&mut phone, &code, 0, &second0).await, second0.len());
        assert_eq!(ticked(&mut phone, &code, 1, &second1).await, second1.len());
        save(&mut phone, &code, 1, 0).await;
        // And B's kept copy is as old now.
        let mut phone = phone.on(&b);
        assert_eq!(ticked(&mut phone, &code, 1, &first1).await, first1.len());
        assert_eq!(ticked(&mut phone, &code, 0, &second0).await, second0.len());

        // A cookie from before versions (the token alone) reads the database.
        let mut phone = phone.on(a);
        let cookie = phone.cookie("itas_draft").expect("draft cookie");
        let (token, version) = cookie.split_once('.').expect("token.version");
        assert_eq!((token.len(), version.len()), (64, 16));
        phone.set_cookie("itas_draft", token);
        assert_eq!(ticked(&mut phone, &code, 1, &first1).await, first1.len());

        // The server that saved a draft shows it from memory: with the
        // database's copy gone (housekeeping), A still has it, B has nothing.
        save(&mut phone, &code, 0, 0).await;
        itas_store::drafts::purge_before(&a.db, "9999-12-31")
            .await
            .unwrap();
        assert_eq!(ticked(&mut phone, &code, 0, &first0).await, first0.len());
        assert_eq!(ticked(&mut phone.on(&b), &code, 0, &first0).await, 0);

        // Sent on A: the kept copy goes with it, even for the old cookie.
        save(&mut phone, &code, 1, 0).await;
        let sent_with = phone.cookie("itas_draft").unwrap();
        save(&mut phone, &code, 2, 0).await;
        assert_eq!(count(a, "EIT").await, 1);
        assert!(phone.cookie("itas_draft").is_none(), "cleared on sending");
        phone.set_cookie("itas_draft", &sent_with);
        assert_eq!(ticked(&mut phone, &code, 0, &first0).await, 0);
    }
);

both_backends!(
    previous_keeps_every_tick_and_resume_opens_the_first_unanswered_page,
    |app| {
        crate::app::iit_without_codes(&app.db).await;
        let code = link(&app, "IIT").await;
        let fw = ita_2564();
        let pages = itas_core::survey::pages(&fw, "IIT");
        let fields = all_fields("IIT", |_, _, _| 1);
        let on_page = |n: u32| -> Vec<(&str, &str)> {
            fields
                .iter()
                .filter(|(k, _)| fw.item(k.split('.').next().unwrap()).unwrap().indicator == n)
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        };
        let mut phone = app.client();
        let r = phone
            .post_form(&format!("/s/{code}/q/0"), &on_page(pages[0]))
            .await;
        assert_eq!(r.location(), format!("/s/{code}/q/1"));
        // Page 1 half answered (one question with only some of its parts), then Previous.
        let page1 = on_page(pages[1]);
        let mut half: Vec<(&str, &str)> = page1[..page1.len() / 2].to_vec();
        half.push(("go", "back"));
        let r = phone.post_form(&format!("/s/{code}/q/1"), &half).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/s/{code}/q/0"));
        let r = phone.get(&format!("/s/{code}/q/0")).await;
        assert_eq!(r.body.matches(" checked").count(), on_page(pages[0]).len());
        let r = phone.get(&format!("/s/{code}/q/1")).await;
        for (field, value) in &half[..half.len() - 1] {
            assert!(
                r.body
                    .contains(&format!("name=\"{field}\" value=\"{value}\" checked")),
                "{field} kept after Previous"
            );
        }
        assert_eq!(r.body.matches(" checked").count(), half.len() - 1);
        // Back through the link later: resume opens page 1, the first not answered in full.
        let r = phone.get(&format!("/s/{code}")).await;
        assert!(
            r.body.contains(&format!("href=\"/s/{code}/q/1\"")),
            "{}",
            r.body
        );
        assert!(r.body.contains("ทำต่อจากที่ค้างไว้"));
        // Previous from the first page of an untouched visit stores nothing.
        let mut other = app.client();
        let r = other
            .post_form(&format!("/s/{code}/q/1"), &[("go", "back")])
            .await;
        assert_eq!(r.location(), format!("/s/{code}/q/0"));
        assert_eq!(
            itas_store::drafts::usage(&app.db, Some(&code))
                .await
                .unwrap()
                .0,
            1,
            "one draft: the first phone's"
        );
        // The header of a respondent's page leads nowhere else.
        assert!(!r.body.contains("/login"));
        let r = phone.get(&format!("/s/{code}/q/1")).await;
        assert!(!r.body.contains("href=\"/login\""), "{}", r.body);
        assert_eq!(count(&app, "IIT").await, 0);
    }
);

both_backends!(
    invalid_submissions_each_get_their_own_answer_and_store_nothing,
    |app| {
        let code = link(&app, "EIT").await;
        let mut c = app.client();
        let good = all_fields("EIT", |_, _, _| 2);
        // Missing item.
        let short: Vec<(String, String)> = good
            .iter()
            .filter(|(k, _)| !k.starts_with("e15."))
            .cloned()
            .collect();
        let r = submit_all(&mut c, &code, &sid(), &short, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("e15") && r.body.contains("กรุณาตอบข้อนี้ให้ครบ"),
            "{}",
            r.body
        );
        // Unknown option.
        let mut odd = good.clone();
        odd[0].1 = "7".into();
        let r = submit_all(&mut c, &code, &sid(), &odd, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("คำตอบไม่อยู่ในตัวเลือก"));
        // No submission id.
        let f: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = c.post_form(&format!("/s/{code}/submit"), &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Oversized body.
        let big = "x".repeat(200 * 1024);
        let mut huge = good.clone();
        huge.push(("padding".into(), big));
        let r = submit_all(&mut c, &code, &sid(), &huge, &[]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        // Said as the respondent's answers, not as a file upload.
        assert!(r.body.contains("คำตอบที่ส่งมามีขนาดใหญ่เกิน"), "{}", r.body);
        // Unknown link.
        let r = submit_all(&mut c, "nosuchlk", &sid(), &good, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // A rotated (expired) link.
        let round = app.current_round().await;
        // The agency replaces the link from its page.
        let mut agency_admin = app.signed_in("huanong").await;
        let r = agency_admin
            .post_form(&format!("/agency/rounds/{round}/links/EIT/rotate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = submit_all(&mut c, &code, &sid(), &good, &[]).await;
        assert_eq!(r.status, StatusCode::GONE);
        assert!(r.body.contains("หน่วยงานได้เปลี่ยนลิงก์แบบวัดนี้แล้ว"), "{}", r.body);
        assert_eq!(c.get(&format!("/s/{code}")).await.status, StatusCode::GONE);
        assert_eq!(count(&app, "EIT").await, 0, "nothing stored");
        // The new link works, and a retried POST with the same id is stored once.
        let fresh = link(&app, "EIT").await;
        let id = sid();
        for _ in 0..3 {
            let r = submit_all(&mut c, &fresh, &id, &good, &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert_eq!(r.location(), format!("/s/{fresh}/thanks"));
        }
        assert_eq!(count(&app, "EIT").await, 1);
    }
);

both_backends!(single_use_codes_allow_one_response_each, |app| {
    let mut admin = app.signed_in("huanong").await;
    let round = app.current_round().await;
    let r = admin
        .post_form(
            &format!("/agency/rounds/{round}/links/IIT/codes"),
            &[("count", "3"), ("format", "csv")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    let codes: Vec<String> = r
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 3);
    let r = admin
        .post_form(
            &format!("/agency/rounds/{round}/links/IIT/require-code"),
            &[("on", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let code = link(&app, "IIT").await;
    let mut phone = app.client();
    let r = phone.get(&format!("/s/{code}")).await;
    assert!(r.body.contains("name=\"access_code\""), "asks for a code");
    let r = phone
        .post_form(&format!("/s/{code}"), &[("access_code", "WRONG-CODE")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"WRONG-CODE\""), "typed code kept");
    // The cursor waits in the code field, the message read with it.
    let field = r.body.split("<input id=\"access_code\"").nth(1).unwrap();
    let field = field.split('>').next().unwrap();
    assert!(
        field.contains(" autofocus")
            && field.contains("aria-invalid=\"true\"")
            && field.contains("aria-describedby=\"access_code_error\""),
        "{field}"
    );
    assert!(r.body.contains("id=\"access_code_error\""));
    let answers = all_fields("IIT", |_, c, _| c);
    // Codes are read whatever their case and dashes.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let r = submit_all(
        &mut phone,
        &code,
        &sid(),
        &answers,
        &[("access_code", &typed)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = submit_all(
        &mut phone,
        &code,
        &sid(),
        &answers,
        &[("access_code", &codes[0])],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a used code is refused");
    assert!(r.body.contains("ถูกใช้ไปแล้ว"));
    let r = submit_all(&mut phone, &code, &sid(), &answers, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no code at all");
    assert_eq!(count(&app, "IIT").await, 1);
    let agency = app.agency_id("KK-HUANONG").await;
    assert_eq!(
        itas_store::surveys::access_code_counts(&app.db, &round, &agency, "IIT")
            .await
            .unwrap(),
        (3, 1)
    );
    // On page 1, a used code, an unknown one and a mistyped one get one
    // answer: the agency typing a slip's code learns nothing from the words.
    let mistyped = {
        let mut c: Vec<char> = codes[1].chars().collect();
        c[0] = if c[0] == 'A' { 'B' } else { 'A' };
        c.into_iter().collect::<String>()
    };
    let mut answers_to = Vec::new();
    for typed in [codes[0].as_str(), "ZZZZZ-ZZZZZ", mistyped.as_str()] {
        let mut fresh = app.client();
        let r = fresh
            .post_form(&format!("/s/{code}"), &[("access_code", typed)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        answers_to.push(r.body.replace(typed, ""));
    }
    assert!(
        answers_to.windows(2).all(|w| w[0] == w[1]),
        "used, unknown and mistyped codes answered alike"
    );
    // The printout says to hand the slips out by random draw.
    let r = admin
        .post_form(
            &format!("/agency/rounds/{round}/links/IIT/codes"),
            &[("count", "2"), ("format", "print")],
        )
        .await;
    assert!(r.body.contains("จับสลาก"), "{}", r.body);
});

both_backends!(
    the_agency_reads_counts_never_scores_while_answers_arrive,
    |app| {
        // The differencing attack of issue 30: the agency reads its page and
        // the links API before and after each single answer. A provisional
        // score read twice gives that one respondent's answers; so no reading
        // holds a score, only the count.
        let code = link(&app, "EIT").await;
        let mut c = app.client();
        let mut tallies = std::collections::BTreeMap::new();
        let round = app.current_round().await;
        let fw = itas_store::rounds::get(&app.db, &round)
            .await
            .unwrap()
            .unwrap()
            .framework()
            .unwrap();
        let mut agency = app.signed_in("huanong").await;
        let before = count(&app, "EIT").await;
        let mut readings = Vec::new();
        for k in 0..12usize {
            let fields = all_fields("EIT", |item, cell, n| (item.len() + cell + k) % n);
            for (key, v) in &fields {
                let (item, cell) = key.split_once('.').unwrap();
                let cell: usize = cell.parse().unwrap();
                let it = fw.item(item).unwrap();
                let itas_core::framework::ItemKind::Survey { scale, cells } = &it.kind else {
                    unreachable!()
                };
                let s = fw.scale(scale).unwrap();
                let t = tallies
                    .entry(item.to_string())
                    .or_insert_with(|| itas_core::ItemTally::new(cells.len(), s.options.len()));
                t.counts[cell][s.option_index(v).unwrap()] += 1;
            }
            let r = submit_all(&mut c, &code, &sid(), &fields, &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            let page = agency.get("/agency").await.body;
            let api = agency.get(&format!("/api/v1/rounds/{round}/links")).await;
            assert_eq!(api.status, StatusCode::OK);
            let api = api.json();
            let eit = api["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["tool"] == "EIT")
                .unwrap()
                .clone();
            assert_eq!(eit["responses"], before + k as i64 + 1, "the count moves");
            assert!(
                eit.get("tool_score").is_none() && eit.get("provisional").is_none(),
                "no score in the API: {eit}"
            );
            // The score these answers make, in the page's Thai digits and in
            // Arabic ones: in no reading.
            let expected = itas_core::scoring::score_available(
                &fw,
                &itas_core::Inputs {
                    tallies: tallies.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
            let score = expected.tools["EIT"].to_string();
            for shown in [itas_core::thai::thai_digits(&score), score.clone()] {
                assert!(!page.contains(&shown), "EIT {score} on the page after {k}");
            }
            assert!(!page.contains("ผลเบื้องต้น (ยังไม่ใช่ผลที่ประกาศ)"));
            assert!(page.contains("ไม่เห็นคะแนน"), "the page says why");
            readings.push(eit);
        }
        // Two readings differ by their count alone.
        for pair in readings.windows(2) {
            let mut a = pair[0].clone();
            let mut b = pair[1].clone();
            a["responses"] = 0.into();
            b["responses"] = 0.into();
            assert_eq!(a, b, "nothing but the count changes between readings");
        }
    }
);

both_backends!(the_agency_sees_its_links_qr_codes_and_poster, |app| {
    // Links exist from joining the round, before any page shows them.
    let (round, agency) = (app.current_round().await, app.agency_id("KK-HUANONG").await);
    for tool in ["IIT", "EIT"] {
        assert!(
            itas_store::surveys::active_link(&app.db, &round, &agency, tool)
                .await
                .unwrap()
                .is_some(),
            "{tool} link made at joining"
        );
    }
    let mut c = app.signed_in("huanong").await;
    let page = c.get("/agency").await.body;
    let code = link(&app, "IIT").await;
    assert!(
        page.contains(&format!("/s/{code}")) && page.contains("<svg"),
        "link and QR code"
    );
    assert!(
        page.contains("ผู้ตอบแล้ว ๐ · จำนวนผู้ตอบขั้นต่ำคำนวณได้เมื่อกรอกจำนวนประชากร"),
        "no population yet: says what is needed, never 'minimum 0'"
    );
    assert!(!page.contains("จำนวนผู้ตอบขั้นต่ำ ๐"));
    let round = app.current_round().await;
    let r = c
        .get(&format!("/agency/rounds/{round}/links/IIT/poster"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("องค์การบริหารส่วนตำบลหัวหนอง")
            && r.body.contains("<svg")
            && r.body.contains(&code)
    );
    // The IIT asks for a single-use code by default: its poster says so, on
    // the page and in the PDF; the EIT's (no codes) does not.
    assert!(
        r.body.contains("ต้องใช้รหัสใช้ครั้งเดียวที่ได้รับจากหน่วยงาน"),
        "{}",
        r.body
    );
    let eit = c
        .get(&format!("/agency/rounds/{round}/links/EIT/poster"))
        .await
        .body;
    assert!(!eit.contains("ต้องใช้รหัสใช้ครั้งเดียว"));
    let pdf = c
        .get(&format!("/agency/rounds/{round}/links/IIT/poster.pdf"))
        .await;
    let file = crate::cli_report::out_dir("poster")
        .join(format!("iit-{}-{round}.pdf", std::process::id()));
    std::fs::write(&file, &pdf.bytes).unwrap();
    let text = crate::cli_report::squash(&crate::cli_report::pdftotext(&file, false));
    // (pdftotext repeats a consonant carrying two stacked marks, as in
    // "ครั้ง"; the words around it are checked.)
    assert!(
        text.contains("ต้องใช้รหัสใช้ค") && text.contains("เดียวที่ได้รับจากหน่วยงาน"),
        "{text}"
    );
    let r = c
        .post_form(&format!("/agency/rounds/{round}/links/IIT/rotate"), &[])
        .await;
    assert!(r.body.contains("เปลี่ยนลิงก์แล้ว"));
    assert_ne!(link(&app, "IIT").await, code);
    // The central office sees who is behind.
    let mut admin = app.signed_in("admin").await;
    let r = admin.get(&format!("/admin/rounds/{round}")).await;
    assert!(r.body.contains("ต่ำกว่าขั้นต่ำ"), "{}", r.body);
});

#[tokio::test]
async fn a_flood_through_one_link_is_slowed_down() {
    let config = itas_web::Config {
        link_rate_per_minute: 3,
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let code = link(&app, "EIT").await;
    let mut c = app.client();
    let good = all_fields("EIT", |_, _, _| 0);
    for _ in 0..3 {
        assert_eq!(
            submit_all(&mut c, &code, &sid(), &good, &[]).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let r = submit_all(&mut c, &code, &sid(), &good, &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("คำตอบของท่านยังอยู่"));
    assert_eq!(count(&app, "EIT").await, 3);
    // Another agency's link is not affected.
    let round = app.current_round().await;
    let other = app.agency_id("KK-BANPHAI").await;
    let other_code = itas_store::surveys::ensure_link(&app.db, None, &round, &other, "EIT")
        .await
        .unwrap()
        .code;
    assert_eq!(
        submit_all(&mut c, &other_code, &sid(), &good, &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

both_backends!(after_collection_the_home_keeps_counts_not_posters, |app| {
    let round = app.current_round().await;
    let mut c = app.signed_in("huanong").await;
    let page = c.get("/agency").await.body;
    assert!(page.contains(&format!("/agency/rounds/{round}/links/IIT/poster.pdf")));
    // In the review, links, QR codes and posters no longer help anyone; the
    // counts still tell the agency where its sample stands.
    crate::oit::move_to(&app, &round, itas_core::directory::Phase::Review1).await;
    let page = c.get("/agency").await.body;
    assert!(
        !page.contains(&format!("/agency/rounds/{round}/links/IIT/poster")),
        "{page}"
    );
    assert!(!page.contains("<div class=\"qr\">"), "no QR code");
    assert!(!page.contains("ระหว่างเก็บข้อมูลหน่วยงานเห็นเฉพาะจำนวนผู้ตอบ"));
    assert!(page.contains("ผู้ตอบแล้ว"), "the counts stay");
});
