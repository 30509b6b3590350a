//! Rounds: one fiscal year's assessment, bound to the framework it was opened
//! with (its source is stored, so loading another framework later never
//! changes this round's scores), its phases, participants and scores.

use crate::audit::json;
use crate::{Db, Result, StoreError, audit, conflict, new_id, now_ms, read, write};
use itas_core::Score;
use itas_core::directory::Phase;
use itas_core::framework::{self, Framework};
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Round {
    pub id: String,
    pub fiscal_year: i64,
    pub name: String,
    pub framework_code: String,
    #[serde(skip)]
    pub framework_source: String,
    pub created_at: i64,
    /// When the central office published the results (0: before this was
    /// recorded); none while unpublished or withdrawn.
    pub published_at: Option<i64>,
}

impl Round {
    /// The round's own framework, as stored when it was opened.
    pub fn framework(&self) -> Result<Framework> {
        framework::parse(
            &format!("{}.toml", self.framework_code),
            &self.framework_source,
        )
        .map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseDates {
    pub phase: Phase,
    pub starts_on: Date,
    pub ends_on: Date,
}

/// Where a round stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "phase", rename_all = "snake_case")]
pub enum RoundState {
    NotStarted,
    In(Phase),
    /// Between two phases.
    Between(Phase),
    Closed,
}

pub fn state_on(phases: &[PhaseDates], day: Date) -> RoundState {
    if let Some(p) = phases
        .iter()
        .find(|p| p.starts_on <= day && day <= p.ends_on)
    {
        return RoundState::In(p.phase);
    }
    match (phases.first(), phases.last()) {
        (Some(f), _) if day < f.starts_on => RoundState::NotStarted,
        (_, Some(l)) if day > l.ends_on => RoundState::Closed,
        (None, _) => RoundState::NotStarted,
        _ => phases
            .iter()
            .rev()
            .find(|p| p.ends_on < day)
            .map_or(RoundState::NotStarted, |p| RoundState::Between(p.phase)),
    }
}

fn check_phases(phases: &[PhaseDates]) -> Result<()> {
    for p in phases {
        if p.ends_on < p.starts_on {
            return Err(StoreError::Invalid(format!(
                "phase {}: ends before it starts",
                p.phase.code()
            )));
        }
    }
    for w in phases.windows(2) {
        if w[1].phase <= w[0].phase || w[1].starts_on <= w[0].ends_on {
            return Err(StoreError::Invalid(format!(
                "phase {} must start after {} ends",
                w[1].phase.code(),
                w[0].phase.code()
            )));
        }
    }
    Ok(())
}

/// Opens a round from a framework file's source. The fiscal year defaults to
/// the framework's; a ministry may run an earlier year's instrument again.
pub async fn create(
    db: &Db,
    actor: Option<&str>,
    name: &str,
    fiscal_year: Option<i64>,
    framework_source: &str,
    phases: &[PhaseDates],
) -> Result<Round> {
    let fw = framework::parse("framework.toml", framework_source)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    if name.trim().is_empty() {
        return Err(StoreError::Invalid("round name is empty".into()));
    }
    check_phases(phases)?;
    let fiscal_year = fiscal_year.unwrap_or(i64::from(fw.fiscal_year));
    if !(2400..=2800).contains(&fiscal_year) {
        return Err(StoreError::Invalid(format!(
            "fiscal year {fiscal_year} is not a Buddhist-era year"
        )));
    }
    let id = new_id();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO rounds (id, fiscal_year, name, framework_code, framework_source, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(fiscal_year)
        .bind(name.trim())
        .bind(&fw.code)
        .bind(framework_source)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(conflict("round name"))?;
        for ph in phases {
            sqlx::query("INSERT INTO round_phases (round_id, phase, starts_on, ends_on) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(ph.phase.code())
                .bind(ph.starts_on.to_string())
                .bind(ph.ends_on.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let after = serde_json::json!({"name": name.trim(), "framework": fw.code, "fiscal_year": fiscal_year, "phases": phases});
        audit!(
            &mut *tx,
            actor,
            "create",
            "round",
            &id,
            None::<String>,
            Some(after.to_string())
        )?;
        tx.commit().await?;
    });
    rounds_changed();
    get(db, &id).await?.ok_or(StoreError::NotFound)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Round>> {
    const Q: &str = "SELECT id, fiscal_year, name, framework_code, framework_source, created_at, published_at FROM rounds WHERE id = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// Newest fiscal year first.
pub async fn list(db: &Db) -> Result<Vec<Round>> {
    const Q: &str = "SELECT id, fiscal_year, name, framework_code, framework_source, created_at, published_at FROM rounds ORDER BY fiscal_year DESC, created_at DESC";
    Ok(read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?))
}

pub async fn phases(db: &Db, round_id: &str) -> Result<Vec<PhaseDates>> {
    const Q: &str = "SELECT phase, starts_on, ends_on FROM round_phases WHERE round_id = $1";
    let rows: Vec<(String, String, String)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut out: Vec<PhaseDates> = rows
        .into_iter()
        .filter_map(|(ph, s, e)| {
            Some(PhaseDates {
                phase: ph.parse().ok()?,
                starts_on: Date::parse(&s, fmt).ok()?,
                ends_on: Date::parse(&e, fmt).ok()?,
            })
        })
        .collect();
    out.sort_by_key(|p| p.phase);
    Ok(out)
}

/// Replaces the phase dates of a round.
pub async fn set_phases(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    phases: &[PhaseDates],
) -> Result<()> {
    check_phases(phases)?;
    let before = self::phases(db, round_id).await?;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query("DELETE FROM round_phases WHERE round_id = $1")
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
        for ph in phases {
            sqlx::query("INSERT INTO round_phases (round_id, phase, starts_on, ends_on) VALUES ($1, $2, $3, $4)")
                .bind(round_id)
                .bind(ph.phase.code())
                .bind(ph.starts_on.to_string())
                .bind(ph.ends_on.to_string())
                .execute(&mut *tx)
                .await?;
        }
        audit!(
            &mut *tx,
            actor,
            "set_phases",
            "round",
            round_id,
            json(&before),
            json(&phases)
        )?;
        tx.commit().await?;
    });
    rounds_changed();
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Participation {
    pub agency_id: String,
    pub round_id: String,
    pub iit_population: i64,
    pub eit_population: i64,
    pub joined_at: i64,
    /// Size code for the framework's minimum-sample table; empty when unset.
    pub size: String,
}

/// Registers agencies in a round; already registered ones are left as they are.
pub async fn join(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_ids: &[String],
) -> Result<usize> {
    let now = now_ms();
    let mut added = 0;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for a in agency_ids {
            let r = sqlx::query(
                "INSERT INTO participations (agency_id, round_id, iit_population, eit_population, joined_at) VALUES ($1, $2, 0, 0, $3) \
                 ON CONFLICT (agency_id, round_id) DO NOTHING",
            )
            .bind(a)
            .bind(round_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
                added += 1;
                participants_changed();
                audit!(
                    &mut *tx,
                    actor,
                    "join",
                    "participation",
                    format!("{a}/{round_id}"),
                    None::<String>,
                    Some(round_id.to_string())
                )?;
            }
        }
        tx.commit().await?;
    });
    if added > 0 {
        links_for_participants(db, actor, round_id).await?;
    }
    Ok(added)
}

/// Gives every participant of a round its survey links (those it lacks).
pub async fn links_for_participants(db: &Db, actor: Option<&str>, round_id: &str) -> Result<usize> {
    let round = get(db, round_id).await?.ok_or(StoreError::NotFound)?;
    // One link per place answers are collected: a survey tool, or each of
    // its parts (the central office's part 2 has its own).
    let tools: Vec<String> = round
        .framework()?
        .collections()
        .iter()
        .map(|c| c.key())
        .collect();
    crate::surveys::create_missing_links(db, actor, round_id, &tools).await
}

pub async fn participation(
    db: &Db,
    round_id: &str,
    agency_id: &str,
) -> Result<Option<Participation>> {
    const Q: &str = "SELECT agency_id, round_id, iit_population, eit_population, joined_at, size FROM participations WHERE agency_id = $1 AND round_id = $2";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_optional(p)
        .await?))
}

