//! Request and response types: the wire format, converted explicitly from
//! domain and store types so either can change without the other.

use rongshu_ledger::Entry;
use rongshu_store::{Account, ApiKey, Organization};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Milliseconds since the Unix epoch as an RFC 3339 UTC time.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SessionCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: String,
    pub account: AccountView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub organization_id: i64,
    pub organization_name: String,
    /// operator, governance, economy, bigdata_center, provider, user or expert.
    pub party_type: String,
    pub disabled: bool,
    pub locked_until: Option<String>,
    pub created_at: String,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str().to_owned(),
            organization_id: a.org_id,
            organization_name: a.org_name.clone(),
            party_type: a.party.as_str().to_owned(),
            disabled: a.disabled,
            locked_until: a.locked_until_ms.map(rfc3339),
            created_at: rfc3339(a.created_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetPasswordRequest {
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateApiKeyRequest {
    pub name: String,
    /// Days until the key expires; 90 when omitted.
    pub expires_in_days: Option<i64>,
    /// `api` (default) for the public API, `front` for the front system's
    /// listener (providers and the Big Data Center only).
    pub surface: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// `api` or `front`: the listener the key is honoured on.
    pub surface: String,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(k: &ApiKey) -> Self {
        ApiKeyView {
            id: k.id,
            name: k.name.clone(),
            prefix: k.display_prefix.clone(),
            created_at: rfc3339(k.created_at_ms),
            expires_at: rfc3339(k.expires_at_ms),
            revoked_at: k.revoked_at_ms.map(rfc3339),
            surface: if k.front { "front" } else { "api" }.to_owned(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyCreated {
    /// The key itself: shown only in this reply, stored only as a keyed hash.
    pub key: String,
    #[serde(flatten)]
    pub view: ApiKeyView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OrganizationView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub party_type: String,
    pub created_at: String,
}

impl From<&Organization> for OrganizationView {
    fn from(o: &Organization) -> Self {
        OrganizationView {
            id: o.id,
            code: o.code.clone(),
            name: o.name.clone(),
            party_type: o.party.as_str().to_owned(),
            created_at: rfc3339(o.created_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateOrganizationRequest {
    /// Short stable code: lower-case letters, digits and hyphens.
    pub code: String,
    pub name: String,
    pub party_type: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAccountRequest {
    pub username: String,
    pub display_name: String,
    /// admin, staff or auditor.
    pub role: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerEntryView {
    pub seq: i64,
    pub at: String,
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<String>,
    pub organization_id: Option<i64>,
    pub party_type: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    /// The Art. 18 responsibility segment, where data moved.
    pub segment: Option<String>,
    /// success, denied or failed.
    pub outcome: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&Entry> for LedgerEntryView {
    fn from(e: &Entry) -> Self {
        let d = &e.draft;
        LedgerEntryView {
            seq: e.seq,
            at: rfc3339(d.at_ms),
            actor_account_id: d.actor_account_id,
            actor_username: d.actor_username.clone(),
            organization_id: d.org_id,
            party_type: d.party.map(|p| p.as_str().to_owned()),
            action: d.action.clone(),
            object_type: d.object_type.clone(),
            object_id: d.object_id.clone(),
            segment: d.segment.map(|s| s.as_str().to_owned()),
            outcome: d.outcome.as_str().to_owned(),
            reason: d.reason.clone(),
            request_id: d.request_id.clone(),
            client_addr: d.client_addr.clone(),
            prev_hash: e.prev_hash.to_hex(),
            hash: e.hash.to_hex(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerPage {
    pub entries: Vec<LedgerEntryView>,
    /// Pass as `before_seq` for the next (older) page; absent on the last.
    pub next_before_seq: Option<i64>,
}

#[derive(Deserialize, ToSchema, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LedgerQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    /// Only with `object_type`: an id is unique only within its type.
    pub object_id: Option<String>,
    /// RFC 3339 time or date (`2026-11-01`), inclusive.
    pub since: Option<String>,
    /// RFC 3339 time or date, exclusive.
    pub until: Option<String>,
    pub before_seq: Option<i64>,
    /// 1 to 500; 100 when omitted.
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VerificationView {
    pub intact: bool,
    pub head_seq: i64,
    pub head_hash: String,
    /// Entries up to this one were archived; verification starts after it.
    pub archived_through_seq: i64,
    pub entries_checked: u64,
    /// The first bad sequence number, when the chain is broken.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}
