//! Improvement plans: measures with owner and period, and monthly progress.
//! Every query is keyed by the agency first.

use crate::audit::json;
use crate::{Db, Result, StoreError, audit, read, write};
use serde::Serialize;
use time::Date;

/// Where a measure stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Done,
    Dropped,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Open, Status::Done, Status::Dropped];
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// What an agency writes for one measure (new or edited).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeasureFields {
    pub tool: String,
    pub measure: String,
    pub weakness: String,
    pub owner: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub follow_up: String,
    pub status: Status,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub id: String,
    pub agency_id: String,
    pub round_id: String,
    pub position: i64,
    pub fields: MeasureFields,
    pub progress: Vec<Progress>,
}

impl Measure {
    /// Past its end date and not finished.
    pub fn overdue(&self, today: Date) -> bool {
        self.fields.status == Status::Open && self.fields.ends_on < today
    }

    pub fn latest_percent(&self) -> i64 {
        self.progress.last().map_or(0, |p| p.percent)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Progress {
    /// "YYYY-MM".
    pub month: String,
    pub percent: i64,
    pub note: String,
}

fn day(s: &str) -> Result<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| StoreError::Invalid(format!("stored date {s}: {e}")))
}

type MeasureRow = (
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// The plan an agency made after `round_id`'s results, with its progress.
pub async fn measures(db: &Db, agency_id: &str, round_id: &str) -> Result<Vec<Measure>> {
    const Q: &str = "SELECT id, round_id, position, tool, measure, weakness, owner, starts_on, ends_on, follow_up, status \
        FROM plan_measures WHERE agency_id = $1 AND round_id = $2 ORDER BY position";
    const P: &str = "SELECT g.measure_id, g.month, g.percent, g.note FROM plan_progress g \
        JOIN plan_measures m ON m.agency_id = g.agency_id AND m.id = g.measure_id \
        WHERE g.agency_id = $1 AND m.round_id = $2 ORDER BY g.month";
    let rows: Vec<MeasureRow> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let progress: Vec<(String, String, i64, String)> = read!(db, |p| sqlx::query_as(P)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    rows.into_iter()
        .map(|r| {
            let (id, round_id, position, tool, measure, weakness, owner, s, e, follow_up, status) =
                r;
            let progress = progress
                .iter()
                .filter(|g| g.0 == id)
                .map(|g| Progress {
                    month: g.1.clone(),
                    percent: g.2,
                    note: g.3.clone(),
                })
                .collect();
            Ok(Measure {
                agency_id: agency_id.to_string(),
                round_id,
                position,
                fields: MeasureFields {
                    tool,
                    measure,
                    weakness,
                    owner,
                    starts_on: day(&s)?,
                    ends_on: day(&e)?,
                    follow_up,
                    status: Status::parse(&status).unwrap_or(Status::Open),
                },
                progress,
                id,
            })
        })
        .collect()
}

fn check(f: &MeasureFields) -> Result<()> {
    if f.measure.trim().is_empty() {
        return Err(StoreError::Invalid("the measure is empty".into()));
    }
    if f.ends_on < f.starts_on {
        return Err(StoreError::Invalid(
            "the period ends before it starts".into(),
        ));
    }
    Ok(())
}

/// Adds measures at the end of the plan; returns their ids.
pub async fn add(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    round_id: &str,
    new: &[MeasureFields],
) -> Result<Vec<String>> {
    for f in new {
        check(f)?;
    }
    crate::rounds::participation(db, round_id, agency_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let start = measures(db, agency_id, round_id).await?.len() as i64;
    let now = crate::now_ms();
    let ids: Vec<String> = new.iter().map(|_| crate::new_id()).collect();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (k, (f, id)) in new.iter().zip(&ids).enumerate() {
            sqlx::query(
                "INSERT INTO plan_measures (agency_id, round_id, id, position, tool, measure, weakness, owner, starts_on, ends_on, follow_up, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
            )
            .bind(agency_id)
            .bind(round_id)
            .bind(id)
            .bind(start + k as i64)
            .bind(&f.tool)
            .bind(f.measure.trim())
            .bind(f.weakness.trim())
            .bind(f.owner.trim())
            .bind(f.starts_on.to_string())
            .bind(f.ends_on.to_string())
            .bind(f.follow_up.trim())
            .bind(f.status.code())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit!(
                &mut *tx,
                actor,
                "add_measure",
                "plan_measure",
                id.as_str(),
                None::<String>,
                json(f)
            )?;
        }
        tx.commit().await?;
    });
    Ok(ids)
}

async fn one(db: &Db, agency_id: &str, id: &str) -> Result<Measure> {
    const Q: &str = "SELECT round_id FROM plan_measures WHERE agency_id = $1 AND id = $2";
    let round: Option<(String,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(id)
        .fetch_optional(p)
        .await?);
    let (round,) = round.ok_or(StoreError::NotFound)?;
    measures(db, agency_id, &round)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(StoreError::NotFound)
}

/// Rewrites one measure of the agency's plan.
pub async fn update(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    id: &str,
    f: &MeasureFields,
) -> Result<()> {
    check(f)?;
    let before = one(db, agency_id, id).await?;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "UPDATE plan_measures SET tool = $3, measure = $4, weakness = $5, owner = $6, starts_on = $7, ends_on = $8, follow_up = $9, status = $10, updated_at = $11 \
             WHERE agency_id = $1 AND id = $2",
        )
        .bind(agency_id)
        .bind(id)
        .bind(&f.tool)
        .bind(f.measure.trim())
        .bind(f.weakness.trim())
        .bind(f.owner.trim())
        .bind(f.starts_on.to_string())
        .bind(f.ends_on.to_string())
        .bind(f.follow_up.trim())
        .bind(f.status.code())
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        audit!(
            &mut *tx,
            actor,
            "update_measure",
            "plan_measure",
            id,
            json(&before.fields),
            json(f)
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// Records (or corrects) a month's progress on one measure.
pub async fn record_progress(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    id: &str,
    month: &str,
    percent: i64,
    note: &str,
) -> Result<()> {
    let valid_month = month.len() == 7
        && Date::parse(
            &format!("{month}-01"),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok();
    if !valid_month {
        return Err(StoreError::Invalid(format!(
            "month '{month}' is not YYYY-MM"
        )));
    }
    if !(0..=100).contains(&percent) {
        return Err(StoreError::Invalid("progress must be 0–100 %".into()));
    }
    one(db, agency_id, id).await?;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO plan_progress (agency_id, measure_id, month, percent, note, author_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (agency_id, measure_id, month) DO UPDATE SET percent = excluded.percent, note = excluded.note, author_id = excluded.author_id, updated_at = excluded.updated_at",
        )
        .bind(agency_id)
        .bind(id)
        .bind(month)
        .bind(percent)
        .bind(note.trim())
        .bind(actor)
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        audit!(
            &mut *tx,
            actor,
            "record_progress",
            "plan_measure",
            id,
            None::<String>,
            json(&(month, percent, note))
        )?;
        tx.commit().await?;
    });
    Ok(())
}
