//! Each OTA partner's registry of sub-resellers (B2B2C). Codes are unique per partner; deleting
//! is soft (status `inactive`) so settlement history keeps its names.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use crate::clock;
use crate::db::{is_unique_violation, ConnExt};
use crate::error::AppError;

pub const STATUSES: [&str; 3] = ["active", "suspended", "inactive"];
pub const CYCLES: [&str; 3] = ["weekly", "monthly", "quarterly"];

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Reseller {
    pub id: i64,
    pub reseller_code: String,
    pub reseller_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// 0–1 (0.10 = 10 %).
    pub commission_rate: f64,
    pub contract_start_date: Option<String>,
    pub contract_end_date: Option<String>,
    /// `active`, `suspended` or `inactive`.
    pub status: String,
    /// `weekly`, `monthly` or `quarterly`.
    pub settlement_cycle: String,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Reseller {
    /// The commission in basis points, as stored and as settlement computes with it.
    pub fn commission_bp(&self) -> i64 {
        (self.commission_rate * 10_000.0).round() as i64
    }
}

/// Create (required: code and name) or update (every field optional) a reseller.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ResellerInput {
    pub reseller_code: Option<String>,
    pub reseller_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub commission_rate: Option<f64>,
    pub contract_start_date: Option<String>,
    pub contract_end_date: Option<String>,
    pub status: Option<String>,
    pub settlement_cycle: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
}

