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

/// Live (unrevoked, unexpired) tokens one user may hold at once: enough for
/// a few scripts and a spare, too few to multiply anything.
pub const MAX_LIVE_PER_USER: i64 = 10;

/// Stores a new token (by its hash); returns its id. Refused (a conflict)
/// when the user already holds [`MAX_LIVE_PER_USER`] live tokens.
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
        let (live,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if live >= MAX_LIVE_PER_USER {
            return Err(StoreError::Conflict(format!(
                "{MAX_LIVE_PER_USER} live tokens (revoke one first)"
            )));
        }
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
    revoke_as(db, user_id, user_id, id, now).await
}

/// Revokes any user's token, as the central office does after an incident;
/// audited under `actor`. Revoking twice changes nothing.
pub async fn revoke_any(db: &Db, actor: &str, id: &str, now: i64) -> Result<()> {
    const Q: &str = "SELECT user_id FROM api_tokens WHERE id = $1";
    let owner: Option<(String,)> =
        read!(db, |p| sqlx::query_as(Q).bind(id).fetch_optional(p).await?);
    let (owner,) = owner.ok_or(StoreError::NotFound)?;
    revoke_as(db, actor, &owner, id, now).await
}

async fn revoke_as(db: &Db, actor: &str, user_id: &str, id: &str, now: i64) -> Result<()> {
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
            Some(actor),
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

/// The start of the hour (UTC) `ms` falls in, in milliseconds.
pub fn hour_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(3_600_000)
}

/// Records one use: the time, the hour's count of calls, and, for a call
/// that may change something, an audit entry naming the request. Reads are
/// counted, not logged one by one, so they cannot flush the log from view.
pub async fn record_use(db: &Db, t: &Token, request: &str, writes: bool, now: i64) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&t.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO api_token_calls (token_id, hour, calls) VALUES ($1, $2, 1) \
             ON CONFLICT (token_id, hour) DO UPDATE SET calls = api_token_calls.calls + 1",
        )
        .bind(&t.id)
        .bind(hour_of(now))
        .execute(&mut *tx)
        .await?;
        if writes {
            audit!(
                &mut *tx,
                Some(t.user_id.as_str()),
                "api_token_use",
                "api_token",
                &t.id,
                None::<String>,
                Some(request.to_string())
            )?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// A token as the central office lists it: with its user, and its calls in
/// the last 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub token: Token,
    pub username: String,
    pub display_name: String,
    pub calls_last_day: i64,
}

/// How many tokens there are, of every state.
pub async fn count(db: &Db) -> Result<i64> {
    const N: &str = "SELECT COUNT(*) FROM api_tokens";
    let (total,): (i64,) = read!(db, |p| sqlx::query_as(N).fetch_one(p).await?);
    Ok(total)
}

/// Every user's tokens, live ones first, then newest first, a page at a time.
pub async fn all(db: &Db, now: i64, limit: i64, offset: i64) -> Result<Vec<Listed>> {
    const Q: &str = "SELECT t.id, t.user_id, t.name, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, \
        u.username, u.display_name, \
        (SELECT CAST(COALESCE(SUM(c.calls), 0) AS BIGINT) FROM api_token_calls c WHERE c.token_id = t.id AND c.hour >= $2) AS calls \
        FROM api_tokens t JOIN users u ON u.id = t.user_id \
        ORDER BY CASE WHEN t.revoked_at IS NULL AND t.expires_at > $1 THEN 0 ELSE 1 END, t.created_at DESC, t.id DESC \
        LIMIT $3 OFFSET $4";
    type Full = (
        String,
        String,
        String,
        String,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        String,
        String,
        i64,
    );
    let since = hour_of(now) - 23 * 3_600_000;
    let rows: Vec<Full> = read!(db, |p| sqlx::query_as(Q)
        .bind(now)
        .bind(since)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .map(|r| Listed {
            token: token((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7)),
            username: r.8,
            display_name: r.9,
            calls_last_day: r.10,
        })
        .collect())
}
