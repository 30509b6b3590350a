//! API tokens: named, scoped, expiring, revocable; only their hashes are kept.
//! Creating and revoking are audited; so is every use (by the web layer).

use crate::{Db, Result, StoreError, audit, read, write};

/// What a token may do: read only, or whatever its user may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub scope: Scope,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Token {
    pub fn usable(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn token(r: Row) -> Token {
    let (id, user_id, name, scope, created_at, expires_at, last_used_at, revoked_at) = r;
    Token {
        id,
        user_id,
        name,
        scope: Scope::parse(&scope).unwrap_or(Scope::Read),
        created_at,
        expires_at,
        last_used_at,
        revoked_at,
    }
}

/// Stores a new token (by its hash); returns its id.
pub async fn create(
    db: &Db,
    user_id: &str,
    name: &str,
    token_hash: &str,
    scope: Scope,
    now: i64,
    expires_at: i64,
) -> Result<String> {
    if name.trim().is_empty() {
        return Err(StoreError::Invalid("a token needs a name".into()));
    }
    let id = crate::new_id();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(name.trim())
        .bind(token_hash)
        .bind(scope.code())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit!(
            &mut *tx,
            Some(user_id),
            "create_api_token",
            "api_token",
            &id,
            None::<String>,
            Some(format!(
                "{} ({}) until {expires_at}",
                name.trim(),
                scope.code()
            ))
        )?;
        tx.commit().await?;
    });
    Ok(id)
}

/// A user's tokens, newest first.
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<Token>> {
    const Q: &str = "SELECT id, user_id, name, scope, created_at, expires_at, last_used_at, revoked_at \
        FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC";
    let rows: Vec<Row> = read!(db, |p| sqlx::query_as(Q).bind(user_id).fetch_all(p).await?);
    Ok(rows.into_iter().map(token).collect())
}

/// The token with this hash, whatever its state.
pub async fn by_hash(db: &Db, token_hash: &str) -> Result<Option<Token>> {
    const Q: &str = "SELECT id, user_id, name, scope, created_at, expires_at, last_used_at, revoked_at \
        FROM api_tokens WHERE token_hash = $1";
    let row: Option<Row> = read!(db, |p| sqlx::query_as(Q)
        .bind(token_hash)
        .fetch_optional(p)
        .await?);
    Ok(row.map(token))
}

/// Revokes one of the user's tokens; audited. Revoking twice changes nothing.
pub async fn revoke(db: &Db, user_id: &str, id: &str, now: i64) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let changed = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<(String,)> =
                sqlx::query_as("SELECT id FROM api_tokens WHERE id = $1 AND user_id = $2")
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            return Ok(());
        }
        audit!(
            &mut *tx,
            Some(user_id),
            "revoke_api_token",
            "api_token",
            id,
            None::<String>,
            Some(format!("revoked at {now}"))
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// Records one use: the time, and an audit entry naming the request.
pub async fn record_use(db: &Db, t: &Token, request: &str, now: i64) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&t.id)
            .execute(&mut *tx)
            .await?;
        audit!(
            &mut *tx,
            Some(t.user_id.as_str()),
            "api_token_use",
            "api_token",
            &t.id,
            None::<String>,
            Some(request.to_string())
        )?;
        tx.commit().await?;
    });
    Ok(())
}
