//! Dashboards and exports: every figure equals a direct recomputation with
//! the engine from the same stored scores.

use crate::app::TestApp;
use crate::both_backends;
use axum::http::StatusCode;
use itas_core::scoring::{Inputs, score};
use itas_core::{Exact, Score, Scorecard};
use std::collections::BTreeMap;

/// Gives every participant of the closed round a complete, varied set of
/// scores (a small deterministic generator), keeping the seed agency's own.
async fn fill_round(app: &TestApp, round: &str) -> BTreeMap<String, Scorecard> {
    let fw = itas_store::rounds::get(&app.db, round)
        .await
        .unwrap()
        .unwrap()
        .framework()
        .unwrap();
    let mut x: i64 = 12345 + fw.fiscal_year as i64;
    let mut cards = BTreeMap::new();
    for p in itas_store::rounds::participants(&app.db, round)
        .await
        .unwrap()
    {
        let mut given = itas_store::rounds::indicator_scores(&app.db, round, &p.agency_id)
            .await
            .unwrap();
        if given.is_empty() {
            for i in &fw.indicators {
                x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
                given.insert(i.number, Score::from_hundredths(5_000 + x % 5_001));
            }
            itas_store::rounds::set_indicator_scores(
                &app.db,
                None,
                round,
                &p.agency_id,
                &given,
                "test",
            )
            .await
            .unwrap();
        }
        let card = score(
            &fw,
            &Inputs {
                given,
                ..Default::default()
            },
        )
        .unwrap();
        cards.insert(p.code, card);
    }
    cards
}

fn th(s: impl ToString) -> String {
    itas_core::thai::thai_digits(&s.to_string())
}

