//! Domain answers with what only the HTTP layer knows added: URLs (the webhook, archives) and
//! the key each list is answered under.

use schemars::JsonSchema;
use serde::Serialize;

use super::paging::Listed;
use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::batches::{Batch, BatchDetail, CreatedBatch, Scope};
use crate::domain::catalog::Holiday;
use crate::domain::inventory::StockRow;
use crate::domain::orders::{Order, OrderSummary};
use crate::domain::partners::Partner;
use crate::domain::resellers::Reseller;
use crate::domain::tickets::Ticket;
use crate::domain::users::Account;

/// Where the payment gateway reports payments (see the Payments section).
pub const WEBHOOK_PATH: &str = "/payments/notify";

/// The key each list is answered under.
macro_rules! listed {
    ($($item:ty => $key:literal),* $(,)?) => {$(
        impl Listed for $item {
            const KEY: &'static str = $key;
        }
    )*};
}

listed! {
    Ticket => "tickets",
    Reseller => "resellers",
    AuditEntry => "entries",
    AuditAction => "actions",
    BatchView => "batches",
    Partner => "partners",
    StockRow => "inventory",
    Holiday => "holidays",
    UserView => "users",
    OrderSummary => "orders",
}

/// An account with its login lock, which lives in the HTTP layer's memory.
#[derive(Serialize, JsonSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub account: Account,
    /// Until when logins are refused after too many wrong passwords (null: not locked).
    pub locked_until: Option<String>,
}

impl UserView {
    pub fn new(account: Account, lockout: &super::rate_limit::AccountLockout) -> UserView {
        let locked_until = lockout
            .locked_for(&account.email)
            .map(|left| crate::clock::to_db(crate::clock::now() + left));
        UserView {
            account,
            locked_until,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    /// Where the payment gateway reports the result (signed, see the Payments section).
    pub webhook_url: String,
}

impl From<Order> for OrderView {
    fn from(order: Order) -> OrderView {
        OrderView {
            order,
            webhook_url: WEBHOOK_PATH.to_owned(),
        }
    }
}

/// Where a batch's ZIP is downloaded, for the audience that asks.
fn archive_url(scope: Scope, id: &str) -> String {
    match scope {
        Scope::Partner(_) => format!("/api/ota/batches/{id}/archive.zip"),
        Scope::Operator => format!("/api/admin/batches/{id}/archive.zip"),
    }
}

#[derive(Serialize, JsonSchema)]
pub struct BatchView {
    #[serde(flatten)]
    pub batch: Batch,
    pub archive_url: String,
}

impl BatchView {
    pub fn new(batch: Batch, scope: Scope) -> BatchView {
        BatchView {
            archive_url: archive_url(scope, &batch.batch_id),
            batch,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CreatedBatchView {
    #[serde(flatten)]
    pub batch: CreatedBatch,
    pub archive_url: String,
}

impl CreatedBatchView {
    pub fn new(batch: CreatedBatch, partner_id: i64) -> CreatedBatchView {
        CreatedBatchView {
            archive_url: archive_url(Scope::Partner(partner_id), &batch.batch_id),
            batch,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct BatchDetailView {
    #[serde(flatten)]
    pub detail: BatchDetail,
    pub archive_url: String,
}

impl From<BatchDetail> for BatchDetailView {
    fn from(detail: BatchDetail) -> BatchDetailView {
        BatchDetailView {
            archive_url: archive_url(Scope::Operator, &detail.batch.batch_id),
            detail,
        }
    }
}
