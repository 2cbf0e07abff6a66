//! The direct channel: a logged-in customer orders, pays through the gateway, and gets tickets.

use rocket::serde::json::Json;
use rocket::{get, post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use super::body::Body;
use super::{created, run, ApiResult, CreatedJson};
use crate::auth::guards::{AuthUser, Customer};
use crate::domain::orders::{self, NewDirectOrder, Order};
use crate::domain::tickets::{self, Owner, Ticket};
use crate::App;

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
    app: &State<App>,
    user: Customer,
    body: Body<NewDirectOrder>,
) -> ApiResult<CreatedJson<Order>> {
    let req = body.0;
    let u = user.0;
    let order = run(app, move |app| {
        app.db.write(|tx| {
            orders::create_direct(
                tx,
                (u.user_id, &u.name, &u.email),
                &req,
                app.config.direct_hold_minutes,
                &app.config.currency,
                &app.qr,
            )
        })
    })
    .await?;
    Ok(created(format!("/api/orders/{}", order.order_id), order))
}

/// One of the customer's orders, with its tickets once paid.
#[openapi(tag = "Direct sales")]
#[get("/orders/<id>")]
async fn get_order(app: &State<App>, user: AuthUser, id: String) -> ApiResult<Json<Order>> {
    let user_id = user.0.user_id;
    Ok(Json(
        run(app, move |app| {
            app.db
                .read(|c| orders::view(c, &id, Owner::User(user_id), &app.qr))
        })
        .await?,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct MyTickets {
    pub tickets: Vec<Ticket>,
}

/// The customer's tickets, newest first; ACTIVE ones carry a fresh QR token.
#[openapi(tag = "Direct sales")]
#[get("/my/tickets")]
async fn my_tickets(app: &State<App>, user: AuthUser) -> ApiResult<Json<MyTickets>> {
    let user_id = user.0.user_id;
    let tickets = run(app, move |app| {
        app.db
            .read(|c| tickets::views(c, &tickets::list_for_user(c, user_id)?, &app.qr))
    })
    .await?;
    Ok(Json(MyTickets { tickets }))
}
