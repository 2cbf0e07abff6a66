use clap::Parser;

use gangway::cli::{self, Cli, Command};
use gangway::config::{self, Config};
use gangway::db::Db;

/// glibc raises its mmap threshold after the first big free, so argon2's 19 MiB blocks then come
/// from per-thread heaps and are never returned: a burst of failed logins left ~375 MB resident.
/// A fixed threshold keeps every big block mmap'd and gives it back on free (measured: 25 MB after
/// the same burst, a few percent of throughput). Two malloc arenas instead of one per core and
/// thread family keep the heaps of Tokio's, the writer's and the archive threads from each holding
/// their own free memory (the load benchmark's peak: 66 MB -> about 50 MB). The variables are read
/// when the process starts, so the server re-executes itself once with them set; an operator's own
/// values are kept.
fn with_malloc_tuning() {
    use std::os::unix::process::CommandExt;
    const TUNING: [(&str, &str); 2] = [
        ("MALLOC_MMAP_THRESHOLD_", "1048576"),
        ("MALLOC_ARENA_MAX", "2"),
    ];
    if TUNING
        .iter()
        .all(|(var, _)| std::env::var_os(var).is_some())
    {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        let mut cmd = std::process::Command::new(exe);
        cmd.args(std::env::args_os().skip(1));
        for (var, value) in TUNING {
            if std::env::var_os(var).is_none() {
                cmd.env(var, value);
            }
        }
        let err = cmd.exec();
        eprintln!(
            "gangway: could not restart with malloc settings ({err}); continuing without them"
        );
    }
}

fn serve() -> Result<(), Box<dyn std::error::Error>> {
    with_malloc_tuning();
    let figment = config::figment();
    let config = Config::from_figment(&figment)?;
    let db = Db::open_with(&config.database_path, config.db_options()?)?;
    let first_admin =
        gangway::domain::accounts::ensure_first_admin(&db, config.first_admin_password()?)
            .map_err(|e| {
                format!(
                    "database {}: cannot create the first admin: {e}",
                    config.database_path.display()
                )
            })?;
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
        Command::Backup { to } => cli::backup(to.as_deref()).map_err(Into::into),
        Command::Check { database } => std::process::exit(cli::check(&database)),
    };
    if let Err(e) = result {
        eprintln!("gangway: {e}");
        std::process::exit(1);
    }
}
