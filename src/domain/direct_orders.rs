//! The direct channel's orders: a logged-in customer's basket, priced for the visit date with the
//! same engine as the OTA channel, holding its units on the direct channel for
//! `direct_hold_minutes` until the gateway reports the payment.

use rusqlite::{Connection, Transaction};
use schemars::JsonSchema;
use serde::Deserialize;
use time::{Date, Duration};

use super::audit::{self, Actor};
use super::catalog;
use super::inventory::{self, Channel};
use super::orders::{self, Insert, Order};
use super::pricing::{self, Line};
use super::reservations;
use super::tickets::Owner;
use super::values::CustomerDetails;
use super::Ctx;
use crate::clock;
use crate::error::AppError;
use crate::ids;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewDirectOrder {
    pub visit_date: String,
    pub items: Vec<DirectItem>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct DirectItem {
    pub product_id: i64,
    pub customer_type: String,
    pub count: i64,
}

/// The logged-in customer a direct order is for.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub user_id: i64,
    pub name: String,
    pub email: String,
}

/// A direct basket priced for its visit date.
struct Basket {
    visit: Date,
    /// (package, priced line)
    lines: Vec<(i64, Line)>,
    /// (package, units)
    per_product: Vec<(i64, i64)>,
}

/// Prices the basket for the visit date and counts the units per package.
fn price_basket(conn: &Connection, req: &NewDirectOrder, today: Date) -> Result<Basket, AppError> {
    if req.items.is_empty() || req.items.len() > 50 {
        return Err(AppError::validation("items", "between 1 and 50 items"));
    }
    let visit = catalog::parse_visit_date(&req.visit_date, "visit_date", today)?;
    let day = pricing::day_type(visit, &catalog::holidays(conn)?);
    let mut lines: Vec<(i64, Line)> = Vec::new();
    for item in &req.items {
        let product = catalog::product(conn, item.product_id, "items.product_id")?;
        let breakdown = [(item.customer_type.clone(), item.count)];
        let priced = pricing::price_lines(&product.prices, &breakdown, day, "items")?;
        lines.extend(priced.into_iter().map(|l| (item.product_id, l)));
    }
    let mut per_product: Vec<(i64, i64)> = Vec::new();
    for (product_id, l) in &lines {
        match per_product.iter_mut().find(|(p, _)| p == product_id) {
            Some((_, n)) => *n += l.count,
            None => per_product.push((*product_id, l.count)),
        }
    }
    if per_product
        .iter()
        .any(|(_, units)| *units > reservations::MAX_QUANTITY)
    {
        return Err(AppError::validation(
            "items",
            "at most 5000 units per package",
        ));
    }
    Ok(Basket {
        visit,
        lines,
        per_product,
    })
}

/// A customer's basket: units held on the direct channel for `direct_hold_minutes`, until paid.
pub fn create_direct(ctx: &Ctx, buyer: Buyer, req: NewDirectOrder) -> Result<Order, AppError> {
    let (signer, hold_minutes, currency) = (
        ctx.qr.clone(),
        ctx.config.direct_hold_minutes,
        ctx.config.currency.clone(),
    );
    let today = ctx.venue.today();
    ctx.db.write(move |tx| {
        let Basket {
            visit,
            lines,
            per_product,
        } = price_basket(tx, &req, today)?;
        for (product_id, units) in &per_product {
            take_direct_units(tx, *product_id, *units)?;
        }
        let id = ids::new_uuid();
        let customer = CustomerDetails {
            name: buyer.name.clone(),
            email: buyer.email.clone(),
            phone: None,
        };
        let expires_at = clock::to_db(clock::now() + Duration::minutes(hold_minutes));
        let order = Insert {
            id: &id,
            channel: Channel::Direct,
            partner_id: None,
            user_id: Some(buyer.user_id),
            reservation_id: None,
            customer: &customer,
            visit_date: &clock::date_to_db(visit),
            currency: &currency,
            expires_at: &expires_at,
        };
        orders::insert(tx, &order, &lines)?;
        audit::record(
            tx,
            Actor::User(buyer.user_id),
            None,
            "order.create",
            ("order", &id),
            serde_json::json!({"units": per_product}),
        )?;
        orders::view(tx, &id, Owner::User(buyer.user_id), &signer)
    })
}

/// Takes units from the direct channel; if it looks short, first expires the holds that are
/// already due, then tries once more.
fn take_direct_units(tx: &Transaction<'_>, product_id: i64, units: i64) -> Result<(), AppError> {
    match inventory::hold(tx, product_id, Channel::Direct, units) {
        Err(AppError::InsufficientInventory(_)) => {
            orders::expire_due(tx, clock::now())?;
            inventory::hold(tx, product_id, Channel::Direct, units)
        }
        other => other,
    }
}
