//! An agency's public ITA page per round: published when the agency chooses,
//! withdrawn with a trace. Every change is audited in its own transaction.

use crate::{Db, Result, StoreError, audit, read, write};

/// Where a page stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageState {
    /// Public since this time (ms).
    Published(i64),
    /// Was public, taken down at this time (ms).
    Withdrawn(i64),
}

/// A page found by agency and fiscal year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundPage {
    pub round_id: String,
    pub fiscal_year: i64,
    pub state: PageState,
}

fn state_of(published_at: Option<i64>, withdrawn_at: Option<i64>) -> Option<PageState> {
    match (published_at, withdrawn_at) {
        (_, Some(w)) => Some(PageState::Withdrawn(w)),
        (Some(p), None) => Some(PageState::Published(p)),
        (None, None) => None,
    }
}

/// The page of one agency and round; `None` when it was never published.
pub async fn get(db: &Db, agency_id: &str, round_id: &str) -> Result<Option<PageState>> {
    let row: Option<(Option<i64>, Option<i64>)> = read!(db, |p| {
        sqlx::query_as(
        "SELECT published_at, withdrawn_at FROM public_pages WHERE agency_id = $1 AND round_id = $2"
    )
    .bind(agency_id)
    .bind(round_id)
    .fetch_optional(p)
    .await?
    });
    Ok(row.and_then(|(p, w)| state_of(p, w)))
}

/// The agency's page for a fiscal year (Buddhist era). When several rounds of
/// that year have one, a published page wins over a withdrawn one, then the newest.
pub async fn for_year(db: &Db, agency_id: &str, fiscal_year: i64) -> Result<Option<FoundPage>> {
    let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = read!(db, |p| sqlx::query_as(
        "SELECT g.round_id, r.fiscal_year, g.published_at, g.withdrawn_at FROM public_pages g \
         JOIN rounds r ON r.id = g.round_id WHERE g.agency_id = $1 AND r.fiscal_year = $2"
    )
    .bind(agency_id)
    .bind(fiscal_year)
    .fetch_all(p)
    .await?);
    Ok(best(rows))
}

/// The newest page the agency has published for a round of an earlier fiscal
/// year than `before_year`: the analysis and measures that next year's OIT
/// items (o42/o43, O25/O26) ask for.
pub async fn latest_published_before(
    db: &Db,
    agency_id: &str,
    before_year: i64,
) -> Result<Option<FoundPage>> {
    let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = read!(db, |p| {
        sqlx::query_as(
        "SELECT g.round_id, r.fiscal_year, g.published_at, g.withdrawn_at FROM public_pages g \
         JOIN rounds r ON r.id = g.round_id \
         WHERE g.agency_id = $1 AND r.fiscal_year < $2 AND g.published_at IS NOT NULL AND g.withdrawn_at IS NULL"
    )
    .bind(agency_id)
    .bind(before_year)
    .fetch_all(p)
    .await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(round_id, fiscal_year, p, w)| {
            state_of(p, w).map(|state| FoundPage {
                round_id,
                fiscal_year,
                state,
            })
        })
        .max_by_key(|f| {
            (
                f.fiscal_year,
                match f.state {
                    PageState::Published(t) | PageState::Withdrawn(t) => t,
                },
            )
        }))
}

fn best(rows: Vec<(String, i64, Option<i64>, Option<i64>)>) -> Option<FoundPage> {
    rows.into_iter()
        .filter_map(|(round_id, fiscal_year, p, w)| {
            state_of(p, w).map(|state| FoundPage {
                round_id,
                fiscal_year,
                state,
            })
        })
        .max_by_key(|f| match f.state {
            PageState::Published(t) => (1, t),
            PageState::Withdrawn(t) => (0, t),
        })
}

/// Makes the page public (again); audited.
pub async fn publish(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    round_id: &str,
    now: i64,
) -> Result<()> {
    change(db, actor, agency_id, round_id, now, true).await
}

/// Takes the page down; its address then answers "withdrawn". Audited.
pub async fn withdraw(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    round_id: &str,
    now: i64,
) -> Result<()> {
    change(db, actor, agency_id, round_id, now, false).await
}

async fn change(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    round_id: &str,
    now: i64,
    publish: bool,
) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let joined: Option<(String,)> = sqlx::query_as(
            "SELECT agency_id FROM participations WHERE agency_id = $1 AND round_id = $2",
        )
        .bind(agency_id)
        .bind(round_id)
        .fetch_optional(&mut *tx)
        .await?;
        if joined.is_none() {
            return Err(StoreError::NotFound);
        }
        let before: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT published_at, withdrawn_at FROM public_pages WHERE agency_id = $1 AND round_id = $2",
        )
        .bind(agency_id)
        .bind(round_id)
        .fetch_optional(&mut *tx)
        .await?;
        let before = before.and_then(|(p, w)| state_of(p, w));
        if !publish && !matches!(before, Some(PageState::Published(_))) {
            return Err(StoreError::Invalid("the page is not published".into()));
        }
        let (published_at, withdrawn_at) = if publish {
            (Some(now), None)
        } else {
            (
                match before {
                    Some(PageState::Published(t)) => Some(t),
                    _ => None,
                },
                Some(now),
            )
        };
        sqlx::query(
            "INSERT INTO public_pages (agency_id, round_id, published_at, withdrawn_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (agency_id, round_id) DO UPDATE SET published_at = $3, withdrawn_at = $4",
        )
        .bind(agency_id)
        .bind(round_id)
        .bind(published_at)
        .bind(withdrawn_at)
        .execute(&mut *tx)
        .await?;
        let describe = |s: Option<PageState>| match s {
            None => "never published".to_string(),
            Some(PageState::Published(t)) => format!("published at {t}"),
            Some(PageState::Withdrawn(t)) => format!("withdrawn at {t}"),
        };
        audit!(
            &mut *tx,
            actor,
            if publish {
                "publish_public_page"
            } else {
                "withdraw_public_page"
            },
            "public_page",
            format!("{agency_id}/{round_id}"),
            Some(describe(before)),
            Some(describe(if publish {
                Some(PageState::Published(now))
            } else {
                Some(PageState::Withdrawn(now))
            }))
        )?;
        tx.commit().await?;
    });
    Ok(())
}
