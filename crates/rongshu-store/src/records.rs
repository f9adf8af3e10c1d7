//! What the store hands out and takes in. Plain data: no serde, no wire format.

use std::fmt;

use rongshu_domain::{Actor, PartyType, Role};

/// An organisation on the platform, one of the regulation's parties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    /// A short stable code, e.g. `scjgj` for 市市场监督管理局.
    pub code: String,
    pub name: String,
    pub party: PartyType,
    pub created_at_ms: i64,
}

#[derive(Clone, Debug)]
pub struct NewOrganization {
    pub code: String,
    pub name: String,
    pub party: PartyType,
}

/// An account, with its organisation's party type joined in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub party: PartyType,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub failed_logins: u32,
    pub locked_until_ms: Option<i64>,
    pub created_at_ms: i64,
}

impl Account {
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: self.id,
            org_id: self.org_id,
            party: self.party,
            role: self.role,
        }
    }
}

/// An account with its password hash, for sign-in only. `Debug` leaves
/// the hash out.
#[derive(Clone)]
pub struct AccountCredentials {
    pub account: Account,
    pub password_hash: String,
}

/// `Debug` leaves the hash out.
#[derive(Clone)]
pub struct NewAccount {
    pub org_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Already hashed by the caller.
    pub password_hash: String,
}

/// Where a session came from: the console (cookie, CSRF token) or the API
/// (bearer token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Console,
    Api,
}

impl SessionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionKind::Console => "console",
            SessionKind::Api => "api",
        }
    }
}

impl std::str::FromStr for SessionKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "console" => Ok(SessionKind::Console),
            "api" => Ok(SessionKind::Api),
            _ => Err(()),
        }
    }
}

/// A live session and the account behind it. `Debug` leaves the CSRF
/// token out.
#[derive(Clone)]
pub struct SessionPrincipal {
    pub session_id: i64,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub expires_at_ms: i64,
    pub account: Account,
}

/// An API key as listed to its owner: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub display_prefix: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    /// A front-system credential (Art. 8): honoured only on the front
    /// system's listener, never on the public API, and the reverse.
    pub front: bool,
}

/// A key about to be stored: only its keyed hash, never the key.
#[derive(Clone, Copy, Debug)]
pub struct NewApiKey<'a> {
    pub account_id: i64,
    pub name: &'a str,
    pub display_prefix: &'a str,
    pub key_hash: &'a str,
    pub expires_at_ms: i64,
    pub front: bool,
}

impl fmt::Debug for AccountCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountCredentials")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("org_id", &self.org_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SessionPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionPrincipal")
            .field("session_id", &self.session_id)
            .field("kind", &self.kind)
            .field("account", &self.account.username)
            .finish_non_exhaustive()
    }
}
