//! A generated national round: agencies in a real tree (77 provinces, kinds in
//! the proportions of the national population, Thai names), populations and
//! sizes, IIT/EIT answers written through the live response writer, and OIT
//! submissions with final review decisions for every checklist item.
//!
//! `itas bench round` measures the central office's work on it; the tests
//! use a small one to prove the set-based paths equal the per-agency ones.

use itas_core::framework::Framework;
use itas_core::oit::{FailReason, Review};
use itas_core::quality::SpeedBucket;
use itas_store::Db;
use itas_store::ingest::{Ingestor, Submission};
use itas_store::oit::ReviewRow;
use itas_store::rounds::{PhaseDates, Round};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const PROVINCES: [&str; 77] = [
    "กรุงเทพมหานคร",
    "กระบี่",
    "กาญจนบุรี",
    "กาฬสินธุ์",
    "กำแพงเพชร",
    "ขอนแก่น",
    "จันทบุรี",
    "ฉะเชิงเทรา",
    "ชลบุรี",
    "ชัยนาท",
    "ชัยภูมิ",
    "ชุมพร",
    "เชียงราย",
    "เชียงใหม่",
    "ตรัง",
    "ตราด",
    "ตาก",
    "นครนายก",
    "นครปฐม",
    "นครพนม",
    "นครราชสีมา",
    "นครศรีธรรมราช",
    "นครสวรรค์",
    "นนทบุรี",
    "นราธิวาส",
    "น่าน",
    "บึงกาฬ",
    "บุรีรัมย์",
    "ปทุมธานี",
    "ประจวบคีรีขันธ์",
    "ปราจีนบุรี",
    "ปัตตานี",
    "พระนครศรีอยุธยา",
    "พะเยา",
    "พังงา",
    "พัทลุง",
    "พิจิตร",
    "พิษณุโลก",
    "เพชรบุรี",
    "เพชรบูรณ์",
    "แพร่",
    "ภูเก็ต",
    "มหาสารคาม",
    "มุกดาหาร",
    "แม่ฮ่องสอน",
    "ยโสธร",
    "ยะลา",
    "ร้อยเอ็ด",
    "ระนอง",
    "ระยอง",
    "ราชบุรี",
    "ลพบุรี",
    "ลำปาง",
    "ลำพูน",
    "เลย",
    "ศรีสะเกษ",
    "สกลนคร",
    "สงขลา",
    "สตูล",
    "สมุทรปราการ",
    "สมุทรสงคราม",
    "สมุทรสาคร",
    "สระแก้ว",
    "สระบุรี",
    "สิงห์บุรี",
    "สุโขทัย",
    "สุพรรณบุรี",
    "สุราษฎร์ธานี",
    "สุรินทร์",
    "หนองคาย",
    "หนองบัวลำภู",
    "อ่างทอง",
    "อำนาจเจริญ",
    "อุดรธานี",
    "อุตรดิตถ์",
    "อุทัยธานี",
    "อุบลราชธานี",
];

/// Kinds in the proportions of a national ITA round (about 8,300 units):
/// (kind, units out of 8,300, IIT population, expected answers per unit).
const MIX: &[(&str, usize, i64, usize)] = &[
    ("province", 77, 500, 420),
    ("pao", 76, 300, 300),
    ("city_municipality", 30, 600, 420),
    ("town_municipality", 195, 180, 240),
    ("subdistrict_municipality", 2247, 70, 170),
    ("sao", 5300, 45, 140),
    ("ministry", 20, 1500, 600),
    ("department", 145, 1200, 560),
    ("state_enterprise", 52, 2000, 560),
    ("public_organization", 60, 300, 300),
    ("university", 83, 2500, 700),
    ("other", 15, 200, 200),
];

const PLACE_A: [&str; 16] = [
    "หนอง",
    "โนน",
    "ดอน",
    "นา",
    "ห้วย",
    "ท่า",
    "โคก",
    "วัง",
    "บึง",
    "บ้าน",
    "สระ",
    "คลอง",
    "บาง",
    "เขา",
    "ทุ่ง",
    "ป่า",
];
const PLACE_B: [&str; 24] = [
    "ใหญ่",
    "แก้ว",
    "ทอง",
    "คำ",
    "สูง",
    "งาม",
    "ไผ่",
    "เหนือ",
    "ใต้",
    "ศรี",
    "จาน",
    "บัว",
    "ขาม",
    "แดง",
    "หิน",
    "เค็ง",
    "โพธิ์",
    "กุง",
    "ยาง",
    "สะแก",
    "ตาล",
    "แค",
    "มะม่วง",
    "ตะเคียน",
];

