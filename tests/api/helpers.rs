//! One test app per test: a fresh temporary database and the real Rocket app, driven through
//! Rocket's local client (or a real HTTP server for concurrency and crash tests). One generic
//! request helper; fixtures for an admin, a partner with a key, a customer, a venue scanner.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use gangway::db::Db;
use gangway::domain::accounts::{self, NewAccount};
use gangway::domain::audit::Actor;
use gangway::domain::partners;
use gangway::domain::users::Role;
use gangway::App;
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Method};
use rocket::local::blocking::Client;
use serde_json::{json, Value};
use tempfile::TempDir;

pub const WEBHOOK_SECRET: &str = "test-webhook-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";
/// The ticket holder of most orders in the tests (name, email).
pub const MEI: (&str, &str) = ("Mei Chen", "mei@example.com");

pub struct TestApp {
    pub client: Client,
    /// Owns the temporary directory of the database: it is deleted when the test ends.
    _dir: TempDir,
}

pub fn figment(dir: &TempDir) -> Figment {
    gangway::config::figment()
        .merge(("database_path", dir.path().join("gangway.db")))
        .merge(("payment_webhook_secret", WEBHOOK_SECRET))
        .merge(("log_level", "off"))
}

pub fn spawn_app() -> TestApp {
    spawn_app_with(|f| f)
}

pub fn spawn_app_with(tune: impl FnOnce(Figment) -> Figment) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let client =
        Client::untracked(gangway::build_rocket(tune(figment(&dir)))).expect("valid rocket");
    TestApp { client, _dir: dir }
}

/// A response, with the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A string field of the JSON body.
    #[track_caller]
    pub fn text(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string {field} in {}", self.body))
            .to_owned()
    }

    /// Asserts the status, showing the body when it is not the expected one.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Resp {
        assert_eq!(
            (self.status, self.body["code"].as_str()),
            (status, Some(code)),
            "body: {}",
            self.body
        );
        assert_eq!(
            self.header("Content-Type"),
            Some("application/problem+json")
        );
        assert!(self.body["detail"].is_string() && self.body["title"].is_string());
        self
    }
}

/// Credentials a request carries.
#[derive(Debug, Clone)]
pub enum Cred {
    None,
    Key(String),
    Bearer(String),
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    cred: Cred,
    body: Option<Vec<u8>>,
    content_type: Option<ContentType>,
    headers: Vec<(String, String)>,
    remote: Option<std::net::SocketAddr>,
}

impl<'a> Req<'a> {
    /// Sends the request from this client address (the socket's peer).
    pub fn from(mut self, ip: &str) -> Self {
        self.remote = Some(std::net::SocketAddr::new(ip.parse().expect("an IP"), 40000));
        self
    }
    pub fn cred(mut self, cred: &Cred) -> Self {
        self.cred = cred.clone();
        self
    }
    pub fn key(self, key: &str) -> Self {
        self.cred(&Cred::Key(key.to_owned()))
    }
    pub fn bearer(self, token: &str) -> Self {
        self.cred(&Cred::Bearer(token.to_owned()))
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(serde_json::to_vec(body).unwrap());
        self.content_type = Some(ContentType::JSON);
        self
    }
    pub fn raw(mut self, body: impl Into<Vec<u8>>, content_type: Option<ContentType>) -> Self {
        self.body = Some(body.into());
        self.content_type = content_type;
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn send(self) -> Resp {
        let mut req = self.app.client.req(self.method, self.path.clone());
        if let Some(remote) = self.remote {
            req = req.remote(remote);
        }
        match &self.cred {
            Cred::None => {}
            Cred::Key(k) => req.add_header(Header::new("X-API-Key", k.clone())),
            Cred::Bearer(t) => req.add_header(Header::new("Authorization", format!("Bearer {t}"))),
        }
        for (n, v) in self.headers {
            // The local client keeps its own cookie jar; a Cookie header goes through it.
            if n.eq_ignore_ascii_case("Cookie") {
                for (name, value) in v.split(';').filter_map(|c| c.trim().split_once('=')) {
                    req = req.cookie(rocket::http::Cookie::new(name.to_owned(), value.to_owned()));
                }
            } else {
                req.add_header(Header::new(n, v));
            }
        }
        if let Some(ct) = self.content_type {
            req.add_header(ct);
        }
        if let Some(body) = self.body {
            req.set_body(body);
        }
        let res = req.dispatch();
        let status = res.status().code;
        let headers = res
            .headers()
            .iter()
            .map(|h| (h.name().to_string(), h.value().to_string()))
            .collect();
        let bytes = res.into_bytes().unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
            bytes,
        }
    }
}

