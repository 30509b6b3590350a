//! Survey links, single-use codes, and the counts and tallies that
//! collection produces (drafts live in [`crate::drafts`]). Responses themselves are written by [`crate::ingest`].

use crate::ingest::{Counts, merge_counts};
use crate::{Db, Result, StoreError, audit, now_ms, read, write};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Link {
    pub code: String,
    pub agency_id: String,
    pub round_id: String,
    pub tool: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Short public codes: no look-alike characters, easy to type from a poster.
const LINK_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn random_code(len: usize, alphabet: &[u8]) -> String {
    let id = uuid::Uuid::new_v4();
    let mut bytes = id.as_bytes().to_vec();
    bytes.extend(uuid::Uuid::new_v4().as_bytes());
    bytes
        .iter()
        .take(len)
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

pub async fn link_by_code(db: &Db, code: &str) -> Result<Option<Link>> {
    const Q: &str = "SELECT code, agency_id, round_id, tool, created_at, revoked_at FROM survey_links WHERE code = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(code)
        .fetch_optional(p)
        .await?))
}

pub async fn active_link(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<Option<Link>> {
    const Q: &str = "SELECT code, agency_id, round_id, tool, created_at, revoked_at FROM survey_links \
        WHERE agency_id = $1 AND round_id = $2 AND tool = $3 AND revoked_at IS NULL";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .fetch_optional(p)
        .await?))
}

/// The active link, created on first use.
pub async fn ensure_link(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<Link> {
    if let Some(l) = active_link(db, round_id, agency_id, tool).await? {
        return Ok(l);
    }
    rotate_link(db, actor, round_id, agency_id, tool).await
}

/// Creates the survey links the participants of a round still lack, one per
/// survey tool, in one transaction with one audit entry: links exist from the
/// moment an agency joins, so no page that only shows them writes anything.
/// Returns how many were created.
pub async fn create_missing_links(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    tools: &[String],
) -> Result<usize> {
    const Q: &str = "SELECT p.agency_id FROM participations p WHERE p.round_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM survey_links l WHERE l.agency_id = p.agency_id AND l.round_id = p.round_id \
          AND l.tool = $2 AND l.revoked_at IS NULL) ORDER BY p.agency_id";
    let mut missing: Vec<(String, String)> = Vec::new();
    for tool in tools {
        let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q)
            .bind(round_id)
            .bind(tool)
            .fetch_all(p)
            .await?);
        missing.extend(rows.into_iter().map(|(a,)| (a, tool.clone())));
    }
    if missing.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for chunk in missing.chunks(500) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO survey_links (code, agency_id, round_id, tool, created_at, revoked_at) ",
            );
            qb.push_values(chunk, |mut b, (agency, tool)| {
                b.push_bind(random_code(8, LINK_ALPHABET))
                    .push_bind(agency.clone())
                    .push_bind(round_id.to_string())
                    .push_bind(tool.clone())
                    .push_bind(now)
                    .push_bind(None::<i64>);
            });
            qb.build().execute(&mut *tx).await?;
        }
        audit!(
            &mut *tx,
            actor,
            "create_links",
            "round",
            round_id,
            None::<String>,
            Some(format!("{} links", missing.len()))
        )?;
        tx.commit().await?;
    });
    Ok(missing.len())
}

/// Revokes the active link (if any) and issues a new one. Old links then
/// show a clear message instead of the questionnaire.
pub async fn rotate_link(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<Link> {
    crate::rounds::participation(db, round_id, agency_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let code = random_code(8, LINK_ALPHABET);
    let now = now_ms();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let old: Option<(String,)> = sqlx::query_as(
            "UPDATE survey_links SET revoked_at = $1 WHERE agency_id = $2 AND round_id = $3 AND tool = $4 AND revoked_at IS NULL RETURNING code",
        )
        .bind(now)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO survey_links (code, agency_id, round_id, tool, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)")
            .bind(&code)
            .bind(agency_id)
            .bind(round_id)
            .bind(tool)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        audit!(
            &mut *tx,
            actor,
            if old.is_some() {
                "rotate_link"
            } else {
                "create_link"
            },
            "survey_link",
            agency_id,
            old.map(|o| o.0),
            Some(format!("{tool}:{code}"))
        )?;
        tx.commit().await?;
    });
    link_by_code(db, &code).await?.ok_or(StoreError::NotFound)
}

pub async fn require_code(db: &Db, round_id: &str, agency_id: &str, tool: &str) -> Result<bool> {
    const Q: &str = "SELECT require_code FROM survey_settings WHERE agency_id = $1 AND round_id = $2 AND tool = $3";
    let r: Option<(bool,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .fetch_optional(p)
        .await?);
    Ok(r.map_or(codes_by_default(tool), |r| r.0))
}

/// Whether a tool asks for single-use codes until the agency says otherwise:
/// the staff survey (IIT) does, since its population is known and its score
/// is what an agency has the strongest motive to stuff; the public survey
/// (EIT) is open, watched by the data-quality flags.
pub fn codes_by_default(tool: &str) -> bool {
    tool == "IIT"
}

