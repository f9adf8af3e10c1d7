//! Data products and services (Art. 5, 15, 17).
//!
//! The operator builds products on authorizations ([`Products::save`]);
//! every data call (query, verification, download) passes the access
//! chain in [`access`] — agreement in force and in term, authorization not
//! terminated, supply not suspended, quota, rate — then runs the
//! product's pipeline and is ledgered (segment operator → user) and
//! metered in one transaction. The Big Data Center suspends and resumes
//! supply ([`supply`]); statements and the price list come from the
//! meters ([`statements`]).
//!
//! *Invariants:* no HTTP; who may use data is decided by
//! `rongshu_workflow::Workflow::may_use` and the checks here, never by
//! callers; a pipeline's output is checked against the authorization when
//! the product is saved and again before it serves.

pub mod access;
mod build;
mod calls;
pub mod consulting;
mod download;
mod error;
mod oversight;
pub mod preview;
mod recorder;
pub mod sandbox;
mod serving;
pub mod statements;
pub mod supply;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::{Arc, OnceLock};

use rongshu_crypto::seal::MasterKey;
use rongshu_deid::{ProductKeys, product_key_context};
use rongshu_delivery::Deliveries;
use rongshu_store::{Product, Store};
use rongshu_workflow::Workflow;

pub use access::Caller;
pub use build::{Buildable, ProductDraft, output_columns};
pub use calls::{QueryAnswer, Verdict, VerifyAnswer};
pub use download::Download;
pub use error::{ProductError, Refusal};
pub use sandbox::SandboxSource;

/// Products and the services built on them.
#[derive(Clone, Debug)]
pub struct Products {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    workflow: Workflow,
    deliveries: Deliveries,
    serving: serving::Cache,
    delivered: download::Delivered,
    admissions: access::AdmissionCache,
    rates: access::RateLimiter,
    /// Started on the first use.
    recorder: OnceLock<Result<recorder::Recorder, String>>,
}

impl Products {
    pub fn new(store: Store, workflow: Workflow, deliveries: Deliveries) -> Products {
        Products {
            inner: Arc::new(Inner {
                store,
                workflow,
                deliveries,
                serving: serving::Cache::default(),
                delivered: download::Delivered::default(),
                admissions: access::AdmissionCache::default(),
                rates: access::RateLimiter::default(),
                recorder: OnceLock::new(),
            }),
        }
    }

    /// The store products are kept in; services built on products (the
    /// sandbox) share it, and with it the access epoch their caches keep.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn workflow(&self) -> &Workflow {
        &self.inner.workflow
    }

    /// Where data files are sealed and kept; the sandbox keeps its
    /// workspace tables there.
    pub fn deliveries(&self) -> &Deliveries {
        &self.inner.deliveries
    }

    fn master(&self) -> Arc<MasterKey> {
        self.inner.deliveries.master()
    }

    /// A product's pseudonym and token keys, opened.
    fn keys(&self, product: &Product) -> Result<ProductKeys, ProductError> {
        let sealed = |_| ProductError::Sealed(product.input.code.clone());
        let bytes = hex::decode(&product.wrapped_key).map_err(|_| sealed(()))?;
        let material = self
            .master()
            .open_secret(&bytes, &product_key_context(&product.input.code))
            .map_err(|_| sealed(()))?;
        ProductKeys::from_bytes(&material).ok_or_else(|| sealed(()))
    }

    pub async fn products(&self) -> Result<Vec<Product>, ProductError> {
        Ok(self.store().products().await?)
    }

    pub async fn product(&self, code: &str) -> Result<Product, ProductError> {
        Ok(self.store().product_by_code(code).await?)
    }
}
