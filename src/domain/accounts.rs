//! Accounts as people use them: register, log in and out, change a password; and as admins run
//! them: create, list, reset a password, disable and enable, change a role. Each operation is one
//! transaction over `users` and `sessions` with its audit row; argon2 runs before it, never while
//! the single writer is held. Ending a user's sessions is part of the same transaction as the
//! change that requires it, so the next request of a disabled user is already refused.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::audit::{self, Actor};
use super::passwords;
use super::sessions;
use super::users::{self, Account, AccountFilter, AccountStatus, NewUser, Role, User};
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
    passwords::validate_new(&a.password, "password")?;
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

/// An email as the audit log keeps it: whatever was typed, within reason.
fn as_tried(email: &str) -> String {
    email.trim().chars().take(320).collect()
}

/// Verifies the password and starts a session. A wrong email costs the same time as a wrong
/// password and gets the same answer, and so does a disabled account, so the endpoint does not
/// reveal who has an account. Every failure is audited with the email tried and the address.
pub fn login(
    db: &Db,
    email: &str,
    password: &str,
    ttl: Duration,
    from: Option<IpAddr>,
) -> Result<LoggedIn, AppError> {
    let found = db.read(|c| users::credentials_of(c, email))?;
    let refused = match &found {
        Some(c) if passwords::verify(&c.password_hash, password) => {
            c.disabled.then_some("disabled")
        }
        Some(_) => Some("wrong_password"),
        None => {
            passwords::burn_time(password)?;
            Some("unknown_email")
        }
    };
    if let Some(reason) = refused {
        let (tried, user_id) = (as_tried(email), found.map(|c| c.user_id));
        db.write(move |tx| {
            let object = user_id.map_or_else(|| "unknown".to_owned(), |id| id.to_string());
            audit::record(
                tx,
                Actor::System,
                None,
                "auth.login_failed",
                ("user", &object),
                serde_json::json!({"email": tried, "address": from.map(|a| a.to_string()), "reason": reason}),
            )
        })?;
        return Err(AppError::Unauthenticated);
    }
    let Some(c) = found else {
        return Err(AppError::Unauthenticated);
    };
    let (user_id, role) = (c.user_id, c.role);
    let (token, expires_at) = db.write(move |tx| {
        users::mark_logged_in(tx, user_id)?;
        sessions::create(tx, user_id, ttl)
    })?;
    Ok(LoggedIn {
        token,
        expires_at,
        role,
    })
}

/// An account stopped taking passwords after too many failures (the lock itself is the HTTP
/// layer's, in memory): audited with the email and the address of the failure that locked it.
pub fn record_lockout(db: &Db, email: &str, from: Option<IpAddr>) -> Result<(), AppError> {
    let tried = as_tried(email);
    db.write(move |tx| {
        let user_id = users::credentials_of(tx, &tried)?.map(|c| c.user_id);
        let object = user_id.map_or_else(|| "unknown".to_owned(), |id| id.to_string());
        audit::record(
            tx,
            Actor::System,
            None,
            "auth.account_locked",
            ("user", &object),
            serde_json::json!({"email": tried, "address": from.map(|a| a.to_string())}),
        )
    })
}

/// Ends the session of a token (harmless when it has ended already).
pub fn logout(db: &Db, token: &str) -> Result<(), AppError> {
    let token = token.to_owned();
    db.write(move |tx| sessions::delete(tx, &token))
}

/// The admin created on the very first start.
#[derive(Debug)]
pub struct FirstAdmin {
    pub email: String,
    /// The password, when it was generated (to be shown once); None when the operator gave it.
    pub generated_password: Option<String>,
}

/// On the very first start there is no one to log in as: creates an admin, with the operator's
/// password (`GANGWAY_ADMIN_PASSWORD`) or a random one that is returned to be shown once.
pub fn ensure_first_admin(
    db: &Db,
    password: Option<String>,
) -> Result<Option<FirstAdmin>, AppError> {
    if db.read(users::any_admin)? {
        return Ok(None);
    }
    let generated = password.is_none();
    let account = NewAccount {
        email: "admin@gangway.local".to_owned(),
        password: password.unwrap_or_else(ids::new_password),
        role: Role::Admin.as_str().to_owned(),
        name: "Administrator".to_owned(),
    };
    create(db, &account, Actor::System)?;
    Ok(Some(FirstAdmin {
        email: account.email,
        generated_password: generated.then_some(account.password),
    }))
}

