//! Tickets: issuing them (for a paid order or a pre-generated batch), reading them as their owner
//! sees them, and the owner-driven transitions (activate a pre-generated ticket, cancel).
//! Redemption, which moves ACTIVE to USED, lives in `redemption.rs`.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use super::catalog::{self, Entitlement};
use super::inventory::{self, Channel};
use super::qr::QrSigner;
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;
use crate::ids;

pub const STATUSES: [&str; 5] = ["PRE_GENERATED", "ACTIVE", "USED", "EXPIRED", "CANCELLED"];

impl Owner {
    /// Whether an object sold by `partner_id` or to `user_id` is this reader's to see.
    pub fn owns(self, partner_id: Option<i64>, user_id: Option<i64>) -> bool {
        match self {
            Owner::Partner(p) => partner_id == Some(p),
            Owner::User(u) => user_id == Some(u),
            Owner::Operator => true,
        }
    }
}

/// Who is asking: tickets are visible only to the partner that issued them or the customer who
/// bought them; anyone else gets the same 404 as for a code that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Partner(i64),
    User(i64),
    /// Venue and operator staff.
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RemainingUses {
    pub function_code: String,
    pub remaining_uses: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerDetails {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl CustomerDetails {
    pub fn validate(&self, field: &str) -> Result<(), AppError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.contains('\0') {
            return Err(AppError::validation(
                &format!("{field}.name"),
                "must be 1 to 200 characters",
            ));
        }
        if !super::accounts::is_email(&self.email) {
            return Err(AppError::validation(
                &format!("{field}.email"),
                "must be an email address",
            ));
        }
        if let Some(phone) = &self.phone {
            let ok = phone.len() <= 40
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !ok {
                return Err(AppError::validation(
                    &format!("{field}.phone"),
                    "must be a phone number of at most 40 characters",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DistributionChain {
    pub partner_id: Option<i64>,
    pub batch_id: Option<String>,
    pub reseller_id: Option<i64>,
    pub reseller_code: Option<String>,
    pub customer: Option<CustomerDetails>,
    pub activated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Ticket {
    pub ticket_code: String,
    pub status: String,
    pub product_id: i64,
    pub customer_type: Option<String>,
    pub order_id: Option<String>,
    pub batch_id: Option<String>,
    pub visit_date: Option<String>,
    pub price_cents: Option<i64>,
    pub created_at: String,
    pub activated_at: Option<String>,
    pub used_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub entitlements: Vec<RemainingUses>,
    /// A fresh live QR token, on ACTIVE tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_chain: Option<DistributionChain>,
}

/// The stored row, with the columns every reader needs.
#[derive(Debug, Clone)]
pub struct TicketRow {
    pub id: i64,
    pub code: String,
    pub product_id: i64,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub order_id: Option<String>,
    pub batch_id: Option<String>,
    pub status: String,
    pub customer_type: Option<String>,
    pub price_cents: Option<i64>,
    pub visit_date: Option<String>,
    pub customer: Option<CustomerDetails>,
    pub payment_reference: Option<String>,
    pub created_at: String,
    pub activated_at: Option<String>,
    pub used_at: Option<String>,
    pub cancelled_at: Option<String>,
}

pub const COLUMNS: &str = "t.id, t.code, t.product_id, t.channel, t.partner_id, t.user_id, t.order_id, t.batch_id, t.status,
    t.customer_type, t.price_cents, t.visit_date, t.customer_name, t.customer_email, t.customer_phone,
    t.payment_reference, t.created_at, t.activated_at, t.used_at, t.cancelled_at";

pub fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketRow> {
    let name: Option<String> = r.get(12)?;
    Ok(TicketRow {
        id: r.get(0)?,
        code: r.get(1)?,
        product_id: r.get(2)?,
        channel: Channel::parse(&r.get::<_, String>(3)?),
        partner_id: r.get(4)?,
        user_id: r.get(5)?,
        order_id: r.get(6)?,
        batch_id: r.get(7)?,
        status: r.get(8)?,
        customer_type: r.get(9)?,
        price_cents: r.get(10)?,
        visit_date: r.get(11)?,
        customer: match name {
            Some(name) => Some(CustomerDetails {
                name,
                email: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
                phone: r.get(14)?,
            }),
            None => None,
        },
        payment_reference: r.get(15)?,
        created_at: r.get(16)?,
        activated_at: r.get(17)?,
        used_at: r.get(18)?,
        cancelled_at: r.get(19)?,
    })
}

impl TicketRow {
    pub fn visible_to(&self, owner: Owner) -> bool {
        owner.owns(self.partner_id, self.user_id)
    }
}

/// Finds a ticket by code as `owner` may see it; everyone else gets `NotFound`.
pub fn find(conn: &Connection, code: &str, owner: Owner) -> Result<TicketRow, AppError> {
    if code.len() > 64 {
        return Err(AppError::NotFound);
    }
    conn.try_query_row(
        &format!("SELECT {COLUMNS} FROM tickets t WHERE t.code = ?1"),
        [code],
        from_row,
    )?
    .filter(|t| t.visible_to(owner))
    .ok_or(AppError::NotFound)
}

pub fn remaining_uses(conn: &Connection, ticket_id: i64) -> Result<Vec<RemainingUses>, AppError> {
    Ok(remaining_uses_of(conn, &[ticket_id])?
        .remove(&ticket_id)
        .unwrap_or_default())
}

/// Remaining uses of several tickets in one query, in the package's entitlement order, so a page
/// of 1000 tickets is two round trips, not 1001.
fn remaining_uses_of(
    conn: &Connection,
    ticket_ids: &[i64],
) -> Result<HashMap<i64, Vec<RemainingUses>>, AppError> {
    let mut uses: HashMap<i64, Vec<RemainingUses>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT e.ticket_id, e.function_code, e.remaining_uses FROM ticket_entitlements e
         JOIN tickets t ON t.id = e.ticket_id
         LEFT JOIN product_entitlements p ON p.product_id = t.product_id AND p.function_code = e.function_code
         WHERE e.ticket_id IN (SELECT value FROM json_each(?1)) ORDER BY e.ticket_id, p.position",
    )?;
    let found = stmt.query_map([serde_json::to_string(ticket_ids)?], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            RemainingUses {
                function_code: r.get(1)?,
                remaining_uses: r.get(2)?,
            },
        ))
    })?;
    for f in found {
        let (ticket_id, remaining) = f?;
        uses.entry(ticket_id).or_default().push(remaining);
    }
    Ok(uses)
}

/// The tickets as their owner sees them; ACTIVE ones carry a fresh live QR token.
pub fn views(
    conn: &Connection,
    rows: &[TicketRow],
    signer: &QrSigner,
) -> Result<Vec<Ticket>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut uses = remaining_uses_of(conn, &ids)?;
    rows.iter()
        .map(|row| ticket(row, uses.remove(&row.id).unwrap_or_default(), signer))
        .collect()
}

pub fn view(conn: &Connection, row: &TicketRow, signer: &QrSigner) -> Result<Ticket, AppError> {
    ticket(row, remaining_uses(conn, row.id)?, signer)
}

fn ticket(
    row: &TicketRow,
    entitlements: Vec<RemainingUses>,
    signer: &QrSigner,
) -> Result<Ticket, AppError> {
    let (qr_token, qr_expires_at) = if row.status == "ACTIVE" {
        let (token, expires) = signer.fresh(&row.code)?;
        (Some(token), Some(clock::to_db(expires)))
    } else {
        (None, None)
    };
    Ok(Ticket {
        ticket_code: row.code.clone(),
        status: row.status.clone(),
        product_id: row.product_id,
        customer_type: row.customer_type.clone(),
        order_id: row.order_id.clone(),
        batch_id: row.batch_id.clone(),
        visit_date: row.visit_date.clone(),
        price_cents: row.price_cents,
        created_at: row.created_at.clone(),
        activated_at: row.activated_at.clone(),
        used_at: row.used_at.clone(),
        cancelled_at: row.cancelled_at.clone(),
        entitlements,
        qr_token,
        qr_expires_at,
        distribution_chain: None,
    })
}

/// The ticket with its distribution chain (partner → batch → reseller → customer) when it came
/// from a batch.
pub fn view_with_chain(
    conn: &Connection,
    row: &TicketRow,
    signer: &QrSigner,
) -> Result<Ticket, AppError> {
    let mut ticket = view(conn, row, signer)?;
    if let Some(batch_id) = &row.batch_id {
        let reseller: Option<(i64, String)> = conn
            .query_row(
                "SELECT r.id, r.reseller_code FROM batches b JOIN ota_resellers r ON r.id = b.reseller_id WHERE b.id = ?1",
                [batch_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        ticket.distribution_chain = Some(DistributionChain {
            partner_id: row.partner_id,
            batch_id: Some(batch_id.clone()),
            reseller_id: reseller.as_ref().map(|r| r.0),
            reseller_code: reseller.map(|r| r.1),
            customer: row.customer.clone(),
            activated_at: row.activated_at.clone(),
        });
    }
    Ok(ticket)
}

/// What a new ticket is: product, channel, owner and, for sold tickets, what was paid.
pub struct NewTicket<'a> {
    pub product_id: i64,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub order_id: Option<&'a str>,
    pub batch_id: Option<&'a str>,
    pub status: &'a str,
    pub customer_type: Option<&'a str>,
    pub price_cents: Option<i64>,
    pub visit_date: Option<&'a str>,
    pub customer: Option<&'a CustomerDetails>,
    pub payment_reference: Option<&'a str>,
}

/// Inserts one ticket and its entitlements; the caller has already moved the stock.
pub fn insert(
    tx: &Transaction<'_>,
    t: &NewTicket<'_>,
    entitlements: &[Entitlement],
) -> Result<String, AppError> {
    let code = ids::new_ticket_code();
    let now = clock::to_db(clock::now());
    let activated_at = (t.status == "ACTIVE").then_some(now.as_str());
    tx.prepare_cached(
        "INSERT INTO tickets (code, product_id, channel, partner_id, user_id, order_id, batch_id, status, customer_type,
             price_cents, visit_date, customer_name, customer_email, customer_phone, payment_reference, created_at, activated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        code,
        t.product_id,
        t.channel.as_str(),
        t.partner_id,
        t.user_id,
        t.order_id,
        t.batch_id,
        t.status,
        t.customer_type,
        t.price_cents,
        t.visit_date,
        t.customer.map(|c| c.name.as_str()),
        t.customer.map(|c| c.email.as_str()),
        t.customer.and_then(|c| c.phone.as_deref()),
        t.payment_reference,
        now,
        activated_at,
    ])?;
    let ticket_id = tx.last_insert_rowid();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO ticket_entitlements (ticket_id, function_code, total_uses, remaining_uses) VALUES (?1, ?2, ?3, ?3)",
    )?;
    for e in entitlements {
        stmt.execute(params![ticket_id, e.function_code, e.uses])?;
    }
    Ok(code)
}

pub fn rows_of_order(conn: &Connection, order_id: &str) -> Result<Vec<TicketRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tickets t WHERE t.order_id = ?1 ORDER BY t.id"
        ))?
        .query_map([order_id], from_row)?
        .collect::<Result<_, _>>()?)
}

