//! A booking as OCTO shows it. Its status is never stored: it follows from the hold (ON_HOLD while
//! the reservation is live, EXPIRED once it lapsed — the expiry job needs to know nothing of
//! OCTO), the cancellation, and the tickets (REDEEMED when every one is USED).

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

use super::super::catalog::{self, Product as Package};
use super::super::pricing as day_pricing;
use super::super::reservations::{self, Reservation, ReservationStatus};
use super::super::tickets::rows::{self as ticket_rows, TicketRow, TicketStatus};
use super::availability::{self, Availability, Offer};
use super::contact::Contact;
use super::pricing::{self, Pricing};
use super::products::{self, Product, ProductOption, Unit, OPTION_ID};
use super::rows::{self, BookingRow, UnitItemRow};
use super::Terms;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingStatus {
    OnHold,
    Confirmed,
    Expired,
    Cancelled,
    Redeemed,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::OnHold => "ON_HOLD",
            BookingStatus::Confirmed => "CONFIRMED",
            BookingStatus::Expired => "EXPIRED",
            BookingStatus::Cancelled => "CANCELLED",
            BookingStatus::Redeemed => "REDEEMED",
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OctoCancellation")] // the console's ticket cancellation is `Cancellation`
pub struct Cancellation {
    /// `FULL`: once cancelled (or lapsed) the reseller owes nothing.
    pub refund: String,
    pub reason: Option<String>,
    pub utc_cancelled_at: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryOption {
    pub delivery_format: String,
    pub delivery_value: String,
}

/// A person's ticket: once confirmed, a QR code to print or e-mail, valid through the visit date.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketDelivery {
    pub redemption_method: String,
    pub utc_redeemed_at: Option<String>,
    pub delivery_options: Vec<DeliveryOption>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitItem {
    pub uuid: String,
    pub reseller_reference: Option<String>,
    /// The Gangway ticket code, once issued.
    pub supplier_reference: Option<String>,
    pub unit_id: String,
    pub unit: Unit,
    pub status: BookingStatus,
    pub utc_redeemed_at: Option<String>,
    pub contact: Contact,
    pub ticket: TicketDelivery,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub id: String,
    pub uuid: String,
    pub test_mode: bool,
    pub reseller_reference: Option<String>,
    pub supplier_reference: Option<String>,
    pub status: BookingStatus,
    pub utc_created_at: String,
    pub utc_updated_at: String,
    pub utc_expires_at: Option<String>,
    pub utc_redeemed_at: Option<String>,
    pub utc_confirmed_at: Option<String>,
    pub product_id: String,
    pub product: Product,
    pub option_id: String,
    pub option: ProductOption,
    pub cancellable: bool,
    pub cancellation: Option<Cancellation>,
    pub freesale: bool,
    pub availability_id: String,
    pub availability: Availability,
    pub contact: Contact,
    pub notes: Option<String>,
    pub delivery_methods: Vec<String>,
    /// Always null: delivery is per person (`TICKET`).
    pub voucher: Option<TicketDelivery>,
    pub unit_items: Vec<UnitItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// Where a booking stands, from its rows.
pub(super) struct State {
    pub status: BookingStatus,
    pub reservation: Reservation,
    pub tickets: Vec<TicketRow>,
}

pub(super) fn state(conn: &Connection, row: &BookingRow) -> Result<State, AppError> {
    let reservation = reservations::find(conn, row.partner_id, &row.reservation_id)
        .map_err(|_| AppError::corrupt("octo_bookings.reservation_id", &row.reservation_id))?;
    let tickets = match &row.order_id {
        Some(order_id) => ticket_rows::rows_of_order(conn, order_id)?,
        None => vec![],
    };
    let status = if row.cancelled_at.is_some() {
        BookingStatus::Cancelled
    } else if row.order_id.is_some() {
        // Redeemed once every ticket still valid has been used up (one may have been cancelled
        // on its own through the classic API).
        let mut live = tickets
            .iter()
            .filter(|t| t.status != TicketStatus::Cancelled);
        let used = |t: &TicketRow| t.status == TicketStatus::Used;
        if live.clone().next().is_some() && live.all(used) {
            BookingStatus::Redeemed
        } else {
            BookingStatus::Confirmed
        }
    } else {
        match reservation.status {
            ReservationStatus::Active => BookingStatus::OnHold,
            ReservationStatus::Expired => BookingStatus::Expired,
            ReservationStatus::Cancelled => BookingStatus::Cancelled,
            other => return Err(AppError::corrupt("reservations.status of a hold", other)),
        }
    };
    Ok(State {
        status,
        reservation,
        tickets,
    })
}

/// Whether a confirmed booking can still be called off: none of its tickets was scanned.
pub(super) fn none_redeemed(conn: &Connection, tickets: &[TicketRow]) -> Result<bool, AppError> {
    for t in tickets {
        if t.status == TicketStatus::Used || ticket_rows::was_redeemed(conn, t.id)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The booking as OCTO shows it.
pub(super) fn booking(
    conn: &Connection,
    row: &BookingRow,
    terms: &Terms,
) -> Result<Booking, AppError> {
    let st = state(conn, row)?;
    let package = catalog::product(conn, st.reservation.product_id, "product_id")?;
    let offer = Offer::of(conn, package, 1)?;
    let package = &offer.package;
    let day = day_pricing::day_type(row.visit_date, &offer.holidays);
    let items = rows::items(conn, &row.id)?;
    let unit_items = items
        .iter()
        .map(|item| unit_item(item, &st, package, day, row, terms))
        .collect::<Result<Vec<_>, AppError>>()?;
    let status = st.status;
    let redeemed_at = (status == BookingStatus::Redeemed)
        .then(|| st.tickets.iter().filter_map(|t| t.used_at.clone()).max())
        .flatten();
    let cancellation = match status {
        BookingStatus::Cancelled => Some(Cancellation {
            refund: "FULL".to_owned(),
            reason: row.cancellation_reason.clone(),
            utc_cancelled_at: row
                .cancelled_at
                .clone()
                .unwrap_or_else(|| row.updated_at.clone()),
        }),
        BookingStatus::Expired => Some(Cancellation {
            refund: "FULL".to_owned(),
            reason: Some("The hold expired.".to_owned()),
            utc_cancelled_at: st.reservation.reserved_until.clone(),
        }),
        _ => None,
    };
    let cancellable = match status {
        BookingStatus::OnHold => true,
        BookingStatus::Confirmed => none_redeemed(conn, &st.tickets)?,
        _ => false,
    };
    let holds = matches!(status, BookingStatus::OnHold | BookingStatus::Expired);
    let product = products::view(package, terms);
    Ok(Booking {
        id: row.id.clone(),
        uuid: row.uuid.clone(),
        test_mode: false,
        reseller_reference: row.reseller_reference.clone(),
        supplier_reference: Some(row.supplier_reference.clone()),
        status,
        utc_created_at: row.created_at.clone(),
        utc_updated_at: row.updated_at.clone(),
        utc_expires_at: holds.then(|| st.reservation.reserved_until.clone()),
        utc_redeemed_at: redeemed_at,
        utc_confirmed_at: row.confirmed_at.clone(),
        product_id: product.id.clone(),
        option_id: OPTION_ID.to_owned(),
        option: products::option(package, terms),
        product,
        cancellable,
        cancellation,
        freesale: false,
        availability_id: availability::slot_id(&terms.venue, row.visit_date),
        availability: offer.slot(row.visit_date, terms),
        contact: row.contact.clone(),
        notes: row.notes.clone(),
        delivery_methods: products::DELIVERY_METHODS.map(str::to_owned).to_vec(),
        voucher: None,
        pricing: terms.caps.pricing.then(|| {
            pricing::total(
                unit_items.iter().filter_map(|u| u.pricing.as_ref()),
                &terms.currency,
            )
        }),
        unit_items,
    })
}

fn unit_item(
    item: &UnitItemRow,
    st: &State,
    package: &Package,
    day: day_pricing::DayType,
    row: &BookingRow,
    terms: &Terms,
) -> Result<UnitItem, AppError> {
    let ticket = item
        .ticket_id
        .and_then(|id| st.tickets.iter().find(|t| t.id == id));
    // A confirmed booking's people follow their tickets: used at the gate, or (one by one, on the
    // classic API) cancelled.
    let status = match (st.status, ticket.map(|t| t.status)) {
        (BookingStatus::Confirmed | BookingStatus::Redeemed, Some(TicketStatus::Used)) => {
            BookingStatus::Redeemed
        }
        (BookingStatus::Confirmed, Some(TicketStatus::Cancelled)) => BookingStatus::Cancelled,
        (BookingStatus::Redeemed, _) => BookingStatus::Confirmed,
        (s, _) => s,
    };
    let redeemed_at = ticket
        .filter(|t| t.status == TicketStatus::Used)
        .and_then(|t| t.used_at.clone());
    let delivery_options = match ticket {
        Some(t) if t.status == TicketStatus::Active => {
            // Valid through the visit date: until the venue's next midnight.
            let next = row.visit_date.next_day().unwrap_or(row.visit_date);
            let token = terms
                .signer
                .dated_token(&t.code, terms.venue.start_of(next))?;
            vec![DeliveryOption {
                delivery_format: "QRCODE".to_owned(),
                delivery_value: token,
            }]
        }
        _ => vec![],
    };
    let price = match ticket {
        Some(t) => t.price_cents,
        None => {
            day_pricing::unit_price(&st.reservation.pricing_snapshot.prices, &item.unit_id, day)
        }
    };
    let priced = price
        .filter(|_| terms.caps.pricing)
        .map(|cents| pricing::amount(cents, &terms.currency));
    let mut unit = products::unit_of(package, &item.unit_id, terms);
    unit.pricing = priced.clone().map(|p| vec![p]);
    Ok(UnitItem {
        uuid: item.uuid.clone(),
        reseller_reference: item.reseller_reference.clone(),
        supplier_reference: ticket.map(|t| t.code.clone()),
        unit_id: item.unit_id.clone(),
        unit,
        status,
        utc_redeemed_at: redeemed_at.clone(),
        contact: item.contact.clone(),
        ticket: TicketDelivery {
            redemption_method: "DIGITAL".to_owned(),
            utc_redeemed_at: redeemed_at,
            delivery_options,
        },
        pricing: priced,
    })
}