/// Rounds an agency takes part in, newest first.
pub async fn rounds_of_agency(db: &Db, agency_id: &str) -> Result<Vec<Round>> {
    const Q: &str = "SELECT r.id, r.fiscal_year, r.name, r.framework_code, r.framework_source, r.created_at, r.published_at FROM rounds r \
        JOIN participations p ON p.round_id = r.id WHERE p.agency_id = $1 ORDER BY r.fiscal_year DESC, r.created_at DESC";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .fetch_all(p)
        .await?))
}

pub async fn participant_count(db: &Db, round_id: &str) -> Result<i64> {
    const Q: &str = "SELECT COUNT(*) FROM participations WHERE round_id = $1";
    Ok(read!(db, |p| sqlx::query_as::<_, (i64,)>(Q)
        .bind(round_id)
        .fetch_one(p)
        .await?
        .0))
}

/// Sets the populations the minimum samples are computed from.
pub async fn set_populations(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    iit: i64,
    eit: i64,
) -> Result<()> {
    if !(0..=10_000_000).contains(&iit) || !(0..=100_000_000).contains(&eit) {
        return Err(StoreError::Invalid(
            "population out of range: staff (IIT) 0 to 10,000,000, people served (EIT) 0 to 100,000,000".into(),
        ));
    }
    let before = participation(db, round_id, agency_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query("UPDATE participations SET iit_population = $1, eit_population = $2 WHERE agency_id = $3 AND round_id = $4")
            .bind(iit)
            .bind(eit)
            .bind(agency_id)
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
        audit!(
            &mut *tx,
            actor,
            "set_populations",
            "participation",
            format!("{agency_id}/{round_id}"),
            Some(serde_json::json!({"round": round_id, "iit": before.iit_population, "eit": before.eit_population}).to_string()),
            Some(serde_json::json!({"round": round_id, "iit": iit, "eit": eit}).to_string())
        )?;
        tx.commit().await?;
    });
    participants_changed();
    Ok(())
}

