//! API tokens: made from a signed-in session only, named, scoped, with a
//! life of at most a year; at most ten live a user.

use crate::App;
use crate::access::Actor;
use crate::collection::NumberInput;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use itas_store::api_tokens::{self, Scope};

/// Longest life of a token, in days.
pub const MAX_DAYS: i64 = 365;
/// Life of a token when none is asked for, in days.
pub const DEFAULT_DAYS: i64 = 90;
/// Longest name, counted after trimming.
pub const MAX_NAME_CHARS: usize = 100;
/// Tokens start with this, so they are easy to find in a leaked file.
pub const PREFIX: &str = "itas_";

/// A token as asked for, from the page's form or the API's body.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub name: String,
    /// None when the scope sent is neither read nor write.
    pub scope: Option<Scope>,
    pub days: NumberInput,
}

/// A token just made: the only time the token itself exists outside the
/// caller's hands (only its hash is kept).
#[derive(Clone, Debug)]
pub struct MadeToken {
    pub id: String,
    pub token: String,
    pub scope: Scope,
    pub days: i64,
}

/// How a request was authenticated, for the rule that a token never makes tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
}

/// Makes a token for the actor (audited by the store).
pub async fn make(app: &App, actor: &Actor, via: Via, input: &NewToken) -> Result<MadeToken> {
    // A leaked token must not mint successors that outlive its revocation.
    if via == Via::Token {
        return Err(Error::new(ErrorCode::Forbidden)
            .detail("tokens are made from a signed-in session, never by a token"));
    }
    let mut problems = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        problems.push(FieldProblem::new("name", "กรุณาตั้งชื่อโทเคน", "Name the token"));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(FieldProblem::new(
            "name",
            "ชื่อยาวเกิน ๑๐๐ ตัวอักษร",
            "At most 100 characters",
        ));
    }
    if input.scope.is_none() {
        problems.push(FieldProblem::new(
            "scope",
            "สิทธิ์ต้องเป็น read หรือ write",
            "Scope is read or write",
        ));
    }
    let days = input.days.value().filter(|d| (1..=MAX_DAYS).contains(d));
    if days.is_none() {
        problems.push(FieldProblem::new(
            "days",
            "อายุต้องเป็นจำนวนวัน ๑ ถึง ๓๖๕",
            "Between 1 and 365 days",
        ));
    }
    let (Some(scope), Some(days)) = (input.scope, days) else {
        return Err(Error::invalid(problems));
    };
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let token = format!("{PREFIX}{}", crate::secrets::random_token());
    let now = itas_store::now_ms();
    let id = api_tokens::create(
        &app.db,
        &actor.user_id,
        name,
        &crate::secrets::token_hash(&token),
        scope,
        now,
        now + days * 86_400_000,
    )
    .await
    .map_err(|e| match Error::from(e) {
        e if e.code == ErrorCode::Conflict => Error {
            fields: vec![too_many()],
            ..e
        },
        e => e,
    })?;
    Ok(MadeToken {
        id,
        token,
        scope,
        days,
    })
}

/// Why an eleventh live token is refused.
fn too_many() -> FieldProblem {
    let n = api_tokens::MAX_LIVE_PER_USER;
    FieldProblem::new(
        "name",
        format!(
            "มีโทเคนที่ใช้ได้ครบ {} รายการแล้ว กรุณาเพิกถอนรายการที่ไม่ใช้ก่อน",
            itas_core::thai::thai_digits(&n.to_string())
        ),
        format!("You already hold {n} live tokens; revoke one you no longer use first"),
    )
}

/// The actor's own tokens, newest first (never the tokens themselves).
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<api_tokens::Token>> {
    Ok(api_tokens::of_user(&app.db, &actor.user_id).await?)
}

/// Revokes one of the actor's own tokens, at once (audited).
pub async fn revoke_mine(app: &App, actor: &Actor, token_id: &str) -> Result<()> {
    api_tokens::revoke(&app.db, &actor.user_id, token_id, itas_store::now_ms()).await?;
    Ok(())
}

/// A page of every user's tokens (the central office).
pub async fn all(
    app: &App,
    actor: &Actor,
    page: crate::paging::Paging,
) -> Result<Vec<api_tokens::Listed>> {
    crate::rounds::require_central(actor)?;
    Ok(api_tokens::all(&app.db, itas_store::now_ms(), page.limit, page.offset).await?)
}

/// How many tokens there are, every user's (the central office).
pub async fn count_all(app: &App, actor: &Actor) -> Result<i64> {
    crate::rounds::require_central(actor)?;
    Ok(api_tokens::count(&app.db).await?)
}

/// Revokes anyone's token, at once (the central office; audited).
pub async fn revoke_any(app: &App, actor: &Actor, token_id: &str) -> Result<()> {
    crate::rounds::require_central(actor)?;
    api_tokens::revoke_any(&app.db, &actor.user_id, token_id, itas_store::now_ms()).await?;
    Ok(())
}

/// The live token a caller presents (expired and revoked ones are None).
pub async fn find(app: &App, token: &str, now: i64) -> Result<Option<api_tokens::Token>> {
    Ok(
        api_tokens::by_hash(&app.db, &crate::secrets::token_hash(token))
            .await?
            .filter(|t| t.usable(now)),
    )
}

/// Accepts a live token for one request (`write`: it changes something):
/// a read token may only read; its user must still be active. The call is
/// counted for the token's owner and the central office's list. Returns
/// the token's user.
pub async fn accept(
    app: &App,
    t: &api_tokens::Token,
    write: bool,
    request: &str,
    now: i64,
) -> Result<itas_store::users::User> {
    if t.scope == Scope::Read && write {
        return Err(
            Error::new(ErrorCode::Forbidden).detail("a read-only token cannot change anything")
        );
    }
    let user = itas_store::users::get(&app.db, &t.user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| Error::new(ErrorCode::BadToken))?;
    api_tokens::record_use(&app.db, t, request, write, now).await?;
    Ok(user)
}
