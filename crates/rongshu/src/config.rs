//! Configuration: defaults, then a TOML file, then `RONGSHU_*` environment
//! variables (`__` separates sections), then command-line flags.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use rongshu_crypto::PasswordParams;
use rongshu_domain::LockoutPolicy;
use rongshu_server::ServerSettings;
use serde::{Deserialize, Serialize};

/// Every configuration key. See README.md, "Configuration".
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Holds the SQLite database, the local object store and the secret key.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; empty means `<data_dir>/rongshu.db`.
    pub database_url: String,
    /// Hex key for HMAC-SM3 of API keys; empty means `<data_dir>/secret.key`,
    /// created on first start. Every server sharing a database needs the same key.
    pub secret_key_file: String,
    pub server: ServerConfig,
    pub front: FrontConfig,
    pub auth: AuthConfig,
    pub ledger: LedgerConfig,
    pub storage: StorageConfig,
    pub ingest: IngestConfig,
    pub catalogue: CatalogueConfig,
    pub grading: GradingConfig,
    pub workflow: WorkflowConfig,
    pub sandbox: SandboxSection,
    pub log: LogConfig,
}

/// The sandbox's query limits and its automatic output checks.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSection {
    /// Memory one query's operators may hold.
    pub query_memory_mb: usize,
    /// Seconds a query may run.
    pub query_seconds: u64,
    /// Rows a statement returns at most.
    pub max_rows: usize,
    /// Statements one account may have running at once.
    pub queries_per_account: usize,
    /// The largest file a user may upload into a workspace.
    pub max_upload_mb: u64,
    /// Memory a server's workspace tables may hold (least recently used
    /// dropped first).
    pub cache_mb: usize,
    /// Fewest records a released cell may stand for.
    pub min_cell_count: u64,
    /// Whether a zero count is disclosive.
    pub zeros_disclosive: bool,
    /// A total fails when its two largest contributions reach this share.
    pub dominance_share: f64,
    /// Rows a released result may have.
    pub release_max_rows: usize,
    /// Released counts are rounded to a multiple of this (0: exact).
    pub round_counts_to: u64,
    /// Distinct output checkers who must approve a release.
    pub approvals_required: u8,
}

impl Default for SandboxSection {
    fn default() -> Self {
        let d = rongshu_sandbox::SandboxConfig::default();
        SandboxSection {
            query_memory_mb: d.limits.memory_bytes >> 20,
            query_seconds: d.limits.time.as_secs(),
            max_rows: d.limits.max_rows,
            queries_per_account: d.queries_per_account,
            max_upload_mb: d.max_upload_bytes >> 20,
            cache_mb: d.cache_bytes >> 20,
            min_cell_count: d.rules.min_cell_count,
            zeros_disclosive: d.rules.zeros_disclosive,
            dominance_share: d.rules.dominance_share,
            release_max_rows: d.rules.max_rows,
            round_counts_to: d.rules.round_counts_to,
            approvals_required: d.approvals_required,
        }
    }
}

impl SandboxSection {
    fn check(&self) -> anyhow::Result<()> {
        for (key, value, min, max) in [
            (
                "sandbox.query_memory_mb",
                self.query_memory_mb as u64,
                16,
                1 << 20,
            ),
            ("sandbox.query_seconds", self.query_seconds, 1, 24 * 3600),
            ("sandbox.max_rows", self.max_rows as u64, 1, 1_000_000),
            (
                "sandbox.queries_per_account",
                self.queries_per_account as u64,
                1,
                64,
            ),
            ("sandbox.max_upload_mb", self.max_upload_mb, 1, 64 << 10),
            ("sandbox.cache_mb", self.cache_mb as u64, 16, 1 << 20),
            ("sandbox.min_cell_count", self.min_cell_count, 1, 1_000_000),
            (
                "sandbox.release_max_rows",
                self.release_max_rows as u64,
                1,
                1_000_000,
            ),
            ("sandbox.round_counts_to", self.round_counts_to, 0, 1000),
            (
                "sandbox.approvals_required",
                u64::from(self.approvals_required),
                1,
                5,
            ),
        ] {
            if !(min..=max).contains(&value) {
                bail!("{key} must be between {min} and {max}, not {value}");
            }
        }
        if !(self.dominance_share > 0.0 && self.dominance_share <= 1.0) {
            bail!(
                "sandbox.dominance_share must be above 0 and at most 1, not {}",
                self.dominance_share
            );
        }
        Ok(())
    }

