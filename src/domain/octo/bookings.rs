//! The OCTO booking use cases of a hold (confirm and cancel are `sale.rs`). Each opens one
//! transaction with its audit row and composes the steps of the tables' owners: a hold is
//! `reservations::hold` (the same units the classic API takes), and PATCH moves or resizes it
//! with `reservations::resize`. Bad input is refused before anything changes, and any refusal
//! after a change rolls it back: never a partial hold.

use rusqlite::Transaction;

use super::super::audit;
use super::super::catalog;
use super::super::reservations;
use super::availability::{self, check_currency};
use super::products::{self, check_option, check_unit};
use super::requests::{
    check_details, hold_until, people, BookingQuery, ExtendRequest, ReserveRequest, UpdateRequest,
};
use super::rows::{self, BookingRow, Filter};
use super::view::{self, Booking, BookingStatus, State};
use super::{bad_request, invalid_booking, parse_uuid, unprocessable, Capabilities, Terms};
use crate::clock;
use crate::domain::Ctx;
use crate::error::AppError;
use crate::ids;

/// `POST /bookings`: holds one unit per person on the OTA channel, ON_HOLD until confirmed or
/// expired. The booking's uuid is the idempotency key: the same uuid with the same request
/// returns the booking (holding nothing more), with another request is `INVALID_BOOKING_UUID`.
pub fn reserve(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    req: ReserveRequest,
) -> Result<Booking, AppError> {
    let terms = Terms::of(ctx, caps);
    let uuid = match &req.uuid {
        Some(u) => parse_uuid(u)?,
        None => ids::new_uuid(),
    };
    let fingerprint = ReserveRequest {
        uuid: Some(uuid.clone()),
        ..req.clone()
    };
    let request_hash = ids::sha256_hex(&serde_json::to_vec(&fingerprint)?);
    ctx.db.write(move |tx| {
        if let Some(existing) = rows::find(tx, partner_id, &uuid)? {
            if existing.request_hash != request_hash {
                return Err(invalid_booking(
                    &uuid,
                    "This uuid was already used for another booking.",
                ));
            }
            return view::booking(tx, &existing, &terms);
        }
        let package = products::resolve(tx, req.product_id.as_deref())?;
        check_option(req.option_id.as_deref())?;
        let visit_date = availability::parse_slot(&terms.venue, req.availability_id.as_deref())?;
        let items = people(&package, &[], req.unit_items.as_deref())?;
        let contact = req.contact.unwrap_or_default();
        check_details(
            &contact,
            req.reseller_reference.as_deref(),
            req.notes.as_deref(),
        )?;
        check_currency(req.currency.as_deref(), &terms)?;
        let until = hold_until(req.expiration_minutes, &terms)?;
        let quantity = items.len() as i64;
        let hold = reservations::hold(tx, partner_id, package, quantity, until, &terms.currency)?;
        let now = clock::to_db(clock::now());
        let row = BookingRow {
            id: ids::new_uuid(),
            partner_id,
            uuid,
            request_hash,
            reservation_id: hold.reservation_id,
            order_id: None,
            visit_date,
            supplier_reference: ids::new_reference(10),
            reseller_reference: req.reseller_reference,
            notes: req.notes,
            contact,
            created_at: now.clone(),
            updated_at: now,
            confirmed_at: None,
            cancelled_at: None,
            cancellation_reason: None,
        };
        rows::insert(tx, &row)?;
        rows::replace_items(tx, &row.id, &items)?;
        let summary = serde_json::json!({"product_id": hold.product_id, "quantity": quantity,
            "visit_date": clock::date_to_db(visit_date), "reserved_until": hold.reserved_until});
        record(tx, &row, "octo.booking.reserve", summary)?;
        view::booking(tx, &row, &terms)
    })
}

