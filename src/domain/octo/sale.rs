//! The booking's sale and its undoing: confirm turns the hold into an OTA order and pays it in
//! one transaction (the steps of `ota_orders` and `payments`, as the classic API's
//! `POST /orders` + `POST /activate` do in two); cancel gives back what the booking took.

use super::super::catalog;
use super::super::orders;
use super::super::ota_orders::{self, HoldOrder};
use super::super::payments::{self, Activation};
use super::super::reservations::{self, ReservationStatus};
use super::super::tickets::rows as ticket_rows;
use super::bookings::{change, record};
use super::requests::{check_details, people, text, CancelRequest, ConfirmRequest};
use super::rows::{self, UnitItemRow};
use super::view::{self, Booking, BookingStatus};
use super::{bad_request, invalid_booking, unprocessable, Capabilities};
use crate::clock;
use crate::domain::Ctx;
use crate::error::AppError;

/// `POST /bookings/{uuid}/confirm`: the hold becomes an order and the order is paid, in this one
/// transaction; one ticket per person. `unitItems`, when sent, replace the people first (the hold
/// follows). Confirming a confirmed booking again returns it unchanged.
pub fn confirm(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    uuid: &str,
    req: ConfirmRequest,
) -> Result<Booking, AppError> {
    change(
        ctx,
        caps,
        partner_id,
        uuid,
        move |tx, mut row, st, terms| {
            match st.status {
                BookingStatus::OnHold => {}
                BookingStatus::Confirmed | BookingStatus::Redeemed => return Ok(row),
                BookingStatus::Expired => {
                    return Err(invalid_booking(
                        &row.uuid,
                        "The booking's hold has expired.",
                    ))
                }
                BookingStatus::Cancelled => return Err(unprocessable("The booking is cancelled.")),
            }
            let contact = req
                .contact
                .ok_or_else(|| bad_request("contact is required (a fullName is enough)"))?;
            check_details(&contact, req.reseller_reference.as_deref(), None)?;
            let package = catalog::product(tx, st.reservation.product_id, "product_id")?;
            let current = rows::items(tx, &row.id)?;
            let mut items = match &req.unit_items {
                Some(asked) => people(&package, &current, Some(asked))?,
                None => current,
            };
            if row.visit_date < terms.venue.today() {
                return Err(unprocessable("The booking's date has passed."));
            }
            let mut hold = st.reservation;
            if items.len() as i64 != hold.quantity {
                hold = reservations::resize(tx, &hold, package, items.len() as i64)?;
            }
            let order = HoldOrder {
                customer: &contact.customer(),
                visit: row.visit_date,
                breakdown: &breakdown(&items),
                field: "unitItems",
            };
            let order_id = ota_orders::order_hold(tx, partner_id, &hold, &order)?;
            let payment = Activation {
                order_id: order_id.clone(),
                payment_reference: format!("octo-{}", row.id),
            };
            if payments::pay_order(tx, partner_id, &payment)? != "success" {
                return Err(unprocessable(
                    "The hold ran out while confirming and its units are gone; nothing was booked.",
                ));
            }
            let tickets = ticket_rows::rows_of_order(tx, &order_id)?;
            let mut unassigned: Vec<_> = tickets.iter().collect();
            for item in &mut items {
                let at = unassigned
                    .iter()
                    .position(|t| t.customer_type.as_deref() == Some(item.unit_id.as_str()))
                    .ok_or_else(|| AppError::Internal("a unit item without its ticket".into()))?;
                item.ticket_id = Some(unassigned.remove(at).id);
            }
            row.order_id = Some(order_id.clone());
            row.confirmed_at = Some(clock::to_db(clock::now()));
            row.contact = contact;
            if let Some(r) = req.reseller_reference {
                row.reseller_reference = Some(r);
            }
            rows::save(tx, &row)?;
            rows::replace_items(tx, &row.id, &items)?;
            let summary =
                serde_json::json!({"order_id": order_id, "tickets_issued": tickets.len()});
            record(tx, &row, "octo.booking.confirm", summary)?;
            Ok(row)
        },
    )
}

/// `POST /bookings/{uuid}/cancel`: a hold gives its units back; a confirmed booking cancels its
/// tickets (none may have been used at the gate) and gives theirs back. Cancelling a cancelled
/// booking returns it unchanged; a lapsed hold is recorded as cancelled.
pub fn cancel(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    uuid: &str,
    req: CancelRequest,
) -> Result<Booking, AppError> {
    change(ctx, caps, partner_id, uuid, move |tx, mut row, st, _| {
        text(req.reason.as_deref(), "reason", 500)?;
        let mut tickets_cancelled = 0;
        match st.status {
            BookingStatus::Cancelled => return Ok(row),
            BookingStatus::OnHold => {
                reservations::release(tx, &st.reservation, ReservationStatus::Cancelled)?
            }
            BookingStatus::Expired => {}
            BookingStatus::Confirmed if view::none_redeemed(tx, &st.tickets)? => {
                let order_id = row.order_id.as_deref().unwrap_or_default();
                tickets_cancelled = ticket_rows::cancel_of_order(tx, order_id)?;
                orders::mark_cancelled(tx, order_id)?;
            }
            BookingStatus::Confirmed | BookingStatus::Redeemed => {
                return Err(unprocessable(
                    "A ticket of this booking has been used at the gate; it can no longer be cancelled.",
                ))
            }
        }
        row.cancelled_at = Some(clock::to_db(clock::now()));
        row.cancellation_reason = req.reason;
        rows::save(tx, &row)?;
        let summary = serde_json::json!({"from": st.status.as_str(), "reason": row.cancellation_reason,
            "tickets_cancelled": tickets_cancelled});
        record(tx, &row, "octo.booking.cancel", summary)?;
        Ok(row)
    })
}

/// How many of each customer type, in the order they first appear.
fn breakdown(items: &[UnitItemRow]) -> Vec<(String, i64)> {
    let mut counts: Vec<(String, i64)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(t, _)| *t == item.unit_id) {
            Some((_, n)) => *n += 1,
            None => counts.push((item.unit_id.clone(), 1)),
        }
    }
    counts
}