/// Agencies of a round that turned a tool's codes off (shown to the central office).
pub async fn codes_turned_off(db: &Db, round_id: &str, tool: &str) -> Result<Vec<String>> {
    const Q: &str = "SELECT agency_id FROM survey_settings WHERE round_id = $1 AND tool = $2 AND require_code = $3";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .bind(tool)
        .bind(false)
        .fetch_all(p)
        .await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn set_require_code(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    tool: &str,
    on: bool,
) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO survey_settings (agency_id, round_id, tool, require_code) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (agency_id, round_id, tool) DO UPDATE SET require_code = excluded.require_code",
        )
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .bind(on)
        .execute(&mut *tx)
        .await?;
        audit!(
            &mut *tx,
            actor,
            "require_code",
            "survey_settings",
            format!("{agency_id}/{round_id}"),
            None::<String>,
            Some(format!("{tool}:{on}"))
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// Single-use codes: letters and digits in groups, easy to read aloud.
pub fn new_access_code() -> String {
    let raw = random_code(10, b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Normalises what a respondent typed: case, spaces and dashes do not matter.
pub fn normalise_access_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Unused codes an agency may hold beyond its stated population: slips
/// spoiled or lost when handed out (10 %, at least 10).
pub fn spare_codes(population: i64) -> i64 {
    (population / 10).max(10)
}

/// The stated population of a tool and the codes of it not yet used.
fn code_room_query(tool: &str) -> &'static str {
    if tool == "IIT" {
        "SELECT COALESCE((SELECT iit_population FROM participations WHERE agency_id = $1 AND round_id = $2), 0), \
         (SELECT COUNT(*) FROM access_codes WHERE agency_id = $1 AND round_id = $2 AND tool = $3 AND used = $4)"
    } else {
        "SELECT COALESCE((SELECT eit_population FROM participations WHERE agency_id = $1 AND round_id = $2), 0), \
         (SELECT COUNT(*) FROM access_codes WHERE agency_id = $1 AND round_id = $2 AND tool = $3 AND used = $4)"
    }
}

/// (stated population, codes issued and not yet used) for a tool of an agency.
pub async fn access_code_room(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<(i64, i64)> {
    let q = code_room_query(tool);
    Ok(read!(db, |p| sqlx::query_as::<_, (i64, i64)>(q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .bind(false)
        .fetch_one(p)
        .await?))
}

/// Stores the hashes of new codes (the codes themselves are shown once).
/// Refused when the agency would then hold more unused codes than its stated
/// population and [`spare_codes`]: codes are for the people counted, and an
/// unbounded number of them would let one account grow the database at will.
pub async fn add_access_codes(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    tool: &str,
    hashes: &[String],
) -> Result<()> {
    let now = now_ms();
    let room = code_room_query(tool);
    write!(db, |p| {
        let mut tx = p.begin().await?;
        // Counted inside the transaction that adds them: two requests at
        // once cannot both fit in the room that is left for one.
        let (population, unused): (i64, i64) = sqlx::query_as(room)
            .bind(agency_id)
            .bind(round_id)
            .bind(tool)
            .bind(false)
            .fetch_one(&mut *tx)
            .await?;
        let allowed = population + spare_codes(population);
        if unused + hashes.len() as i64 > allowed {
            return Err(StoreError::Invalid(format!(
                "{tool} codes: {unused} unused codes are held and {} more were asked for; \
                 the stated population of {population} allows {allowed} unused codes at most",
                hashes.len()
            )));
        }
        for h in hashes {
            sqlx::query(
                "INSERT INTO access_codes (agency_id, round_id, tool, code_hash, used, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (agency_id, round_id, tool, code_hash) DO NOTHING",
            )
            .bind(agency_id)
            .bind(round_id)
            .bind(tool)
            .bind(h)
            .bind(false)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        audit!(
            &mut *tx,
            actor,
            "add_codes",
            "survey_settings",
            format!("{agency_id}/{round_id}"),
            None::<String>,
            Some(format!("{tool}:{}", hashes.len()))
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// (codes issued, codes used) for a tool of an agency.
pub async fn access_code_counts(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    tool: &str,
) -> Result<(i64, i64)> {
    const Q: &str = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN used THEN 1 ELSE 0 END), 0) FROM access_codes \
        WHERE agency_id = $1 AND round_id = $2 AND tool = $3";
    Ok(read!(db, |p| sqlx::query_as::<_, (i64, i64)>(Q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .fetch_one(p)
        .await?))
}

/// Whether an unused code with this hash exists (checked before the
/// questionnaire; it is consumed only when the response is stored).
pub async fn access_code_open(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    tool: &str,
    hash: &str,
) -> Result<bool> {
    const Q: &str = "SELECT COUNT(*) FROM access_codes WHERE agency_id = $1 AND round_id = $2 AND tool = $3 AND code_hash = $4 AND used = $5";
    Ok(read!(db, |p| sqlx::query_as::<_, (i64,)>(Q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .bind(hash)
        .bind(false)
        .fetch_one(p)
        .await?
        .0
        > 0))
}

/// Responses per (agency, tool) in a round.
pub async fn counts(db: &Db, round_id: &str) -> Result<HashMap<(String, String), i64>> {
    const Q: &str = "SELECT agency_id, tool, n FROM response_counts WHERE round_id = $1";
    let rows: Vec<(String, String, i64)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows.into_iter().map(|(a, t, n)| ((a, t), n)).collect())
}

pub async fn count(db: &Db, round_id: &str, agency_id: &str, tool: &str) -> Result<i64> {
    const Q: &str =
        "SELECT n FROM response_counts WHERE agency_id = $1 AND round_id = $2 AND tool = $3";
    let r: Option<(i64,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .bind(tool)
        .fetch_optional(p)
        .await?);
    Ok(r.map_or(0, |r| r.0))
}

/// Deltas of one (agency, round) beyond this many are merged on the next read.
const COMPACT_AFTER: usize = 32;

/// The option counts of an agency, by item: `counts[cell][option]`, every
/// collection (tool or part) added together.
pub async fn tallies(db: &Db, round_id: &str, agency_id: &str) -> Result<Counts> {
    let mut out = Counts::new();
    for counts in tallies_by_key(db, round_id, agency_id).await?.values() {
        merge_counts(&mut out, counts);
    }
    Ok(out)
}

/// The option counts of an agency by collection key (`IIT`, `EIT`, `EIT.2`):
/// a tool in parts is combined by its framework's rule, not here.
pub async fn tallies_by_key(
    db: &Db,
    round_id: &str,
    agency_id: &str,
) -> Result<BTreeMap<String, Counts>> {
    const Q: &str = "SELECT tool, counts FROM tally_deltas WHERE agency_id = $1 AND round_id = $2";
    let rows: Vec<(String, String)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let out = parse_tallies(&rows)?;
    if rows.len() > COMPACT_AFTER {
        compact(db, round_id, agency_id).await?;
    }
    Ok(out)
}

/// The stored (collection key, tally text) pairs of many agencies of a
/// round, in one query; [`parse_tallies`] turns an agency's into counts. The
/// scoring run reads a round in slices of agencies and parses on its
/// scoring threads.
pub async fn tally_texts_of(
    db: &Db,
    round_id: &str,
    agency_ids: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    if agency_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, String, String)> = read!(db, |p| {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT agency_id, tool, counts FROM tally_deltas WHERE round_id = ",
        );
        qb.push_bind(round_id).push(" AND agency_id IN (");
        let mut list = qb.separated(", ");
        for a in agency_ids {
            list.push_bind(a);
        }
        qb.push(")");
        qb.build_query_as().fetch_all(p).await?
    });
    for (agency, tool, c) in rows {
        out.entry(agency).or_default().push((tool, c));
    }
    Ok(out)
}

/// One agency's counts by collection key from its stored (key, text) pairs.
pub fn parse_tallies(texts: &[(String, String)]) -> Result<BTreeMap<String, Counts>> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for (tool, c) in texts {
        let d: Counts =
            serde_json::from_str(c).map_err(|e| StoreError::Invalid(format!("tally: {e}")))?;
        merge_counts(out.entry(tool.clone()).or_default(), &d);
    }
    Ok(out)
}

/// Merges an agency's deltas into one row per tool. The rows merged are the
/// ones this transaction deleted (RETURNING), so concurrent compactions on
/// several servers can never count a delta twice or lose one.
pub async fn compact(db: &Db, round_id: &str, agency_id: &str) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let rows: Vec<(String, i64, String)> =
            sqlx::query_as("DELETE FROM tally_deltas WHERE agency_id = $1 AND round_id = $2 RETURNING tool, n, counts")
                .bind(agency_id)
                .bind(round_id)
                .fetch_all(&mut *tx)
                .await?;
        let mut merged: BTreeMap<String, (i64, Counts)> = BTreeMap::new();
        for (tool, n, c) in rows {
            let d: Counts =
                serde_json::from_str(&c).map_err(|e| StoreError::Invalid(format!("tally: {e}")))?;
            let m = merged.entry(tool).or_default();
            m.0 += n;
            merge_counts(&mut m.1, &d);
        }
        for (tool, (n, counts)) in merged {
            sqlx::query("INSERT INTO tally_deltas (agency_id, round_id, id, tool, n, counts) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(agency_id)
                .bind(round_id)
                .bind(crate::random_id())
                .bind(tool)
                .bind(n)
                .bind(serde_json::to_string(&counts).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Every stored response id of an agency's tool (for the crash test's audit
/// of acknowledged = stored; ids are random and carry no identity).
pub async fn response_ids(db: &Db, round_id: &str, agency_id: &str) -> Result<Vec<String>> {
    const Q: &str = "SELECT id FROM responses WHERE agency_id = $1 AND round_id = $2";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}