both_backends!(dashboard_figures_equal_a_direct_recomputation, |app| {
    let round = app.round_id("ITA 2564").await;
    let cards = fill_round(&app, &round).await;
    assert!(cards.len() >= 5, "the demo round has several agencies");
    let n = cards.len() as i128;
    let sum: i128 = cards
        .values()
        .map(|c| i128::from(c.overall.hundredths()))
        .sum();
    let average = Score::round_half_up(Exact::new(sum, 100 * n));
    let at_85 = cards
        .values()
        .filter(|c| c.overall >= Score::from_hundredths(8_500))
        .count();
    let share = Score::round_half_up(Exact::new(100 * at_85 as i128, n));

    let mut anon = app.client();
    let r = anon.get(&format!("/results/{round}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let total_row = r
        .body
        .split("<tr class=\"total\">")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .expect("overview row");
    let cells: Vec<&str> = total_row
        .split("<td class=\"num")
        .skip(1)
        .map(|c| c.split('>').nth(1).unwrap_or("").trim_end_matches("</td"))
        .collect();
    assert_eq!(cells[0], th(cards.len()), "agencies");
    assert_eq!(cells[1], th(average), "average");
    assert_eq!(cells[2], th(share), "share at 85");
    for (k, level) in ["AA", "A", "B", "C", "D", "E", "F"].iter().enumerate() {
        let count = cards.values().filter(|c| c.level == *level).count();
        assert_eq!(cells[3 + k], th(count), "level {level}");
    }
    // Every agency links to its results; the seed agency's page agrees.
    assert!(r.body.contains("องค์การบริหารส่วนตำบลหัวหนอง"));
    let huanong = app.agency_id("KK-HUANONG").await;
    assert!(
        r.body
            .contains(&format!("/agencies/{huanong}/results/{round}"))
    );
    for by in ["province", "parent", "kind"] {
        let r = anon
            .get(&format!("/results/{round}?by={by}&sort=name&dir=asc"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }

    // CSV: one line per agency, numbers equal the engine's.
    let r = anon.get(&format!("/results/{round}/results.csv")).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), cards.len());
    for l in lines {
        let cols: Vec<&str> = l.split(',').collect();
        let card = &cards[cols[0]];
        assert_eq!(cols[cols.len() - 4], card.overall.to_string(), "{l}");
        assert_eq!(cols[cols.len() - 3], card.level, "{l}");
        // Codes have their Thai names beside them.
        assert_eq!(cols[cols.len() - 2], card.level_th, "{l}");
        let kind: itas_core::directory::AgencyKind = cols[2].parse().unwrap();
        assert_eq!(cols[3], kind.name_th(), "{l}");
        // Entered scores: no sample to mark them by.
        assert_eq!(cols[cols.len() - 1], "", "{l}");
    }

    // XLSX opens and holds the same overall scores.
    let r = anon.get(&format!("/results/{round}/results.xlsx")).await;
    assert_eq!(r.status, StatusCode::OK);
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.bytes.clone())).expect("xlsx");
    let sheet = book.worksheet_range("ITA").expect("sheet");
    let head: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let at = head.iter().position(|h| h == "คะแนนรวม (overall)").unwrap();
    assert_eq!(
        head.last().unwrap(),
        "ผู้ตอบน้อยกว่าขั้นต่ำ (below minimum sample)"
    );
    let mut rows = 0;
    for row in sheet.rows().skip(1) {
        let code = row[0].to_string();
        let overall = row[at].to_string();
        let expected = cards[&code].overall.to_string();
        assert_eq!(
            format!("{:.2}", overall.parse::<f64>().unwrap()),
            expected,
            "{code}"
        );
        rows += 1;
    }
    assert_eq!(rows, cards.len());

    // Open data: framework plus per-indicator results.
    let r = anon.get(&format!("/results/{round}/open-data.json")).await;
    let v = r.json();
    assert_eq!(v["framework"]["code"], "ita-2564");
    assert_eq!(v["agencies"].as_array().unwrap().len(), cards.len());
    let seed = v["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "KK-HUANONG")
        .unwrap();
    assert_eq!(seed["overall"].to_string(), "68.0");
    assert_eq!(seed["indicators"]["10"].to_string(), "18.75");
});

both_backends!(an_unpublished_round_is_for_the_central_office_only, |app| {
    let current = app.current_round().await;
    let mut anon = app.client();
    assert_eq!(
        anon.get(&format!("/results/{current}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anon.get(&format!("/results/{current}/results.csv"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let listing = anon.get("/results").await.body;
    assert!(!listing.contains(&current));
    let mut admin = app.signed_in("admin").await;
    assert_eq!(
        admin.get(&format!("/results/{current}")).await.status,
        StatusCode::OK
    );
    assert!(admin.get("/results").await.body.contains(&current));
    let mut agency = app.signed_in("huanong").await;
    assert_eq!(
        agency.get(&format!("/results/{current}")).await.status,
        StatusCode::NOT_FOUND
    );
});

both_backends!(
    a_dashboard_compares_with_the_previous_round_across_frameworks,
    |app| {
        let r64 = app.round_id("ITA 2564").await;
        let r68 = app.round_id("ITA 2568").await;
        let before = fill_round(&app, &r64).await;
        let now = fill_round(&app, &r68).await;
        let common: Vec<&String> = now.keys().filter(|k| before.contains_key(*k)).collect();
        assert!(common.len() >= 5);
        let n = common.len() as i128;
        let mean = |cards: &BTreeMap<String, Scorecard>, f: &dyn Fn(&Scorecard) -> i64| {
            let sum: i128 = common.iter().map(|k| i128::from(f(&cards[*k]))).sum();
            Score::round_half_up(Exact::new(sum, 100 * n))
        };
        let overall = |c: &Scorecard| c.overall.hundredths();
        let eit = |c: &Scorecard| c.tools["EIT"].hundredths();
        let r = app.client().get(&format!("/results/{r68}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let section = r
            .body
            .split("<h2>เทียบกับ")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .expect("a comparison section");
        assert!(section.contains("ITA 2564"), "{section}");
        assert!(section.contains(&format!("ทั้งสองรอบ: {}", th(common.len()))));
        assert!(section.contains("ใช้เกณฑ์ผลการประเมินต่างกัน"));
        let row = |name: &str| {
            section
                .split(&format!("<th>{name}</th>"))
                .nth(1)
                .and_then(|s| s.split("</tr>").next())
                .unwrap_or_else(|| panic!("row {name} in {section}"))
                .to_string()
        };
        let o = row("คะแนนเฉลี่ยภาพรวม");
        assert!(o.contains(&th(mean(&before, &overall))), "{o}");
        assert!(o.contains(&th(mean(&now, &overall))), "{o}");
        let e = row("คะแนนเฉลี่ย EIT");
        assert!(e.contains(&th(mean(&before, &eit))) && e.contains(&th(mean(&now, &eit))));
        // Transitions: a letter per row, a label per column, counts from the cards.
        let aa_to_pass = common
            .iter()
            .filter(|k| before[**k].level == "A" && now[**k].level == "pass")
            .count();
        let a_row = row("A");
        let cells: Vec<&str> = a_row
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.trim_end_matches("</td>"))
            .collect();
        assert_eq!(cells.len(), 5, "five labels: {a_row}");
        assert_eq!(cells[2], th(aa_to_pass), "A → ผ่าน: {a_row}");
        assert!(section.contains("<th class=\"num\">ผ่านดีเยี่ยม</th>"));
        // Held back by a tool below a floor: counted per tool.
        let held: usize = now
            .values()
            .filter(|c| c.held_back_by.contains(&"EIT".to_string()))
            .count();
        assert!(held >= 1, "the demo's seed agency is held back by its EIT");
        assert!(
            r.body
                .contains(&format!("EIT <strong>{}</strong>", th(held))),
            "{}",
            r.body
        );
        // A round with no earlier published one has no comparison.
        let r = app.client().get(&format!("/results/{r64}")).await;
        assert!(!r.body.contains("<h2>เทียบกับ"));
    }
);

both_backends!(
    the_public_dashboard_is_kept_only_while_nothing_it_shows_changes,
    |app| {
        let r64 = app.round_id("ITA 2564").await;
        let path = format!("/results/{r64}");
        let mut anon = app.client();
        let first = anon.get(&path).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(!first.body.contains("๙๙.๙๙"), "no agency has 99.99 yet");
        // A score stored after the page was made shows on the next view.
        let agency = itas_store::rounds::participants(&app.db, &r64)
            .await
            .unwrap()
            .into_iter()
            .next()
            .expect("a participant")
            .agency_id;
        let fw = itas_store::rounds::get(&app.db, &r64)
            .await
            .unwrap()
            .unwrap()
            .framework()
            .unwrap();
        let top: BTreeMap<u32, Score> = fw
            .indicators
            .iter()
            .map(|i| (i.number, Score::from_hundredths(9_999)))
            .collect();
        itas_store::rounds::set_indicator_scores(&app.db, None, &r64, &agency, &top, "test")
            .await
            .unwrap();
        let again = anon.get(&path).await;
        assert!(again.body.contains("๙๙.๙๙"), "the new score is shown");
        // A reader in English gets English, not the Thai page kept for others.
        let mut english = app.client();
        english.get("/lang/en").await;
        let en = english.get(&path).await;
        assert!(en.body.contains("<html lang=\"en\">"), "{}", en.body);
        assert!(en.body.contains("99.99"));
        assert!(anon.get(&path).await.body.contains("<html lang=\"th\">"));
        // Withdrawn, the kept page is gone with it; published again, it is back.
        let mut admin = app.signed_in("admin").await;
        admin
            .post_form(&format!("/admin/rounds/{r64}/withdraw"), &[])
            .await;
        assert_eq!(anon.get(&path).await.status, StatusCode::NOT_FOUND);
        admin
            .post_form(&format!("/admin/rounds/{r64}/publish"), &[])
            .await;
        let back = anon.get(&path).await;
        assert_eq!(back.status, StatusCode::OK);
        assert!(back.body.contains("๙๙.๙๙"));
    }
);

both_backends!(
    dashboard_figures_as_json_equal_a_direct_recomputation,
    |app| {
        let round = app.round_id("ITA 2564").await;
        let cards = fill_round(&app, &round).await;
        let participants = itas_store::rounds::participants(&app.db, &round)
            .await
            .unwrap();
        let mean = |codes: &[&String]| {
            let sum: i128 = codes
                .iter()
                .map(|c| i128::from(cards[*c].overall.hundredths()))
                .sum();
            Score::round_half_up(Exact::new(sum, 100 * codes.len() as i128)).to_json_number()
        };
        let mut anon = app.client();
        let r = anon
            .get(&format!("/api/v1/rounds/{round}/dashboard?by=province"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        assert_eq!(j["round"]["id"], round.as_str());
        assert_eq!(j["participants"], participants.len());
        let all: Vec<&String> = cards.keys().collect();
        assert_eq!(j["all"]["agencies"], cards.len());
        assert_eq!(j["all"]["average"].to_string(), mean(&all));
        let aa = cards.values().filter(|c| c.level == "AA").count();
        assert_eq!(j["all"]["levels"][0]["code"], "AA");
        assert_eq!(j["all"]["levels"][0]["agencies"], aa);
        // Each province's group is the mean of its own agencies.
        let groups = j["groups"].as_array().unwrap();
        let mut seen = 0;
        for g in groups {
            let province = g["key"].as_str().unwrap();
            let members: Vec<&String> = participants
                .iter()
                .filter(|p| p.province == province && cards.contains_key(&p.code))
                .map(|p| &p.code)
                .collect();
            assert_eq!(g["agencies"], members.len(), "{province}");
            assert_eq!(g["average"].to_string(), mean(&members), "{province}");
            seen += members.len();
        }
        assert_eq!(seen, cards.len(), "every agency in one group");
        // One province alone, grouped by kind; the IIT mean over its agencies.
        let province = groups[0]["key"].as_str().unwrap().to_string();
        let one = anon
            .get(&format!(
                "/api/v1/rounds/{round}/dashboard?by=kind&province={}",
                itas_web::overview::url_encode(&province)
            ))
            .await
            .json();
        assert_eq!(one["province"], province.as_str());
        assert_eq!(one["all"]["agencies"], groups[0]["agencies"]);
        let theirs: Vec<&String> = participants
            .iter()
            .filter(|p| p.province == province && cards.contains_key(&p.code))
            .map(|p| &p.code)
            .collect();
        let iit: i128 = theirs
            .iter()
            .map(|c| i128::from(cards[*c].tools["IIT"].hundredths()))
            .sum();
        let iit = Score::round_half_up(Exact::new(iit, 100 * theirs.len() as i128));
        assert_eq!(one["tools"][0]["code"], "IIT");
        assert_eq!(one["tools"][0]["mean"].to_string(), iit.to_json_number());
        // What the page refuses, the API refuses in JSON.
        let bad = anon
            .get(&format!("/api/v1/rounds/{round}/dashboard?by=colour"))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json()["error"], "invalid");
        // An unpublished round: not found for the public, figures for the office.
        let current = app.current_round().await;
        let path = format!("/api/v1/rounds/{current}/dashboard");
        let hidden = anon.get(&path).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(hidden.json()["error"], "not_found");
        let mut admin = app.signed_in("admin").await;
        assert_eq!(admin.get(&path).await.status, StatusCode::OK);
        // A refused token is told so, not served the public's view.
        let mut stranger = app.client();
        stranger
            .extra_headers
            .push(("authorization".into(), "Bearer itas_nope".into()));
        let refused = stranger
            .get(&format!("/api/v1/rounds/{round}/dashboard"))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    }
);

both_backends!(a_rounds_results_page_through_the_api, |app| {
    let round = app.round_id("ITA 2564").await;
    let cards = fill_round(&app, &round).await;
    let mut anon = app.client();
    let mut offset = 0;
    let mut seen = Vec::new();
    loop {
        let r = anon
            .get(&format!(
                "/api/v1/rounds/{round}/results?limit=3&offset={offset}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        assert_eq!(j["total"], cards.len());
        let page = j["agencies"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        seen.extend(page);
        offset += 3;
    }
    // Every agency once, in code order, with the engine's scores.
    let codes: Vec<&str> = seen.iter().map(|a| a["code"].as_str().unwrap()).collect();
    let want: Vec<&str> = cards.keys().map(String::as_str).collect();
    assert_eq!(codes, want);
    for a in &seen {
        let card = &cards[a["code"].as_str().unwrap()];
        assert_eq!(a["overall"].to_string(), card.overall.to_json_number());
        assert_eq!(a["level"], card.level.as_str());
        assert_eq!(
            a["indicators"]["10"].to_string(),
            card.indicators[&10].to_json_number()
        );
    }
    let bad = anon
        .get(&format!("/api/v1/rounds/{round}/results?limit=0"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let current = app.current_round().await;
    let hidden = anon.get(&format!("/api/v1/rounds/{current}/results")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
});
