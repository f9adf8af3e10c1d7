//! `rongshu agreement export` and `rongshu agreement verify`: an agreement
//! as a file its parties keep, checked offline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// Write an agreement with its text, SM3 digest and SM2 signatures.
    Export {
        /// The agreement's id.
        id: i64,
        /// Output file; standard output when absent.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Check an exported agreement offline: the text matches its digest,
    /// every party signed, every signature verifies. Exit 1 if not.
    Verify {
        /// The exported agreement (JSON).
        file: PathBuf,
    },
}

pub async fn run(config: &Config, cmd: AgreementCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AgreementCommand::Verify { file } => verify(&file),
        AgreementCommand::Export { id, output } => {
            let state = crate::serve::open(config).await?;
            let export = state.workflow().export(id).await?;
            let json = serde_json::to_string_pretty(&export)?;
            match output {
                Some(path) => std::fs::write(&path, json + "\n")
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verify(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match rongshu_workflow::verify_export(&text) {
        Ok(verified) => {
            println!(
                "agreement {} ({}) verifies: SM3 {}",
                verified.id,
                verified.kind.as_str(),
                verified.digest
            );
            for (party, code) in &verified.signed_by {
                println!("  signed by {party} {code} (SM2)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("agreement does NOT verify: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
