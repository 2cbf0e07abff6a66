//! What an operator relies on while the server runs: scheduled snapshots that are consistent,
//! private and rotated, shown on the dashboard's route; and `/metrics` for a Prometheus scraper,
//! closed to everyone but staff and the holder of `metrics_token`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use gangway::domain::users::Role;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::procs::assert_check_passes;

const TOKEN: &str = "scraper-token-0123456789abcdef";

/// Polls `f` every 50 ms until it gives a value; fails after 15 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A user of `role`, logged in: their bearer token.
fn logged_in(server: &Server, email: &str, role: Role) -> Cred {
    new_user(&server.db(), email, role);
    let body = json!({"email": email, "password": PASSWORD});
    let (status, body) = server.call("POST", "/api/auth/login", &Cred::None, Some(&body), &[]);
    assert_eq!(status, 200, "{body}");
    Cred::Bearer(body["token"].as_str().unwrap().to_owned())
}

fn staff(server: &Server) -> Cred {
    logged_in(server, "ops@example.com", Role::Staff)
}

/// A partner reserves `quantity` units of `product_id`: the reservation.
fn reserve(server: &Server, key: &Cred, product_id: i64, quantity: i64) -> Value {
    let body = json!({"product_id": product_id, "quantity": quantity});
    let (status, r) = server.call("POST", "/api/ota/reserve", key, Some(&body), &[]);
    assert_eq!(status, 201, "{r}");
    r
}

fn backups(server: &Server, cred: &Cred) -> Value {
    let (status, body) = server.call("GET", "/api/admin/backups", cred, None, &[]);
    assert_eq!(status, 200, "{body}");
    body
}

