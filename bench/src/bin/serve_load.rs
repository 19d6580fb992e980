//! A load of concurrent clients on `engram serve`'s REST API, for `bench/serve.sh`: each
//! client, on its own thread and keep-alive connection, makes calls one after another for a
//! while, a share of them writes (`POST /v1/relate`: one relation, inferred from at once),
//! the rest reads (`GET /v1/recall`, `GET /v1/search`, `GET /v1/entities`); each answer is
//! checked (status 200). Search and entities ask for `payments` and `ledger-api` (the example
//! memory's), or, on a store without `ledger-api`, for the first entity its graph lists (so
//! that on any store they read something). Prints one JSON line: calls per second and latency percentiles of
//! reads and of writes.
//!
//!     serve_load BASE_URL TOKEN CLIENTS SECONDS WRITE_SHARE

use std::time::{Duration, Instant};

/// What one client measured: each call's kind (write?) and latency.
type Timings = Vec<(bool, Duration)>;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, token, clients, seconds, share] = args.as_slice() else {
        anyhow::bail!("usage: serve_load BASE_URL TOKEN CLIENTS SECONDS WRITE_SHARE");
    };
    let clients: usize = clients.parse()?;
    let run_for = Duration::from_secs_f64(seconds.parse()?);
    let share: f64 = share.parse()?;
    let subject = subject(base, token)?;
    let subject = &subject;
    let started = Instant::now();
    let timings: Vec<Timings> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| s.spawn(move || client(base, token, subject, c, run_for, share)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .collect::<anyhow::Result<_>>()?;
    let elapsed = started.elapsed().as_secs_f64();
    let all: Timings = timings.into_iter().flatten().collect();
    let summary = |writes: bool| {
        let mut ms: Vec<f64> = (all.iter())
            .filter(|t| t.0 == writes)
            .map(|t| t.1.as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms.get(((ms.len() as f64 * q) as usize).min(ms.len().saturating_sub(1)));
        serde_json::json!({
            "calls": ms.len(),
            "per_s": (ms.len() as f64 / elapsed).round(),
            "p50_ms": at(0.5).map(|x| (x * 100.0).round() / 100.0),
            "p99_ms": at(0.99).map(|x| (x * 100.0).round() / 100.0),
        })
    };
    let out = serde_json::json!({
        "clients": clients, "seconds": (elapsed * 10.0).round() / 10.0, "write_share": share,
        "reads": summary(false), "writes": summary(true),
    });
    println!("{out}");
    Ok(())
}

/// What search and entities ask for (URL-encoded): the example memory's `payments` and
/// `ledger-api`, or the first entity of the store's graph, for both.
fn subject(base: &str, token: &str) -> anyhow::Result<(String, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str| -> anyhow::Result<serde_json::Value> {
        let mut r = (agent.get(format!("{base}{path}")))
            .header("Authorization", &format!("Bearer {token}"))
            .call()?;
        Ok(serde_json::from_str(&r.body_mut().read_to_string()?)?)
    };
    let known = get("/v1/entities?name=ledger-api")?;
    if known["entities"].as_array().is_some_and(|e| !e.is_empty()) {
        return Ok(("payments".into(), "ledger-api".into()));
    }
    let graph = get("/v1/graph?names_only=true&asserted_only=true&limit=1")?;
    let name = graph["entities"][0]["name"]
        .as_str()
        .unwrap_or("ledger-api");
    let encoded: String = (name.bytes())
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    Ok((encoded.clone(), encoded))
}

/// One client's calls until `run_for` has passed: every call whose index falls in the write
/// share (spread evenly) writes a relation of its own.
fn client(
    base: &str,
    token: &str,
    (search, entity): &(String, String),
    c: usize,
    run_for: Duration,
    share: f64,
) -> anyhow::Result<Timings> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {token}");
    let questions = [
        "webhook retries",
        "payments service",
        "who owns the ledger",
        "database migration",
    ];
    let mut out = Vec::new();
    let started = Instant::now();
    let mut i = 0usize;
    while started.elapsed() < run_for {
        let write = share > 0.0 && ((i + 1) as f64 * share).floor() > (i as f64 * share).floor();
        let t = Instant::now();
        let response = if write {
            let body = serde_json::json!({"from": format!("client-{c}"), "type": "TOUCHES",
                                          "to": format!("thing-{c}-{i}")});
            agent
                .post(format!("{base}/v1/relate"))
                .header("Authorization", &auth)
                .send_json(&body)
        } else {
            let path = match i % 3 {
                0 => format!(
                    "/v1/recall?q={}&limit=5",
                    questions[i / 3 % questions.len()].replace(' ', "+")
                ),
                1 => format!("/v1/search?q={search}&limit=20"),
                _ => format!("/v1/entities?name={entity}"),
            };
            agent
                .get(format!("{base}{path}"))
                .header("Authorization", &auth)
                .call()
        };
        let mut response = response?;
        let status = response.status();
        let body = response.body_mut().read_to_string()?;
        anyhow::ensure!(status == 200, "client {c} call {i}: {status}: {body}");
        out.push((write, t.elapsed()));
        i += 1;
    }
    Ok(out)
}
