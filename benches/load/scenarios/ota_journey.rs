//! What the clients do: the mixed OTA journey, and reservations alone.

use std::time::Duration;

use serde_json::json;

use super::setup::{Setup, PRODUCTS};
use crate::generator::{run_phase, Auth, Client, Phase};
use crate::server::Server;

/// The OTA endpoints of the mixed journey, in journey order, plus the venue scan.
pub const ENDPOINTS: [(&str, &str); 6] = [
    ("inventory", "GET /api/ota/inventory"),
    ("reserve", "POST /api/ota/reserve"),
    ("orders", "POST /api/ota/orders"),
    ("activate", "POST /api/ota/activate"),
    ("redeem", "POST /venue/redeem"),
    ("tickets", "GET /api/ota/tickets?limit=100"),
];

/// The venue scan: a step of the journey, but not an OTA call.
pub const VENUE_SCAN: &str = "redeem";

/// The endpoints of the journey that only read; every other one commits a write transaction.
const READS: [&str; 2] = ["inventory", "tickets"];

/// Committed write transactions per second in a phase.
pub fn writes_per_sec(phase: &Phase) -> f64 {
    phase.per_sec(|endpoint| !READS.contains(&endpoint))
}

/// `clients` clients repeating the whole journey for `run_for`.
pub fn run_journeys(server: &Server, setup: &Setup, clients: usize, run_for: Duration) -> Phase {
    run_phase(server, clients, run_for, |c| journey(c, setup))
}

/// `clients` clients reserving one unit at a time for `run_for`.
pub fn run_reservations(
    server: &Server,
    setup: &Setup,
    clients: usize,
    run_for: Duration,
) -> Phase {
    run_phase(server, clients, run_for, |c| reserve_one(c, setup))
}

/// inventory → reserve 1–3 units → order → activate → redeem the first ticket → ticket list; a
/// failed step ends the journey (its error is recorded) and the client starts the next one.
fn journey(c: &mut Client, setup: &Setup) {
    let key = Auth::ApiKey(setup.key_for_client(c.index));
    let product = random_product(c);
    let quantity = 1 + (c.random() % 3) as i64;
    c.get("inventory", "/api/ota/inventory", key);
    let reserve = json!({"product_id": product, "quantity": quantity});
    let Some(r) = c.post("reserve", "/api/ota/reserve", key, &reserve) else {
        return;
    };
    let order = json!({
        "reservation_id": r["reservation_id"],
        "customer_details": {"name": "Load Test", "email": "load@example.com", "phone": "+852 5555 0101"},
        "pricing_context": {"visit_date": setup.visit_date,
                            "customer_breakdown": [{"customer_type": "adult", "count": quantity}]}
    });
    let Some(o) = c.post("orders", "/api/ota/orders", key, &order) else {
        return;
    };
    let order_id = o["order_id"].as_str().unwrap_or_default();
    let payment = json!({"order_id": order_id, "payment_reference": format!("PAY-{order_id}")});
    let Some(act) = c.post("activate", "/api/ota/activate", key, &payment) else {
        return;
    };
    if let Some(token) = act["tickets"][0]["qr_token"].as_str() {
        let scan = json!({"qr_token": token, "function_code": "ferry", "venue_code": "PIER-1"});
        c.post("redeem", "/venue/redeem", Auth::Bearer(&setup.venue), &scan);
    }
    c.get("tickets", "/api/ota/tickets?limit=100", key);
}

fn reserve_one(c: &mut Client, setup: &Setup) {
    let key = Auth::ApiKey(setup.key_for_client(c.index));
    let product = random_product(c);
    let reserve = json!({"product_id": product, "quantity": 1});
    c.post("reserve", "/api/ota/reserve", key, &reserve);
}

fn random_product(c: &mut Client) -> i64 {
    PRODUCTS[(c.random() % PRODUCTS.len() as u64) as usize]
}
