//! One test binary (one link step): a module per capability of the product.

mod helpers;

mod accounts;
mod ota_flow;
