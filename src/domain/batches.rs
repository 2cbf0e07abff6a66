//! B2B2C batches (the `batches` table): a partner pre-generates up to 5000 tickets at once, held
//! against the OTA allocation, to hand to a reseller. Each ticket carries a signed voucher token
//! (no short expiry) that redeems once the ticket is activated.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Duration;

use super::audit::{self};
use super::catalog;
use super::idempotency::{self, IdempotencyKey};
use super::inventory::Channel;
use super::qr::QrSigner;
use super::resellers;
use super::reservations;
use super::tickets::rows::{self as ticket_rows, NewTicket, TicketStatus};
use super::Ctx;
use crate::clock;
use crate::db::{ConnExt, Db, Pending};
use crate::error::AppError;
use crate::ids;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewBatch {
    pub product_id: i64,
    pub quantity: i64,
    /// `direct_sale` (sales period 7 days) or `reseller_batch` (30 days).
    pub distribution_mode: String,
    #[serde(default)]
    pub reseller_id: Option<i64>,
    /// Free metadata kept for audit, e.g. `intended_reseller`, `batch_purpose`.
    #[serde(default)]
    pub reseller_metadata: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BatchTicket {
    pub ticket_code: String,
    pub status: TicketStatus,
    pub voucher_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreatedBatch {
    pub batch_id: String,
    pub product_id: i64,
    pub quantity: i64,
    pub distribution_mode: String,
    pub reseller_id: Option<i64>,
    pub reseller_metadata: Option<serde_json::Value>,
    /// Provisional sales period; shown, not enforced.
    pub expires_at: String,
    pub created_at: String,
    pub tickets: Vec<BatchTicket>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Batch {
    pub batch_id: String,
    pub partner_id: i64,
    pub partner_name: String,
    pub product_id: i64,
    pub quantity: i64,
    pub distribution_mode: String,
    pub reseller_id: Option<i64>,
    pub reseller_code: Option<String>,
    pub reseller_metadata: Option<serde_json::Value>,
    pub expires_at: String,
    pub created_at: String,
    /// Tickets per status.
    pub status_counts: BTreeMap<TicketStatus, i64>,
}

/// Whose batches a reader may see.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Partner(i64),
    Operator,
}

impl Scope {
    fn partner(self) -> Option<i64> {
        match self {
            Scope::Partner(p) => Some(p),
            Scope::Operator => None,
        }
    }
}

fn validate(tx: &Transaction<'_>, partner_id: i64, req: &NewBatch) -> Result<i64, AppError> {
    reservations::validate_quantity(req.quantity)?;
    let days = match req.distribution_mode.as_str() {
        "direct_sale" => 7,
        "reseller_batch" => 30,
        _ => {
            return Err(AppError::validation(
                "distribution_mode",
                "must be direct_sale or reseller_batch",
            ))
        }
    };
    if let Some(meta) = &req.reseller_metadata {
        if !meta.is_object() && !meta.is_null() {
            return Err(AppError::validation(
                "reseller_metadata",
                "must be a JSON object",
            ));
        }
        if meta.to_string().len() > 8192 {
            return Err(AppError::validation("reseller_metadata", "at most 8 KiB"));
        }
    }
    if let Some(id) = req.reseller_id {
        resellers::require_active(tx, partner_id, id)?;
    }
    Ok(days)
}

/// Creates the batch and its PRE_GENERATED tickets; 409 `INSUFFICIENT_INVENTORY` if the OTA
/// allocation is short (nothing created). With an idempotency key, a retry returns the first batch.
pub fn bulk_generate(
    ctx: &Ctx,
    partner_id: i64,
    req: NewBatch,
    key: Option<IdempotencyKey>,
) -> Pending<CreatedBatch> {
    let signer = ctx.qr.clone();
    ctx.db.submit(move |tx| {
        idempotency::once(tx, partner_id, key.as_ref(), |tx| {
            create(tx, partner_id, &req, &signer)
        })
    })
}

fn create(
    tx: &Transaction<'_>,
    partner_id: i64,
    req: &NewBatch,
    signer: &QrSigner,
) -> Result<CreatedBatch, AppError> {
    let days = validate(tx, partner_id, req)?;
    let product = catalog::product(tx, req.product_id, "product_id")?;
    reservations::take_units(tx, req.product_id, req.quantity)?;
    let id = ids::new_uuid();
    let now = clock::now();
    let metadata = req.reseller_metadata.clone().filter(|m| !m.is_null());
    let expires_at = clock::to_db(now + Duration::days(days));
    tx.prepare_cached(
        "INSERT INTO batches (id, partner_id, product_id, quantity, distribution_mode, reseller_metadata, expires_at, created_at, reseller_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![id, partner_id, req.product_id, req.quantity, req.distribution_mode, metadata.as_ref().map(|m| m.to_string()), expires_at, clock::to_db(now), req.reseller_id])?;
    let ticket = NewTicket {
        product_id: req.product_id,
        channel: Channel::Ota,
        partner_id: Some(partner_id),
        user_id: None,
        order_id: None,
        batch_id: Some(&id),
        status: TicketStatus::PreGenerated,
        customer_type: None,
        price_cents: None,
        visit_date: None,
        customer: None,
        payment_reference: None,
    };
    let mut issued = Vec::with_capacity(req.quantity as usize);
    for _ in 0..req.quantity {
        let code = ticket_rows::insert(tx, &ticket, &product.entitlements)?;
        issued.push(BatchTicket {
            voucher_token: signer.voucher_token(&code)?,
            ticket_code: code,
            status: TicketStatus::PreGenerated,
        });
    }
    audit::by_partner(
        tx,
        partner_id,
        "batch.create",
        ("batch", &id),
        serde_json::json!({"product_id": req.product_id, "quantity": req.quantity, "distribution_mode": req.distribution_mode, "reseller_id": req.reseller_id}),
    )?;
    Ok(CreatedBatch {
        batch_id: id,
        product_id: req.product_id,
        quantity: req.quantity,
        distribution_mode: req.distribution_mode.clone(),
        reseller_id: req.reseller_id,
        reseller_metadata: metadata,
        expires_at,
        created_at: clock::to_db(now),
        tickets: issued,
    })
}

const SELECT: &str = "SELECT b.id, b.partner_id, p.name, b.product_id, b.quantity, b.distribution_mode, b.reseller_id, r.reseller_code,
        b.reseller_metadata, b.expires_at, b.created_at
    FROM batches b JOIN partners p ON p.id = b.partner_id LEFT JOIN ota_resellers r ON r.id = b.reseller_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Batch, Option<String>)> {
    Ok((
        Batch {
            batch_id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            product_id: r.get(3)?,
            quantity: r.get(4)?,
            distribution_mode: r.get(5)?,
            reseller_id: r.get(6)?,
            reseller_code: r.get(7)?,
            reseller_metadata: None,
            expires_at: r.get(9)?,
            created_at: r.get(10)?,
            status_counts: BTreeMap::new(),
        },
        r.get(8)?,
    ))
}

/// The stored metadata, and a count per ticket status (every status present).
fn finish(conn: &Connection, found: (Batch, Option<String>)) -> Result<Batch, AppError> {
    let (mut b, metadata) = found;
    b.reseller_metadata = metadata
        .map(|m| serde_json::from_str(&m))
        .transpose()
        .map_err(|_| AppError::corrupt("batches.reseller_metadata", &b.batch_id))?;
    b.status_counts = TicketStatus::ALL.iter().map(|s| (*s, 0)).collect();
    b.status_counts
        .extend(status_counts_of_batch(conn, &b.batch_id)?);
    Ok(b)
}

/// One batch, as `scope` may see it.
pub fn get(db: &Db, id: &str, scope: Scope) -> Result<Batch, AppError> {
    db.read(|c| find(c, id, scope))
}

pub(super) fn find(conn: &Connection, id: &str, scope: Scope) -> Result<Batch, AppError> {
    let b = conn
        .try_query_row(
            &format!("{SELECT} WHERE b.id = ?1 AND (?2 IS NULL OR b.partner_id = ?2)"),
            params![id, scope.partner()],
            from_row,
        )?
        .ok_or(AppError::NotFound)?;
    finish(conn, b)
}

/// The batches `scope` may see, newest first, and how many there are in all.
pub fn list(db: &Db, scope: Scope, limit: i64, offset: i64) -> Result<(Vec<Batch>, i64), AppError> {
    db.read(|c| select(c, scope, limit, offset))
}

fn select(
    conn: &Connection,
    scope: Scope,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Batch>, i64), AppError> {
    let total = conn.query_row(
        "SELECT COUNT(*) FROM batches WHERE ?1 IS NULL OR partner_id = ?1",
        [scope.partner()],
        |r| r.get(0),
    )?;
    let rows: Vec<(Batch, Option<String>)> = conn
        .prepare_cached(&format!("{SELECT} WHERE ?1 IS NULL OR b.partner_id = ?1 ORDER BY b.created_at DESC, b.id LIMIT ?2 OFFSET ?3"))?
        .query_map(params![scope.partner(), limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    let batches = rows
        .into_iter()
        .map(|b| finish(conn, b))
        .collect::<Result<_, _>>()?;
    Ok((batches, total))
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchDetail {
    #[serde(flatten)]
    pub batch: Batch,
    /// The tickets the query selects: all of them, or one page.
    pub tickets: Vec<BatchTicketSummary>,
    /// How many tickets the query selects in all.
    pub ticket_count: i64,
    /// With `limit`: the page shown and its size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i64>,
}

/// Which of a batch's tickets to list. Without a page every ticket is listed (as before paging
/// existed); the console asks for pages, so a 5000-ticket batch is not drawn at once.
#[derive(Debug, Clone, Default)]
pub struct BatchTicketQuery {
    pub status: Option<TicketStatus>,
    /// The start of a ticket code.
    pub code_prefix: Option<String>,
    /// (limit, offset).
    pub page: Option<(i64, i64)>,
}

/// One batch with its tickets (the console's batch page).
pub fn detail(db: &Db, id: &str, q: &BatchTicketQuery) -> Result<BatchDetail, AppError> {
    db.read(|c| {
        let batch = find(c, id, Scope::Operator)?;
        let (tickets, ticket_count) = summaries_of_batch(c, id, q)?;
        Ok(BatchDetail {
            batch,
            tickets,
            ticket_count,
            page: q.page.map(|(limit, offset)| offset / limit.max(1) + 1),
            page_size: q.page.map(|(limit, _)| limit),
        })
    })
}

/// Tickets of a batch per status.
fn status_counts_of_batch(
    conn: &Connection,
    batch_id: &str,
) -> Result<Vec<(TicketStatus, i64)>, AppError> {
    Ok(conn
        .prepare_cached("SELECT status, COUNT(*) FROM tickets WHERE batch_id = ?1 GROUP BY status")?
        .query_map([batch_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// One line of a batch's ticket list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchTicketSummary {
    pub ticket_code: String,
    pub status: TicketStatus,
    pub customer_type: Option<String>,
    pub activated_at: Option<String>,
}

fn summaries_of_batch(
    conn: &Connection,
    batch_id: &str,
    q: &BatchTicketQuery,
) -> Result<(Vec<BatchTicketSummary>, i64), AppError> {
    // A code prefix is matched with a range (`code >= p AND code < p || U+FFFF`), not LIKE, so
    // `_` and `%` in it mean themselves.
    const WHERE: &str = "WHERE batch_id = ?1 AND (?2 IS NULL OR status = ?2)
        AND (?3 IS NULL OR (code >= ?3 AND code < ?3 || char(65535)))";
    let prefix = q.code_prefix.as_deref().filter(|p| !p.is_empty());
    let (limit, offset) = q.page.unwrap_or((-1, 0));
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM tickets {WHERE}"))?
        .query_row(params![batch_id, q.status, prefix], |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!("SELECT code, status, customer_type, activated_at FROM tickets {WHERE} ORDER BY id LIMIT ?4 OFFSET ?5"))?
        .query_map(params![batch_id, q.status, prefix, limit, offset], |r| {
            Ok(BatchTicketSummary {
                ticket_code: r.get(0)?,
                status: r.get(1)?,
                customer_type: r.get(2)?,
                activated_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}
