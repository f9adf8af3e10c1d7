//! The master key that wraps every data key: `rongshu keys init|rotate`,
//! and loading it for every other command.
//!
//! Rotation writes the new key beside the old one as `<file>.next`,
//! re-wraps every data key in one transaction, then renames the new key
//! into place. If the process dies in between, the next start looks at
//! which key the database names and finishes or undoes the rename.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use rongshu_crypto::seal::MasterKey;
use rongshu_store::Store;

use crate::admin::LocalOperator;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create the master key file (refuses to overwrite one).
    Init,
    /// Re-wrap every data key under a new master key; data is not rewritten.
    Rotate {
        /// Where to write the new key when the current one comes from the
        /// environment (the variable must then be changed by hand).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn next_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".next");
    PathBuf::from(name)
}

fn read_key(path: &Path) -> anyhow::Result<MasterKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_key(text.trim()).with_context(|| format!("master key file {}", path.display()))
}

fn parse_key(hex_text: &str) -> anyhow::Result<MasterKey> {
    let bytes = hex::decode(hex_text).context("the master key is not hex")?;
    MasterKey::from_bytes(&bytes).context("the master key must be 32 bytes (64 hex digits)")
}

/// Creates a key file readable by its owner only, durably, with `hex` as
/// its one line; an existing file is never overwritten.
pub(crate) fn create_key_file(path: &Path, hex: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{hex}")?;
    file.sync_all()?;
    Ok(())
}

fn write_key(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    create_key_file(path, &key.to_hex())
}

/// The master key: from configuration (environment) or the key file,
/// creating the file on first start. Finishes an interrupted rotation.
pub async fn master_key(config: &Config, store: &Store) -> anyhow::Result<MasterKey> {
    if !config.storage.master_key.is_empty() {
        return parse_key(config.storage.master_key.trim()).context("storage.master_key");
    }
    let path = config.master_key_path();
    let next = next_path(&path);
    if next.exists() {
        let candidate = read_key(&next)?;
        let versions = store.all_versions().await?;
        if versions.iter().any(|v| v.master_key_id == candidate.id()) {
            std::fs::rename(&next, &path).context("finishing an interrupted key rotation")?;
            tracing::warn!("finished an interrupted master key rotation");
        } else {
            std::fs::remove_file(&next).context("undoing an interrupted key rotation")?;
            tracing::warn!("undid an interrupted master key rotation");
        }
    }
    if path.exists() {
        return read_key(&path);
    }
    let key = MasterKey::generate();
    write_key(&path, &key)?;
    tracing::info!(path = %path.display(), id = %key.id(), "created a new master key");
    Ok(key)
}

pub async fn run(config: &Config, command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Init => {
            let path = config.master_key_path();
            if path.exists() {
                bail!(
                    "{} exists already; use `rongshu keys rotate` to replace it",
                    path.display()
                );
            }
            std::fs::create_dir_all(&config.data_dir)?;
            let key = MasterKey::generate();
            write_key(&path, &key)?;
            println!("master key {} written to {}", key.id(), path.display());
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Rotate { out } => {
            let state = crate::serve::open(config).await?;
            let store = state.store();
            let old = master_key(config, store).await?;
            let new = MasterKey::generate();
            let from_env = !config.storage.master_key.is_empty();
            let staged = match (&out, from_env) {
                (Some(out), _) => out.clone(),
                (None, true) => bail!(
                    "the master key comes from the environment: give --out FILE for the new key"
                ),
                (None, false) => next_path(&config.master_key_path()),
            };
            write_key(&staged, &new)?;
            let count =
                rongshu_delivery::rewrap_all(store, &old, &new, &LocalOperator::new()).await?;
            if out.is_none() {
                std::fs::rename(&staged, config.master_key_path())
                    .context("putting the new master key in place")?;
            }
            println!(
                "re-wrapped {count} keys and sealed secrets from master key {} to {}",
                old.id(),
                new.id()
            );
            if let Some(out) = out {
                println!(
                    "the new key is in {}: put it where the old one was configured",
                    out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
