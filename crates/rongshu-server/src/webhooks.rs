//! Posting queued notices to organisations' webhooks. Each post carries
//! `x-rongshu-timestamp` and `x-rongshu-signature: hmac-sm3=<hex>` over
//! `<timestamp>.<body>` under the webhook's secret, so an office system
//! can check where it came from and refuse replays.

use std::time::Duration;

use rongshu_crypto::KeyedHasher;
use rongshu_store::PendingDelivery;
use serde_json::json;

use crate::api::types::rfc3339;
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// Attempts before a notice is given up on; the waits double from a minute.
const MAX_ATTEMPTS: i64 = 8;

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mac = KeyedHasher::new(secret.as_bytes().to_vec()).hash_hex(&format!("{timestamp}.{body}"));
    format!("hmac-sm3={mac}")
}

/// Posts every due delivery once; returns how many were accepted.
pub async fn dispatch_webhooks(state: &AppState) -> Result<usize, ApiError> {
    let due = state.store().due_webhook_deliveries(now_ms(), 100).await?;
    if due.is_empty() {
        return Ok(0);
    }
    // Made only when there is something to post: a client reads and
    // parses the system's CA bundle (millions of instructions a tick).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::DataStorage(e.to_string()))?;
    let mut accepted = 0;
    for pending in due {
        let outcome = post(state, &client, &pending).await;
        let now = now_ms();
        let (status, delivered, retry) = match outcome {
            Ok(code) if (200..300).contains(&code) => (code.to_string(), Some(now), None),
            Ok(code) => (code.to_string(), None, next_try(pending.attempts, now)),
            Err(e) => (e, None, next_try(pending.attempts, now)),
        };
        accepted += usize::from(delivered.is_some());
        state
            .store()
            .record_webhook_attempt(pending.id, &status, delivered, retry)
            .await?;
    }
    Ok(accepted)
}

fn next_try(attempts: i64, now: i64) -> Option<i64> {
    (attempts + 1 < MAX_ATTEMPTS).then(|| now + 60_000 * (1 << attempts.clamp(0, 10)))
}

async fn post(
    state: &AppState,
    client: &reqwest::Client,
    pending: &PendingDelivery,
) -> Result<u16, String> {
    let secret = state
        .workflow()
        .webhook_secret(&pending.webhook)
        .map_err(|e| e.to_string())?;
    let n = &pending.notification;
    let body = json!({
        "id": n.id,
        "kind": n.notice.kind,
        "subject_type": n.notice.subject_type,
        "subject_id": n.notice.subject_id,
        "message": n.notice.message,
        "created_at": rfc3339(n.created_at_ms),
    })
    .to_string();
    let timestamp = now_ms() / 1000;
    let response = client
        .post(&pending.webhook.url)
        .header("content-type", "application/json")
        .header("x-rongshu-timestamp", timestamp.to_string())
        .header("x-rongshu-signature", signature(&secret, timestamp, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
    Ok(response.status().as_u16())
}
