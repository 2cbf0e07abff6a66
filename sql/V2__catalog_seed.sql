-- Seed catalog: packages 106-108, their price matrix (cents) and entitlements, and the channel split.
-- Editable later by admins; this is only the starting point.

INSERT INTO products (id, name, description, capacity) VALUES
    (106, 'Premium Plan', 'Harbour cruise with buffet lunch and the kids'' playground.', 5000),
    (107, 'Pet Plan', 'Harbour cruise for you and your pet, with the on-board pet area.', 4000),
    (108, 'Deluxe Plan', 'Harbour cruise with buffet and the VIP lounge.', 3000);

INSERT INTO product_prices (product_id, customer_type, position, weekday_cents, weekend_cents) VALUES
    (106, 'adult',   1, 28800, 31800),
    (106, 'child',   2, 18800, 21800),
    (106, 'elderly', 3, 23800, 26800),
    (106, 'student', 4, 23800, 26800),
    (107, 'adult',   1, 18800, 22800),
    (107, 'child',   2,  3800,  7800),
    (107, 'family',  3,  8800, 12800),
    (107, 'elderly', 4, 11300, 15300),
    (108, 'adult',   1, 78800, 86800),
    (108, 'vip',     2, 58800, 66800),
    (108, 'elderly', 3, 68800, 76800);

-- A ferry ride is a round trip: two uses, one out and one back.
INSERT INTO product_entitlements (product_id, function_code, name, uses, position) VALUES
    (106, 'ferry',      'Ferry ride (round trip)', 2, 1),
    (106, 'buffet',     'Buffet lunch',            1, 2),
    (106, 'playground', 'Playground visit',        1, 3),
    (107, 'ferry',      'Ferry ride (round trip)', 2, 1),
    (107, 'pet_area',   'Pet area',                1, 2),
    (108, 'ferry',      'Ferry ride (round trip)', 2, 1),
    (108, 'buffet',     'Buffet lunch',            1, 2),
    (108, 'vip_lounge', 'VIP lounge',              1, 3);

INSERT INTO inventory (product_id, channel, allocated) VALUES
    (106, 'ota', 2000), (106, 'direct', 3000),
    (107, 'ota', 1500), (107, 'direct', 2500),
    (108, 'ota', 1500), (108, 'direct', 1500);
