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
pub fn key_terms(fw: &Framework, item: &str) -> Vec<String> {
    match fw.item(item).map(|i| &i.kind) {
        Some(ItemKind::Checklist { keywords, .. }) => keywords.clone(),
        _ => Vec::new(),
    }
}

/// Renders one of the server's own public ITA pages: (agency code, fiscal
/// year) to (HTTP status, HTML).
pub type RenderOwnPage = Arc<
    dyn Fn(
            String,
            i64,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (u16, Vec<u8>)> + Send>>
        + Send
        + Sync,
>;

/// The server's own public ITA pages (`/p/{code}/ita/{year}`), judged as
/// evidence: rendered in-process, so the snapshot is what the page showed at
/// the check without the server having to reach itself over the network.
#[derive(Clone)]
pub struct OwnPages {
    /// The server's public address (`ITAS_PUBLIC_URL`); without one, a page
    /// address on any host is taken as this server's.
    pub base: Option<String>,
    pub render: Option<RenderOwnPage>,
}

impl OwnPages {
    /// The fiscal year of `url` when it is this agency's page on this server.
    fn year_of(&self, url: &str, agency_code: &str) -> Option<i64> {
        let (code, year) = crate::public_pages::page_of_url(url)?;
        let same_host = self
            .base
            .as_deref()
            .is_none_or(|b| host_of(b).is_some() && host_of(b) == host_of(url));
        (code.eq_ignore_ascii_case(agency_code) && same_host).then_some(year)
    }
}

/// Whether a page's HTML links to the itas page at `path` (on `host`, when
/// the server's public address is known).
fn links_to(body: &[u8], path: &str, host: Option<&str>) -> bool {
    let text = String::from_utf8_lossy(body).to_lowercase();
    let wanted = match host {
        Some(h) => format!("{}{}", h.to_lowercase(), path.to_lowercase()),
        None => path.to_lowercase(),
    };
    text.match_indices(&wanted).any(|(i, _)| {
        // The page itself, not a longer path such as its report.pdf.
        let next = text[i + wanted.len()..].chars().next();
        !matches!(next, Some(c) if c.is_alphanumeric() || c == '.' || c == '-' || c == '_')
            && !text[i + wanted.len()..].starts_with("/r")
    })
}

/// What came back for a URL, with the response headers.
type FetchedWithHeaders = (Fetched, Vec<(String, String)>);

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
    agency: &itas_store::agencies::Agency,
    round_id: &str,
    fiscal_year_be: i32,
    purpose: &str,
    targets: Vec<Target>,
    own: &OwnPages,
) -> Result<usize, itas_store::StoreError> {
    let agency_id = agency.id.as_str();
    let website = agency.website.as_str();
    // The agency's own itas pages: rendered here when this server can, and
    // judged by whether the agency's website links to them.
    let mut own_pages: Vec<(Target, i64)> = Vec::new();
    let mut fetched_here: Vec<(Target, FetchedWithHeaders)> = Vec::new();
    let mut by_host: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for t in targets {
        if let Some(year) = own.year_of(&t.url, &agency.code) {
            own_pages.push((t.clone(), year));
            if let Some(render) = &own.render {
                let (status, body) = render(agency.code.clone(), year).await;
                fetched_here.push((
                    t,
                    (
                        Fetched {
                            final_url: String::new(),
                            status: Some(status),
                            content_type: "text/html; charset=utf-8".into(),
                            body,
                            ..Default::default()
                        },
                        vec![("x-itas-rendered".into(), "in-process".into())],
                    ),
                ));
                continue;
            }
        }
        by_host
            .entry(host_of(&t.url).unwrap_or_default())
            .or_default()
            .push(t);
    }
    // The website's home page, read only to look for links to those pages.
    let home = if own_pages.is_empty() || website.trim().is_empty() {
        None
    } else {
        let c = cfg.clone();
        let url = if website.contains("://") {
            website.to_string()
        } else {
            format!("https://{website}")
        };
        tokio::task::spawn_blocking(move || fetch(&c, &url).0)
            .await
            .ok()
    };
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
    let mut results = fetched_here;
    while let Some(done) = tasks.join_next().await {
        results.extend(done.unwrap_or_default());
    }
    // Linked when the home page, or any other evidence page on the website
    // fetched now, links to the itas page.
    let base_host = own.base.as_deref().and_then(host_of);
    let linked = |path: &str| {
        home.iter()
            .filter(|f| f.error.is_none())
            .map(|f| &f.body)
            .chain(
                results
                    .iter()
                    .filter(|(t, (f, _))| {
                        f.error.is_none()
                            && itas_core::evidence::on_site(
                                if f.final_url.is_empty() {
                                    &t.url
                                } else {
                                    &f.final_url
                                },
                                website,
                            )
                    })
                    .map(|(_, (f, _))| &f.body),
            )
            .any(|body| links_to(body, path, base_host.as_deref()))
    };
    let own_linked: BTreeMap<String, bool> = own_pages
        .iter()
        .map(|(t, year)| {
            let path = crate::public_pages::path_of(&agency.code, *year);
            (t.url.clone(), linked(&path))
        })
        .collect();
    let mut n = 0;
    {
        for (t, (f, headers)) in results {
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
                    itas_page: own_linked.get(&t.url).copied(),
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
    own: &OwnPages,
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
        &agency,
        round_id,
        round.fiscal_year as i32,
        purpose,
        targets,
        own,
    )
    .await
}

/// Runs a check in the background; failures go to the log.
pub fn spawn_check(
    app: &crate::App,
    own: OwnPages,
    agency_id: String,
    round_id: String,
    item: Option<String>,
    purpose: &'static str,
) {
    let db = app.db.clone();
    let cfg = app.evidence.clone();
    tokio::spawn(async move {
        match check_agency(
            &db,
            &cfg,
            &agency_id,
            &round_id,
            item.as_deref(),
            purpose,
            &own,
        )
        .await
        {
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
