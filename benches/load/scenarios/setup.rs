//! What every phase needs on the server: partners and their API keys created with the CLI (as an
//! operator would), a venue and an admin logged in over HTTP, and stock that never runs out.

use serde_json::{json, Value};

use crate::generator::agent;
use crate::server::Server;

/// How many OTA partners share the clients of a phase.
pub const PARTNERS: usize = 4;
/// The packages the clients buy.
pub const PRODUCTS: [i64; 3] = [106, 107, 108];
const PASSWORD: &str = "bench password 0123";

/// Partners' keys and bearer tokens, created with the CLI and logged in over HTTP.
pub struct Setup {
    pub keys: Vec<String>,
    pub venue: String,
    pub admin: String,
    pub visit_date: String,
}

impl Setup {
    pub fn create(server: &Server) -> Setup {
        let keys = (0..PARTNERS)
            .map(|i| create_partner(server, &format!("Bench Travel {i}")))
            .collect();
        let agent = agent();
        let venue = create_user_and_log_in(server, &agent, "venue@bench.example", "venue");
        let admin = create_user_and_log_in(server, &agent, "admin@bench.example", "admin");
        raise_allocations(server, &agent, &admin);
        Setup {
            keys,
            venue,
            admin,
            visit_date: today_at_the_venue(),
        }
    }

    /// The API key the `client`-th client of a phase uses: clients take the partners in turn.
    pub fn key_for_client(&self, client: usize) -> &str {
        &self.keys[client % self.keys.len()]
    }
}

/// Creates a partner with `gangway admin create-partner`; returns its API key.
fn create_partner(server: &Server, name: &str) -> String {
    let out = server.cli(&["admin", "create-partner", "--name", name]);
    out.lines()
        .find_map(|l| l.split_once("API key (shown only this once): "))
        .map(|(_, k)| k.trim().to_owned())
        .unwrap_or_else(|| panic!("no API key in CLI output: {out}"))
}

/// Creates a user with `gangway admin create-user` and logs in; returns the session token.
fn create_user_and_log_in(server: &Server, agent: &ureq::Agent, email: &str, role: &str) -> String {
    server.cli(&[
        "admin",
        "create-user",
        "--email",
        email,
        "--role",
        role,
        "--password",
        PASSWORD,
    ]);
    let mut r = agent
        .post(server.url("/api/auth/login"))
        .send_json(json!({"email": email, "password": PASSWORD}))
        .expect("login");
    assert_eq!(r.status(), 200, "login as {role}");
    let v: Value = r.body_mut().read_json().expect("login body");
    v["token"].as_str().expect("token").to_owned()
}

/// Enough stock that no phase ever runs out: 9 M OTA units per package.
fn raise_allocations(server: &Server, agent: &ureq::Agent, admin: &str) {
    for product in PRODUCTS {
        let r = agent
            .put(server.url(&format!("/api/admin/inventory/{product}")))
            .header("Authorization", &format!("Bearer {admin}"))
            .send_json(json!({"capacity": 10_000_000, "allocations": {"direct": 1_000_000, "ota": 9_000_000}}))
            .expect("allocations");
        assert_eq!(r.status(), 200, "raise allocations of {product}");
    }
}

/// The visit date of every order: today at the venue (the server runs with the default UTC
/// time zone), since the journey redeems each order's first ticket and the gate admits a dated
/// ticket only on its visit date.
fn today_at_the_venue() -> String {
    gangway::clock::date_to_db(time::OffsetDateTime::now_utc().date())
}