/// Stores indicator scores of an agency (as published or entered), replacing earlier ones.
pub async fn set_indicator_scores(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    scores: &BTreeMap<u32, Score>,
    source: &str,
) -> Result<()> {
    participation(db, round_id, agency_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let before = indicator_scores(db, round_id, agency_id).await?;
    let now = now_ms();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (n, s) in scores {
            sqlx::query(
                "INSERT INTO indicator_scores (agency_id, round_id, indicator, hundredths, source, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (agency_id, round_id, indicator) DO UPDATE SET hundredths = excluded.hundredths, source = excluded.source, updated_at = excluded.updated_at",
            )
            .bind(agency_id)
            .bind(round_id)
            .bind(i64::from(*n))
            .bind(s.hundredths())
            .bind(source)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        // Entered scores were not computed here: no sample to mark them by.
        sqlx::query("DELETE FROM score_samples WHERE round_id = $1 AND agency_id = $2")
            .bind(round_id)
            .bind(agency_id)
            .execute(&mut *tx)
            .await?;
        audit!(
            &mut *tx,
            actor,
            "set_scores",
            "participation",
            format!("{agency_id}/{round_id}"),
            json(&before),
            json(scores)
        )?;
        tx.commit().await?;
    });
    scores_changed();
    Ok(())
}

