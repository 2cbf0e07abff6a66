//! Zero oversell under real concurrency: 64 clients over real HTTP fight over a 40-unit OTA
//! allocation — reserving, cancelling, ordering, paying (activation and signed webhook), cancelling
//! tickets — while holds are expired underneath them. A sampler reads the counters all along and
//! the books must balance at the end.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gangway::domain::audit::Actor;
use gangway::domain::inventory::{self, Allocation};
use gangway::domain::{expiry, reconciliation};
use serde_json::{json, Value};

use crate::helpers::*;

const PRODUCT: i64 = 107;
const ALLOCATION: i64 = 40;
const CLIENTS: usize = 64;
const RUN_FOR: Duration = Duration::from_secs(8);

/// xorshift64*: small, seedable, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// What every client saw: answers per operation and status, and anything unexpected.
#[derive(Default)]
struct Tally {
    seen: BTreeMap<(&'static str, u16), u64>,
    unexpected: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (k, n) in other.seen {
            *self.seen.entry(k).or_default() += n;
        }
        self.unexpected.extend(other.unexpected);
    }
    fn count(&self, op: &'static str, status: u16) -> u64 {
        self.seen.get(&(op, status)).copied().unwrap_or(0)
    }
}

struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
    tally: Tally,
}

impl Client {
    /// Records the answer; anything outside `allowed` (status, problem code) is unexpected.
    fn check(
        &mut self,
        op: &'static str,
        r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        allowed: &[(u16, Option<&str>)],
    ) -> (u16, Value) {
        let (status, body) = match r {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let bytes = r
                    .body_mut()
                    .with_config()
                    .limit(16 << 20)
                    .read_to_vec()
                    .unwrap_or_default();
                (
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                )
            }
            Err(e) => {
                self.tally
                    .unexpected
                    .push(format!("{op}: transport error {e}"));
                return (0, Value::Null);
            }
        };
        *self.tally.seen.entry((op, status)).or_default() += 1;
        let ok = allowed
            .iter()
            .any(|(s, code)| *s == status && code.is_none_or(|c| body["code"] == c));
        if !ok {
            self.tally.unexpected.push(format!("{op}: {status} {body}"));
        }
        (status, body)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn run_client(base: String, key: String, seed: u64, stop: &AtomicBool) -> Tally {
    let mut c = Client {
        agent: http(),
        base,
        key,
        tally: Tally::default(),
    };
    let mut rng = Rng(seed);
    let mut live: Vec<String> = Vec::new();
    let mut unpaid: Vec<(String, i64)> = Vec::new();
    let mut tickets: Vec<String> = Vec::new();
    let visit_date = weekday_ahead();
    while !stop.load(Ordering::Relaxed) {
        let roll = rng.below(100);
        if roll < 40 || (live.is_empty() && unpaid.is_empty() && tickets.is_empty()) {
            let q = 1 + rng.below(5) as i64;
            let r = c
                .agent
                .post(c.url("/api/ota/reserve"))
                .header("X-API-Key", &c.key)
                .send_json(json!({"product_id": PRODUCT, "quantity": q}));
            let (status, body) = c.check(
                "reserve",
                r,
                &[(201, None), (409, Some("INSUFFICIENT_INVENTORY"))],
            );
            if status == 201 {
                live.push(body["reservation_id"].as_str().unwrap().to_owned());
            }
        } else if roll < 50 && !live.is_empty() {
            let id = live.swap_remove(rng.below(live.len() as u64) as usize);
            let r = c
                .agent
                .delete(c.url(&format!("/api/ota/reservations/{id}")))
                .header("X-API-Key", &c.key)
                .call();
            // An expired hold can no longer be cancelled.
            c.check(
                "cancel_reservation",
                r,
                &[(200, None), (409, Some("RESERVATION_NOT_ACTIVE"))],
            );
        } else if roll < 70 && !live.is_empty() {
            let id = live.swap_remove(rng.below(live.len() as u64) as usize);
            let quantity = {
                let r = c
                    .agent
                    .get(c.url(&format!("/api/ota/reservations/{id}")))
                    .header("X-API-Key", &c.key)
                    .call();
                c.check("get_reservation", r, &[(200, None)]).1["quantity"]
                    .as_i64()
                    .unwrap_or(1)
            };
            let r = c.agent.post(c.url("/api/ota/orders")).header("X-API-Key", &c.key).send_json(json!({
                "reservation_id": id,
                "customer_details": {"name": "Load Test", "email": "load@example.com"},
                "pricing_context": {"visit_date": visit_date, "customer_breakdown": [{"customer_type": "adult", "count": quantity}]}
            }));
            let (status, body) = c.check(
                "order",
                r,
                &[(201, None), (409, Some("RESERVATION_NOT_ACTIVE"))],
            );
            if status == 201 {
                let amount = body["payment_required"]["amount_cents"].as_i64().unwrap();
                unpaid.push((body["order_id"].as_str().unwrap().to_owned(), amount));
            }
        } else if roll < 85 && !unpaid.is_empty() {
            let (order_id, amount) = unpaid.swap_remove(rng.below(unpaid.len() as u64) as usize);
            let reference = format!("PAY-{order_id}");
            if rng.below(2) == 0 {
                let r = c
                    .agent
                    .post(c.url("/api/ota/activate"))
                    .header("X-API-Key", &c.key)
                    .send_json(json!({"order_id": order_id, "payment_reference": reference}));
                let (_, body) = c.check("activate", r, &[(200, None)]);
                for t in body["tickets"].as_array().into_iter().flatten() {
                    tickets.push(t["ticket_code"].as_str().unwrap().to_owned());
                }
            } else {
                let raw = serde_json::to_vec(
                    &json!({"order_id": order_id, "payment_reference": reference,
                    "status": "SUCCESS", "amount_cents": amount, "currency": "USD"}),
                )
                .unwrap();
                let r = c
                    .agent
                    .post(c.url("/payments/notify"))
                    .header("Content-Type", "application/json")
                    .header("X-Gangway-Signature", &signature(&raw, now_unix()))
                    .send(&raw[..]);
                let (_, body) = c.check("webhook", r, &[(200, None)]);
                if body["order_status"] == "PAID" {
                    let r = c
                        .agent
                        .get(c.url(&format!("/api/ota/orders/{order_id}")))
                        .header("X-API-Key", &c.key)
                        .call();
                    let (_, order) = c.check("get_order", r, &[(200, None)]);
                    for t in order["tickets"].as_array().into_iter().flatten() {
                        tickets.push(t["ticket_code"].as_str().unwrap().to_owned());
                    }
                }
            }
        } else if roll < 95 && !tickets.is_empty() {
            let code = tickets.swap_remove(rng.below(tickets.len() as u64) as usize);
            let r = c
                .agent
                .post(c.url(&format!("/api/ota/tickets/{code}/cancel")))
                .header("X-API-Key", &c.key)
                .send_empty();
            c.check("cancel_ticket", r, &[(200, None)]);
        } else {
            let r = c
                .agent
                .get(c.url(&format!("/api/ota/inventory?product_ids={PRODUCT}")))
                .header("X-API-Key", &c.key)
                .call();
            let (status, body) = c.check("inventory", r, &[(200, None)]);
            let available = body["available_quantities"][PRODUCT.to_string()].as_i64();
            if status == 200 && !available.is_some_and(|a| (0..=ALLOCATION).contains(&a)) {
                c.tally.unexpected.push(format!(
                    "inventory shows {available:?} available of {ALLOCATION}"
                ));
            }
        }
    }
    c.tally
}

/// One consistent snapshot of the counters: every row within its allocation, and the shrunk
/// package never with more live tickets than its allocation.
fn sample(conn: &mut rusqlite::Connection) -> Result<i64, String> {
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let rows: Vec<(i64, String, i64, i64, i64)> = tx
        .prepare("SELECT product_id, channel, held, sold, allocated FROM inventory")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect()
        })
        .map_err(|e| e.to_string())?;
    let live_tickets: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM tickets WHERE product_id = ?1 AND channel = 'ota' AND status IN ('ACTIVE', 'USED')",
            [PRODUCT],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let mut taken = 0;
    for (product, channel, held, sold, allocated) in rows {
        if held < 0 || sold < 0 || held + sold > allocated {
            return Err(format!(
                "{product}/{channel}: held {held} + sold {sold} vs allocated {allocated}"
            ));
        }
        if product == PRODUCT && channel == "ota" {
            if allocated != ALLOCATION || live_tickets > allocated || live_tickets != sold {
                return Err(format!(
                    "{product}/ota: {live_tickets} live tickets, sold {sold}, allocated {allocated}"
                ));
            }
            taken = held + sold;
        }
    }
    Ok(taken)
}

