-- The expiry sweep visits the unpaid orders of both channels: a direct order past its expiry
-- gives its units back; an OTA order expires with its reservation.
DROP INDEX orders_unpaid_direct_by_expiry;
CREATE INDEX orders_unpaid_by_expiry ON orders(channel, expires_at) WHERE status = 'PENDING_PAYMENT';
