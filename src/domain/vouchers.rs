//! Printable vouchers: a batch's (or an order's) tickets with their voucher QR codes, what each
//! entitles to and when it is valid, for the console's print view (A4 sheets or 80 mm receipts).
//! Printed vouchers redeem like any voucher token — only once the ticket is sold, and on its visit
//! date — so printing is audited (`batch.print`, `order.print`) like a batch download. Used and
//! cancelled tickets are left out: there is nothing left to print them for.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::Serialize;

use super::audit::{self, Actor};
use super::batches::{self, Scope};
use super::catalog::{self, Entitlement};
use super::orders;
use super::qr;
use super::tickets::{Owner, TicketStatus};
use super::Ctx;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Voucher {
    pub ticket_code: String,
    pub status: TicketStatus,
    pub product_id: i64,
    pub product_name: String,
    /// What the voucher entitles to.
    pub entitlements: Vec<Entitlement>,
    pub customer_type: Option<String>,
    pub holder_name: Option<String>,
    /// The visit date; none on an open-dated voucher.
    pub visit_date: Option<String>,
    /// When it is valid, in words ("Valid on 2026-12-24").
    pub validity: String,
    pub voucher_token: String,
    /// The voucher's QR code, PNG, base64.
    pub qr_png_base64: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VoucherSheet {
    /// `batch` or `order`.
    pub source: String,
    pub id: String,
    pub title: String,
    pub vouchers: Vec<Voucher>,
    /// Printable vouchers in all (the pages together).
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
    /// Tickets left out: used or cancelled.
    pub not_printable: i64,
}

/// What a sheet is of, read in the transaction that audits it; PNGs are drawn after.
struct Plan {
    source: &'static str,
    id: String,
    title: String,
    sell_by: Option<String>,
    rows: Vec<Row>,
    total: i64,
    not_printable: i64,
}

struct Row {
    code: String,
    status: TicketStatus,
    product_id: i64,
    customer_type: Option<String>,
    holder_name: Option<String>,
    visit_date: Option<String>,
}

const PRINTABLE: &str = "status IN ('PRE_GENERATED', 'ACTIVE')";

fn rows_where(
    tx: &Transaction<'_>,
    column: &str,
    id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Row>, i64, i64), AppError> {
    let rows = tx
        .prepare_cached(&format!(
            "SELECT code, status, product_id, customer_type, customer_name, visit_date FROM tickets
             WHERE {column} = ?1 AND {PRINTABLE} ORDER BY id LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(params![id, limit, offset], |r| {
            Ok(Row {
                code: r.get(0)?,
                status: r.get(1)?,
                product_id: r.get(2)?,
                customer_type: r.get(3)?,
                holder_name: r.get(4)?,
                visit_date: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let (total, others): (i64, i64) = tx
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM({PRINTABLE}), 0), COALESCE(SUM(NOT ({PRINTABLE})), 0) FROM tickets WHERE {column} = ?1"
        ))?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((rows, total, others))
}

/// What a sheet of vouchers is printed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetOf {
    Batch,
    Order,
}

impl SheetOf {
    fn name(self) -> &'static str {
        match self {
            SheetOf::Batch => "batch",
            SheetOf::Order => "order",
        }
    }
}

/// Who the tickets belong to, a title, and a batch's sales-period end (its sell-by date).
fn source(
    tx: &Transaction<'_>,
    of: SheetOf,
    id: &str,
) -> Result<(Option<i64>, String, Option<String>), AppError> {
    let short = &id[..8.min(id.len())];
    Ok(match of {
        SheetOf::Batch => {
            let b = batches::find(tx, id, Scope::Operator)?;
            let title = format!("Batch {short} · {}", b.partner_name);
            (
                Some(b.partner_id),
                title,
                Some(b.expires_at[..10].to_owned()),
            )
        }
        SheetOf::Order => {
            let o = orders::owned_row(tx, id, Owner::Operator)?;
            (
                o.partner_id,
                format!("Order {short} · {}", o.customer.name),
                None,
            )
        }
    })
}

/// One page of the printable vouchers of a batch or an order, audited (`batch.print`,
/// `order.print`) in the transaction that reads them; the QR codes are drawn after it.
pub fn sheet(
    ctx: &Ctx,
    of: SheetOf,
    id: &str,
    actor: Actor,
    limit: i64,
    offset: i64,
) -> Result<VoucherSheet, AppError> {
    let id = id.to_owned();
    let plan = ctx.db.write(move |tx| {
        let (partner_id, title, sell_by) = source(tx, of, &id)?;
        let column = match of {
            SheetOf::Batch => "batch_id",
            SheetOf::Order => "order_id",
        };
        let (rows, total, not_printable) = rows_where(tx, column, &id, limit, offset)?;
        audit::record(
            tx,
            actor,
            partner_id,
            &format!("{}.print", of.name()),
            (of.name(), &id),
            serde_json::json!({"vouchers": rows.len(), "offset": offset}),
        )?;
        Ok(Plan {
            source: of.name(),
            id,
            title,
            sell_by,
            rows,
            total,
            not_printable,
        })
    })?;
    render(ctx, plan, limit, offset)
}

/// "Valid on 2026-12-24", with the grace around it; open-dated: any day once sold.
fn validity(visit_date: Option<&str>, grace: i64, sell_by: Option<&str>) -> String {
    match (visit_date, grace) {
        (Some(d), 0) => format!("Valid on {d} only"),
        (Some(d), g) => format!("Valid on {d} (± {g} day{})", if g == 1 { "" } else { "s" }),
        (None, _) => match sell_by {
            Some(s) => format!("Open date: valid once sold (sell by {s})"),
            None => "Open date: valid once sold".to_owned(),
        },
    }
}

fn render(ctx: &Ctx, plan: Plan, limit: i64, offset: i64) -> Result<VoucherSheet, AppError> {
    let mut products: HashMap<i64, catalog::Product> = HashMap::new();
    for id in plan.rows.iter().map(|r| r.product_id) {
        if let Entry::Vacant(slot) = products.entry(id) {
            slot.insert(ctx.db.read(|c| catalog::product(c, id, "product_id"))?);
        }
    }
    let grace = ctx.config.visit_grace_days;
    let vouchers = plan
        .rows
        .into_iter()
        .map(|r| {
            let token = ctx.qr.voucher_token(&r.code)?;
            let product = &products[&r.product_id];
            Ok(Voucher {
                qr_png_base64: STANDARD.encode(qr::png(&token)?),
                voucher_token: token,
                validity: validity(r.visit_date.as_deref(), grace, plan.sell_by.as_deref()),
                ticket_code: r.code,
                status: r.status,
                product_id: r.product_id,
                product_name: product.name.clone(),
                entitlements: product.entitlements.clone(),
                customer_type: r.customer_type,
                holder_name: r.holder_name,
                visit_date: r.visit_date,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(VoucherSheet {
        source: plan.source.to_owned(),
        id: plan.id,
        title: plan.title,
        vouchers,
        total_count: plan.total,
        page: offset / limit.max(1) + 1,
        page_size: limit,
        not_printable: plan.not_printable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_says_the_day_or_that_it_is_open() {
        assert_eq!(
            validity(Some("2026-12-24"), 0, None),
            "Valid on 2026-12-24 only"
        );
        assert_eq!(
            validity(Some("2026-12-24"), 1, None),
            "Valid on 2026-12-24 (± 1 day)"
        );
        assert_eq!(
            validity(None, 0, Some("2026-12-09")),
            "Open date: valid once sold (sell by 2026-12-09)"
        );
    }
}
