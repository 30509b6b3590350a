//! Which assessor reviews which agency in a round.

use crate::agencies::Agency;
use crate::{Db, Result, StoreError, audit, read, write};

pub async fn assign(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    assessor_id: &str,
) -> Result<bool> {
    let user = crate::users::get(db, assessor_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if user.role != "assessor" {
        return Err(StoreError::Invalid(
            "only an assessor can be assigned".into(),
        ));
    }
    crate::rounds::participation(db, round_id, agency_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(write!(db, |p| {
        let mut tx = p.begin().await?;
        let r = sqlx::query(
            "INSERT INTO assessor_assignments (agency_id, round_id, assessor_id, assigned_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (agency_id, round_id, assessor_id) DO NOTHING",
        )
        .bind(agency_id)
        .bind(round_id)
        .bind(assessor_id)
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        let added = r.rows_affected() > 0;
        if added {
            audit!(
                &mut *tx,
                actor,
                "assign",
                "assignment",
                format!("{agency_id}/{round_id}"),
                None::<String>,
                Some(format!("{round_id}:{assessor_id}"))
            )?;
        }
        tx.commit().await?;
        added
    }))
}

pub async fn unassign(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    agency_id: &str,
    assessor_id: &str,
) -> Result<bool> {
    Ok(write!(db, |p| {
        let mut tx = p.begin().await?;
        let r = sqlx::query("DELETE FROM assessor_assignments WHERE agency_id = $1 AND round_id = $2 AND assessor_id = $3")
            .bind(agency_id)
            .bind(round_id)
            .bind(assessor_id)
            .execute(&mut *tx)
            .await?;
        let removed = r.rows_affected() > 0;
        if removed {
            audit!(
                &mut *tx,
                actor,
                "unassign",
                "assignment",
                format!("{agency_id}/{round_id}"),
                Some(format!("{round_id}:{assessor_id}")),
                None::<String>
            )?;
        }
        tx.commit().await?;
        removed
    }))
}

/// Agencies assigned to an assessor in a round, by code.
pub async fn agencies_of(db: &Db, round_id: &str, assessor_id: &str) -> Result<Vec<Agency>> {
    const Q: &str = "SELECT a.id, a.code, a.name_th, a.name_en, a.kind, a.province, a.parent_id, a.website, a.created_at \
        FROM assessor_assignments x JOIN agencies a ON a.id = x.agency_id WHERE x.round_id = $1 AND x.assessor_id = $2 ORDER BY a.code";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .bind(assessor_id)
        .fetch_all(p)
        .await?))
}

pub async fn is_assigned(
    db: &Db,
    round_id: &str,
    agency_id: &str,
    assessor_id: &str,
) -> Result<bool> {
    const Q: &str = "SELECT COUNT(*) FROM assessor_assignments WHERE round_id = $1 AND agency_id = $2 AND assessor_id = $3";
    Ok(read!(db, |p| sqlx::query_as::<_, (i64,)>(Q)
        .bind(round_id)
        .bind(agency_id)
        .bind(assessor_id)
        .fetch_one(p)
        .await?
        .0
        > 0))
}

/// (agency id, assessor id, assessor name) for every assignment of a round.
pub async fn of_round(db: &Db, round_id: &str) -> Result<Vec<(String, String, String)>> {
    const Q: &str = "SELECT x.agency_id, x.assessor_id, u.display_name FROM assessor_assignments x JOIN users u ON u.id = x.assessor_id \
        WHERE x.round_id = $1 ORDER BY x.agency_id, u.display_name";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?))
}

/// Whether an assessor has been assigned the agency in any round: what
/// lets an assessor read an agency's data (itas-app's `access`).
pub async fn ever_assigned(db: &Db, agency_id: &str, assessor_id: &str) -> Result<bool> {
    const Q: &str =
        "SELECT COUNT(*) FROM assessor_assignments WHERE agency_id = $1 AND assessor_id = $2";
    Ok(read!(db, |p| sqlx::query_as::<_, (i64,)>(Q)
        .bind(agency_id)
        .bind(assessor_id)
        .fetch_one(p)
        .await?
        .0
        > 0))
}

/// The ids of every agency an assessor has been assigned in any round.
pub async fn agency_ids_ever_assigned(db: &Db, assessor_id: &str) -> Result<Vec<String>> {
    const Q: &str = "SELECT DISTINCT agency_id FROM assessor_assignments WHERE assessor_id = $1 ORDER BY agency_id";
    Ok(read!(db, |p| sqlx::query_as::<_, (String,)>(Q)
        .bind(assessor_id)
        .fetch_all(p)
        .await?)
    .into_iter()
    .map(|(id,)| id)
    .collect())
}