#[derive(Debug, Default)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub batch_id: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
}

/// A partner's tickets, newest first, and how many match in all.
pub fn list_for_partner(
    conn: &Connection,
    partner_id: i64,
    f: &TicketFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TicketRow>, i64), AppError> {
    const WHERE: &str = "WHERE t.partner_id = ?1 AND (?2 IS NULL OR t.status = ?2) AND (?3 IS NULL OR t.batch_id = ?3)
                           AND (?4 IS NULL OR t.created_at > ?4) AND (?5 IS NULL OR t.created_at < ?5)";
    let p = params![
        partner_id,
        f.status,
        f.batch_id,
        f.created_after,
        f.created_before
    ];
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM tickets t {WHERE}"))?
        .query_row(p, |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t {WHERE} ORDER BY t.created_at DESC, t.id DESC LIMIT ?6 OFFSET ?7"))?
        .query_map(params![partner_id, f.status, f.batch_id, f.created_after, f.created_before, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub fn list_for_user(conn: &Connection, user_id: i64) -> Result<Vec<TicketRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t WHERE t.user_id = ?1 ORDER BY t.created_at DESC, t.id DESC"))?
        .query_map([user_id], from_row)?
        .collect::<Result<_, _>>()?)
}

/// Cancels a ticket: PRE_GENERATED (its held unit goes back) or ACTIVE with nothing redeemed (its
/// sold unit goes back). Anything else is `INVALID_STATE`.
pub fn cancel(
    tx: &Transaction<'_>,
    code: &str,
    owner: Owner,
    actor: Actor,
) -> Result<TicketRow, AppError> {
    let row = find(tx, code, owner)?;
    let redeemed: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM redemptions WHERE ticket_id = ?1)",
        [row.id],
        |r| r.get(0),
    )?;
    match row.status.as_str() {
        "PRE_GENERATED" => inventory::release(tx, row.product_id, row.channel, 1)?,
        "ACTIVE" if !redeemed => inventory::unsell(tx, row.product_id, row.channel, 1)?,
        "ACTIVE" => {
            return Err(AppError::invalid_state(
                "This ticket has already been partly redeemed and cannot be cancelled.",
            ))
        }
        other => {
            return Err(AppError::invalid_state(format!(
                "A {other} ticket cannot be cancelled."
            )))
        }
    }
    let now = clock::to_db(clock::now());
    tx.prepare_cached("UPDATE tickets SET status = 'CANCELLED', cancelled_at = ?2 WHERE id = ?1")?
        .execute(params![row.id, now])?;
    audit::record(
        tx,
        actor,
        row.partner_id,
        "ticket.cancel",
        ("ticket", &row.code),
        serde_json::json!({"from": row.status}),
    )?;
    find(tx, code, owner)
}

