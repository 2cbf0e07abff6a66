//! The `octo_bookings` and `octo_unit_items` tables: every statement that reads or writes them.
//! Steps only; the use cases are `bookings.rs`.

use rusqlite::{params, Connection, Row, Transaction};
use time::Date;

use super::contact::Contact;
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;

/// A stored booking: what OCTO adds to its reservation (and, once confirmed, its order).
#[derive(Debug, Clone)]
pub(super) struct BookingRow {
    pub id: String,
    pub partner_id: i64,
    pub uuid: String,
    pub request_hash: String,
    pub reservation_id: String,
    pub order_id: Option<String>,
    pub visit_date: Date,
    pub supplier_reference: String,
    pub reseller_reference: Option<String>,
    pub notes: Option<String>,
    pub contact: Contact,
    pub created_at: String,
    pub updated_at: String,
    pub confirmed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancellation_reason: Option<String>,
}

/// One person of a booking; `ticket_id` once confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UnitItemRow {
    pub uuid: String,
    pub unit_id: String,
    pub reseller_reference: Option<String>,
    pub contact: Contact,
    pub ticket_id: Option<i64>,
}

const COLUMNS: &str =
    "b.id, b.partner_id, b.uuid, b.request_hash, b.reservation_id, b.order_id, b.visit_date,
    b.supplier_reference, b.reseller_reference, b.notes, b.contact, b.created_at, b.updated_at,
    b.confirmed_at, b.cancelled_at, b.cancellation_reason";

fn contact_of(raw: &str, column: &str) -> Result<Contact, AppError> {
    serde_json::from_str(raw).map_err(|_| AppError::corrupt(column, raw))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(BookingRow, String, String)> {
    Ok((
        BookingRow {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            uuid: r.get(2)?,
            request_hash: r.get(3)?,
            reservation_id: r.get(4)?,
            order_id: r.get(5)?,
            visit_date: Date::MIN,
            supplier_reference: r.get(7)?,
            reseller_reference: r.get(8)?,
            notes: r.get(9)?,
            contact: Contact::default(),
            created_at: r.get(11)?,
            updated_at: r.get(12)?,
            confirmed_at: r.get(13)?,
            cancelled_at: r.get(14)?,
            cancellation_reason: r.get(15)?,
        },
        r.get(6)?,
        r.get(10)?,
    ))
}

fn finish((mut row, date, contact): (BookingRow, String, String)) -> Result<BookingRow, AppError> {
    row.visit_date = clock::date_from_db(&date, "octo_bookings.visit_date")?;
    row.contact = contact_of(&contact, "octo_bookings.contact")?;
    Ok(row)
}

/// A partner's booking by its uuid.
pub(super) fn find(
    conn: &Connection,
    partner_id: i64,
    uuid: &str,
) -> Result<Option<BookingRow>, AppError> {
    conn.try_query_row(
        &format!("SELECT {COLUMNS} FROM octo_bookings b WHERE b.partner_id = ?1 AND b.uuid = ?2"),
        params![partner_id, uuid],
        from_row,
    )?
    .map(finish)
    .transpose()
}

/// What `GET /bookings` filters on, already checked; dates as stored.
#[derive(Debug, Default)]
pub(super) struct Filter {
    pub reseller_reference: Option<String>,
    pub supplier_reference: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub product_id: Option<i64>,
}

/// The most bookings one list answers (OCTO lists have no pages), newest first.
pub(super) const LIST_LIMIT: i64 = 500;

pub(super) fn list(
    conn: &Connection,
    partner_id: i64,
    f: &Filter,
) -> Result<Vec<BookingRow>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM octo_bookings b JOIN reservations r ON r.id = b.reservation_id
         WHERE b.partner_id = ?1 AND (?2 IS NULL OR b.reseller_reference = ?2)
           AND (?3 IS NULL OR b.supplier_reference = ?3) AND (?4 IS NULL OR b.visit_date >= ?4)
           AND (?5 IS NULL OR b.visit_date <= ?5) AND (?6 IS NULL OR r.product_id = ?6)
         ORDER BY b.created_at DESC, b.id LIMIT ?7"
    );
    let found = conn
        .prepare_cached(&sql)?
        .query_map(
            params![
                partner_id,
                f.reseller_reference,
                f.supplier_reference,
                f.date_from,
                f.date_to,
                f.product_id,
                LIST_LIMIT
            ],
            from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    found.into_iter().map(finish).collect()
}

pub(super) fn insert(tx: &Transaction<'_>, b: &BookingRow) -> Result<(), AppError> {
    tx.prepare_cached(
        "INSERT INTO octo_bookings (id, partner_id, uuid, request_hash, reservation_id, visit_date, supplier_reference,
             reseller_reference, notes, contact, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        b.id,
        b.partner_id,
        b.uuid,
        b.request_hash,
        b.reservation_id,
        clock::date_to_db(b.visit_date),
        b.supplier_reference,
        b.reseller_reference,
        b.notes,
        serde_json::to_string(&b.contact)?,
        b.created_at,
    ])?;
    Ok(())
}

/// Writes back what a use case changed (everything but the identity and the hold).
pub(super) fn save(tx: &Transaction<'_>, b: &BookingRow) -> Result<(), AppError> {
    tx.prepare_cached(
        "UPDATE octo_bookings SET order_id = ?2, visit_date = ?3, reseller_reference = ?4, notes = ?5, contact = ?6,
             updated_at = ?7, confirmed_at = ?8, cancelled_at = ?9, cancellation_reason = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        b.id,
        b.order_id,
        clock::date_to_db(b.visit_date),
        b.reseller_reference,
        b.notes,
        serde_json::to_string(&b.contact)?,
        clock::to_db(clock::now()),
        b.confirmed_at,
        b.cancelled_at,
        b.cancellation_reason,
    ])?;
    Ok(())
}

/// The booking's people, in order.
pub(super) fn items(conn: &Connection, booking_id: &str) -> Result<Vec<UnitItemRow>, AppError> {
    let rows = conn
        .prepare_cached(
            "SELECT uuid, unit_id, reseller_reference, contact, ticket_id FROM octo_unit_items
             WHERE booking_id = ?1 ORDER BY position",
        )?
        .query_map([booking_id], |r| {
            Ok((
                UnitItemRow {
                    uuid: r.get(0)?,
                    unit_id: r.get(1)?,
                    reseller_reference: r.get(2)?,
                    contact: Contact::default(),
                    ticket_id: r.get(4)?,
                },
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(mut item, contact)| {
            item.contact = contact_of(&contact, "octo_unit_items.contact")?;
            Ok(item)
        })
        .collect()
}

/// The booking's people are now `items`, in this order (the old list is replaced).
pub(super) fn replace_items(
    tx: &Transaction<'_>,
    booking_id: &str,
    items: &[UnitItemRow],
) -> Result<(), AppError> {
    tx.prepare_cached("DELETE FROM octo_unit_items WHERE booking_id = ?1")?
        .execute([booking_id])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO octo_unit_items (booking_id, position, uuid, unit_id, reseller_reference, contact, ticket_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (n, item) in items.iter().enumerate() {
        stmt.execute(params![
            booking_id,
            n as i64 + 1,
            item.uuid,
            item.unit_id,
            item.reseller_reference,
            serde_json::to_string(&item.contact)?,
            item.ticket_id,
        ])?;
    }
    Ok(())
}
