//! Gangway: a self-hosted ticketing server for a small cruise / attraction operator.
//!
//! Layers, top to bottom (ARCHITECTURE.md): `api` (HTTP, Rocket) → `domain` (the business, its
//! SQL and transactions) → `db` (the SQLite file) → `error`, `clock`, `ids`. `build_rocket`
//! assembles the whole application from a configuration figment; the binary and the integration
//! tests both use it, so tests run exactly what ships.

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod ids;

pub use api::{build_rocket, App};
