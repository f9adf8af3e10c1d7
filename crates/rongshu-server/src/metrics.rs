//! Prometheus text metrics for this process: requests by route and status,
//! latency histograms, ledger entries written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Keyed by the route table's own strings: nothing is allocated per request.
    requests: Mutex<BTreeMap<(&'static str, &'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    ledger_entries: AtomicU64,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    /// Records one finished request; `route` is the declared path template.
    pub fn observe(
        &self,
        route: &'static str,
        method: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        let mut requests = self.requests.lock().expect("metrics lock");
        *requests.entry((route, method, status)).or_default() += 1;
        drop(requests);
        let secs = elapsed.as_secs_f64();
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry(route).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    pub fn ledgered(&self, entries: u64) {
        self.ledger_entries.fetch_add(entries, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP rongshu_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE rongshu_http_requests_total counter\n");
        for ((route, method, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "rongshu_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP rongshu_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE rongshu_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().expect("metrics lock").iter() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "rongshu_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "rongshu_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "rongshu_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "rongshu_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP rongshu_ledger_entries_written_total Ledger entries this process appended.\n",
        );
        out.push_str("# TYPE rongshu_ledger_entries_written_total counter\n");
        let _ = writeln!(
            out,
            "rongshu_ledger_entries_written_total {}",
            self.ledger_entries.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("/healthz", "GET", 200, Duration::from_millis(3));
        m.observe("/healthz", "GET", 200, Duration::from_millis(30));
        m.ledgered(2);
        let text = m.render();
        assert!(text.contains(
            "rongshu_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "rongshu_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "rongshu_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.05\"} 2"
        ));
        assert!(text.contains("rongshu_http_request_duration_seconds_count{route=\"/healthz\"} 2"));
        assert!(text.contains("rongshu_ledger_entries_written_total 2"));
    }
}