/// A partner and one of its API keys.
#[derive(Debug, Clone)]
pub struct TestPartner {
    pub partner_id: i64,
    pub key: String,
}

impl TestApp {
    pub fn state(&self) -> &App {
        self.client.rocket().state::<App>().expect("app state")
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            cred: Cred::None,
            body: None,
            content_type: None,
            headers: vec![],
            remote: None,
        }
    }
    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::Get, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::Post, path)
    }

    /// A partner's GET.
    pub fn ota_get(&self, p: &TestPartner, path: &str) -> Resp {
        self.get(path).key(&p.key).send()
    }

    /// A partner's POST with a JSON body.
    pub fn ota_post(&self, p: &TestPartner, path: &str, body: &Value) -> Resp {
        self.post(path).key(&p.key).json(body).send()
    }

    /// The database the app runs on.
    pub fn db(&self) -> &Db {
        &self.state().ctx.db
    }

    /// Runs SQL directly (to move the clock of a row, or check one).
    pub fn sql(&self, sql: &str) {
        run_sql(self.db(), sql)
    }

    pub fn scalar(&self, sql: &str) -> i64 {
        scalar(self.db(), sql)
    }

    pub fn partner(&self, name: &str) -> TestPartner {
        new_partner(self.db(), name)
    }

    /// Creates a user of `role` and logs in through the API; returns the bearer token.
    pub fn user(&self, email: &str, role: Role) -> String {
        new_user(self.db(), email, role);
        self.login(email)
    }

    pub fn login(&self, email: &str) -> String {
        self.try_login(email, PASSWORD).expect(200).text("token")
    }

    pub fn admin(&self) -> String {
        self.user("admin@example.com", Role::Admin)
    }

    pub fn reserve(&self, p: &TestPartner, product_id: i64, quantity: i64) -> Resp {
        self.post("/api/ota/reserve")
            .key(&p.key)
            .json(&json!({"product_id": product_id, "quantity": quantity}))
            .send()
    }

    /// A hold that must succeed: its reservation id.
    pub fn held(&self, p: &TestPartner, product_id: i64, quantity: i64) -> String {
        self.reserve(p, product_id, quantity)
            .expect(201)
            .text("reservation_id")
    }

    /// Reserve, order (all adults, a weekday 30+ days ahead) and activate: returns the activation.
    pub fn paid_order(&self, p: &TestPartner, product_id: i64, quantity: i64) -> Value {
        self.paid_order_on(p, product_id, quantity, &weekday_ahead())
    }

    /// Like `paid_order`, for a visit on `visit_date` (tickets redeem only on their visit date).
    pub fn paid_order_on(
        &self,
        p: &TestPartner,
        product_id: i64,
        quantity: i64,
        visit_date: &str,
    ) -> Value {
        self.sell(p, product_id, &[("adult", quantity)], visit_date, MEI)
    }

    /// Reserve, order for `holder` (name, email) with these customer types visiting on
    /// `visit_date`, and activate: returns the activation (its `tickets`).
    pub fn sell(
        &self,
        p: &TestPartner,
        product_id: i64,
        types: &[(&str, i64)],
        visit_date: &str,
        holder: (&str, &str),
    ) -> Value {
        let quantity = types.iter().map(|(_, n)| n).sum();
        let r = self.reserve(p, product_id, quantity).expect(201);
        let rid = r.body["reservation_id"].as_str().unwrap();
        let order = self
            .order_for(p, rid, types, visit_date, holder)
            .expect(201);
        let order_id = order.body["order_id"].as_str().unwrap();
        self.post("/api/ota/activate")
            .key(&p.key)
            .json(&json!({"order_id": order_id, "payment_reference": format!("pay-{order_id}")}))
            .send()
            .expect(200)
            .body
    }

    pub fn order(&self, p: &TestPartner, reservation_id: &str, breakdown: &[(&str, i64)]) -> Resp {
        self.order_on(p, reservation_id, breakdown, &weekday_ahead())
    }

    pub fn order_on(
        &self,
        p: &TestPartner,
        reservation_id: &str,
        breakdown: &[(&str, i64)],
        visit_date: &str,
    ) -> Resp {
        self.order_for(p, reservation_id, breakdown, visit_date, MEI)
    }

    pub fn order_for(
        &self,
        p: &TestPartner,
        reservation_id: &str,
        breakdown: &[(&str, i64)],
        visit_date: &str,
        (name, email): (&str, &str),
    ) -> Resp {
        let breakdown: Vec<Value> = breakdown
            .iter()
            .map(|(t, n)| json!({"customer_type": t, "count": n}))
            .collect();
        self.post("/api/ota/orders")
            .key(&p.key)
            .json(&json!({
                "reservation_id": reservation_id,
                "customer_details": {"name": name, "email": email, "phone": "+852 5555 0101"},
                "pricing_context": {"visit_date": visit_date, "customer_breakdown": breakdown}
            }))
            .send()
    }

    /// A batch of `quantity` pre-generated tickets of `product_id` (direct sale): its answer.
    pub fn batch(&self, p: &TestPartner, product_id: i64, quantity: i64) -> Value {
        let body = json!({"product_id": product_id, "quantity": quantity, "distribution_mode": "direct_sale"});
        self.ota_post(p, "/api/ota/tickets/bulk-generate", &body)
            .expect(201)
            .body
    }

    /// A reseller sells a pre-generated ticket as `customer_type` for `visit_date`: the ticket.
    pub fn sell_voucher(
        &self,
        p: &TestPartner,
        code: &str,
        customer_type: &str,
        visit_date: &str,
    ) -> Value {
        let sale = json!({"customer_details": {"name": "Wai Lun", "email": "wl@example.com"},
            "customer_type": customer_type, "visit_date": visit_date});
        let path = format!("/api/ota/tickets/{code}/activate");
        self.ota_post(p, &path, &sale).expect(200).body
    }

    /// A partner's POST without a body.
    pub fn ota_post_empty(&self, p: &TestPartner, path: &str) -> Resp {
        self.post(path).key(&p.key).send()
    }

    /// The status a partner sees on one of its reservations.
    pub fn reservation_status(&self, p: &TestPartner, reservation_id: &str) -> String {
        let path = format!("/api/ota/reservations/{reservation_id}");
        self.ota_get(p, &path).expect(200).text("status")
    }

    /// Registers a reseller for `p`; returns its id.
    pub fn reseller(&self, p: &TestPartner, body: &Value) -> i64 {
        let r = self.ota_post(p, "/api/ota/resellers", body).expect(201);
        r.body["id"].as_i64().expect("reseller id")
    }

    /// A login attempt with these credentials.
    pub fn try_login(&self, email: &str, password: &str) -> Resp {
        let body = json!({"email": email, "password": password});
        self.post("/api/auth/login").json(&body).send()
    }

    /// A paid order of one unit of `product_id` for a visit today: its ticket.
    pub fn sold_ticket(&self, p: &TestPartner, product_id: i64) -> Value {
        self.paid_order_on(p, product_id, 1, &today())["tickets"][0].clone()
    }

    /// A scanner at the gate presents a token for one function code.
    pub fn redeem(&self, scanner: &str, token: &str, function_code: &str) -> Resp {
        self.scan(
            scanner,
            &json!({"qr_token": token, "function_code": function_code}),
        )
    }

    /// A scanner at the gate sends this redemption request.
    pub fn scan(&self, scanner: &str, body: &Value) -> Resp {
        self.post("/venue/redeem").bearer(scanner).json(body).send()
    }

    /// A signed payment notification.
    pub fn notify(&self, body: &Value) -> Resp {
        let raw = serde_json::to_vec(body).unwrap();
        self.post("/payments/notify")
            .raw(raw.clone(), Some(ContentType::JSON))
            .header("X-Gangway-Signature", &signature(&raw, now_unix()))
            .send()
    }

    pub fn stock(&self, product_id: i64, channel: &str) -> (i64, i64, i64) {
        self.db()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT held, sold, allocated FROM inventory WHERE product_id = ?1 AND channel = ?2",
                    rusqlite::params![product_id, channel],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .unwrap()
    }

    /// Moves a reservation's expiry into the past (the expiry job has not seen it yet).
    pub fn expire_reservation(&self, id: &str) {
        self.sql(&format!(
            "UPDATE reservations SET reserved_until = '2020-01-01T00:00:00Z' WHERE id = '{id}'"
        ));
    }

    /// The day of the visit comes: every dated ticket is for today. For tests that price a
    /// weekday ahead and then scan (a ticket redeems only on its visit date).
    pub fn visit_day_comes(&self) {
        self.sql(&format!(
            "UPDATE tickets SET visit_date = '{}' WHERE visit_date IS NOT NULL",
            today()
        ));
    }

    /// An unpaid OTA order of all 1500 OTA units of package 108 whose hold expired and whose
    /// units someone else then took: a payment now finds no stock. (order id, amount due)
    pub fn order_whose_units_went(&self, p: &TestPartner) -> (String, i64) {
        let rid = self
            .reserve(p, 108, 1500)
            .expect(201)
            .text("reservation_id");
        let order = self.order(p, &rid, &[("adult", 1500)]).expect(201);
        self.expire_reservation(&rid);
        self.reserve(p, 108, 1500).expect(201);
        let amount = order.body["payment_required"]["amount_cents"]
            .as_i64()
            .unwrap();
        (order.text("order_id"), amount)
    }

    /// Reconciliation must say the stored counters equal what the rows say.
    pub fn assert_consistent(&self) {
        assert_consistent(self.db());
    }

    /// Keys that must be refused: a revoked one of `p`'s (and its id), and a suspended partner's.
    pub fn refused_keys(&self, p: &TestPartner) -> (String, i64, String) {
        let ctx = &self.state().ctx;
        let revoked =
            partners::create_key(self.db(), p.partner_id, "old", None, Actor::System).expect("key");
        partners::revoke_key(ctx, revoked.key_id, Actor::System).expect("revoke");
        let suspended = new_partner(self.db(), "Suspended");
        partners::set_status(ctx, suspended.partner_id, "suspended", Actor::System)
            .expect("suspend");
        (revoked.api_key, revoked.key_id, suspended.key)
    }

    /// An OCTO request (`path` under `/octo`) with the partner's key as bearer token.
    pub fn octo(&self, p: &TestPartner, method: Method, path: &str) -> Req<'_> {
        self.req(method, &format!("/octo{path}")).bearer(&p.key)
    }

    /// An OCTO hold of one unit item per unit id, on a date (`YYYY-MM-DD`) of a product.
    pub fn octo_book(&self, p: &TestPartner, product: &str, date: &str, units: &[&str]) -> Resp {
        self.octo(p, Method::Post, "/bookings")
            .json(&octo_reservation(product, date, units))
            .send()
    }
}

