//! Answers that two audiences give alike: a partner about itself (`/api/ota`) and staff about
//! any partner (`/api/admin`) — batch lists and archives, reseller lists, settlement.

use rocket::serde::json::Json;

use super::paging::{query_int, Page, Paged};
use super::views::BatchView;
use super::zip::{self, ZipStream};
use super::{answer, run, ApiResult, App};
use crate::domain::archive;
use crate::domain::audit::Actor;
use crate::domain::batches::{self, Scope};
use crate::domain::billing::{self, BillingSummary};
use crate::domain::resellers::{self, Reseller};

/// The batches `scope` may see, one page of them.
pub async fn batch_list(app: &App, scope: Scope, p: Page) -> ApiResult<Json<Paged<BatchView>>> {
    let (batches, total) = run(app, move |ctx| {
        batches::list(&ctx.db, scope, p.limit, p.offset())
    })
    .await?;
    let views = batches
        .into_iter()
        .map(|b| BatchView::new(b, scope))
        .collect();
    Ok(Json(p.of((views, total))))
}

/// Starts streaming a batch's ZIP to whoever `scope` and `actor` say is downloading it.
pub async fn archive(app: &App, id: String, scope: Scope, actor: Actor) -> ApiResult<ZipStream> {
    let plan = run(app, move |ctx| {
        archive::prepare_download(&ctx.db, &id, scope, actor)
    })
    .await?;
    zip::stream(app, plan)
}

/// One page of a partner's resellers (the OTA route and the console's settlement view).
pub async fn reseller_list(
    app: &App,
    partner_id: i64,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<Reseller>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    let found = run(app, move |ctx| {
        resellers::list(&ctx.db, partner_id, status.as_deref(), p.limit, p.offset())
    })
    .await?;
    Ok(Json(p.of(found)))
}

/// A partner's settlement summary (the OTA route and the console's settlement view).
pub async fn summary(
    app: &App,
    partner_id: i64,
    period_start: Option<String>,
    period_end: Option<String>,
    reseller_id: Option<String>,
) -> ApiResult<Json<BillingSummary>> {
    let reseller_id = query_int(reseller_id.as_deref(), "reseller_id")?;
    answer(app, move |ctx| {
        billing::summary(
            ctx,
            partner_id,
            period_start.as_deref(),
            period_end.as_deref(),
            reseller_id,
        )
    })
    .await
}
