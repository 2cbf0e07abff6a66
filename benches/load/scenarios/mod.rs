//! What the bench asks of the server (and, for the ceilings, of SQLite and the QR code alone).

pub mod books;
pub mod bulk;
pub mod ota_journey;
pub mod qr;
pub mod raw_sqlite;
pub mod setup;
pub mod throughput;
