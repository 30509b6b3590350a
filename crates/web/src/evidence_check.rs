//! Fetching OIT evidence URLs: bounded concurrency, one request at a time per
//! host with a pause between them, a timeout, retries on transport failures,
//! redirects followed by hand (so loops are named), bodies capped. Every fetch
//! is judged by `itas_core::evidence` and stored with its snapshot.

use itas_core::evidence::{Expectation, Fetched, host_of, judge};
use itas_core::framework::{Framework, ItemKind};
use itas_store::Db;
use itas_store::evidence_checks::NewCheck;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct CheckerConfig {
    pub timeout: Duration,
    /// Largest body kept (and judged).
    pub max_bytes: usize,
    pub max_redirects: usize,
    /// Extra attempts after a transport failure.
    pub retries: u32,
    /// Hosts fetched at the same time.
    pub concurrency: usize,
    /// Pause between two requests to the same host.
    pub per_host_gap: Duration,
    /// Fetch loopback, private, link-local and other internal addresses.
    /// Off in production: an agency's URL must never make the server probe
    /// its own network (SSRF). Tests turn it on for their local sites.
    pub allow_internal: bool,
}

impl Default for CheckerConfig {
    fn default() -> Self {
        CheckerConfig {
            timeout: Duration::from_secs(15),
            max_bytes: 2 * 1024 * 1024,
            max_redirects: 8,
            retries: 2,
            concurrency: 8,
            per_host_gap: Duration::from_millis(500),
            allow_internal: false,
        }
    }
}

fn agent(cfg: &CheckerConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .user_agent("itas-evidence-check/0.1 (+ITA OIT evidence check)")
        .build()
        .into()
}

/// Resolves a Location header against the URL it came from.
fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{}{rest}", &base[..scheme_end]);
    }
    if location.starts_with('/') {
        return format!("{}{location}", &base[..authority_end]);
    }
    let path_base = base[..base.split(['?', '#']).next().map_or(0, str::len)]
        .rsplit_once('/')
        .map_or(base.to_string(), |(b, _)| b.to_string());
    let path_base = if path_base.len() < authority_end {
        base[..authority_end].to_string()
    } else {
        path_base
    };
    format!("{path_base}/{location}")
}

/// Whether an address belongs to the public internet.
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Whether `url` resolves to any internal address (then it is not fetched).
fn points_inside(url: &str) -> bool {
    use std::net::ToSocketAddrs;
    let https = url.starts_with("https://");
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match authority.strip_prefix('[') {
        // [IPv6]:port
        Some(v6) => match v6.split_once(']') {
            Some((h, rest)) => (
                h,
                rest.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()),
            ),
            None => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().ok()),
            None => (authority, None),
        },
    };
    let port = port.unwrap_or(if https { 443 } else { 80 });
    match (host, port).to_socket_addrs() {
        Ok(addrs) => addrs.into_iter().any(|a| !is_public(a.ip())),
        // Unresolvable: the fetch will say so.
        Err(_) => false,
    }
}

/// One fetch, blocking: what came back, plus the response headers.
pub fn fetch(cfg: &CheckerConfig, url: &str) -> (Fetched, Vec<(String, String)>) {
    let agent = agent(cfg);
    let mut current = url.to_string();
    let mut seen = vec![current.clone()];
    let mut attempt = 0;
    loop {
        // Checked before every hop: a public page may redirect inside.
        if !cfg.allow_internal && points_inside(&current) {
            return (
                Fetched {
                    final_url: current,
                    error: Some("internal address".into()),
                    private_address: true,
                    ..Default::default()
                },
                Vec::new(),
            );
        }
        let resp = match agent.get(&current).call() {
            Ok(r) => r,
            Err(e) => {
                if attempt < cfg.retries {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(300 * u64::from(attempt)));
                    continue;
                }
                return (
                    Fetched {
                        final_url: current,
                        error: Some(e.to_string()),
                        ..Default::default()
                    },
                    Vec::new(),
                );
            }
        };
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if (300..400).contains(&status)
            && let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok())
        {
            let next = resolve(&current, loc);
            if seen.contains(&next) || seen.len() > cfg.max_redirects {
                return (
                    Fetched {
                        final_url: next,
                        status: Some(status),
                        redirect_loop: true,
                        ..Default::default()
                    },
                    headers,
                );
            }
            seen.push(next.clone());
            current = next;
            continue;
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = Vec::new();
        let read = resp
            .into_body()
            .into_reader()
            .take(cfg.max_bytes as u64 + 1)
            .read_to_end(&mut body);
        let truncated = body.len() > cfg.max_bytes;
        body.truncate(cfg.max_bytes);
        return (
            Fetched {
                final_url: current,
                status: Some(status),
                content_type,
                body,
                truncated,
                error: read.err().filter(|_| !truncated).map(|e| e.to_string()),
                redirect_loop: false,
                private_address: false,
            },
            headers,
        );
    }
}

/// Key terms of a checklist item, from the framework.
fn key_terms(fw: &Framework, item: &str) -> Vec<String> {
    match fw.item(item).map(|i| &i.kind) {
        Some(ItemKind::Checklist { keywords, .. }) => keywords.clone(),
        _ => Vec::new(),
    }
}

/// One URL to check.
#[derive(Clone, Debug)]
pub struct Target {
    pub item: String,
    pub url: String,
}

