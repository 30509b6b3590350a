//! Prometheus metrics for the operator's monitoring, served on a listener of
//! their own (`itas serve --metrics-listen`), never on the public port.
//!
//! What happens per request (counts, durations) is recorded through the
//! `metrics` facade into the Prometheus exporter's recorder; what the server
//! already counts elsewhere (the response writer, storage faults, caches,
//! dropped log lines) is read when scraped, so nothing is counted twice.
//! Labels come from fixed lists (route groups, status classes, fault kinds,
//! cache names): no client can make a new series.

use crate::AppState;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::Instant;

/// Request durations in seconds: from a cached page to a national export.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Scoring runs and renders: a second for one agency, minutes for a nation.
const WORK_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Starts recording (once per process): before it, every metric macro is a
/// no-op, so a server without a metrics listener spends nothing on them.
pub fn install() -> Result<&'static PrometheusHandle, String> {
    if let Some(h) = HANDLE.get() {
        return Ok(h);
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("itas_http_request_duration_seconds".into()),
            HTTP_BUCKETS,
        )
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), WORK_BUCKETS)
        })
        .map_err(|e| e.to_string())?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| format!("metrics recorder: {e}"))?;
    describe();
    Ok(HANDLE.get_or_init(|| handle))
}

fn describe() {
    metrics::describe_counter!(
        "itas_http_requests_total",
        "HTTP requests answered, by route group and status class"
    );
    metrics::describe_histogram!(
        "itas_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route group"
    );
    metrics::describe_histogram!(
        itas_app::scoring_run::DURATION_METRIC,
        metrics::Unit::Seconds,
        "Time a completed scoring run of a round took"
    );
    metrics::describe_histogram!(
        crate::renders::DURATION_METRIC,
        metrics::Unit::Seconds,
        "Time to render a document (report, infographic, poster), by kind"
    );
}

/// The route group of a path: the first segment, from a fixed list.
pub fn route_group(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "" => "home",
        "s" => "survey",
        "api" => "api",
        "admin" => "admin",
        "agency" | "agencies" => "agency",
        "assessor" => "assessor",
        "results" => "results",
        "p" => "public_page",
        "open-data" => "open_data",
        "assets" => "assets",
        "healthz" => "health",
        "login" | "logout" | "account" | "lang" => "account",
        _ => "other",
    }
}

fn status_class(status: axum::http::StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// Counts and times every request, the refused and the failed ones too (it
/// is the outermost layer).
pub async fn track(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let group = route_group(req.uri().path());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics::counter!(
        "itas_http_requests_total",
        "group" => group,
        "class" => status_class(response.status())
    )
    .increment(1);
    metrics::histogram!("itas_http_request_duration_seconds", "group" => group)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One metric family in the text format, samples as (labels, value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

fn one(value: f64) -> Vec<(String, f64)> {
    vec![(String::new(), value)]
}

/// The text a scrape gets: the recorded metrics, then what the server
/// counts elsewhere, read now.
pub fn render(state: &AppState, handle: &PrometheusHandle) -> String {
    handle.run_upkeep();
    let mut out = handle.render();
    let stats = state.ingest.stats();
    let (batches, items, busy_us, commit_us) = stats.snapshot();
    let (syncs, sync_us) = stats.syncs();
    let seconds = |us: u64| us as f64 / 1e6;
    let restarts = stats.restarts.load(std::sync::atomic::Ordering::Relaxed);
    family(
        &mut out,
        "itas_writer_batches_total",
        "counter",
        "Batches of answers the response writer committed",
        &one(batches as f64),
    );
    family(
        &mut out,
        "itas_writer_items_total",
        "counter",
        "Answers and page saves the response writer wrote",
        &one(items as f64),
    );
    family(
        &mut out,
        "itas_writer_busy_seconds_total",
        "counter",
        "Time the response writer spent inside its transactions (busy share: its rate)",
        &one(seconds(busy_us)),
    );
    family(
        &mut out,
        "itas_writer_commit_seconds_total",
        "counter",
        "Of the writer's busy time, the time in COMMIT",
        &one(seconds(commit_us)),
    );
    family(
        &mut out,
        "itas_writer_syncs_total",
        "counter",
        "SQLite: fsyncs of the write-ahead log by the syncer",
        &one(syncs as f64),
    );
    family(
        &mut out,
        "itas_writer_sync_seconds_total",
        "counter",
        "SQLite: time the syncer's fsyncs took",
        &one(seconds(sync_us)),
    );
    family(
        &mut out,
        "itas_writer_restarts_total",
        "counter",
        "Times the response writer stopped on a bug and was started again",
        &one(restarts as f64),
    );
    family(
        &mut out,
        "itas_writer_queue_depth",
        "gauge",
        "Answers waiting for the response writer now",
        &one(state.ingest.queue_depth() as f64),
    );
    let fault = state.health.fault().map(|f| f.kind);
    let faults: Vec<(String, f64)> = itas_store::health::FaultKind::ALL
        .iter()
        .map(|k| {
            (
                format!("kind=\"{}\"", k.code()),
                f64::from(u8::from(fault == Some(*k))),
            )
        })
        .collect();
    family(
        &mut out,
        "itas_storage_fault",
        "gauge",
        "1 while answers are refused for this storage fault, else 0",
        &faults,
    );
    let mut hits = Vec::new();
    let mut rebuilds = Vec::new();
    let public = ("public_pages", state.public_pages.counts());
    for (name, (h, r)) in state.caches.counts().into_iter().chain([public]) {
        hits.push((format!("cache=\"{name}\""), h as f64));
        rebuilds.push((format!("cache=\"{name}\""), r as f64));
    }
    family(
        &mut out,
        "itas_cache_hits_total",
        "counter",
        "Reads a cache answered with a value it kept",
        &hits,
    );
    family(
        &mut out,
        "itas_cache_rebuilds_total",
        "counter",
        "Values a cache computed because none current was kept",
        &rebuilds,
    );
    family(
        &mut out,
        "itas_log_lines_dropped_total",
        "counter",
        "Log lines dropped because the log could not be written (e.g. its disk full)",
        &one(crate::log_sink::dropped_lines() as f64),
    );
    out
}

/// Serves `GET /metrics` on its own listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let handle = install().map_err(std::io::Error::other)?;
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let state = state.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    render(&state, handle),
                )
            }
        }),
    );
    axum::serve(listener, router).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_falls_in_a_fixed_group() {
        assert_eq!(route_group("/"), "home");
        assert_eq!(route_group("/s/abc123/page/2"), "survey");
        assert_eq!(route_group("/api/v1/rounds"), "api");
        assert_eq!(route_group("/agencies/x/results/y"), "agency");
        assert_eq!(route_group("/p/KK-HUANONG/ita/2564"), "public_page");
        // Whatever a client makes up is one series, not a new one.
        assert_eq!(route_group("/wp-login.php"), "other");
        assert_eq!(route_group("/%E0%B8%81"), "other");
    }
}
