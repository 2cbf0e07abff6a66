//! The command line: `serve` (default), `migrate`, and `admin` sub-commands that run the same
//! domain operations as the API, on the same configuration.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::db::Db;
use crate::domain::accounts::{self, FirstAdmin, NewAccount};
use crate::domain::audit::Actor;
use crate::domain::backups::Backups;
use crate::domain::check::{self, CheckReport};
use crate::domain::partners;
use crate::error::AppError;
use crate::ids;

#[derive(Parser)]
#[command(
    name = "gangway",
    version,
    about = "Self-hosted ticketing server: OTA API, direct sales, QR redemption."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (the default). Migrates the database on start.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Administration on the configured database.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Write a consistent copy of the database (safe while the server runs): to a new file, or
    /// as a snapshot into `backup_dir`, rotated like the scheduled ones.
    Backup {
        /// Where to write the copy; must not exist yet. Without it: a snapshot in `backup_dir`.
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Check a database file that no server holds (a restored replica, a backup): integrity,
    /// foreign keys and the inventory books. Read-only; exits 0 only when every check passes.
    Check {
        /// The file to check.
        #[arg(long)]
        database: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a user; prints a generated password when none is given.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "staff", "venue", "customer"])]
        role: String,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Register an OTA partner; prints its id and a first API key.
    CreatePartner {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        contact_email: String,
    },
    /// Create another API key for a partner.
    CreateKey {
        #[arg(long)]
        partner: i64,
        #[arg(long, default_value = "")]
        label: String,
        #[arg(long)]
        rate_limit_per_minute: Option<i64>,
    },
    /// Give a user a new password (printed when generated) and end all their sessions: for an
    /// admin who is locked out.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Disable a user: their sessions end at once and they cannot log in. The last enabled admin
    /// cannot be disabled.
    DisableUser {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again.
    EnableUser {
        #[arg(long)]
        email: String,
    },
}

fn open() -> Result<(Config, Db), AppError> {
    let config = Config::from_figment(&config::figment())?;
    let db = Db::open_with(&config.database_path, config.db_options()?)?;
    Ok((config, db))
}

pub fn migrate() -> Result<(), AppError> {
    let (config, _) = open()?;
    println!("Database {} is migrated.", config.database_path.display());
    Ok(())
}

/// A transactionally consistent copy, made while the server keeps reading and writing; created
/// with mode 0600 (it holds the server's secrets), never over an existing file.
pub fn backup(to: Option<&Path>) -> Result<(), AppError> {
    let (config, db) = open()?;
    let written = match to {
        Some(to) => {
            db.backup_to(to)?;
            to.to_path_buf()
        }
        None => {
            let schedule = config.backup_schedule()?;
            let backups = Backups::new(schedule, &config.database_path);
            let snapshot = backups.take(&db)?;
            backups.schedule().dir.join(snapshot.file)
        }
    };
    println!(
        "Backed up {} to {}.",
        config.database_path.display(),
        written.display()
    );
    Ok(())
}

/// How `gangway check` ends: 0 when every check passed, 1 when one failed, 2 when the file could
/// not be checked at all.
pub fn check(database: &Path) -> i32 {
    println!("Checking {} (read-only)", database.display());
    match check::check_file(database) {
        Ok(report) => {
            print!("{}", check_report(&report));
            i32::from(!report.passed())
        }
        Err(AppError::Config(reason) | AppError::Internal(reason)) => {
            println!("  cannot check it: {reason}");
            2
        }
        Err(e) => {
            println!("  cannot check it: {e}");
            2
        }
    }
}

fn check_report(report: &CheckReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let (applied, known) = report.schema;
    let _ = writeln!(
        out,
        "  schema             version {applied} (this gangway migrates up to {known}){}",
        if applied > known {
            " -- newer than this binary"
        } else {
            ""
        }
    );
    if report.how == crate::db::ReadOnlyOpen::WithWal {
        let _ = writeln!(
            out,
            "  note               a -wal file lies beside it; its committed transactions are included"
        );
    }
    for f in &report.findings {
        let verdict = if f.passed { "" } else { "FAILED: " };
        let mut lines = f.lines.iter();
        let first = lines.next().map_or("", String::as_str);
        let _ = writeln!(out, "  {:<18} {verdict}{first}", f.name);
        for line in lines {
            let _ = writeln!(out, "  {:<18}   {line}", "");
        }
    }
    let failed = report.findings.iter().filter(|f| !f.passed).count();
    if failed == 0 {
        let _ = writeln!(out, "All {} checks passed.", report.findings.len());
    } else {
        let _ = writeln!(
            out,
            "{failed} of {} checks FAILED: do not serve from this copy.",
            report.findings.len()
        );
    }
    out
}

