//! What staff read: sales, the audit log, every partner's batches, resellers and settlement.

use rocket::get;
use rocket::serde::json::Json;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use crate::api::csv::CsvFile;
use crate::api::guards::Staff;
use crate::api::paging::Items;
use crate::api::paging::{query_int, query_status, query_time, Page, Paged};
use crate::api::shared::{archive, batch_list, reseller_list, summary};
use crate::api::views::{BatchDetailView, BatchView};
use crate::api::zip::ZipStream;
use crate::api::{answer, run, ApiResult, App};
use crate::domain::audit::{self, AuditAction, AuditEntry, AuditFilter};
use crate::domain::batches::{self, BatchTicketQuery, Scope};
use crate::domain::billing::{self, BillingSummary};
use crate::domain::partners;
use crate::domain::reports::{self, SalesReport};
use crate::domain::resellers::Reseller;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: sales, audit_log, audit_actions, list_batches, get_batch, batch_archive, partner_resellers, partner_billing, partner_billing_csv]
}

/// Tickets sold and gross revenue per day (UTC) over the last `days` days (1–366, default 14).
#[openapi(tag = "Admin")]
#[get("/reports/sales?<days>")]
async fn sales(app: App, _staff: Staff, days: Option<String>) -> ApiResult<Json<SalesReport>> {
    let days = query_int(days.as_deref(), "days")?.unwrap_or(14);
    answer(&app, move |ctx| reports::sales(ctx, days)).await
}

/// The audit log, newest first. `action` is an action code (`ticket.redeem`) or its name
/// (`Ticket redeemed`, see `/api/admin/audit/actions`).
#[openapi(tag = "Admin")]
#[get("/audit?<partner_id>&<action>&<from>&<to>&<page>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn audit_log(
    app: App,
    _staff: Staff,
    partner_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<AuditEntry>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    let filter = AuditFilter {
        partner_id: query_int(partner_id.as_deref(), "partner_id")?,
        action: action.filter(|a| !a.is_empty()),
        from: query_time(from.as_deref(), "from")?,
        to: query_time(to.as_deref(), "to")?,
    };
    let found = run(&app, move |ctx| {
        audit::list(&ctx.db, &filter, p.limit, p.offset())
    })
    .await?;
    Ok(Json(p.of(found)))
}

/// The actions the audit log records, with the names the console shows; `action=` accepts either.
#[openapi(tag = "Admin")]
#[get("/audit/actions")]
async fn audit_actions(_staff: Staff) -> Json<Items<AuditAction>> {
    Json(Items(audit::actions()))
}

/// Every partner's batches, newest first.
#[openapi(tag = "Admin")]
#[get("/batches?<page>&<limit>")]
async fn list_batches(
    app: App,
    _staff: Staff,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<BatchView>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    batch_list(&app, Scope::Operator, p).await
}

/// One batch with its tickets: all of them, or with `page`/`limit` (1–1000, default 100) one page;
/// `status` and `q` (the start of a ticket code) filter them.
#[openapi(tag = "Admin")]
#[get("/batches/<id>?<status>&<q>&<page>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn get_batch(
    app: App,
    _staff: Staff,
    id: String,
    status: Option<String>,
    q: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<BatchDetailView>> {
    let paged = page.is_some() || limit.is_some();
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    let query = BatchTicketQuery {
        status: query_status(status.as_deref())?,
        code_prefix: q,
        page: paged.then(|| (p.limit, p.offset())),
    };
    let detail = run(&app, move |ctx| batches::detail(&ctx.db, &id, &query)).await?;
    Ok(Json(detail.into()))
}

/// The batch ZIP, for download in the console (the session cookie authenticates it).
#[openapi(tag = "Admin")]
#[get("/batches/<id>/archive.zip")]
async fn batch_archive(app: App, staff: Staff, id: String) -> ApiResult<ZipStream> {
    archive(&app, id, Scope::Operator, staff.actor()).await
}

/// A partner's resellers (the console's settlement view).
#[openapi(tag = "Admin")]
#[get("/partners/<id>/resellers?<status>&<page>&<limit>")]
async fn partner_resellers(
    app: App,
    _staff: Staff,
    id: i64,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<Reseller>>> {
    run(&app, move |ctx| partners::get(&ctx.db, id)).await?;
    reseller_list(&app, id, status, page, limit).await
}

/// A partner's settlement summary, as the partner sees it.
#[openapi(tag = "Admin")]
#[get("/partners/<id>/billing/summary?<period_start>&<period_end>&<reseller_id>")]
async fn partner_billing(
    app: App,
    _staff: Staff,
    id: i64,
    period_start: Option<String>,
    period_end: Option<String>,
    reseller_id: Option<String>,
) -> ApiResult<Json<BillingSummary>> {
    let period = (period_start, period_end, reseller_id);
    partner_summary(&app, id, period).await
}

/// The same settlement as CSV (UTF-8 with BOM, money in currency units), for spreadsheets.
#[openapi(tag = "Admin")]
#[get("/partners/<id>/billing/summary.csv?<period_start>&<period_end>&<reseller_id>")]
async fn partner_billing_csv(
    app: App,
    _staff: Staff,
    id: i64,
    period_start: Option<String>,
    period_end: Option<String>,
    reseller_id: Option<String>,
) -> ApiResult<CsvFile> {
    let s = partner_summary(&app, id, (period_start, period_end, reseller_id)).await?;
    let (name, csv) = billing::summary_csv(&s.0, id);
    Ok(CsvFile(name, csv))
}

/// A partner's settlement, once the partner is known to exist (else 404).
async fn partner_summary(
    app: &App,
    id: i64,
    (start, end, reseller_id): (Option<String>, Option<String>, Option<String>),
) -> ApiResult<Json<BillingSummary>> {
    run(app, move |ctx| partners::get(&ctx.db, id)).await?;
    summary(app, id, start, end, reseller_id).await
}