/// A place name for the i-th unit of a kind ("หนองบัว", "ดอนแก้ว" …).
fn place(i: usize) -> String {
    let a = PLACE_A[i % PLACE_A.len()];
    let b = PLACE_B[(i / PLACE_A.len()) % PLACE_B.len()];
    let n = i / (PLACE_A.len() * PLACE_B.len());
    if n == 0 {
        format!("{a}{b}")
    } else {
        format!(
            "{a}{b} {}",
            itas_core::thai::thai_digits(&(n + 1).to_string())
        )
    }
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub agencies: usize,
    pub responses: usize,
    pub framework_source: &'static str,
    pub name: String,
    pub fiscal_year: i64,
    pub phases: Vec<PhaseDates>,
    pub seed: u64,
}

pub struct Built {
    pub round: Round,
    /// (agency id, kind), in code order.
    pub agencies: Vec<(String, String)>,
    pub responses: usize,
    pub decisions: usize,
}

/// What a long step reports: the step's name, done, total.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

fn rng(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Where a kind stands in MIX.
fn mix_index(kind: &str) -> usize {
    MIX.iter().position(|m| m.0 == kind).unwrap_or(0)
}

/// The units of each kind for `n` agencies, in MIX order; rounding leftovers
/// go to SAOs, the largest group.
fn kind_counts(n: usize) -> Vec<usize> {
    let total: usize = MIX.iter().map(|m| m.1).sum();
    let mut counts: Vec<usize> = MIX.iter().map(|m| m.1 * n / total).collect();
    // A tree needs a province to hang local government on, and a ministry
    // for central agencies.
    let province = mix_index("province");
    if n >= 2 && counts[province] == 0 {
        counts[province] = 1;
    }
    let ministry = mix_index("ministry");
    if n >= 3 && counts[ministry] == 0 {
        counts[ministry] = 1;
    }
    let sao = mix_index("sao");
    let sum: usize = counts.iter().sum();
    if sum < n {
        counts[sao] += n - sum;
    } else if sum > n {
        counts[sao] = counts[sao].saturating_sub(sum - n);
    }
    counts
}

pub async fn build(db: &Db, spec: &Spec, progress: Progress<'_>) -> Result<Built, String> {
    let e = |e: itas_store::StoreError| e.to_string();
    let round = itas_store::rounds::create(
        db,
        None,
        &spec.name,
        Some(spec.fiscal_year),
        spec.framework_source,
        &spec.phases,
    )
    .await
    .map_err(e)?;
    let fw = round.framework().map_err(e)?;
    let tag = &round.id[24..];

    // The tree: provinces, local government under them, ministries with
    // their departments and agencies.
    let counts = kind_counts(spec.agencies);
    let mut rows = Vec::new();
    let mut planned: Vec<(String, &'static str, i64, usize)> = Vec::new();
    let (has_provinces, has_ministries) = (
        counts[mix_index("province")] > 0,
        counts[mix_index("ministry")] > 0,
    );
    let provinces = counts[mix_index("province")].max(1);
    let ministries = counts[mix_index("ministry")].max(1);
    for (k, (kind, _, staff, answers)) in MIX.iter().enumerate() {
        let kind_th = kind
            .parse::<itas_core::directory::AgencyKind>()
            .map(|k| k.name_th())
            .unwrap_or("หน่วยงาน");
        for i in 0..counts[k] {
            let province = PROVINCES[i % PROVINCES.len()];
            let (name, parent, prov) = match *kind {
                "province" => (format!("จังหวัด{province}"), None, province.to_string()),
                "pao" => (
                    format!("{kind_th}{province}"),
                    Some(format!("S{tag}-province-{}", i % provinces)),
                    province.to_string(),
                ),
                "ministry"
                | "department"
                | "state_enterprise"
                | "public_organization"
                | "university"
                | "other" => (
                    format!("{kind_th}{}", place(i + k * 97)),
                    (*kind != "ministry").then(|| format!("S{tag}-ministry-{}", i % ministries)),
                    String::new(),
                ),
                _ => {
                    let p = i % provinces;
                    (
                        format!("{kind_th}{}", place(i)),
                        Some(format!("S{tag}-province-{p}")),
                        PROVINCES[p % PROVINCES.len()].to_string(),
                    )
                }
            };
            let code = format!("S{tag}-{kind}-{i}");
            planned.push((code.clone(), kind, *staff, *answers));
            rows.push((
                rows.len() + 1,
                itas_store::agencies::NewAgency {
                    code,
                    name_th: name,
                    kind: kind.to_string(),
                    province: prov,
                    parent_code: parent.filter(|p| {
                        if p.contains("-province-") {
                            has_provinces
                        } else {
                            has_ministries
                        }
                    }),
                    ..Default::default()
                },
            ));
        }
    }
    // Parents first: provinces and ministries are imported before the rest.
    rows.sort_by_key(|(_, a)| !matches!(a.kind.as_str(), "province" | "ministry"));
    let rows: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (_, a))| (i + 1, a))
        .collect();
    progress("agencies", 0, rows.len() as u64);
    let report = itas_store::agencies::import(db, None, rows)
        .await
        .map_err(e)?;
    if !report.errors.is_empty() {
        return Err(format!(
            "generated agencies refused: {:?}",
            &report.errors[..1]
        ));
    }
    let mut agencies = Vec::new();
    let mut ids = Vec::new();
    let (found, _) =
        itas_store::agencies::search(db, &format!("S{tag}-"), planned.len() as i64 + 1, 0)
            .await
            .map_err(e)?;
    let by_code: BTreeMap<String, String> = found.into_iter().map(|a| (a.code, a.id)).collect();
    for (code, kind, _, _) in &planned {
        let id = by_code.get(code).ok_or("generated agency missing")?;
        agencies.push((id.clone(), kind.to_string()));
        ids.push(id.clone());
    }
    itas_store::rounds::join(db, None, &round.id, &ids)
        .await
        .map_err(e)?;
    progress("agencies", ids.len() as u64, ids.len() as u64);

    // Answers per agency, scaled to the total asked for; IIT about 60 %.
    let expected: usize = planned.iter().map(|p| p.3).sum::<usize>().max(1);
    let mut x = spec.seed | 1;
    let mut plan: Vec<(usize, usize)> = Vec::new(); // (iit, eit) per agency
    for (k, (_, _, staff, answers)) in planned.iter().enumerate() {
        let n = (answers * spec.responses).div_ceil(expected).max(12);
        let iit = (n * 6 / 10).min(*staff as usize).max(6);
        plan.push((iit, n - iit.min(n)));
        itas_store::rounds::set_populations(
            db,
            None,
            &round.id,
            &ids[k],
            (*staff).max(iit as i64),
            1000 + (rng(&mut x) % 4000) as i64,
        )
        .await
        .map_err(e)?;
    }
    let sizes: Vec<(String, String)> = planned
        .iter()
        .filter(|p| matches!(p.1, "sao" | "subdistrict_municipality"))
        .map(|p| {
            let size = ["S", "M", "L"][(rng(&mut x) % 3) as usize];
            let size = if p.1 == "sao" || size != "L" {
                size
            } else {
                "M"
            };
            (p.0.clone(), size.to_string())
        })
        .collect();
    if !fw.sizes().is_empty() {
        itas_store::rounds::set_sizes(db, None, &round.id, &sizes)
            .await
            .map_err(e)?;
    }
    let responses = write_answers(db, &round, &fw, &ids, &plan, spec.seed, progress).await?;

    // OIT: most agencies submit; the first review passes most items, the
    // second passes half of what the first failed.
    let mut decisions = 0;
    let items: Vec<String> = fw.checklist_items().map(|i| i.code.clone()).collect();
    for (c, chunk) in ids.chunks(500).enumerate() {
        let mut submitted = Vec::new();
        let mut rows = Vec::new();
        for id in chunk {
            if rng(&mut x).is_multiple_of(50) {
                continue; // never submitted: every item fails
            }
            submitted.push(id.clone());
            let skill = 55 + rng(&mut x) % 45;
            for item in &items {
                let first = rng(&mut x) % 100 < skill;
                rows.push(review(id, item, Review::First, first));
                if !first {
                    rows.push(review(
                        id,
                        item,
                        Review::Second,
                        rng(&mut x).is_multiple_of(2),
                    ));
                }
            }
        }
        decisions += rows.len();
        itas_store::oit::load_reviews(db, "assessor", &round.id, &submitted, &rows)
            .await
            .map_err(e)?;
        progress(
            "oit",
            ((c + 1) * 500).min(ids.len()) as u64,
            ids.len() as u64,
        );
    }
    Ok(Built {
        round,
        agencies,
        responses,
        decisions,
    })
}

