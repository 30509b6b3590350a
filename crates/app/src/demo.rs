//! The demo round: a Khon Kaen agency tree, users for every role, a closed
//! 2564 round holding the seed agency's published scores, and a current round
//! whose phases sit around today so every screen has something to show.

use crate::secrets as auth;
use itas_core::Score;
use itas_core::directory::{Phase, Role};
use itas_core::framework::{ITA_2564_SOURCE, ITA_2568_SOURCE, ITA_2569_SOURCE};
use itas_core::thai::FiscalYear;
use itas_store::agencies::NewAgency;
use itas_store::rounds::PhaseDates;
use itas_store::users::NewUser;
use itas_store::{Db, Result, StoreError};
use time::{Date, Duration};

pub const SEED_AGENCY: &str = "KK-HUANONG";

/// The seed agency's results of 2562 to 2567 as an import file: 2564 is the
/// seed's published result, the other years are demo figures. 2562 and 2563
/// name ita-2564, the design every year from 2562 to 2565 shared
/// (shared/ita/current-framework.md: weights and indicators).
pub const HUANONG_HISTORY: &str = include_str!("../../../demo/huanong-history.csv");

/// (code, Thai name, English name, kind, parent code, website)
type DemoAgency = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const AGENCIES: &[DemoAgency] = &[
    (
        "KK",
        "จังหวัดขอนแก่น",
        "Khon Kaen Province",
        "province",
        None,
        "https://khonkaen.example.go.th",
    ),
    (
        "KK-PAO",
        "องค์การบริหารส่วนจังหวัดขอนแก่น",
        "Khon Kaen PAO",
        "pao",
        Some("KK"),
        "https://kkpao.example.go.th",
    ),
    (
        "KK-CITY",
        "เทศบาลนครขอนแก่น",
        "Khon Kaen City Municipality",
        "city_municipality",
        Some("KK"),
        "https://kkcity.example.go.th",
    ),
    (
        "KK-BANPHAI",
        "เทศบาลเมืองบ้านไผ่",
        "Ban Phai Town Municipality",
        "town_municipality",
        Some("KK"),
        "https://banphai.example.go.th",
    ),
    (
        "KK-DONHAN",
        "เทศบาลตำบลดอนหัน",
        "Don Han Subdistrict Municipality",
        "subdistrict_municipality",
        Some("KK"),
        "https://donhan.example.go.th",
    ),
    (
        "KK-HUANONG",
        "องค์การบริหารส่วนตำบลหัวหนอง",
        "Hua Nong SAO",
        "sao",
        Some("KK"),
        "https://huanong.example.go.th",
    ),
    (
        "KK-NAIMUEANG",
        "องค์การบริหารส่วนตำบลในเมือง",
        "Nai Mueang SAO",
        "sao",
        Some("KK"),
        "https://naimueang.example.go.th",
    ),
];

/// The seed agency's published indicator scores, fiscal year 2564.
pub const SEED_SCORES: [i64; 10] = [9320, 8125, 8626, 8048, 8895, 8006, 8274, 7772, 7192, 1875];

/// (username, display name, role, agency code)
const USERS: &[(&str, &str, Role, Option<&str>)] = &[
    (
        "admin",
        "สำนักประเมินคุณธรรมและความโปร่งใส",
        Role::CentralAdmin,
        None,
    ),
    ("assessor1", "ผู้ประเมิน คนที่ ๑", Role::Assessor, None),
    ("assessor2", "ผู้ประเมิน คนที่ ๒", Role::Assessor, None),
    (
        "huanong",
        "ผู้ดูแลระบบ อบต.หัวหนอง",
        Role::AgencyAdmin,
        Some("KK-HUANONG"),
    ),
    (
        "banphai",
        "ผู้ดูแลระบบ เทศบาลเมืองบ้านไผ่",
        Role::AgencyAdmin,
        Some("KK-BANPHAI"),
    ),
];

fn d(y: i32, m: u8, day: u8) -> Date {
    Date::from_calendar_date(
        y,
        time::Month::try_from(m).unwrap_or(time::Month::January),
        day,
    )
    .unwrap_or(Date::MIN)
}

/// A calendar date as (year, month, day).
type Ymd = (i32, u8, u8);

/// A closed round's calendar: the seven phases in order, each from its
/// first to its last day.
fn calendar(days: [(Ymd, Ymd); 7]) -> Vec<PhaseDates> {
    Phase::ALL
        .iter()
        .zip(days)
        .map(|(phase, (s, e))| PhaseDates {
            phase: *phase,
            starts_on: d(s.0, s.1, s.2),
            ends_on: d(e.0, e.1, e.2),
        })
        .collect()
}

