-- Gangway schema. Append-only: change it with a new V{n}__*.sql file.
-- Timestamps are RFC 3339 UTC text ('2025-11-15T08:00:00Z'), which sorts chronologically as text.
-- Money is integer cents.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('customer', 'venue', 'staff', 'admin')),
    created_at    TEXT NOT NULL
);

-- Login tokens, stored as SHA-256 so a copy of the database does not hand out sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE partners (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    contact_email TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at    TEXT NOT NULL
);

-- API keys: only a SHA-256 hash and a short prefix are kept; the key itself is shown once.
CREATE TABLE api_keys (
    id                    INTEGER PRIMARY KEY,
    partner_id            INTEGER NOT NULL REFERENCES partners(id),
    label                 TEXT NOT NULL DEFAULT '',
    prefix                TEXT NOT NULL,
    key_hash              TEXT NOT NULL UNIQUE,
    rate_limit_per_minute INTEGER CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
    created_at            TEXT NOT NULL,
    revoked_at            TEXT
);
CREATE INDEX api_keys_by_prefix ON api_keys(prefix);
CREATE INDEX api_keys_by_partner ON api_keys(partner_id);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    capacity    INTEGER NOT NULL CHECK (capacity >= 0)
);

CREATE TABLE product_prices (
    product_id    INTEGER NOT NULL REFERENCES products(id),
    customer_type TEXT NOT NULL,
    position      INTEGER NOT NULL,
    weekday_cents INTEGER NOT NULL CHECK (weekday_cents >= 0),
    weekend_cents INTEGER NOT NULL CHECK (weekend_cents >= 0),
    PRIMARY KEY (product_id, customer_type)
) WITHOUT ROWID;

CREATE TABLE product_entitlements (
    product_id    INTEGER NOT NULL REFERENCES products(id),
    function_code TEXT NOT NULL,
    name          TEXT NOT NULL,
    uses          INTEGER NOT NULL CHECK (uses > 0),
    position      INTEGER NOT NULL,
    PRIMARY KEY (product_id, function_code)
) WITHOUT ROWID;

-- Holidays price as weekend days.
CREATE TABLE holidays (
    date TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- The one promise: per package and channel, 0 <= held + sold <= allocated, at every commit.
-- The application checks in the same UPDATE that changes the counters; these CHECKs are the last
-- line of defence should a code path ever forget.
CREATE TABLE inventory (
    product_id INTEGER NOT NULL REFERENCES products(id),
    channel    TEXT NOT NULL CHECK (channel IN ('direct', 'ota')),
    allocated  INTEGER NOT NULL CHECK (allocated >= 0),
    held       INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold       INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    used       INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= sold),
    CHECK (held + sold <= allocated),
    PRIMARY KEY (product_id, channel)
) WITHOUT ROWID;

-- Allocations of a package never add up to more than its capacity.
CREATE TRIGGER inventory_within_capacity_on_update
AFTER UPDATE OF allocated ON inventory
WHEN (SELECT SUM(allocated) FROM inventory WHERE product_id = NEW.product_id)
   > (SELECT capacity FROM products WHERE id = NEW.product_id)
BEGIN
    SELECT RAISE(ABORT, 'allocations exceed capacity');
END;

CREATE TRIGGER products_capacity_covers_allocations
AFTER UPDATE OF capacity ON products
WHEN (SELECT COALESCE(SUM(allocated), 0) FROM inventory WHERE product_id = NEW.id) > NEW.capacity
BEGIN
    SELECT RAISE(ABORT, 'allocations exceed capacity');
END;

-- OTA holds. Units count as held while ACTIVE or ORDERED (ordered but unpaid).
CREATE TABLE reservations (
    id               TEXT PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners(id),
    product_id       INTEGER NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 5000),
    status           TEXT NOT NULL CHECK (status IN ('ACTIVE', 'ORDERED', 'ACTIVATED', 'EXPIRED', 'CANCELLED')),
    reserved_until   TEXT NOT NULL,
    pricing_snapshot TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX reservations_live_by_expiry ON reservations(reserved_until) WHERE status IN ('ACTIVE', 'ORDERED');
CREATE INDEX reservations_by_partner ON reservations(partner_id, created_at);

