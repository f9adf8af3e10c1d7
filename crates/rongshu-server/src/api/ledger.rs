//! Reading and verifying the ledger.

use axum::extract::State;
use rongshu_domain::{LedgerScope, civil_time};
use rongshu_store::{LedgerFilter, ObjectFilter};

use super::types::{LedgerEntryView, LedgerPage, LedgerQuery, VerificationView};
use crate::context::{Json, Query, SignedIn};
use crate::error::ApiError;
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 500;

fn parse_time(field: &'static str, value: &str) -> Result<i64, ApiError> {
    civil_time::parse_instant(value).ok_or(ApiError::invalid(
        field,
        "expected an RFC 3339 time or a YYYY-MM-DD date",
    ))
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Turns query parameters into a store filter, narrowed to what the caller
/// may see.
pub(crate) fn filter_for(who: &SignedIn, q: LedgerQuery) -> Result<(LedgerFilter, u32), ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let org_id = match who.account().actor().ledger_scope() {
        LedgerScope::All => None,
        LedgerScope::Organization(id) => Some(id),
    };
    let object = match (non_empty(q.object_type), non_empty(q.object_id)) {
        (Some(object_type), object_id) => Some(ObjectFilter {
            object_type,
            object_id,
        }),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                "object_id",
                "needs object_type: an object id is unique only within its type",
            ));
        }
    };
    let filter = LedgerFilter {
        org_id,
        actor_username: non_empty(q.actor),
        action: non_empty(q.action),
        object,
        since_ms: non_empty(q.since)
            .map(|v| parse_time("since", &v))
            .transpose()?,
        until_ms: non_empty(q.until)
            .map(|v| parse_time("until", &v))
            .transpose()?,
        before_seq: q.before_seq,
    };
    Ok((filter, limit))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    let (filter, limit) = filter_for(&who, q)?;
    let entries = state.store().ledger_entries(&filter, limit).await?;
    let next_before_seq = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(Json(LedgerPage {
        entries: entries.iter().map(LedgerEntryView::from).collect(),
        next_before_seq,
    }))
}

pub(crate) async fn verify(
    State(state): State<AppState>,
) -> Result<Json<VerificationView>, ApiError> {
    let report = state.store().verify_ledger().await?;
    Ok(Json(VerificationView {
        intact: report.result.is_ok(),
        head_seq: report.head.seq,
        head_hash: report.head.hash.to_hex(),
        archived_through_seq: report.anchor.seq,
        entries_checked: report.checked,
        first_bad_seq: report.result.as_ref().err().map(|b| b.seq()),
        problem: report.result.err().map(|b| b.to_string()),
    }))
}
