//! The central office's work: agencies and their import, rounds, users, the audit log.

use crate::both_backends;
use axum::http::StatusCode;

both_backends!(import_lands_good_rows_and_reports_each_bad_one, |app| {
    let mut c = app.signed_in("admin").await;
    let csv = "code,name_th,name_en,kind,province,parent_code,website\n\
               KK-BANHAET,อำเภอบ้านแฮด,Ban Haet,department,ขอนแก่น,KK,\n\
               ,ไม่มีรหัส,,sao,ขอนแก่น,,\n\
               KK-X1,เทศบาลตำบลทดสอบ,,subdistrict_municipality,ขอนแก่น,NOPE,\n\
               KK-HUANONG,ซ้ำ,,sao,ขอนแก่น,,\n\
               KK-X2,องค์การบริหารส่วนตำบลทดสอบ,,องค์การบริหารส่วนตำบล,ขอนแก่น,KK-BANHAET,\n\
               KK-X3,หน่วยงานแปลก,,spaceport,ขอนแก่น,,\n";
    let r = c
        .post_file(
            "/admin/agencies/import",
            "file",
            "agencies.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("นำเข้าสำเร็จ: ๒"),
        "two good rows: {}",
        r.body
    );
    for (line, reason) in [
        (3, "รหัสหน่วยงานว่าง"),
        (4, "ไม่พบหน่วยงานต้นสังกัดรหัส &#39;NOPE&#39;"),
        (5, "ซ้ำ"),
        (7, "ไม่รู้จักประเภทหน่วยงาน"),
    ] {
        let row = format!("<td class=\"num\">{line}</td><td>");
        let at = r
            .body
            .find(&row)
            .unwrap_or_else(|| panic!("line {line} reported: {}", r.body));
        assert!(
            r.body[at..].split("</tr>").next().unwrap().contains(reason),
            "line {line}: {reason}"
        );
    }
    let x2 = itas_store::agencies::by_code(&app.db, "KK-X2")
        .await
        .unwrap()
        .expect("good row landed");
    let banhaet = itas_store::agencies::by_code(&app.db, "KK-BANHAET")
        .await
        .unwrap()
        .expect("good row landed");
    assert_eq!(
        x2.parent_id.as_deref(),
        Some(banhaet.id.as_str()),
        "a parent from the same file"
    );
    assert_eq!(x2.kind, "sao", "Thai kind names are read");
    assert!(
        itas_store::agencies::by_code(&app.db, "KK-X1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        itas_store::agencies::by_code(&app.db, "KK-X3")
            .await
            .unwrap()
            .is_none()
    );
    let huanong = itas_store::agencies::by_code(&app.db, "KK-HUANONG")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        huanong.name_th, "องค์การบริหารส่วนตำบลหัวหนอง",
        "a duplicate never overwrites"
    );
});

both_backends!(a_national_agency_list_saved_by_excel_imports_whole, |app| {
    let mut c = app.signed_in("admin").await;
    // 8,300 rows with every column, CRLF as Excel saves it, two of them bad.
    let mut csv = crate::app::national_agency_csv(8_300, "NAT");
    csv = csv
        .replace("NAT-04999,", ",")
        .replace("number 7998,sao,", "number 7998,spaceport,");
    assert!(csv.len() > 2_300_000, "{} bytes", csv.len());
    let r = c
        .post_file(
            "/admin/agencies/import",
            "file",
            "national.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.body[..r.body.len().min(2000)]
    );
    assert!(r.body.contains("นำเข้าสำเร็จ: ๘๒๙๘"), "{}", &r.body[..2000]);
    // Header is line 1, so row i is line i + 2: right on CRLF files too.
    for (line, reason) in [(5001, "รหัสหน่วยงานว่าง"), (8000, "ไม่รู้จักประเภทหน่วยงาน")]
    {
        let row = format!("<td class=\"num\">{line}</td><td>");
        let at = r
            .body
            .find(&row)
            .unwrap_or_else(|| panic!("line {line} reported"));
        assert!(r.body[at..].split("</tr>").next().unwrap().contains(reason));
    }
    assert!(
        itas_store::agencies::by_code(&app.db, "NAT-08299")
            .await
            .unwrap()
            .is_some()
    );
    // Past the limit: the user's language and the limit itself, as a page.
    let big = vec![b'x'; 9 * 1024 * 1024];
    let r = c
        .post_file("/admin/agencies/import", "file", "huge.csv", &big)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        r.headers
    );
    assert!(r.body.contains("ไม่เกิน 8 MB"), "{}", r.body);
});