/// The 2564 calendar as the NACC ran it (shared/ita/methodology.md §4).
fn phases_2564() -> Vec<PhaseDates> {
    calendar([
        ((2021, 1, 4), (2021, 2, 28)),
        ((2021, 3, 1), (2021, 5, 31)),
        ((2021, 6, 1), (2021, 6, 19)),
        ((2021, 6, 20), (2021, 7, 4)),
        ((2021, 7, 5), (2021, 7, 31)),
        ((2021, 8, 1), (2021, 8, 26)),
        ((2021, 8, 27), (2021, 9, 30)),
    ])
}

/// The 2568 calendar as the NACC ran it (results published mid-August 2025).
fn phases_2568() -> Vec<PhaseDates> {
    calendar([
        ((2025, 1, 6), (2025, 2, 28)),
        ((2025, 3, 1), (2025, 5, 31)),
        ((2025, 6, 1), (2025, 6, 20)),
        ((2025, 6, 21), (2025, 7, 4)),
        ((2025, 7, 5), (2025, 7, 31)),
        ((2025, 8, 15), (2025, 9, 15)),
        ((2025, 9, 16), (2025, 9, 30)),
    ])
}

/// The seed agency's 2568 indicators (a demo, not published figures): IIT
/// 95.60, EIT 84.13, OIT 89.17 (19 of 20 and 5 of 6 items), overall 89.59:
/// ผ่าน, held back from ผ่านดี by the EIT.
const SEED_SCORES_2568: [i64; 10] = [9640, 9510, 9820, 9480, 9350, 8610, 8340, 8290, 9500, 8333];

/// A current round's calendar: collection open today, the rest after it.
fn phases_around(today: Date) -> Vec<PhaseDates> {
    let mut out = Vec::new();
    let mut start = today - Duration::days(30);
    for (phase, days) in [
        (Phase::Setup, 20),
        (Phase::Collection, 70),
        (Phase::Review1, 20),
        (Phase::Revision, 14),
        (Phase::Review2, 20),
        (Phase::Publication, 30),
        (Phase::FollowUp, 120),
    ] {
        let end = start + Duration::days(days - 1);
        out.push(PhaseDates {
            phase,
            starts_on: start,
            ends_on: end,
        });
        start = end + Duration::days(1);
    }
    out
}

/// OIT items of the seed agency that passed in 2564: counts per
/// sub-indicator 8/9, 2/8, 6/7, 4/4, 3/5 | 3/8, 0/2, which reproduce the
/// published 71.92 and 18.75. Which items within a sub-indicator is not
/// known; scores and the planner depend only on the counts.
const SEED_OIT_PASSED: &[&str] = &[
    "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o10", "o11", "o18", "o19", "o20", "o21",
    "o22", "o23", "o25", "o26", "o27", "o28", "o29", "o30", "o31", "o34", "o35", "o36",
];

/// The seed agency's closed OIT review, so its results page can plan which
/// items to pass next.
async fn seed_oit_review(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    assessor_id: &str,
) -> Result<()> {
    let fw = itas_core::framework::embedded("ita-2564").ok_or(StoreError::NotFound)?;
    itas_store::oit::submit(db, None, agency_id, round_id).await?;
    for item in fw.checklist_items() {
        let passed = SEED_OIT_PASSED.contains(&item.code.as_str());
        itas_store::oit::decide(
            db,
            assessor_id,
            agency_id,
            round_id,
            &item.code,
            itas_core::oit::Review::First,
            passed,
            (!passed).then_some(itas_core::oit::FailReason::Other),
            if passed {
                ""
            } else {
                "ผลจากระบบ ITAS ปี ๒๕๖๔ ไม่มีรายละเอียดเหตุผล"
            },
        )
        .await?;
    }
    Ok(())
}

