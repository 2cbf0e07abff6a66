//! The business: each rule of the product in one module named after it, with its SQL. Knows
//! nothing of HTTP. Public operations take `&Transaction` (one step of a bigger change) or
//! `&Connection` (a read); the caller opens the transaction with `Db::write`.

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod batches;
pub mod billing;
pub mod catalog;
pub mod expiry;
pub mod idempotency;
pub mod inventory;
pub mod orders;
pub mod partners;
pub mod payments;
pub mod qr;
pub mod redemption;
pub mod reports;
pub mod resellers;
pub mod reservations;
pub mod settings;
pub mod tickets;
