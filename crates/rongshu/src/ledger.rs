//! `rongshu ledger verify` and `rongshu ledger export`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rongshu_ledger::Entry;
use rongshu_store::Store;
use serde_json::json;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the SM3 hash chain; exit 1 naming the first bad entry.
    Verify,
    /// Write entries after a sequence number as JSON Lines (for the sharing platform, Art. 17).
    Export {
        /// Export entries with a sequence number greater than this.
        #[arg(long, default_value_t = 0)]
        since: i64,
        /// Output file; standard output when absent.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

/// The ledger's data only: verification must not write to what it checks.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url())
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

fn line(e: &Entry) -> serde_json::Value {
    let d = &e.draft;
    json!({
        "seq": e.seq,
        "at_ms": d.at_ms,
        "actor_account_id": d.actor_account_id,
        "actor_username": d.actor_username,
        "org_id": d.org_id,
        "party_type": d.party.map(|p| p.as_str()),
        "action": d.action,
        "object_type": d.object_type,
        "object_id": d.object_id,
        "segment": d.segment.map(|s| s.as_str()),
        "outcome": d.outcome.as_str(),
        "reason": d.reason,
        "request_id": d.request_id,
        "client_addr": d.client_addr,
        "prev_hash": e.prev_hash.to_hex(),
        "hash": e.hash.to_hex(),
    })
}

pub async fn run(config: &Config, cmd: LedgerCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    match cmd {
        LedgerCommand::Verify => {
            let report = store.verify_ledger().await?;
            match report.result {
                Ok(()) => {
                    println!(
                        "ledger intact: {} entries, head {} {}",
                        report.checked,
                        report.head.seq,
                        report.head.hash.to_hex()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(b) => {
                    println!(
                        "ledger BROKEN at entry {}: {b} ({} entries verified before it)",
                        b.seq(),
                        report.checked
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        LedgerCommand::Export { since, output } => {
            let sink: Box<dyn Write> = match &output {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut out = BufWriter::new(sink);
            let mut after = since;
            let mut written = 0u64;
            loop {
                let batch = store.ledger_after(after, 1000).await?;
                for e in &batch {
                    serde_json::to_writer(&mut out, &line(e))?;
                    out.write_all(b"\n")?;
                    after = e.seq;
                    written += 1;
                }
                if batch.len() < 1000 {
                    break;
                }
            }
            out.flush()?;
            eprintln!("exported {written} entries after seq {since}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
