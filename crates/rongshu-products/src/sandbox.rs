//! Products as the sandbox reads them: admitted for the sandbox mode by
//! the same chain every data call passes, and read whole through the
//! product's pipeline (only the fields the authorization lets out), so a
//! workspace never holds more than the authorization allows.

use std::sync::Arc;

use rongshu_deid::Batch;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::Metered;
use rongshu_formats::OutputColumn;
use rongshu_ledger::Attribution;
use rongshu_store::{Product, Resource, Version};

use crate::access::Admission;
use crate::calls::citation;
use crate::download::project;
use crate::serving::{OutputRead, run_pipeline};
use crate::{Caller, ProductError, Products};

/// A product a caller may read in the sandbox, and what that rests on.
#[derive(Clone, Debug)]
pub struct SandboxSource {
    admission: Arc<Admission>,
}

impl SandboxSource {
    pub fn product(&self) -> &Product {
        &self.admission.product
    }

    pub fn resource(&self) -> &Resource {
        &self.admission.resource
    }

    /// The version read: the resource's newest.
    pub fn version(&self) -> &Version {
        &self.admission.version
    }

    /// The data use agreement the use rests on: the workspace.
    pub fn agreement_id(&self) -> i64 {
        self.admission.grant.agreement_id
    }

    pub fn authorization_id(&self) -> i64 {
        self.admission.grant.authorization_id
    }

    /// The access epoch the admission was read under: a workspace's copy
    /// of the data is good while it holds.
    pub fn stamp(&self) -> i64 {
        self.admission.stamp
    }

    /// The citation line every release carries.
    pub fn citation(&self) -> String {
        citation(
            &self.admission.resource,
            &self.admission.version,
            self.admission.day(),
        )
    }
}

impl Products {
    /// Every product offering the sandbox that `caller` is admitted to,
    /// and the refusals of the others (by product code).
    pub async fn sandbox_sources(
        &self,
        caller: &Caller,
    ) -> Result<(Vec<SandboxSource>, Vec<(String, ProductError)>), ProductError> {
        let (mut admitted, mut refused) = (Vec::new(), Vec::new());
        for product in self.store().products().await? {
            if !product.input.modes.contains(&ServiceMode::Sandbox) {
                continue;
            }
            match self.admit_sandbox(caller, &product.input.code).await {
                Ok(source) => admitted.push(source),
                Err(e) => refused.push((product.input.code, e)),
            }
        }
        Ok((admitted, refused))
    }

    /// The access chain for the sandbox mode, from this process's cache
    /// while nothing has changed.
    pub async fn admit_sandbox(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<SandboxSource, ProductError> {
        let admission = self.admit(caller, code, ServiceMode::Sandbox).await?;
        Ok(SandboxSource { admission })
    }

    /// Meters one sandbox statement's use of the products it read (a call
    /// each, and the rows of its answer as records) with their ledger
    /// entries, durably and together; refused, with nothing kept, past a
    /// day's quota, or when what an admission rested on changed meanwhile
    /// (`ProductError::Stale`: admit afresh).
    pub async fn meter_sandbox(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        sources: &[SandboxSource],
        rows: usize,
    ) -> Result<(), ProductError> {
        let used = Metered {
            calls: 1,
            records: i64::try_from(rows).unwrap_or(i64::MAX),
            downloads: 0,
            first_this_month: false,
        };
        let uses: Vec<_> = sources.iter().map(|s| (&*s.admission, used)).collect();
        self.record_uses(caller, by, "sandbox.use", &uses).await
    }

    /// The product's output over its version: the pipeline run whole, the
    /// fields the authorization lets out kept.
    pub async fn sandbox_output(
        &self,
        source: &SandboxSource,
    ) -> Result<(Vec<OutputColumn>, Vec<Batch>), ProductError> {
        let OutputRead {
            parquet,
            keys,
            pipeline,
            fields,
            keep,
        } = self.output_read(&source.admission).await?;
        let today = self.workflow().today();
        tokio::task::spawn_blocking(move || {
            let mut batches = Vec::new();
            let (columns, _) = run_pipeline(&parquet, &fields, &pipeline, &keys, today, |batch| {
                batches.push(project(batch, &keep));
                Ok(())
            })?;
            let columns = keep.iter().map(|k| columns[*k].clone()).collect();
            Ok((columns, batches))
        })
        .await
        .map_err(|e| ProductError::Worker(format!("reading the product failed: {e}")))?
    }
}