    fn settings(&self) -> rongshu_sandbox::SandboxConfig {
        rongshu_sandbox::SandboxConfig {
            limits: rongshu_sandbox::Limits {
                memory_bytes: self.query_memory_mb << 20,
                time: std::time::Duration::from_secs(self.query_seconds),
                max_rows: self.max_rows,
                ..rongshu_sandbox::Limits::default()
            },
            rules: rongshu_domain::output::DisclosureRules {
                min_cell_count: self.min_cell_count,
                zeros_disclosive: self.zeros_disclosive,
                dominance_share: self.dominance_share,
                max_rows: self.release_max_rows,
                round_counts_to: self.round_counts_to,
            },
            approvals_required: self.approvals_required,
            queries_per_account: self.queries_per_account,
            max_upload_bytes: self.max_upload_mb << 20,
            cache_bytes: self.cache_mb << 20,
        }
    }
}

/// Deadlines of the demand workflow and the calendar they count in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// A working-day calendar file (the format of the shipped
    /// `china-working-days.txt`); empty means the shipped 2025-2026 one.
    pub calendar_file: String,
    /// Working days the Governance Office has to review a demand list.
    pub office_review_days: u32,
    /// Working days a provider has to answer a demand.
    pub provider_answer_days: u32,
    /// Working days a provider has to deliver what it authorized.
    pub delivery_days: u32,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        let d = rongshu_workflow::Deadlines::default();
        WorkflowConfig {
            calendar_file: String::new(),
            office_review_days: d.office_review,
            provider_answer_days: d.provider_answer,
            delivery_days: d.delivery,
        }
    }
}

/// One theme of the catalogue's taxonomy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogueConfig {
    /// The theme taxonomy; empty means the usual government themes.
    pub themes: Vec<ThemeConfig>,
}

/// The GB/T 43697-2024 scale as this deployment applies it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradingConfig {
    /// Identifier kind → level, over the defaults, e.g. `mobile = "general-4"`.
    pub levels: std::collections::BTreeMap<String, String>,
    /// The level of fields where nothing was found.
    pub unidentified: String,
    /// Personal data about this many people or more is suggested as
    /// important data; 0 turns the rule off.
    pub important_personal_rows: u64,
}

impl Default for GradingConfig {
    fn default() -> Self {
        let scale = rongshu_classify::GradeScale::default();
        GradingConfig {
            levels: Default::default(),
            unidentified: scale.unidentified.as_str().into(),
            important_personal_rows: scale.important_personal_rows.unwrap_or(0),
        }
    }
}

/// The front system's listener (前置系统, Art. 8), for the government
/// network: its own address, its own credentials (front-system keys).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FrontConfig {
    /// Address to listen on; empty turns the front system off.
    pub listen: String,
    /// PEM certificate chain and key; with both, the front system speaks
    /// HTTPS (its own certificate, for the government network).
    pub tls_cert: String,
    pub tls_key: String,
    /// Seconds between checks of the scheduled pulls.
    pub pull_check_secs: u64,
}

impl Default for FrontConfig {
    fn default() -> Self {
        FrontConfig {
            listen: "127.0.0.1:8081".into(),
            tls_cert: String::new(),
            tls_key: String::new(),
            pull_check_secs: 30,
        }
    }
}

/// Where data files live and how they are sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// A directory, `file:///path`, or `s3://bucket/prefix` (with the usual
    /// `AWS_*` variables); empty means `<data_dir>/objects`.
    pub url: String,
    /// The master key as hex (better set through the environment than
    /// written in a file); empty means the key file.
    pub master_key: String,
    /// The master key file; empty means `<data_dir>/master.key`, created
    /// on first start.
    pub master_key_file: String,
    /// `sm4-gcm` (default) or `aes-256-gcm`.
    pub cipher: String,
    /// S3 settings over the `AWS_*` variables, e.g. `aws_endpoint`,
    /// `aws_region`, `aws_allow_http`.
    pub s3: std::collections::BTreeMap<String, String>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            url: String::new(),
            master_key: String::new(),
            master_key_file: String::new(),
            cipher: "sm4-gcm".into(),
            s3: Default::default(),
        }
    }
}