const COLUMNS: &str = "id, reseller_code, reseller_name, contact_email, contact_phone, commission_bp, contract_start_date,
    contract_end_date, status, settlement_cycle, region, tier, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Reseller> {
    Ok(Reseller {
        id: r.get(0)?,
        reseller_code: r.get(1)?,
        reseller_name: r.get(2)?,
        contact_email: r.get(3)?,
        contact_phone: r.get(4)?,
        commission_rate: r.get::<_, i64>(5)? as f64 / 10_000.0,
        contract_start_date: r.get(6)?,
        contract_end_date: r.get(7)?,
        status: r.get(8)?,
        settlement_cycle: r.get(9)?,
        region: r.get(10)?,
        tier: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

pub fn get(conn: &Connection, partner_id: i64, id: i64) -> Result<Reseller, AppError> {
    conn.try_query_row(
        &format!("SELECT {COLUMNS} FROM ota_resellers WHERE id = ?1 AND partner_id = ?2"),
        params![id, partner_id],
        from_row,
    )?
    .ok_or(AppError::NotFound)
}

pub fn list(
    conn: &Connection,
    partner_id: i64,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Reseller>, i64), AppError> {
    if let Some(s) = status {
        if !STATUSES.contains(&s) {
            return Err(AppError::validation(
                "status",
                "must be active, suspended or inactive",
            ));
        }
    }
    let total = conn.query_row(
        "SELECT COUNT(*) FROM ota_resellers WHERE partner_id = ?1 AND (?2 IS NULL OR status = ?2)",
        params![partner_id, status],
        |r| r.get(0),
    )?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM ota_resellers WHERE partner_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(params![partner_id, status, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

fn text(field: &str, v: &Option<String>, max: usize) -> Result<(), AppError> {
    match v {
        Some(s)
            if s.trim().is_empty()
                || s.chars().count() > max
                || s.chars().any(char::is_control) =>
        {
            Err(AppError::validation(
                field,
                format!("must be 1 to {max} printable characters"),
            ))
        }
        _ => Ok(()),
    }
}

fn one_of(field: &str, v: &Option<String>, allowed: &[&str]) -> Result<(), AppError> {
    match v {
        Some(s) if !allowed.contains(&s.as_str()) => Err(AppError::validation(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

fn date(field: &str, v: &Option<String>) -> Result<(), AppError> {
    match v {
        Some(s) if clock::parse_date(s).is_none() => {
            Err(AppError::validation(field, "expected a date YYYY-MM-DD"))
        }
        _ => Ok(()),
    }
}

/// Checks every present field; the merged record is checked again for the contract dates.
fn validate(r: &ResellerInput) -> Result<(), AppError> {
    text("reseller_name", &r.reseller_name, 200)?;
    if let Some(code) = &r.reseller_code {
        let ok = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok {
            return Err(AppError::validation(
                "reseller_code",
                "1 to 64 letters, digits, '-', '_' or '.'",
            ));
        }
    }
    if let Some(email) = &r.contact_email {
        super::accounts::validate_email(email)
            .map_err(|_| AppError::validation("contact_email", "must be an email address"))?;
    }
    text("contact_phone", &r.contact_phone, 40)?;
    text("region", &r.region, 100)?;
    text("tier", &r.tier, 50)?;
    if let Some(rate) = r.commission_rate {
        if !(0.0..=1.0).contains(&rate) || !rate.is_finite() {
            return Err(AppError::validation(
                "commission_rate",
                "must be between 0 and 1",
            ));
        }
    }
    date("contract_start_date", &r.contract_start_date)?;
    date("contract_end_date", &r.contract_end_date)?;
    one_of("status", &r.status, &STATUSES)?;
    one_of("settlement_cycle", &r.settlement_cycle, &CYCLES)
}

fn check_contract(r: &Reseller) -> Result<(), AppError> {
    if let (Some(start), Some(end)) = (&r.contract_start_date, &r.contract_end_date) {
        if end < start {
            return Err(AppError::validation(
                "contract_end_date",
                "must not be before contract_start_date",
            ));
        }
    }
    Ok(())
}

fn save(
    tx: &Transaction<'_>,
    partner_id: i64,
    r: &Reseller,
    insert: bool,
) -> Result<i64, AppError> {
    check_contract(r)?;
    let bp = r.commission_bp();
    let now = clock::to_db(clock::now());
    let sql = if insert {
        "INSERT INTO ota_resellers (partner_id, reseller_code, reseller_name, contact_email, contact_phone, commission_bp,
             contract_start_date, contract_end_date, status, settlement_cycle, region, tier, created_at, updated_at, id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, NULL)"
    } else {
        "UPDATE ota_resellers SET reseller_code = ?2, reseller_name = ?3, contact_email = ?4, contact_phone = ?5, commission_bp = ?6,
             contract_start_date = ?7, contract_end_date = ?8, status = ?9, settlement_cycle = ?10, region = ?11, tier = ?12,
             updated_at = ?13
         WHERE partner_id = ?1 AND id = ?14"
    };
    let p = params![
        partner_id,
        r.reseller_code,
        r.reseller_name,
        r.contact_email,
        r.contact_phone,
        bp,
        r.contract_start_date,
        r.contract_end_date,
        r.status,
        r.settlement_cycle,
        r.region,
        r.tier,
        now,
        r.id
    ];
    let result = if insert {
        tx.execute(sql, &p[..13])
    } else {
        tx.execute(sql, p)
    };
    match result {
        Err(e) if is_unique_violation(&e) => Err(AppError::DuplicateResellerCode),
        Err(e) => Err(e.into()),
        Ok(_) => Ok(if insert { tx.last_insert_rowid() } else { r.id }),
    }
}

pub fn create(
    tx: &Transaction<'_>,
    partner_id: i64,
    input: &ResellerInput,
) -> Result<Reseller, AppError> {
    validate(input)?;
    let code = input
        .reseller_code
        .clone()
        .ok_or_else(|| AppError::validation("reseller_code", "is required"))?;
    let name = input
        .reseller_name
        .clone()
        .ok_or_else(|| AppError::validation("reseller_name", "is required"))?;
    let draft = Reseller {
        id: 0,
        reseller_code: code,
        reseller_name: name.trim().to_owned(),
        contact_email: input.contact_email.clone(),
        contact_phone: input.contact_phone.clone(),
        commission_rate: input.commission_rate.unwrap_or(0.10),
        contract_start_date: input.contract_start_date.clone(),
        contract_end_date: input.contract_end_date.clone(),
        status: input.status.clone().unwrap_or_else(|| "active".into()),
        settlement_cycle: input
            .settlement_cycle
            .clone()
            .unwrap_or_else(|| "monthly".into()),
        region: input.region.clone(),
        tier: input.tier.clone(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    let id = save(tx, partner_id, &draft, true)?;
    audit::record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        "reseller.create",
        ("reseller", &id.to_string()),
        serde_json::json!({"reseller_code": draft.reseller_code}),
    )?;
    get(tx, partner_id, id)
}

pub fn update(
    tx: &Transaction<'_>,
    partner_id: i64,
    id: i64,
    input: &ResellerInput,
) -> Result<Reseller, AppError> {
    validate(input)?;
    let mut r = get(tx, partner_id, id)?;
    macro_rules! merge {
        ($($f:ident),*) => { $(if let Some(v) = &input.$f { r.$f = v.clone().into(); })* };
    }
    merge!(reseller_code, reseller_name, status, settlement_cycle);
    merge!(
        contact_email,
        contact_phone,
        contract_start_date,
        contract_end_date,
        region,
        tier
    );
    if let Some(rate) = input.commission_rate {
        r.commission_rate = rate;
    }
    save(tx, partner_id, &r, false)?;
    audit::record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        "reseller.update",
        ("reseller", &id.to_string()),
        serde_json::json!({"status": r.status}),
    )?;
    get(tx, partner_id, id)
}

/// Soft delete: the reseller becomes `inactive`; its batches and settlement history stay.
pub fn deactivate(tx: &Transaction<'_>, partner_id: i64, id: i64) -> Result<Reseller, AppError> {
    update(
        tx,
        partner_id,
        id,
        &ResellerInput {
            status: Some("inactive".into()),
            ..Default::default()
        },
    )
}

/// A reseller a new batch may name: the partner's own and active.
pub fn require_active(conn: &Connection, partner_id: i64, id: i64) -> Result<Reseller, AppError> {
    match get(conn, partner_id, id) {
        Ok(r) if r.status == "active" => Ok(r),
        Ok(r) => Err(AppError::validation(
            "reseller_id",
            format!("reseller {id} is {}", r.status),
        )),
        Err(_) => Err(AppError::validation(
            "reseller_id",
            format!("no reseller {id} in your registry"),
        )),
    }
}
