//! Property test of the inventory engine itself (a unit test: it drives the private steps): random sequences of stock moves on a real
//! database, each in its own IMMEDIATE transaction, against a plain model. After every step the
//! stored counters equal the model, the invariant holds, and a refused move changed nothing.

use proptest::prelude::*;

use super::{self as inventory, Allocation, Channel};
use crate::db::Db;

const PRODUCTS: [i64; 3] = [106, 107, 108];

#[derive(Debug, Clone, Copy)]
enum Move {
    Hold,
    Release,
    SellHeld,
    SellAvailable,
    Unsell,
    MarkUsed,
    /// New allocations (capacity kept): may be refused when below held + sold.
    Allocate {
        direct: i64,
        ota: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Step {
    product: usize,
    channel: Channel,
    quantity: i64,
    op: Move,
}

fn step() -> impl Strategy<Value = Step> {
    let op = prop_oneof![
        4 => Just(Move::Hold),
        2 => Just(Move::Release),
        2 => Just(Move::SellHeld),
        2 => Just(Move::SellAvailable),
        1 => Just(Move::Unsell),
        1 => Just(Move::MarkUsed),
        1 => (0i64..40, 0i64..40).prop_map(|(direct, ota)| Move::Allocate { direct, ota }),
    ];
    (
        0usize..3,
        prop_oneof![Just(Channel::Direct), Just(Channel::Ota)],
        1i64..12,
        op,
    )
        .prop_map(|(product, channel, quantity, op)| Step {
            product,
            channel,
            quantity,
            op,
        })
}

/// (allocated, held, sold, used) of one row.
type Row = (i64, i64, i64, i64);

fn rows(db: &Db) -> Vec<(i64, Channel, Row)> {
    db.read(|c| {
        Ok(c.prepare(
            "SELECT product_id, channel, allocated, held, sold, used FROM inventory ORDER BY product_id, channel",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Channel>(1)?,
                (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
            ))
        })?
        .collect::<Result<_, _>>()?)
    })
    .unwrap()
}

fn capacity(db: &Db, product: i64) -> i64 {
    db.read(|c| {
        Ok(c.query_row(
            "SELECT capacity FROM products WHERE id = ?1",
            [product],
            |r| r.get(0),
        )?)
    })
    .unwrap()
}

/// What the move should do to the model; `None` when it must be refused.
fn expected(
    model: &[(i64, Channel, Row)],
    s: &Step,
    product: i64,
    cap: i64,
) -> Option<Vec<(i64, Channel, Row)>> {
    let mut next = model.to_vec();
    let find = |m: &[(i64, Channel, Row)], ch: Channel| -> usize {
        m.iter()
            .position(|(p, c, _)| *p == product && *c == ch)
            .unwrap()
    };
    let i = find(&next, s.channel);
    let (a, h, so, u) = next[i].2;
    let q = s.quantity;
    next[i].2 = match s.op {
        Move::Hold if a - h - so >= q => (a, h + q, so, u),
        Move::Release if h >= q => (a, h - q, so, u),
        Move::SellHeld if h >= q => (a, h - q, so + q, u),
        Move::SellAvailable if a - h - so >= q => (a, h, so + q, u),
        Move::Unsell if so - u >= q => (a, h, so - q, u),
        Move::MarkUsed if u < so => (a, h, so, u + 1),
        Move::Allocate { direct, ota } => {
            let d = find(&next, Channel::Direct);
            let o = find(&next, Channel::Ota);
            let fits = |(_, h, so, _): Row, new: i64| h + so <= new;
            if direct + ota > cap || !fits(next[d].2, direct) || !fits(next[o].2, ota) {
                return None;
            }
            next[d].2 .0 = direct;
            next[o].2 .0 = ota;
            return Some(next);
        }
        _ => return None,
    };
    Some(next)
}

fn apply(db: &Db, s: &Step, product: i64, cap: i64) -> bool {
    let (ch, q) = (s.channel, s.quantity);
    let op = s.op;
    db.write(move |tx| match op {
        Move::Hold => inventory::hold(tx, product, ch, q),
        Move::Release => inventory::release(tx, product, ch, q),
        Move::SellHeld => inventory::sell_held(tx, product, ch, q),
        Move::SellAvailable => inventory::sell_available(tx, product, ch, q),
        Move::Unsell => inventory::unsell(tx, product, ch, q),
        Move::MarkUsed => inventory::mark_used(tx, product, ch),
        Move::Allocate { direct, ota } => inventory::allocate(
            tx,
            product,
            Allocation {
                capacity: cap,
                direct,
                ota,
            },
        ),
    })
    .is_ok()
}

fn assert_invariant(db: &Db, model: &[(i64, Channel, Row)]) -> Result<(), TestCaseError> {
    let stored = rows(db);
    prop_assert_eq!(&stored, &model.to_vec());
    for p in PRODUCTS {
        let mut total = 0;
        for (_, _, (a, h, s, u)) in stored.iter().filter(|r| r.0 == p) {
            prop_assert!(*h >= 0 && *s >= 0 && h + s <= *a, "{p}: {a} {h} {s}");
            prop_assert!(*u >= 0 && u <= s);
            total += a;
        }
        prop_assert!(total <= capacity(db, p));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn stock_moves_keep_the_books(steps in proptest::collection::vec(step(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("props.db"), 1).unwrap();
        // Small allocations so that refusals are common.
        for p in PRODUCTS {
            let split = Allocation { capacity: 60, direct: 20, ota: 20 };
            db.write(move |tx| inventory::allocate(tx, p, split)).unwrap();
        }
        let mut model = rows(&db);
        assert_invariant(&db, &model)?;
        for s in &steps {
            let product = PRODUCTS[s.product];
            let cap = capacity(&db, product);
            let want = expected(&model, s, product, cap);
            let done = apply(&db, s, product, cap);
            prop_assert_eq!(done, want.is_some(), "{:?} on {:?}", s, model);
            if let Some(next) = want {
                model = next;
            }
            // A refused move left everything exactly as it was.
            assert_invariant(&db, &model)?;
        }
    }
}
