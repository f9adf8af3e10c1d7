//! What every handler can reach.

use std::sync::Arc;

use rongshu_crypto::{KeyedHasher, PasswordHasher};
use rongshu_delivery::Deliveries;
use rongshu_domain::LockoutPolicy;
use rongshu_domain::resource::{Theme, default_themes};
use rongshu_products::Products;
use rongshu_sandbox::{Sandbox, SandboxConfig};
use rongshu_store::Store;
use rongshu_workflow::Workflow;

use crate::key_cache::KeyCache;
use crate::metrics::Metrics;

/// Tunables the binary reads from configuration.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Console sessions end this long after sign-in.
    pub console_session_minutes: i64,
    /// API sessions (bearer tokens from `POST /api/v1/sessions`) end this long after sign-in.
    pub api_session_minutes: i64,
    /// The longest life an API key may be given.
    pub api_key_max_days: i64,
    pub lockout: LockoutPolicy,
    /// Mark cookies `Secure` (on whenever TLS is on).
    pub secure_cookies: bool,
    pub body_limit_bytes: usize,
    /// The largest delivery a provider may upload (console or front system).
    pub delivery_limit_bytes: u64,
    /// The catalogue's theme taxonomy.
    pub themes: Vec<Theme>,
    /// Query limits and output checking.
    pub sandbox: SandboxConfig,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            console_session_minutes: 8 * 60,
            api_session_minutes: 60,
            api_key_max_days: 365,
            lockout: LockoutPolicy::default(),
            secure_cookies: false,
            body_limit_bytes: 2 * 1024 * 1024,
            delivery_limit_bytes: 16 << 30,
            themes: default_themes(),
            sandbox: SandboxConfig::default(),
        }
    }
}

/// Shared, cheaply cloned application state.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    passwords: PasswordHasher,
    keys: KeyedHasher,
    settings: ServerSettings,
    metrics: Metrics,
    deliveries: Deliveries,
    workflow: Workflow,
    products: Products,
    sandbox: Sandbox,
    data_call_keys: KeyCache,
}

impl AppState {
    pub fn new(
        store: Store,
        passwords: PasswordHasher,
        keys: KeyedHasher,
        settings: ServerSettings,
        deliveries: Deliveries,
        workflow: Workflow,
    ) -> Self {
        let products = Products::new(store.clone(), workflow.clone(), deliveries.clone());
        let sandbox = Sandbox::new(products.clone(), settings.sandbox.clone());
        AppState(Arc::new(Inner {
            sandbox,
            passwords,
            keys,
            settings,
            metrics: Metrics::default(),
            products,
            store,
            deliveries,
            workflow,
            data_call_keys: KeyCache::default(),
        }))
    }

    pub fn workflow(&self) -> &Workflow {
        &self.0.workflow
    }

    pub fn products(&self) -> &Products {
        &self.0.products
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.0.sandbox
    }

    pub fn deliveries(&self) -> &Deliveries {
        &self.0.deliveries
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn passwords(&self) -> &PasswordHasher {
        &self.0.passwords
    }

    pub fn keys(&self) -> &KeyedHasher {
        &self.0.keys
    }

    pub fn settings(&self) -> &ServerSettings {
        &self.0.settings
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub(crate) fn data_call_keys(&self) -> &KeyCache {
        &self.0.data_call_keys
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