/// A user changes their own password: the current one must be right (422 naming
/// `current_password` otherwise). Every other session of theirs ends; the one presented as `keep`
/// goes on. Returns how many sessions ended.
pub fn change_password(
    db: &Db,
    user_id: i64,
    keep: Option<String>,
    current: &str,
    new: &str,
) -> Result<usize, AppError> {
    passwords::validate_new(new, "new_password")?;
    let stored = db.read(|c| users::password_hash(c, user_id))?;
    if !passwords::verify(&stored, current) {
        return Err(AppError::validation(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = passwords::hash(new)?;
    db.write(move |tx| {
        users::set_password(tx, user_id, &hash)?;
        let ended = sessions::end_all_of(tx, user_id, keep.as_deref())?;
        audit::record(
            tx,
            Actor::User(user_id),
            None,
            "user.password_change",
            ("user", &user_id.to_string()),
            serde_json::json!({"sessions_ended": ended}),
        )?;
        Ok(ended)
    })
}

/// One page of accounts, and how many match in all.
pub fn list(
    db: &Db,
    filter: &AccountFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Account>, i64), AppError> {
    db.read(|c| users::list(c, filter, limit, offset))
}

pub fn get(db: &Db, user_id: i64) -> Result<Account, AppError> {
    db.read(|c| users::find(c, user_id))
}

/// The account of an email (the CLI names users by email).
pub fn get_by_email(db: &Db, email: &str) -> Result<Account, AppError> {
    db.read(|c| users::find_by_email(c, email))
}

/// An admin (or the CLI) gives a user a new password — `chosen`, or a random one — returned to be
/// shown once; every session of the user ends.
pub fn reset_password(
    db: &Db,
    user_id: i64,
    chosen: Option<String>,
    by: Actor,
) -> Result<(Account, String), AppError> {
    if let Some(p) = &chosen {
        passwords::validate_new(p, "password")?;
    }
    let password = chosen.unwrap_or_else(ids::new_password);
    let hash = passwords::hash(&password)?;
    let account = db.write(move |tx| {
        users::set_password(tx, user_id, &hash)?;
        let ended = sessions::end_all_of(tx, user_id, None)?;
        audit::record(
            tx,
            by,
            None,
            "user.password_reset",
            ("user", &user_id.to_string()),
            serde_json::json!({"sessions_ended": ended}),
        )?;
        users::find(tx, user_id)
    })?;
    Ok((account, password))
}

fn refuse_last_admin(tx: &rusqlite::Transaction<'_>, a: &Account) -> Result<(), AppError> {
    let enabled_admin = a.role == Role::Admin && a.status == AccountStatus::Active;
    if enabled_admin && users::other_enabled_admins(tx, a.user_id)? == 0 {
        return Err(AppError::invalid_state(
            "This is the last enabled admin: create or enable another admin first.",
        ));
    }
    Ok(())
}

/// Disables (every session ends at once; logins are refused) or re-enables an account. The last
/// enabled admin cannot be disabled. Repeating either is harmless.
pub fn set_enabled(db: &Db, user_id: i64, enabled: bool, by: Actor) -> Result<Account, AppError> {
    db.write(move |tx| {
        let before = users::find(tx, user_id)?;
        let wanted = if enabled {
            AccountStatus::Active
        } else {
            AccountStatus::Disabled
        };
        if before.status == wanted {
            return Ok(before);
        }
        let mut summary = serde_json::json!({"email": before.email});
        if !enabled {
            refuse_last_admin(tx, &before)?;
            summary["sessions_ended"] = sessions::end_all_of(tx, user_id, None)?.into();
        }
        users::set_disabled(tx, user_id, !enabled)?;
        let action = if enabled {
            "user.enable"
        } else {
            "user.disable"
        };
        audit::record(
            tx,
            by,
            None,
            action,
            ("user", &user_id.to_string()),
            summary,
        )?;
        users::find(tx, user_id)
    })
}

/// What an admin may change of an account besides its status and password.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct AccountUpdate {
    /// `customer`, `venue`, `staff` or `admin`. The last enabled admin cannot be demoted.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

pub fn update(db: &Db, user_id: i64, u: &AccountUpdate, by: Actor) -> Result<Account, AppError> {
    let role = u
        .role
        .as_deref()
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                AppError::validation("role", format!("must be {}", Role::expected()))
            })
        })
        .transpose()?;
    let name = u
        .name
        .as_deref()
        .map(|n| values::name(n, "name", 200, false))
        .transpose()?;
    db.write(move |tx| {
        let before = users::find(tx, user_id)?;
        let role = role.unwrap_or(before.role);
        if role != Role::Admin {
            refuse_last_admin(tx, &before)?;
        }
        let name = name.unwrap_or_else(|| before.name.clone());
        users::set_role_and_name(tx, user_id, role, &name)?;
        audit::record(
            tx,
            by,
            None,
            "user.update",
            ("user", &user_id.to_string()),
            serde_json::json!({"email": before.email, "role": role, "name": name}),
        )?;
        users::find(tx, user_id)
    })
}

/// An admin lifted a login lock (the lock itself is in the HTTP layer's memory).
pub fn record_unlock(db: &Db, user_id: i64, by: Actor) -> Result<(), AppError> {
    db.write(move |tx| {
        audit::record(
            tx,
            by,
            None,
            "user.unlock",
            ("user", &user_id.to_string()),
            serde_json::json!({}),
        )
    })
}