/// Loads the demo (once) and sets every demo user's password.
/// Returns (username, role, password) for printing.
pub async fn load(
    db: &Db,
    password: Option<&str>,
    today: Date,
) -> Result<Vec<(String, Role, String)>> {
    if itas_store::agencies::by_code(db, SEED_AGENCY)
        .await?
        .is_none()
    {
        let rows = AGENCIES
            .iter()
            .enumerate()
            .map(|(i, (code, th, en, kind, parent, web))| {
                (
                    i + 1,
                    NewAgency {
                        code: code.to_string(),
                        name_th: th.to_string(),
                        name_en: en.to_string(),
                        kind: kind.to_string(),
                        province: "ขอนแก่น".into(),
                        parent_code: parent.map(str::to_string),
                        website: web.to_string(),
                    },
                )
            })
            .collect();
        let report = itas_store::agencies::import(db, None, rows).await?;
        if !report.errors.is_empty() {
            return Err(StoreError::Invalid(format!(
                "demo agencies: {:?}",
                report.errors
            )));
        }
        let ids = itas_store::rounds::all_agency_ids(db).await?;
        let closed =
            itas_store::rounds::create(db, None, "ITA 2564", None, ITA_2564_SOURCE, &phases_2564())
                .await?;
        itas_store::rounds::join(db, None, &closed.id, &ids).await?;
        // A closed 2568 round under the label rule: the seed agency's overall
        // is above 85 but its EIT is not, so it is ผ่าน, not ผ่านดี.
        let closed_2568 = itas_store::rounds::create(
            db,
            None,
            "ITA 2568",
            Some(2568),
            ITA_2568_SOURCE,
            &phases_2568(),
        )
        .await?;
        itas_store::rounds::join(db, None, &closed_2568.id, &ids).await?;
        // The current round runs on the newest framework and carries its
        // year, whatever today's fiscal year: so the 2568 round is the year
        // before it, and the 2568 page is what its O25/O26 ask for.
        let current_year = itas_core::framework::embedded("ita-2569")
            .map_or(FiscalYear::of(today).be(), |fw| fw.fiscal_year as i32);
        let current = itas_store::rounds::create(
            db,
            None,
            &format!("ITA {current_year} (สาธิต)"),
            Some(i64::from(current_year)),
            ITA_2569_SOURCE,
            &phases_around(today),
        )
        .await?;
        itas_store::rounds::join(db, None, &current.id, &ids).await?;
        // Sizes for the framework's EIT minimum table (อบต. S/M/L, เทศบาลตำบล S/M).
        let sizes = [
            ("KK-HUANONG", "M"),
            ("KK-NAIMUEANG", "S"),
            ("KK-DONHAN", "S"),
        ]
        .map(|(code, size)| (code.to_string(), size.to_string()));
        itas_store::rounds::set_sizes(db, None, &current.id, &sizes).await?;
        let seed = itas_store::agencies::by_code(db, SEED_AGENCY)
            .await?
            .ok_or(StoreError::NotFound)?;
        // Published results of the seed agency: the seed's own 2564 figures,
        // and a 2568 result held back by its EIT.
        for (round, published, staff) in [
            (&closed, &SEED_SCORES, 42),
            (&closed_2568, &SEED_SCORES_2568, 44),
        ] {
            let scores = published
                .iter()
                .enumerate()
                .map(|(i, h)| (i as u32 + 1, Score::from_hundredths(*h)))
                .collect();
            itas_store::rounds::set_indicator_scores(
                db,
                None,
                &round.id,
                &seed.id,
                &scores,
                "published",
            )
            .await?;
            itas_store::rounds::set_populations(db, None, &round.id, &seed.id, staff, 1200).await?;
            itas_store::rounds::publish(db, None, &round.id, itas_store::now_ms()).await?;
        }
        // The seed agency's earlier years, imported as the central office
        // would (the seed's own 2564 figures; every other year demo figures,
        // so marked in the file's note column).
        let history = crate::history::import_into(
            db,
            None,
            HUANONG_HISTORY.as_bytes().to_vec(),
            "huanong-history.csv",
        )
        .await
        .map_err(|e| StoreError::Invalid(format!("demo history: {e:?}")))?;
        if !history.problems.is_empty() {
            return Err(StoreError::Invalid(format!(
                "demo history: {:?}",
                history.problems
            )));
        }
        for (username, name, role, agency) in USERS {
            let agency_id = match agency {
                Some(code) => Some(
                    itas_store::agencies::by_code(db, code)
                        .await?
                        .ok_or(StoreError::NotFound)?
                        .id,
                ),
                None => None,
            };
            let hash = auth::hash_password(auth::random_token())
                .await
                .map_err(|e| StoreError::Invalid(format!("{e:?}")))?;
            let u = NewUser {
                username: username.to_string(),
                display_name: name.to_string(),
                password_hash: hash,
                role: *role,
                agency_id,
                // A reserved domain (RFC 2606): one-time links go nowhere
                // until the demo's users are given real addresses.
                email: Some(format!("{username}@itas.example")),
            };
            itas_store::users::create(db, None, &u).await?;
        }
        let assessor = itas_store::users::by_username(db, "assessor1")
            .await?
            .ok_or(StoreError::NotFound)?;
        seed_oit_review(db, &closed.id, &seed.id, &assessor.id).await?;
        for code in ["KK-HUANONG", "KK-BANPHAI"] {
            let a = itas_store::agencies::by_code(db, code)
                .await?
                .ok_or(StoreError::NotFound)?;
            for r in [&closed, &current] {
                itas_store::assignments::assign(db, None, &r.id, &a.id, &assessor.id).await?;
            }
        }
    }
    let mut out = Vec::new();
    for (username, _, role, _) in USERS {
        let pw = password.map_or_else(|| auth::random_password(12), str::to_string);
        let hash = auth::hash_password(pw.clone())
            .await
            .map_err(|e| StoreError::Invalid(format!("{e:?}")))?;
        let u = itas_store::users::by_username(db, username)
            .await?
            .ok_or(StoreError::NotFound)?;
        itas_store::users::set_password(db, None, &u.id, &hash).await?;
        out.push((username.to_string(), *role, pw));
    }
    Ok(out)
}

