//! Signing in. Brute force stays slow without letting anyone lock a user
//! out: failures of one username from one address back off (free for the
//! first few, then 1 s, 2 s, 4 s … up to 15 minutes between tries); an
//! address is stopped after 100 failures in 15 minutes, never for its
//! successful sign-ins (a ministry behind one NAT address); and when a
//! username fails from many places at once (an attack), a browser it never
//! used proves itself by a one-time link sent to the user's email, or the
//! central office unlocks the account. A browser the user signed in from
//! before keeps its own back-off and is never stopped by others' failures:
//! its right password always works.
//!
//! The web face carries the tokens this module hands out (session and
//! browser cookies, the one-time link); only their hashes are stored.

use crate::App;
use crate::error::{ErrorCode, Result};
use crate::secrets::{hash_password, random_token, token_hash, verify_password};
use itas_store::rate_limit;
use itas_store::users::User;

const FREE_FAILURES_PER_PAIR: i64 = 5;
const MAX_BACKOFF_MS: i64 = 15 * 60 * 1000;
const MAX_FAILURES_PER_ADDRESS: i64 = 100;
const ATTACK_FAILURES_PER_USER: i64 = 50;
const ATTEMPT_WINDOW_MS: i64 = 15 * 60 * 1000;
/// How long a one-time sign-in link works.
pub const DEVICE_CHECK_TTL_MS: i64 = 15 * 60 * 1000;
/// One-time links sent per user per hour, however often the password is right.
const DEVICE_CHECKS_PER_HOUR: i64 = 5;
/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// How long a username+address pair with `failures` must wait after its last failure.
pub fn backoff_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES_PER_PAIR {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES_PER_PAIR).min(20) as u32;
    (1000i64 << doublings).min(MAX_BACKOFF_MS)
}

/// A sign-in as the form sends it, with where it came from.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client's address (after trusted proxies).
    pub address: &'a str,
    /// The browser token the client holds, if any (64 hex characters).
    pub device: Option<&'a str>,
    pub now: i64,
}

/// What came of a sign-in.
pub enum Outcome {
    /// Refused, with the code that says why (the same words whether the
    /// username exists or not).
    Refused(ErrorCode),
    /// Held back by a limit until `seconds` have passed (whole seconds,
    /// rounded up): the page says how long, and `Retry-After` too.
    Wait { code: ErrorCode, seconds: i64 },
    /// The password was right but the account is under attack and this
    /// browser is new to it: it must prove itself by the one-time link.
    ProveByEmail(User),
    /// Signed in: the session's token and the browser's token to set.
    SignedIn {
        user: User,
        session: String,
        device: String,
    },
}

/// An argon2 hash of a random string, so unknown usernames cost the same as known ones.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> Result<String> {
    DUMMY_HASH
        .get_or_try_init(|| hash_password(random_token()))
        .await
        .cloned()
}

/// Tries a sign-in by every rule above.
pub async fn attempt(app: &App, a: &Attempt<'_>) -> Result<Outcome> {
    let db = &app.db;
    let (now, addr) = (a.now, a.address);
    let username = a.username.trim().to_lowercase();
    let user = itas_store::users::by_username(db, &username).await?;
    let device = a.device.filter(|t| t.len() == 64);
    let trusted = match (&user, device) {
        (Some(u), Some(t)) => {
            itas_store::trusted_devices::is_trusted(db, &token_hash(t), &u.id).await?
        }
        _ => false,
    };
    let by_addr = format!("login:addr:{addr}");
    let wait = |code: ErrorCode, until: i64| Outcome::Wait {
        code,
        seconds: ((until - now).max(1) + 999) / 1000,
    };
    if !trusted
        && let Some((last, n)) = rate_limit::failures(db, &by_addr, ATTEMPT_WINDOW_MS, now).await?
        && n >= MAX_FAILURES_PER_ADDRESS
    {
        tracing::warn!(%addr, "sign-in failures from one address limited");
        // The count starts again a window after the last failure.
        return Ok(wait(ErrorCode::TooManyAttempts, last + ATTEMPT_WINDOW_MS));
    }
    // A trusted browser backs off on its own mistakes only.
    let pair = match (device, trusted) {
        (Some(d), true) => format!("login:device:{username}:{}", token_hash(d)),
        _ => format!("login:pair:{username}:{addr}"),
    };
    if let Some((last, failures)) = rate_limit::failures(db, &pair, ATTEMPT_WINDOW_MS, now).await?
        && now < last + backoff_ms(failures)
    {
        tracing::warn!(%addr, user = %username, failures, "sign-in backing off");
        return Ok(wait(ErrorCode::SignInBackOff, last + backoff_ms(failures)));
    }
    let user_bucket = format!("login:user:{username}");
    let under_attack = !trusted
        && rate_limit::failures(db, &user_bucket, ATTEMPT_WINDOW_MS, now)
            .await?
            .is_some_and(|(_, n)| n >= ATTACK_FAILURES_PER_USER);
    // Verify against a real hash even for unknown users, so timing does not tell which exist.
    let (hash, user) = match user {
        Some(u) if u.active => (u.password_hash.clone(), Some(u)),
        _ => (dummy_hash().await?, None),
    };
    let ok = verify_password(a.password.to_string(), hash).await;
    let Some(user) = user.filter(|_| ok) else {
        rate_limit::record_failure(db, &pair, ATTEMPT_WINDOW_MS, now).await?;
        if !trusted {
            rate_limit::record_failure(db, &by_addr, ATTEMPT_WINDOW_MS, now).await?;
        }
        rate_limit::record_failure(db, &user_bucket, ATTEMPT_WINDOW_MS, now).await?;
        // Under attack the answer is the same whether the password was
        // right or not: the page is no oracle for the attacker.
        return Ok(Outcome::Refused(if under_attack {
            ErrorCode::AccountUnderAttack
        } else {
            ErrorCode::BadLogin
        }));
    };
    if under_attack {
        tracing::warn!(%addr, user = %username, "account under attack: a new browser proves itself by email");
        return Ok(Outcome::ProveByEmail(user));
    }
    rate_limit::clear(db, &pair).await?;
    let device = trust_browser(app, device, &user.id, now).await?;
    let session = start_session(app, &user.id, now).await?;
    tracing::info!(user = %user.username, "signed in");
    Ok(Outcome::SignedIn {
        user,
        session,
        device,
    })
}

