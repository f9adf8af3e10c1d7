//! The sandbox end to end on every backend: a real delivery, signed
//! agreements granting the sandbox, a product over them, then queries,
//! limits, exports through the checks and the checkers, and suspension.

use std::io::{Cursor, Read};
use std::time::Duration;

use rongshu_crypto::seal::MasterKey;
use rongshu_delivery::{Deliveries, DeliveryConfig};
use rongshu_domain::output::{DisclosureRules, ExportStatus, ReviewDecision};
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, SuspensionKind, SuspensionScope};
use rongshu_engine::{EngineError, Limits};
use rongshu_objects::DataFiles;
use rongshu_products::testing::{Ledger, World, WorldOptions, caller, staff, world_with};
use rongshu_products::{ProductDraft, ProductError, Refusal};
use rongshu_sandbox::{
    ExportFailure, Origin, Release, Sandbox, SandboxConfig, SandboxError, Upload, kept_file,
};
use rongshu_store::testing::{TestDatabase, on_every_backend};
use rongshu_store::{SandboxExport, Suspension, UseScope};

/// Authorized: everything but 法定代表人.
const AUTHORIZED: [&str; 4] = [
    "企业名称",
    "统一社会信用代码",
    "法定代表人身份证号",
    "注册资本",
];

/// The sandbox product over the registrations.
fn lab_product(authorization: i64) -> ProductDraft {
    ProductDraft {
        code: "registrations-lab".into(),
        name: "企业登记沙箱".into(),
        description: String::new(),
        resource_code: "registrations".into(),
        authorization_id: authorization,
        modes: vec![ServiceMode::Sandbox],
        fields: AUTHORIZED.map(String::from).to_vec(),
        pipeline: r#"{"steps":[{"op":"pseudonym","field":"法定代表人身份证号"}]}"#.into(),
        query_parameters: vec![],
        max_rows: 100,
        verify_key_field: None,
        verify_fields: vec![],
        daily_call_quota: None,
        rate_per_minute: None,
        billing_unit: BillingUnit::PerPeriod,
        price_fen: 0,
    }
}

/// The provider's terms: the sandbox alone, over the authorized fields.
fn lab_terms() -> WorldOptions {
    WorldOptions {
        modes: vec!["sandbox".into()],
        fields: AUTHORIZED.map(String::from).to_vec(),
        deidentification: "sandbox-only".into(),
        ..WorldOptions::default()
    }
}

async fn lab(store: rongshu_store::Store) -> World {
    let w = world_with(store, lab_terms()).await;
    let draft = lab_product(w.authorization);
    // Sandbox-only data is seen row by row inside the sandbox, but never
    // with its direct identifiers bare.
    let bare = ProductDraft {
        pipeline: String::new(),
        ..draft.clone()
    };
    let refused = w
        .products
        .save(&w.operator, &Ledger(w.clock.clone()), &bare, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, ProductError::Exceeds(_)), "{refused:?}");
    w.products
        .save(&w.operator, &Ledger(w.clock.clone()), &draft, None)
        .await
        .unwrap();
    w
}

fn sandbox(w: &World, config: SandboxConfig) -> Sandbox {
    Sandbox::new(w.products.clone(), config)
}

/// A release's `data.csv` and `metadata.json`.
fn unpacked(release: Release) -> (String, String) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(release.bytes)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    (read("data.csv"), read("metadata.json"))
}

/// The export failed one check alone: it differs by too few records from
/// the earlier export `named`.
fn fails_only_against(export: &SandboxExport, named: &str) {
    assert_eq!(export.export.status, ExportStatus::FailedChecks.as_str());
    let failures = ExportFailure::decode(&export.export.checks);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].code, "earlier-release");
    assert_eq!(failures[0].column.as_deref(), Some(named));
}

/// The Big Data Center suspends the registrations, which the lab reads.
async fn suspend_registrations(w: &World, ledger: &Ledger) -> Suspension {
    let registrations = w.store.resource_by_code("registrations").await.unwrap();
    let scope = SuspensionScope::new(SuspensionKind::Resource, Some(registrations.id)).unwrap();
    w.products
        .suspend(&w.center, ledger, scope, "沙箱内超范围比对")
        .await
        .unwrap()
}

/// The lab served by two server processes, and the user's workspace.
async fn two_servers(db: &TestDatabase) -> (World, Sandbox, Sandbox, i64) {
    let w = lab(db.store.clone()).await;
    let here = sandbox(&w, SandboxConfig::default());
    let there = Sandbox::new(w.second_server(&db.url).await, SandboxConfig::default());
    let agreement = workspace_of(&here, &w).await;
    (w, here, there, agreement)
}

