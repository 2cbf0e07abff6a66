//! One test binary (one link step): a module per capability of the product.

mod helpers;

mod abuse;
mod access;
mod accounts;
mod batches;
mod config;
mod console;
mod crash;
mod desk;
mod direct;
mod gate;
mod hostile;
mod octo;
mod ota_flow;
mod oversell;
mod payments;
mod qr_redeem;
mod races;
mod scan_image;
mod venue_day;