/// What a reseller's sale of a pre-generated ticket says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TicketActivation {
    pub customer_details: CustomerDetails,
    pub customer_type: String,
    pub visit_date: String,
    #[serde(default)]
    pub payment_reference: Option<String>,
}

/// Activates a PRE_GENERATED ticket (sold by a reseller): held unit becomes sold, price from the
/// current matrix for the visit date. The identical request repeated returns the same ticket.
pub fn activate_pre_generated(
    tx: &Transaction<'_>,
    code: &str,
    partner_id: i64,
    a: &TicketActivation,
) -> Result<TicketRow, AppError> {
    let row = find(tx, code, Owner::Partner(partner_id))?;
    a.customer_details.validate("customer_details")?;
    if let Some(reference) = &a.payment_reference {
        super::payments::validate_reference(reference)?;
    }
    if row.status != "PRE_GENERATED" {
        let same = row.status == "ACTIVE"
            && row.customer.as_ref() == Some(&a.customer_details)
            && row.customer_type.as_deref() == Some(a.customer_type.as_str())
            && row.visit_date.as_deref() == Some(a.visit_date.as_str())
            && row.payment_reference == a.payment_reference;
        return if same {
            Ok(row)
        } else {
            Err(AppError::invalid_state(format!(
                "Only a PRE_GENERATED ticket can be activated; this one is {}.",
                row.status
            )))
        };
    }
    let visit = catalog::parse_visit_date(&a.visit_date, "visit_date")?;
    let prices = catalog::prices_of(tx, row.product_id)?;
    let day = catalog::day_type(visit, &catalog::holidays(tx)?);
    let price = catalog::unit_price(&prices, &a.customer_type, day).ok_or_else(|| {
        AppError::validation(
            "customer_type",
            format!("not a customer type of package {}", row.product_id),
        )
    })?;
    inventory::sell_held(tx, row.product_id, row.channel, 1)?;
    let c = &a.customer_details;
    tx.prepare_cached(
        "UPDATE tickets SET status = 'ACTIVE', activated_at = ?2, customer_type = ?3, price_cents = ?4, visit_date = ?5,
             customer_name = ?6, customer_email = ?7, customer_phone = ?8, payment_reference = ?9 WHERE id = ?1",
    )?
    .execute(params![row.id, clock::to_db(clock::now()), a.customer_type, price, a.visit_date, c.name, c.email, c.phone, a.payment_reference])?;
    audit::record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        "ticket.activate",
        ("ticket", code),
        serde_json::json!({"customer_type": a.customer_type, "price_cents": price, "batch_id": row.batch_id}),
    )?;
    find(tx, code, Owner::Partner(partner_id))
}
