//! `rongshu serve`, and opening the platform's state for every command.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rongshu_crypto::{KeyedHasher, PasswordHasher};
use rongshu_delivery::Deliveries;
use rongshu_objects::DataFiles;
use rongshu_server::AppState;
use rongshu_store::Store;
use rongshu_workflow::Workflow;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::log_writer::{LogFlusher, log_buffer};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
    /// PEM certificate chain for HTTPS.
    #[arg(long)]
    pub tls_cert: Option<String>,
    /// PEM private key for HTTPS.
    #[arg(long)]
    pub tls_key: Option<String>,
    /// Address of the front system's listener (default 127.0.0.1:8081;
    /// empty turns it off).
    #[arg(long)]
    pub front_listen: Option<String>,
}

/// Log lines go to standard error through [`log_buffer`]: written where
/// they are made, each would put a system call on its request's path.
/// Keep the flusher until exit: dropping it writes out what is left.
pub fn init_logging(config: &Config) -> anyhow::Result<LogFlusher> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, flusher) =
        log_buffer(Box::new(std::io::stderr())).context("starting the log writer")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    if config.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    Ok(flusher)
}

/// Reads the HMAC key, creating it (readable by the owner only) on first use.
fn secret_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let key =
            hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        anyhow::ensure!(
            key.len() >= 32,
            "{} holds fewer than 32 bytes",
            path.display()
        );
        return Ok(key);
    }
    let key = KeyedHasher::generate_key();
    crate::keys::create_key_file(path, &hex::encode(&key))?;
    tracing::info!(path = %path.display(), "created a new secret key");
    Ok(key)
}

/// Opens the data directory and the database, applies migrations, and
/// builds the application state every command works through.
pub async fn open(config: &Config) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let url = config.database_url();
    let store = Store::connect(&url)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    let passwords =
        PasswordHasher::new(config.password_params()).context("password hashing parameters")?;
    let keys = KeyedHasher::new(secret_key(&config.secret_key_path())?);
    let master = crate::keys::master_key(config, &store).await?;
    let s3 = config
        .storage
        .s3
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let files = DataFiles::from_url(&config.storage_url(), s3).context("storage.url")?;
    let deliveries = Deliveries::new(store.clone(), files, master, config.delivery_config());
    let workflow = Workflow::new(
        store.clone(),
        Arc::new(config.calendar()?),
        config.deadlines(),
        deliveries.master(),
    );
    warn_if_calendar_ends_soon(&workflow);
    Ok(AppState::new(
        store,
        passwords,
        keys,
        config.server_settings(),
        deliveries,
        workflow,
    ))
}

/// Deadlines count Monday to Friday in years the calendar lacks; the next
/// year's holiday notice comes each November, so say so from then on.
fn warn_if_calendar_ends_soon(workflow: &Workflow) {
    use chrono::Datelike;
    let today = workflow.today();
    let needed = if today.month() >= 11 {
        today.year() + 1
    } else {
        today.year()
    };
    if !workflow.calendar().covers(needed) {
        tracing::warn!(
            year = needed,
            "the working-day calendar does not cover {needed}: deadlines there count Monday to Friday \
             until workflow.calendar_file holds that year's holiday notice"
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Recovery of abandoned ingests: at start-up, then as often as an ingest
/// can go stale.
fn spawn_recovery(config: &Config, state: AppState) {
    let period = std::time::Duration::from_secs(config.ingest.stale_after_secs.max(2) / 2);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        loop {
            every.tick().await;
            match state.deliveries().recover().await {
                Ok(r) if r == Default::default() => {}
                Ok(r) => tracing::warn!(
                    abandoned = r.abandoned_ingests,
                    orphans = r.orphaned_objects,
                    "removed what interrupted deliveries left"
                ),
                Err(e) => tracing::warn!(error = %e, "delivery recovery failed"),
            }
        }
    });
}

/// The front system's scheduled pulls: every `front.pull_check_secs`, each
/// server runs the due pulls it can claim.
/// Posts queued notices to organisations' webhooks every few seconds.
fn spawn_webhooks(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            if let Err(e) = rongshu_server::dispatch_webhooks(&state).await {
                tracing::warn!(error = %e, "webhook dispatch failed");
            }
        }
    });
}