/// Counts every change to stored indicator scores made by this process, so
/// in-process caches of results know when they are stale.
static SCORES_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The number of score writes this process has made (see [`SCORES_GENERATION`]).
pub fn scores_generation() -> u64 {
    SCORES_GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

/// Counts changes to who takes part in a round and with what populations
/// and sizes (join, populations, sizes) made by this process.
static PARTICIPANTS_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn participants_generation() -> u64 {
    PARTICIPANTS_GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

fn participants_changed() {
    PARTICIPANTS_GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// Counts changes to rounds themselves (created, phases, published or
/// withdrawn) made by this process: what the public may see depends on them.
static ROUNDS_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn rounds_changed() {
    ROUNDS_GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// Moves whenever anything a published results page shows may have changed
/// in this process: scores, participants or the rounds themselves. (The sum
/// of counters that only grow changes whenever one of them does.)
pub fn public_generation() -> u64 {
    scores_generation()
        .wrapping_add(participants_generation())
        .wrapping_add(ROUNDS_GENERATION.load(std::sync::atomic::Ordering::Acquire))
}

pub(crate) fn scores_changed() {
    SCORES_GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

pub use itas_core::sample::Sample;

/// One agency's scores from a scoring run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoredAgency {
    pub agency_id: String,
    pub indicators: BTreeMap<u32, Score>,
    /// One per survey tool.
    pub samples: Vec<Sample>,
}

/// A scoring run's scores as the engine hands them over, slice by slice.
#[derive(Debug)]
pub enum ScoresPart {
    /// Agencies just scored.
    Scored(Vec<ScoredAgency>),
    /// Every slice was sent: the run may be committed.
    Done,
}

/// Writes a scoring run's scores while the run goes on, so that writing
/// overlaps reading and scoring: all of them in one transaction with one
/// audit entry, committed only on [`ScoresPart::Done`]. A run that stops
/// before it (its sender dropped on an error) leaves every stored score as
/// it was. The transaction begins with the first scores, so the writer is
/// held no longer than the run takes from there. Returns the agencies written.
pub async fn write_round_scores(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    source: &str,
    mut parts: tokio::sync::mpsc::Receiver<ScoresPart>,
) -> Result<usize> {
    const ROWS: usize = 1000;
    let stopped = || {
        StoreError::Invalid(
            "the scoring run stopped before it was done; no score was changed".into(),
        )
    };
    let now = now_ms();
    let (mut agencies, mut written) = (0usize, 0usize);
    let mut part = parts.recv().await.ok_or_else(stopped)?;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        while let ScoresPart::Scored(scores) = part {
            agencies += scores.len();
            let rows: Vec<(&str, u32, Score)> = scores
                .iter()
                .flat_map(|a| {
                    a.indicators
                        .iter()
                        .map(move |(n, v)| (a.agency_id.as_str(), *n, *v))
                })
                .collect();
            let samples: Vec<(&str, &Sample)> = scores
                .iter()
                .flat_map(|a| a.samples.iter().map(move |s| (a.agency_id.as_str(), s)))
                .collect();
            for chunk in samples.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO score_samples (round_id, agency_id, tool, counted, required) ",
                );
                qb.push_values(chunk, |mut b, (agency, s)| {
                    b.push_bind(round_id)
                        .push_bind(*agency)
                        .push_bind(s.tool.as_str())
                        .push_bind(s.counted)
                        .push_bind(s.required);
                });
                qb.push(
                    " ON CONFLICT (round_id, agency_id, tool) DO UPDATE SET counted = excluded.counted, \
                     required = excluded.required",
                );
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in rows.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO indicator_scores (agency_id, round_id, indicator, hundredths, source, updated_at) ",
                );
                qb.push_values(chunk, |mut b, (agency, n, s)| {
                    b.push_bind(*agency)
                        .push_bind(round_id)
                        .push_bind(i64::from(*n))
                        .push_bind(s.hundredths())
                        .push_bind(source)
                        .push_bind(now);
                });
                qb.push(
                    " ON CONFLICT (agency_id, round_id, indicator) DO UPDATE SET hundredths = excluded.hundredths, \
                     source = excluded.source, updated_at = excluded.updated_at",
                );
                qb.build().execute(&mut *tx).await?;
            }
            written += rows.len();
            // Dropping `tx` on the way out rolls the run back.
            part = parts.recv().await.ok_or_else(stopped)?;
        }
        audit!(
            &mut *tx,
            actor,
            "set_round_scores",
            "round",
            round_id,
            None::<String>,
            Some(
                serde_json::json!({"agencies": agencies, "scores": written, "source": source})
                    .to_string()
            )
        )?;
        tx.commit().await?;
    });
    scores_changed();
    Ok(agencies)
}

pub async fn indicator_scores(
    db: &Db,
    round_id: &str,
    agency_id: &str,
) -> Result<BTreeMap<u32, Score>> {
    const Q: &str =
        "SELECT indicator, hundredths FROM indicator_scores WHERE agency_id = $1 AND round_id = $2";
    let rows: Vec<(i64, i64)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(n, h)| (n as u32, Score::from_hundredths(h)))
        .collect())
}

