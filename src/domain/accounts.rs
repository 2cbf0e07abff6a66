//! Accounts as people use them: register, log in and out, and the accounts admins create. Each
//! operation is one transaction over `users` and `sessions`; argon2 runs before it, never while
//! the single writer is held.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::audit::{self, Actor};
use super::passwords;
use super::sessions;
use super::users::{self, NewUser, Role, User};
use super::values;
use crate::db::Db;
use crate::error::AppError;
use crate::ids;

/// An account to create: a customer registering, or any role an admin (or the CLI) creates.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    /// `customer`, `venue`, `staff` or `admin`.
    pub role: String,
    #[serde(default)]
    pub name: String,
}

/// A fresh login session.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoggedIn {
    /// Send as `Authorization: Bearer <token>`; the console uses the cookie instead.
    pub token: String,
    #[serde(with = "crate::clock::rfc3339")]
    #[schemars(with = "String")]
    pub expires_at: OffsetDateTime,
    pub role: Role,
}

/// Checks the fields and hashes the password (slow on purpose: before any transaction).
fn prepare(a: &NewAccount) -> Result<NewUser, AppError> {
    let role = Role::parse(&a.role)
        .ok_or_else(|| AppError::validation("role", format!("must be {}", Role::expected())))?;
    let email = values::email(&a.email, "email")?;
    passwords::validate_new(&a.password)?;
    let name = values::name(&a.name, "name", 200, false)?;
    Ok(NewUser {
        email,
        name,
        password_hash: passwords::hash(&a.password)?,
        role,
    })
}

/// Creates an account of any role; `by` is who asked (an admin, or the system for the CLI).
pub fn create(db: &Db, account: &NewAccount, by: Actor) -> Result<User, AppError> {
    let new = prepare(account)?;
    db.write(move |tx| {
        let user = users::insert(tx, &new)?;
        audit::record(
            tx,
            by,
            None,
            "user.create",
            ("user", &user.user_id.to_string()),
            serde_json::json!({"email": user.email, "role": user.role}),
        )?;
        Ok(user)
    })
}

/// A customer signs up.
pub fn register(db: &Db, email: &str, password: &str, name: &str) -> Result<User, AppError> {
    let account = NewAccount {
        email: email.to_owned(),
        password: password.to_owned(),
        role: Role::Customer.as_str().to_owned(),
        name: name.to_owned(),
    };
    create(db, &account, Actor::System)
}

/// Verifies the password and starts a session. A wrong email costs the same time as a wrong
/// password and gets the same answer, so the endpoint does not reveal who has an account.
pub fn login(db: &Db, email: &str, password: &str, ttl: Duration) -> Result<LoggedIn, AppError> {
    let (user_id, role) = match db.read(|c| users::credentials(c, email))? {
        Some((id, hash, role)) if passwords::verify(&hash, password) => (id, role),
        Some(_) => return Err(AppError::Unauthenticated),
        None => {
            passwords::burn_time(password)?;
            return Err(AppError::Unauthenticated);
        }
    };
    let (token, expires_at) = db.write(move |tx| sessions::create(tx, user_id, ttl))?;
    Ok(LoggedIn {
        token,
        expires_at,
        role,
    })
}

/// Ends the session of a token (harmless when it has ended already).
pub fn logout(db: &Db, token: &str) -> Result<(), AppError> {
    let token = token.to_owned();
    db.write(move |tx| sessions::delete(tx, &token))
}

/// On the very first start there is no one to log in as: creates an admin with a random password
/// and returns its email and password, once.
pub fn ensure_first_admin(db: &Db) -> Result<Option<(String, String)>, AppError> {
    if db.read(users::any_admin)? {
        return Ok(None);
    }
    let account = NewAccount {
        email: "admin@gangway.local".to_owned(),
        password: ids::new_password(),
        role: Role::Admin.as_str().to_owned(),
        name: "Administrator".to_owned(),
    };
    create(db, &account, Actor::System)?;
    Ok(Some((account.email, account.password)))
}
