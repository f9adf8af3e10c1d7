//! `rongshu ledger verify` and `rongshu ledger export`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rongshu_domain::civil_time;
use rongshu_ledger::Entry;
use rongshu_server::admin::Attribution;
use rongshu_store::{ARCHIVE_ACTION, Store};

use crate::admin::{LocalOperator, now_ms};
use serde_json::json;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the SM3 hash chain; exit 1 naming the first bad entry.
    Verify,
    /// Move entries older than a date into a JSON Lines file and remove them
    /// from the database; never entries younger than `ledger.retention_days`.
    Archive {
        /// Archive entries before this date (`YYYY-MM-DD`, China Standard Time) or RFC 3339 time.
        #[arg(long)]
        before: String,
        /// The archive file to write; it must not exist yet.
        #[arg(long, short = 'o')]
        output: PathBuf,
    },
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

/// The ledger's database only, as it is: verification must not write to
/// what it checks, so nothing is migrated here (`rongshu migrate` does that).
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::connect(&config.database_url())
        .await
        .context("connecting to the database")
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
                        "ledger intact: {} entries, head {} {}{}",
                        report.checked,
                        report.head.seq,
                        report.head.hash.to_hex(),
                        if report.anchor.seq > 0 {
                            format!(" (entries up to {} archived)", report.anchor.seq)
                        } else {
                            String::new()
                        }
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
            let anchor = store.ledger_anchor().await?;
            if since < anchor.seq {
                eprintln!(
                    "entries up to {} were archived: export starts after {}",
                    anchor.seq, anchor.seq
                );
            }
            let written = write_entries(&store, since, i64::MAX, sink).await?;
            eprintln!("exported {written} entries after seq {since}");
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Archive { before, output } => {
            archive(config, &store, &before, &output).await
        }
    }
}

/// Writes entries after `after` up to `through` as JSON Lines; returns how many.
async fn write_entries(
    store: &Store,
    mut after: i64,
    through: i64,
    sink: impl Write,
) -> anyhow::Result<u64> {
    const BATCH: u32 = 1000;
    let mut out = BufWriter::new(sink);
    let mut written = 0u64;
    loop {
        let batch = store.ledger_after(after, BATCH).await?;
        for e in batch.iter().take_while(|e| e.seq <= through) {
            serde_json::to_writer(&mut out, &line(e))?;
            out.write_all(b"\n")?;
            after = e.seq;
            written += 1;
        }
        if batch.len() < BATCH as usize || after >= through {
            break;
        }
    }
    out.flush()?;
    Ok(written)
}

async fn archive(
    config: &Config,
    store: &Store,
    before: &str,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let before_ms = civil_time::parse_instant(before)
        .with_context(|| format!("--before {before:?}: expected YYYY-MM-DD or an RFC 3339 time"))?;
    config.retention().check_archive(before_ms, now_ms())?;
    let anchor = store.ledger_anchor().await?;
    let Some(through) = store.archivable_through(before_ms).await? else {
        println!("nothing to archive before {before}");
        return Ok(ExitCode::SUCCESS);
    };
    // The file is complete and on disk before anything is removed.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .with_context(|| format!("creating {} (it must not exist)", output.display()))?;
    let written = write_entries(store, anchor.seq, through, &mut file).await?;
    file.sync_all()?;
    let digest = rongshu_crypto::sm3_hex_of(std::fs::File::open(output)?)?;
    let mut draft = LocalOperator::new().entry(ARCHIVE_ACTION, "ledger", None);
    draft.reason = Some(format!(
        "entries {}..={through} to {} (sm3 {digest})",
        anchor.seq + 1,
        output.display()
    ));
    let mut tx = store.begin().await?;
    let new_anchor = tx.archive(anchor.seq, through, draft).await?;
    tx.commit().await?;
    println!(
        "archived {written} entries ({}..={}) to {}, sm3 {digest}; verification now starts after entry {}",
        anchor.seq + 1,
        through,
        output.display(),
        new_anchor.seq
    );
    Ok(ExitCode::SUCCESS)
}