/// `/metrics` as a scraper reads it.
fn scrape(server: &Server, cred: &Cred) -> (u16, String) {
    let mut req = http().get(format!("{}/metrics", server.base));
    if let Cred::Bearer(t) = cred {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.call().unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.body_mut().read_to_string().unwrap();
    if status == 200 {
        assert_eq!(
            content_type.as_deref(),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
    }
    (status, text)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn scheduled_snapshots_are_consistent_private_rotated_and_shown() {
    let backup_dir = tempfile::tempdir().unwrap();
    let dir = backup_dir.path().join("snapshots");
    let server = Server::start_with(|f| {
        f.merge(("backup_dir", dir.display().to_string()))
            .merge(("backup_every", "1s"))
            .merge(("backup_keep", 2))
    });
    let p = server.partner("Harbour Travel");
    let cred = staff(&server);
    // Writes go on while the snapshots are taken.
    for _ in 0..20 {
        reserve(&server, &Cred::Key(p.key.clone()), 106, 1);
    }
    let (_, text) = eventually("four scheduled snapshots", || {
        let (status, text) = scrape(&server, &cred);
        let runs = metric(&text, "gangway_backup_runs_total{outcome=\"ok\"}")?;
        (status == 200 && runs >= 4.0).then_some((status, text))
    });
    assert_eq!(
        metric(&text, "gangway_backup_runs_total{outcome=\"error\"}"),
        Some(0.0)
    );

    let status = backups(&server, &cred);
    let kept = status["snapshots"].as_array().unwrap();
    assert_eq!(kept.len(), 2, "{status}");
    assert_eq!(status["scheduled"], true);
    assert_eq!(
        (status["every_seconds"].as_u64(), status["keep"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(status["last_failure"].is_null(), "{status}");
    assert!(
        status["last_age_seconds"].as_i64().unwrap() <= 2,
        "{status}"
    );
    let last = &status["last"];
    assert_eq!(last, &kept[0]);
    let newest = kept[0]["taken_at"].as_str().unwrap();
    assert!(newest >= kept[1]["taken_at"].as_str().unwrap());
    assert_eq!(mode(&dir), 0o700);
    let on_disk: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(on_disk.len(), 2, "rotated to backup_keep, no leftovers");
    for s in kept {
        let file = dir.join(s["file"].as_str().unwrap());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
        assert_eq!(
            std::fs::metadata(&file).unwrap().len(),
            s["size_bytes"].as_u64().unwrap()
        );
        assert_check_passes(&file);
    }
    assert_eq!(
        metric(&text, "gangway_backup_snapshots"),
        Some(2.0),
        "{text}"
    );
    assert!(metric(&text, "gangway_backup_last_size_bytes").unwrap() > 100_000.0);
}

#[test]
fn a_snapshot_that_cannot_be_written_is_reported_and_the_server_keeps_serving() {
    let blocked = tempfile::tempdir().unwrap();
    let in_the_way = blocked.path().join("not-a-directory");
    std::fs::write(&in_the_way, "a file where the backup directory should be").unwrap();
    let server = Server::start_with(|f| f.merge(("backup_dir", in_the_way.display().to_string())));
    let cred = staff(&server);
    let status = eventually("the failure on the dashboard's route", || {
        let b = backups(&server, &cred);
        (!b["last_failure"].is_null()).then_some(b)
    });
    assert!(status["last"].is_null());
    assert!(
        status["last_failure"]["detail"]
            .as_str()
            .unwrap()
            .contains("not-a-directory"),
        "{status}"
    );
    let (_, text) = scrape(&server, &cred);
    assert_eq!(
        metric(&text, "gangway_backup_runs_total{outcome=\"error\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "gangway_backup_last_success_timestamp_seconds"),
        Some(0.0)
    );
    let (health, _) = server.call("GET", "/health", &Cred::None, None, &[]);
    assert_eq!(health, 200);
}

#[test]
fn metrics_answer_staff_and_the_scraper_token_only() {
    let server = Server::start_with(|f| f.merge(("metrics_token", TOKEN)));
    let staff = staff(&server);
    let venue = logged_in(&server, "pier@example.com", Role::Venue);
    for (who, cred, expected) in [
        ("nobody", Cred::None, 401),
        ("a wrong token", Cred::Bearer(format!("{TOKEN}x")), 401),
        ("a venue scanner", venue, 403),
        ("staff", staff, 200),
        ("the scraper", Cred::Bearer(TOKEN.to_owned()), 200),
    ] {
        assert_eq!(scrape(&server, &cred).0, expected, "{who}");
    }
    // A token too short to be a secret is refused at start.
    let dir = tempfile::tempdir().unwrap();
    let short = figment(&dir).merge(("metrics_token", "short"));
    assert!(gangway::config::Config::from_figment(&short).is_err());
}

#[test]
fn metrics_show_traffic_stock_the_writer_queue_and_the_expiry_job() {
    let server = Server::start_with(|f| {
        f.merge(("metrics_token", TOKEN))
            .merge(("expiry_interval_seconds", 1))
    });
    let scraper = Cred::Bearer(TOKEN.to_owned());
    let p = server.partner("Harbour Travel");
    let key = Cred::Key(p.key.clone());
    let r = reserve(&server, &key, 106, 3);
    let rid = r["reservation_id"].as_str().unwrap();
    for _ in 0..2 {
        let (status, _) = server.call(
            "GET",
            &format!("/api/ota/reservations/{rid}"),
            &key,
            None,
            &[],
        );
        assert_eq!(status, 200);
    }
    server.call("GET", "/no/such/page", &Cred::None, None, &[]);
    // A hold that runs out: the job releases it.
    let r = reserve(&server, &key, 107, 1);
    server.sql(&format!(
        "UPDATE reservations SET reserved_until = '2020-01-01T00:00:00Z' WHERE id = '{}'",
        r["reservation_id"].as_str().unwrap()
    ));
    let text = eventually("the expiry job to release the hold", || {
        let (_, text) = scrape(&server, &scraper);
        let released = metric(&text, "gangway_expiry_released_total{kind=\"reservation\"}")?;
        (released >= 1.0).then_some(text)
    });
    assert!(metric(&text, "gangway_expiry_runs_total{outcome=\"ok\"}").unwrap() >= 1.0);

    // Requests by route template (never the id) and status, with their latency.
    let series = [
        ("gangway_http_requests_total{method=\"POST\",route=\"/api/ota/reserve\",status=\"201\"}", 2.0),
        ("gangway_http_requests_total{method=\"GET\",route=\"/api/ota/reservations/<id>\",status=\"200\"}", 2.0),
        ("gangway_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}", 1.0),
        ("gangway_http_request_duration_seconds_count{method=\"GET\",route=\"/api/ota/reservations/<id>\"}", 2.0),
        // Stock per package and channel, as the books say.
        ("gangway_stock_held_units{channel=\"ota\",product_id=\"106\"}", 3.0),
        ("gangway_stock_sold_units{channel=\"ota\",product_id=\"106\"}", 0.0),
        ("gangway_stock_available_units{channel=\"ota\",product_id=\"106\"}", 1997.0),
        ("gangway_stock_allocated_units{channel=\"direct\",product_id=\"108\"}", 1500.0),
    ];
    for (series, value) in series {
        assert_eq!(metric(&text, series), Some(value), "{series} in:\n{text}");
    }
    assert!(!text.contains(rid), "no ids in labels");
    // Every write waited for the writer (reserve, partner setup, the expiry job, the sessions).
    let waited = metric(&text, "gangway_db_writer_wait_seconds_count").unwrap();
    assert!(waited >= 3.0, "{text}");
    assert_eq!(
        metric(&text, "gangway_db_writer_wait_seconds_bucket{le=\"+Inf\"}"),
        Some(waited),
        "{text}"
    );
    assert!(metric(&text, "gangway_db_writer_wait_seconds_bucket{le=\"0.001\"}").is_some());
    let jobs = metric(&text, "gangway_db_write_jobs_total").unwrap();
    let commits = metric(&text, "gangway_db_write_commits_total").unwrap();
    assert!(
        jobs >= waited && commits >= 1.0 && commits <= jobs,
        "{text}"
    );
    assert!(metric(&text, "gangway_database_bytes").unwrap() > 100_000.0);
    assert!(metric(&text, "gangway_wal_bytes").is_some());
    let last_run = metric(&text, "gangway_expiry_last_run_timestamp_seconds").unwrap();
    assert!((now_unix() as f64 - last_run).abs() < 10.0);
    assert_eq!(
        metric(
            &text,
            "gangway_expiry_released_total{kind=\"direct_order\"}"
        ),
        Some(0.0)
    );
    // No Litestream configured: no replication series pretending to know.
    assert!(!text.contains("gangway_replication_"), "{text}");
}
