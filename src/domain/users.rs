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

pub(super) fn any_admin(conn: &Connection) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE role = 'admin')",
        [],
        |r| r.get(0),
    )?)
}

/// Whether an account may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Disabled,
}

/// An account as admins see it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Account {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: AccountStatus,
    pub created_at: String,
    /// Null until the first login.
    pub last_login_at: Option<String>,
    pub disabled_at: Option<String>,
    pub password_changed_at: Option<String>,
}

const ACCOUNT_COLUMNS: &str =
    "id, email, name, role, created_at, last_login_at, disabled_at, password_changed_at";

fn account(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let disabled_at: Option<String> = r.get(6)?;
    Ok(Account {
        user_id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: r.get(3)?,
        status: if disabled_at.is_some() {
            AccountStatus::Disabled
        } else {
            AccountStatus::Active
        },
        created_at: r.get(4)?,
        last_login_at: r.get(5)?,
        disabled_at,
        password_changed_at: r.get(7)?,
    })
}

pub(super) fn find(conn: &Connection, user_id: i64) -> Result<Account, AppError> {
    conn.try_query_row(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = ?1"),
        [user_id],
        account,
    )?
    .ok_or(AppError::NotFound)
}

pub(super) fn find_by_email(conn: &Connection, email: &str) -> Result<Account, AppError> {
    conn.try_query_row(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE email = ?1"),
        [email.trim()],
        account,
    )?
    .ok_or(AppError::NotFound)
}

/// Which accounts a list shows.
#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    pub role: Option<Role>,
    pub status: Option<AccountStatus>,
}

/// Staff first (admins, staff, venue, then customers), then by email; and how many match.
pub(super) fn list(
    conn: &Connection,
    f: &AccountFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Account>, i64), AppError> {
    const WHERE: &str = "WHERE (?1 IS NULL OR role = ?1)
        AND (?2 IS NULL OR (?2 = 'disabled') = (disabled_at IS NOT NULL))";
    let status = f.status.map(|s| match s {
        AccountStatus::Active => "active",
        AccountStatus::Disabled => "disabled",
    });
    let total = conn.query_row(
        &format!("SELECT COUNT(*) FROM users {WHERE}"),
        params![f.role, status],
        |r| r.get(0),
    )?;
    let accounts = conn
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users {WHERE}
             ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'staff' THEN 1 WHEN 'venue' THEN 2 ELSE 3 END, email
             LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(params![f.role, status, limit, offset], account)?
        .collect::<Result<_, _>>()?;
    Ok((accounts, total))
}

/// What a login needs to know about an email: id, hash, role and whether the account is disabled.
pub(super) struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
}

pub(super) fn credentials_of(
    conn: &Connection,
    email: &str,
) -> Result<Option<Credentials>, AppError> {
    conn.try_query_row(
        "SELECT id, password_hash, role, disabled_at IS NOT NULL FROM users WHERE email = ?1",
        [email.trim()],
        |r| {
            Ok(Credentials {
                user_id: r.get(0)?,
                password_hash: r.get(1)?,
                role: r.get(2)?,
                disabled: r.get(3)?,
            })
        },
    )
}

pub(super) fn password_hash(conn: &Connection, user_id: i64) -> Result<String, AppError> {
    conn.try_query_row(
        "SELECT password_hash FROM users WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )?
    .ok_or(AppError::NotFound)
}

pub(super) fn set_password(
    tx: &Transaction<'_>,
    user_id: i64,
    password_hash: &str,
) -> Result<(), AppError> {
    changed_one(
        tx.prepare_cached(
            "UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1",
        )?
        .execute(params![user_id, password_hash, clock::to_db(clock::now())])?,
    )
}

pub(super) fn set_disabled(
    tx: &Transaction<'_>,
    user_id: i64,
    disabled: bool,
) -> Result<(), AppError> {
    let at = disabled.then(|| clock::to_db(clock::now()));
    changed_one(
        tx.prepare_cached("UPDATE users SET disabled_at = ?2 WHERE id = ?1")?
            .execute(params![user_id, at])?,
    )
}

pub(super) fn set_role_and_name(
    tx: &Transaction<'_>,
    user_id: i64,
    role: Role,
    name: &str,
) -> Result<(), AppError> {
    changed_one(
        tx.prepare_cached("UPDATE users SET role = ?2, name = ?3 WHERE id = ?1")?
            .execute(params![user_id, role, name])?,
    )
}

pub(super) fn mark_logged_in(tx: &Transaction<'_>, user_id: i64) -> Result<(), AppError> {
    tx.prepare_cached("UPDATE users SET last_login_at = ?2 WHERE id = ?1")?
        .execute(params![user_id, clock::to_db(clock::now())])?;
    Ok(())
}

/// Enabled admins other than `user_id`: the last one may be neither disabled nor demoted.
pub(super) fn other_enabled_admins(tx: &Transaction<'_>, user_id: i64) -> Result<i64, AppError> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

fn changed_one(rows: usize) -> Result<(), AppError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
