//! Request guards: a handler's signature states the credential it needs, and the guard value is
//! the proof. The credentials themselves (keys, sessions) are checked by the domain; failures are
//! stashed for the catcher so they render as problem+json.

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket_okapi::okapi::openapi3::{
    Object, SecurityRequirement, SecurityScheme, SecuritySchemeData,
};
use rocket_okapi::request::RequestHeaderInput;

use super::problem::stash;
use super::rate_limit::{Bucket, Decision};
use super::{run, App};
use crate::domain::api_keys;
use crate::domain::audit::Actor;
use crate::domain::sessions::{self, SessionUser};
use crate::domain::tickets::Owner;
use crate::domain::users::Role;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "gangway_session";

/// An OTA partner authenticated by `X-API-Key`, within its rate limit.
#[derive(Debug, Clone, Copy)]
pub struct Partner {
    pub partner_id: i64,
    pub key_id: i64,
}

/// An OCTO reseller: a partner's API key sent as `Authorization: Bearer <key>` (the same keys,
/// rate limit and refusals as `X-API-Key`).
#[derive(Debug, Clone, Copy)]
pub struct OctoPartner(pub Partner);

/// The rate-limit decision of this request, for the response headers.
pub struct RateLimitSeen(pub Option<Decision>);

/// Any logged-in user (bearer token or console session cookie).
#[derive(Debug, Clone)]
pub struct AuthUser(pub SessionUser);

impl Staff {
    /// The audit log's name for this user.
    pub fn actor(&self) -> Actor {
        Actor::User(self.0.user_id)
    }
}

impl Admin {
    /// The audit log's name for this user.
    pub fn actor(&self) -> Actor {
        Actor::User(self.0.user_id)
    }
}

/// role `customer`: buys on the direct channel.
pub struct Customer(pub SessionUser);
/// role `staff` or `admin`.
pub struct Staff(pub SessionUser);
/// role `admin`.
pub struct Admin(pub SessionUser);
/// role `venue`, `staff` or `admin`: may redeem at the pier.
pub struct Venue(pub SessionUser);

/// Login attempts allowed per client address and minute: plenty for people, a wall for password
/// guessing (argon2 already makes each attempt cost ~25 ms of a hashing thread).
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 20;

/// Proof that this client address is within its login-attempt budget.
pub struct LoginThrottle;

/// Who may see a ticket: the partner whose key issued it, or the user who bought it.
#[derive(Debug, Clone, Copy)]
pub struct TicketViewer(pub Owner);

/// The raw session token of the request (bearer or cookie), to end it.
pub struct SessionToken(pub Option<String>);

fn app<'a>(req: &'a Request<'_>) -> &'a App {
    req.rocket()
        .state::<App>()
        .expect("App state is managed by build_rocket")
}

fn fail<T>(req: &Request<'_>, e: AppError) -> request::Outcome<T, AppError> {
    Outcome::Error(stash(req, e))
}

async fn authenticate_partner(req: &Request<'_>) -> Result<Partner, AppError> {
    let presented = req
        .headers()
        .get_one("X-API-Key")
        .ok_or(AppError::Unauthenticated)?;
    authenticate_key(req, presented).await
}

/// A partner's API key, however it was presented: unrevoked, the partner active, within its
/// rate limit (one budget per partner or key, whichever API it calls).
async fn authenticate_key(req: &Request<'_>, presented: &str) -> Result<Partner, AppError> {
    let presented = presented.trim().to_owned();
    let app = app(req);
    let owner = match api_keys::cached(&app.ctx, &presented) {
        Some(owner) => owner,
        None => run(app, move |ctx| api_keys::resolve(ctx, &presented))
            .await?
            .ok_or(AppError::Unauthenticated)?,
    };
    if owner.revoked {
        return Err(AppError::Forbidden("This API key has been revoked.".into()));
    }
    if !owner.partner_active {
        return Err(AppError::Forbidden("This partner is suspended.".into()));
    }
    let (bucket, limit) = match owner.rate_limit_per_minute {
        Some(limit) => (Bucket::Key(owner.key_id), limit),
        None => (
            Bucket::Partner(owner.partner_id),
            app.ctx.config.rate_limit_per_minute,
        ),
    };
    let decision = app.rate_limiter.check(bucket, limit);
    req.local_cache(|| RateLimitSeen(Some(decision)));
    if !decision.allowed {
        return Err(AppError::RateLimited {
            retry_after_secs: decision.retry_after_secs,
        });
    }
    Ok(Partner {
        partner_id: owner.partner_id,
        key_id: owner.key_id,
    })
}

/// The token of an `Authorization: Bearer …` header: `Some(None)` for another scheme.
fn bearer(req: &Request<'_>) -> Option<Option<String>> {
    let h = req.headers().get_one("Authorization")?;
    Some(h.split_once(' ').and_then(|(scheme, token)| {
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    }))
}

