//! The command line: `serve` (default), `migrate`, and `admin` sub-commands that run the same
//! domain operations as the API, on the same configuration.

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::db::Db;
use crate::domain::accounts::{self, NewAccount};
use crate::domain::audit::Actor;
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
    /// Write a consistent copy of the database to a new file (safe while the server runs).
    Backup {
        /// Where to write the copy; must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
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
pub fn backup(to: &std::path::Path) -> Result<(), AppError> {
    let (config, db) = open()?;
    db.backup_to(to)?;
    println!(
        "Backed up {} to {}.",
        config.database_path.display(),
        to.display()
    );
    Ok(())
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
    }
    Ok(())
}

pub fn serve_banner(
    config: &Config,
    figment: &rocket::figment::Figment,
    first_admin: Option<(String, String)>,
) {
    let address: String = figment
        .extract_inner("address")
        .unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = figment.extract_inner("port").unwrap_or(8000);
    let url = format!("http://{address}:{port}");
    println!();
    println!("Gangway — database {}", config.database_path.display());
    println!("  Console:  {url}/    API docs: {url}/docs    OpenAPI: {url}/openapi.json");
    if let Some((email, password)) = first_admin {
        println!("  First start: created the admin account (this password is shown only once)");
        println!("    email:    {email}");
        println!("    password: {password}");
    }
    println!("  Create an OTA partner and its API key:  gangway admin create-partner --name \"Example Travel\"");
    println!("    (or `cargo run --release -- admin create-partner --name ...`, or in the console under Partners)");
    println!();
}