/// Marks a browser as the user's: the browser token it holds if this
/// server issued it, else a new one (a value the client chose is never
/// adopted). Returns the token the browser keeps.
async fn trust_browser(app: &App, device: Option<&str>, user_id: &str, now: i64) -> Result<String> {
    let device = match device {
        Some(d) if itas_store::trusted_devices::issued(&app.db, &token_hash(d)).await? => {
            d.to_string()
        }
        _ => random_token(),
    };
    itas_store::trusted_devices::add(&app.db, &token_hash(&device), user_id, now).await?;
    Ok(device)
}

/// A new session for the user; its token.
async fn start_session(app: &App, user_id: &str, now: i64) -> Result<String> {
    let token = random_token();
    itas_store::sessions::create(
        &app.db,
        &token_hash(&token),
        user_id,
        now,
        now + SESSION_TTL_MS,
    )
    .await?;
    Ok(token)
}

/// A one-time link's token for the user, unless five went out this hour.
pub async fn new_device_check(app: &App, user: &User, now: i64) -> Result<Option<String>> {
    let sent = rate_limit::hit(
        &app.db,
        &format!("login:mail:{}", user.id),
        60 * 60 * 1000,
        now,
    )
    .await?;
    if sent > DEVICE_CHECKS_PER_HOUR {
        tracing::warn!(user = %user.username, "one-time links: the hour's five were sent");
        return Ok(None);
    }
    let token = random_token();
    itas_store::device_checks::create(
        &app.db,
        &user.id,
        &token_hash(&token),
        now,
        DEVICE_CHECK_TTL_MS,
    )
    .await?;
    Ok(Some(token))
}

/// Whether a one-time link still works (opening it uses nothing).
pub async fn device_check_pending(app: &App, token: &str, now: i64) -> Result<bool> {
    Ok(
        itas_store::device_checks::pending(&app.db, &token_hash(token), now)
            .await?
            .is_some(),
    )
}

/// Uses a one-time link: the browser becomes the user's and is signed in.
/// None when the link is used, expired or its user suspended.
pub async fn use_device_check(
    app: &App,
    token: &str,
    device: Option<&str>,
    now: i64,
) -> Result<Option<(User, String, String)>> {
    let used = itas_store::device_checks::consume(&app.db, &token_hash(token), now).await?;
    let user = match used {
        Some(id) => itas_store::users::get(&app.db, &id)
            .await?
            .filter(|u| u.active),
        None => None,
    };
    let Some(user) = user else {
        return Ok(None);
    };
    let device = trust_browser(app, device.filter(|t| t.len() == 64), &user.id, now).await?;
    let session = start_session(app, &user.id, now).await?;
    tracing::info!(user = %user.username, "signed in by a one-time link");
    Ok(Some((user, session, device)))
}

/// Ends a session.
pub async fn sign_out(app: &App, session: &str) -> Result<()> {
    itas_store::sessions::delete(&app.db, &token_hash(session)).await?;
    Ok(())
}

/// The user a session token belongs to, while it lasts.
pub async fn session_user(app: &App, session: &str) -> Result<Option<User>> {
    Ok(itas_store::sessions::user(&app.db, &token_hash(session), itas_store::now_ms()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_backs_off_after_its_free_failures_up_to_fifteen_minutes() {
        assert_eq!(backoff_ms(4), 0);
        assert_eq!(backoff_ms(5), 1_000);
        assert_eq!(backoff_ms(7), 4_000);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