-- Orders of both channels. OTA orders come from one reservation (which holds their units);
-- direct orders hold their units themselves while PENDING_PAYMENT.
CREATE TABLE orders (
    id                TEXT PRIMARY KEY,
    channel           TEXT NOT NULL CHECK (channel IN ('direct', 'ota')),
    partner_id        INTEGER REFERENCES partners(id),
    user_id           INTEGER REFERENCES users(id),
    reservation_id    TEXT UNIQUE REFERENCES reservations(id),
    customer_name     TEXT NOT NULL DEFAULT '',
    customer_email    TEXT NOT NULL DEFAULT '',
    customer_phone    TEXT,
    visit_date        TEXT NOT NULL,
    amount_cents      INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('PENDING_PAYMENT', 'PAID', 'EXPIRED', 'CANCELLED', 'REFUND_REQUIRED')),
    payment_reference TEXT,
    expires_at        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    paid_at           TEXT,
    CHECK ((channel = 'ota') = (partner_id IS NOT NULL AND reservation_id IS NOT NULL)),
    CHECK ((channel = 'direct') = (user_id IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX orders_unpaid_direct_by_expiry ON orders(expires_at) WHERE status = 'PENDING_PAYMENT' AND channel = 'direct';
CREATE INDEX orders_by_user ON orders(user_id, created_at);
CREATE INDEX orders_by_partner ON orders(partner_id, created_at);

CREATE TABLE order_lines (
    order_id        TEXT NOT NULL REFERENCES orders(id),
    line_no         INTEGER NOT NULL,
    product_id      INTEGER NOT NULL REFERENCES products(id),
    customer_type   TEXT NOT NULL,
    count           INTEGER NOT NULL CHECK (count > 0),
    day_type        TEXT NOT NULL CHECK (day_type IN ('weekday', 'weekend')),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    subtotal_cents  INTEGER NOT NULL CHECK (subtotal_cents >= 0),
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

-- Every payment notification or activation ever received, kept even when it changes nothing,
-- so that no paid order is ever lost. The first answer to a (order, reference, status) is replayed.
CREATE TABLE payments (
    id                INTEGER PRIMARY KEY,
    order_id          TEXT NOT NULL,
    payment_reference TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FAILED')),
    source            TEXT NOT NULL CHECK (source IN ('webhook', 'activate', 'ticket_activate')),
    amount_cents      INTEGER,
    currency          TEXT,
    outcome           TEXT NOT NULL,
    response          TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    UNIQUE (order_id, payment_reference, status, source)
);

CREATE TABLE batches (
    id                TEXT PRIMARY KEY,
    partner_id        INTEGER NOT NULL REFERENCES partners(id),
    product_id        INTEGER NOT NULL REFERENCES products(id),
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 5000),
    distribution_mode TEXT NOT NULL CHECK (distribution_mode IN ('direct_sale', 'reseller_batch')),
    reseller_metadata TEXT,
    expires_at        TEXT NOT NULL,
    created_at        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX batches_by_partner ON batches(partner_id, created_at);

-- Tickets of both channels. Units count as held while PRE_GENERATED, sold while ACTIVE or USED.
CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    product_id        INTEGER NOT NULL REFERENCES products(id),
    channel           TEXT NOT NULL CHECK (channel IN ('direct', 'ota')),
    partner_id        INTEGER REFERENCES partners(id),
    user_id           INTEGER REFERENCES users(id),
    order_id          TEXT REFERENCES orders(id),
    batch_id          TEXT REFERENCES batches(id),
    status            TEXT NOT NULL CHECK (status IN ('PRE_GENERATED', 'ACTIVE', 'USED', 'EXPIRED', 'CANCELLED')),
    customer_type     TEXT,
    price_cents       INTEGER CHECK (price_cents IS NULL OR price_cents >= 0),
    visit_date        TEXT,
    customer_name     TEXT,
    customer_email    TEXT,
    customer_phone    TEXT,
    payment_reference TEXT,
    created_at        TEXT NOT NULL,
    activated_at      TEXT,
    used_at           TEXT,
    cancelled_at      TEXT
);
CREATE INDEX tickets_by_partner ON tickets(partner_id, created_at, id);
CREATE INDEX tickets_by_partner_status ON tickets(partner_id, status, created_at, id);
CREATE INDEX tickets_by_batch ON tickets(batch_id, id);
CREATE INDEX tickets_by_order ON tickets(order_id);
CREATE INDEX tickets_by_user ON tickets(user_id, created_at);

CREATE TABLE ticket_entitlements (
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    function_code  TEXT NOT NULL,
    total_uses     INTEGER NOT NULL CHECK (total_uses > 0),
    remaining_uses INTEGER NOT NULL CHECK (remaining_uses >= 0 AND remaining_uses <= total_uses),
    PRIMARY KEY (ticket_id, function_code)
) WITHOUT ROWID;

CREATE TABLE redemptions (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    function_code TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    venue_code    TEXT,
    session_code  TEXT,
    scan_id       TEXT UNIQUE,
    response      TEXT NOT NULL,
    redeemed_at   TEXT NOT NULL
);
CREATE INDEX redemptions_by_ticket ON redemptions(ticket_id);

-- Stored in the same transaction as the effect, so a replay can never disagree with what happened.
CREATE TABLE idempotency_keys (
    partner_id      INTEGER NOT NULL REFERENCES partners(id),
    idempotency_key TEXT NOT NULL,
    route           TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (partner_id, idempotency_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('user', 'partner', 'gateway', 'system')),
    actor_id    INTEGER,
    partner_id  INTEGER,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_time ON audit_log(at);
CREATE INDEX audit_by_partner ON audit_log(partner_id, at);
CREATE INDEX audit_by_action ON audit_log(action, at);
