//! `itas bench quality`: the data-quality flags of a national round.
//!
//! Fills a fresh database with a round of `--agencies` agencies and
//! `--responses` IIT/EIT answers written through the real response writer (so
//! every counter is the one live submissions produce; one agency in a hundred
//! is stuffed with identical answers in one hour), then times computing every
//! agency's flags from the aggregates, several times.

use itas_core::directory::Phase;
use itas_core::framework::ITA_2564_SOURCE;
use itas_core::quality::{SpeedBucket, flags};
use itas_store::ingest::{Ingestor, Submission};
use itas_store::rounds::PhaseDates;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct QualityArgs {
    /// Database to fill (default: a fresh SQLite file in a temporary folder).
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 8300)]
    agencies: usize,
    #[arg(long, default_value_t = 1_350_000)]
    responses: usize,
    /// Timed computations of the whole round's flags.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

pub fn run(a: QualityArgs) -> Result<ExitCode, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(bench(a))
}

fn rng(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

async fn bench(a: QualityArgs) -> Result<ExitCode, String> {
    let url = a.database_url.clone();
    super::bench::BenchDb::with_fresh("quality", url, async move |bench_db| {
        measure(a, bench_db).await
    })
    .await
}

async fn measure(a: QualityArgs, bench_db: &super::bench::BenchDb) -> Result<ExitCode, String> {
    let db = bench_db.db.clone();
    let t = Instant::now();
    let today = time::OffsetDateTime::now_utc().date();
    let round = itas_store::rounds::create(
        &db,
        None,
        &format!("bench quality {}", itas_store::new_id()),
        Some(2570),
        ITA_2564_SOURCE,
        &[PhaseDates {
            phase: Phase::Collection,
            starts_on: today - time::Duration::days(30),
            ends_on: today,
        }],
    )
    .await
    .map_err(|e| e.to_string())?;
    let prefix = &round.id[24..];
    let rows = (0..a.agencies)
        .map(|i| {
            (
                i + 1,
                itas_store::agencies::NewAgency {
                    code: format!("Q{prefix}-{i:05}"),
                    name_th: format!("หน่วยงานทดสอบ {i}"),
                    kind: "sao".into(),
                    ..Default::default()
                },
            )
        })
        .collect();
    itas_store::agencies::import(&db, None, rows)
        .await
        .map_err(|e| e.to_string())?;
    let ids: Vec<String> =
        itas_store::agencies::search(&db, &format!("Q{prefix}"), a.agencies as i64, 0)
            .await
            .map_err(|e| e.to_string())?
            .0
            .into_iter()
            .map(|ag| ag.id)
            .collect();
    itas_store::rounds::join(&db, None, &round.id, &ids)
        .await
        .map_err(|e| e.to_string())?;
    let per_agency = a.responses / ids.len().max(1);
    for id in &ids {
        // Staff: about 60 % of the answers are IIT, as in a real round.
        let iit = (per_agency * 6 / 10).max(1) as i64;
        itas_store::rounds::set_populations(&db, None, &round.id, id, iit * 10, 1000)
            .await
            .map_err(|e| e.to_string())?;
    }
    out!(
        "bench quality: {} agencies, {} answers to write, setup {:.1} s",
        ids.len(),
        per_agency * ids.len(),
        t.elapsed().as_secs_f64()
    );

    // Every answer through the real writer, from many concurrent senders.
    let fw = Arc::new(itas_core::framework::ita_2564());
    let ingest = Ingestor::spawn(db.clone(), Default::default());
    let ids = Arc::new(ids);
    let t = Instant::now();
    let senders = 512;
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (fw, ingest, ids, round) = (fw.clone(), ingest.clone(), ids.clone(), round.id.clone());
        tasks.push(tokio::spawn(async move {
            let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (s as u64 + 1);
            let mut k = s;
            while k < ids.len() * per_agency {
                let agency = k / per_agency;
                let stuffed = agency % 100 == 7;
                let tool = if (k % per_agency) * 10 < per_agency * 6 {
                    "IIT"
                } else {
                    "EIT"
                };
                let mut answers = BTreeMap::new();
                let mut y = if stuffed { 42 } else { rng(&mut x) | 1 };
                for (it, scale, cells) in itas_core::survey::items(&fw, tool) {
                    let v: Vec<usize> = (0..cells)
                        .map(|_| (rng(&mut y) % scale.options.len() as u64) as usize)
                        .collect();
                    answers.insert(it.code.clone(), v);
                }
                let hour = if stuffed {
                    10
                } else {
                    8 + (rng(&mut x) % 9) as u32
                };
                let day = today - time::Duration::days((rng(&mut x) % 30) as i64);
                let speed = if stuffed {
                    SpeedBucket::OneShot
                } else {
                    SpeedBucket::from_seconds(120 + (rng(&mut x) % 900) as i64)
                };
                let s = Submission {
                    agency_id: ids[agency].clone(),
                    round_id: round.clone(),
                    tool: tool.into(),
                    id: uuid::Uuid::new_v4().to_string(),
                    day: day.to_string(),
                    hour: format!("{day}T{hour:02}"),
                    speed,
                    answers,
                    code_hash: None,
                };
                if let Err(e) = ingest.submit(s).await {
                    return Err(e.to_string());
                }
                k += senders;
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    let written = ids.len() * per_agency;
    out!(
        "wrote {written} answers through the response writer in {:.1} s ({:.0}/s)",
        t.elapsed().as_secs_f64(),
        written as f64 / t.elapsed().as_secs_f64()
    );

    let mut times = Vec::new();
    let mut flagged = 0;
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        let rows = itas_store::quality::round_aggregates(&db, &round.id)
            .await
            .map_err(|e| e.to_string())?;
        flagged = rows
            .iter()
            .filter(|r| !flags(&r.aggregates).is_empty())
            .count();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    out!(
        "flags of the whole round ({} agency tools, {flagged} flagged): {:.0} to {:.0} ms over {} runs (median {:.0} ms)",
        ids.len() * 2,
        times[0],
        times[times.len() - 1],
        times.len(),
        times[times.len() / 2]
    );
    let size = db.size_bytes().await.map_err(|e| e.to_string())?;
    out!("database size: {:.0} MB", size as f64 / 1e6);
    Ok(ExitCode::SUCCESS)
}
