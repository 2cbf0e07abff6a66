//! A ticket as its owner sees it: status, entitlements left, and on ACTIVE tickets a fresh live QR
//! token; from a batch, its distribution chain (partner → batch → reseller → customer).

use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::qr::QrSigner;
use super::super::values::CustomerDetails;
use super::rows::{self, RemainingUses, TicketRow, TicketStatus};
use crate::clock;
use crate::error::AppError;

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
    pub status: TicketStatus,
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

/// The tickets as their owner sees them; ACTIVE ones carry a fresh live QR token.
pub(in crate::domain) fn views(
    conn: &Connection,
    rows: &[TicketRow],
    signer: &QrSigner,
) -> Result<Vec<Ticket>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut uses = rows::remaining_uses_of(conn, &ids)?;
    rows.iter()
        .map(|row| ticket(row, uses.remove(&row.id).unwrap_or_default(), signer))
        .collect()
}

fn ticket(
    row: &TicketRow,
    entitlements: Vec<RemainingUses>,
    signer: &QrSigner,
) -> Result<Ticket, AppError> {
    let (qr_token, qr_expires_at) = if row.status == TicketStatus::Active {
        let (token, expires) = signer.fresh(&row.code)?;
        (Some(token), Some(clock::to_db(expires)))
    } else {
        (None, None)
    };
    Ok(Ticket {
        ticket_code: row.code.clone(),
        status: row.status,
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

/// The ticket with its distribution chain when it came from a batch.
pub(in crate::domain) fn with_chain(
    conn: &Connection,
    row: &TicketRow,
    signer: &QrSigner,
) -> Result<Ticket, AppError> {
    let mut ticket = views(conn, std::slice::from_ref(row), signer)?
        .pop()
        .ok_or(AppError::NotFound)?;
    if let Some(batch_id) = &row.batch_id {
        let reseller: Option<(i64, String)> = conn
            .prepare_cached(
                "SELECT r.id, r.reseller_code FROM batches b JOIN ota_resellers r ON r.id = b.reseller_id WHERE b.id = ?1",
            )?
            .query_row([batch_id], |r| Ok((r.get(0)?, r.get(1)?)))
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
