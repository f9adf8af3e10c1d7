//! `rongshu`: the public data operation platform's one binary.

mod admin;
mod agreement;
mod bench;
mod config;
mod data;
mod demo;
mod demo_data;
mod demo_products;
mod demo_sandbox;
mod demo_workflow;
mod keys;
mod ledger;
mod log_writer;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "rongshu",
    version,
    about = "蓉数 Rongshu: public data operation service platform"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// Data directory: SQLite database, local object store, secret key.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://... (default, inside the data directory) or postgres://...
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the console.
    Serve(serve::ServeArgs),
    /// Seed a complete demo (idempotent), then serve.
    Demo(demo::DemoArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage organisations and accounts.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Verify or export the tamper-evident ledger.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Deliver files, recover interrupted deliveries, verify stored data.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Create or rotate the master key that wraps every data key.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Export a signed agreement, or verify an exported one offline.
    #[command(subcommand)]
    Agreement(agreement::AgreementCommand),
    /// Rerunnable performance measurements (BENCHMARKS.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Data calls and downloads free on one thread what another allocated;
/// glibc's allocator spends much of its time consolidating such memory.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serve_args = match &cli.command {
        Command::Serve(a) | Command::Demo(demo::DemoArgs { serve: a, .. }) => Some(a.clone()),
        _ => None,
    };
    let serve_args = serve_args.unwrap_or_default();
    let overrides = Overrides {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        listen: serve_args.listen,
        tls_cert: serve_args.tls_cert,
        tls_key: serve_args.tls_key,
        front_listen: serve_args.front_listen,
    };
    let config = match Config::load(cli.config.as_deref(), overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let _logging = match serve::init_logging(&config) {
        Ok(flusher) => flusher,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    for var in config::unknown_env_vars() {
        tracing::warn!(variable = %var, "environment variable names no configuration key; ignored");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(_) => serve::run(&config).await,
            Command::Demo(args) => demo::run(&config, args).await,
            Command::Migrate => serve::open(&config).await.map(|_| {
                println!("migrations applied");
                ExitCode::SUCCESS
            }),
            Command::Admin(cmd) => admin::run(&config, cmd).await,
            Command::Ledger(cmd) => ledger::run(&config, cmd).await,
            Command::Keys(cmd) => keys::run(&config, cmd).await,
            Command::Data(cmd) => data::run(&config, cmd).await,
            Command::Agreement(cmd) => agreement::run(&config, cmd).await,
            Command::Bench(cmd) => bench::run(&config, cmd).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
