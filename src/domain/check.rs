//! `gangway check`: is this copy of the database (a restored replica, a backup) one the server
//! could run on? The file's own soundness (`integrity_check`), its references
//! (`foreign_key_check`) and the books (`reconciliation`), on a file opened strictly read-only:
//! never migrated, never written.

use std::path::Path;

use super::reconciliation::{self, Reconciliation};
use crate::db::{self, ReadOnlyOpen};
use crate::error::AppError;

/// At most this many complaints are kept per check.
const MAX_PROBLEMS: usize = 20;

/// One check and what it found.
#[derive(Debug, Clone)]
pub struct Finding {
    pub name: &'static str,
    pub passed: bool,
    /// What it saw when it passed, or the first problems when it did not.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CheckReport {
    pub how: ReadOnlyOpen,
    /// The newest migration in the file, and the newest this binary knows.
    pub schema: (i64, i64),
    pub findings: Vec<Finding>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.passed)
    }
}

/// Runs every check on the file at `path`. `Err` when it cannot be checked at all (missing, not
/// SQLite, not a Gangway database); a failed check is a report that did not pass.
pub fn check_file(path: &Path) -> Result<CheckReport, AppError> {
    let (conn, how) = db::open_read_only(path)?;
    let Some(schema) = db::schema_versions(&conn)? else {
        return Err(AppError::Config(format!(
            "{} is an SQLite file but not a Gangway database (no migration history)",
            path.display()
        )));
    };
    // A file damaged enough that a check cannot even run fails that check, with SQLite's reason.
    let problems =
        |found: Result<Vec<String>, AppError>| found.unwrap_or_else(|e| vec![e.to_string()]);
    let findings = vec![
        finding(
            "integrity_check",
            problems(db::integrity_problems(&conn, MAX_PROBLEMS as u32)),
            "ok: every page, index and constraint is sound",
        ),
        finding(
            "foreign_key_check",
            problems(db::dangling_references(&conn)),
            "ok: no reference points at a missing row",
        ),
        books(reconciliation::reconcile(&conn)),
    ];
    Ok(CheckReport {
        how,
        schema,
        findings,
    })
}

fn finding(name: &'static str, mut problems: Vec<String>, ok: &str) -> Finding {
    if problems.is_empty() {
        return Finding {
            name,
            passed: true,
            lines: vec![ok.to_owned()],
        };
    }
    let total = problems.len();
    problems.truncate(MAX_PROBLEMS);
    if total > MAX_PROBLEMS {
        problems.push(format!("… and {} more", total - MAX_PROBLEMS));
    }
    Finding {
        name,
        passed: false,
        lines: problems,
    }
}

/// The stock counters beside what the rows say; a schema the query cannot read fails the check.
fn books(report: Result<Reconciliation, AppError>) -> Finding {
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            return finding(
                "reconciliation",
                vec![format!("cannot read the books: {e}")],
                "",
            )
        }
    };
    let problems = report
        .rows
        .iter()
        .filter(|r| !r.consistent)
        .map(|r| {
            format!(
                "package {} / {}: stored held {} sold {} used {}, rows say held {} sold {} used {} (allocated {})",
                r.product_id,
                r.channel.as_str(),
                r.stored.held,
                r.stored.sold,
                r.stored.used,
                r.recomputed.held,
                r.recomputed.sold,
                r.recomputed.used,
                r.allocated
            )
        })
        .collect();
    let ok = format!(
        "ok: {} package/channel rows, stored counters equal the rows and stay within their allocations",
        report.rows.len()
    );
    finding("reconciliation", problems, &ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_of_problems_are_cut_and_counted() {
        let many = (0..25).map(|i| format!("problem {i}")).collect();
        let f = finding("integrity_check", many, "ok");
        assert!(!f.passed);
        assert_eq!(f.lines.len(), MAX_PROBLEMS + 1);
        assert_eq!(f.lines.last().unwrap(), "… and 5 more");
        assert!(finding("x", vec![], "fine").passed);
    }
}