/// How deliveries are read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Memory one ingest may hold in row groups and batches.
    pub memory_budget_mb: usize,
    /// The largest share of bad rows a delivery may carry.
    pub max_bad_share: f64,
    /// The largest delivery accepted.
    pub max_upload_mb: u64,
    /// The largest XLSX, JSON or Parquet file (held in memory whole).
    pub max_buffered_mb: u64,
    /// Rows read before field types are decided.
    pub sample_rows: usize,
    /// Rows of each field scanned for identifiers.
    pub scan_rows: u64,
    /// Seconds without progress after which an ingest is abandoned.
    pub stale_after_secs: u64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        let d = rongshu_delivery::DeliveryConfig::default();
        IngestConfig {
            memory_budget_mb: d.memory_budget >> 20,
            max_bad_share: d.max_bad_share,
            max_upload_mb: ServerSettings::default().delivery_limit_bytes >> 20,
            max_buffered_mb: d.max_buffered_bytes >> 20,
            sample_rows: d.sample_rows,
            scan_rows: d.scan_rows,
            stale_after_secs: (d.stale_after_ms / 1000) as u64,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// Days entries are kept before `rongshu ledger archive` may remove
    /// them; at least 180 (Cybersecurity Law Art. 21).
    pub retention_days: u32,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            retention_days: rongshu_ledger::MIN_RETENTION_DAYS,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    /// PEM certificate chain; with `tls_key`, serve HTTPS.
    pub tls_cert: String,
    pub tls_key: String,
    pub body_limit_bytes: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub console_session_minutes: i64,
    pub api_session_minutes: i64,
    pub api_key_max_days: i64,
    pub lockout_max_failures: u32,
    pub lockout_minutes: i64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `rongshu_server=debug,info`.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./rongshu-data"),
            database_url: String::new(),
            secret_key_file: String::new(),
            server: ServerConfig::default(),
            front: FrontConfig::default(),
            auth: AuthConfig::default(),
            ledger: LedgerConfig::default(),
            storage: StorageConfig::default(),
            ingest: IngestConfig::default(),
            catalogue: CatalogueConfig::default(),
            grading: GradingConfig::default(),
            workflow: WorkflowConfig::default(),
            sandbox: SandboxSection::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        let d = ServerSettings::default();
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            tls_cert: String::new(),
            tls_key: String::new(),
            body_limit_bytes: d.body_limit_bytes,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        let s = ServerSettings::default();
        let p = PasswordParams::default();
        AuthConfig {
            console_session_minutes: s.console_session_minutes,
            api_session_minutes: s.api_session_minutes,
            api_key_max_days: s.api_key_max_days,
            lockout_max_failures: s.lockout.max_failures,
            lockout_minutes: s.lockout.lock_ms / 60_000,
            argon2_memory_kib: p.memory_kib,
            argon2_iterations: p.iterations,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

/// Flags that override every other layer.
#[derive(Debug, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub front_listen: Option<String>,
}

const ENV_PREFIX: &str = "RONGSHU_";

/// Variables with the prefix that are not configuration (tests use them).
const ENV_NOT_CONFIG: &[&str] = &["RONGSHU_TEST_", "RONGSHU_BROWSER_", "RONGSHU_INTEROP_"];

impl Config {
    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                bail!("configuration file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|k| {
                    !ENV_NOT_CONFIG
                        .iter()
                        .any(|p| format!("{ENV_PREFIX}{k}").starts_with(p))
                })
                .split("__"),
        );
        let mut set = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                figment = std::mem::take(&mut figment).merge(Serialized::default(key, v));
            }
        };
        set(
            "data_dir",
            overrides.data_dir.map(|p| p.display().to_string()),
        );
        set("database_url", overrides.database_url);
        set("server.listen", overrides.listen);
        set("server.tls_cert", overrides.tls_cert);
        set("server.tls_key", overrides.tls_key);
        set("front.listen", overrides.front_listen);
        let config: Config = figment.extract().context("invalid configuration")?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.server.tls_cert.is_empty() != self.server.tls_key.is_empty() {
            bail!("server.tls_cert and server.tls_key must be given together");
        }
        if self.front.tls_cert.is_empty() != self.front.tls_key.is_empty() {
            bail!("front.tls_cert and front.tls_key must be given together");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bail!("log.format must be text or json, not {:?}", self.log.format);
        }
        rongshu_ledger::Retention::days(self.ledger.retention_days)
            .context("ledger.retention_days")?;
        let a = &self.auth;
        for (key, value, max) in [
            (
                "auth.console_session_minutes",
                a.console_session_minutes,
                7 * 24 * 60,
            ),
            (
                "auth.api_session_minutes",
                a.api_session_minutes,
                7 * 24 * 60,
            ),
            ("auth.api_key_max_days", a.api_key_max_days, 3650),
            ("auth.lockout_minutes", a.lockout_minutes, 7 * 24 * 60),
        ] {
            if !(1..=max).contains(&value) {
                bail!("{key} must be between 1 and {max}, not {value}");
            }
        }
        if self.auth.lockout_max_failures == 0 {
            bail!("auth.lockout_max_failures must be at least 1");
        }
        let w = &self.workflow;
        for (key, value) in [
            ("workflow.office_review_days", w.office_review_days),
            ("workflow.provider_answer_days", w.provider_answer_days),
            ("workflow.delivery_days", w.delivery_days),
        ] {
            if !(1..=120).contains(&value) {
                bail!("{key} must be between 1 and 120 working days, not {value}");
            }
        }
        self.sandbox.check()?;
        self.suite()?;
        self.grade_scale()?;
        let mut codes: Vec<&str> = self
            .catalogue
            .themes
            .iter()
            .map(|t| t.code.as_str())
            .collect();
        codes.sort_unstable();
        if codes.iter().any(|c| c.is_empty()) || codes.windows(2).any(|w| w[0] == w[1]) {
            bail!("catalogue.themes: every theme needs a code of its own");
        }
        let i = &self.ingest;
        if !(0.0..=1.0).contains(&i.max_bad_share) {
            bail!(
                "ingest.max_bad_share must be between 0 and 1, not {}",
                i.max_bad_share
            );
        }
        for (key, value, min, max) in [
            (
                "ingest.memory_budget_mb",
                i.memory_budget_mb as u64,
                4,
                64 * 1024,
            ),
            ("ingest.max_upload_mb", i.max_upload_mb, 1, 1 << 30),
            ("ingest.max_buffered_mb", i.max_buffered_mb, 1, 64 * 1024),
            ("ingest.sample_rows", i.sample_rows as u64, 1, 1_000_000),
            ("ingest.stale_after_secs", i.stale_after_secs, 1, 86_400),
            (
                "front.pull_check_secs",
                self.front.pull_check_secs,
                1,
                86_400,
            ),
        ] {
            if !(min..=max).contains(&value) {
                bail!("{key} must be between {min} and {max}, not {value}");
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("rongshu.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    pub fn secret_key_path(&self) -> PathBuf {
        if self.secret_key_file.is_empty() {
            self.data_dir.join("secret.key")
        } else {
            PathBuf::from(&self.secret_key_file)
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        if self.storage.master_key_file.is_empty() {
            self.data_dir.join("master.key")
        } else {
            PathBuf::from(&self.storage.master_key_file)
        }
    }

    pub fn storage_url(&self) -> String {
        if self.storage.url.is_empty() {
            self.data_dir.join("objects").display().to_string()
        } else {
            self.storage.url.clone()
        }
    }

    pub fn suite(&self) -> anyhow::Result<rongshu_crypto::seal::Suite> {
        self.storage.cipher.parse().context("storage.cipher")
    }

    pub fn grade_scale(&self) -> anyhow::Result<rongshu_classify::GradeScale> {
        let g = &self.grading;
        let mut scale = rongshu_classify::GradeScale::default();
        scale.unidentified = g.unidentified.parse().context("grading.unidentified")?;
        scale.important_personal_rows =
            (g.important_personal_rows > 0).then_some(g.important_personal_rows);
        for (kind, level) in &g.levels {
            let kind = kind
                .parse()
                .with_context(|| format!("grading.levels: {kind:?} is not an identifier kind"))?;
            let level = level
                .parse()
                .with_context(|| format!("grading.levels.{kind}"))?;
            scale.set(kind, level);
        }
        Ok(scale)
    }

    pub fn themes(&self) -> Vec<rongshu_domain::resource::Theme> {
        if self.catalogue.themes.is_empty() {
            return rongshu_domain::resource::default_themes();
        }
        self.catalogue
            .themes
            .iter()
            .map(|t| rongshu_domain::resource::Theme {
                code: t.code.clone(),
                name_zh: t.name_zh.clone(),
                name_en: t.name_en.clone(),
            })
            .collect()
    }

    pub fn delivery_config(&self) -> rongshu_delivery::DeliveryConfig {
        let i = &self.ingest;
        rongshu_delivery::DeliveryConfig {
            suite: self.suite().expect("checked when loaded"),
            memory_budget: i.memory_budget_mb << 20,
            sample_rows: i.sample_rows,
            scan_rows: i.scan_rows,
            max_bad_share: i.max_bad_share,
            max_buffered_bytes: i.max_buffered_mb << 20,
            stale_after_ms: i.stale_after_secs as i64 * 1000,
            grade_scale: self.grade_scale().expect("checked when loaded"),
            ..rongshu_delivery::DeliveryConfig::default()
        }
    }

    pub fn deadlines(&self) -> rongshu_workflow::Deadlines {
        rongshu_workflow::Deadlines {
            office_review: self.workflow.office_review_days,
            provider_answer: self.workflow.provider_answer_days,
            delivery: self.workflow.delivery_days,
        }
    }

    /// The working-day calendar: the configured file, or the shipped one.
    pub fn calendar(&self) -> anyhow::Result<rongshu_domain::calendar::WorkingCalendar> {
        use rongshu_domain::calendar::WorkingCalendar;
        if self.workflow.calendar_file.is_empty() {
            return Ok(WorkingCalendar::shipped());
        }
        let path = &self.workflow.calendar_file;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading workflow.calendar_file {path}"))?;
        WorkingCalendar::parse(&text).with_context(|| format!("workflow.calendar_file {path}"))
    }

    pub fn retention(&self) -> rongshu_ledger::Retention {
        rongshu_ledger::Retention::days(self.ledger.retention_days).expect("checked when loaded")
    }

    pub fn password_params(&self) -> PasswordParams {
        PasswordParams {
            memory_kib: self.auth.argon2_memory_kib,
            iterations: self.auth.argon2_iterations,
            ..PasswordParams::default()
        }
    }

    pub fn server_settings(&self) -> ServerSettings {
        ServerSettings {
            console_session_minutes: self.auth.console_session_minutes,
            api_session_minutes: self.auth.api_session_minutes,
            api_key_max_days: self.auth.api_key_max_days,
            lockout: LockoutPolicy {
                max_failures: self.auth.lockout_max_failures,
                lock_ms: self.auth.lockout_minutes * 60_000,
            },
            secure_cookies: !self.server.tls_cert.is_empty(),
            body_limit_bytes: self.server.body_limit_bytes,
            delivery_limit_bytes: self.ingest.max_upload_mb << 20,
            themes: self.themes(),
            sandbox: self.sandbox.settings(),
        }
    }
}

/// Environment variables with the prefix that name no configuration key:
/// most likely typos, so they are reported rather than silently ignored.
pub fn unknown_env_vars() -> Vec<String> {
    let known = known_env_keys();
    std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with(ENV_PREFIX) && !ENV_NOT_CONFIG.iter().any(|p| k.starts_with(p)))
        .filter(|k| !known.contains(k))
        .collect()
}

fn known_env_keys() -> Vec<String> {
    let value = serde_json::to_value(Config::default()).expect("config serialises");
    let mut keys = Vec::new();
    if let serde_json::Value::Object(top) = value {
        for (k, v) in top {
            match v {
                serde_json::Value::Object(section) => {
                    for sk in section.keys() {
                        keys.push(format!(
                            "{ENV_PREFIX}{}__{}",
                            k.to_uppercase(),
                            sk.to_uppercase()
                        ));
                    }
                }
                _ => keys.push(format!("{ENV_PREFIX}{}", k.to_uppercase())),
            }
        }
    }
    keys
}

#[cfg(test)]
// figment's Jail returns its own large error type; that is its API.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("r.toml", "data_dir = \"/from-file\"\n[server]\nlisten = \"0.0.0.0:1\"\n[auth]\napi_key_max_days = 30\n")?;
            jail.set_env("RONGSHU_SERVER__LISTEN", "0.0.0.0:2");
            jail.set_env("RONGSHU_TEST_POSTGRES_URL", "ignored");
            jail.set_env("RONGSHU_INTEROP_TESTS", "1");
            let c = Config::load(Some(Path::new("r.toml")), Overrides::default()).unwrap();
            assert_eq!(c.data_dir, PathBuf::from("/from-file"));
            assert_eq!(c.server.listen, "0.0.0.0:2", "environment beats file");
            assert_eq!(c.auth.api_key_max_days, 30);
            assert_eq!(c.auth.api_session_minutes, 60, "defaults fill the rest");
            let o = Overrides {
                listen: Some("0.0.0.0:3".into()),
                ..Default::default()
            };
            let c = Config::load(Some(Path::new("r.toml")), o).unwrap();
            assert_eq!(c.server.listen, "0.0.0.0:3", "flags beat environment");
            Ok(())
        });
    }

    #[test]
    fn defaults_need_no_setup() {
        figment::Jail::expect_with(|_| {
            let c = Config::load(None, Overrides::default()).unwrap();
            assert_eq!(c.server.listen, "127.0.0.1:8080");
            assert_eq!(
                c.database_url(),
                "sqlite://./rongshu-data/rongshu.db?mode=rwc"
            );
            assert_eq!(
                c.secret_key_path(),
                PathBuf::from("./rongshu-data/secret.key")
            );
            Ok(())
        });
    }

    #[test]
    fn mistakes_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[server]\nlisen = \"x\"\n")?;
            let err = Config::load(Some(Path::new("bad.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("lisen"), "{err:#}");
            let err =
                Config::load(Some(Path::new("missing.toml")), Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("does not exist"));
            jail.create_file("short.toml", "[ledger]\nretention_days = 90\n")?;
            let err =
                Config::load(Some(Path::new("short.toml")), Overrides::default()).unwrap_err();
            assert!(
                format!("{err:#}").contains("below the legal minimum of 180 days"),
                "{err:#}"
            );
            jail.set_env("RONGSHU_AUTH__API_KEY_MAX_DAYS", "-5");
            let err = Config::load(None, Overrides::default()).unwrap_err();
            assert!(
                err.to_string()
                    .contains("auth.api_key_max_days must be between 1 and 3650"),
                "{err}"
            );
            jail.set_env("RONGSHU_AUTH__API_KEY_MAX_DAYS", "30");
            jail.set_env("RONGSHU_SERVER__TLS_CERT", "cert.pem");
            let err = Config::load(None, Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("together"));
            Ok(())
        });
    }

    #[test]
    fn the_grade_scale_and_themes_are_configuration() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "g.toml",
                "[grading]\nimportant_personal_rows = 0\n[grading.levels]\nmobile = \"general-4\"\n\
                 [[catalogue.themes]]\ncode = \"water\"\nname_zh = \"水务\"\nname_en = \"Water\"\n",
            )?;
            let c = Config::load(Some(Path::new("g.toml")), Overrides::default()).unwrap();
            let scale = c.grade_scale().unwrap();
            use rongshu_classify::{Grade, IdentifierKind};
            assert_eq!(
                scale.field_grade(Some(IdentifierKind::Mobile)),
                Grade::General4
            );
            assert_eq!(scale.important_personal_rows, None);
            assert_eq!(c.themes().len(), 1);
            jail.create_file("bad.toml", "[grading.levels]\nshoe_size = \"general-2\"\n")?;
            let err = Config::load(Some(Path::new("bad.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("shoe_size"), "{err:#}");
            Ok(())
        });
    }

    #[test]
    fn unknown_variables_are_reported() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("RONGSHU_SERVER__LISTEN", "x");
            jail.set_env("RONGSHU_SERVER__LISTN", "x");
            jail.set_env("RONGSHU_TEST_POSTGRES_URL", "x");
            assert_eq!(unknown_env_vars(), ["RONGSHU_SERVER__LISTN"]);
            Ok(())
        });
    }
}