/// Every stored indicator score of a round, grouped by agency: what
/// dashboards and exports compute from (never raw responses).
pub async fn round_scores(
    db: &Db,
    round_id: &str,
) -> Result<BTreeMap<String, BTreeMap<u32, Score>>> {
    const Q: &str =
        "SELECT agency_id, indicator, hundredths FROM indicator_scores WHERE round_id = $1";
    let rows: Vec<(String, i64, i64)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let mut out: BTreeMap<String, BTreeMap<u32, Score>> = BTreeMap::new();
    for (agency, n, h) in rows {
        out.entry(agency)
            .or_default()
            .insert(n as u32, Score::from_hundredths(h));
    }
    Ok(out)
}

/// The samples an agency's computed scores in a round were computed from
/// (empty for entered scores).
pub async fn agency_samples(db: &Db, round_id: &str, agency_id: &str) -> Result<Vec<Sample>> {
    const Q: &str = "SELECT tool, counted, required FROM score_samples \
        WHERE round_id = $1 AND agency_id = $2 ORDER BY tool";
    let rows: Vec<(String, i64, Option<i64>)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .bind(agency_id)
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(tool, counted, required)| Sample {
            tool,
            counted,
            required,
        })
        .collect())
}

/// The samples of every agency of a round whose scores were computed, by
/// agency, in key order (`EIT`, `EIT.2`, `IIT`).
pub async fn round_samples(db: &Db, round_id: &str) -> Result<BTreeMap<String, Vec<Sample>>> {
    const Q: &str = "SELECT agency_id, tool, counted, required FROM score_samples \
        WHERE round_id = $1 ORDER BY agency_id, tool";
    let rows: Vec<(String, String, i64, Option<i64>)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let mut out: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    for (agency, tool, counted, required) in rows {
        out.entry(agency).or_default().push(Sample {
            tool,
            counted,
            required,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn state_follows_the_calendar() {
        let ph = vec![
            PhaseDates {
                phase: Phase::Setup,
                starts_on: date!(2021 - 01 - 01),
                ends_on: date!(2021 - 02 - 28),
            },
            PhaseDates {
                phase: Phase::Collection,
                starts_on: date!(2021 - 03 - 01),
                ends_on: date!(2021 - 05 - 31),
            },
            PhaseDates {
                phase: Phase::Publication,
                starts_on: date!(2021 - 08 - 01),
                ends_on: date!(2021 - 08 - 31),
            },
        ];
        assert_eq!(state_on(&ph, date!(2020 - 12 - 31)), RoundState::NotStarted);
        assert_eq!(
            state_on(&ph, date!(2021 - 03 - 01)),
            RoundState::In(Phase::Collection)
        );
        assert_eq!(
            state_on(&ph, date!(2021 - 06 - 15)),
            RoundState::Between(Phase::Collection)
        );
        assert_eq!(state_on(&ph, date!(2021 - 09 - 01)), RoundState::Closed);
        assert!(check_phases(&ph).is_ok());
        let mut bad = ph.clone();
        bad[1].starts_on = date!(2021 - 02 - 01);
        assert!(check_phases(&bad).is_err());
    }
}

/// Sets agencies' sizes in a round from (agency code, size) pairs, in one
/// transaction with one audit entry. Every code must be a participant and
/// every size one the round's framework knows (checked by the caller, who
/// holds the framework); an empty size clears it. Returns how many changed.
pub async fn set_sizes(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    sizes: &[(String, String)],
) -> Result<usize> {
    let mut changed = 0;
    let mut unknown = Vec::new();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (code, size) in sizes {
            let r = sqlx::query(
                "UPDATE participations SET size = $1 WHERE round_id = $2 AND size <> $1 \
                 AND agency_id = (SELECT id FROM agencies WHERE code = $3)",
            )
            .bind(size)
            .bind(round_id)
            .bind(code)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM participations p JOIN agencies a ON a.id = p.agency_id \
                     WHERE p.round_id = $1 AND a.code = $2",
                )
                .bind(round_id)
                .bind(code)
                .fetch_one(&mut *tx)
                .await?;
                if n == 0 {
                    unknown.push(code.clone());
                }
            } else {
                changed += 1;
            }
        }
        if !unknown.is_empty() {
            tx.rollback().await?;
        } else {
            audit!(
                &mut *tx,
                actor,
                "set_sizes",
                "round",
                round_id,
                None::<String>,
                Some(serde_json::json!({"rows": sizes.len(), "changed": changed}).to_string())
            )?;
            tx.commit().await?;
        }
    });
    participants_changed();
    if !unknown.is_empty() {
        return Err(StoreError::Invalid(format!(
            "not in this round: {}",
            unknown.join(", ")
        )));
    }
    Ok(changed)
}

