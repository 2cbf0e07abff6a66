//! Tickets (the `tickets` and `ticket_entitlements` tables): reading them as their owner sees
//! them, their QR codes, and the owner-driven transitions — activating a pre-generated ticket when
//! a reseller sells it, cancelling. Issuing is a step of payment (`payments.rs`) and of batches;
//! redemption, which moves ACTIVE to USED, is `redemption.rs`.

pub(in crate::domain) mod card;
mod history;
pub(in crate::domain) mod rows;
pub(in crate::domain) mod views;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::audit::{self, Actor};
use super::catalog;
use super::pricing;
use super::qr;
use super::values::{self, CustomerDetails};
use super::Ctx;
use crate::error::AppError;
use rows::{Sale, TicketRow};

pub use card::{EntitlementUses, TicketCard, TicketHeadline};
pub use history::{history, HistoryEvent, TicketHistory};
pub use rows::{Owner, RemainingUses, TicketFilter, TicketStatus};
pub use views::{DistributionChain, Ticket};

/// A partner's tickets, newest first, and how many match in all.
pub fn list_for_partner(
    ctx: &Ctx,
    partner_id: i64,
    filter: &TicketFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Ticket>, i64), AppError> {
    ctx.db.read(|c| {
        let (rows, total) = rows::list_for_partner(c, partner_id, filter, limit, offset)?;
        Ok((views::views(c, &rows, &ctx.qr)?, total))
    })
}

/// A customer's tickets, newest first.
pub fn list_for_user(ctx: &Ctx, user_id: i64) -> Result<Vec<Ticket>, AppError> {
    ctx.db
        .read(|c| views::views(c, &rows::list_for_user(c, user_id)?, &ctx.qr))
}

/// One ticket, with its distribution chain when it came from a batch.
pub fn get(ctx: &Ctx, code: &str, owner: Owner) -> Result<Ticket, AppError> {
    ctx.db.read(|c| {
        let row = rows::find(c, code, owner)?;
        views::with_chain(c, &row, &ctx.qr)
    })
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

/// A reseller sold a PRE_GENERATED ticket: its held unit becomes sold, priced from the current
/// matrix for the visit date. The identical request repeated returns the same ticket.
pub fn activate_pre_generated(
    ctx: &Ctx,
    code: &str,
    partner_id: i64,
    a: TicketActivation,
) -> Result<Ticket, AppError> {
    let (code, signer, today) = (code.to_owned(), ctx.qr.clone(), ctx.venue.today());
    ctx.db.write(move |tx| {
        let row = rows::find(tx, &code, Owner::Partner(partner_id))?;
        a.customer_details.validate("customer_details")?;
        if let Some(reference) = &a.payment_reference {
            values::payment_reference(reference)?;
        }
        if row.status != TicketStatus::PreGenerated {
            return if is_same_sale(&row, &a) {
                views::with_chain(tx, &row, &signer)
            } else {
                Err(AppError::invalid_state(format!(
                    "Only a PRE_GENERATED ticket can be activated; this one is {}.",
                    row.status
                )))
            };
        }
        let visit = catalog::parse_visit_date(&a.visit_date, "visit_date", today)?;
        let prices = catalog::prices_of(tx, row.product_id)?;
        let day = pricing::day_type(visit, &catalog::holidays(tx)?);
        let price = pricing::unit_price(&prices, &a.customer_type, day).ok_or_else(|| {
            AppError::validation(
                "customer_type",
                format!("not a customer type of package {}", row.product_id),
            )
        })?;
        let sale = Sale {
            customer: &a.customer_details,
            customer_type: &a.customer_type,
            price_cents: price,
            visit_date: &a.visit_date,
            payment_reference: a.payment_reference.as_deref(),
        };
        rows::activate(tx, &row, &sale)?;
        audit::by_partner(
            tx,
            partner_id,
            "ticket.activate",
            ("ticket", &code),
            serde_json::json!({"customer_type": a.customer_type, "price_cents": price, "batch_id": row.batch_id}),
        )?;
        views::with_chain(tx, &rows::find(tx, &code, Owner::Partner(partner_id))?, &signer)
    })
}

/// A retry of the sale that activated this ticket.
fn is_same_sale(row: &TicketRow, a: &TicketActivation) -> bool {
    row.status == TicketStatus::Active
        && row.customer.as_ref() == Some(&a.customer_details)
        && row.customer_type.as_deref() == Some(a.customer_type.as_str())
        && row.visit_date.as_deref() == Some(a.visit_date.as_str())
        && row.payment_reference == a.payment_reference
}

/// Cancels a PRE_GENERATED ticket, or an ACTIVE one with nothing redeemed; its unit is released.
/// Staff say why (`reason`, kept in the audit log); a partner's own cancellation needs none.
pub fn cancel(
    ctx: &Ctx,
    code: &str,
    owner: Owner,
    actor: Actor,
    reason: Option<&str>,
) -> Result<Ticket, AppError> {
    let reason = reason
        .map(|r| values::name(r, "reason", 200, true))
        .transpose()?;
    let (code, signer) = (code.to_owned(), ctx.qr.clone());
    ctx.db.write(move |tx| {
        let row = rows::find(tx, &code, owner)?;
        rows::cancel(tx, &row)?;
        let mut summary = serde_json::json!({"from": row.status});
        if let Some(reason) = &reason {
            summary["reason"] = serde_json::json!(reason);
        }
        audit::record(
            tx,
            actor,
            row.partner_id,
            "ticket.cancel",
            ("ticket", &row.code),
            summary,
        )?;
        views::with_chain(tx, &rows::find(tx, &code, owner)?, &signer)
    })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProductInfo {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketInfo {
    pub ticket_code: String,
    /// `OTA` or `NORMAL` (direct).
    pub ticket_type: String,
    pub status: TicketStatus,
    pub entitlements: Vec<RemainingUses>,
    pub can_generate_qr: bool,
    pub product_info: ProductInfo,
}

/// Status and remaining uses, without issuing a QR token.
pub fn info(ctx: &Ctx, code: &str, owner: Owner) -> Result<TicketInfo, AppError> {
    ctx.db.read(|c| {
        let row = rows::find(c, code, owner)?;
        let product = catalog::product(c, row.product_id, "product_id")?;
        Ok(TicketInfo {
            ticket_type: if row.partner_id.is_some() {
                "OTA"
            } else {
                "NORMAL"
            }
            .to_owned(),
            can_generate_qr: row.status == TicketStatus::Active,
            entitlements: rows::remaining_uses(c, row.id)?,
            status: row.status,
            ticket_code: row.code,
            product_info: ProductInfo {
                id: product.product_id,
                name: product.name,
            },
        })
    })
}

/// A fresh live QR token of an ACTIVE ticket and its PNG.
pub struct LiveQr {
    pub ticket_code: String,
    pub token: String,
    pub expires_at: OffsetDateTime,
    pub png: Vec<u8>,
}

/// A live QR code for the ticket's owner; `TICKET_NOT_ACTIVE` unless the ticket is ACTIVE.
pub fn live_qr(ctx: &Ctx, code: &str, owner: Owner) -> Result<LiveQr, AppError> {
    let row = ctx.db.read(|c| rows::find(c, code, owner))?;
    if row.status != TicketStatus::Active {
        return Err(AppError::TicketNotActive(format!(
            "The ticket is {}; only ACTIVE tickets get a QR code.",
            row.status
        )));
    }
    let (token, expires_at) = ctx.qr.fresh(&row.code)?;
    Ok(LiveQr {
        png: qr::png(&token)?,
        ticket_code: row.code,
        token,
        expires_at,
    })
}
