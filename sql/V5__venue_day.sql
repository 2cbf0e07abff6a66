-- The venue's day (issue 17). The passenger list reads the tickets of one visit date; staff look
-- tickets and orders up by holder email and payment reference and work the refund queue; the
-- dashboard counts pre-generated vouchers apart from live holds. Partial indexes: a pre-generated
-- voucher has no visit date, email or reference, so a 5000-ticket batch adds one entry per ticket
-- (to tickets_pre_generated), not five.
CREATE INDEX tickets_by_visit_date ON tickets(visit_date, product_id) WHERE visit_date IS NOT NULL;
CREATE INDEX tickets_by_email ON tickets(customer_email COLLATE NOCASE) WHERE customer_email IS NOT NULL;
CREATE INDEX tickets_by_payment_reference ON tickets(payment_reference) WHERE payment_reference IS NOT NULL;
CREATE INDEX tickets_pre_generated ON tickets(product_id, channel) WHERE status = 'PRE_GENERATED';
CREATE INDEX orders_by_email ON orders(customer_email COLLATE NOCASE);
CREATE INDEX orders_by_payment_reference ON orders(payment_reference) WHERE payment_reference IS NOT NULL;
CREATE INDEX orders_by_status ON orders(status, created_at);