#[test]
fn sixty_four_clients_never_oversell_a_small_allocation() {
    let server = Server::start_with(|f| f.merge(("rate_limit_per_minute", 1_000_000_000)));
    let db = server.db();
    // Shrink the OTA allocation of the Pet Plan to 40 units.
    let split = Allocation {
        capacity: 4000,
        direct: 2500,
        ota: ALLOCATION,
    };
    inventory::set_allocations(&db, PRODUCT, split, Actor::System).unwrap();
    let keys: Vec<String> = (0..4)
        .map(|i| server.partner(&format!("Oversell {i}")).key)
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));

    // The sampler: its own connection, as fast as it can, for the whole run.
    let sampler = {
        let (stop, violations) = (stop.clone(), violations.clone());
        let path = server.dir.path().join("gangway.db");
        std::thread::spawn(move || {
            let mut conn = rusqlite::Connection::open(path).unwrap();
            conn.busy_timeout(Duration::from_secs(5)).unwrap();
            let (mut samples, mut peak) = (0u64, 0i64);
            while !stop.load(Ordering::Relaxed) {
                match sample(&mut conn) {
                    Ok(taken) => peak = peak.max(taken),
                    Err(v) => violations.lock().unwrap().push(v),
                }
                samples += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            (samples, peak)
        })
    };

    // Time passes underneath the clients: some live holds fall due, and the job sweeps them
    // (or a reserve that finds the channel short reclaims them, or a payment arrives late).
    let expirer = {
        let stop = stop.clone();
        let db = server.db();
        std::thread::spawn(move || {
            let mut rounds = 0u64;
            let mut released = 0usize;
            while !stop.load(Ordering::Relaxed) {
                db.write(|tx| {
                    Ok(tx.execute(
                        "UPDATE reservations SET reserved_until = '2020-01-01T00:00:00Z'
                         WHERE id IN (SELECT id FROM reservations WHERE status IN ('ACTIVE', 'ORDERED')
                                      ORDER BY random() LIMIT 2)",
                        [],
                    )?)
                })
                .unwrap();
                if rounds % 2 == 1 {
                    released += expiry::run_once(&db).unwrap().reservations;
                }
                rounds += 1;
                std::thread::sleep(Duration::from_millis(150));
            }
            released
        })
    };

    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (base, key, stop) = (
                server.base.clone(),
                keys[i % keys.len()].clone(),
                stop.clone(),
            );
            std::thread::spawn(move || run_client(base, key, 0x5EED_0000 + i as u64 * 7919, &stop))
        })
        .collect();
    std::thread::sleep(RUN_FOR);
    stop.store(true, Ordering::Relaxed);
    let mut tally = Tally::default();
    for c in clients {
        tally.merge(c.join().expect("client"));
    }
    let released_by_job = expirer.join().expect("expirer");
    let (samples, peak) = sampler.join().expect("sampler");
    let elapsed = started.elapsed();

    let violations = violations.lock().unwrap();
    assert!(violations.is_empty(), "invariant broken: {violations:?}");
    assert!(
        tally.unexpected.is_empty(),
        "{} unexpected answers, e.g. {:?}",
        tally.unexpected.len(),
        &tally.unexpected[..tally.unexpected.len().min(10)]
    );

    // Final books: counters equal to the rows, and never more live tickets than units.
    let rec = db.read(reconciliation::reconcile).unwrap();
    assert!(rec.consistent, "reconciliation: {rec:?}");
    let (sold, live_tickets): (i64, i64) = db
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT sold FROM inventory WHERE product_id = ?1 AND channel = 'ota'),
                        (SELECT COUNT(*) FROM tickets WHERE product_id = ?1 AND channel = 'ota' AND status IN ('ACTIVE', 'USED'))",
                [PRODUCT],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert!(live_tickets <= ALLOCATION && live_tickets == sold);

    // The run really did contend: stock ran out, units changed hands every way there is.
    let paid = tally.count("activate", 200) + tally.count("webhook", 200);
    let report = format!(
        "{elapsed:?}: {samples} samples (peak held+sold {peak}), {:?}, {released_by_job} released by the job",
        tally.seen
    );
    eprintln!("oversell: {report}");
    assert!(samples >= 100, "{report}");
    assert!(
        peak >= ALLOCATION - 4,
        "the allocation was never exhausted: {report}"
    );
    assert!(tally.count("reserve", 201) >= 50, "{report}");
    assert!(tally.count("reserve", 409) >= 50, "{report}");
    assert!(tally.count("order", 201) >= 10, "{report}");
    assert!(paid >= 10, "{report}");
    assert!(tally.count("cancel_reservation", 200) >= 1, "{report}");
    assert!(tally.count("cancel_ticket", 200) >= 1, "{report}");
    let expired: i64 = db
        .read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM reservations WHERE status = 'EXPIRED'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(expired >= 1, "{report}");
}
