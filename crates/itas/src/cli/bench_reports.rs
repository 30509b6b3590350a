//! `itas bench reports`: render the analysis report of every agency of a
//! generated national round (8,300 by default), as a national office would
//! after publication, and time one report and all of them.

use itas_core::Score;
use itas_core::framework::embedded;
use itas_core::scoring::{Inputs, score};
use itas_core::thai::{Digits, FiscalYear};
use itas_reports::analysis_report::{Agency, ReportInput, analysis_report};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Pdf,
    Docx,
}

#[derive(clap::Args)]
pub struct ReportsArgs {
    #[arg(long, default_value_t = 8300)]
    agencies: usize,
    /// Rendering threads (this machine has 2 cores).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[arg(long, value_enum, default_value = "pdf")]
    format: Format,
    /// Write every file into this folder (default: render and discard).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// A deterministic spread of scores, 40.00–100.00, different per agency.
fn scores_of(agency: usize, indicators: usize) -> Vec<Score> {
    let mut x = (agency as i64).wrapping_mul(2_654_435_761) & 0x7fff_ffff;
    (0..indicators)
        .map(|_| {
            x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
            Score::from_hundredths(4_000 + x % 6_001)
        })
        .collect()
}

fn render_one(i: usize, format: Format) -> Result<Vec<u8>, String> {
    let fw = embedded("ita-2564").ok_or("no embedded framework")?;
    let given = fw
        .indicators
        .iter()
        .zip(scores_of(i, fw.indicators.len()))
        .map(|(ind, s)| (ind.number, s))
        .collect();
    let card = score(
        &fw,
        &Inputs {
            given,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let name = format!("องค์การบริหารส่วนตำบลทดสอบที่ {i}");
    let doc = analysis_report(&ReportInput {
        framework: &fw,
        card: &card,
        agency: Agency {
            addressee: format!("นายก{name}"),
            unit: format!("สำนักปลัด{name}"),
            name,
            location: "จังหวัดขอนแก่น".into(),
        },
        fiscal_year: FiscalYear(2564),
        date: time::macros::date!(2021 - 09 - 06),
        digits: Digits::Thai,
        previous: None,
        trend: Vec::new(),
        samples: Vec::new(),
        plan: None,
        measures: vec![],
    });
    match format {
        Format::Pdf => itas_reports::pdf::render(&doc, true).map_err(|e| e.to_string()),
        Format::Docx => {
            itas_reports::docx::render(&doc, &Default::default()).map_err(|e| e.to_string())
        }
    }
}

fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

pub fn run(a: ReportsArgs) -> Result<ExitCode, String> {
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let ext = match a.format {
        Format::Pdf => "pdf",
        Format::Docx => "docx",
    };
    // The first render parses fonts and builds the standard library.
    let t = Instant::now();
    let first = render_one(0, a.format)?;
    let cold = t.elapsed();
    out!(
        "first report (cold start): {:.0} ms, {} bytes",
        cold.as_secs_f64() * 1000.0,
        first.len()
    );

    let next = std::sync::atomic::AtomicUsize::new(0);
    let times = Mutex::new(Vec::with_capacity(a.agencies));
    let bytes = std::sync::atomic::AtomicU64::new(0);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let all = Instant::now();
    let bar = super::progress::Bar::new("reports", a.agencies as u64);
    std::thread::scope(|s| {
        for _ in 0..a.threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= a.agencies {
                        break;
                    }
                    let t = Instant::now();
                    match render_one(i, a.format) {
                        Ok(b) => {
                            let took = t.elapsed();
                            bytes.fetch_add(b.len() as u64, std::sync::atomic::Ordering::Relaxed);
                            if let Some(dir) = &a.out {
                                let path = dir.join(format!("report-{i:05}.{ext}"));
                                if let Err(e) = std::fs::write(&path, &b) {
                                    *failure.lock().unwrap_or_else(|p| p.into_inner()) =
                                        Some(format!("{}: {e}", path.display()));
                                    break;
                                }
                            }
                            times.lock().unwrap_or_else(|p| p.into_inner()).push(took);
                            bar.inc();
                        }
                        Err(e) => {
                            *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    bar.finish();
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let wall = all.elapsed();
    let mut times = times.into_inner().unwrap_or_else(|p| p.into_inner());
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    out!(
        "{} {ext} reports on {} threads: {:.1} s in all ({:.1} reports/s), {:.1} MB written",
        times.len(),
        a.threads,
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64(),
        bytes.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6
    );
    out!(
        "one report: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        ms(percentile(&times, 50)),
        ms(percentile(&times, 99)),
        ms(times.last().copied().unwrap_or_default())
    );
    if let Some(mb) = peak_rss_mb() {
        out!("peak memory: {mb} MB");
    }
    Ok(ExitCode::SUCCESS)
}
