//! Users who sign in: central admins, assessors, agency admins.
//! Respondents never have accounts.

use crate::audit::json;
use crate::{Db, Result, StoreError, audit, conflict, new_id, now_ms, read, write};
use itas_core::directory::Role;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub active: bool,
    pub created_at: i64,
    /// Where one-time sign-in links go; none until the central office sets it.
    pub email: Option<String>,
}

impl User {
    pub fn role(&self) -> Option<Role> {
        self.role.parse().ok()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub agency_id: Option<String>,
    pub email: Option<String>,
}

pub async fn create(db: &Db, actor: Option<&str>, u: &NewUser) -> Result<User> {
    let username = u.username.trim().to_lowercase();
    if username.is_empty()
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(StoreError::Invalid(
            "username: letters, digits and - _ . @ only".into(),
        ));
    }
    if (u.role == Role::AgencyAdmin) != u.agency_id.is_some() {
        return Err(StoreError::Invalid(
            "an agency admin needs an agency, and only an agency admin has one".into(),
        ));
    }
    let email = match u.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(parse_email(e)?),
        None => None,
    };
    let id = new_id();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, role, agency_id, active, created_at, email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&username)
        .bind(u.display_name.trim())
        .bind(&u.password_hash)
        .bind(u.role.code())
        .bind(&u.agency_id)
        .bind(true)
        .bind(now_ms())
        .bind(email.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(conflict("username"))?;
        audit!(
            &mut *tx,
            actor,
            "create",
            "user",
            &id,
            None::<String>,
            json(u)
        )?;
        tx.commit().await?;
    });
    get(db, &id).await?.ok_or(StoreError::NotFound)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<User>> {
    const Q: &str = "SELECT id, username, display_name, password_hash, role, agency_id, active, created_at, email FROM users WHERE id = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>> {
    const Q: &str = "SELECT id, username, display_name, password_hash, role, agency_id, active, created_at, email FROM users WHERE username = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(username.trim().to_lowercase())
        .fetch_optional(p)
        .await?))
}

pub async fn list(db: &Db) -> Result<Vec<User>> {
    const Q: &str = "SELECT id, username, display_name, password_hash, role, agency_id, active, created_at, email FROM users ORDER BY role, username";
    Ok(read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?))
}

/// What ending a user's access took away, for the audit entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EndedAccess {
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// Ends every session and revokes every live API token of a user, inside
/// the transaction `$tx` of the change that calls for it; the counts.
macro_rules! end_access {
    ($tx:expr, $user:expr) => {{
        let sessions_ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind($user)
            .execute($tx)
            .await?
            .rows_affected();
        let tokens_revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind($crate::now_ms())
        .bind($user)
        .execute($tx)
        .await?
        .rows_affected();
        EndedAccess {
            sessions_ended,
            tokens_revoked,
        }
    }};
}

pub async fn set_password(
    db: &Db,
    actor: Option<&str>,
    id: &str,
    password_hash: &str,
) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Every session and token of the user ends with the old password.
        let ended = end_access!(&mut *tx, id);
        audit!(
            &mut *tx,
            actor,
            "set_password",
            "user",
            id,
            None::<String>,
            json(&ended)
        )?;
        tx.commit().await?;
    });
    Ok(())
}

pub async fn set_active(db: &Db, actor: Option<&str>, id: &str, active: bool) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let r = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // A suspension ends every session and token for good: coming back
        // (reactivation) never brings them back.
        let ended = if active {
            EndedAccess::default()
        } else {
            end_access!(&mut *tx, id)
        };
        audit!(
            &mut *tx,
            actor,
            "set_active",
            "user",
            id,
            json(&serde_json::json!({"active": !active})),
            json(&serde_json::json!({
                "active": active,
                "sessions_ended": ended.sessions_ended,
                "tokens_revoked": ended.tokens_revoked,
            }))
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// An address mail can go to: one `@`, something on both sides, no spaces
/// or angle brackets, at most 254 characters. (Whether it exists only a
/// message can tell.)
pub fn parse_email(s: &str) -> Result<String> {
    let e = s.trim();
    let ok = e.len() <= 254
        && e.split('@').count() == 2
        && e.split('@').all(|part| !part.is_empty())
        && e.rsplit('@')
            .next()
            .is_some_and(|d| d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c));
    if ok {
        Ok(e.to_string())
    } else {
        Err(StoreError::Invalid(format!(
            "email: '{e}' is not an address"
        )))
    }
}

/// Sets (or clears, with None) where a user's one-time sign-in links go; audited.
pub async fn set_email(db: &Db, actor: Option<&str>, id: &str, email: Option<&str>) -> Result<()> {
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(parse_email(e)?),
        None => None,
    };
    let before = get(db, id).await?.ok_or(StoreError::NotFound)?.email;
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email.as_deref())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit!(
            &mut *tx,
            actor,
            "set_email",
            "user",
            id,
            json(&before),
            json(&email)
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// Clears a user's sign-in failures (from every address) so the user signs
/// in from any browser again; audited with how many buckets were cleared.
pub async fn unlock_sign_in(db: &Db, actor: Option<&str>, id: &str) -> Result<u64> {
    let user = get(db, id).await?.ok_or(StoreError::NotFound)?;
    let whole = format!("login:user:{}", user.username);
    // Usernames may hold `_`, a LIKE wildcard: compare a prefix instead.
    let pairs = format!("login:pair:{}:", user.username);
    let cleared = write!(db, |p| {
        let mut tx = p.begin().await?;
        let cleared =
            sqlx::query("DELETE FROM rate_limits WHERE bucket = $1 OR substr(bucket, 1, $2) = $3")
                .bind(&whole)
                .bind(i32::try_from(pairs.chars().count()).unwrap_or(i32::MAX))
                .bind(&pairs)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        audit!(
            &mut *tx,
            actor,
            "unlock_sign_in",
            "user",
            id,
            None::<String>,
            json(&serde_json::json!({"failure_counts_cleared": cleared}))
        )?;
        tx.commit().await?;
        cleared
    });
    Ok(cleared)
}

#[cfg(test)]
mod email_tests {
    use super::parse_email;

    #[test]
    fn addresses_are_checked_for_shape_only() {
        for ok in [
            "a@b.go.th",
            " saraban@huanong.go.th ",
            "x.y+z@mail.example.org",
        ] {
            assert!(parse_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a", "a@", "@b.th", "a@b", "a b@c.th", "a@b@c.th", "<a@b.th>", "a@.th",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }
}
