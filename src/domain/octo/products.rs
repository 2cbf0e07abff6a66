//! The supplier and its products as OCTO describes them. A product is a package (`id: "106"`)
//! with one option, `DEFAULT`; its units are the package's customer types (`id` = Gangway's
//! customer type). Gangway has no age rules, ID checks, per-booking limits beyond 5000 units or
//! cancellation cutoff, and its stock is per package, not per date: the restrictions say so.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

use super::super::catalog::{self, Product as Package};
use super::pricing::{self, Pricing};
use super::{invalid_option, invalid_product, invalid_unit, Capabilities, Terms};
use crate::domain::Ctx;
use crate::error::AppError;

/// The one option of every product.
pub const OPTION_ID: &str = "DEFAULT";

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SupplierContact {
    pub website: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Supplier {
    pub id: String,
    pub name: String,
    /// The OCTO endpoint resellers are given (this API's base URL).
    pub endpoint: String,
    pub contact: SupplierContact,
}

/// The supplier: the operator, reached at `endpoint`.
pub fn supplier(ctx: &Ctx, endpoint: String) -> Supplier {
    Supplier {
        id: "gangway".to_owned(),
        name: ctx.config.supplier_name.clone(),
        endpoint,
        contact: SupplierContact {
            website: None,
            email: None,
            telephone: None,
            address: None,
        },
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitRestrictions {
    pub min_age: i64,
    pub max_age: i64,
    pub id_required: bool,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
    pub pax_count: i64,
    pub accompanied_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unit {
    /// Gangway's customer type, e.g. `adult`.
    pub id: String,
    pub internal_name: String,
    pub reference: Option<String>,
    /// `ADULT`, `CHILD`, `SENIOR`, `STUDENT`, `FAMILY` or `OTHER`.
    #[serde(rename = "type")]
    pub kind: String,
    pub restrictions: UnitRestrictions,
    pub required_contact_fields: Vec<String>,
    /// `octo/pricing`: the lowest price on any day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing_from: Option<Vec<Pricing>>,
    /// `octo/pricing`, on a booking's unit items: the price on the booked date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Vec<Pricing>>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OptionRestrictions {
    pub min_units: i64,
    pub max_units: Option<i64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductOption {
    pub id: String,
    pub default: bool,
    pub internal_name: String,
    pub reference: Option<String>,
    /// Empty: availability is by opening hours, not start times.
    pub availability_local_start_times: Vec<String>,
    pub cancellation_cutoff: String,
    pub cancellation_cutoff_amount: i64,
    pub cancellation_cutoff_unit: String,
    pub required_contact_fields: Vec<String>,
    pub restrictions: OptionRestrictions,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub internal_name: String,
    pub reference: Option<String>,
    pub locale: String,
    /// The venue's IANA time zone.
    pub time_zone: String,
    pub allow_freesale: bool,
    pub instant_confirmation: bool,
    pub instant_delivery: bool,
    pub availability_required: bool,
    pub availability_type: String,
    pub delivery_formats: Vec<String>,
    pub delivery_methods: Vec<String>,
    pub redemption_method: String,
    pub options: Vec<ProductOption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_currencies: Option<Vec<String>>,
    /// `UNIT`: every person has a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing_per: Option<String>,
}

/// One ticket per person, delivered as a QR code.
pub const DELIVERY_METHODS: [&str; 1] = ["TICKET"];

/// OCTO's unit type of a customer type.
pub fn unit_type(customer_type: &str) -> &'static str {
    match customer_type {
        "adult" => "ADULT",
        "child" => "CHILD",
        "elderly" => "SENIOR",
        "student" => "STUDENT",
        "family" => "FAMILY",
        _ => "OTHER",
    }
}

fn unit(customer_type: &str, pricing_from: Option<Vec<Pricing>>) -> Unit {
    let mut name = customer_type.to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    Unit {
        id: customer_type.to_owned(),
        internal_name: name,
        reference: None,
        kind: unit_type(customer_type).to_owned(),
        restrictions: UnitRestrictions {
            min_age: 0,
            max_age: 120,
            id_required: false,
            min_quantity: None,
            max_quantity: None,
            pax_count: 1,
            accompanied_by: vec![],
        },
        required_contact_fields: vec![],
        pricing_from,
        pricing: None,
    }
}

/// A unit of a package; with `octo/pricing`, its lowest price.
pub(super) fn unit_of(package: &Package, customer_type: &str, terms: &Terms) -> Unit {
    let from = package
        .prices
        .iter()
        .find(|p| p.customer_type == customer_type)
        .filter(|_| terms.caps.pricing)
        .map(|p| vec![pricing::from_price(p, &terms.currency)]);
    unit(customer_type, from)
}

/// A package as an OCTO product.
pub(super) fn view(package: &Package, terms: &Terms) -> Product {
    let priced = terms.caps.pricing;
    Product {
        id: package.product_id.to_string(),
        internal_name: package.name.clone(),
        reference: None,
        locale: "en".to_owned(),
        time_zone: terms.venue.name().to_owned(),
        allow_freesale: false,
        instant_confirmation: true,
        instant_delivery: true,
        availability_required: true,
        availability_type: "OPENING_HOURS".to_owned(),
        delivery_formats: vec!["QRCODE".to_owned()],
        delivery_methods: DELIVERY_METHODS.map(str::to_owned).to_vec(),
        redemption_method: "DIGITAL".to_owned(),
        options: vec![option(package, terms)],
        default_currency: priced.then(|| terms.currency.clone()),
        available_currencies: priced.then(|| vec![terms.currency.clone()]),
        pricing_per: priced.then(|| "UNIT".to_owned()),
    }
}

pub(super) fn option(package: &Package, terms: &Terms) -> ProductOption {
    ProductOption {
        id: OPTION_ID.to_owned(),
        default: true,
        internal_name: package.name.clone(),
        reference: None,
        availability_local_start_times: vec![],
        cancellation_cutoff: "0 hours".to_owned(),
        cancellation_cutoff_amount: 0,
        cancellation_cutoff_unit: "hour".to_owned(),
        required_contact_fields: vec![],
        restrictions: OptionRestrictions {
            min_units: 1,
            max_units: None,
        },
        units: package
            .prices
            .iter()
            .map(|p| unit_of(package, &p.customer_type, terms))
            .collect(),
    }
}

/// Every product.
pub fn products(ctx: &Ctx, caps: Capabilities) -> Result<Vec<Product>, AppError> {
    let terms = Terms::of(ctx, caps);
    let packages = ctx.db.read(catalog::load_products)?;
    Ok(packages.iter().map(|p| view(p, &terms)).collect())
}

/// One product; anything but a package id is `INVALID_PRODUCT_ID`.
pub fn product(ctx: &Ctx, caps: Capabilities, id: &str) -> Result<Product, AppError> {
    let terms = Terms::of(ctx, caps);
    let package = ctx.db.read(|c| resolve(c, Some(id)))?;
    Ok(view(&package, &terms))
}

/// The package a `productId` names (its decimal id, written exactly as Gangway writes it).
pub(super) fn resolve(conn: &Connection, id: Option<&str>) -> Result<Package, AppError> {
    let raw = id.unwrap_or("");
    let product_id = raw
        .parse::<i64>()
        .ok()
        .filter(|n| n.to_string() == raw)
        .ok_or_else(|| invalid_product(raw))?;
    catalog::product(conn, product_id, "productId").map_err(|e| match e {
        AppError::Validation { .. } => invalid_product(raw),
        e => e,
    })
}

/// The option must be `DEFAULT`.
pub(super) fn check_option(id: Option<&str>) -> Result<(), AppError> {
    match id {
        Some(OPTION_ID) => Ok(()),
        other => Err(invalid_option(other.unwrap_or(""))),
    }
}

/// A unit id must be one of the package's customer types.
pub(super) fn check_unit(package: &Package, id: Option<&str>) -> Result<String, AppError> {
    let raw = id.unwrap_or("");
    if package.prices.iter().any(|p| p.customer_type == raw) {
        Ok(raw.to_owned())
    } else {
        Err(invalid_unit(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_types_map_onto_octo_unit_types() {
        let types = ["adult", "child", "elderly", "student", "family", "vip"];
        let octo: Vec<&str> = types.iter().map(|t| unit_type(t)).collect();
        assert_eq!(
            octo,
            ["ADULT", "CHILD", "SENIOR", "STUDENT", "FAMILY", "OTHER"]
        );
        assert_eq!(unit("elderly", None).internal_name, "Elderly");
    }

    #[test]
    fn only_the_default_option_exists() {
        assert!(check_option(Some("DEFAULT")).is_ok());
        for bad in [None, Some(""), Some("default"), Some("invalidOptionId")] {
            assert_eq!(check_option(bad).unwrap_err().code(), "INVALID_OPTION_ID");
        }
    }
}
