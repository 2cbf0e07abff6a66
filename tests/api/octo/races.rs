//! One inventory under concurrency, over real HTTP: OCTO and classic holds racing for the last
//! units never oversell, and concurrent retries of one booking hold once.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::*;

const UNITS: i64 = 40;

fn server() -> Server {
    let s = Server::start_with(|f| f.merge(("rate_limit_per_minute", 1_000_000)));
    s.sql(&format!(
        "UPDATE inventory SET allocated = {UNITS} WHERE product_id = 106 AND channel = 'ota'"
    ));
    s
}

#[test]
fn octo_and_classic_holds_racing_for_the_last_units_never_oversell() {
    let s = Arc::new(server());
    let octo = s.partner("OCTO reseller");
    let classic = s.partner("Classic OTA");
    let visit = weekday_ahead();
    let taken = Arc::new(AtomicI64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (s, taken, visit) = (s.clone(), taken.clone(), visit.clone());
            let (octo, classic) = (octo.clone(), classic.clone());
            std::thread::spawn(move || {
                for i in 0..12 {
                    let n = 1 + (t + i) % 3;
                    if t % 2 == 0 {
                        let units = vec!["adult"; n as usize];
                        let body = octo_reservation("106", &visit, &units);
                        let cred = Cred::Bearer(octo.key.clone());
                        let (status, b) = s.call("POST", "/octo/bookings", &cred, Some(&body), &[]);
                        match status {
                            200 => {
                                taken.fetch_add(n, Ordering::SeqCst);
                                // Every other hold is confirmed at once: sold, not held.
                                if i % 2 == 0 {
                                    let path = format!(
                                        "/octo/bookings/{}/confirm",
                                        b["uuid"].as_str().unwrap()
                                    );
                                    let c = s.call(
                                        "POST",
                                        &path,
                                        &cred,
                                        Some(&json!({"contact": {"fullName": "Race"}})),
                                        &[],
                                    );
                                    assert_eq!(c.0, 200, "{}", c.1);
                                }
                            }
                            400 => assert_eq!(b["error"], "UNPROCESSABLE_ENTITY", "{b}"),
                            other => panic!("OCTO hold answered {other}: {b}"),
                        }
                    } else {
                        let body = json!({"product_id": 106, "quantity": n});
                        let cred = Cred::Key(classic.key.clone());
                        let (status, b) =
                            s.call("POST", "/api/ota/reserve", &cred, Some(&body), &[]);
                        match status {
                            201 => {
                                taken.fetch_add(n, Ordering::SeqCst);
                            }
                            409 => assert_eq!(b["code"], "INSUFFICIENT_INVENTORY", "{b}"),
                            other => panic!("classic hold answered {other}: {b}"),
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let db = s.db();
    let (held, sold) = (
        scalar(
            &db,
            "SELECT held FROM inventory WHERE product_id = 106 AND channel = 'ota'",
        ),
        scalar(
            &db,
            "SELECT sold FROM inventory WHERE product_id = 106 AND channel = 'ota'",
        ),
    );
    let taken = taken.load(Ordering::SeqCst);
    assert_eq!(
        held + sold,
        taken,
        "every unit answered as taken is counted, no other"
    );
    assert!(taken <= UNITS, "oversold: {taken} of {UNITS}");
    // Demand was far above supply: at most 2 units (one request's worth) were left over.
    assert!(taken >= UNITS - 2, "only {taken} of {UNITS} taken");
    assert!(sold > 0 && held > 0);
    // Both surfaces won some of the race, and the books agree with the rows.
    let octo_units = scalar(
        &db,
        "SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r JOIN octo_bookings b ON b.reservation_id = r.id",
    );
    assert!(
        octo_units > 0 && octo_units < taken,
        "{octo_units} of {taken}"
    );
    assert_consistent(&db);
    let availability = json!({"productId": "106", "optionId": "DEFAULT", "localDateStart": visit, "localDateEnd": visit});
    let (_, slots) = s.call(
        "POST",
        "/octo/availability",
        &Cred::Bearer(octo.key.clone()),
        Some(&availability),
        &[],
    );
    assert_eq!(slots[0]["vacancies"], UNITS - taken);
}

#[test]
fn concurrent_retries_of_one_booking_uuid_hold_once() {
    let s = Arc::new(server());
    let p = s.partner("Retrying reseller");
    let mut body = octo_reservation("106", &weekday_ahead(), &["adult", "child", "adult"]);
    body["uuid"] = json!("7b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (s, p, body) = (s.clone(), p.clone(), body.clone());
            std::thread::spawn(move || {
                let (status, b) = s.call(
                    "POST",
                    "/octo/bookings",
                    &Cred::Bearer(p.key),
                    Some(&body),
                    &[],
                );
                assert_eq!(status, 200, "{b}");
                b
            })
        })
        .collect();
    let answers: Vec<Value> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for a in &answers {
        assert_eq!(a["id"], answers[0]["id"]);
        assert_eq!(a["unitItems"], answers[0]["unitItems"]);
    }
    let db = s.db();
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM octo_bookings"), 1);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM reservations"), 1);
    assert_eq!(
        scalar(
            &db,
            "SELECT held FROM inventory WHERE product_id = 106 AND channel = 'ota'"
        ),
        3
    );
    assert_consistent(&db);
}
