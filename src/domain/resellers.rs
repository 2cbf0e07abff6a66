//! Each OTA partner's registry of sub-resellers (B2B2C). Codes are unique per partner; deleting
//! is soft (status `inactive`) so settlement history keeps its names.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self};
use super::values;
use crate::clock;
use crate::db::{is_unique_violation, text_enum, ConnExt, Db};
use crate::error::AppError;

text_enum! {
    /// Only an active reseller can be named by a new batch; `inactive` is the soft delete.
    pub enum ResellerStatus in "ota_resellers.status" {
        Active = "active", Suspended = "suspended", Inactive = "inactive",
    }
}

text_enum! {
    pub enum SettlementCycle in "ota_resellers.settlement_cycle" {
        Weekly = "weekly", Monthly = "monthly", Quarterly = "quarterly",
    }
}

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
    pub status: ResellerStatus,
    pub settlement_cycle: SettlementCycle,
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

/// One of the partner's resellers; anyone else's is `NotFound`.
pub fn get(db: &Db, partner_id: i64, id: i64) -> Result<Reseller, AppError> {
    db.read(|c| find(c, partner_id, id))
}

pub(super) fn find(conn: &Connection, partner_id: i64, id: i64) -> Result<Reseller, AppError> {
    conn.try_query_row(
        &format!("SELECT {COLUMNS} FROM ota_resellers WHERE id = ?1 AND partner_id = ?2"),
        params![id, partner_id],
        from_row,
    )?
    .ok_or(AppError::NotFound)
}

/// The partner's resellers (optionally of one status), and how many there are in all.
pub fn list(
    db: &Db,
    partner_id: i64,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Reseller>, i64), AppError> {
    let status = status
        .map(|s| {
            ResellerStatus::parse(s).ok_or_else(|| {
                AppError::validation("status", format!("must be {}", ResellerStatus::expected()))
            })
        })
        .transpose()?;
    db.read(|c| select(c, partner_id, status, limit, offset))
}

pub(super) fn select(
    conn: &Connection,
    partner_id: i64,
    status: Option<ResellerStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Reseller>, i64), AppError> {
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

fn one_of<T>(
    field: &str,
    v: &Option<String>,
    parse: fn(&str) -> Option<T>,
    expected: String,
) -> Result<Option<T>, AppError> {
    v.as_deref()
        .map(|s| parse(s).ok_or_else(|| AppError::validation(field, format!("must be {expected}"))))
        .transpose()
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
fn validate(r: &ResellerInput) -> Result<Checked, AppError> {
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
        values::email(email, "contact_email")?;
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
    Ok(Checked {
        status: one_of(
            "status",
            &r.status,
            ResellerStatus::parse,
            ResellerStatus::expected(),
        )?,
        settlement_cycle: one_of(
            "settlement_cycle",
            &r.settlement_cycle,
            SettlementCycle::parse,
            SettlementCycle::expected(),
        )?,
    })
}

/// The enumerated fields of an input, parsed.
struct Checked {
    status: Option<ResellerStatus>,
    settlement_cycle: Option<SettlementCycle>,
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

/// Registers a reseller. Required: `reseller_code`, `reseller_name`; a code already used by this
/// partner is `DUPLICATE_RESELLER_CODE`.
pub fn create(db: &Db, partner_id: i64, input: ResellerInput) -> Result<Reseller, AppError> {
    let checked = validate(&input)?;
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
        contact_email: input.contact_email,
        contact_phone: input.contact_phone,
        commission_rate: input.commission_rate.unwrap_or(0.10),
        contract_start_date: input.contract_start_date,
        contract_end_date: input.contract_end_date,
        status: checked.status.unwrap_or(ResellerStatus::Active),
        settlement_cycle: checked.settlement_cycle.unwrap_or(SettlementCycle::Monthly),
        region: input.region,
        tier: input.tier,
        created_at: String::new(),
        updated_at: String::new(),
    };
    db.write(move |tx| {
        let id = save(tx, partner_id, &draft, true)?;
        audit::by_partner(
            tx,
            partner_id,
            "reseller.create",
            ("reseller", &id.to_string()),
            serde_json::json!({"reseller_code": draft.reseller_code}),
        )?;
        find(tx, partner_id, id)
    })
}

/// Changes the fields present in `input`.
pub fn update(
    db: &Db,
    partner_id: i64,
    id: i64,
    input: ResellerInput,
) -> Result<Reseller, AppError> {
    let checked = validate(&input)?;
    db.write(move |tx| {
        let mut r = find(tx, partner_id, id)?;
        merge(&mut r, input, checked);
        save(tx, partner_id, &r, false)?;
        audit::by_partner(
            tx,
            partner_id,
            "reseller.update",
            ("reseller", &id.to_string()),
            serde_json::json!({"status": r.status}),
        )?;
        find(tx, partner_id, id)
    })
}

fn merge(r: &mut Reseller, input: ResellerInput, checked: Checked) {
    macro_rules! merge {
        ($($f:ident),*) => { $(if let Some(v) = input.$f { r.$f = v.into(); })* };
    }
    merge!(reseller_code, reseller_name);
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
    if let Some(status) = checked.status {
        r.status = status;
    }
    if let Some(cycle) = checked.settlement_cycle {
        r.settlement_cycle = cycle;
    }
}

/// Soft delete: the reseller becomes `inactive`; its batches and settlement history stay.
pub fn deactivate(db: &Db, partner_id: i64, id: i64) -> Result<Reseller, AppError> {
    let input = ResellerInput {
        status: Some(ResellerStatus::Inactive.as_str().to_owned()),
        ..Default::default()
    };
    update(db, partner_id, id, input)
}

/// A reseller a new batch may name: the partner's own and active.
pub(super) fn require_active(
    conn: &Connection,
    partner_id: i64,
    id: i64,
) -> Result<Reseller, AppError> {
    match find(conn, partner_id, id) {
        Ok(r) if r.status == ResellerStatus::Active => Ok(r),
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