async fn workspace_of(sandbox: &Sandbox, w: &World) -> i64 {
    let workspaces = sandbox.workspaces(&caller(&w.user)).await.unwrap();
    assert_eq!(workspaces.len(), 1);
    workspaces[0].agreement_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_holds_only_what_the_authorization_lets_out() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let workspaces = sandbox.workspaces(&user).await.unwrap();
        let table = &workspaces[0].tables[0];
        assert_eq!(table.name, "registrations_lab");
        assert_eq!(table.rows, 40);
        let names: Vec<&str> = table.columns.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(names, AUTHORIZED);
        assert!(table.columns.iter().all(|c| c.2.is_some()), "every field has its grade");
        let agreement = workspaces[0].agreement_id;

        let excluded = sandbox
            .run(&user, &ledger, agreement, "SELECT 法定代表人 FROM registrations_lab", None)
            .await
            .unwrap_err();
        assert!(excluded.to_string().contains("法定代表人"), "{excluded}");

        let answer = sandbox
            .run(
                &user,
                &ledger,
                agreement,
                "SELECT 法定代表人身份证号, sum(注册资本) AS capital FROM registrations_lab GROUP BY 1",
                None,
            )
            .await
            .unwrap();
        // Pseudonyms, never the number itself.
        let id = answer.rows[0].columns[0][0].clone().unwrap();
        assert_ne!(id, "11010519491231002X");
        assert_eq!(answer.row_count, 1, "one person behind every company");
        assert_eq!(answer.tables_read, vec!["registrations_lab"]);

        let history = sandbox.history(&user, agreement, 10).await.unwrap();
        let outcomes: Vec<&str> = history.iter().map(|q| q.query.outcome.as_str()).collect();
        assert_eq!(outcomes, vec!["done", "failed"]);
        let entries = w.store.ledger_entries(&Default::default(), 1000).await.unwrap();
        let queries: Vec<_> = entries
            .iter()
            .filter(|e| e.draft.action == "sandbox.query")
            .collect();
        assert_eq!(queries.len(), 2);
        let sm3 = rongshu_crypto::sm3_hex(&history[0].query.statement);
        let entry = queries
            .iter()
            .find(|e| e.draft.reason.as_deref().unwrap_or("").contains(&sm3))
            .expect("the statement's entry");
        let reason = entry.draft.reason.as_deref().unwrap_or("");
        assert!(
            reason.contains("registrations_lab (registrations version 1, SM3 ")
                && reason.contains(&history[0].query.statement),
            "{reason}"
        );

        // Another organisation has no workspace here.
        let outsider = caller(&w.provider);
        assert!(sandbox.workspaces(&outsider).await.unwrap().is_empty());
        assert!(sandbox
            .run(&outsider, &ledger, agreement, "SELECT 1", None)
            .await
            .is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_fenced_limited_and_cancellable() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(
            &w,
            SandboxConfig {
                limits: Limits {
                    time: Duration::from_millis(800),
                    ..Limits::default()
                },
                queries_per_account: 1,
                ..SandboxConfig::default()
            },
        );
        let user = caller(&w.user);
        let agreement = workspace_of(&sandbox, &w).await;
        let read_file = sandbox
            .run(&user, &ledger, agreement, "SELECT * FROM '/etc/passwd'", None)
            .await
            .unwrap_err();
        assert!(matches!(read_file, SandboxError::Query(EngineError::Sql(_))), "{read_file}");
        let copy = sandbox
            .run(&user, &ledger, agreement, "COPY registrations_lab TO '/tmp/x.csv'", None)
            .await
            .unwrap_err();
        assert!(matches!(copy, SandboxError::Query(EngineError::NotAllowed(_))), "{copy}");

        // Forty rows joined with themselves six times: four billion rows.
        let runaway = "SELECT sum(a.注册资本 + b.注册资本 + c.注册资本 + d.注册资本 + e.注册资本 + f.注册资本) \
                       FROM registrations_lab a, registrations_lab b, registrations_lab c, \
                       registrations_lab d, registrations_lab e, registrations_lab f";
        let stopped = sandbox
            .run(&user, &ledger, agreement, runaway, None)
            .await
            .unwrap_err();
        assert!(matches!(stopped, SandboxError::Query(EngineError::TimeLimit { .. })), "{stopped}");

        // One query at a time for this account: a second waits its turn,
        // and the first can be cancelled by its run id.
        let running = {
            let (sandbox, user, ledger) = (sandbox.clone(), user, Ledger(w.clock.clone()));
            tokio::spawn(async move {
                sandbox
                    .run(&user, &ledger, agreement, runaway, Some("run-1"))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        let busy = sandbox
            .run(&user, &ledger, agreement, "SELECT 1", None)
            .await
            .unwrap_err();
        assert!(matches!(busy, SandboxError::Busy { running: 1 }), "{busy}");
        assert!(!sandbox.cancel(&caller(&w.operator), "run-1"), "only its author cancels it");
        assert!(sandbox.cancel(&user, "run-1"));
        let cancelled = running.await.unwrap().unwrap_err();
        assert!(matches!(cancelled, SandboxError::Query(EngineError::Cancelled)), "{cancelled}");

        let made = sandbox
            .run(
                &user,
                &ledger,
                agreement,
                "CREATE TABLE 大户 AS SELECT 企业名称, 注册资本 FROM registrations_lab WHERE 注册资本 >= 130",
                None,
            )
            .await
            .unwrap();
        assert_eq!(made.made_table.as_deref(), Some("大户"));
        let counted = sandbox
            .run(&user, &ledger, agreement, "SELECT count(*) FROM 大户", None)
            .await
            .unwrap();
        assert_eq!(counted.rows[0].columns[0][0].as_deref(), Some("10"));

        let outcomes: Vec<String> = sandbox
            .history(&user, agreement, 20)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.query.outcome)
            .collect();
        assert_eq!(
            outcomes,
            vec!["done", "done", "cancelled", "time-limit", "refused", "failed"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_leave_only_through_the_checks_and_the_checkers() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(
            &w,
            SandboxConfig {
                approvals_required: 2,
                ..SandboxConfig::default()
            },
        );
        let user = caller(&w.user);
        let agreement = workspace_of(&sandbox, &w).await;
        let export = |sql: &'static str, purpose: &'static str| {
            let (sandbox, ledger) = (sandbox.clone(), Ledger(w.clock.clone()));
            async move {
                let export = sandbox.request_export(&user, &ledger, agreement, sql, purpose, None);
                export.await.unwrap()
            }
        };

        let small = export(
            "SELECT 企业名称, count(*) AS n FROM registrations_lab GROUP BY 企业名称",
            "每家企业的记录数",
        )
        .await;
        assert_eq!(small.export.status, ExportStatus::FailedChecks.as_str());
        let failures = ExportFailure::decode(&small.export.checks);
        assert_eq!(failures[0].code, "small-cell");
        assert_eq!(failures[0].rows.len(), 40);
        let refused = sandbox
            .review(
                &caller(&w.operator),
                &ledger,
                small.id,
                ReviewDecision::Approve,
                "",
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, SandboxError::Review(_)), "{refused}");

        let identifiers =
            export("SELECT 统一社会信用代码 FROM registrations_lab", "代码清单").await;
        let codes: Vec<String> = ExportFailure::decode(&identifiers.export.checks)
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert!(codes.contains(&"direct-identifier".to_owned()), "{codes:?}");

        let aggregate = export(
            "SELECT 注册资本 >= 120 AS large, count(*) AS n, avg(注册资本) AS mean \
                 FROM registrations_lab GROUP BY 1 ORDER BY 1",
            "大中型企业分布（论文表 2）",
        )
        .await;
        assert_eq!(
            aggregate.export.status,
            ExportStatus::AwaitingReview.as_str()
        );
        assert_eq!(aggregate.export.checks, "");
        let not_yet = sandbox
            .release(&user, &ledger, aggregate.id)
            .await
            .unwrap_err();
        assert!(
            matches!(not_yet, SandboxError::NotReleased { .. }),
            "{not_yet}"
        );

        // The author's side never checks; the operator's checkers do, two
        // distinct ones.
        let by_user = sandbox
            .review(&user, &ledger, aggregate.id, ReviewDecision::Approve, "")
            .await
            .unwrap_err();
        assert!(matches!(by_user, SandboxError::Forbidden(_)), "{by_user}");
        let first = caller(&w.operator);
        assert_eq!(
            sandbox
                .review(
                    &first,
                    &ledger,
                    aggregate.id,
                    ReviewDecision::Approve,
                    "单元格均≥10"
                )
                .await
                .unwrap(),
            ExportStatus::AwaitingReview
        );
        let again = sandbox
            .review(&first, &ledger, aggregate.id, ReviewDecision::Approve, "")
            .await
            .unwrap_err();
        assert!(matches!(again, SandboxError::Review(_)), "{again}");
        let second = caller(&staff(&w.store, w.operator.org_id, "checker-2").await);
        assert_eq!(
            sandbox
                .review(
                    &second,
                    &ledger,
                    aggregate.id,
                    ReviewDecision::Approve,
                    "同意"
                )
                .await
                .unwrap(),
            ExportStatus::Approved
        );
        let queue = sandbox
            .exports(&first, None, Some(ExportStatus::AwaitingReview))
            .await
            .unwrap();
        assert!(queue.is_empty());

        let outsider = sandbox
            .release(&caller(&w.provider), &ledger, aggregate.id)
            .await;
        assert!(matches!(outsider, Err(SandboxError::Forbidden(_))));
        let release = sandbox.release(&user, &ledger, aggregate.id).await.unwrap();
        let (data, metadata) = unpacked(release);
        assert_eq!(data, "large,n,mean\nfalse,20,109.5\ntrue,20,129.5\n");
        assert!(
            metadata.contains("数据来源：蓉数公共数据运营服务平台"),
            "{metadata}"
        );
        assert!(metadata.contains("registrations version 1"), "{metadata}");
        let actions: Vec<String> = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.draft.action)
            .filter(|a| a.starts_with("sandbox.export"))
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "sandbox.export.review")
                .count(),
            2
        );
        assert!(actions.contains(&"sandbox.export.release".to_owned()));

        // Less the released table, this one would show one company's
        // capital: it fails, naming the export it differs from.
        let differencing = export(
            "SELECT 注册资本 >= 120 AS large, count(*) AS n, avg(注册资本) AS mean \
                 FROM registrations_lab WHERE 企业名称 <> '成都第39科技有限公司' \
                 GROUP BY 1 ORDER BY 1",
            "大中型企业分布（修订）",
        )
        .await;
        fails_only_against(&differencing, &format!("export {}", aggregate.id));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_and_the_drop_of_a_table_it_read_never_both_stand() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let first = workspace_of(&sandbox, &w).await;
        for round in 0..6 {
            let name = format!("most{round}");
            let made = format!("CREATE TABLE {name} AS SELECT * FROM registrations_lab");
            sandbox
                .run(&user, &ledger, first, &made, None)
                .await
                .unwrap();
            // Filed and dropped at once: whichever commits first, the other
            // sees it (the export ran over the table before it was dropped).
            let sql = format!("SELECT count(*) AS n FROM {name}");
            let (export, dropped) = tokio::join!(
                sandbox.request_export(&user, &ledger, first, &sql, "总数", None),
                sandbox.drop_table(&user, &ledger, first, &name),
            );
            match (&export, &dropped) {
                (Ok(export), Err(SandboxError::ReadByExport { table, .. })) => {
                    assert_eq!(export.export.status, ExportStatus::AwaitingReview.as_str());
                    assert_eq!(*table, name);
                }
                (Err(SandboxError::TableGone(table)), Ok(())) => assert_eq!(*table, name),
                // Dropped before the export opened it.
                (Err(SandboxError::Query(_)), Ok(())) => {}
                other => panic!("round {round}: {other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_exports_filed_at_once_are_compared_or_one_is_refused() {
    on_every_backend(|db| async move {
        let (w, here, there, agreement) = two_servers(&db).await;
        let ledger = Ledger(w.clock.clone());
        let user = caller(&w.user);
        // Apart, each passes; their difference is one company's capital.
        let all = "SELECT 注册资本 >= 120 AS large, count(*) AS n, avg(注册资本) AS mean \
                   FROM registrations_lab GROUP BY 1 ORDER BY 1";
        let less_one = "SELECT 注册资本 >= 120 AS large, count(*) AS n, avg(注册资本) AS mean \
                        FROM registrations_lab WHERE 企业名称 <> '成都第39科技有限公司' \
                        GROUP BY 1 ORDER BY 1";
        let (first, second) = tokio::join!(
            here.request_export(&user, &ledger, agreement, all, "全部", None),
            there.request_export(&user, &ledger, agreement, less_one, "少一家", None),
        );
        let awaiting = [&first, &second]
            .into_iter()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.export.status == ExportStatus::AwaitingReview.as_str())
            })
            .count();
        assert_eq!(awaiting, 1, "{first:?}\n{second:?}");
        for refused in [&first, &second]
            .into_iter()
            .filter_map(|e| e.as_ref().err())
        {
            assert!(matches!(refused, SandboxError::FiledMeanwhile), "{refused}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_is_compared_with_the_exports_of_the_organisations_earlier_workspaces() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let export = |agreement: i64, filter: &'static str| {
            let (sandbox, ledger) = (sandbox.clone(), Ledger(w.clock.clone()));
            let sql = format!(
                "SELECT 注册资本 >= 120 AS large, count(*) AS n, avg(注册资本) AS mean \
                 FROM registrations_lab {filter} GROUP BY 1"
            );
            async move {
                let export = sandbox.request_export(&user, &ledger, agreement, &sql, "分布", None);
                export.await.unwrap()
            }
        };
        let first = workspace_of(&sandbox, &w).await;
        let earlier = export(first, "").await;
        assert_eq!(earlier.export.status, ExportStatus::AwaitingReview.as_str());
        // Its exports over a table it made of the product are compared
        // elsewhere with that table, read from the first workspace.
        sandbox
            .run(
                &user,
                &ledger,
                first,
                "CREATE TABLE most AS SELECT * FROM registrations_lab \
                 WHERE 企业名称 <> '成都第38科技有限公司'",
                None,
            )
            .await
            .unwrap();
        let made = sandbox
            .request_export(
                &user,
                &ledger,
                first,
                "SELECT count(*) AS n FROM most",
                "总数",
                None,
            )
            .await
            .unwrap();
        assert_eq!(made.export.checks, "");
        // Later releases are compared with that export over its table, so
        // the table is kept.
        let kept = sandbox.drop_table(&user, &ledger, first, "most").await;
        assert!(
            matches!(kept, Err(SandboxError::ReadByExport { ref table, .. }) if table == "most"),
            "{kept:?}"
        );

        // The agreement is renewed under a new authorization, the operator
        // moves the product onto it and the first one ends: the product
        // is read in the new workspace.
        w.clock.set("2026-12-01");
        let renewed = w.authorize(lab_terms()).await;
        let revision = w
            .store
            .product_by_code("registrations-lab")
            .await
            .unwrap()
            .revision;
        w.products
            .save(&w.operator, &ledger, &lab_product(renewed), Some(revision))
            .await
            .unwrap();
        w.workflow
            .terminate(&w.provider, &ledger, w.authorization, "续签后终止")
            .await
            .unwrap();
        let second = workspace_of(&sandbox, &w).await;
        assert_ne!(second, first);
        let differencing = export(second, "WHERE 企业名称 <> '成都第39科技有限公司'").await;
        let named = format!("export {} (agreement {first})", earlier.id);
        fails_only_against(&differencing, &named);
        let total = sandbox.request_export(
            &user,
            &ledger,
            second,
            "SELECT count(*) AS n FROM registrations_lab",
            "总数",
            None,
        );
        let named = format!("export {} (agreement {first})", made.id);
        fails_only_against(&total.await.unwrap(), &named);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_fails_the_checks_beside_an_export_of_the_same_data_it_cannot_be_compared_with() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let first = workspace_of(&sandbox, &w).await;
        let total = "SELECT count(*) AS n FROM registrations_lab";
        let earlier = sandbox
            .request_export(&user, &ledger, first, total, "总数", None)
            .await
            .unwrap();
        assert_eq!(earlier.export.checks, "");
        // A second authorization of the same data, with a product of its
        // own, opens a second workspace, whose table the first export
        // never read.
        let again = w.authorize(lab_terms()).await;
        let other = ProductDraft {
            code: "registrations-lab-b".into(),
            ..lab_product(again)
        };
        w.products
            .save(&w.operator, &ledger, &other, None)
            .await
            .unwrap();
        let workspaces = sandbox.workspaces(&user).await.unwrap();
        let second = workspaces
            .iter()
            .map(|ws| ws.agreement_id)
            .find(|a| *a != first)
            .expect("a second workspace");
        let all_but_one = "SELECT count(*) AS n FROM registrations_lab_b \
                           WHERE 企业名称 <> '成都第39科技有限公司'";
        let differencing = sandbox
            .request_export(&user, &ledger, second, all_but_one, "总数", None)
            .await
            .unwrap();
        let failures = ExportFailure::decode(&differencing.export.checks);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].code, "uncompared-release");
        let named = format!("export {} (agreement {first})", earlier.id);
        assert_eq!(failures[0].column.as_deref(), Some(named.as_str()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspension_cuts_every_open_workspace_off() {
    on_every_backend(|db| async move {
        let (w, here, there, agreement) = two_servers(&db).await;
        let ledger = Ledger(w.clock.clone());
        let user = caller(&w.user);
        let count = "SELECT count(*) FROM registrations_lab";
        for sandbox in [&here, &there] {
            sandbox
                .run(&user, &ledger, agreement, count, None)
                .await
                .unwrap();
        }
        // Approved before the suspension: it leaves no more than a new one.
        let approved = here
            .request_export(&user, &ledger, agreement, count, "总数", None)
            .await
            .unwrap();
        here.review(
            &caller(&w.operator),
            &ledger,
            approved.id,
            ReviewDecision::Approve,
            "",
        )
        .await
        .unwrap();
        here.release(&user, &ledger, approved.id).await.unwrap();
        let suspension = suspend_registrations(&w, &ledger).await;
        for sandbox in [&here, &there] {
            let refused = sandbox
                .run(&user, &ledger, agreement, count, None)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    refused,
                    SandboxError::Product(ProductError::Refused(Refusal::Suspended { .. }))
                ),
                "{refused}"
            );
        }
        let export = here
            .request_export(&user, &ledger, agreement, count, "总数", None)
            .await
            .unwrap_err();
        assert!(matches!(export, SandboxError::Product(_)), "{export}");
        for sandbox in [&here, &there] {
            let refused = sandbox
                .release(&user, &ledger, approved.id)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    refused,
                    SandboxError::Product(ProductError::Refused(Refusal::Suspended { .. }))
                ),
                "{refused}"
            );
            let shown = sandbox.export_result(&user, approved.id).await;
            assert!(shown.is_err(), "shown to its author while suspended");
        }
        // Its checkers still see what they approved.
        there
            .export_result(&caller(&w.operator), approved.id)
            .await
            .unwrap();
        w.products
            .rectify(&w.operator, &ledger, suspension.id, "已整改")
            .await
            .unwrap();
        w.products
            .resume(&w.center, &ledger, suspension.id)
            .await
            .unwrap();
        there
            .run(&user, &ledger, agreement, count, None)
            .await
            .unwrap();
        there.release(&user, &ledger, approved.id).await.unwrap();

        // Filed before exports recorded their products: held to the
        // products its lineage names.
        db.tamper_as_administrator(&["UPDATE sandbox_exports SET products = NULL"])
            .await;
        there.release(&user, &ledger, approved.id).await.unwrap();

        // Withdrawn from service: its results are withheld for good.
        w.products
            .withdraw(&w.operator, &ledger, "registrations-lab", "停止提供")
            .await
            .unwrap();
        let refused = here.release(&user, &ledger, approved.id).await.unwrap_err();
        assert!(
            matches!(
                refused,
                SandboxError::Product(ProductError::Withdrawn { .. })
            ),
            "{refused}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_of_uploads_alone_leaves_only_while_its_workspace_stands() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let agreement = workspace_of(&sandbox, &w).await;
        let csv = format!("组,值\n{}", "甲,1\n".repeat(30));
        let upload = Upload {
            name: "scores".into(),
            file_name: "scores.csv".into(),
        };
        sandbox
            .upload(
                &user,
                &ledger,
                agreement,
                upload,
                Cursor::new(csv.into_bytes()),
            )
            .await
            .unwrap();
        let export = sandbox
            .request_export(
                &user,
                &ledger,
                agreement,
                "SELECT 组, count(*) AS n FROM scores GROUP BY 1",
                "自有数据汇总",
                None,
            )
            .await
            .unwrap();
        assert_eq!(export.export.products, Some(Vec::new()));
        sandbox
            .review(
                &caller(&w.operator),
                &ledger,
                export.id,
                ReviewDecision::Approve,
                "",
            )
            .await
            .unwrap();
        sandbox.release(&user, &ledger, export.id).await.unwrap();

        // The workspace's only product suspended: the workspace is closed,
        // and with it what was made there.
        let suspension = suspend_registrations(&w, &ledger).await;
        let refused = sandbox
            .release(&user, &ledger, export.id)
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                SandboxError::Product(ProductError::Refused(Refusal::Suspended { .. }))
            ),
            "{refused}"
        );
        w.products
            .rectify(&w.operator, &ledger, suspension.id, "已整改")
            .await
            .unwrap();
        w.products
            .resume(&w.center, &ledger, suspension.id)
            .await
            .unwrap();
        sandbox.release(&user, &ledger, export.id).await.unwrap();
        w.workflow
            .terminate(&w.provider, &ledger, w.authorization, "到期终止")
            .await
            .unwrap();
        let ended = sandbox
            .release(&user, &ledger, export.id)
            .await
            .unwrap_err();
        assert!(
            matches!(
                ended,
                SandboxError::Product(ProductError::Refused(Refusal::Use(_)))
            ),
            "{ended}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_refused_names_the_refusal_of_its_own_product() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        // A second agreement with a product of its own; the first's is
        // withdrawn, and then the resource both read is suspended.
        let mut own = lab_product(w.authorize(lab_terms()).await);
        own.code = "registrations-lab-2".into();
        w.products
            .save(&w.operator, &ledger, &own, None)
            .await
            .unwrap();
        w.products
            .withdraw(&w.operator, &ledger, "registrations-lab", "停止提供")
            .await
            .unwrap();
        let second = workspace_of(&sandbox, &w).await;
        suspend_registrations(&w, &ledger).await;
        let refused = sandbox
            .run(&user, &ledger, second, "SELECT 1", None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                SandboxError::Product(ProductError::Refused(Refusal::Suspended { .. }))
            ),
            "not the other agreement's withdrawal: {refused}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_made_tables_are_kept_sealed_and_follow_their_products() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let here = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let agreement = workspace_of(&here, &w).await;
        let codes = here
            .run(
                &user,
                &ledger,
                agreement,
                "SELECT 统一社会信用代码 FROM registrations_lab ORDER BY 1 LIMIT 3",
                None,
            )
            .await
            .unwrap()
            .rows[0]
            .columns[0]
            .clone();
        let codes: Vec<String> = codes.into_iter().flatten().collect();
        let csv = format!(
            "统一社会信用代码,评级\n{},A\n{},B\n{},A\n",
            codes[0], codes[1], codes[2]
        );
        let upload = |name: &str| Upload {
            name: name.into(),
            file_name: "评级.csv".into(),
        };
        let ratings = here
            .upload(&user, &ledger, agreement, upload("ratings"), Cursor::new(csv.clone().into_bytes()))
            .await
            .unwrap();
        assert_eq!(ratings.rows, 3);
        assert_eq!(
            ratings.origin,
            Origin::Upload {
                file_name: "评级.csv".into()
            }
        );
        assert_eq!(
            ratings.columns[0].2.as_deref(),
            Some("credit_code"),
            "identifiers found in an upload are shown"
        );

        let by_rating = "SELECT r.评级, count(*) AS n FROM registrations_lab l \
                         JOIN ratings r ON l.统一社会信用代码 = r.统一社会信用代码 \
                         GROUP BY 1 ORDER BY 1";
        let joined = here
            .run(&user, &ledger, agreement, by_rating, None)
            .await
            .unwrap();
        assert_eq!(
            joined.rows[0].columns,
            vec![
                vec![Some("A".to_owned()), Some("B".to_owned())],
                vec![Some("2".to_owned()), Some("1".to_owned())]
            ]
        );
        let big = "CREATE TABLE big AS SELECT 企业名称, 注册资本 FROM registrations_lab \
                   WHERE 注册资本 >= 300";
        here.run(&user, &ledger, agreement, big, None)
            .await
            .unwrap();

        // Another process opens both from their sealed files.
        let there = Sandbox::new(w.second_server(&db.url).await, SandboxConfig::default());
        let workspace = there.workspace(&user, agreement).await.unwrap();
        let names: Vec<&str> = workspace.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["registrations_lab", "ratings", "big"]);
        assert!(matches!(
            &workspace.tables[2].origin,
            Origin::Query { query_id: Some(_), derived_from, traced: false } if derived_from == &["registrations-lab"]
        ));
        let count = |sandbox: Sandbox, sql: &'static str| {
            let ledger = Ledger(w.clock.clone());
            async move {
                sandbox
                    .run(&user, &ledger, agreement, sql, None)
                    .await
                    .map(|a| a.rows[0].columns[0][0].clone().unwrap())
            }
        };
        assert_eq!(
            count(there.clone(), "SELECT count(*) FROM big").await.unwrap(),
            count(here.clone(), "SELECT count(*) FROM big").await.unwrap()
        );

        // A kept aggregation keeps the records behind its rows: released
        // from another process, it passes the checks as the aggregation
        // itself does (13 companies of 127 or more, 27 below).
        here.run(
            &user,
            &ledger,
            agreement,
            "CREATE TABLE sizes AS SELECT 注册资本 >= 127 AS large, count(*) AS n \
             FROM registrations_lab GROUP BY 1",
            None,
        )
        .await
        .unwrap();
        let sizes = there
            .request_export(&user, &ledger, agreement, "SELECT * FROM sizes ORDER BY 1", "规模分布", None)
            .await
            .unwrap();
        assert_eq!(sizes.export.status, ExportStatus::AwaitingReview.as_str());
        assert_eq!(sizes.export.checks, "");
        let workspace = there.workspace(&user, agreement).await.unwrap();
        assert!(matches!(
            workspace.tables.iter().find(|t| t.name == "sizes").map(|t| &t.origin),
            Some(Origin::Query { traced: true, .. })
        ));

        // Refused whole, each with its reason.
        for (name, file_name, body, field) in [
            ("ratings", "评级.csv", csv.as_str(), "name"),
            ("Ratings", "评级.csv", csv.as_str(), "name"),
            ("ratings2", "评级.doc", csv.as_str(), "file_name"),
        ] {
            let refused = here
                .upload(
                    &user,
                    &ledger,
                    agreement,
                    Upload {
                        name: name.into(),
                        file_name: file_name.into(),
                    },
                    Cursor::new(body.as_bytes().to_vec()),
                )
                .await
                .unwrap_err();
            assert!(
                matches!(refused, SandboxError::Invalid { field: f, .. } if f == field),
                "{name}: {refused}"
            );
        }
        let ragged = here
            .upload(
                &user,
                &ledger,
                agreement,
                upload("ragged"),
                Cursor::new(b"a,b\n1,2\n3,4,5\n6,7\n".to_vec()),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&ragged, SandboxError::Upload(m) if m.contains("row 3")),
            "{ragged}"
        );
        let too_big = sandbox(
            &w,
            SandboxConfig {
                max_upload_bytes: 10,
                ..SandboxConfig::default()
            },
        )
        .upload(&user, &ledger, agreement, upload("r3"), Cursor::new(csv.clone().into_bytes()))
        .await
        .unwrap_err();
        assert!(matches!(too_big, SandboxError::Invalid { field: "file", .. }));

        // A release over the upload names it in its lineage.
        let export = here
            .request_export(&user, &ledger, agreement, by_rating, "评级分布", None)
            .await
            .unwrap();
        assert!(
            export
                .export
                .lineage
                .contains("uploaded by the user: 评级.csv | table ratings | SM3 "),
            "{}",
            export.export.lineage
        );

        // A table made from a product is withheld with it.
        let suspension = suspend_registrations(&w, &ledger).await;
        let withheld = count(there.clone(), "SELECT count(*) FROM big")
            .await
            .unwrap_err();
        assert!(
            matches!(
                withheld,
                SandboxError::Product(ProductError::Refused(Refusal::Suspended { .. }))
            ),
            "{withheld}"
        );
        w.products
            .rectify(&w.operator, &ledger, suspension.id, "已整改")
            .await
            .unwrap();
        w.products
            .resume(&w.center, &ledger, suspension.id)
            .await
            .unwrap();

        // Key rotation re-wraps kept tables' keys; they open under the new
        // master key.
        let rotated = MasterKey::generate();
        rongshu_delivery::rewrap_all(&w.store, &w.deliveries.master(), &rotated, &ledger)
            .await
            .unwrap();
        let renewed = Deliveries::new(
            w.store.clone(),
            DataFiles::local(w.dir.path()).unwrap(),
            rotated,
            DeliveryConfig::default(),
        );
        for kept in w.store.sandbox_tables(Some(agreement)).await.unwrap() {
            let file = kept_file(&kept.table);
            assert!(renewed.open_kept(&file).await.is_ok(), "{}", kept.table.name);
        }

        // Dropped: gone from every process; a product's table is no kept
        // table to drop.
        here.drop_table(&user, &ledger, agreement, "ratings")
            .await
            .unwrap();
        assert!(count(there.clone(), "SELECT count(*) FROM ratings").await.is_err());
        let names: Vec<String> = there
            .workspace(&user, agreement)
            .await
            .unwrap()
            .tables
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, vec!["registrations_lab", "big", "sizes"]);
        assert!(
            here.drop_table(&user, &ledger, agreement, "registrations_lab")
                .await
                .is_err()
        );

        let actions: Vec<String> = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.draft.action)
            .collect();
        for (action, times) in [
            ("sandbox.table.upload", 1),
            ("sandbox.table.make", 2),
            ("sandbox.table.drop", 1),
        ] {
            let ledgered = actions.iter().filter(|a| *a == action).count();
            assert_eq!(ledgered, times, "{action}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_counts_are_rounded_when_the_rules_ask() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(
            &w,
            SandboxConfig {
                rules: DisclosureRules {
                    round_counts_to: 5,
                    ..DisclosureRules::default()
                },
                ..SandboxConfig::default()
            },
        );
        let user = caller(&w.user);
        let agreement = workspace_of(&sandbox, &w).await;
        // 13 companies of 127 or more, 27 below: both pass the checks
        // exact, and leave rounded.
        let export = sandbox
            .request_export(
                &user,
                &ledger,
                agreement,
                "SELECT 注册资本 >= 127 AS large, count(*) AS n, sum(注册资本) AS total \
                 FROM registrations_lab GROUP BY 1 ORDER BY 1",
                "规模分布",
                None,
            )
            .await
            .unwrap();
        assert_eq!(export.export.status, ExportStatus::AwaitingReview.as_str());
        assert_eq!(export.export.rounded, Some((5, vec!["n".to_owned()])));
        sandbox
            .review(
                &caller(&w.operator),
                &ledger,
                export.id,
                ReviewDecision::Approve,
                "",
            )
            .await
            .unwrap();
        let release = sandbox.release(&user, &ledger, export.id).await.unwrap();
        let (data, metadata) = unpacked(release);
        assert_eq!(data, "large,n,total\nfalse,25,3051\ntrue,15,1729\n");
        let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
        assert_eq!(
            metadata["counts_rounded"],
            serde_json::json!({ "to_multiple_of": 5, "columns": ["n"] })
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_sent_back_for_changes_is_resubmitted_in_its_place() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let checker = caller(&w.operator);
        let agreement = workspace_of(&sandbox, &w).await;
        let by_size = "SELECT 注册资本 >= 120 AS large, count(*) AS n, avg(注册资本) AS mean \
                       FROM registrations_lab GROUP BY 1 ORDER BY 1";
        let first = sandbox
            .request_export(&user, &ledger, agreement, by_size, "规模分布", None)
            .await
            .unwrap();
        let resubmit = |id: i64| {
            let ledger = Ledger(w.clock.clone());
            let sandbox = sandbox.clone();
            async move {
                sandbox
                    .request_export(
                        &user,
                        &ledger,
                        agreement,
                        "SELECT 注册资本 >= 120 AS large, count(*) AS n \
                         FROM registrations_lab GROUP BY 1 ORDER BY 1",
                        "规模分布（去掉均值）",
                        Some(id),
                    )
                    .await
            }
        };
        // Awaiting review: nothing to resubmit yet.
        assert!(matches!(
            resubmit(first.id).await,
            Err(SandboxError::Invalid {
                field: "resubmits",
                ..
            })
        ));
        sandbox
            .review(
                &checker,
                &ledger,
                first.id,
                ReviewDecision::ApproveSubjectToChanges,
                "均值可去掉",
            )
            .await
            .unwrap();
        let second = resubmit(first.id).await.unwrap();
        assert_eq!(second.export.resubmits, Some(first.id));
        assert_eq!(second.export.status, ExportStatus::AwaitingReview.as_str());
        let earlier = w.store.sandbox_export(first.id).await.unwrap();
        assert_eq!(earlier.export.status, ExportStatus::Resubmitted.as_str());
        // Once only.
        assert!(matches!(
            resubmit(first.id).await,
            Err(SandboxError::Invalid {
                field: "resubmits",
                ..
            })
        ));
        assert_eq!(
            sandbox
                .review(&checker, &ledger, second.id, ReviewDecision::Approve, "")
                .await
                .unwrap(),
            ExportStatus::Approved
        );
        let entry = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.draft.action == "sandbox.export.request")
            .filter_map(|e| e.draft.reason)
            .find(|r| r.contains(&format!("in place of export {}", first.id)));
        assert!(entry.is_some(), "the resubmission is ledgered");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_are_metered_and_held_to_the_daily_quota() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let product = w.products.product("registrations-lab").await.unwrap();
        let quota = ProductDraft {
            daily_call_quota: Some(2),
            ..lab_product(w.authorization)
        };
        w.products
            .save(&w.operator, &ledger, &quota, Some(product.revision))
            .await
            .unwrap();
        let sandbox = sandbox(&w, SandboxConfig::default());
        let user = caller(&w.user);
        let agreement = workspace_of(&sandbox, &w).await;
        let count = "SELECT count(*) FROM registrations_lab";
        for _ in 0..2 {
            sandbox
                .run(&user, &ledger, agreement, count, None)
                .await
                .unwrap();
        }
        let refused = sandbox
            .run(&user, &ledger, agreement, count, None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                SandboxError::Product(ProductError::Refused(Refusal::QuotaExceeded { quota: 2 }))
            ),
            "{refused}"
        );
        let history = sandbox.history(&user, agreement, 10).await.unwrap();
        assert_eq!(history[0].query.outcome, "refused");
        // A statement over two products is metered whole: refused by the
        // quota of the one metered last, it is not charged to the first.
        let revision = w
            .products
            .product("registrations-lab")
            .await
            .unwrap()
            .revision;
        let unlimited = lab_product(w.authorization);
        let other = ProductDraft {
            code: "registrations-lab-b".into(),
            daily_call_quota: Some(1),
            ..lab_product(w.authorization)
        };
        for (draft, revision) in [(&unlimited, Some(revision)), (&other, None)] {
            w.products
                .save(&w.operator, &ledger, draft, revision)
                .await
                .unwrap();
        }
        let lab_b = "SELECT count(*) FROM registrations_lab_b";
        sandbox
            .run(&user, &ledger, agreement, lab_b, None)
            .await
            .unwrap();
        for joined in [
            "SELECT count(*) FROM registrations_lab_b b JOIN registrations_lab a USING (企业名称)",
            "SELECT count(*) FROM registrations_lab a JOIN registrations_lab_b b USING (企业名称)",
        ] {
            let refused = sandbox
                .run(&user, &ledger, agreement, joined, None)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    refused,
                    SandboxError::Product(ProductError::Refused(Refusal::QuotaExceeded {
                        quota: 1
                    }))
                ),
                "{refused}"
            );
        }
        let mut usage = w
            .store
            .usage(UseScope::Own(w.user.org_id), "2026-01-01", "2026-12-31")
            .await
            .unwrap();
        usage.sort_by_key(|u| u.product_id);
        let metered: Vec<_> = usage.iter().map(|u| (u.calls, u.records)).collect();
        assert_eq!(metered, [(2, 2), (1, 1)], "the lab's two, the other's one");
        let uses = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.draft.action == "sandbox.use")
            .count();
        assert_eq!(uses, 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_beyond_the_cache_budget_are_read_again_when_needed() {
    on_every_backend(|db| async move {
        let w = lab(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let user = caller(&w.user);
        let roomy = sandbox(&w, SandboxConfig::default());
        let agreement = workspace_of(&roomy, &w).await;
        let (tables, bytes) = roomy.cached();
        assert_eq!(tables, 1, "the product's table stays in memory");
        assert!(bytes > 0);
        let tight = sandbox(
            &w,
            SandboxConfig {
                cache_bytes: 64,
                ..SandboxConfig::default()
            },
        );
        for _ in 0..2 {
            let answer = tight
                .run(
                    &user,
                    &ledger,
                    agreement,
                    "SELECT count(*) FROM registrations_lab",
                    None,
                )
                .await
                .unwrap();
            assert_eq!(answer.rows[0].columns[0][0].as_deref(), Some("40"));
        }
        assert_eq!(tight.cached(), (0, 0), "nothing held past the budget");
    })
    .await;
}
