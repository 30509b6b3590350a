//! `itas bench history`: importing a national file of published results.
//!
//! Registers `--agencies` agencies in a fresh database, writes a CSV of
//! their published results for `--years` fiscal years (2564–2568 by
//! default: every row consistent with its year's framework, the kind of file
//! the central office loads once), and times `import_as` on it several
//! times; each run replaces the same years, as a second import would.

use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// Database to fill (default: a fresh SQLite file in a temporary folder).
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 8300)]
    agencies: usize,
    /// Fiscal years from 2564 on.
    #[arg(long, default_value_t = 5)]
    years: usize,
    /// Timed imports of the whole file.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

pub fn run(a: HistoryArgs) -> Result<ExitCode, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(bench(a))
}

/// A row consistent with `fw`: tools from a seed, the overall and label
/// computed by the engine (no row of the file is refused).
fn row(fw: &itas_core::Framework, code: &str, year: i64, seed: u64) -> String {
    use itas_core::Score;
    let tools: std::collections::BTreeMap<String, Score> = fw
        .tools
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let h = 6_000 + ((seed.wrapping_mul(2_654_435_761) >> (i * 7)) % 4_000) as i64;
            (t.code.clone(), Score::from_hundredths(h))
        })
        .collect();
    let exact: itas_core::Exact = fw
        .tools
        .iter()
        .map(|t| t.weight * tools[&t.code].exact())
        .sum();
    let overall = Score::round_half_up(exact);
    let level = fw.result(overall, &tools).level;
    format!(
        "{code},{year},{},{overall},{},{},{},{}\n",
        fw.code, tools["IIT"], tools["EIT"], tools["OIT"], level.name_th
    )
}

async fn bench(a: HistoryArgs) -> Result<ExitCode, String> {
    let url = a.database_url.clone();
    super::bench::BenchDb::with_fresh("history", url, async move |bench_db| {
        measure(a, bench_db).await
    })
    .await
}

async fn measure(a: HistoryArgs, bench_db: &super::bench::BenchDb) -> Result<ExitCode, String> {
    let db = bench_db.db.clone();
    let prefix = &itas_store::new_id()[24..];
    let agencies = (0..a.agencies)
        .map(|i| {
            (
                i + 1,
                itas_store::agencies::NewAgency {
                    code: format!("H{prefix}-{i:05}"),
                    name_th: format!("หน่วยงานทดสอบ {i}"),
                    kind: "sao".into(),
                    ..Default::default()
                },
            )
        })
        .collect();
    itas_store::agencies::import(&db, None, agencies)
        .await
        .map_err(|e| e.to_string())?;
    let mut csv = String::from("agency_code,fiscal_year,framework,overall,IIT,EIT,OIT,label\n");
    for y in 0..a.years {
        let year = 2564 + y as i64;
        let code = format!("ita-{year}");
        let fw = itas_core::framework::embedded(&code)
            .ok_or_else(|| format!("no embedded framework {code}"))?;
        for i in 0..a.agencies {
            csv.push_str(&row(
                &fw,
                &format!("H{prefix}-{i:05}"),
                year,
                (i * 31 + y) as u64,
            ));
        }
    }
    let rows = a.agencies * a.years;
    out!(
        "file: {rows} rows ({} agencies × {} years), {:.1} MB",
        a.agencies,
        a.years,
        csv.len() as f64 / 1e6
    );
    let app = super::server::cli_app(db.clone());
    let mut times = Vec::new();
    for run in 1..=a.runs {
        let t = Instant::now();
        let report =
            itas_app::history::import_as(&app, None, csv.clone().into_bytes(), "history.csv")
                .await
                .map_err(|e| format!("import: {:?} {:?}", e.code, e.detail))?;
        let s = t.elapsed().as_secs_f64();
        if report.stored != rows || !report.problems.is_empty() {
            return Err(format!(
                "run {run}: {} stored, {} refused (first: {:?})",
                report.stored,
                report.problems.len(),
                report.problems.first()
            ));
        }
        out!("run {run}: {rows} rows checked and stored in {s:.2} s");
        times.push(s);
    }
    times.sort_by(f64::total_cmp);
    out!(
        "import of {rows} published results: {:.2}–{:.2} s over {} runs",
        times[0],
        times[times.len() - 1],
        times.len()
    );
    Ok(ExitCode::SUCCESS)
}