/// `POST /bookings/{uuid}/extend`: the hold now ends `expirationMinutes` from now.
pub fn extend(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    uuid: &str,
    req: ExtendRequest,
) -> Result<Booking, AppError> {
    change(ctx, caps, partner_id, uuid, move |tx, row, st, terms| {
        require(st.status, BookingStatus::OnHold, "extended")?;
        let until = hold_until(req.expiration_minutes, terms)?;
        reservations::extend(tx, &st.reservation, until)?;
        rows::save(tx, &row)?;
        let summary = serde_json::json!({"reserved_until": clock::to_db(until)});
        record(tx, &row, "octo.booking.extend", summary)?;
        Ok(row)
    })
}

/// `PATCH /bookings/{uuid}`: on hold, anything may change — the product, the date, the people
/// (the hold follows, atomically, or nothing changes) and how long it is held; once confirmed,
/// only the contact, notes and reseller reference.
pub fn update(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    uuid: &str,
    req: UpdateRequest,
) -> Result<Booking, AppError> {
    change(
        ctx,
        caps,
        partner_id,
        uuid,
        move |tx, mut row, st, terms| {
            let moves = req.product_id.is_some()
                || req.option_id.is_some()
                || req.availability_id.is_some()
                || req.unit_items.is_some()
                || req.expiration_minutes.is_some();
            match st.status {
            BookingStatus::OnHold => {}
            BookingStatus::Confirmed if !moves => {}
            BookingStatus::Confirmed => return Err(unprocessable(
                "A confirmed booking can change only its contact, notes and reseller reference; cancel it and book again to change the product, date or people.",
            )),
            other => return Err(unprocessable(format!("A {} booking cannot be changed.", other.as_str()))),
        }
            let package = match &req.product_id {
                Some(id) => products::resolve(tx, Some(id))?,
                None => catalog::product(tx, st.reservation.product_id, "product_id")?,
            };
            if req.option_id.is_some() || req.product_id.is_some() {
                check_option(Some(
                    req.option_id.as_deref().unwrap_or(products::OPTION_ID),
                ))?;
            }
            if let Some(id) = &req.availability_id {
                row.visit_date = availability::parse_slot(&terms.venue, Some(id))?;
            }
            let current = rows::items(tx, &row.id)?;
            let items = match &req.unit_items {
                Some(asked) => people(&package, &current, Some(asked))?,
                None => {
                    for item in &current {
                        check_unit(&package, Some(&item.unit_id))?;
                    }
                    current.clone()
                }
            };
            let notes = req.notes.clone().unwrap_or(row.notes.clone());
            let contact = req.contact.clone().unwrap_or(row.contact.clone());
            check_details(
                &contact,
                req.reseller_reference.as_deref(),
                notes.as_deref(),
            )?;
            let mut hold = st.reservation;
            let quantity = items.len() as i64;
            if package.product_id != hold.product_id || quantity != hold.quantity {
                hold = reservations::resize(tx, &hold, package, quantity)?;
            }
            if req.expiration_minutes.is_some() {
                reservations::extend(tx, &hold, hold_until(req.expiration_minutes, terms)?)?;
            }
            (row.notes, row.contact) = (notes, contact);
            if let Some(r) = req.reseller_reference {
                row.reseller_reference = Some(r);
            }
            rows::save(tx, &row)?;
            rows::replace_items(tx, &row.id, &items)?;
            let summary = serde_json::json!({"product_id": hold.product_id, "quantity": quantity,
            "visit_date": clock::date_to_db(row.visit_date), "status": st.status.as_str()});
            record(tx, &row, "octo.booking.update", summary)?;
            Ok(row)
        },
    )
}

/// `GET /bookings/{uuid}`.
pub fn get(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    uuid: &str,
) -> Result<Booking, AppError> {
    let terms = Terms::of(ctx, caps);
    ctx.db
        .read(|c| view::booking(c, &load(c, partner_id, uuid)?, &terms))
}

