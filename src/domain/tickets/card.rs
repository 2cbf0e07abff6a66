//! A ticket as the gate shows it: the package, who it is for (customer type, holder, visit date)
//! and what is left of each entitlement. The scanner shows it on every answer about a genuine
//! ticket — accepted or refused — so staff see at a glance that a child ticket is in an adult's
//! hand, or which day the ticket is for.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rows::{TicketRow, TicketStatus};
use crate::error::AppError;

/// One entitlement of the ticket, by name, with its uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntitlementUses {
    pub function_code: String,
    /// The package's name for it (e.g. "Ferry ride (round trip)").
    pub name: String,
    pub total_uses: i64,
    pub remaining_uses: i64,
    /// The last redemption of this function (RFC 3339 UTC), if any.
    pub last_used_at: Option<String>,
}

/// What names a ticket on every list: its code and status, the package, who it is for and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TicketHeadline {
    pub ticket_code: String,
    pub status: TicketStatus,
    pub product_id: i64,
    pub product_name: String,
    /// `adult`, `child`, `elderly`, `student`, … (none on an unsold voucher).
    pub customer_type: Option<String>,
    /// The day the ticket is for (`YYYY-MM-DD`); none on an open-dated voucher.
    pub visit_date: Option<String>,
    /// The holder's name, when the sale recorded one.
    pub holder_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TicketCard {
    #[serde(flatten)]
    pub headline: TicketHeadline,
    /// Where the ticket came from: `batch` (a pre-generated voucher) or `order`.
    pub origin: String,
    pub entitlements: Vec<EntitlementUses>,
}

impl TicketCard {
    /// The entitlement of `function_code`, if the package has it.
    pub fn entitlement(&self, function_code: &str) -> Option<&EntitlementUses> {
        self.entitlements
            .iter()
            .find(|e| e.function_code == function_code)
    }
}

/// The card of a ticket, read now (inside a transaction it sees that transaction's changes).
pub(in crate::domain) fn card(conn: &Connection, row: &TicketRow) -> Result<TicketCard, AppError> {
    let product_name: String = conn
        .prepare_cached("SELECT name FROM products WHERE id = ?1")?
        .query_row([row.product_id], |r| r.get(0))?;
    let entitlements = conn
        .prepare_cached(
            "SELECT e.function_code, COALESCE(p.name, e.function_code), e.total_uses, e.remaining_uses,
                    (SELECT MAX(d.redeemed_at) FROM redemptions d WHERE d.ticket_id = e.ticket_id AND d.function_code = e.function_code)
             FROM ticket_entitlements e
             LEFT JOIN product_entitlements p ON p.product_id = ?2 AND p.function_code = e.function_code
             WHERE e.ticket_id = ?1 ORDER BY p.position, e.function_code",
        )?
        .query_map(rusqlite::params![row.id, row.product_id], |r| {
            Ok(EntitlementUses {
                function_code: r.get(0)?,
                name: r.get(1)?,
                total_uses: r.get(2)?,
                remaining_uses: r.get(3)?,
                last_used_at: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(TicketCard {
        headline: TicketHeadline {
            ticket_code: row.code.clone(),
            status: row.status,
            product_id: row.product_id,
            product_name,
            customer_type: row.customer_type.clone(),
            visit_date: row.visit_date.clone(),
            holder_name: row.customer.as_ref().map(|c| c.name.clone()),
        },
        origin: if row.batch_id.is_some() {
            "batch"
        } else {
            "order"
        }
        .to_owned(),
        entitlements,
    })
}
