//! The pricing engine: pure functions over a price matrix and a date, so the direct channel and
//! the OTA channel (from its reservation-time snapshot) price identically. Saturdays, Sundays and
//! holidays price as weekend.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, Weekday};

use crate::db::text_enum;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Price {
    pub customer_type: String,
    pub weekday_cents: i64,
    pub weekend_cents: i64,
    /// Adult price minus this price, same day type.
    pub weekday_savings_cents: i64,
    pub weekend_savings_cents: i64,
}

text_enum! {
    /// Which column of the price matrix a date uses.
    pub enum DayType in "order_lines.day_type" {
        Weekday = "weekday", Weekend = "weekend",
    }
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Line {
    pub customer_type: String,
    pub count: i64,
    pub day_type: DayType,
    pub unit_price_cents: i64,
    pub subtotal_cents: i64,
}

/// The days that price as weekend besides holidays.
pub const WEEKEND_DAYS: [&str; 2] = ["saturday", "sunday"];

pub fn day_type(date: Date, holidays: &BTreeSet<Date>) -> DayType {
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) || holidays.contains(&date) {
        DayType::Weekend
    } else {
        DayType::Weekday
    }
}

/// Adds savings versus the adult price; a package without an adult type saves nothing.
pub fn with_savings(raw: Vec<(String, i64, i64)>) -> Vec<Price> {
    let adult = raw
        .iter()
        .find(|(t, _, _)| t == "adult")
        .map(|(_, wd, we)| (*wd, *we));
    raw.into_iter()
        .map(|(customer_type, weekday_cents, weekend_cents)| {
            let (awd, awe) = adult.unwrap_or((weekday_cents, weekend_cents));
            Price {
                customer_type,
                weekday_cents,
                weekend_cents,
                weekday_savings_cents: awd - weekday_cents,
                weekend_savings_cents: awe - weekend_cents,
            }
        })
        .collect()
}

pub fn unit_price(prices: &[Price], customer_type: &str, day: DayType) -> Option<i64> {
    prices
        .iter()
        .find(|p| p.customer_type == customer_type)
        .map(|p| match day {
            DayType::Weekday => p.weekday_cents,
            DayType::Weekend => p.weekend_cents,
        })
}

/// Prices a breakdown of (customer type, count); `field` names the input for 422 messages.
/// Repeated customer types are merged so each type is one line.
pub fn price_lines(
    prices: &[Price],
    breakdown: &[(String, i64)],
    day: DayType,
    field: &str,
) -> Result<Vec<Line>, AppError> {
    if breakdown.is_empty() {
        return Err(AppError::validation(
            field,
            "at least one customer type is required",
        ));
    }
    let mut lines: Vec<Line> = Vec::new();
    for (customer_type, count) in breakdown {
        if !(1..=5000).contains(count) {
            return Err(AppError::validation(
                field,
                "each count must be between 1 and 5000",
            ));
        }
        let unit = unit_price(prices, customer_type, day).ok_or_else(|| {
            let known: Vec<&str> = prices.iter().map(|p| p.customer_type.as_str()).collect();
            AppError::validation(
                field,
                format!(
                    "unknown customer_type '{customer_type}' (expected one of {})",
                    known.join(", ")
                ),
            )
        })?;
        match lines.iter_mut().find(|l| &l.customer_type == customer_type) {
            Some(line) => {
                line.count += count;
                line.subtotal_cents = line.unit_price_cents * line.count;
            }
            None => lines.push(Line {
                customer_type: customer_type.clone(),
                count: *count,
                day_type: day,
                unit_price_cents: unit,
                subtotal_cents: unit * count,
            }),
        }
    }
    Ok(lines)
}

pub fn total_cents(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.subtotal_cents).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// PRODUCT.md's matrix, in dollars: (package, type, weekday, weekend).
    const MATRIX: &[(i64, &str, i64, i64)] = &[
        (106, "adult", 288, 318),
        (106, "child", 188, 218),
        (106, "elderly", 238, 268),
        (106, "student", 238, 268),
        (107, "adult", 188, 228),
        (107, "child", 38, 78),
        (107, "family", 88, 128),
        (107, "elderly", 113, 153),
        (108, "adult", 788, 868),
        (108, "vip", 588, 668),
        (108, "elderly", 688, 768),
    ];

    fn prices(product: i64) -> Vec<Price> {
        with_savings(
            MATRIX
                .iter()
                .filter(|m| m.0 == product)
                .map(|m| (m.1.to_owned(), m.2 * 100, m.3 * 100))
                .collect(),
        )
    }

    #[test]
    fn saturday_sunday_and_holidays_price_as_weekend() {
        let holidays: BTreeSet<Date> = [date!(2025 - 12 - 25)].into();
        assert_eq!(day_type(date!(2025 - 11 - 15), &holidays), DayType::Weekend); // Saturday
        assert_eq!(day_type(date!(2025 - 11 - 16), &holidays), DayType::Weekend); // Sunday
        assert_eq!(day_type(date!(2025 - 11 - 17), &holidays), DayType::Weekday); // Monday
        assert_eq!(day_type(date!(2025 - 12 - 25), &holidays), DayType::Weekend); // Thursday, holiday
        assert_eq!(day_type(date!(2025 - 12 - 26), &holidays), DayType::Weekday);
    }

    #[test]
    fn every_cell_of_the_matrix_prices_exactly() {
        for &(product, t, wd, we) in MATRIX {
            let p = prices(product);
            assert_eq!(
                unit_price(&p, t, DayType::Weekday),
                Some(wd * 100),
                "{product} {t}"
            );
            assert_eq!(
                unit_price(&p, t, DayType::Weekend),
                Some(we * 100),
                "{product} {t}"
            );
            let adult = MATRIX
                .iter()
                .find(|m| m.0 == product && m.1 == "adult")
                .unwrap();
            let price = p.iter().find(|x| x.customer_type == t).unwrap();
            assert_eq!(price.weekday_savings_cents, (adult.2 - wd) * 100);
            assert_eq!(price.weekend_savings_cents, (adult.3 - we) * 100);
        }
        assert_eq!(
            prices(106)
                .iter()
                .find(|p| p.customer_type == "child")
                .unwrap()
                .weekday_savings_cents,
            10000
        );
    }

    #[test]
    fn lines_and_total_follow_the_day_type() {
        let p = prices(106);
        let breakdown = vec![("adult".to_owned(), 2), ("child".to_owned(), 1)];
        let lines = price_lines(&p, &breakdown, DayType::Weekend, "b").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].subtotal_cents, 2 * 31800);
        assert_eq!(total_cents(&lines), 2 * 31800 + 21800);
        let merged = price_lines(
            &p,
            &[("adult".into(), 1), ("adult".into(), 2)],
            DayType::Weekday,
            "b",
        )
        .unwrap();
        assert_eq!(
            merged,
            vec![Line {
                customer_type: "adult".into(),
                count: 3,
                day_type: DayType::Weekday,
                unit_price_cents: 28800,
                subtotal_cents: 86400
            }]
        );
    }

    #[test]
    fn unknown_types_and_bad_counts_are_refused_naming_the_field() {
        let p = prices(107);
        for bad in [
            vec![("student".to_owned(), 1)],
            vec![("adult".to_owned(), 0)],
            vec![("adult".to_owned(), -1)],
            vec![],
        ] {
            let err = price_lines(&p, &bad, DayType::Weekday, "customer_breakdown").unwrap_err();
            assert!(
                matches!(err, AppError::Validation { ref field, .. } if field == "customer_breakdown"),
                "{bad:?}"
            );
        }
    }
}
