//! A draft's preview (Art. 15): the newest version's first rows as
//! delivered and as the draft's pipeline puts them out, checked exactly as
//! saving would check them. A product that exists lends its keys, so its
//! pseudonyms and tokens look as they will; a new one gets one-off keys.

use rongshu_deid::{ProductKeys, RunReport};
use rongshu_domain::Actor;
use rongshu_formats::{OutputColumn, Ranged, VersionReader};
use rongshu_ledger::{Attribution, EntryDraft};

use crate::build::{new_key_material, output_columns, parse_pipeline};
use crate::serving::{BlockingFile, counted, rows_of};
use crate::{ProductDraft, ProductError, Products};

/// Rows a preview shows at most.
pub const MAX_PREVIEW_ROWS: usize = 100;

/// Rows with their columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub columns: Vec<OutputColumn>,
    pub rows: Vec<Vec<Option<String>>>,
}

#[derive(Clone, Debug)]
pub struct Preview {
    pub before: Sample,
    pub after: Sample,
    /// Over the rows read to fill `after`; k-anonymity's figures cover
    /// the whole version, which it counts first.
    pub report: RunReport,
    /// The product's own keys were used (it exists); else one-off keys.
    pub product_keys: bool,
}

impl Products {
    /// Previews `draft` over the first `rows` rows of its resource's newest
    /// version. Its plaintext is for the operator's staff who build it, and
    /// the ledger records each look.
    pub async fn preview(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        draft: &ProductDraft,
        rows: usize,
    ) -> Result<Preview, ProductError> {
        Self::may_build(actor)?;
        let rows = rows.clamp(1, MAX_PREVIEW_ROWS);
        let (input, _) = self.check(draft).await?;
        let resource = self.store().resource(input.resource_id).await?;
        let version = self.latest_version(&resource).await?;
        let (keys, product_keys) = match self.store().product_by_code(&input.code).await {
            Ok(product) => (self.keys(&product)?, true),
            Err(rongshu_store::StoreError::NotFound { .. }) => {
                let keys = ProductKeys::from_bytes(&new_key_material())
                    .ok_or_else(|| ProductError::Sealed(input.code.clone()))?;
                (keys, false)
            }
            Err(e) => return Err(e.into()),
        };
        let parquet = Ranged::new(BlockingFile {
            file: self.inner.deliveries.version_file(&version).await?,
            runtime: tokio::runtime::Handle::current(),
        });
        let pipeline = parse_pipeline(&input.pipeline)?;
        // It shows delivered data: ledgered before it is shown.
        let mut tx = self.store().begin_aside().await?;
        tx.append(EntryDraft {
            reason: Some(format!(
                "the first {rows} rows of {} v{}",
                resource.code, version.number
            )),
            ..by.entry("product.preview", "product", Some(input.code.clone()))
        })
        .await?;
        tx.commit().await?;
        let today = self.workflow().today();
        let fields = input.fields;
        tokio::task::spawn_blocking(move || -> Result<Preview, ProductError> {
            let compiled = pipeline.compile(&fields)?;
            let mut runner = counted(&compiled, &parquet, &fields, &keys, today)?;
            let reader = VersionReader::open(parquet.clone(), &fields, rows)?;
            let before_columns = fields
                .iter()
                .zip(reader.types())
                .map(|(name, stored)| OutputColumn {
                    name: name.clone(),
                    column_type: *stored,
                })
                .collect();
            let after_columns = output_columns(&pipeline, &fields, reader.types());
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for batch in reader {
                let batch = batch?;
                if before.len() < rows {
                    before.extend(rows_of(&batch).take(rows - before.len()));
                }
                after.extend(rows_of(&runner.apply(batch)).take(rows - after.len()));
                if after.len() >= rows {
                    break;
                }
            }
            Ok(Preview {
                before: Sample {
                    columns: before_columns,
                    rows: before,
                },
                after: Sample {
                    columns: after_columns,
                    rows: after,
                },
                report: runner.into_report(),
                product_keys,
            })
        })
        .await
        .map_err(|e| ProductError::Worker(format!("the preview failed: {e}")))?
    }
}
