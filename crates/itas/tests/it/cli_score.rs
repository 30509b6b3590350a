//! `itas score`: the contract scripts depend on.

use crate::support::{itas, stderr, stdout};

const SEED: &str = "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,71.92,18.75";
/// 9.1 8/9, 9.2 2/8, 9.3 6/7, 9.4 4/4, 9.5 3/5 | 10.1 3/8, 10.2 0/2.
const SEED_PASS: &str = "o1,o2,o3,o4,o5,o6,o7,o8,o10,o11,o18,o19,o20,o21,o22,o23,o25,o26,o27,o28,o29,o30,o31,o34,o35,o36";

#[test]
fn seed_numbers_give_the_contract_json() {
    let o = itas(&[
        "score",
        "--framework",
        "ita-2564",
        "--indicators",
        SEED,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        r#"{"framework":"ita-2564","indicators":{"1":93.2,"2":81.25,"3":86.26,"4":80.48,"5":88.95,"6":80.06,"7":82.74,"8":77.72,"9":71.92,"10":18.75},"tools":{"IIT":86.03,"EIT":80.17,"OIT":45.34},"overall":68.0,"level":"C","level_th":"ปานกลาง","below_pass":[2,4,6,7,8,9,10]}"#
    );
}

#[test]
fn oit_pass_list_reproduces_71_92_and_18_75() {
    let o = itas(&[
        "score",
        "--indicators",
        "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,-,-",
        "--oit-pass",
        SEED_PASS,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["indicators"]["9"].to_string(), "71.92");
    assert_eq!(v["indicators"]["10"].to_string(), "18.75");
    assert_eq!(v["overall"].to_string(), "68.0");
    assert_eq!(v["level"], "C");
}

#[test]
fn target_plan_lists_items_ranked_by_gain() {
    let o = itas(&[
        "score",
        "--indicators",
        "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,-,-",
        "--oit-pass",
        SEED_PASS,
        "--target",
        "85",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let plan = &v["plan"];
    assert_eq!(plan["reachable"], true);
    assert_eq!(plan["steps"][0]["item"], "o42");
    assert_eq!(plan["steps"].as_array().unwrap().len(), 8);
    assert_eq!(plan["projected"].to_string(), "85.04");
}

#[test]
fn readable_thai_table_without_json() {
    let o = itas(&["score", "--indicators", SEED]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("คะแนนรวม ๖๘.๐๐  ระดับ C"), "{out}");
    assert!(out.contains("๘๖.๐๓") && out.contains("๘๐.๑๗") && out.contains("๔๕.๓๔"));
    assert!(out.contains("ตัวชี้วัดที่ต่ำกว่า ๘๕.๐๐ คะแนน: ๗ ตัวชี้วัด"));
}

#[track_caller]
fn bad_input(args: &[&str], message: &str) {
    let o = itas(args);
    assert_eq!(o.status.code(), Some(2), "exit code for {args:?}");
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains(message), "'{message}' in: {err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn bad_input_exits_2_with_one_line() {
    bad_input(
        &[
            "score",
            "--indicators",
            "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,71.92",
        ],
        "needs 10 values",
    );
    bad_input(
        &[
            "score",
            "--indicators",
            "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,71.92,100.5",
        ],
        "outside 0 to 100",
    );
    bad_input(
        &[
            "score",
            "--indicators",
            "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,71.92,abc",
        ],
        "not a number",
    );
    bad_input(
        &[
            "score",
            "--indicators",
            "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,-,-",
            "--oit-pass",
            "o1,o99",
        ],
        "unknown item code 'o99'",
    );
    bad_input(
        &[
            "score",
            "--indicators",
            "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,-,-",
            "--oit-pass",
            "i1",
        ],
        "not a checklist item",
    );
    bad_input(
        &[
            "score",
            "--indicators",
            "93.20,81.25,86.26,80.48,88.95,80.06,82.74,77.72,-,-",
        ],
        "no --oit-pass",
    );
    bad_input(
        &["score", "--framework", "ita-1999", "--indicators", SEED],
        "unknown framework 'ita-1999'",
    );
}

#[test]
fn another_framework_file_is_loaded_and_its_errors_name_file_and_line() {
    let dir = std::env::temp_dir().join(format!("itas-fw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("halves.toml");
    // The embedded framework with other weights is a different framework.
    let src = itas_core::framework::ITA_2564_SOURCE
        .replacen("code = \"ita-2564\"", "code = \"ministry-x\"", 1)
        .replacen("weight = 0.30", "weight = 0.25", 2)
        .replacen("weight = 0.40", "weight = 0.50", 1);
    std::fs::write(&good, &src).unwrap();
    let o = itas(&[
        "score",
        "--framework",
        good.to_str().unwrap(),
        "--indicators",
        SEED,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["framework"], "ministry-x");
    // 0.25·86.03 + 0.25·80.17 + 0.5·45.34 = 64.22
    assert_eq!(v["overall"].to_string(), "64.22");
    assert_eq!(v["level"], "D");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, src.replacen("weight = 0.50", "weight = 0.60", 1)).unwrap();
    let o = itas(&[
        "score",
        "--framework",
        bad.to_str().unwrap(),
        "--indicators",
        SEED,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml:") && err.contains("tool weights sum to 1.1 instead of 1"),
        "{err}"
    );

    // An item whose Thai text is blank would show respondents an empty question.
    let at = src.find("[[items]]").unwrap();
    let th = at + src[at..].find("\nth = \"").unwrap() + 1;
    let end = th + src[th..].find('\n').unwrap();
    let blank = dir.join("blank.toml");
    std::fs::write(&blank, format!("{}th = \" \"{}", &src[..th], &src[end..])).unwrap();
    let o = itas(&["framework", blank.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("blank.toml:") && err.contains("its Thai text (th) is empty"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn migrate_import_and_backup_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("itas-cli-db-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/itas.sqlite3", dir.display());
    let o = itas(&["migrate", "--database-url", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = dir.join("agencies.csv");
    std::fs::write(&csv, "code,name_th,kind\nA1,หน่วยงานหนึ่ง,sao\nA2,,sao\n").unwrap();
    let o = itas(&[
        "import-agencies",
        csv.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(1), "a refused row exits 1");
    assert!(
        stdout(&o).contains("1 agencies imported, 1 rows refused")
            && stdout(&o).contains("line 3:"),
        "{}",
        stdout(&o)
    );
    // The backup folder is created when missing.
    let copy = dir.join("backups").join("copy.sqlite3");
    let o = itas(&["backup", copy.to_str().unwrap(), "--database-url", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(copy.metadata().unwrap().len() > 0);
    let o = itas(&["backup", copy.to_str().unwrap(), "--database-url", &url]);
    assert_eq!(o.status.code(), Some(2), "never overwrites");
    assert!(stderr(&o).contains("refusing to overwrite"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_label_framework_adds_level_th_and_held_back_by() {
    let o = crate::support::itas(&[
        "score",
        "--framework",
        "ita-2569",
        "--indicators",
        "95.01,95.01,95.01,95.01,95.01,84.99,84.99,84.99,100,100",
        "--json",
    ]);
    assert!(o.status.success(), "{}", crate::support::stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&crate::support::stdout(&o)).unwrap();
    assert_eq!(v["overall"], 94.0);
    assert_eq!(v["level"], "pass");
    assert_eq!(v["level_th"], "ผ่าน");
    assert_eq!(v["held_back_by"], serde_json::json!(["EIT"]));
    let o = crate::support::itas(&[
        "score",
        "--framework",
        "ita-2569",
        "--indicators",
        "95.01,95.01,95.01,95.01,95.01,84.99,84.99,84.99,100,100",
    ]);
    let text = crate::support::stdout(&o);
    assert!(text.contains("ผลการประเมิน ผ่าน"), "{text}");
    assert!(
        text.contains("ยังไม่ได้ \"ผ่านดี\" เพราะ EIT ๘๔.๙๙ ต่ำกว่า ๘๕.๐๐"),
        "{text}"
    );
}

/// `itas score` under a label framework with the OIT decisions: every result
/// better than the agency's own, each with its way.
fn outlook(survey: &str, passed: usize) -> (serde_json::Value, String) {
    let indicators = format!("{}-,-", format!("{survey},").repeat(8));
    let pass: Vec<String> = (1..=passed).map(|n| format!("O{n}")).collect();
    let pass = pass.join(",");
    let args = [
        "score",
        "--framework",
        "ita-2568",
        "--indicators",
        &indicators,
        "--oit-pass",
        &pass,
    ];
    let o = crate::support::itas(&args);
    assert!(o.status.success(), "{}", crate::support::stderr(&o));
    let text = crate::support::stdout(&o);
    let o = crate::support::itas(&[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&crate::support::stdout(&o)).unwrap();
    (v, text)
}

fn ways(v: &serde_json::Value) -> Vec<String> {
    v["outlook"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                w["level"].as_str().unwrap(),
                w["way"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn below_seventy_the_planner_names_every_better_result() {
    let (v, text) = outlook("60", 5);
    assert_eq!(v["overall"], 41.0);
    assert_eq!(v["level_th"], "ต้องปรับปรุงโดยด่วน");
    assert_eq!(
        ways(&v),
        [
            "excellent blocked",
            "good blocked",
            "pass out_of_reach",
            "improve items"
        ]
    );
    assert_eq!(v["outlook"][2]["best"], 76.0);
    assert_eq!(v["outlook"][3]["items"].as_array().unwrap().len(), 15);
    assert!(text.contains("ทางไปสู่ผลการประเมินที่ดีขึ้น"), "{text}");
    assert!(
        text.contains("ผ่านดี: ผ่าน OIT เพิ่มอย่างเดียวไม่พอ ต้องยก IIT จาก ๖๐.๐๐ ให้ถึง ๘๕.๐๐ (อีก ๒๕.๐๐), EIT จาก ๖๐.๐๐ ให้ถึง ๘๕.๐๐ (อีก ๒๕.๐๐)"),
        "{text}"
    );
    assert!(
        text.contains("ผ่าน: แม้ผ่าน OIT ทุกข้อ คะแนนภาพรวมได้ ๗๖.๐๐ ต่ำกว่า ๘๕.๐๐ ที่ต้องได้ (ขาด ๙.๐๐) ต้องยกคะแนน IIT และ EIT"),
        "{text}"
    );
    assert!(
        text.contains("ต้องปรับปรุง: ผ่านข้อ OIT เพิ่มอย่างน้อย ๑๕ ข้อ"),
        "{text}"
    );
}

#[test]
fn between_seventy_and_eighty_five_the_planner_reaches_pass_with_oit() {
    let (v, text) = outlook("80", 22);
    assert_eq!(v["overall"], 74.67);
    assert_eq!(v["level_th"], "ต้องปรับปรุง");
    assert_eq!(
        ways(&v),
        ["excellent blocked", "good blocked", "pass items"]
    );
    assert_eq!(
        v["outlook"][2]["items"],
        serde_json::json!(["O23", "O24", "O25", "O26"])
    );
    assert!(
        text.contains("ผ่าน: ผ่านข้อ OIT เพิ่มอย่างน้อย ๔ ข้อ (O23, O24, O25, O26)"),
        "{text}"
    );
}

#[test]
fn above_eighty_five_the_planner_reaches_good_with_one_item() {
    let (v, text) = outlook("90", 24);
    assert_eq!(v["overall"], 87.33);
    assert_eq!(v["level_th"], "ผ่าน");
    assert_eq!(ways(&v), ["excellent blocked", "good items"]);
    assert_eq!(v["outlook"][0]["tools"][0]["floor"], 95.0);
    assert!(
        text.contains("ผ่านดี: ผ่านข้อ OIT เพิ่มอย่างน้อย ๑ ข้อ (O25)"),
        "{text}"
    );
    // Without the decisions the items are not known, and the planner says so.
    let o = crate::support::itas(&[
        "score",
        "--framework",
        "ita-2568",
        "--indicators",
        "90,90,90,90,90,90,90,90,100,66.67",
    ]);
    let text = crate::support::stdout(&o);
    assert!(
        text.contains("ผ่านดี: ข้อ OIT ที่ต้องผ่านเพิ่มจะบอกได้เมื่อทราบผลการตรวจ OIT รายข้อ"),
        "{text}"
    );
}

/// The years between the embedded 2564 and 2568: each with its own result rule.
#[test]
fn the_frameworks_of_2565_to_2567_give_each_years_result() {
    let score = |framework: &str, indicators: &str| -> serde_json::Value {
        let o = itas(&[
            "score",
            "--framework",
            framework,
            "--indicators",
            indicators,
            "--json",
        ]);
        assert!(o.status.success(), "{framework}: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let all = |x: &str| [x; 10].join(",");
    // 2565 ran the 2564 design: letters.
    let v = score("ita-2565", SEED);
    assert_eq!(
        (v["overall"].to_string().as_str(), &v["level"]),
        ("68.0", &serde_json::json!("C"))
    );
    assert_eq!(score("ita-2565", &all("90"))["level"], "A");
    // 2566: three bands, no tool floor.
    let v = score("ita-2566", &all("90"));
    assert_eq!(
        (&v["level"], &v["level_th"]),
        (&serde_json::json!("pass"), &serde_json::json!("ผ่าน"))
    );
    let v = score("ita-2566", &all("96"));
    assert_eq!(v["level_th"], "ผ่านดี");
    assert_eq!(score("ita-2566", &all("84.99"))["level_th"], "ไม่ผ่าน");
    // ... so an EIT below 85 does not hold a 2566 result back ...
    let low_eit = "100,100,100,100,100,84,84,84,100,100";
    let v = score("ita-2566", low_eit);
    assert_eq!(v["overall"].to_string(), "95.2");
    assert_eq!(v["level_th"], "ผ่านดี");
    // ... but from 2567 it does: ผ่านดีเยี่ยม and ผ่านดี need every tool at 95 and 85.
    let v = score("ita-2567", low_eit);
    assert_eq!(v["overall"].to_string(), "95.2");
    assert_eq!(v["level_th"], "ผ่าน");
    assert_eq!(v["held_back_by"], serde_json::json!(["EIT"]));
    assert_eq!(score("ita-2567", &all("96"))["level_th"], "ผ่านดีเยี่ยม");
}