both_backends!(import_refuses_a_file_without_the_needed_columns, |app| {
    let mut c = app.signed_in("admin").await;
    let r = c
        .post_file(
            "/admin/agencies/import",
            "file",
            "a.csv",
            b"code,province\nA,B\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("ไม่พบคอลัมน์ name_th, kind (แถวแรกต้องเป็นหัวตาราง)")
            && r.body.contains("missing column(s): name_th, kind"),
        "{}",
        r.body
    );
    // A CSV saved in the old Thai code page says how to save it instead.
    let r = c
        .post_file(
            "/admin/agencies/import",
            "file",
            "a.csv",
            b"code,name_th,kind\nA,\xa1\xa2,sao\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ไม่ใช่ข้อความ UTF-8"), "{}", r.body);
});

both_backends!(a_checked_framework_workbook_is_named_in_the_form, |app| {
    let mut c = app.signed_in("admin").await;
    let fw = itas_core::framework::embedded("ita-2568").unwrap();
    let book = itas_app::framework_xlsx::export(&fw).unwrap();
    let r = c
        .post_file("/admin/rounds/framework-file", "file", "fw.xlsx", &book)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ตรวจกรอบการประเมินแล้ว ถูกต้อง: ita-2568"));
    // The list shows what the form will use, not the first embedded framework.
    assert!(
        r.body
            .contains("<option value=\"\" selected>จากไฟล์หรือข้อความด้านล่าง: ita-2568</option>"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<option value=\"ita-2564\" selected>"));
    // A file that is no workbook is named so, in Thai, without the zip
    // reader's words.
    let r = c
        .post_file(
            "/admin/rounds/framework-file",
            "file",
            "fw.xlsx",
            b"not a workbook",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("ไฟล์นี้ไม่ใช่ไฟล์ Excel (XLSX) ที่อ่านได้"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("EOCD") && !r.body.contains("Zip"),
        "{}",
        r.body
    );
});

both_backends!(a_refused_agency_form_keeps_what_was_typed, |app| {
    let mut c = app.signed_in("admin").await;
    let r = c
        .post_form(
            "/admin/agencies",
            &[
                ("code", "KK-HUANONG"),
                ("name_th", "ชื่อที่พิมพ์ไว้"),
                ("kind", "sao"),
                ("province", "ขอนแก่น"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ซ้ำ"), "{}", r.body);
    assert!(r.body.contains("value=\"ชื่อที่พิมพ์ไว้\""), "typed name kept");
    // A name of 5,000 characters and a javascript: website are refused, the text kept.
    let long = "ก".repeat(5_000);
    for (name, website, why) in [
        (long.as_str(), "", "เกิน 300 ตัวอักษร"),
        (
            "อบต.ทดสอบ",
            "javascript:alert(1)",
            "ต้องเป็นที่อยู่ที่ขึ้นต้นด้วย https://",
        ),
    ] {
        let r = c
            .post_form(
                "/admin/agencies",
                &[
                    ("code", "KK-NEW1"),
                    ("name_th", name),
                    ("kind", "sao"),
                    ("website", website),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains(why),
            "{why}: {}",
            &r.body[..r.body.len().min(3000)]
        );
        assert!(r.body.contains("value=\"KK-NEW1\""), "typed code kept");
    }
    assert!(
        itas_store::agencies::by_code(&app.db, "KK-NEW1")
            .await
            .unwrap()
            .is_none()
    );
    let r = c.get("/admin/agencies?q=หัวหนอง").await;
    assert!(
        r.body.contains("KK-HUANONG") && !r.body.contains("KK-BANPHAI"),
        "Thai search"
    );
});

both_backends!(
    rounds_are_opened_with_phases_and_bad_dates_are_explained,
    |app| {
        let mut c = app.signed_in("admin").await;
        let r = c
            .post_form(
                "/admin/rounds",
                &[
                    ("name", "ITA กระทรวง 2570"),
                    ("framework", "ita-2564"),
                    ("fiscal_year", "๒๕๗๐"),
                    ("start_setup", "2027-01-10"),
                    ("end_setup", "2027-01-01"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("วันสิ้นสุดต้องไม่ก่อนวันเริ่ม"), "{}", r.body);
        assert!(
            r.body.contains("value=\"ITA กระทรวง 2570\"")
                && r.body.contains("value=\"2027-01-10\""),
            "typed values kept"
        );
        let r = c
            .post_form(
                "/admin/rounds",
                &[
                    ("name", "ITA กระทรวง 2570"),
                    ("framework", "ita-2564"),
                    ("fiscal_year", "๒๕๗๐"),
                    ("start_setup", "2027-01-01"),
                    ("end_setup", "2027-01-31"),
                    ("start_collection", "2027-02-01"),
                    ("end_collection", "2027-03-31"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let round = r
            .location()
            .trim_start_matches("/admin/rounds/")
            .to_string();
        let stored = itas_store::rounds::get(&app.db, &round)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.fiscal_year, 2570);
        assert_eq!(
            itas_store::rounds::phases(&app.db, &round)
                .await
                .unwrap()
                .len(),
            2
        );
        let r = c
            .post_form(
                &format!("/admin/rounds/{round}/participants"),
                &[("codes", "KK-HUANONG, KK-NOPE")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("KK-NOPE"));
        let r = c
            .post_form(
                &format!("/admin/rounds/{round}/participants"),
                &[("codes", "KK-HUANONG\nKK-BANPHAI")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            itas_store::rounds::participant_count(&app.db, &round)
                .await
                .unwrap(),
            2
        );
        let assessor = itas_store::users::by_username(&app.db, "assessor2")
            .await
            .unwrap()
            .unwrap();
        let r = c
            .post_form(
                &format!("/admin/rounds/{round}/assignments"),
                &[("assessor_id", &assessor.id), ("agency_code", "KK-CITY")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "KK-CITY is not in this round"
        );
        let r = c
            .post_form(
                &format!("/admin/rounds/{round}/assignments"),
                &[("assessor_id", &assessor.id), ("agency_code", "KK-BANPHAI")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let banphai = app.agency_id("KK-BANPHAI").await;
        assert!(
            itas_store::assignments::is_assigned(&app.db, &round, &banphai, &assessor.id)
                .await
                .unwrap()
        );
    }
);

both_backends!(a_round_from_a_broken_framework_file_names_the_line, |app| {
    let mut c = app.signed_in("admin").await;
    let toml = itas_core::framework::ITA_2564_SOURCE.replacen("weight = 0.40", "weight = 0.50", 1);
    let r = c
        .post_form(
            "/admin/rounds",
            &[("name", "bad"), ("framework_toml", &toml)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // In the admin's language, Thai, with the line where the problem is.
    assert!(
        r.body.contains("framework.toml บรรทัด ")
            && r.body.contains("น้ำหนักของเครื่องมือรวมกันได้ 1.1 แทนที่จะเป็น 1"),
        "{}",
        r.body
    );
});

both_backends!(
    users_are_created_with_roles_and_every_change_is_audited,
    |app| {
        let mut c = app.signed_in("admin").await;
        let r = c
            .post_form(
                "/admin/users",
                &[
                    ("username", "kk city"),
                    ("display_name", ""),
                    ("role", "agency_admin"),
                    ("agency_code", "KK-NOPE"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for msg in [
            "ใช้ได้เฉพาะตัวอักษรอังกฤษ",
            "กรุณากรอกชื่อที่แสดง",
            "ไม่พบรหัสหน่วยงานนี้",
            "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร",
        ] {
            assert!(r.body.contains(msg), "{msg}");
        }
        let r = c
            .post_form(
                "/admin/users",
                &[
                    ("username", "kkcity"),
                    ("display_name", "ผู้ดูแล เทศบาลนครขอนแก่น"),
                    ("role", "agency_admin"),
                    ("agency_code", "KK-CITY"),
                    ("password", "a-long-password-1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut city = app.client();
        let r = city
            .post_form(
                "/login",
                &[("username", "kkcity"), ("password", "a-long-password-1")],
            )
            .await;
        assert_eq!(r.location(), "/agency");
        assert!(city.get("/agency").await.body.contains("เทศบาลนครขอนแก่น"));
        let u = itas_store::users::by_username(&app.db, "kkcity")
            .await
            .unwrap()
            .unwrap();
        let log = itas_store::audit::recent(&app.db, Some(&u.id), 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "create");
        let admin = itas_store::users::by_username(&app.db, "admin")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(log[0].actor_id.as_deref(), Some(admin.id.as_str()));
        assert!(
            !log[0]
                .after_json
                .as_deref()
                .unwrap_or("")
                .contains("argon2"),
            "no password hash in the log"
        );
        let r = c.get("/admin/audit").await;
        assert!(
            r.body.contains("admin") && r.body.contains("user"),
            "audit page lists it"
        );
    }
);

both_backends!(
    agency_admin_enters_populations_and_sees_minimum_samples,
    |app| {
        let mut c = app.signed_in("huanong").await;
        let current = app.round_id("ITA 25").await;
        let rounds = itas_store::rounds::list(&app.db).await.unwrap();
        let current = rounds
            .iter()
            .find(|r| r.name.contains("สาธิต"))
            .map(|r| r.id.clone())
            .unwrap_or(current);
        let r = c
            .post_form(
                &format!("/agency/rounds/{current}/populations"),
                &[("iit_population", "สี่สิบ"), ("eit_population", "1500")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("กรุณากรอกจำนวนเต็ม"));
        let r = c
            .post_form(
                &format!("/agency/rounds/{current}/populations"),
                &[("iit_population", "๔๒"), ("eit_population", "1500")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // IIT: 10 % of 42 is 5, at least 30: 30. EIT: the framework's table
        // for a medium SAO (the demo's size) asks 40, not 10 % of 1500.
        assert!(
            r.body.contains("ต้องได้ผู้ตอบอย่างน้อย ๓๐") && r.body.contains("ต้องได้ผู้ตอบอย่างน้อย ๔๐"),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("เก็บข้อมูล IIT EIT"),
            "the current phase and what to do"
        );
    }
);

both_backends!(seed_agency_results_come_from_the_engine, |app| {
    let mut c = app.signed_in("huanong").await;
    let r = c.get("/agency").await;
    assert!(
        r.body.contains("๖๘.๐๐") && r.body.contains(">C<"),
        "{}",
        r.body
    );
    assert!(r.body.contains("๘๖.๐๓") && r.body.contains("๘๐.๑๗") && r.body.contains("๔๕.๓๔"));
    let round = app.round_id("ITA 2564").await;
    let agency = app.agency_id("KK-HUANONG").await;
    let r = c
        .get(&format!("/api/v1/rounds/{round}/agencies/{agency}/scores"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        r#"{"framework":"ita-2564","indicators":{"1":93.2,"2":81.25,"3":86.26,"4":80.48,"5":88.95,"6":80.06,"7":82.74,"8":77.72,"9":71.92,"10":18.75},"tools":{"IIT":86.03,"EIT":80.17,"OIT":45.34},"overall":68.0,"level":"C","level_th":"ปานกลาง","below_pass":[2,4,6,7,8,9,10],"below_minimum_sample":[]}"#
    );
});

both_backends!(api_score_is_the_cli_contract_and_errors_are_json, |app| {
    let mut c = app.client();
    let body = serde_json::json!({"indicators": {"1": 93.2, "2": "81.25", "3": 86.26, "4": 80.48, "5": 88.95, "6": 80.06, "7": 82.74, "8": 77.72}, "oit_pass": ["o1","o2","o3","o4","o5","o6","o7","o8","o10","o11","o18","o19","o20","o21","o22","o23","o25","o26","o27","o28","o29","o30","o31","o34","o35","o36"]});
    let r = c.post_json("/api/v1/score", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["overall"].to_string(), "68.0");
    assert_eq!(r.json()["indicators"]["10"].to_string(), "18.75");
    let r = c
        .post_json(
            "/api/v1/score",
            &serde_json::json!({"indicators": {"1": 101}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"], "invalid");
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("outside 0 to 100")
    );
    let r = c.get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "not_signed_in");
});

both_backends!(openapi_documents_every_api_route, |app| {
    let mut c = app.client();
    let r = c.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let documented: Vec<&String> = paths.keys().collect();
    assert_eq!(documented.len(), 31, "{documented:?}");
    // Every documented GET answers (not 404/405) for a signed-in central
    // admin; the agency's own OIT checklist for its agency admin.
    let mut admin = app.signed_in("admin").await;
    let mut huanong = app.signed_in("huanong").await;
    let mut assessor = app.signed_in("assessor1").await;
    let round = app.round_id("ITA 2564").await;
    let agency = app.agency_id("KK-HUANONG").await;
    for p in documented {
        if paths[p].get("get").is_none() {
            continue;
        }
        let url = p
            .replace("{id}", &agency)
            .replace("{round}", &round)
            .replace("{agency}", &agency);
        let r = if p.ends_with("/agencies/{agency}/oit") {
            assessor.get(&url).await
        } else if p.ends_with("/oit") || p.ends_with("/links") {
            huanong.get(&url).await
        } else {
            admin.get(&url).await
        };
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.body);
    }
});

both_backends!(populations_are_locked_once_collection_is_over, |app| {
    let mut c = app.signed_in("huanong").await;
    let closed = app.round_id("ITA 2564").await;
    let r = c
        .post_form(
            &format!("/agency/rounds/{closed}/populations"),
            &[("iit_population", "50"), ("eit_population", "10")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("ขั้นตอนนี้ปิดแล้ว"));
    let agency = app.agency_id("KK-HUANONG").await;
    let p = itas_store::rounds::participation(&app.db, &closed, &agency)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.iit_population, p.eit_population),
        (42, 1200),
        "unchanged"
    );
});

both_backends!(xlsx_import_reports_rows_by_spreadsheet_line, |app| {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["รหัส", "ชื่อหน่วยงาน", "ประเภท", "จังหวัด", "รหัสต้นสังกัด"],
        [
            "KK-PHON",
            "เทศบาลเมืองพล",
            "town_municipality",
            "ขอนแก่น",
            "KK",
        ],
        ["KK-BAD", "", "sao", "ขอนแก่น", ""],
        ["KK-CHUM", "องค์การบริหารส่วนตำบลชุมแพ", "อบต", "ขอนแก่น", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let mut c = app.signed_in("admin").await;
    let r = c
        .post_file("/admin/agencies/import", "file", "agencies.xlsx", &bytes)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("นำเข้าสำเร็จ: ๑"), "{}", r.body);
    assert!(
        r.body
            .contains("<td class=\"num\">3</td><td>ชื่อหน่วยงานภาษาไทยว่าง"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("<td class=\"num\">4</td><td>ไม่รู้จักประเภทหน่วยงาน"),
        "{}",
        r.body
    );
    assert!(
        itas_store::agencies::by_code(&app.db, "KK-PHON")
            .await
            .unwrap()
            .is_some()
    );
});

both_backends!(a_framework_workbook_is_checked_used_and_downloaded, |app| {
    let mut admin = app.signed_in("admin").await;
    let fw = itas_core::framework::embedded("ita-2568").unwrap();
    // A broken workbook: every problem named by sheet, row and column.
    let mut sheets = itas_app::framework_xlsx::sheets_of(&fw);
    let tools = sheets.iter_mut().find(|(n, _)| *n == "tools").unwrap();
    tools.1[1][2] = "0.9".into();
    let broken = itas_app::framework_xlsx::write_book(&sheets).unwrap();
    let r = admin
        .post_file(
            "/admin/rounds/framework-file",
            "file",
            "broken.xlsx",
            &broken,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(
            "แผ่นงาน tools แถว 2 / sheet tools, row 2: น้ำหนักของเครื่องมือรวมกันได้ 1.6 แทนที่จะเป็น 1 / tool weights sum to 1.6 instead of 1"
        ),
        "{}",
        r.body
    );
    // A good one: checked and put into the form.
    let good = itas_app::framework_xlsx::export(&fw).unwrap();
    let r = admin
        .post_file(
            "/admin/rounds/framework-file",
            "file",
            "ita-2568.xlsx",
            &good,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ตรวจกรอบการประเมินแล้ว ถูกต้อง: ita-2568"));
    let toml = r
        .body
        .split("name=\"framework_toml\" rows=\"4\">")
        .nth(1)
        .and_then(|s| s.split("</textarea>").next())
        .expect("the form holds the framework")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let r = admin
        .post_form(
            "/admin/rounds",
            &[
                ("name", "รอบจากไฟล์ Excel"),
                ("fiscal_year", "2568"),
                ("framework", "ita-2564"),
                ("framework_toml", &toml),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let round = app.round_id("รอบจากไฟล์ Excel").await;
    let stored = itas_store::rounds::get(&app.db, &round)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.framework().unwrap(),
        fw,
        "the round runs on the uploaded framework"
    );
    // The round's framework downloads as a workbook that reads back the same.
    let r = admin
        .get(&format!("/admin/rounds/{round}/framework.xlsx"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let back = itas_app::framework_xlsx::import(&r.bytes).unwrap();
    assert_eq!(itas_core::framework::parse("x.toml", &back).unwrap(), fw);
    let mut agency = app.signed_in("huanong").await;
    assert_eq!(
        agency
            .get(&format!("/admin/rounds/{round}/framework.xlsx"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
});

both_backends!(the_eit_minimum_follows_the_agency_group_and_size, |app| {
    let round = app.current_round().await;
    let mut admin = app.signed_in("admin").await;
    // The demo sets the seed SAO to size M: the table asks 40 EIT answers.
    let page = admin.get(&format!("/admin/rounds/{round}")).await;
    assert!(page.body.contains("Save sizes") || page.body.contains("บันทึกขนาด"));
    // Each date field shows its Buddhist-era date beside it, and each label names its phase.
    let be = page.body.matches("class=\"muted be-date\"").count();
    assert_eq!(be, 14, "start and end of the seven phases");
    assert!(page.body.contains("id=\"end_collection-be\">") || page.body.contains("-be\">"));
    assert!(
        page.body.contains(" ๒๕๖") || page.body.contains(" ๒๕๗"),
        "a B.E. year"
    );
    let mut agency = app.signed_in("huanong").await;
    let home = agency.get("/agency").await;
    assert!(
        home.body
            .contains("เกณฑ์ของ องค์การบริหารส่วนตำบล ขนาด M ๔๐ คน"),
        "{}",
        home.body
    );
    // A size the framework does not know, and an agency outside the round,
    // are refused by line, with the typed text kept.
    let typed = "agency_code,size\r\nKK-HUANONG,XL\r\nKK-NOPE,L\r\n";
    let r = admin
        .post_form(&format!("/admin/rounds/{round}/sizes"), &[("sizes", typed)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("บรรทัด 2: ขนาด &#39;XL&#39;"), "{}", r.body);
    // Both at once: the outsider is named beside the line's own problem.
    assert!(
        r.body.contains("บรรทัด 3: หน่วยงาน KK-NOPE ไม่อยู่ในรอบนี้"),
        "{}",
        r.body
    );
    assert!(r.body.contains("KK-NOPE,L"), "typed text kept");
    let r = admin
        .post_form(
            &format!("/admin/rounds/{round}/sizes"),
            &[("sizes", "KK-NOPE\tS")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("KK-NOPE"), "{}", r.body);
    // Pasted from a spreadsheet: tab between code and size.
    let r = admin
        .post_form(
            &format!("/admin/rounds/{round}/sizes"),
            &[("sizes", "KK-HUANONG\tl")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let huanong = app.agency_id("KK-HUANONG").await;
    let p = itas_store::rounds::participation(&app.db, &round, &huanong)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.size, "L");
    let home = agency.get("/agency").await;
    assert!(home.body.contains("ขนาด L ๕๐ คน"), "{}", home.body);
    // Cleared: the percentage rule, and the page says why.
    admin
        .post_form(
            &format!("/admin/rounds/{round}/sizes"),
            &[("sizes", "KK-HUANONG -")],
        )
        .await;
    let home = agency.get("/agency").await;
    assert!(
        home.body.contains("ยังไม่ได้กำหนดขนาดหน่วยงาน"),
        "{}",
        home.body
    );
    let audit = itas_store::audit::recent(&app.db, Some(&round), 50)
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "set_sizes"));
});
