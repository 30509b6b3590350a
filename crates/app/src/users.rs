//! Users: made by the central office on its users page or by the operator
//! at the console (`itas create-user`), with one rule for both.

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, FieldProblem, Result};
use crate::secrets::{MIN_PASSWORD_LEN, hash_password};
use itas_core::directory::Role;
use itas_store::users::{NewUser, User};

/// A user as the form or the command line gives it.
#[derive(Clone, Debug, Default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    /// The role's code; None or unknown is refused.
    pub role: Option<Role>,
    /// The agency's code, for an agency admin.
    pub agency_code: String,
    pub password: String,
    /// Where one-time sign-in links go; blank for none.
    pub email: String,
}

/// Who makes a user: a signed-in user (the central office), or the
/// operator at the server's console (no user yet, audited as the system).
#[derive(Clone, Copy, Debug)]
pub enum Maker<'a> {
    User(&'a Actor),
    Console,
}

/// A username as stored: lower case, letters, digits and `- _ . @`.
pub fn username(text: &str) -> Option<String> {
    let u = text.trim().to_lowercase();
    (!u.is_empty()
        && u.len() <= 100
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)))
    .then_some(u)
}

/// Makes a user (audited). Every problem of the input is named at once.
pub async fn create(app: &App, maker: Maker<'_>, input: &UserInput) -> Result<User> {
    let actor = match maker {
        Maker::User(a) => {
            crate::rounds::require_central(a)?;
            Some(a.user_id.as_str())
        }
        Maker::Console => None,
    };
    let mut problems = Vec::new();
    if input.role.is_none() {
        problems.push(FieldProblem::new("role", "กรุณาเลือกบทบาท", "Choose a role"));
    }
    let username = username(&input.username);
    if username.is_none() {
        problems.push(FieldProblem::new(
            "username",
            "ใช้ได้เฉพาะตัวอักษรอังกฤษ ตัวเลข และ - _ . @",
            "Letters, digits and - _ . @ only",
        ));
    }
    let display_name = match (input.display_name.trim(), &username) {
        ("", Some(u)) if matches!(maker, Maker::Console) => u.clone(),
        (name, _) => name.to_string(),
    };
    if display_name.is_empty() {
        problems.push(FieldProblem::new(
            "display_name",
            "กรุณากรอกชื่อที่แสดง",
            "Enter a display name",
        ));
    }
    if input.password.chars().count() < MIN_PASSWORD_LEN {
        problems.push(FieldProblem::new(
            "password",
            "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร",
            "At least 10 characters",
        ));
    }
    let email = input.email.trim();
    if !email.is_empty() && itas_store::users::parse_email(email).is_err() {
        problems.push(FieldProblem::new(
            "email",
            "อีเมลไม่ถูกต้อง เช่น saraban@huanong.go.th",
            "Not an email address, e.g. saraban@huanong.go.th",
        ));
    }
    let mut agency_id = None;
    if input.role == Some(Role::AgencyAdmin) {
        match itas_store::agencies::by_code(&app.db, input.agency_code.trim()).await? {
            Some(a) => agency_id = Some(a.id),
            None => problems.push(FieldProblem::new(
                "agency_code",
                "ไม่พบรหัสหน่วยงานนี้",
                "No agency has this code",
            )),
        }
    }
    let (Some(role), Some(username), true) = (input.role, username, problems.is_empty()) else {
        return Err(Error::invalid(problems));
    };
    let new = NewUser {
        username,
        display_name,
        password_hash: hash_password(input.password.clone()).await?,
        role,
        agency_id,
        email: (!email.is_empty()).then(|| email.to_string()),
    };
    match itas_store::users::create(&app.db, actor, &new).await {
        Ok(u) => Ok(u),
        Err(itas_store::StoreError::Conflict(_)) => Err(Error {
            fields: vec![FieldProblem::new(
                "username",
                "มีชื่อผู้ใช้นี้แล้ว",
                "This username is taken",
            )],
            ..Error::new(ErrorCode::Conflict)
        }),
        Err(e) => Err(e.into()),
    }
}

/// Every user, for the central office's users page.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<User>> {
    crate::rounds::require_central(actor)?;
    Ok(itas_store::users::list(&app.db).await?)
}

/// Sets a user's password (audited): at least 10 characters. `field` is
/// the form's field for a refusal.
pub async fn set_password(app: &App, actor: &Actor, user_id: &str, password: &str) -> Result<()> {
    crate::rounds::require_central(actor)?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::invalid(vec![FieldProblem::new(
            format!("password_{user_id}"),
            "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร",
            "At least 10 characters",
        )]));
    }
    let hash = hash_password(password.to_string()).await?;
    itas_store::users::set_password(&app.db, Some(&actor.user_id), user_id, &hash).await?;
    Ok(())
}

/// Where a user's one-time sign-in links go (audited); blank clears it.
pub async fn set_email(app: &App, actor: &Actor, user_id: &str, email: &str) -> Result<()> {
    crate::rounds::require_central(actor)?;
    match itas_store::users::set_email(&app.db, Some(&actor.user_id), user_id, Some(email)).await {
        Ok(()) => Ok(()),
        Err(itas_store::StoreError::Invalid(_)) => Err(Error::invalid(vec![FieldProblem::new(
            format!("email_{user_id}"),
            "อีเมลไม่ถูกต้อง เช่น saraban@huanong.go.th",
            "Not an email address, e.g. saraban@huanong.go.th",
        )])),
        Err(e) => Err(e.into()),
    }
}

/// Lets a user whose account is under attack sign in from any browser
/// again, by clearing its sign-in failures (audited).
pub async fn unlock_sign_in(app: &App, actor: &Actor, user_id: &str) -> Result<()> {
    crate::rounds::require_central(actor)?;
    itas_store::users::unlock_sign_in(&app.db, Some(&actor.user_id), user_id).await?;
    Ok(())
}

/// Suspends or restores a user (audited; suspending ends the user's
/// sessions and tokens at once). Nobody suspends themself.
pub async fn set_active(app: &App, actor: &Actor, user_id: &str, active: bool) -> Result<()> {
    crate::rounds::require_central(actor)?;
    if user_id == actor.user_id {
        return Err(Error::invalid(vec![FieldProblem::new(
            "active",
            "ไม่สามารถระงับบัญชีของตนเองได้",
            "You cannot suspend yourself",
        )]));
    }
    itas_store::users::set_active(&app.db, Some(&actor.user_id), user_id, active).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_read_one_way() {
        assert_eq!(
            username(" Saraban@HuaNong.go.th ").as_deref(),
            Some("saraban@huanong.go.th")
        );
        assert_eq!(username("ผู้ใช้"), None);
        assert_eq!(username("a b"), None);
        assert_eq!(username(""), None);
    }
}
