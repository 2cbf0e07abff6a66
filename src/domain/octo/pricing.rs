//! The `octo/pricing` capability: Gangway's price matrix (per customer type, weekday / weekend,
//! holidays pricing as weekend) as OCTO `Pricing` objects. Amounts are the integer minor units
//! Gangway stores, with the currency's ISO 4217 exponent as `currencyPrecision`. The OTA pays
//! the listed price (there are no per-partner net rates), so `net` equals `retail`; prices
//! include whatever taxes apply and no tax is broken out.

use schemars::JsonSchema;
use serde::Serialize;

use super::super::pricing::{self, DayType, Price};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub original: i64,
    pub retail: i64,
    pub net: Option<i64>,
    pub currency: String,
    pub currency_precision: u32,
    pub included_taxes: Vec<Tax>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tax {
    pub name: String,
    pub retail: i64,
    pub original: i64,
    pub net: Option<i64>,
}

/// The price of one unit (customer type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricingUnit {
    pub unit_id: String,
    #[serde(flatten)]
    pub pricing: Pricing,
}

/// Decimal places of a currency's minor unit (ISO 4217): 0 for the yen and its like, 3 for the
/// dinars, 2 for the rest.
pub fn currency_precision(currency: &str) -> u32 {
    const NONE: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if NONE.contains(&currency) {
        0
    } else if THREE.contains(&currency) {
        3
    } else {
        2
    }
}

/// An amount as OCTO prices it.
pub fn amount(minor_units: i64, currency: &str) -> Pricing {
    Pricing {
        original: minor_units,
        retail: minor_units,
        net: Some(minor_units),
        currency: currency.to_owned(),
        currency_precision: currency_precision(currency),
        included_taxes: vec![],
    }
}

/// The sum of several prices in one currency.
pub fn total<'a>(prices: impl IntoIterator<Item = &'a Pricing>, currency: &str) -> Pricing {
    amount(prices.into_iter().map(|p| p.retail).sum(), currency)
}

/// Every unit's price on a day of this type.
pub fn per_unit(prices: &[Price], day: DayType, currency: &str) -> Vec<PricingUnit> {
    prices
        .iter()
        .filter_map(|p| {
            let cents = pricing::unit_price(prices, &p.customer_type, day)?;
            Some(PricingUnit {
                unit_id: p.customer_type.clone(),
                pricing: amount(cents, currency),
            })
        })
        .collect()
}

/// The lowest price of a unit on any day ("from" prices in the catalogue).
pub fn from_price(price: &Price, currency: &str) -> Pricing {
    amount(price.weekday_cents.min(price.weekend_cents), currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_follows_the_currency() {
        assert_eq!(currency_precision("USD"), 2);
        assert_eq!(currency_precision("JPY"), 0);
        assert_eq!(currency_precision("KWD"), 3);
    }

    #[test]
    fn unit_prices_follow_the_day_type_and_add_up() {
        let prices = pricing::with_savings(vec![
            ("adult".into(), 28800, 31800),
            ("child".into(), 18800, 21800),
        ]);
        let weekend = per_unit(&prices, DayType::Weekend, "USD");
        assert_eq!(weekend[0].unit_id, "adult");
        assert_eq!(weekend[0].pricing.retail, 31800);
        assert_eq!(weekend[1].pricing.net, Some(21800));
        assert_eq!(from_price(&prices[0], "USD").retail, 28800);
        let sum = total(weekend.iter().map(|u| &u.pricing), "USD");
        assert_eq!((sum.retail, sum.currency_precision), (31800 + 21800, 2));
    }
}