/// Checks URLs of one agency and stores each result with its snapshot.
/// Returns how many were checked.
#[allow(clippy::too_many_arguments)]
pub async fn check_and_store(
    db: &Db,
    cfg: &CheckerConfig,
    fw: &Framework,
    agency_id: &str,
    round_id: &str,
    website: &str,
    fiscal_year_be: i32,
    purpose: &str,
    targets: Vec<Target>,
) -> Result<usize, itas_store::StoreError> {
    // One queue per host: polite to every agency's server.
    let mut by_host: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for t in targets {
        by_host
            .entry(host_of(&t.url).unwrap_or_default())
            .or_default()
            .push(t);
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (_, queue) in by_host {
        let limit = limit.clone();
        let cfg = cfg.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let mut out = Vec::new();
            for (k, t) in queue.into_iter().enumerate() {
                if k > 0 {
                    tokio::time::sleep(cfg.per_host_gap).await;
                }
                let c = cfg.clone();
                let url = t.url.clone();
                let fetched = tokio::task::spawn_blocking(move || fetch(&c, &url))
                    .await
                    .unwrap_or_else(|e| {
                        (
                            Fetched {
                                error: Some(e.to_string()),
                                ..Default::default()
                            },
                            Vec::new(),
                        )
                    });
                out.push((t, fetched));
            }
            out
        });
    }
    let mut n = 0;
    while let Some(done) = tasks.join_next().await {
        for (t, (f, headers)) in done.unwrap_or_default() {
            let terms = key_terms(fw, &t.item);
            // "Report" items show the year before the round's.
            let year = match fw.item(&t.item).map(|i| &i.kind) {
                Some(ItemKind::Checklist { year, .. }) => year.fiscal_year(fiscal_year_be),
                _ => fiscal_year_be,
            };
            let (light, findings) = judge(
                &t.url,
                &f,
                &Expectation {
                    website,
                    fiscal_year_be: year,
                    key_terms: &terms,
                },
            );
            let check = NewCheck {
                round_id: round_id.to_string(),
                item: t.item,
                url: t.url,
                purpose: purpose.to_string(),
                light: light.code().to_string(),
                findings: findings.iter().map(|f| f.code().to_string()).collect(),
                status: f.status.map(i64::from),
                final_url: f.final_url,
                content_type: f.content_type,
                bytes: f.body.len() as i64,
                sha256: hex::encode(Sha256::digest(&f.body)),
                headers,
                body: f.body,
            };
            itas_store::evidence_checks::insert(db, agency_id, &check).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// Checks every URL an agency has entered for a round (or only `item`).
pub async fn check_agency(
    db: &Db,
    cfg: &CheckerConfig,
    agency_id: &str,
    round_id: &str,
    item: Option<&str>,
    purpose: &str,
) -> Result<usize, itas_store::StoreError> {
    let round = itas_store::rounds::get(db, round_id)
        .await?
        .ok_or(itas_store::StoreError::NotFound)?;
    let fw = round.framework()?;
    let agency = itas_store::agencies::get(db, agency_id)
        .await?
        .ok_or(itas_store::StoreError::NotFound)?;
    let evidence = itas_store::oit::evidence(db, agency_id, round_id).await?;
    let targets: Vec<Target> = evidence
        .values()
        .filter(|e| item.is_none_or(|i| i == e.item))
        .flat_map(|e| {
            e.url_list().into_iter().map(|u| Target {
                item: e.item.clone(),
                url: u.to_string(),
            })
        })
        .collect();
    check_and_store(
        db,
        cfg,
        &fw,
        agency_id,
        round_id,
        &agency.website,
        round.fiscal_year as i32,
        purpose,
        targets,
    )
    .await
}

/// Runs a check in the background; failures go to the log.
pub fn spawn_check(
    db: Db,
    cfg: CheckerConfig,
    agency_id: String,
    round_id: String,
    item: Option<String>,
    purpose: &'static str,
) {
    tokio::spawn(async move {
        match check_agency(&db, &cfg, &agency_id, &round_id, item.as_deref(), purpose).await {
            Ok(n) => tracing::info!(agency = %agency_id, checked = n, purpose, "evidence checked"),
            Err(e) => tracing::error!(agency = %agency_id, error = %e, "evidence check failed"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{is_public, points_inside, resolve};

    #[test]
    fn internal_addresses_are_never_fetched() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "203.150.1.1", "2001:4860:4860::8888"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(points_inside("http://127.0.0.1:8080/x"));
        assert!(points_inside("http://localhost/x"));
        assert!(points_inside("https://[::1]:8443/x"));
        assert!(points_inside("http://user@10.0.0.1/"));
        assert!(!points_inside("https://8.8.8.8/"));
    }

    #[test]
    fn locations_resolve_like_a_browser() {
        assert_eq!(
            resolve("https://a.go.th/x/y", "https://b.go.th/z"),
            "https://b.go.th/z"
        );
        assert_eq!(resolve("https://a.go.th/x/y", "/z"), "https://a.go.th/z");
        assert_eq!(resolve("https://a.go.th/x/y", "z"), "https://a.go.th/x/z");
        assert_eq!(resolve("https://a.go.th", "z"), "https://a.go.th/z");
        assert_eq!(
            resolve("http://a.go.th/x", "//c.go.th/q"),
            "http://c.go.th/q"
        );
    }
}
