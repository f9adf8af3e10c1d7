//! Products prepared for calls: the pipeline's output of the newest
//! version held in memory with an index on the query parameters, and keyed
//! digests (never plaintext) of the fields a verification compares.
//! Prepared once per product revision and version, in each process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::NaiveDate;
use rongshu_deid::{Batch, Compiled, Pipeline, ProductKeys, RunReport, Runner, values};
use rongshu_delivery::VersionFile;
use rongshu_formats::{OutputColumn, RangeSource, Ranged, VersionReader, VersionSource};
use rongshu_store::{ProductInput, Version};

use crate::access::Admission;
use crate::build::{output_columns, parse_pipeline};
use crate::calls::visible_fields;
use crate::{ProductError, Products};

const BATCH_ROWS: usize = 8192;

/// A product ready to answer calls.
#[derive(Debug)]
pub(crate) struct Serving {
    pub revision: i64,
    pub version: Version,
    pub columns: Vec<OutputColumn>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Query parameter values, in the product's order → rows.
    pub index: HashMap<Vec<String>, Vec<u32>>,
    /// Digest of a record's key → (compared field, digest of its value).
    pub verify: HashMap<String, Vec<(usize, String)>>,
    pub keys: ProductKeys,
}

#[derive(Debug, Default)]
pub(crate) struct Cache {
    tables: Mutex<HashMap<i64, Arc<Serving>>>,
    /// One preparation at a time: the calls that find a product unprepared
    /// wait for the first to finish instead of each doing the same work.
    preparing: tokio::sync::Mutex<()>,
}

impl Cache {
    fn get(&self, admission: &Admission) -> Option<Arc<Serving>> {
        let tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        tables
            .get(&admission.product.id)
            .filter(|s| {
                s.revision == admission.product.revision && s.version.id == admission.version.id
            })
            .cloned()
    }
}

impl Products {
    pub(crate) async fn serving(
        &self,
        admission: &Admission,
    ) -> Result<Arc<Serving>, ProductError> {
        if let Some(serving) = self.inner.serving.get(admission) {
            return Ok(serving);
        }
        let _preparing = self.inner.serving.preparing.lock().await;
        if let Some(serving) = self.inner.serving.get(admission) {
            return Ok(serving);
        }
        let (product, resource, version) =
            (&admission.product, &admission.resource, &admission.version);
        let parquet = Bytes::from(
            self.inner
                .deliveries
                .read_version(&resource.code, version)
                .await?,
        );
        let keys = self.keys(product)?;
        let pipeline = parse_pipeline(&product.input.pipeline)?;
        let input = product.input.clone();
        let today = self.workflow().today();
        let revision = product.revision;
        let version = version.clone();
        let serving = tokio::task::spawn_blocking(move || {
            prepare(parquet, &input, &pipeline, keys, today, revision, version)
        })
        .await
        .map_err(|e| ProductError::Worker(format!("preparing the product failed: {e}")))??;
        let serving = Arc::new(serving);
        self.inner
            .serving
            .tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(product.id, serving.clone());
        Ok(serving)
    }
}

/// A version's file read by range from a blocking thread (downloads and
/// previews run their pipelines on one).
pub(crate) struct BlockingFile {
    pub file: VersionFile,
    pub runtime: tokio::runtime::Handle,
}

impl RangeSource for BlockingFile {
    fn len(&self) -> u64 {
        self.file.len()
    }

    fn read(&self, range: std::ops::Range<u64>) -> std::io::Result<Bytes> {
        self.runtime
            .block_on(self.file.read(range))
            .map(Bytes::from)
            .map_err(std::io::Error::other)
    }
}

/// What reading an admitted product's output needs: its version by
/// range, its keys and pipeline, and which of its fields the caller's
/// authorization lets out.
pub(crate) struct OutputRead {
    pub parquet: Ranged<BlockingFile>,
    pub keys: ProductKeys,
    pub pipeline: Pipeline,
    pub fields: Vec<String>,
    /// Positions in `fields` of those let out.
    pub keep: Vec<usize>,
}

impl Products {
    pub(crate) async fn output_read(
        &self,
        admission: &Admission,
    ) -> Result<OutputRead, ProductError> {
        let parquet = Ranged::new(BlockingFile {
            file: self
                .inner
                .deliveries
                .version_file(&admission.version)
                .await?,
            runtime: tokio::runtime::Handle::current(),
        });
        let fields = admission.product.input.fields.clone();
        let visible = visible_fields(&admission.product, &admission.grant);
        let keep = (0..fields.len())
            .filter(|i| visible.contains(&fields[*i]))
            .collect();
        Ok(OutputRead {
            parquet,
            keys: self.keys(&admission.product)?,
            pipeline: parse_pipeline(&admission.product.input.pipeline)?,
            fields,
            keep,
        })
    }
}

