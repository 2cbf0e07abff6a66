-- The reseller registry of each OTA partner (B2B2C). Batches point at a reseller by id.

CREATE TABLE ota_resellers (
    id                  INTEGER PRIMARY KEY,
    partner_id          INTEGER NOT NULL REFERENCES partners(id),
    reseller_code       TEXT NOT NULL,
    reseller_name       TEXT NOT NULL,
    contact_email       TEXT,
    contact_phone       TEXT,
    -- Commission in basis points (1000 = 10 %): stored exactly, settlement stays in integers.
    commission_bp       INTEGER NOT NULL DEFAULT 1000 CHECK (commission_bp BETWEEN 0 AND 10000),
    contract_start_date TEXT,
    contract_end_date   TEXT,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'inactive')),
    settlement_cycle    TEXT NOT NULL DEFAULT 'monthly' CHECK (settlement_cycle IN ('weekly', 'monthly', 'quarterly')),
    region              TEXT,
    tier                TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    -- A partner's codes are its own namespace; two partners may both have reseller "R001".
    UNIQUE (partner_id, reseller_code)
);
CREATE INDEX ota_resellers_by_partner_status ON ota_resellers(partner_id, status);

ALTER TABLE batches ADD COLUMN reseller_id INTEGER REFERENCES ota_resellers(id);
CREATE INDEX batches_by_reseller ON batches(reseller_id);

-- Data migration: batches made before the registry named their reseller only in free metadata
-- (`intended_reseller`). Register each distinct name once per partner, with a generated code
-- (MIGRATED-001, -002, … in order of first use), and link the batches to it.
INSERT INTO ota_resellers (partner_id, reseller_code, reseller_name, created_at, updated_at)
SELECT partner_id,
       'MIGRATED-' || printf('%03d', ROW_NUMBER() OVER (PARTITION BY partner_id ORDER BY first_used, name)),
       name, first_used, first_used
FROM (
    SELECT partner_id, trim(json_extract(reseller_metadata, '$.intended_reseller')) AS name, MIN(created_at) AS first_used
    FROM batches
    WHERE json_valid(reseller_metadata)
      AND json_type(reseller_metadata, '$.intended_reseller') = 'text'
      AND trim(json_extract(reseller_metadata, '$.intended_reseller')) <> ''
    GROUP BY partner_id, trim(json_extract(reseller_metadata, '$.intended_reseller'))
);

UPDATE batches SET reseller_id = (
    SELECT r.id FROM ota_resellers r
    WHERE r.partner_id = batches.partner_id
      AND r.reseller_name = trim(json_extract(batches.reseller_metadata, '$.intended_reseller')))
WHERE reseller_id IS NULL
  AND json_valid(reseller_metadata)
  AND json_type(reseller_metadata, '$.intended_reseller') = 'text';
