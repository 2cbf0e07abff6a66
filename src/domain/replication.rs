//! Is Litestream replicating this database, and when did a change last reach the replica? Asked
//! of Litestream itself, over its control socket (`socket: {enabled: true, path: …}` in its
//! configuration, `litestream_socket` here): `GET /list` names each database with its status and
//! `last_sync_at`, the time of its last successful upload to the replica. No Litestream metric
//! carries that time, and the socket works the same for file, S3 and every other replica type.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock;

/// A scrape or the dashboard must not hang on a stuck Litestream.
const TIMEOUT: Duration = Duration::from_secs(2);
/// `/list` answers a few hundred bytes; anything much larger is not Litestream.
const MAX_ANSWER: u64 = 1024 * 1024;

/// What Litestream says about this database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Replication {
    /// Litestream's word for it (`replicating`, …), or `unreachable` / `not_listed`.
    pub status: String,
    /// The last successful sync to the replica.
    #[serde(with = "clock::rfc3339::option")]
    #[schemars(with = "Option<String>")]
    pub last_sync_at: Option<OffsetDateTime>,
    /// Seconds since then.
    pub last_sync_age_seconds: Option<i64>,
    /// Why the status is not `replicating`, when Litestream could not be asked.
    pub detail: Option<String>,
}

impl Replication {
    /// Litestream answered and is replicating this database.
    pub fn is_replicating(&self) -> bool {
        self.status == "replicating"
    }
}

#[derive(Deserialize)]
struct ListAnswer {
    databases: Vec<ListedDb>,
}

#[derive(Deserialize)]
struct ListedDb {
    path: PathBuf,
    status: String,
    #[serde(default)]
    last_sync_at: Option<String>,
}

/// Asks the Litestream behind `socket` about the database at `database_path`. Never fails: an
/// unreachable Litestream is a status (the thing to alert on).
pub fn status(socket: &Path, database_path: &Path) -> Replication {
    match ask(socket).and_then(|body| find(&body, database_path)) {
        Ok(found) => found,
        Err(detail) => Replication {
            status: "unreachable".into(),
            last_sync_at: None,
            last_sync_age_seconds: None,
            detail: Some(detail),
        },
    }
}

/// `GET /list` over the Unix socket; the body of a 200 answer.
fn ask(socket: &Path) -> Result<String, String> {
    let failed = |e: std::io::Error| format!("Litestream control socket {}: {e}", socket.display());
    let mut stream = UnixStream::connect(socket).map_err(failed)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(failed)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(failed)?;
    // HTTP/1.0: one answer, no chunked encoding, and the server closes the connection after it.
    stream
        .write_all(b"GET /list HTTP/1.0\r\nHost: litestream\r\n\r\n")
        .map_err(failed)?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .map_err(failed)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| "Litestream answered something that is not HTTP".to_owned())?;
    let status_line = head.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(format!("Litestream answered {status_line:?} to GET /list"));
    }
    Ok(body.to_owned())
}

fn find(body: &str, database_path: &Path) -> Result<Replication, String> {
    let answer: ListAnswer = serde_json::from_str(body)
        .map_err(|e| format!("unexpected answer from Litestream's GET /list: {e}"))?;
    let ours = canonical(database_path);
    let listed = answer
        .databases
        .into_iter()
        .find(|d| canonical(&d.path) == ours);
    Ok(match listed {
        Some(d) => {
            let last_sync_at = d.last_sync_at.as_deref().and_then(clock::parse_rfc3339);
            Replication {
                status: d.status,
                last_sync_at,
                last_sync_age_seconds: last_sync_at
                    .map(|t| (OffsetDateTime::now_utc() - t).whole_seconds()),
                detail: None,
            }
        }
        None => Replication {
            status: "not_listed".into(),
            last_sync_at: None,
            last_sync_age_seconds: None,
            detail: Some(format!(
                "Litestream does not replicate {}; check the dbs[].path of its configuration",
                database_path.display()
            )),
        },
    })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A stand-in for Litestream's control socket answering one request with `answer`.
    fn serve_once(socket: &Path, answer: impl Into<String>) -> std::thread::JoinHandle<String> {
        let listener = UnixListener::bind(socket).unwrap();
        let answer = answer.into();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 256];
            let n = conn.read(&mut request).unwrap();
            conn.write_all(answer.as_bytes()).unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        })
    }

    #[test]
    fn the_last_sync_of_our_database_is_read_from_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("ls.sock");
        let db = dir.path().join("gangway.db");
        std::fs::write(&db, "").unwrap();
        // Litestream 0.5.17's answer, with nanoseconds.
        let body = format!(
            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{{\"databases\":[{{\"path\":\"/elsewhere/other.db\",\"status\":\"replicating\"}},{{\"path\":\"{}\",\"status\":\"replicating\",\"last_sync_at\":\"2026-12-02T01:53:56.050306592Z\"}}]}}\n",
            db.display()
        );
        let request = serve_once(&socket, body);
        let r = status(&socket, &db);
        assert!(request
            .join()
            .unwrap()
            .starts_with("GET /list HTTP/1.0\r\n"));
        assert!(r.is_replicating(), "{r:?}");
        assert_eq!(
            r.last_sync_at.map(clock::to_db).as_deref(),
            Some("2026-12-02T01:53:56Z")
        );
    }

    #[test]
    fn an_absent_or_confused_litestream_is_a_status_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("gangway.db");
        let gone = status(&dir.path().join("nobody.sock"), &db);
        assert_eq!(gone.status, "unreachable");
        assert!(gone.detail.unwrap().contains("nobody.sock"));

        let socket = dir.path().join("ls.sock");
        let t = serve_once(&socket, "HTTP/1.0 200 OK\r\n\r\n{\"databases\":[]}");
        let other = status(&socket, &db);
        t.join().unwrap();
        assert_eq!(
            (other.status.as_str(), other.last_sync_at),
            ("not_listed", None)
        );

        let socket = dir.path().join("ls2.sock");
        let t = serve_once(&socket, "HTTP/1.0 404 Not Found\r\n\r\nnope");
        let wrong = status(&socket, &db);
        t.join().unwrap();
        assert_eq!(wrong.status, "unreachable");
        assert!(wrong.detail.unwrap().contains("404"));
    }
}