/// The body of an OCTO hold (the venue runs on UTC unless a test says otherwise).
pub fn octo_reservation(product: &str, date: &str, units: &[&str]) -> Value {
    let items: Vec<Value> = units.iter().map(|u| json!({"unitId": u})).collect();
    json!({"productId": product, "optionId": "DEFAULT", "availabilityId": slot(date), "unitItems": items})
}

/// The OCTO availability id of a date at a UTC venue.
pub fn slot(date: &str) -> String {
    format!("{date}T00:00:00+00:00")
}

/// Runs SQL straight on the database, in one write transaction.
pub fn run_sql(db: &Db, sql: &str) {
    let sql = sql.to_owned();
    db.write(move |tx| Ok(tx.execute_batch(&sql)?))
        .expect("sql");
}

/// The one integer a query answers.
pub fn scalar(db: &Db, sql: &str) -> i64 {
    db.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
        .expect("scalar")
}

/// Reconciliation must say the stored counters equal what the rows say.
pub fn assert_consistent(db: &Db) {
    let r = gangway::domain::reconciliation::report(db).unwrap();
    assert!(r.consistent, "inconsistent: {r:?}");
}

/// A partner with one API key, created straight in the database.
pub fn new_partner(db: &Db, name: &str) -> TestPartner {
    let p = partners::create(db, name, "", Actor::System).expect("partner");
    let k = partners::create_key(db, p.partner_id, "test", None, Actor::System).expect("key");
    TestPartner {
        partner_id: p.partner_id,
        key: k.api_key,
    }
}