fn spawn_pulls(config: &Config, state: AppState) {
    let period = std::time::Duration::from_secs(config.front.pull_check_secs);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        loop {
            every.tick().await;
            if let Err(e) = state
                .deliveries()
                .run_due_pulls(&rongshu_delivery::Platform)
                .await
            {
                tracing::warn!(error = %e, "scheduled pulls failed");
            }
        }
    });
}

/// Hourly housekeeping: ended sessions leave the database, and stages
/// that became overdue are reported to their parties and supervisors.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match rongshu_server::purge_ended_sessions(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "removed ended sessions"),
                Err(e) => tracing::warn!(error = %e, "session housekeeping failed"),
            }
            match state
                .workflow()
                .notify_overdue(&rongshu_delivery::Platform)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(stages = n, "reported overdue stages"),
                Err(e) => tracing::warn!(error = %e, "overdue check failed"),
            }
        }
    });
}

/// Tells whoever started the server where it listens. A closed standard
/// output (a script that read the first line and went away) is no reason
/// to stop serving.
fn announce(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Serves until interrupted.
pub async fn serve(config: &Config, state: AppState) -> anyhow::Result<ExitCode> {
    spawn_housekeeping(state.clone());
    spawn_webhooks(state.clone());
    spawn_recovery(config, state.clone());
    if !config.front.listen.is_empty() {
        spawn_pulls(config, state.clone());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let shutdown = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let addr: SocketAddr = config
        .server
        .listen
        .parse()
        .with_context(|| format!("server.listen {:?}", config.server.listen))?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let tls = if config.server.tls_cert.is_empty() {
        None
    } else {
        Some(crate::serve::tls::load(
            &config.server.tls_cert,
            &config.server.tls_key,
        )?)
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %local, "serving {scheme}://{local}/");
    // Scripts read this first line for the address.
    announce(&format!("rongshu listening on {scheme}://{local}/"));
    // The front system faces the government network: its own listener.
    let front = if config.front.listen.is_empty() {
        None
    } else {
        let addr: SocketAddr = config
            .front
            .listen
            .parse()
            .with_context(|| format!("front.listen {:?}", config.front.listen))?;
        let front_listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the front system to {addr}"))?;
        let front_local = front_listener.local_addr()?;
        let front_tls = if config.front.tls_cert.is_empty() {
            None
        } else {
            Some(crate::serve::tls::load(
                &config.front.tls_cert,
                &config.front.tls_key,
            )?)
        };
        let front_scheme = if front_tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %front_local, "front system on {front_scheme}://{front_local}/");
        announce(&format!(
            "rongshu front system listening on {front_scheme}://{front_local}/"
        ));
        let app = rongshu_server::front_app(state.clone());
        let stop = shutdown();
        Some(tokio::spawn(async move {
            match front_tls {
                None => rongshu_server::serve(front_listener, app, stop).await,
                Some(tls) => rongshu_server::serve_tls(front_listener, app, tls, stop).await,
            }
        }))
    };
    let app = rongshu_server::app(state);
    match tls {
        None => rongshu_server::serve(listener, app, shutdown()).await?,
        Some(tls) => rongshu_server::serve_tls(listener, app, tls, shutdown()).await?,
    }
    if let Some(front) = front {
        front.await??;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let state = open(config).await?;
    serve(config, state).await
}

pub mod tls {
    //! HTTPS through rustls.

    use std::sync::Arc;

    use anyhow::Context;

    pub fn load(cert: &str, key: &str) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("reading certificate {cert}"))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("parsing certificate {cert}"))?;
        let key = PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("reading private key {key}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .context("certificate and key do not match")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
