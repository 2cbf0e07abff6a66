-- OCTO bookings (issue 18): a reseller's booking over the OCTO API. There is one inventory: the
-- booking's hold is an OTA reservation and its sale an OTA order with tickets, so stock and the
-- books are exactly those of the classic API. These tables keep only what OCTO adds.

CREATE TABLE octo_bookings (
    -- Our id of the booking (OCTO `id`); the reseller's id is `uuid`.
    id                  TEXT PRIMARY KEY,
    partner_id          INTEGER NOT NULL REFERENCES partners(id),
    uuid                TEXT NOT NULL,
    -- Fingerprint of the POST /bookings that created it: a retry with the same uuid and the same
    -- request answers the booking, the same uuid with another request is refused.
    request_hash        TEXT NOT NULL,
    -- The hold. PATCH resizes or moves it in place, so a booking keeps one reservation for life.
    reservation_id      TEXT NOT NULL UNIQUE REFERENCES reservations(id),
    -- Set by confirm (the order is paid in the same transaction).
    order_id            TEXT UNIQUE REFERENCES orders(id),
    -- The availability: a local date at the venue.
    visit_date          TEXT NOT NULL,
    supplier_reference  TEXT NOT NULL UNIQUE,
    reseller_reference  TEXT,
    notes               TEXT,
    -- OCTO contact objects as sent (JSON).
    contact             TEXT NOT NULL DEFAULT '{}',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    confirmed_at        TEXT,
    cancelled_at        TEXT,
    cancellation_reason TEXT,
    -- The uuid is the reseller's idempotency key: one booking per uuid and partner, whatever the
    -- concurrency (the write that inserts it is one IMMEDIATE transaction).
    UNIQUE (partner_id, uuid),
    CHECK (confirmed_at IS NULL OR order_id IS NOT NULL)
) WITHOUT ROWID;
CREATE INDEX octo_bookings_by_reseller_reference ON octo_bookings(partner_id, reseller_reference);
CREATE INDEX octo_bookings_by_visit_date ON octo_bookings(partner_id, visit_date);

-- One row per person (OCTO unit item); the unit is a customer type of the booking's package.
-- Once confirmed, each item has its own ticket.
CREATE TABLE octo_unit_items (
    booking_id         TEXT NOT NULL REFERENCES octo_bookings(id),
    position           INTEGER NOT NULL,
    uuid               TEXT NOT NULL,
    unit_id            TEXT NOT NULL,
    reseller_reference TEXT,
    contact            TEXT NOT NULL DEFAULT '{}',
    ticket_id          INTEGER UNIQUE REFERENCES tickets(id),
    PRIMARY KEY (booking_id, position),
    UNIQUE (booking_id, uuid)
) WITHOUT ROWID;