pub fn admin(cmd: AdminCommand) -> Result<(), AppError> {
    let (_, db) = open()?;
    match cmd {
        AdminCommand::CreateUser {
            email,
            role,
            password,
            name,
        } => {
            let generated = password.is_none();
            let password = password.unwrap_or_else(ids::new_password);
            let account = NewAccount {
                email,
                password: password.clone(),
                role,
                name,
            };
            let user = accounts::create(&db, &account, Actor::System)?;
            println!(
                "Created {} user {} (id {}).",
                user.role, user.email, user.user_id
            );
            if generated {
                println!("Password: {password}");
            }
        }
        AdminCommand::CreatePartner {
            name,
            contact_email,
        } => {
            let (partner, key) =
                partners::create_with_key(&db, &name, &contact_email, Actor::System)?;
            println!(
                "Created partner {} (id {}).",
                partner.name, partner.partner_id
            );
            println!("API key (shown only this once): {}", key.api_key);
        }
        AdminCommand::CreateKey {
            partner,
            label,
            rate_limit_per_minute,
        } => {
            let key =
                partners::create_key(&db, partner, &label, rate_limit_per_minute, Actor::System)?;
            println!(
                "API key {} for partner {partner} (shown only this once): {}",
                key.key_id, key.api_key
            );
        }
        AdminCommand::ResetPassword { email, password } => {
            let generated = password.is_none();
            let user = user_by_email(&db, &email)?;
            let (user, password) =
                accounts::reset_password(&db, user.user_id, password, Actor::System)?;
            println!(
                "New password set for {} (id {}); all of their sessions have ended.",
                user.email, user.user_id
            );
            if generated {
                println!("Password: {password}");
            }
            println!("  (A login lock after failed attempts ends 15 minutes after it began, or when the server restarts.)");
        }
        AdminCommand::DisableUser { email } => set_enabled(&db, &email, false)?,
        AdminCommand::EnableUser { email } => set_enabled(&db, &email, true)?,
    }
    Ok(())
}

fn user_by_email(db: &Db, email: &str) -> Result<crate::domain::users::Account, AppError> {
    accounts::get_by_email(db, email).map_err(|e| match e {
        AppError::NotFound => AppError::Config(format!("no user has the email {email}")),
        e => e,
    })
}

fn set_enabled(db: &Db, email: &str, enabled: bool) -> Result<(), AppError> {
    let user = user_by_email(db, email)?;
    let user = accounts::set_enabled(db, user.user_id, enabled, Actor::System)?;
    let now = if enabled {
        "enabled"
    } else {
        "disabled; their sessions have ended"
    };
    println!("{} is {now}.", user.email);
    Ok(())
}

pub fn serve_banner(
    config: &Config,
    figment: &rocket::figment::Figment,
    first_admin: Option<FirstAdmin>,
) {
    let address: String = figment
        .extract_inner("address")
        .unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = figment.extract_inner("port").unwrap_or(8000);
    let url = config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{address}:{port}"));
    println!();
    println!("Gangway — database {}", config.database_path.display());
    println!("  Console:  {url}/    API docs: {url}/docs    OpenAPI: {url}/openapi.json");
    match first_admin {
        Some(FirstAdmin {
            email,
            generated_password: Some(password),
        }) => {
            println!("  First start: created the admin account (this password is shown only once)");
            println!("    email:    {email}");
            println!("    password: {password}");
        }
        Some(FirstAdmin { email, .. }) => {
            println!("  First start: created the admin account {email} with the configured password (GANGWAY_ADMIN_PASSWORD)");
        }
        None => {}
    }
    println!("  Create an OTA partner and its API key:  gangway admin create-partner --name \"Example Travel\"");
    println!("    (or `cargo run --release -- admin create-partner --name ...`, or in the console under Partners)");
    println!();
}
