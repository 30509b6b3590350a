//! Data-quality figures of a round's IIT/EIT answers, read from the
//! aggregates the response writer keeps, and the central office's decisions.
//! Flags themselves are computed by [`itas_core::quality`].

use crate::ingest::{Counts, merge_counts};
use crate::{Db, Result, StoreError, audit, read, write};
use itas_core::quality::{Aggregates, SpeedBucket};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One agency's tool, with its counters and the distance of its answers from
/// the rest of the round.
#[derive(Clone, Debug)]
pub struct AgencyTool {
    pub agency_id: String,
    pub code: String,
    pub name_th: String,
    pub tool: String,
    pub aggregates: Aggregates,
}

/// Option positions over every cell of a tally: `[option] -> answers`.
pub fn option_histogram(counts: &Counts) -> Vec<u64> {
    let mut h: Vec<u64> = Vec::new();
    for cells in counts.values() {
        for options in cells {
            if h.len() < options.len() {
                h.resize(options.len(), 0);
            }
            for (o, n) in options.iter().enumerate() {
                h[o] += n;
            }
        }
    }
    h
}

/// The counters of every participant's IIT and EIT in a round: a handful of
/// set-based queries over aggregate tables, never the raw responses.
pub async fn round_aggregates(db: &Db, round_id: &str) -> Result<Vec<AgencyTool>> {
    type CountRow = (
        String,
        String,
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    const COUNTS: &str = "SELECT c.agency_id, a.code, a.name_th, c.tool, c.n, c.straight, c.duplicates, c.largest_cluster, c.peak_hour, \
        p.iit_population, p.eit_population \
        FROM response_counts c JOIN agencies a ON a.id = c.agency_id \
        JOIN participations p ON p.agency_id = c.agency_id AND p.round_id = c.round_id \
        WHERE c.round_id = $1";
    const SPEEDS: &str = "SELECT agency_id, tool, bucket, n FROM speed_counts WHERE round_id = $1";
    const TALLIES: &str = "SELECT agency_id, tool, counts FROM tally_deltas WHERE round_id = $1";
    let counts: Vec<CountRow> = read!(db, |p| sqlx::query_as(COUNTS)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let speeds: Vec<(String, String, String, i64)> = read!(db, |p| sqlx::query_as(SPEEDS)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let tallies: Vec<(String, String, String)> = read!(db, |p| sqlx::query_as(TALLIES)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let mut speed_of: HashMap<(String, String), Vec<(SpeedBucket, u64)>> = HashMap::new();
    for (agency, tool, bucket, n) in speeds {
        if let Ok(b) = bucket.parse::<SpeedBucket>() {
            speed_of
                .entry((agency, tool))
                .or_default()
                .push((b, n as u64));
        }
    }
    // Option-position histograms per agency and tool, and per tool round-wide.
    let mut hist: HashMap<(String, String), Vec<u64>> = HashMap::new();
    for (agency, tool, c) in tallies {
        let c: Counts =
            serde_json::from_str(&c).map_err(|e| StoreError::Invalid(format!("tally: {e}")))?;
        let h = option_histogram(&c);
        add_into(hist.entry((agency, tool)).or_default(), &h);
    }
    let mut round_wide: HashMap<String, Vec<u64>> = HashMap::new();
    for ((_, tool), h) in &hist {
        add_into(round_wide.entry(tool.clone()).or_default(), h);
    }
    let mut out = Vec::with_capacity(counts.len());
    for (agency, code, name_th, tool, n, straight, dup, largest, peak, iit_pop, eit_pop) in counts {
        let population = match tool.as_str() {
            "IIT" if iit_pop > 0 => Some(iit_pop as u64),
            "EIT" if eit_pop > 0 => Some(eit_pop as u64),
            _ => None,
        };
        let distance_from_norm = distance(&hist, &round_wide, &agency, &tool, n as u64);
        out.push(AgencyTool {
            aggregates: Aggregates {
                responses: n as u64,
                straight: straight as u64,
                duplicates: dup as u64,
                largest_cluster: largest as u64,
                peak_hour: peak as u64,
                speeds: speed_of
                    .remove(&(agency.clone(), tool.clone()))
                    .unwrap_or_default(),
                population,
                distance_from_norm,
            },
            agency_id: agency,
            code,
            name_th,
            tool,
        });
    }
    out.sort_by(|a, b| (&a.code, &a.tool).cmp(&(&b.code, &b.tool)));
    Ok(out)
}

fn add_into(into: &mut Vec<u64>, h: &[u64]) {
    if into.len() < h.len() {
        into.resize(h.len(), 0);
    }
    for (i, n) in h.iter().enumerate() {
        into[i] += n;
    }
}

/// The agency's distance from the rest of the round (itself left out), when
/// both sides rest on enough responses.
fn distance(
    hist: &HashMap<(String, String), Vec<u64>>,
    round_wide: &HashMap<String, Vec<u64>>,
    agency: &str,
    tool: &str,
    n: u64,
) -> Option<u64> {
    use itas_core::quality::DISTRIBUTION_MIN_RESPONSES as MIN;
    if n < MIN {
        return None;
    }
    let own = hist.get(&(agency.to_string(), tool.to_string()))?;
    let all = round_wide.get(tool)?;
    let rest: Vec<u64> = (0..all.len())
        .map(|i| all[i] - own.get(i).copied().unwrap_or(0))
        .collect();
    // The rest must hold at least MIN responses' worth of answers.
    let cells_per_response = own.iter().sum::<u64>() / n.max(1);
    if rest.iter().sum::<u64>() < MIN * cells_per_response.max(1) {
        return None;
    }
    itas_core::quality::total_variation_bp(own, &rest)
}

/// What the central office decided about an agency's flagged answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every answer counts.
    Accept,
    /// Identical answer sets beyond the first and straight-lined answers are left out.
    Exclude,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::Exclude => "exclude",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "exclude" => Some(Decision::Exclude),
            _ => None,
        }
    }

    pub fn name_th(self) -> &'static str {
        match self {
            Decision::Accept => "ใช้คำตอบทั้งหมด",
            Decision::Exclude => "ตัดคำตอบที่ซ้ำกันทั้งชุดและที่ตอบตัวเลือกเดียวทุกข้อออก",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredDecision {
    pub agency_id: String,
    pub tool: String,
    pub decision: Decision,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: i64,
}

/// Records (or changes) the decision on an agency's tool; audited.
pub async fn decide(
    db: &Db,
    actor: &str,
    agency_id: &str,
    round_id: &str,
    tool: &str,
    decision: Decision,
    reason: &str,
) -> Result<()> {
    let before = decision_of(db, agency_id, round_id, tool).await?;
    let now = crate::now_ms();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO quality_decisions (agency_id, round_id, tool, decision, reason, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (agency_id, round_id, tool) DO UPDATE SET \
             decision = excluded.decision, reason = excluded.reason, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        )
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .bind(decision.code())
        .bind(reason)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::audit!(
            &mut *tx,
            Some(actor),
            "quality_decision",
            "quality",
            format!("{agency_id}/{round_id}/{tool}"),
            before.as_ref().and_then(audit::json),
            audit::json(&serde_json::json!({"decision": decision.code(), "reason": reason}))
        )?;
        tx.commit().await?;
    });
    Ok(())
}

pub async fn decision_of(
    db: &Db,
    agency_id: &str,
    round_id: &str,
    tool: &str,
) -> Result<Option<StoredDecision>> {
    Ok(decisions(db, round_id)
        .await?
        .remove(&(agency_id.to_string(), tool.to_string())))
}

/// Every decision of a round, by (agency, tool).
pub async fn decisions(
    db: &Db,
    round_id: &str,
) -> Result<BTreeMap<(String, String), StoredDecision>> {
    const Q: &str = "SELECT agency_id, tool, decision, reason, decided_by, decided_at FROM quality_decisions WHERE round_id = $1";
    let rows: Vec<(String, String, String, String, String, i64)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .filter_map(|(agency_id, tool, d, reason, decided_by, decided_at)| {
            Some((
                (agency_id.clone(), tool.clone()),
                StoredDecision {
                    agency_id,
                    tool,
                    decision: Decision::parse(&d)?,
                    reason,
                    decided_by,
                    decided_at,
                },
            ))
        })
        .collect())
}

/// An agency's tallies of one tool without the flagged part: every identical
/// answer set counted once, and straight-lined answer sets left out. Returns
/// the tallies and how many responses remain. Reads that agency's responses
/// only (one agency, on demand).
pub async fn tallies_without_flagged(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<(Counts, u64)> {
    const Q: &str =
        "SELECT answers FROM responses WHERE agency_id = $1 AND round_id = $2 AND tool = $3";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .fetch_all(p)
        .await?);
    let mut seen = std::collections::HashSet::new();
    let mut out = Counts::new();
    let mut n = 0;
    for (packed,) in rows {
        if !seen.insert(packed.clone()) {
            continue;
        }
        let answers: BTreeMap<String, Vec<usize>> = serde_json::from_str(&packed)
            .map_err(|e| StoreError::Invalid(format!("response: {e}")))?;
        if itas_core::quality::is_straight(answers.values().flatten()) {
            continue;
        }
        let mut one = Counts::new();
        crate::ingest::add_answers(&mut one, &answers);
        merge_counts(&mut out, &one);
        n += 1;
    }
    Ok((out, n))
}
