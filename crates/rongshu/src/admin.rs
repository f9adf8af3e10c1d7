//! `rongshu admin`: organisations and accounts from the command line, for
//! the operator's system administrator on the server itself.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rongshu_crypto::random_password;
use rongshu_ledger::EntryDraft;
use rongshu_server::AppState;
use rongshu_server::admin::{self, AccountRequest, Attribution};
use rongshu_store::Account;

use crate::config::Config;
use crate::serve::open;

// No `Debug` on commands: they carry passwords.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Accounts.
    #[command(subcommand)]
    Account(AccountCommand),
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Register an organisation.
    Create {
        /// Short code: lower-case letters, digits, hyphens.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// operator, governance, economy, bigdata_center, provider, user or expert.
        #[arg(long)]
        party: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account; without --password a random one is printed once.
    Create {
        /// The organisation's code.
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// admin, staff or auditor.
        #[arg(long)]
        role: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// List accounts, of one organisation or all.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Set a new password, clear the lockout and end every session.
    ResetPassword {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
}

/// Changes made from the command line, attributed to the local user.
#[derive(Debug)]
pub struct LocalOperator {
    username: String,
    request_id: String,
}

impl LocalOperator {
    pub fn new() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        LocalOperator {
            username: format!("cli:{user}"),
            request_id: format!("cli-{}", uuid::Uuid::new_v4()),
        }
    }
}

impl Attribution for LocalOperator {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        EntryDraft {
            actor_username: Some(self.username.clone()),
            object_id,
            request_id: Some(self.request_id.clone()),
            client_addr: Some("local".to_owned()),
            ..EntryDraft::new(now_ms(), action, object_type)
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

async fn account_named(state: &AppState, username: &str) -> anyhow::Result<Account> {
    state
        .store()
        .account_by_username(username)
        .await?
        .with_context(|| format!("no account named {username:?}"))
}

async fn org_id(state: &AppState, code: &str) -> anyhow::Result<i64> {
    Ok(state
        .store()
        .organization_by_code(code)
        .await?
        .with_context(|| format!("no organisation with code {code:?}"))?
        .id)
}

fn print_account(a: &Account) {
    let state = if a.disabled { "disabled" } else { "active" };
    println!(
        "{:<5} {:<20} {:<16} {:<8} {:<15} {:<8} {}",
        a.id,
        a.username,
        a.party.as_str(),
        a.role.as_str(),
        a.org_name,
        state,
        a.display_name
    );
}

pub async fn run(config: &Config, cmd: AdminCommand) -> anyhow::Result<ExitCode> {
    let state = open(config).await?;
    let by = LocalOperator::new();
    match cmd {
        AdminCommand::Org(OrgCommand::Create { code, name, party }) => {
            let org = admin::create_organization(&state, &by, &code, &name, &party).await?;
            println!(
                "created organisation {} ({}, {}) id {}",
                org.code, org.name, org.party, org.id
            );
        }
        AdminCommand::Org(OrgCommand::List) => {
            for o in state.store().organizations().await? {
                println!(
                    "{:<5} {:<16} {:<16} {}",
                    o.id,
                    o.code,
                    o.party.as_str(),
                    o.name
                );
            }
        }
        AdminCommand::Account(AccountCommand::Create {
            org,
            username,
            name,
            role,
            password,
        }) => {
            let org_id = org_id(&state, &org).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (random_password(), true),
            };
            let request = AccountRequest {
                org_id,
                username: &username,
                display_name: &name,
                role: &role,
                password: &password,
            };
            let account = admin::create_account(&state, &by, request).await?;
            println!("created account {} (id {})", account.username, account.id);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        AdminCommand::Account(AccountCommand::List { org }) => {
            let org_id = match org {
                Some(code) => Some(org_id(&state, &code).await?),
                None => None,
            };
            for a in state.store().accounts(org_id).await? {
                print_account(&a);
            }
        }
        AdminCommand::Account(AccountCommand::ResetPassword { username, password }) => {
            let account = account_named(&state, &username).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (random_password(), true),
            };
            admin::reset_password(&state, &by, &account, &password).await?;
            println!("password of {username} reset; its sessions ended");
            if generated {
                println!("new password (shown once): {password}");
            }
        }
        AdminCommand::Account(AccountCommand::Disable { username }) => {
            let account = account_named(&state, &username).await?;
            admin::set_account_disabled(&state, &by, account.id, true).await?;
            println!("disabled {username}; its sessions ended");
        }
        AdminCommand::Account(AccountCommand::Enable { username }) => {
            let account = account_named(&state, &username).await?;
            admin::set_account_disabled(&state, &by, account.id, false).await?;
            println!("enabled {username}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
