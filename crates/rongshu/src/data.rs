//! `rongshu data`: deliveries and stored versions from the command line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use rongshu_delivery::DeliveryRequest;
use rongshu_domain::resource::DeliveryChannel;
use rongshu_ingest::{FieldType, Format, TextEncoding};

use crate::admin::LocalOperator;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Deliver a file to a resource through the ingest path, as the front
    /// system would; prints the new version as JSON.
    Deliver {
        /// The resource's code.
        #[arg(long)]
        resource: String,
        file: PathBuf,
        /// csv, xlsx, json, ndjson or parquet (default: from the extension).
        #[arg(long)]
        format: Option<String>,
        /// utf-8 or gb18030 (default: detected).
        #[arg(long)]
        encoding: Option<String>,
        /// XLSX: the sheet to read.
        #[arg(long)]
        sheet: Option<String>,
        /// A field type instead of the inferred one, as name:type (repeatable).
        #[arg(long = "type")]
        types: Vec<String>,
    },
    /// Remove what interrupted deliveries left behind (runs at every
    /// server start too).
    Recover,
    /// Decrypt every stored version and check it against its SM3 digest.
    Verify,
}

/// The most memory this process has held, from the kernel (Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn field_types(pairs: &[String]) -> anyhow::Result<BTreeMap<String, FieldType>> {
    pairs
        .iter()
        .map(|p| {
            let (name, kind) = p
                .rsplit_once(':')
                .with_context(|| format!("--type {p:?}: expected name:type"))?;
            Ok((name.to_owned(), kind.parse::<FieldType>()?))
        })
        .collect()
}

pub async fn run(config: &Config, command: DataCommand) -> anyhow::Result<ExitCode> {
    let state = crate::serve::open(config).await?;
    match command {
        DataCommand::Deliver {
            resource,
            file,
            format,
            encoding,
            sheet,
            types,
        } => {
            let target = state.store().resource_by_code(&resource).await?;
            let opened = tokio::fs::File::open(&file)
                .await
                .with_context(|| format!("opening {}", file.display()))?;
            let size = opened.metadata().await?.len();
            let request = DeliveryRequest {
                resource_id: target.id,
                channel: DeliveryChannel::Local,
                file_name: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                format: format.as_deref().map(str::parse::<Format>).transpose()?,
                encoding: encoding
                    .as_deref()
                    .map(str::parse::<TextEncoding>)
                    .transpose()?,
                delimiter: None,
                sheet,
                field_types: field_types(&types)?,
                bytes_total: Some(size),
                delivered_by: None,
            };
            let started = Instant::now();
            let delivered = state
                .deliveries()
                .deliver(request, &LocalOperator::new(), opened)
                .await?;
            let seconds = started.elapsed().as_secs_f64();
            let v = &delivered.version;
            let report = serde_json::json!({
                "resource": resource,
                "version": v.number,
                "rows": v.row_count,
                "bad_rows": delivered.report.bad_rows,
                "source_bytes": v.source_bytes,
                "parquet_bytes": v.byte_size,
                "sealed_bytes": v.sealed_size,
                "sm3": v.digest,
                "cipher": v.suite,
                "seconds": seconds,
                "mb_per_second": size as f64 / 1e6 / seconds.max(1e-9),
                "peak_rss_bytes": peak_rss_bytes(),
                "suggested_grade": v.suggested_grade.as_str(),
            });
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Recover => {
            let r = state.deliveries().recover().await?;
            println!(
                "abandoned ingests removed: {}; orphaned objects removed: {}",
                r.abandoned_ingests, r.orphaned_objects
            );
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Verify => {
            let mut failures = 0;
            let versions = state.store().all_versions().await?;
            for v in &versions {
                let resource = state.store().resource(v.resource_id).await?;
                match state.deliveries().read_version(&resource.code, v).await {
                    Ok(_) => println!(
                        "ok      {} v{} ({} rows)",
                        resource.code, v.number, v.row_count
                    ),
                    Err(e) => {
                        failures += 1;
                        println!("FAILED  {e}");
                    }
                }
            }
            let tables = state.store().sandbox_tables(None).await?;
            for t in &tables {
                let file = rongshu_sandbox::kept_file(&t.table);
                match state.deliveries().open_kept(&file).await {
                    Ok(_) => println!(
                        "ok      sandbox table {} of workspace {} ({} rows)",
                        t.table.name, t.table.agreement_id, t.table.row_count
                    ),
                    Err(e) => {
                        failures += 1;
                        println!("FAILED  sandbox table {}: {e}", t.table.name);
                    }
                }
            }
            if failures > 0 {
                bail!(
                    "{failures} of {} versions and sandbox tables failed verification",
                    versions.len() + tables.len()
                );
            }
            println!(
                "{} versions verified; {} sandbox tables verified",
                versions.len(),
                tables.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