/// A user of `role` whose password is [`PASSWORD`], created straight in the database.
pub fn new_user(db: &Db, email: &str, role: Role) -> i64 {
    let account = NewAccount {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
        role: role.as_str().to_owned(),
        name: "Test User".to_owned(),
    };
    accounts::create(db, &account, Actor::System)
        .expect("create user")
        .user_id
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn signature(body: &[u8], t: i64) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(gangway::domain::gateway::sign(WEBHOOK_SECRET, t, body))
    )
}

/// The venue's date today (the test venue is in UTC).
pub fn today() -> String {
    gangway::clock::date_to_db(time::OffsetDateTime::now_utc().date())
}

/// A Wednesday at least 30 days ahead (weekday prices).
pub fn weekday_ahead() -> String {
    let mut d = time::OffsetDateTime::now_utc().date() + time::Duration::days(30);
    while d.weekday() != time::Weekday::Wednesday {
        d = d.next_day().unwrap();
    }
    gangway::clock::date_to_db(d)
}

/// A Saturday at least 30 days ahead.
pub fn saturday_ahead() -> String {
    let mut d = time::OffsetDateTime::now_utc().date() + time::Duration::days(30);
    while d.weekday() != time::Weekday::Saturday {
        d = d.next_day().unwrap();
    }
    gangway::clock::date_to_db(d)
}