/// `GET /bookings`: the partner's bookings by reference or visit date (at least one of them),
/// newest first, at most [`rows::LIST_LIMIT`].
pub fn list(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    q: BookingQuery,
) -> Result<Vec<Booking>, AppError> {
    let terms = Terms::of(ctx, caps);
    let date = |v: &Option<String>, field: &str| {
        v.as_deref()
            .map(|s| {
                clock::parse_date(s)
                    .map(clock::date_to_db)
                    .ok_or_else(|| bad_request(format!("{field} must be YYYY-MM-DD")))
            })
            .transpose()
    };
    let (on, from, to) = (
        date(&q.local_date, "localDate")?,
        date(&q.local_date_start, "localDateStart")?,
        date(&q.local_date_end, "localDateEnd")?,
    );
    if from.is_some() != to.is_some() {
        return Err(bad_request("send localDateStart and localDateEnd together"));
    }
    let references = q.reseller_reference.is_some() || q.supplier_reference.is_some();
    if !references && on.is_none() && from.is_none() {
        return Err(bad_request(
            "send resellerReference, supplierReference, localDate or localDateStart and localDateEnd",
        ));
    }
    ctx.db.read(|c| {
        let product_id = match &q.product_id {
            Some(id) => Some(products::resolve(c, Some(id))?.product_id),
            None => None,
        };
        if q.option_id.is_some() {
            check_option(q.option_id.as_deref())?;
        }
        let filter = Filter {
            reseller_reference: q.reseller_reference.clone(),
            supplier_reference: q
                .supplier_reference
                .as_ref()
                .map(|s| s.trim().to_ascii_uppercase()),
            date_from: from.or(on.clone()),
            date_to: to.or(on),
            product_id,
        };
        rows::list(c, partner_id, &filter)?
            .iter()
            .map(|row| view::booking(c, row, &terms))
            .collect()
    })
}

/// The frame of every change to a booking: one transaction that finds the partner's booking and
/// where it stands, lets `f` change it (writing its audit row), and answers it as it is then.
pub(super) fn change(
    ctx: &Ctx,
    caps: Capabilities,
    partner_id: i64,
    uuid: &str,
    f: impl FnOnce(&Transaction<'_>, BookingRow, State, &Terms) -> Result<BookingRow, AppError>
        + Send
        + 'static,
) -> Result<Booking, AppError> {
    let (terms, uuid) = (Terms::of(ctx, caps), uuid.to_owned());
    ctx.db.write(move |tx| {
        let row = load(tx, partner_id, &uuid)?;
        let st = view::state(tx, &row)?;
        let row = f(tx, row, st, &terms)?;
        view::booking(tx, &row, &terms)
    })
}

/// The partner's booking with this uuid, or `INVALID_BOOKING_UUID`.
fn load(conn: &rusqlite::Connection, partner_id: i64, uuid: &str) -> Result<BookingRow, AppError> {
    rows::find(conn, partner_id, &parse_uuid(uuid)?)?
        .ok_or_else(|| invalid_booking(uuid, "There is no booking with this uuid."))
}

pub(super) fn require(
    status: BookingStatus,
    wanted: BookingStatus,
    what: &str,
) -> Result<(), AppError> {
    if status == wanted {
        return Ok(());
    }
    Err(unprocessable(format!(
        "Only a booking {} can be {what}; this one is {}.",
        wanted.as_str(),
        status.as_str()
    )))
}

/// The audit row of an OCTO use case: `octo.booking.*`, naming the surface, the booking's uuid
/// and its reservation (which the shared steps' own rows name too).
pub(super) fn record(
    tx: &Transaction<'_>,
    row: &BookingRow,
    action: &str,
    mut summary: serde_json::Value,
) -> Result<(), AppError> {
    summary["surface"] = "octo".into();
    summary["uuid"] = row.uuid.clone().into();
    summary["reservation_id"] = row.reservation_id.clone().into();
    audit::by_partner(
        tx,
        row.partner_id,
        action,
        ("octo_booking", &row.id),
        summary,
    )
}