/// An agency in a round, with what the round page shows of it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Participant {
    pub agency_id: String,
    pub code: String,
    pub name_th: String,
    pub kind: String,
    pub province: String,
    pub parent_id: Option<String>,
    pub iit_population: i64,
    pub eit_population: i64,
    pub size: String,
}

impl Participant {
    /// The stated population a survey tool samples from: the staff for the
    /// IIT, the service users for every other survey (0 until stated).
    pub fn population(&self, tool: &str) -> i64 {
        if tool == "IIT" {
            self.iit_population
        } else {
            self.eit_population
        }
    }

    /// The sample a survey tool needs from this agency under `fw`: None for
    /// a tool without a minimum (the OIT); Some(None) while the population
    /// it depends on is not stated.
    pub fn required_sample(&self, fw: &Framework, tool: &str) -> Option<Option<i64>> {
        let population = u32::try_from(self.population(tool)).unwrap_or(0);
        let n = fw.required_sample(tool, &self.kind, &self.size, population)?;
        let fixed = fw.min_sample_row(tool, &self.kind, &self.size).is_some();
        Some((population > 0 || fixed).then_some(i64::from(n)))
    }
}

pub async fn participants(db: &Db, round_id: &str) -> Result<Vec<Participant>> {
    const Q: &str = "SELECT a.id AS agency_id, a.code, a.name_th, a.kind, a.province, a.parent_id, p.iit_population, p.eit_population, p.size \
        FROM participations p JOIN agencies a ON a.id = p.agency_id WHERE p.round_id = $1 ORDER BY a.code";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?))
}

/// Ids of every registered agency (to add all of them to a round).
pub async fn all_agency_ids(db: &Db) -> Result<Vec<String>> {
    const Q: &str = "SELECT id FROM agencies ORDER BY code";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Publishes a round's results (public from its publication phase on); audited.
pub async fn publish(db: &Db, actor: Option<&str>, round_id: &str, now: i64) -> Result<()> {
    set_published(db, actor, round_id, Some(now)).await
}

/// Takes a round's results out of public view again; audited.
pub async fn withdraw(db: &Db, actor: Option<&str>, round_id: &str) -> Result<()> {
    set_published(db, actor, round_id, None).await
}

async fn set_published(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    at: Option<i64>,
) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let before: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT published_at FROM rounds WHERE id = $1")
                .bind(round_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((before,)) = before else {
            return Err(StoreError::NotFound);
        };
        sqlx::query("UPDATE rounds SET published_at = $1, published_by = $2 WHERE id = $3")
            .bind(at)
            .bind(actor)
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
        audit!(
            &mut *tx,
            actor,
            if at.is_some() {
                "publish_results"
            } else {
                "withdraw_results"
            },
            "round",
            round_id,
            before.map(|t| t.to_string()),
            at.map(|t| t.to_string())
        )?;
        tx.commit().await?;
    });
    scores_changed();
    Ok(())
}

/// Keeps the outcome of the last scoring run (JSON) for the review before publishing.
pub async fn set_last_scoring(db: &Db, round_id: &str, json: &str) -> Result<()> {
    write!(db, |p| {
        sqlx::query("UPDATE rounds SET last_scoring = $1 WHERE id = $2")
            .bind(json)
            .bind(round_id)
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn last_scoring(db: &Db, round_id: &str) -> Result<String> {
    let r: Option<(String,)> = read!(db, |p| sqlx::query_as(
        "SELECT last_scoring FROM rounds WHERE id = $1"
    )
    .bind(round_id)
    .fetch_optional(p)
    .await?);
    Ok(r.map(|r| r.0).unwrap_or_default())
}
