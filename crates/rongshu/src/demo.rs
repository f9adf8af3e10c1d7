//! `rongshu demo`: one organisation and accounts for every party the
//! Measures name, seeded idempotently, then the server.

use std::process::ExitCode;

use rongshu_crypto::random_password;
use rongshu_server::AppState;
use rongshu_server::admin::{self, AccountRequest};

use crate::admin::LocalOperator;
use crate::config::Config;
use crate::serve::{ServeArgs, open, serve};

// No `Debug`: it carries the demo password.
#[derive(Clone, clap::Args)]
pub struct DemoArgs {
    /// Password for every demo account; without it a random one is printed once.
    #[arg(long)]
    pub demo_password: Option<String>,
    /// Seed, print the accounts and exit without serving.
    #[arg(long)]
    pub seed_only: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

struct DemoOrg {
    code: &'static str,
    name: &'static str,
    party: &'static str,
    accounts: &'static [(&'static str, &'static str, &'static str)],
}

const DEMO: &[DemoOrg] = &[
    DemoOrg {
        code: "operator",
        name: "成都蓉数公共数据运营服务有限公司",
        party: "operator",
        accounts: &[
            ("op-admin", "王运营", "admin"),
            ("op-staff", "李专员", "staff"),
            ("op-auditor", "赵审计", "auditor"),
        ],
    },
    DemoOrg {
        code: "governance",
        name: "成都市网络理政办公室",
        party: "governance",
        accounts: &[
            ("gov-staff", "陈理政", "staff"),
            ("gov-auditor", "周督查", "auditor"),
        ],
    },
    DemoOrg {
        code: "economy",
        name: "成都市新经济发展委员会",
        party: "economy",
        accounts: &[("eco-staff", "刘新经", "staff")],
    },
    DemoOrg {
        code: "bigdata-center",
        name: "成都市大数据中心",
        party: "bigdata_center",
        accounts: &[
            ("bdc-staff", "孙共享", "staff"),
            ("bdc-auditor", "吴巡检", "auditor"),
        ],
    },
    DemoOrg {
        code: "scjgj",
        name: "成都市市场监督管理局",
        party: "provider",
        accounts: &[
            ("scjgj-admin", "郑市监", "admin"),
            ("scjgj-staff", "冯数据", "staff"),
        ],
    },
    DemoOrg {
        code: "jtysj",
        name: "成都市交通运输局",
        party: "provider",
        accounts: &[("jtysj-staff", "何交通", "staff")],
    },
    DemoOrg {
        code: "rongcheng-mobility",
        name: "成都蓉城智行科技有限公司",
        party: "user",
        accounts: &[("corp-staff", "林产品", "staff")],
    },
    DemoOrg {
        code: "scu-spa",
        name: "四川大学公共管理学院",
        party: "user",
        accounts: &[("scu-researcher", "罗研究", "staff")],
    },
    DemoOrg {
        code: "experts",
        name: "成都市公共数据专家咨询委员会",
        party: "expert",
        accounts: &[("expert-member", "黄专家", "staff")],
    },
];

/// Seeds the demo; returns the password given to accounts it set, if any.
pub async fn seed(state: &AppState, password: Option<String>) -> anyhow::Result<Option<String>> {
    let by = LocalOperator::new();
    let fresh = password.is_none();
    let password = password.unwrap_or_else(random_password);
    let mut set_any = false;
    for org in DEMO {
        let org_id = match state.store().organization_by_code(org.code).await? {
            Some(o) => o.id,
            None => {
                admin::create_organization(state, &by, org.code, org.name, org.party)
                    .await?
                    .id
            }
        };
        for &(username, display_name, role) in org.accounts {
            match state.store().account_by_username(username).await? {
                Some(existing) if !fresh => {
                    admin::reset_password(state, &by, &existing, &password).await?;
                    set_any = true;
                }
                Some(_) => {}
                None => {
                    let request = AccountRequest {
                        org_id,
                        username,
                        display_name,
                        role,
                        password: &password,
                    };
                    admin::create_account(state, &by, request).await?;
                    set_any = true;
                }
            }
        }
    }
    Ok(set_any.then_some(password))
}

pub async fn run(config: &Config, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let state = open(config).await?;
    let given = args.demo_password.is_some();
    let password = seed(&state, args.demo_password).await?;
    let resources = crate::demo_data::seed(&state).await?;
    if resources > 0 {
        println!("seeded {resources} data resources through the ingest path");
    }
    let demands = crate::demo_workflow::seed(&state).await?;
    if demands > 0 {
        println!("seeded {demands} demands, one in every stage of the workflow");
    }
    let scheme = if config.server.tls_cert.is_empty() {
        "http"
    } else {
        "https"
    };
    let reachable = config.server.listen.replace("0.0.0.0", "127.0.0.1");
    let calls = crate::demo_products::seed(&state, &format!("{scheme}://{reachable}")).await?;
    if let Some(calls) = &calls {
        println!(
            "seeded {} products (query and verification APIs, download, consulting, sandbox) on signed agreements",
            calls.products
        );
    }
    println!();
    println!(
        "Rongshu demo 蓉数演示 — console: {scheme}://{}/",
        config.server.listen
    );
    println!();
    println!(
        "{:<16} {:<9} {:<16} organisation",
        "account", "role", "party"
    );
    for org in DEMO {
        for (username, _, role) in org.accounts {
            println!("{username:<16} {role:<9} {:<16} {}", org.party, org.name);
        }
    }
    println!();
    match (password, given) {
        (Some(_), true) => {
            println!("every demo account's password is the one given with --demo-password")
        }
        (Some(p), false) => println!("password of the new demo accounts (shown once): {p}"),
        (None, _) => {
            println!("demo already seeded: passwords unchanged (use --demo-password to set them)")
        }
    }
    println!();
    if let Some(calls) = calls {
        println!(
            "API key of corp-staff for the data products (shown once): {}",
            calls.api_key
        );
        println!("query API:\n  {}", calls.query);
        println!("verification API:\n  {}", calls.verify);
        println!();
    }
    if args.seed_only {
        return Ok(ExitCode::SUCCESS);
    }
    serve(config, state).await
}
