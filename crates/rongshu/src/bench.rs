//! `rongshu bench calls`: query and verification calls per second and
//! their latency under concurrent connections, against a bare axum handler
//! served by the same process, measured in rounds so that each call run
//! is compared with the bare handler's run just before it (issue 5,
//! section 7). A fresh demo is seeded in a temporary data directory; every
//! measured call passes the whole access chain and commits its ledger
//! entry and meter before it answers. Needs `wrk` (Debian's package) as
//! the load generator.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::post;

use crate::config::Config;

mod cpu;

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Query and verification API calls against a bare handler.
    Calls {
        /// Seconds per measured run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: u64,
        /// Rounds of the three runs; each call run is compared with the
        /// bare handler's run of its own round.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=20))]
        rounds: u64,
    },
}

/// Seconds each run is driven, unmeasured, before the rounds: the first
/// calls prepare each product's serving table and grow the write-ahead
/// log to its working size.
const WARM_UP_SECONDS: u64 = 2;

/// What one wrk run measured.
#[derive(Debug)]
struct Measured {
    requests: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Milliseconds from wrk's `1.23ms` / `456.00us` / `1.20s`.
fn millis(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    Some(number.parse::<f64>().ok()? * scale)
}

fn parse_wrk(out: &str) -> anyhow::Result<Measured> {
    let field = |prefix: &str| {
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    let errors = out
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0);
    let requests = out
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .context("wrk printed no request count")?;
    Ok(Measured {
        requests,
        per_second: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .context("wrk printed no Requests/sec")?,
        p50_ms: field("50%").and_then(|v| millis(&v)).context("no p50")?,
        p99_ms: field("99%").and_then(|v| millis(&v)).context("no p99")?,
        errors,
    })
}

fn wrk(
    dir: &Path,
    url: &str,
    key: &str,
    body: &str,
    seconds: u64,
    connections: u64,
) -> anyhow::Result<Measured> {
    let script = dir.join("post.lua");
    let escaped = body.replace('\\', "\\\\").replace('"', "\\\"");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = \"{escaped}\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\n"
        ),
    )?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .context("running wrk (apt-get install wrk)")?;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// The middle value (the mean of the middle two of an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

async fn listen(app: Router) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

pub async fn run(config: &Config, command: BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Calls {
        seconds,
        connections,
        rounds,
    } = command;
    let dir = std::env::temp_dir().join(format!("rongshu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut config = config.clone();
    config.data_dir = dir.clone();
    let state = crate::serve::open(&config).await?;
    let password = rongshu_crypto::random_password();
    crate::demo::seed(&state, Some(password)).await?;
    crate::demo_data::seed(&state).await?;
    crate::demo_workflow::seed(&state).await?;
    let calls = crate::demo_products::seed(&state, "")
        .await?
        .context("the bench needs a database without products: give it a fresh one")?;
    // The chain is measured, not the limiter: lift the demo's quotas.
    for product in state.store().products().await? {
        let mut unlimited = product.input.clone();
        unlimited.daily_call_quota = None;
        unlimited.rate_per_minute = None;
        let mut tx = state.store().begin().await?;
        tx.update_product(
            product.id,
            product.revision,
            &unlimited,
            product.updated_at_ms,
        )
        .await?;
        tx.commit().await?;
    }
    let served = listen(rongshu_server::app(state)).await?;
    let bare = listen(Router::new().route(
        "/bare",
        post(|| async { axum::Json(serde_json::json!({ "ok": true })) }),
    ))
    .await?;

    let runs = [
        (
            "bare axum handler (baseline)",
            format!("http://{bare}/bare"),
            "{}".to_owned(),
        ),
        (
            "query API",
            format!("http://{served}/api/v1/products/registrations-query/query"),
            calls.query_body.clone(),
        ),
        (
            "verification API",
            format!("http://{served}/api/v1/products/registrations-verify/verify"),
            calls.verify_body.clone(),
        ),
    ];
    let drive = |run: usize, seconds: u64| {
        let (name, url, body) = &runs[run];
        let (dir, key, url, body) = (
            dir.clone(),
            calls.api_key.clone(),
            url.clone(),
            body.clone(),
        );
        let name = *name;
        async move {
            let measured = tokio::task::spawn_blocking(move || {
                wrk(&dir, &url, &key, &body, seconds, connections)
            })
            .await??;
            anyhow::Ok((name, measured))
        }
    };
    for run in 0..runs.len() {
        drive(run, WARM_UP_SECONDS).await?;
    }
    println!(
        "{connections} connections, {seconds} s a run, {rounds} rounds after a {WARM_UP_SECONDS} s warm-up of each; wrk and the server sharing this machine's cores"
    );
    println!(
        "| round | run | requests/s | vs bare | p50 ms | p99 ms | non-2xx | CPU µs a call: process | of it recorder | wrk |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut ratios = vec![Vec::new(); runs.len()];
    let mut p99s = vec![Vec::new(); runs.len()];
    let mut cpus = vec![Vec::new(); runs.len()];
    for round in 1..=rounds {
        let mut baseline = None;
        for run in 0..runs.len() {
            let before = cpu::sample();
            let (name, m) = drive(run, seconds).await?;
            let cpu = before
                .zip(cpu::sample())
                .map(|(before, after)| before.per_call(after, m.requests));
            let bare = *baseline.get_or_insert(m.per_second);
            ratios[run].push(m.per_second / bare);
            p99s[run].push(m.p99_ms);
            cpus[run].extend(cpu);
            let cpu = cpu.map_or("– | – | –".to_owned(), |c| {
                format!("{:.1} | {:.1} | {:.1}", c.process, c.recorder, c.wrk)
            });
            println!(
                "| {round} | {name} | {:.0} | {:.3} | {:.2} | {:.2} | {} | {cpu} |",
                m.per_second,
                m.per_second / bare,
                m.p50_ms,
                m.p99_ms,
                m.errors
            );
        }
    }
    println!(
        "\n| run | median vs bare | median p99 ms | worst p99 ms | median CPU µs a call: process | of it recorder | wrk |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (run, (name, _, _)) in runs.iter().enumerate() {
        let of = |part: fn(&cpu::CpuPerCall) -> f64| {
            let values: Vec<f64> = cpus[run].iter().map(part).collect();
            if values.is_empty() {
                "–".to_owned()
            } else {
                format!("{:.1}", median(&values))
            }
        };
        println!(
            "| {name} | {:.3} | {:.2} | {:.2} | {} | {} | {} |",
            median(&ratios[run]),
            median(&p99s[run]),
            p99s[run].iter().copied().fold(0.0, f64::max),
            of(|c| c.process),
            of(|c| c.recorder),
            of(|c| c.wrk),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let out = "  Latency Distribution\n     50%    1.50ms\n     75%    2.00ms\n     90%    3.00ms\n     99%  850.00us\n  1000 requests in 10.00s\n  Non-2xx or 3xx responses: 3\nRequests/sec:  12345.67\n";
        let m = parse_wrk(out).unwrap();
        assert_eq!(
            (m.requests, m.per_second, m.p50_ms, m.errors),
            (1000, 12345.67, 1.5, 3)
        );
        assert!((m.p99_ms - 0.85).abs() < 1e-9);
        assert_eq!(millis("1.20s"), Some(1200.0));
        assert!(parse_wrk("nothing").is_err());
    }

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&[0.3, 0.1, 0.2]), 0.2);
        assert_eq!(median(&[0.4, 0.1, 0.2, 0.3]), 0.25);
        assert_eq!(median(&[0.7]), 0.7);
    }
}
