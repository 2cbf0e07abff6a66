//! The `users` table: accounts of customers, venue scanners, staff and admins, with their
//! argon2id password hashes. Composite operations (register, log in) live in `accounts.rs`.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::db::{is_unique_violation, text_enum, ConnExt};
use crate::error::AppError;

text_enum! {
    /// What a user may do; the role a route needs is named by its guard.
    pub enum Role in "users.role" {
        Customer = "customer", Venue = "venue", Staff = "staff", Admin = "admin",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct User {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A user about to be stored; the password is already hashed.
pub(super) struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
}

pub(super) fn insert(tx: &Transaction<'_>, u: &NewUser) -> Result<User, AppError> {
    let inserted = tx
        .prepare_cached("INSERT INTO users (email, name, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![u.email, u.name, u.password_hash, u.role, clock::to_db(clock::now())]);
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::invalid_state(
                "An account with this email already exists.",
            ))
        }
        other => other?,
    };
    Ok(User {
        user_id: tx.last_insert_rowid(),
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role,
    })
}

/// The stored hash and role of a login email.
pub(super) fn credentials(
    conn: &Connection,
    email: &str,
) -> Result<Option<(i64, String, Role)>, AppError> {
    conn.try_query_row(
        "SELECT id, password_hash, role FROM users WHERE email = ?1",
        [email.trim()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

pub(super) fn any_admin(conn: &Connection) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE role = 'admin')",
        [],
        |r| r.get(0),
    )?)
}
