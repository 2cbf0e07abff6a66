use clap::Parser;

use gangway::cli::{self, Cli, Command};
use gangway::config::{self, Config};
use gangway::db::Db;

fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let figment = config::figment();
    let config = Config::from_figment(&figment)?;
    let db = Db::open(&config.database_path, 1)?;
    let first_admin = cli::ensure_first_admin(&db)?;
    drop(db);
    cli::serve_banner(&config, &figment, first_admin);
    rocket::execute(gangway::build_rocket(figment).launch())?;
    Ok(())
}

fn main() {
    let result = match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Migrate => cli::migrate().map_err(Into::into),
        Command::Admin(cmd) => cli::admin(cmd).map_err(Into::into),
        Command::Backup { to } => cli::backup(&to).map_err(Into::into),
    };
    if let Err(e) = result {
        eprintln!("gangway: {e}");
        std::process::exit(1);
    }
}
