//! What a running server counts, at `/metrics` in Prometheus' text format: requests by route,
//! method and status, their latency as a histogram by route, requests refused because too many
//! were in progress, the groups of writes made durable together (group commit) and the writes
//! they held, and, read from the store when scraped, its generation (commits), facts and bytes
//! on disk. Routes are their templates (`/v1/entities/{name}`), never a path as
//! asked, so the series stay few.
//!
//! The bound on requests in progress is here too: past it a request is answered `503` at once
//! (with `Retry-After`), not queued without end.

use crate::guard::refusal;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engram_mcp::{Access, Server};
use http::StatusCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// A request's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

/// A route's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The server's counters, and the bound on requests in progress.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    refused: Counter,
    generation: Gauge,
    facts: Gauge,
    bytes: Gauge,
    write_groups: Gauge,
    grouped_writes: Gauge,
    in_progress: Arc<Semaphore>,
}

impl Metrics {
    /// Counters at zero; at most `max_requests` requests in progress.
    pub(crate) fn new(max_requests: usize) -> Metrics {
        let mut registry = Registry::with_prefix("engram");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        // 0.25 ms to about 8 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
        });
        let help = "Seconds from a request's arrival to its response";
        registry.register("http_request_duration_seconds", help, latency.clone());
        let refused = Counter::default();
        let help = "Requests refused (503) because too many were in progress";
        registry.register("http_requests_refused", help, refused.clone());
        let (generation, facts, bytes) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("store_generation", "The store's commit", generation.clone());
        registry.register("store_facts", "Facts in the store", facts.clone());
        registry.register("store_bytes", "Bytes of the store's files", bytes.clone());
        let (write_groups, grouped_writes) = (Gauge::default(), Gauge::default());
        let help = "Groups of writes made durable together, each with one wait for the disk";
        registry.register("write_groups", help, write_groups.clone());
        let help = "Writes run in those groups (over write_groups: the mean group)";
        registry.register("grouped_writes", help, grouped_writes.clone());
        Metrics {
            registry,
            requests,
            latency,
            refused,
            generation,
            facts,
            bytes,
            write_groups,
            grouped_writes,
            in_progress: Arc::new(Semaphore::new(max_requests.max(1))),
        }
    }

    /// The text of `/metrics`, with the store's figures read now.
    pub(crate) async fn render(&self, server: &Server) -> Response {
        if let Ok(stats) = server
            .call("stats", serde_json::json!({}), Access::Read)
            .await
        {
            let figure = |k: &str| stats[k].as_i64().unwrap_or(0);
            self.generation.set(figure("generation"));
            self.facts.set(figure("facts"));
            self.bytes.set(figure("bytes_on_disk"));
        }
        let (groups, writes) = server.group_counts();
        self.write_groups.set(groups as i64);
        self.grouped_writes.set(writes as i64);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        ([(http::header::CONTENT_TYPE, kind)], text).into_response()
    }
}

/// Answers `503` when too many requests are in progress; else passes the request on and
/// counts it, with its latency.
pub(crate) async fn count(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = (request.extensions().get::<MatchedPath>()).map_or_else(
        || first_segment(request.uri().path()),
        |m| m.as_str().to_string(),
    );
    let method = request.method().to_string();
    let started = Instant::now();
    let response = match metrics.in_progress.clone().try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(request).await;
            drop(permit);
            response
        }
        Err(_) => {
            metrics.refused.inc();
            let detail = "too many requests in progress; try again shortly";
            let mut response = refusal(StatusCode::SERVICE_UNAVAILABLE, "overloaded", detail);
            let again = http::HeaderValue::from_static("1");
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, again);
            response
        }
    };
    let labels = RequestLabels {
        route: route.clone(),
        method,
        status: response.status().as_u16(),
    };
    metrics.requests.get_or_create(&labels).inc();
    let route = RouteLabels { route };
    (metrics.latency.get_or_create(&route)).observe(started.elapsed().as_secs_f64());
    response
}

/// A path no route template names, as a label: its first segment (`/mcp`), so that paths
/// nobody serves do not each make a series.
fn first_segment(path: &str) -> String {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    format!("/{first}")
}