/// A real server on a free local port, for tests that need real HTTP and real concurrency.
pub struct Server {
    pub base: String,
    pub dir: TempDir,
    shutdown: rocket::Shutdown,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(|f| f)
    }

    pub fn start_with(tune: impl FnOnce(Figment) -> Figment) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let figment = tune(figment(&dir))
            .merge(("port", port))
            .merge(("address", "127.0.0.1"));
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            rocket::execute(async move {
                let rocket = gangway::build_rocket(figment)
                    .ignite()
                    .await
                    .expect("ignite");
                tx.send(rocket.shutdown()).unwrap();
                let _ = rocket.launch().await;
            })
        });
        let shutdown = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server ignited");
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base);
        Server {
            base,
            dir,
            shutdown,
            thread: Some(thread),
        }
    }

    pub fn db(&self) -> gangway::db::Db {
        gangway::db::Db::open(&self.dir.path().join("gangway.db"), 2).expect("db")
    }

    pub fn partner(&self, name: &str) -> TestPartner {
        new_partner(&self.db(), name)
    }

    pub fn sql(&self, sql: &str) {
        run_sql(&self.db(), sql)
    }

    pub fn scalar(&self, sql: &str) -> i64 {
        scalar(&self.db(), sql)
    }

    /// One request over real HTTP; any status comes back as a value.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        cred: &Cred,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        call_at(&self.base, method, path, cred, body, headers)
    }
}

/// One request over real HTTP to the server at `base`; any status comes back as a value.
pub fn call_at(
    base: &str,
    method: &str,
    path: &str,
    cred: &Cred,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let url = format!("{base}{path}");
    let agent = http();
    let mut req = ureq::http::Request::builder().method(method).uri(&url);
    match cred {
        Cred::None => {}
        Cred::Key(k) => req = req.header("X-API-Key", k),
        Cred::Bearer(t) => req = req.header("Authorization", format!("Bearer {t}")),
    }
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let result = match body {
        Some(b) => agent.run(
            req.header("Content-Type", "application/json")
                .body(serde_json::to_vec(b).unwrap())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    };
    let mut res = result.expect("HTTP exchange");
    let status = res.status().as_u16();
    let bytes = res
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_healthy(base: &str) {
    for _ in 0..200 {
        if ureq::get(&format!("{base}/health")).call().is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server at {base} did not become healthy");
}

/// A ureq agent that returns 4xx/5xx as responses instead of errors.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Reads the text of the QR code in a PNG, as a phone camera would.
pub fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("decodable QR").1
}

/// A venue scanner's bearer token.
pub fn venue(app: &TestApp) -> String {
    app.user("scanner@example.com", Role::Venue)
}

/// A string field of a JSON value (a ticket, an order) that must be there.
#[track_caller]
pub fn text_of(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {value}"))
        .to_owned()
}

/// A timestamp of an answer, parsed (the test fails when it is not RFC 3339).
#[track_caller]
pub fn time_of(value: &Value) -> time::OffsetDateTime {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    gangway::clock::parse_rfc3339(text).unwrap_or_else(|| panic!("not RFC 3339: {text}"))
}

/// A program a test runs: the path in `env` when that variable is set, else the first of `names`
/// on the PATH.
pub struct Tool<'a> {
    pub env: Option<&'a str>,
    pub names: &'a [&'a str],
}

fn find_tool(tool: &Tool<'_>) -> Option<PathBuf> {
    if let Some(path) = tool.env.and_then(std::env::var_os) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| tool.names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// The programs `test` needs, or None with a notice when one is missing on this machine; under
/// `CI=true` a missing program fails the test instead (CI must install it: `hint`).
pub fn tools_or_skip(test: &str, tools: &[Tool<'_>], hint: &str) -> Option<Vec<PathBuf>> {
    let found: Vec<Option<PathBuf>> = tools.iter().map(find_tool).collect();
    if found.iter().all(Option::is_some) {
        return Some(found.into_iter().flatten().collect());
    }
    let missing = tools
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(t, _)| match t.env {
            Some(var) => format!("{} (or ${var})", t.names[0]),
            None => t.names[0].to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" and ");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: {missing} not found; CI must install it ({hint})");
    }
    // Straight to stderr: the test harness would swallow an eprintln! of a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: skipping {test}: {missing} not found ({hint})"
    );
    None
}

/// The value of one series (`name` or `name{labels}`, exactly as written) in Prometheus text.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}
