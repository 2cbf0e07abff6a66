//! User accounts: registration, login (argon2id), logout, and admin-created staff accounts.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::audit::{self, Actor};
use crate::auth::passwords;
use crate::auth::sessions::{self, Role};
use crate::clock;
use crate::db::{is_unique_violation, ConnExt};
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct User {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The one shape check for email addresses (accounts, partners, resellers, ticket holders):
/// something@domain.tld, no spaces or control characters, at most 254 bytes.
pub fn is_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn validate_email(email: &str) -> Result<String, AppError> {
    let email = email.trim();
    if is_email(email) {
        Ok(email.to_owned())
    } else {
        Err(AppError::validation("email", "must be an email address"))
    }
}

/// Hashing is slow on purpose (argon2id); do it before the write transaction so the single
/// writer is never held for it.
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
}

impl NewUser {
    pub fn prepare(
        email: &str,
        password: &str,
        name: &str,
        role: Role,
    ) -> Result<NewUser, AppError> {
        let email = validate_email(email)?;
        passwords::validate_new(password)?;
        let name = name.trim();
        if name.chars().count() > 200 || name.contains('\0') {
            return Err(AppError::validation("name", "at most 200 characters"));
        }
        Ok(NewUser {
            email,
            name: name.to_owned(),
            password_hash: passwords::hash(password)?,
            role,
        })
    }
}

pub fn create(tx: &Transaction<'_>, u: &NewUser, by: Option<i64>) -> Result<User, AppError> {
    let inserted = tx
        .prepare_cached("INSERT INTO users (email, name, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![u.email, u.name, u.password_hash, u.role.as_str(), clock::to_db(clock::now())]);
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::invalid_state(
                "An account with this email already exists.",
            ))
        }
        other => other?,
    };
    let user = User {
        user_id: tx.last_insert_rowid(),
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role,
    };
    let actor = by.map(Actor::User).unwrap_or(Actor::System);
    audit::record(
        tx,
        actor,
        None,
        "user.create",
        ("user", &user.user_id.to_string()),
        serde_json::json!({"email": user.email, "role": user.role.as_str()}),
    )?;
    Ok(user)
}

/// The stored hash of a login email (checked outside any transaction: argon2 is slow).
pub fn credentials(
    conn: &Connection,
    email: &str,
) -> Result<Option<(i64, String, Role)>, AppError> {
    conn.try_query_row(
        "SELECT id, password_hash, role FROM users WHERE email = ?1",
        [email.trim()],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Customer),
            ))
        },
    )
}

/// Verifies a password; a wrong email costs the same time as a wrong password and gets the same
/// answer, so the endpoint does not reveal who has an account.
pub fn check_password(
    conn: &Connection,
    email: &str,
    password: &str,
) -> Result<(i64, Role), AppError> {
    match credentials(conn, email)? {
        Some((id, hash, role)) if passwords::verify(&hash, password) => Ok((id, role)),
        Some(_) => Err(AppError::Unauthenticated),
        None => {
            passwords::burn_time(password);
            Err(AppError::Unauthenticated)
        }
    }
}

pub fn start_session(
    tx: &Transaction<'_>,
    user_id: i64,
    ttl_hours: i64,
) -> Result<(String, OffsetDateTime), AppError> {
    sessions::create(tx, user_id, Duration::hours(ttl_hours))
}

pub fn any_admin(conn: &Connection) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE role = 'admin')",
        [],
        |r| r.get(0),
    )?)
}
