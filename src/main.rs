use clap::Parser;

use gangway::cli::{self, Cli, Command};
use gangway::config::{self, Config};
use gangway::db::Db;

/// glibc raises its mmap threshold after the first big free, so argon2's 19 MiB blocks then come
/// from per-thread heaps and are never returned: a burst of failed logins left ~375 MB resident.
/// A fixed threshold keeps every big block mmap'd and gives it back on free (measured: 25 MB after
/// the same burst, a few percent of throughput). The variable is read when the process starts, so
/// the server re-executes itself once with it set; an operator's own value is kept.
fn with_fixed_mmap_threshold() {
    use std::os::unix::process::CommandExt;
    const VAR: &str = "MALLOC_MMAP_THRESHOLD_";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env(VAR, "1048576")
            .exec();
        eprintln!("gangway: could not restart with {VAR} set ({err}); continuing without it");
    }
}

fn serve() -> Result<(), Box<dyn std::error::Error>> {
    with_fixed_mmap_threshold();
    let figment = config::figment();
    let config = Config::from_figment(&figment)?;
    let db = Db::open_with(&config.database_path, config.db_options()?)?;
    let first_admin = gangway::domain::accounts::ensure_first_admin(&db)?;
    drop(db);
    cli::serve_banner(&config, &figment, first_admin);
    // `rocket::execute` would size the runtime from Rocket's own figment (a Rocket.toml in the
    // working directory), not ours with the embedded defaults; build it from ours.
    let rocket_config: rocket::Config = figment.extract()?;
    let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(rocket_config.workers)
        .max_blocking_threads(rocket_config.max_blocking)
        .thread_name("rocket-worker")
        .enable_all()
        .build()?;
    runtime.block_on(gangway::build_rocket(figment).launch())?;
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