fn session_token(req: &Request<'_>) -> Option<String> {
    if let Some(token) = bearer(req) {
        return token;
    }
    req.cookies()
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

async fn authenticate_user(req: &Request<'_>) -> Result<SessionUser, AppError> {
    let token = session_token(req).ok_or(AppError::Unauthenticated)?;
    run(app(req), move |ctx| sessions::resolve(&ctx.db, &token))
        .await?
        .ok_or(AppError::Unauthenticated)
}

async fn user_with_role(req: &Request<'_>, allowed: &[Role]) -> Result<SessionUser, AppError> {
    let user = authenticate_user(req).await?;
    if allowed.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden(format!(
            "Your role ({}) may not do this.",
            user.role.as_str()
        )))
    }
}

macro_rules! guard {
    ($ty:ty, $req:ident => $body:expr) => {
        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $ty {
            type Error = AppError;
            async fn from_request($req: &'r Request<'_>) -> request::Outcome<Self, AppError> {
                match $body {
                    Ok(v) => Outcome::Success(v),
                    Err(e) => fail($req, e),
                }
            }
        }
    };
}

guard!(Partner, req => authenticate_partner(req).await);
guard!(OctoPartner, req => match bearer(req).flatten() {
    Some(key) => authenticate_key(req, &key).await.map(OctoPartner),
    None => Err(AppError::Unauthenticated),
});
guard!(AuthUser, req => authenticate_user(req).await.map(AuthUser));
guard!(LoginThrottle, req => {
    match req.client_ip() {
        Some(ip) => {
            let decision = app(req).rate_limiter.check(Bucket::Login(ip), LOGIN_ATTEMPTS_PER_MINUTE);
            if decision.allowed {
                Ok(LoginThrottle)
            } else {
                Err(AppError::RateLimited { retry_after_secs: decision.retry_after_secs })
            }
        }
        None => Ok(LoginThrottle),
    }
});
guard!(Customer, req => user_with_role(req, &[Role::Customer]).await.map(Customer));
guard!(Staff, req => user_with_role(req, &[Role::Staff, Role::Admin]).await.map(Staff));
guard!(Admin, req => user_with_role(req, &[Role::Admin]).await.map(Admin));
guard!(Venue, req => user_with_role(req, &[Role::Venue, Role::Staff, Role::Admin]).await.map(Venue));
guard!(TicketViewer, req => {
    if req.headers().contains("X-API-Key") {
        authenticate_partner(req).await.map(|p| TicketViewer(Owner::Partner(p.partner_id)))
    } else {
        authenticate_user(req).await.map(|u| TicketViewer(Owner::User(u.user_id)))
    }
});
guard!(SessionToken, req => Ok::<_, AppError>(SessionToken(session_token(req))));

fn security(
    name: &str,
    description: &str,
    data: SecuritySchemeData,
) -> rocket_okapi::Result<RequestHeaderInput> {
    let scheme = SecurityScheme {
        description: Some(description.to_owned()),
        data,
        extensions: Object::default(),
    };
    let mut requirement = SecurityRequirement::new();
    requirement.insert(name.to_owned(), Vec::new());
    Ok(RequestHeaderInput::Security(
        name.to_owned(),
        scheme,
        requirement,
    ))
}

fn api_key_scheme() -> rocket_okapi::Result<RequestHeaderInput> {
    security(
        "ApiKeyAuth",
        "OTA partner API key (`gw_live_…`), created by an admin and shown once.",
        SecuritySchemeData::ApiKey {
            name: "X-API-Key".to_owned(),
            location: "header".to_owned(),
        },
    )
}

fn octo_scheme() -> rocket_okapi::Result<RequestHeaderInput> {
    security(
        "OctoBearer",
        "The partner's API key (`gw_live_…`) as a bearer token, as OCTO resellers send it.",
        SecuritySchemeData::Http {
            scheme: "bearer".to_owned(),
            bearer_format: None,
        },
    )
}

/// One description for every bearer route (OpenAPI merges schemes by name); the role a route
/// needs is in its own description.
fn bearer_scheme() -> rocket_okapi::Result<RequestHeaderInput> {
    security(
        "BearerAuth",
        "Token from POST /api/auth/login. The console's session cookie works too. Each route says which roles it accepts.",
        SecuritySchemeData::Http { scheme: "bearer".to_owned(), bearer_format: None },
    )
}

/// What a guard shows in OpenAPI: its security scheme, or `Ok(RequestHeaderInput::None)`.
macro_rules! openapi_security {
    ($ty:ty, $scheme:expr) => {
        impl<'r> ::rocket_okapi::request::OpenApiFromRequest<'r> for $ty {
            fn from_request_input(
                _: &mut ::rocket_okapi::gen::OpenApiGenerator,
                _: String,
                _: bool,
            ) -> ::rocket_okapi::Result<::rocket_okapi::request::RequestHeaderInput> {
                $scheme
            }
        }
    };
}
pub(crate) use openapi_security;

openapi_security!(Partner, api_key_scheme());
openapi_security!(OctoPartner, octo_scheme());
openapi_security!(AuthUser, bearer_scheme());
openapi_security!(Customer, bearer_scheme());
openapi_security!(LoginThrottle, Ok(RequestHeaderInput::None));
openapi_security!(Staff, bearer_scheme());
openapi_security!(Admin, bearer_scheme());
openapi_security!(Venue, bearer_scheme());
openapi_security!(TicketViewer, api_key_scheme());
openapi_security!(SessionToken, Ok(RequestHeaderInput::None));