fn review(agency: &str, item: &str, r: Review, passed: bool) -> ReviewRow {
    ReviewRow {
        agency_id: agency.to_string(),
        item: item.to_string(),
        review: r,
        passed,
        reason: (!passed).then_some(FailReason::Incomplete),
        comment: String::new(),
    }
}

/// Every answer through the live response writer, from many senders at once.
async fn write_answers(
    db: &Db,
    round: &Round,
    fw: &Framework,
    ids: &[String],
    plan: &[(usize, usize)],
    seed: u64,
    progress: Progress<'_>,
) -> Result<usize, String> {
    let jobs: Arc<Vec<(usize, &'static str)>> = Arc::new(
        plan.iter()
            .enumerate()
            .flat_map(|(a, (iit, eit))| {
                std::iter::repeat_n((a, "IIT"), *iit).chain(std::iter::repeat_n((a, "EIT"), *eit))
            })
            .collect(),
    );
    let total = jobs.len();
    let ingest = Ingestor::spawn(db.clone(), Default::default());
    let fw = Arc::new(fw.clone());
    let ids = Arc::new(ids.to_vec());
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let today = time::OffsetDateTime::now_utc().date();
    let senders = 256;
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (fw, ingest, ids, jobs, done, round) = (
            fw.clone(),
            ingest.clone(),
            ids.clone(),
            jobs.clone(),
            done.clone(),
            round.id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut x = seed ^ (s as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut k = s;
            while k < jobs.len() {
                let (a, tool) = jobs[k];
                // Each agency leans its own way, so scores differ between agencies.
                let lean = (a as u64 * 2_654_435_761) % 100;
                let mut answers = BTreeMap::new();
                for (it, scale, cells) in itas_core::survey::items(&fw, tool) {
                    let n = scale.options.len() as u64;
                    let v: Vec<usize> = (0..cells)
                        .map(|_| {
                            let r = rng(&mut x) % 100;
                            if r < 40 + lean / 2 {
                                (n - 1) as usize
                            } else {
                                (rng(&mut x) % n) as usize
                            }
                        })
                        .collect();
                    answers.insert(it.code.clone(), v);
                }
                let day = today - time::Duration::days((rng(&mut x) % 30) as i64);
                let hour = 8 + rng(&mut x) % 9;
                let sub = Submission {
                    agency_id: ids[a].clone(),
                    round_id: round.clone(),
                    tool: tool.into(),
                    id: uuid::Uuid::new_v4().to_string(),
                    day: day.to_string(),
                    hour: format!("{day}T{hour:02}"),
                    speed: SpeedBucket::from_seconds(120 + (rng(&mut x) % 900) as i64),
                    answers,
                    code_hash: None,
                };
                ingest.submit(sub).await.map_err(|e| e.to_string())?;
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                k += senders;
            }
            Ok::<(), String>(())
        }));
    }
    let all = async {
        for t in tasks {
            t.await.map_err(|e| e.to_string())??;
        }
        Ok::<(), String>(())
    };
    tokio::pin!(all);
    loop {
        tokio::select! {
            r = &mut all => {
                r?;
                progress("answers", total as u64, total as u64);
                break;
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                progress(
                    "answers",
                    done.load(std::sync::atomic::Ordering::Relaxed) as u64,
                    total as u64,
                );
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_mix_adds_up() {
        assert_eq!(MIX.iter().map(|m| m.1).sum::<usize>(), 8300);
        for n in [1, 2, 60, 500, 8300, 83_000] {
            assert_eq!(kind_counts(n).iter().sum::<usize>(), n, "{n}");
        }
        assert_eq!(kind_counts(8300)[0], 77);
    }

    #[test]
    fn place_names_do_not_repeat_within_a_kind() {
        let names: std::collections::BTreeSet<String> = (0..6000).map(place).collect();
        assert_eq!(names.len(), 6000);
    }
}
