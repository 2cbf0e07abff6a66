//! One test binary (one link step): a module per capability of the product.

mod helpers;
mod procs;

mod abuse;
mod access;
mod accounts;
mod batches;
mod check;
mod config;
mod console;
mod crash;
mod desk;
mod direct;
mod gate;
mod hostile;
mod octo;
mod operations;
mod ota_flow;
mod oversell;
mod payments;
mod qr_redeem;
mod races;
mod replication;
mod scan_image;
mod security;
mod storage;
mod users;
mod venue_day;
