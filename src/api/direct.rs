//! The direct channel: a logged-in customer orders, pays through the gateway, and gets tickets.

use rocket::serde::json::Json;
use rocket::{get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use super::body::Body;
use super::guards::{AuthUser, Customer};
use super::paging::Items;
use super::views::OrderView;
use super::{answer, created, run, ApiResult, App, CreatedJson};
use crate::domain::direct_orders::{self, Buyer, NewDirectOrder};
use crate::domain::orders;
use crate::domain::tickets::{self, Owner, Ticket};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: create_order, get_order, my_tickets]
}

/// Orders tickets (role customer); the units are held on the direct channel until paid or `direct_hold_minutes`
/// pass. Pay through the gateway (`webhook_url`).
#[openapi(tag = "Direct sales")]
#[post("/orders", data = "<body>")]
async fn create_order(
    app: App,
    user: Customer,
    body: Body<NewDirectOrder>,
) -> ApiResult<CreatedJson<OrderView>> {
    let u = user.0;
    let buyer = Buyer {
        user_id: u.user_id,
        name: u.name,
        email: u.email,
    };
    let req = body.0;
    let order = run(&app, move |ctx| {
        direct_orders::create_direct(ctx, buyer, req)
    })
    .await?;
    Ok(created(
        format!("/api/orders/{}", order.order_id),
        order.into(),
    ))
}

/// One of the customer's orders, with its tickets once paid.
#[openapi(tag = "Direct sales")]
#[get("/orders/<id>")]
async fn get_order(app: App, user: AuthUser, id: String) -> ApiResult<Json<OrderView>> {
    let owner = Owner::User(user.0.user_id);
    let order = run(&app, move |ctx| orders::get(ctx, &id, owner)).await?;
    Ok(Json(order.into()))
}

/// The customer's tickets, newest first; ACTIVE ones carry a fresh QR token.
#[openapi(tag = "Direct sales")]
#[get("/my/tickets")]
async fn my_tickets(app: App, user: AuthUser) -> ApiResult<Json<Items<Ticket>>> {
    let user_id = user.0.user_id;
    answer(&app, move |ctx| {
        tickets::list_for_user(ctx, user_id).map(Items)
    })
    .await
}