/// What `itas serve --demo` prints after its passwords: who is who, the
/// current round and its phase, and where the seed agency's survey links are.
pub async fn guide(db: &Db, base: &str, today: Date) -> Result<String> {
    let mut out = String::new();
    out.push_str("Who is who (ใครเป็นใคร):\n");
    for (username, name, role, agency) in USERS {
        let of = match agency {
            Some(code) => itas_store::agencies::by_code(db, code)
                .await?
                .map(|a| format!(" of {} ({code})", a.name_th))
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push_str(&format!(
            "  {username:<10} {name}, {}{of}\n",
            role.name_en()
        ));
    }
    let rounds = itas_store::rounds::list(db).await?;
    if let Some(current) = rounds.iter().find(|r| r.name.contains("สาธิต")) {
        let phases = itas_store::rounds::phases(db, &current.id).await?;
        let phase = match itas_store::rounds::state_on(&phases, today) {
            itas_store::rounds::RoundState::In(p) => {
                let until = phases
                    .iter()
                    .find(|x| x.phase == p)
                    .map(|x| format!(" until {}", x.ends_on))
                    .unwrap_or_default();
                format!("{} / {}{until}", p.name_th(), p.name_en())
            }
            other => format!("{other:?}"),
        };
        out.push_str(&format!(
            "Current round: {}, phase: {phase}\n",
            current.name
        ));
        if let Some(seed) = itas_store::agencies::by_code(db, SEED_AGENCY).await? {
            out.push_str(&format!("Survey links of {}:\n", seed.name_th));
            for tool in ["IIT", "EIT", "EIT.2"] {
                if let Some(l) =
                    itas_store::surveys::active_link(db, &current.id, &seed.id, tool).await?
                {
                    let note = if tool == "EIT.2" {
                        " (the EIT's part 2, the central office's own: sign in as admin, the round's page, \"parts\"; the agency never sees it)"
                    } else if itas_store::surveys::require_code(db, &current.id, &seed.id, tool)
                        .await?
                    {
                        " (asks for a single-use code: sign in as huanong and issue codes on its page)"
                    } else {
                        ""
                    };
                    out.push_str(&format!("  {tool}: {base}/s/{}{note}\n", l.code));
                }
            }
        }
    }
    out.push_str(&format!(
        "Next: open {base}/login and sign in as admin (central office) or huanong (agency).\n"
    ));
    Ok(out)
}

/// Whether the demo was loaded into this database before (a restart).
pub async fn is_loaded(db: &Db) -> Result<bool> {
    Ok(itas_store::agencies::by_code(db, SEED_AGENCY)
        .await?
        .is_some())
}

/// The seed agency's plans after its 2564 and 2568 results, each with its
/// first months of progress, published as its public ITA pages; the 2568
/// page (its analysis and the measures for fiscal year 2569) entered as the
/// evidence of the current round's items it serves (O25/O26 on ita-2569),
/// since that page names the years those items look for.
/// Done once, by `itas serve --demo`, where the pages' address (`base`) is known.
/// Returns the addresses of the 2564 page and of the evidence page.
pub async fn publish_seed_page(db: &Db, base: &str) -> Result<(String, String)> {
    let seed = itas_store::agencies::by_code(db, SEED_AGENCY)
        .await?
        .ok_or(StoreError::NotFound)?;
    let rounds = itas_store::rounds::list(db).await?;
    let round_named = |name: &str| {
        rounds
            .iter()
            .find(|r| r.name == name)
            .ok_or(StoreError::NotFound)
    };
    let url_of = |round: &itas_store::rounds::Round| {
        format!(
            "{}{}",
            base.trim_end_matches('/'),
            crate::public_pages::path_of(SEED_AGENCY, round.fiscal_year)
        )
    };
    let (r2564, r2568) = (round_named("ITA 2564")?, round_named("ITA 2568")?);
    let (seed_url, url) = (url_of(r2564), url_of(r2568));
    if itas_store::public_pages::get(db, &seed.id, &r2568.id)
        .await?
        .is_some()
    {
        return Ok((seed_url, url));
    }
    let admin = itas_store::users::by_username(db, "huanong")
        .await?
        .ok_or(StoreError::NotFound)?;
    let actor = Some(admin.id.as_str());
    // The first quarter of fiscal year 2565, as the agency reported it.
    let reports_2565 = [
        (
            "2021-10",
            10,
            "ประชุมชี้แจงผลการประเมินและมาตรการแก่บุคลากรทุกระดับ",
        ),
        ("2021-11", 30, "แต่งตั้งผู้รับผิดชอบและจัดทำแนวปฏิบัติ"),
        ("2021-12", 50, "ดำเนินการตามแนวปฏิบัติและรายงานผู้บริหาร"),
    ];
    // The first quarter of fiscal year 2569, demo figures.
    let reports_2569 = [
        (
            "2025-10",
            15,
            "ประชุมชี้แจงผลการประเมิน ITA ๒๕๖๘ และมาตรการเพื่อพัฒนาองค์กร",
        ),
        ("2025-11", 35, "มอบหมายผู้รับผิดชอบและเริ่มดำเนินการตามมาตรการ"),
        ("2025-12", 55, "รายงานความคืบหน้าต่อผู้บริหาร"),
    ];
    for (round, reports) in [(r2564, &reports_2565), (r2568, &reports_2569)] {
        publish_plan_page(db, actor, &seed.id, round, reports).await?;
    }
    // The current round's items that the page serves, if still empty.
    if let Some(current) = rounds.iter().find(|r| r.name.contains("สาธิต")) {
        let fw = current.framework()?;
        let evidence = itas_store::oit::evidence(db, &seed.id, &current.id).await?;
        let items: Vec<(String, String, String)> = fw
            .checklist_items()
            .filter(|i| {
                matches!(
                    i.kind,
                    itas_core::framework::ItemKind::Checklist {
                        itas_page: true,
                        ..
                    }
                ) && evidence
                    .get(&i.code)
                    .is_none_or(|e| e.urls.trim().is_empty())
            })
            .map(|i| {
                (
                    i.code.clone(),
                    url.clone(),
                    "หน้าเผยแพร่ผลการประเมิน การวิเคราะห์ มาตรการ และความคืบหน้าของหน่วยงานบน itas"
                        .to_string(),
                )
            })
            .collect();
        if !items.is_empty() {
            itas_store::oit::save_evidence(db, actor, &seed.id, &current.id, &items).await?;
        }
    }
    Ok((seed_url, url))
}

/// One round's plan, prefilled from the agency's result, its progress, and
/// its page published; a plan already there is kept.
async fn publish_plan_page(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    round: &itas_store::rounds::Round,
    reports: &[(&str, i64, &str)],
) -> Result<()> {
    use itas_store::plans;
    if itas_store::public_pages::get(db, agency_id, &round.id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    if plans::measures(db, agency_id, &round.id).await?.is_empty() {
        let fw = round.framework()?;
        let given = itas_store::rounds::indicator_scores(db, &round.id, agency_id).await?;
        let card = crate::published::scorecard(&fw, given).ok_or(StoreError::NotFound)?;
        let fields = crate::plans::prefilled(&fw, &card, round.fiscal_year);
        let ids = plans::add(db, actor, agency_id, &round.id, &fields).await?;
        for id in ids.iter().take(3) {
            for (month, percent, note) in reports {
                plans::record_progress(db, actor, agency_id, id, month, *percent, note).await?;
            }
        }
    }
    itas_store::public_pages::publish(db, actor, agency_id, &round.id, itas_store::now_ms())
        .await?;
    Ok(())
}