/// The columns a pipeline's output over a version has.
pub(crate) fn columns_of(
    parquet: &impl VersionSource,
    fields: &[String],
    pipeline: &Pipeline,
) -> Result<Vec<OutputColumn>, ProductError> {
    let reader = VersionReader::open(parquet.clone(), fields, 1)?;
    Ok(output_columns(pipeline, fields, reader.types()))
}

/// Runs a pipeline over a version: counting first when k-anonymity needs
/// every row. Returns the stored types and the rows that come out.
pub(crate) fn run_pipeline(
    parquet: &impl VersionSource,
    fields: &[String],
    pipeline: &Pipeline,
    keys: &ProductKeys,
    today: NaiveDate,
    mut each: impl FnMut(rongshu_deid::Batch) -> Result<(), ProductError>,
) -> Result<(Vec<OutputColumn>, RunReport), ProductError> {
    let compiled = pipeline.compile(fields)?;
    let mut runner = counted(&compiled, parquet, fields, keys, today)?;
    let reader = VersionReader::open(parquet.clone(), fields, BATCH_ROWS)?;
    let columns = output_columns(pipeline, fields, reader.types());
    for batch in reader {
        each(runner.apply(batch?))?;
    }
    Ok((columns, runner.into_report()))
}

/// A runner of `compiled` over a version, with the first pass that
/// k-anonymity needs (counting every row) done.
pub(crate) fn counted<'p>(
    compiled: &'p Compiled,
    parquet: &impl VersionSource,
    fields: &[String],
    keys: &'p ProductKeys,
    today: NaiveDate,
) -> Result<Runner<'p>, ProductError> {
    let mut runner = Runner::new(compiled, keys, today);
    if compiled.needs_count() {
        for batch in VersionReader::open(parquet.clone(), fields, BATCH_ROWS)? {
            runner.count(batch?);
        }
    }
    Ok(runner)
}

/// A batch's rows, each a row of values.
pub(crate) fn rows_of(batch: &Batch) -> impl Iterator<Item = Vec<Option<String>>> + '_ {
    (0..batch.rows).map(|r| batch.columns.iter().map(|c| c[r].clone()).collect())
}

fn prepare(
    parquet: Bytes,
    input: &ProductInput,
    pipeline: &Pipeline,
    keys: ProductKeys,
    today: NaiveDate,
    revision: i64,
    version: Version,
) -> Result<Serving, ProductError> {
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let (columns, _) = run_pipeline(&parquet, &input.fields, pipeline, &keys, today, |batch| {
        rows.extend(rows_of(&batch));
        Ok(())
    })?;
    let positions: Vec<usize> = input
        .query_parameters
        .iter()
        .filter_map(|p| input.fields.iter().position(|f| f == p))
        .collect();
    let mut index: HashMap<Vec<String>, Vec<u32>> = HashMap::new();
    if !positions.is_empty() {
        for (at, row) in rows.iter().enumerate() {
            let key: Option<Vec<String>> = positions.iter().map(|p| row[*p].clone()).collect();
            if let Some(key) = key {
                index.entry(key).or_default().push(at as u32);
            }
        }
    }
    let verify = match &input.verify_key_field {
        Some(key_field) => verification_digests(&parquet, key_field, &input.verify_fields, &keys)?,
        None => HashMap::new(),
    };
    Ok(Serving {
        revision,
        version,
        columns,
        rows,
        index,
        verify,
        keys,
    })
}

/// How a compared value is written before digesting, on both sides.
pub(crate) fn normalized(value: &str) -> String {
    values::half_width(values::trim(value))
}

pub(crate) fn key_digest(keys: &ProductKeys, key: &str) -> String {
    keys.pseudonym(&format!("verify-key\u{0}{}", normalized(key)))
}

pub(crate) fn value_digest(keys: &ProductKeys, field: &str, key: &str, value: &str) -> String {
    keys.pseudonym(&format!(
        "verify\u{0}{field}\u{0}{}\u{0}{}",
        normalized(key),
        normalized(value)
    ))
}

fn verification_digests(
    parquet: &Bytes,
    key_field: &str,
    compared: &[String],
    keys: &ProductKeys,
) -> Result<HashMap<String, Vec<(usize, String)>>, ProductError> {
    let mut fields = vec![key_field.to_owned()];
    fields.extend(compared.iter().cloned());
    let mut digests: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    for batch in VersionReader::open(parquet.clone(), &fields, BATCH_ROWS)? {
        let batch = batch?;
        for r in 0..batch.rows {
            let Some(key) = batch.columns[0][r].as_deref() else {
                continue;
            };
            let entry = digests.entry(key_digest(keys, key)).or_default();
            for (at, field) in compared.iter().enumerate() {
                if let Some(value) = batch.columns[at + 1][r].as_deref() {
                    entry.push((at, value_digest(keys, field, key, value)));
                }
            }
        }
    }
    Ok(digests)
}
