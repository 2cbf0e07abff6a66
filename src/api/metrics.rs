//! `GET /metrics` in the Prometheus text format, for staff sessions and for a scraper holding the
//! `metrics_token`. Requests and their latency are counted by a fairing as they pass; the writer's
//! queue wait by the writer itself; stock, the WAL, backups and replication are read when scraped, so
//! they are never stale.

use std::sync::atomic::Ordering;
use std::time::Instant;

use prometheus::core::Collector;
use prometheus::proto::{self, Bucket, Metric, MetricFamily, MetricType};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::get;
use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::{Data, Request, Response};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType, RefOr, Response as OpenApiResponse, Responses};
use rocket_okapi::okapi::schemars::schema::{InstanceType, SchemaObject};
use rocket_okapi::response::OpenApiResponderInner;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use time::OffsetDateTime;

use super::guards::MetricsReader;
use super::{run, ApiResult, App};
use crate::db::{self, WriterStats, WAIT_BUCKETS_MICROS};
use crate::domain::expiry::Released;
use crate::domain::{inventory, replication, Ctx};
use crate::error::AppError;

/// Request latency, from 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Which figure of a stock row a gauge shows.
type StockFigure = fn(&inventory::StockRow) -> i64;

/// Every series the server exports, in one registry per server.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    stock: [(StockFigure, IntGaugeVec); 4],
    database_bytes: IntGauge,
    wal_bytes: IntGauge,
    backup_last_success: Gauge,
    backup_last_size: IntGauge,
    backup_snapshots: IntGauge,
    backup_runs: IntCounterVec,
    replication_up: IntGauge,
    replication_last_sync: Gauge,
    expiry_runs: IntCounterVec,
    expiry_released: IntCounterVec,
    expiry_last_run: Gauge,
}

impl Metrics {
    /// `replicated`: a Litestream control socket is configured, so replication is reported.
    pub fn new(replicated: bool) -> Metrics {
        let stock = |what: &str| {
            IntGaugeVec::new(
                Opts::new(
                    format!("gangway_stock_{what}_units"),
                    format!("Units {what} per package and sales channel."),
                ),
                &["product_id", "channel"],
            )
            .expect("valid gauge")
        };
        let m = Metrics {
            registry: Registry::new(),
            requests: IntCounterVec::new(
                Opts::new("gangway_http_requests_total", "HTTP requests answered, by route and status."),
                &["method", "route", "status"],
            )
            .expect("valid counter"),
            latency: HistogramVec::new(
                HistogramOpts::new(
                    "gangway_http_request_duration_seconds",
                    "Time from a request's arrival to its response head, by route.",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["method", "route"],
            )
            .expect("valid histogram"),
            stock: [
                (|r| r.held, stock("held")),
                (|r| r.sold, stock("sold")),
                (|r| r.available, stock("available")),
                (|r| r.allocated, stock("allocated")),
            ],
            database_bytes: IntGauge::new("gangway_database_bytes", "Size of the database file.")
                .expect("valid gauge"),
            wal_bytes: IntGauge::new(
                "gangway_wal_bytes",
                "Size of the database's -wal file. Growing without end under checkpoint = \"external\" means Litestream is not running.",
            )
            .expect("valid gauge"),
            backup_last_success: Gauge::new(
                "gangway_backup_last_success_timestamp_seconds",
                "When the newest snapshot in backup_dir was taken (Unix time); 0 when there is none.",
            )
            .expect("valid gauge"),
            backup_last_size: IntGauge::new(
                "gangway_backup_last_size_bytes",
                "Size of the newest snapshot.",
            )
            .expect("valid gauge"),
            backup_snapshots: IntGauge::new(
                "gangway_backup_snapshots",
                "Snapshots kept in backup_dir.",
            )
            .expect("valid gauge"),
            backup_runs: IntCounterVec::new(
                Opts::new(
                    "gangway_backup_runs_total",
                    "Scheduled snapshots taken by this server, by outcome (ok, error).",
                ),
                &["outcome"],
            )
            .expect("valid counter"),
            replication_up: IntGauge::new(
                "gangway_replication_up",
                "1 when Litestream answers on litestream_socket and replicates this database.",
            )
            .expect("valid gauge"),
            replication_last_sync: Gauge::new(
                "gangway_replication_last_sync_timestamp_seconds",
                "Litestream's last successful sync to the replica (Unix time, from its control socket); 0 when unknown.",
            )
            .expect("valid gauge"),
            expiry_runs: IntCounterVec::new(
                Opts::new(
                    "gangway_expiry_runs_total",
                    "Runs of the job that releases expired holds, by outcome (ok, error).",
                ),
                &["outcome"],
            )
            .expect("valid counter"),
            expiry_released: IntCounterVec::new(
                Opts::new(
                    "gangway_expiry_released_total",
                    "Expired holds released by the job, by kind (reservation, direct_order).",
                ),
                &["kind"],
            )
            .expect("valid counter"),
            expiry_last_run: Gauge::new(
                "gangway_expiry_last_run_timestamp_seconds",
                "When the expiry job last finished (Unix time).",
            )
            .expect("valid gauge"),
        };
        let mut collectors: Vec<Box<dyn Collector>> = vec![
            Box::new(m.requests.clone()),
            Box::new(m.latency.clone()),
            Box::new(m.database_bytes.clone()),
            Box::new(m.wal_bytes.clone()),
            Box::new(m.backup_last_success.clone()),
            Box::new(m.backup_last_size.clone()),
            Box::new(m.backup_snapshots.clone()),
            Box::new(m.backup_runs.clone()),
            Box::new(m.expiry_runs.clone()),
            Box::new(m.expiry_released.clone()),
            Box::new(m.expiry_last_run.clone()),
        ];
        collectors.extend(
            m.stock
                .iter()
                .map(|(_, g)| Box::new(g.clone()) as Box<dyn Collector>),
        );
        if replicated {
            collectors.push(Box::new(m.replication_up.clone()));
            collectors.push(Box::new(m.replication_last_sync.clone()));
        }
        for c in collectors {
            m.registry.register(c).expect("metric names are unique");
        }
        for outcome in ["ok", "error"] {
            m.backup_runs.with_label_values(&[outcome]);
            m.expiry_runs.with_label_values(&[outcome]);
        }
        for kind in ["reservation", "direct_order"] {
            m.expiry_released.with_label_values(&[kind]);
        }
        m
    }

    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    pub fn expiry_ran(&self, result: &Result<Released, AppError>) {
        let outcome = match result {
            Ok(released) => {
                let by_kind = [
                    ("reservation", released.reservations),
                    ("direct_order", released.direct_orders),
                ];
                for (kind, n) in by_kind {
                    self.expiry_released
                        .with_label_values(&[kind])
                        .inc_by(n as u64);
                }
                "ok"
            }
            Err(_) => "error",
        };
        self.expiry_runs.with_label_values(&[outcome]).inc();
        self.expiry_last_run.set(unix_now());
    }

    pub fn backup_ran(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "error" };
        self.backup_runs.with_label_values(&[outcome]).inc();
    }

