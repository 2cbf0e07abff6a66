//! The books after the load: no oversell, and the stored counters equal to the rows they count.

use serde_json::Value;

use super::setup::Setup;
use crate::generator::agent;
use crate::server::Server;

pub struct Books {
    /// The server's reconciliation report finds the counters equal to the rows.
    pub consistent: bool,
    /// `0 <= held`, `0 <= sold` and `held + sold <= allocated` on every inventory row.
    pub within: bool,
    detail: String,
}

impl Books {
    /// Reads the reconciliation report and the inventory as the admin.
    pub fn check(server: &Server, setup: &Setup) -> Books {
        let agent = agent();
        let get = |path: &str| admin_get(&agent, server, &setup.admin, path);
        let rec = get("/api/admin/reports/reconciliation");
        let inv = get("/api/admin/inventory");
        let rows = inv["inventory"].as_array().cloned().unwrap_or_default();
        let mut within = !rows.is_empty();
        let mut detail = Vec::new();
        for r in &rows {
            let count = |field: &str| r[field].as_i64().unwrap_or(-1);
            let (held, sold, allocated) = (count("held"), count("sold"), count("allocated"));
            within &= held >= 0 && sold >= 0 && held + sold <= allocated;
            if r["channel"] == "ota" {
                detail.push(format!("{} ota held {held} sold {sold}", r["product_id"]));
            }
        }
        Books {
            consistent: rec["consistent"] == Value::Bool(true),
            within,
            detail: detail.join(", "),
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "reconciliation consistent: {}, 0 <= held + sold <= allocated everywhere: {} ({})",
            self.consistent, self.within, self.detail
        )
    }
}

/// `GET path` as the admin; panics unless it answers 200 with JSON.
fn admin_get(agent: &ureq::Agent, server: &Server, token: &str, path: &str) -> Value {
    let mut r = agent
        .get(server.url(path))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("admin GET");
    assert_eq!(r.status(), 200, "{path}");
    r.body_mut()
        .with_config()
        .limit(16 << 20)
        .read_json()
        .expect("json")
}
