//! The venue's day for staff and the pier: the passenger list of a visit date (venue staff read
//! it too), ticket and order lookup, a ticket's history and its cancellation, the refund queue,
//! and printable vouchers.

use rocket::serde::json::Json;
use rocket::{get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::body::Body;
use crate::api::csv::CsvFile;
use crate::api::guards::{Staff, Venue};
use crate::api::paging::{query_int, Page, Paged};
use crate::api::views::OrderView;
use crate::api::{answer, run, ApiResult, App};
use crate::domain::lookup::{self, LookupResult};
use crate::domain::manifest::{self, Manifest, ManifestQuery};
use crate::domain::orders::{self, OrderStatus, OrderSummary};
use crate::domain::tickets::{self, Owner, Ticket, TicketHistory};
use crate::domain::vouchers::{self, SheetOf, VoucherSheet};
use crate::error::AppError;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: passenger_list, passenger_list_csv, lookup_any, ticket_history, cancel_ticket, list_orders, get_order, batch_vouchers, order_vouchers]
}

fn manifest_query(
    date: Option<String>,
    product_id: Option<String>,
    redeemed: Option<String>,
) -> Result<ManifestQuery, AppError> {
    let redeemed = match redeemed.as_deref() {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(AppError::validation("redeemed", "must be true or false")),
    };
    Ok(ManifestQuery {
        date: date.filter(|d| !d.is_empty()),
        product_id: query_int(product_id.as_deref(), "product_id")?,
        redeemed,
    })
}

/// The passenger list of a visit date (default: the venue's today): totals and counts per package
/// and customer type for the whole day, and one page (`limit` 1–1000, default 200) of the tickets,
/// filtered by `product_id` and `redeemed`. Venue staff may read it; it shows holders' names, never
/// their contact details.
#[openapi(tag = "Venue day")]
#[get("/manifest?<date>&<product_id>&<redeemed>&<page>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn passenger_list(
    app: App,
    _venue: Venue,
    date: Option<String>,
    product_id: Option<String>,
    redeemed: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Manifest>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 200, 1000)?;
    let q = manifest_query(date, product_id, redeemed)?;
    answer(&app, move |ctx| {
        manifest::manifest(ctx, &q, p.limit, p.offset())
    })
    .await
}

/// The whole passenger list of a visit date as CSV (UTF-8 with BOM, prices in currency units,
/// times in the venue's local time).
#[openapi(tag = "Venue day")]
#[get("/manifest.csv?<date>&<product_id>&<redeemed>")]
async fn passenger_list_csv(
    app: App,
    _venue: Venue,
    date: Option<String>,
    product_id: Option<String>,
    redeemed: Option<String>,
) -> ApiResult<CsvFile> {
    let q = manifest_query(date, product_id, redeemed)?;
    let (name, csv) = run(&app, move |ctx| manifest::manifest_csv(ctx, &q)).await?;
    Ok(CsvFile(name, csv))
}

/// Tickets and orders whose ticket code, order id, customer email (any case) or payment reference
/// is `q`.
#[openapi(tag = "Venue day")]
#[get("/lookup?<q>")]
async fn lookup_any(app: App, _staff: Staff, q: Option<String>) -> ApiResult<Json<LookupResult>> {
    let q = q.unwrap_or_default();
    answer(&app, move |ctx| lookup::lookup(&ctx.db, &q)).await
}

/// A ticket, its holder and its history: issued, sold, each scan, used up, cancelled — with who
/// did each.
#[openapi(tag = "Venue day")]
#[get("/tickets/<code>")]
async fn ticket_history(app: App, _staff: Staff, code: String) -> ApiResult<Json<TicketHistory>> {
    answer(&app, move |ctx| tickets::history(ctx, &code)).await
}

#[derive(Deserialize, JsonSchema)]
pub struct Cancellation {
    /// Why (1–200 characters), kept in the audit log.
    pub reason: String,
}

/// Cancels a ticket for the guest at the desk: a PRE_GENERATED one, or an ACTIVE one with nothing
/// redeemed (else 409 `INVALID_STATE`); its unit goes back to stock. Audited with the reason.
#[openapi(tag = "Venue day")]
#[post("/tickets/<code>/cancel", data = "<body>")]
async fn cancel_ticket(
    app: App,
    staff: Staff,
    code: String,
    body: Body<Cancellation>,
) -> ApiResult<Json<Ticket>> {
    let (reason, actor) = (body.0.reason, staff.actor());
    answer(&app, move |ctx| {
        tickets::cancel(ctx, &code, Owner::Operator, actor, Some(&reason))
    })
    .await
}

/// Orders in one `status` (default `REFUND_REQUIRED`: paid after their hold expired with the units
/// gone — the money is owed back), newest first.
#[openapi(tag = "Venue day")]
#[get("/orders?<status>&<page>&<limit>")]
async fn list_orders(
    app: App,
    _staff: Staff,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<OrderSummary>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    let status = match status.as_deref() {
        None => OrderStatus::RefundRequired,
        Some(s) => OrderStatus::parse(s).ok_or_else(|| {
            AppError::validation("status", format!("must be {}", OrderStatus::expected()))
        })?,
    };
    let found = run(&app, move |ctx| {
        orders::list_by_status(&ctx.db, status, p.limit, p.offset())
    })
    .await?;
    Ok(Json(p.of(found)))
}

/// Any order, with its tickets.
#[openapi(tag = "Venue day")]
#[get("/orders/<id>")]
async fn get_order(app: App, _staff: Staff, id: String) -> ApiResult<Json<OrderView>> {
    let order = run(&app, move |ctx| orders::get(ctx, &id, Owner::Operator)).await?;
    Ok(Json(order.into()))
}

/// One page (`limit` 1–500, default 100) of a batch's printable vouchers (pre-generated or sold,
/// not used or cancelled), each with its QR code as PNG. Audited as `batch.print`.
#[openapi(tag = "Venue day")]
#[get("/batches/<id>/vouchers?<page>&<limit>")]
async fn batch_vouchers(
    app: App,
    staff: Staff,
    id: String,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<VoucherSheet>> {
    sheet(&app, &staff, SheetOf::Batch, id, page, limit).await
}

/// An order's active tickets as printable vouchers (QR codes carry voucher tokens, which do not
/// expire like live ones). Audited as `order.print`.
#[openapi(tag = "Venue day")]
#[get("/orders/<id>/vouchers?<page>&<limit>")]
async fn order_vouchers(
    app: App,
    staff: Staff,
    id: String,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<VoucherSheet>> {
    sheet(&app, &staff, SheetOf::Order, id, page, limit).await
}

async fn sheet(
    app: &App,
    staff: &Staff,
    of: SheetOf,
    id: String,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<VoucherSheet>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 500)?;
    let actor = staff.actor();
    answer(app, move |ctx| {
        vouchers::sheet(ctx, of, &id, actor, p.limit, p.offset())
    })
    .await
}