    /// Reads what is read at scrape time, then renders every series.
    fn render(&self, ctx: &Ctx) -> Result<String, AppError> {
        let rows = inventory::stock(&ctx.db)?;
        for (value, gauge) in &self.stock {
            gauge.reset();
            for r in &rows {
                gauge
                    .with_label_values(&[&r.product_id.to_string(), r.channel.as_str()])
                    .set(value(r));
            }
        }
        let path = ctx.db.path();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        self.database_bytes.set(as_gauge(size));
        self.wal_bytes.set(as_gauge(db::wal_bytes(path)));
        let newest = ctx.backups.list().ok().and_then(|l| l.into_iter().next());
        self.backup_last_success
            .set(newest.as_ref().map_or(0.0, |s| unix(s.taken_at)));
        self.backup_last_size
            .set(newest.as_ref().map_or(0, |s| as_gauge(s.size_bytes)));
        self.backup_snapshots
            .set(ctx.backups.list().map_or(0, |l| l.len() as i64));
        if let Some(socket) = &ctx.config.litestream_socket {
            let r = replication::status(socket, path);
            self.replication_up.set(i64::from(r.is_replicating()));
            self.replication_last_sync
                .set(r.last_sync_at.map_or(0.0, unix));
        }
        let mut families = self.registry.gather();
        families.extend(writer_families(ctx.db.writer_stats()));
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&families, &mut out)
            .map_err(|e| AppError::Internal(format!("metrics: {e}")))?;
        String::from_utf8(out).map_err(|e| AppError::Internal(format!("metrics: {e}")))
    }
}

/// The writer's own counters (kept by the writer thread, read here): how long jobs queued for it,
/// as a histogram, and how many jobs it ran in how many commits (group commit at work).
fn writer_families(stats: &WriterStats) -> Vec<MetricFamily> {
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let mut cumulative = 0;
    let buckets: Vec<Bucket> = WAIT_BUCKETS_MICROS
        .iter()
        .zip(&stats.wait_buckets)
        .map(|(bound, n)| {
            cumulative += load(n);
            let mut b = Bucket::default();
            b.set_upper_bound(*bound as f64 / 1e6);
            b.set_cumulative_count(cumulative);
            b
        })
        .collect();
    // The encoder writes the `+Inf` bucket from the count.
    let count = cumulative + stats.wait_buckets.last().map_or(0, load);
    let mut histogram = proto::Histogram::default();
    histogram.set_sample_count(count);
    histogram.set_sample_sum(load(&stats.queue_wait_micros) as f64 / 1e6);
    histogram.set_bucket(buckets);
    let mut wait = Metric::default();
    wait.set_histogram(histogram);
    let counter = |value: u64| {
        let mut c = proto::Counter::default();
        c.set_value(value as f64);
        let mut m = Metric::default();
        m.set_counter(c);
        m
    };
    [
        (
            "gangway_db_writer_wait_seconds",
            "Time a write waited in the queue for the single writer connection.",
            MetricType::HISTOGRAM,
            wait,
        ),
        (
            "gangway_db_write_jobs_total",
            "Write transactions run by the writer (committed or refused).",
            MetricType::COUNTER,
            counter(load(&stats.jobs)),
        ),
        (
            "gangway_db_write_commits_total",
            "Commits of the writer; jobs per commit is the group-commit batch size.",
            MetricType::COUNTER,
            counter(load(&stats.groups)),
        ),
    ]
    .into_iter()
    .map(|(name, help, kind, metric)| {
        let mut f = MetricFamily::default();
        f.set_name(name.to_owned());
        f.set_help(help.to_owned());
        f.set_field_type(kind);
        f.set_metric(vec![metric]);
        f
    })
    .collect()
}

fn as_gauge(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

fn unix(t: OffsetDateTime) -> f64 {
    t.unix_timestamp_nanos() as f64 / 1e9
}

fn unix_now() -> f64 {
    unix(OffsetDateTime::now_utc())
}

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: metrics]
}

/// Prometheus text format (0.0.4): requests by route and status, latency histograms, the writer's
/// queue wait, stock per package and channel, database and WAL size, the last backup and the last
/// replication sync, expiry job runs. Staff session, or `Authorization: Bearer <metrics_token>`.
#[openapi(tag = "Operations")]
#[get("/metrics")]
async fn metrics(app: App, _reader: MetricsReader) -> ApiResult<PromText> {
    let state = app.clone();
    run(&app, move |ctx| state.metrics.render(ctx))
        .await
        .map(PromText)
}

/// A body in the Prometheus text exposition format.
pub struct PromText(String);

impl<'r> Responder<'r, 'static> for PromText {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let content_type = ContentType::new("text", "plain")
            .with_params([("version", "0.0.4"), ("charset", "utf-8")]);
        Response::build_from((content_type, self.0).respond_to(req)?)
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

impl OpenApiResponderInner for PromText {
    fn responses(_: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let mut content = rocket_okapi::okapi::Map::new();
        content.insert(
            "text/plain; version=0.0.4".to_owned(),
            MediaType {
                schema: Some(SchemaObject {
                    instance_type: Some(InstanceType::String.into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let mut responses = Responses::default();
        responses.responses.insert(
            "200".to_owned(),
            RefOr::Object(OpenApiResponse {
                description: "Every series, in the Prometheus text exposition format.".to_owned(),
                content,
                ..Default::default()
            }),
        );
        Ok(responses)
    }
}

/// When a request arrived, for its latency.
struct Arrived(Instant);

/// Counts every response by method, route template (bounded: `/api/ota/orders/<id>`, never the
/// id itself) and status, and observes its latency.
pub struct RequestMetrics;

#[rocket::async_trait]
impl Fairing for RequestMetrics {
    fn info(&self) -> Info {
        Info {
            name: "Request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrived(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(app) = req.rocket().state::<App>() else {
            return;
        };
        let seconds = req
            .local_cache(|| Arrived(Instant::now()))
            .0
            .elapsed()
            .as_secs_f64();
        let route = req
            .route()
            .map_or_else(|| "unmatched".to_owned(), |r| r.uri.to_string());
        app.metrics
            .request(req.method().as_str(), &route, res.status().code, seconds);
    }
}
