//! Products end to end on every backend: a real delivery, the workflow up
//! to signed agreements, then products built, called, downloaded,
//! suspended, terminated, metered and billed.

use std::io::Read;

use rongshu_deid::Shortfall;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, SuspensionKind, SuspensionRefusal, SuspensionScope};
use rongshu_formats::OutputFormat;
use rongshu_products::consulting::{Attachment, FeedbackDraft};
use rongshu_products::testing::{FIELDS, Ledger, World, WorldOptions, caller, world, world_with};
use rongshu_products::{ProductDraft, ProductError, Products, Refusal, Verdict};
use rongshu_store::testing::on_every_backend;
use rongshu_store::{StoreError, UseScope};
use rongshu_workflow::UseRefusal;

/// Feedback with a link only.
fn feedback(kind: &str, link: &str) -> FeedbackDraft {
    FeedbackDraft {
        kind: kind.into(),
        title: "区县营商环境报告".into(),
        link: link.into(),
        file: None,
    }
}

fn draft(world: &World, pipeline: &str) -> ProductDraft {
    ProductDraft {
        code: "registrations-check".into(),
        name: "企业登记核验与查询".into(),
        description: String::new(),
        resource_code: "registrations".into(),
        authorization_id: world.authorization,
        modes: vec![
            ServiceMode::Download,
            ServiceMode::QueryApi,
            ServiceMode::VerificationApi,
        ],
        fields: FIELDS.iter().map(|f| f.to_string()).collect(),
        pipeline: pipeline.into(),
        query_parameters: vec!["统一社会信用代码".into()],
        max_rows: 5,
        verify_key_field: Some("统一社会信用代码".into()),
        verify_fields: vec!["企业名称".into(), "法定代表人".into()],
        daily_call_quota: None,
        rate_per_minute: None,
        billing_unit: BillingUnit::PerCall,
        price_fen: 50,
    }
}

const MASKED: &str = r#"{"steps":[
    {"op":"trim"},
    {"op":"mask","field":"法定代表人","preset":"name"},
    {"op":"pseudonym","field":"法定代表人身份证号"}]}"#;

#[tokio::test]
async fn a_product_is_built_only_within_its_authorization() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let exposed = w
            .products
            .save(&w.operator, &ledger, &draft(&w, "{}"), None)
            .await
            .unwrap_err();
        let ProductError::Exceeds(shortfalls) = exposed else { panic!("{exposed:?}") };
        let said: Vec<String> = shortfalls.iter().map(ToString::to_string).collect();
        assert!(said.iter().any(|s| s.contains("法定代表人身份证号") && s.contains("resident_id")), "{said:?}");

        let mut wider = draft(&w, MASKED);
        wider.fields.push("注册资本".into());
        assert!(matches!(
            w.products.save(&w.operator, &ledger, &wider, None).await.unwrap_err(),
            ProductError::NotAuthorized { what: "field", .. }
        ));
        let mut sandbox = draft(&w, MASKED);
        sandbox.modes.push(ServiceMode::Sandbox);
        assert!(matches!(
            w.products.save(&w.operator, &ledger, &sandbox, None).await.unwrap_err(),
            ProductError::NotAuthorized { what: "mode", .. }
        ));
        let mut twice = draft(&w, MASKED);
        twice.modes.push(ServiceMode::QueryApi);
        assert!(matches!(
            w.products.save(&w.operator, &ledger, &twice, None).await.unwrap_err(),
            ProductError::InvalidProduct { field: "modes", .. }
        ), "a mode named twice");
        let mut by_masked = draft(&w, MASKED);
        by_masked.query_parameters = vec!["法定代表人".into()];
        let by_masked = w.products.save(&w.operator, &ledger, &by_masked, None).await.unwrap_err();
        assert!(
            matches!(&by_masked, ProductError::InvalidProduct { field: "query_parameters", problem } if problem.contains("masked")),
            "a masked parameter would list records by a pattern: {by_masked}"
        );
        let grouped = MASKED.replacen(
            r#"{"steps":["#,
            r#"{"k_anonymity":{"quasi_identifiers":["统一社会信用代码"],"k":2},"steps":["#,
            1,
        );
        let grouped = w.products.save(&w.operator, &ledger, &draft(&w, &grouped), None).await;
        assert!(
            matches!(&grouped, Err(ProductError::InvalidProduct { field: "query_parameters", problem }) if problem.contains("quasi-identifier")),
            "blanked in small groups, never found: {grouped:?}"
        );
        // A verification confirms guesses: a value the pipeline gives out
        // coarsened or not at all is not confirmed, one masked is.
        let coarse = MASKED.replace(
            r#"{"op":"pseudonym","field":"法定代表人身份证号"}"#,
            r#"{"op":"age-band","field":"法定代表人身份证号","width":10}"#,
        );
        let mut by_age = draft(&w, &coarse);
        by_age.verify_fields.push("法定代表人身份证号".into());
        let by_age = w.products.save(&w.operator, &ledger, &by_age, None).await.unwrap_err();
        assert!(
            matches!(&by_age, ProductError::InvalidProduct { field: "verify_fields", problem } if problem.contains("generalised")),
            "guesses would recover the birth date an age band withholds: {by_age}"
        );
        let mut twice = draft(&w, MASKED);
        twice.query_parameters.push("统一社会信用代码".into());
        assert!(matches!(
            w.products.save(&w.operator, &ledger, &twice, None).await.unwrap_err(),
            ProductError::InvalidProduct { field: "query_parameters", .. }
        ), "a parameter named twice");
        let mut never_charged = draft(&w, MASKED);
        never_charged.modes = vec![ServiceMode::QueryApi];
        never_charged.billing_unit = BillingUnit::PerDownload;
        assert!(matches!(
            w.products.save(&w.operator, &ledger, &never_charged, None).await.unwrap_err(),
            ProductError::InvalidProduct { field: "billing_unit", .. }
        ), "a unit no use of the product counts");
        for json in ["[1, 2]", "42"] {
            let refused = w.products.save(&w.operator, &ledger, &draft(&w, json), None).await.unwrap_err();
            assert!(
                matches!(&refused, ProductError::Document(e) if e.to_string().contains("JSON")),
                "{json} is read as JSON: {refused}"
            );
        }
        let mut unnamed = draft(&w, MASKED);
        unnamed.code = "企业".into();
        let unnamed = w.products.save(&w.operator, &ledger, &unnamed, None).await.unwrap_err();
        assert!(unnamed.to_string().contains("product codes"), "{unnamed}");
        let tokens = MASKED.replace("pseudonym", "token");
        assert!(matches!(
            w.products.save(&w.operator, &ledger, &draft(&w, &tokens), None).await.unwrap_err(),
            ProductError::Exceeds(_)
        ), "no re-identification allowed");
        let weak = MASKED.replace(r#""op":"pseudonym""#, r#""op":"mask","keep_first":6,"keep_last":11"#);
        let weak = w.products.save(&w.operator, &ledger, &draft(&w, &weak), None).await.unwrap_err();
        let ProductError::Exceeds(shortfalls) = weak else { panic!("{weak:?}") };
        assert!(matches!(
            shortfalls.as_slice(),
            [Shortfall::WeakMask { first: 6, last: 11, most_first: 6, most_last: 4, .. }]
        ), "a mask keeping all but the birth date's last digit: {shortfalls:?}");
        assert!(matches!(
            w.products.save(&w.user, &ledger, &draft(&w, MASKED), None).await.unwrap_err(),
            ProductError::Forbidden(_)
        ));
        let toml = "[[steps]]\nop = \"mask\"\nfield = \"法定代表人\"\npreset = \"name\"\n\n[[steps]]\nop = \"suppress\"\nfield = \"法定代表人身份证号\"\n";
        let product = w.products.save(&w.operator, &ledger, &draft(&w, toml), None).await.unwrap();
        assert!(product.input.pipeline.starts_with('{'), "stored as JSON");
        assert_eq!(product.revision, 1);
        // A second product under a code taken is refused as such, and
        // leaves nothing behind.
        let taken = w.products.save(&w.operator, &ledger, &draft(&w, MASKED), None).await.unwrap_err();
        assert!(matches!(
            taken,
            ProductError::Store(StoreError::Duplicate { what: "product code", .. })
        ), "{taken:?}");
        assert_eq!(w.store.products().await.unwrap().len(), 1);
        // Saved before parameters were held to it: refused when called.
        db.tamper_as_administrator(&[
            "UPDATE products SET query_parameters = '法定代表人', \
             verify_fields = '法定代表人身份证号'",
        ])
        .await;
        let by_masked = [("法定代表人".to_owned(), "张*".to_owned())];
        let refused = w
            .products
            .query(&caller(&w.user), &ledger, &product.input.code, &by_masked)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, ProductError::InvalidProduct { field: "query_parameters", .. }),
            "{refused}"
        );
        let guess = [
            ("统一社会信用代码".to_owned(), "91510100MA61R9XX00".to_owned()),
            ("法定代表人身份证号".to_owned(), "510104198001010011".to_owned()),
        ];
        let refused = w
            .products
            .verify(&caller(&w.user), &ledger, &product.input.code, &guess)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, ProductError::InvalidProduct { field: "verify_fields", problem } if problem.contains("suppressed")),
            "{refused}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_preview_shows_the_first_rows_before_and_after() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let wanted = draft(&w, MASKED);
        let preview = w
            .products
            .preview(&w.operator, &ledger, &wanted, 3)
            .await
            .unwrap();
        assert!(!preview.product_keys, "a new product: one-off keys");
        let names = |s: &rongshu_products::preview::Sample| -> Vec<String> {
            s.columns.iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(names(&preview.before), FIELDS);
        assert_eq!(names(&preview.after), FIELDS);
        assert_eq!(
            (preview.before.rows.len(), preview.after.rows.len()),
            (3, 3)
        );
        let (before, after) = (&preview.before.rows[1], &preview.after.rows[1]);
        assert_eq!(before[2].as_deref(), Some("张伟1"));
        assert_eq!(after[2].as_deref(), Some("张**"));
        assert_eq!(before[3].as_deref(), Some("11010519491231002X"));
        assert_eq!(after[3].as_ref().unwrap().len(), 20, "a pseudonym");
        assert_eq!(after[0], before[0], "untouched");

        // Checked as saving checks: nothing beyond the authorization.
        assert!(matches!(
            w.products
                .preview(&w.operator, &ledger, &draft(&w, "{}"), 3)
                .await
                .unwrap_err(),
            ProductError::Exceeds(_)
        ));
        assert!(matches!(
            w.products
                .preview(&w.user, &ledger, &wanted, 3)
                .await
                .unwrap_err(),
            ProductError::Forbidden(_)
        ));

        // Once saved, the product's own keys: pseudonyms as calls will see them.
        w.products
            .save(&w.operator, &ledger, &wanted, None)
            .await
            .unwrap();
        let saved = w
            .products
            .preview(&w.operator, &ledger, &wanted, 2)
            .await
            .unwrap();
        assert!(saved.product_keys);
        let code_1 = "91510100MA61R9XX01".to_owned();
        let answer = w
            .products
            .query(
                &caller(&w.user),
                &ledger,
                "registrations-check",
                &[("统一社会信用代码".into(), code_1)],
            )
            .await
            .unwrap();
        assert_eq!(saved.after.rows[1][3], answer.rows[0][3]);
        let entries = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap();
        let looks = entries
            .iter()
            .filter(|e| e.draft.action == "product.preview")
            .count();
        assert_eq!(
            looks, 2,
            "each preview shown is ledgered, a refused one is not"
        );
    })
    .await;
}

#[tokio::test]
async fn calls_pass_the_chain_and_are_ledgered_and_metered() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let mut wanted = draft(&w, MASKED);
        wanted.daily_call_quota = Some(5);
        w.products
            .save(&w.operator, &ledger, &wanted, None)
            .await
            .unwrap();
        let user = caller(&w.user);
        let code = "registrations-check";

        // Query: masked rows and the citation line.
        let code_3 = "91510100MA61R9XX03".to_owned();
        let answer = w
            .products
            .query(
                &user,
                &ledger,
                code,
                &[("统一社会信用代码".into(), code_3.clone())],
            )
            .await
            .unwrap();
        assert_eq!(answer.rows.len(), 1);
        let row = &answer.rows[0];
        assert_eq!(row[0].as_deref(), Some("成都第3科技有限公司"));
        assert_eq!(row[2].as_deref(), Some("张**"));
        assert_eq!(row[3].as_ref().unwrap().len(), 20, "a pseudonym");
        assert!(
            answer
                .citation
                .contains("企业登记信息（registrations）第 1 版")
        );
        let missing = w
            .products
            .query(&user, &ledger, code, &[])
            .await
            .unwrap_err();
        assert!(matches!(
            missing,
            ProductError::Invalid {
                field: "parameters",
                ..
            }
        ));

        // Verification: match or no match per field, never data.
        let facts = |name: &str, person: &str| {
            vec![
                ("统一社会信用代码".to_owned(), code_3.clone()),
                ("企业名称".to_owned(), name.to_owned()),
                ("法定代表人".to_owned(), person.to_owned()),
            ]
        };
        let verdicts = w
            .products
            .verify(
                &user,
                &ledger,
                code,
                &facts(" 成都第3科技有限公司 ", "李四"),
            )
            .await
            .unwrap();
        assert_eq!(
            verdicts.fields,
            vec![
                ("统一社会信用代码".into(), Verdict::Match),
                ("企业名称".into(), Verdict::Match),
                ("法定代表人".into(), Verdict::NoMatch),
            ]
        );

        // Download: a ZIP with the de-identified data and its citation.
        let mut download = w
            .products
            .download(&user, &ledger, code, OutputFormat::Csv)
            .await
            .unwrap();
        let mut zipped = Vec::new();
        while let Some(chunk) = download.chunks.recv().await {
            zipped.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(download.file_name, "registrations-check-v1-csv.zip");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped)).unwrap();
        let mut csv = String::new();
        archive
            .by_name("data.csv")
            .unwrap()
            .read_to_string(&mut csv)
            .unwrap();
        assert_eq!(csv.lines().count(), 41);
        assert!(
            csv.contains(",张**,") && !csv.contains("11010519491231002X"),
            "{csv}"
        );
        let mut meta = String::new();
        archive
            .by_name("metadata.json")
            .unwrap()
            .read_to_string(&mut meta)
            .unwrap();
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        assert_eq!(meta["rows_out"], 40);
        assert!(meta["formula_guard"].is_null(), "UTF-8 CSV stays exact");
        assert!(
            meta["citation"]
                .as_str()
                .unwrap()
                .starts_with("数据来源：蓉数")
        );

        // The quota of 5 uses a day: 2 calls and a download made, 2 left.
        for _ in 0..2 {
            w.products
                .verify(&user, &ledger, code, &facts("x", "y"))
                .await
                .unwrap();
        }
        let over = w
            .products
            .verify(&user, &ledger, code, &facts("x", "y"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                over,
                ProductError::Refused(Refusal::QuotaExceeded { quota: 5 })
            ),
            "{over:?}"
        );

        // Metered, priced and ledgered.
        let statement = w
            .products
            .statement(&w.user, w.user.org_id, "2026-11")
            .await
            .unwrap();
        assert_eq!(statement.lines.len(), 1);
        let line = &statement.lines[0];
        assert_eq!((line.calls, line.downloads), (4, 1));
        assert_eq!(
            statement.total_fen,
            4 * 50,
            "per call: the download is free"
        );
        assert!(matches!(
            w.products
                .statement(&w.user, w.provider.org_id, "2026-11")
                .await
                .unwrap_err(),
            ProductError::Forbidden(_)
        ));
        let unknown = w.products.statement(&w.operator, 999_999, "2026-11").await;
        assert!(
            matches!(
                unknown,
                Err(ProductError::Store(StoreError::NotFound { .. }))
            ),
            "{unknown:?}"
        );
        let day = |d: &str| d.parse().unwrap();
        let reversed = w
            .products
            .usage(&w.user, day("2026-11-30"), day("2026-11-01"))
            .await;
        assert!(
            matches!(reversed, Err(ProductError::Invalid { field: "until", .. })),
            "{reversed:?}"
        );
        // The provider follows the use of its data, not billed for it.
        let november = |who| w.products.usage(who, day("2026-11-01"), day("2026-11-30"));
        let seen = november(&w.provider).await.unwrap();
        assert_eq!(seen, november(&w.user).await.unwrap());
        assert!(seen.iter().all(|u| u.org_id == w.user.org_id) && !seen.is_empty());
        let entries = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap();
        let uses = entries
            .iter()
            .filter(|e| e.draft.action.starts_with("product.") && e.draft.segment.is_some())
            .count();
        assert_eq!(uses, 5);
    })
    .await;
}

#[tokio::test]
async fn a_download_is_metered_and_charged_by_the_records_it_delivers() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let user = caller(&w.user);
        // The same rows, once whole and once all rejected by a step that
        // reads every company name as a date.
        let rejecting = MASKED.replacen(
            r#"{"op":"trim"}"#,
            r#"{"op":"trim"},{"op":"date","fields":["企业名称"]}"#,
            1,
        );
        for (code, pipeline) in [("whole", MASKED), ("rejected", rejecting.as_str())] {
            let mut per_record = draft(&w, pipeline);
            per_record.code = format!("registrations-{code}");
            per_record.billing_unit = BillingUnit::PerRecord;
            per_record.price_fen = 1;
            w.products
                .save(&w.operator, &ledger, &per_record, None)
                .await
                .unwrap();
            for _ in 0..2 {
                let mut download = w
                    .products
                    .download(&user, &ledger, &per_record.code, OutputFormat::Csv)
                    .await
                    .unwrap();
                while download.chunks.recv().await.is_some() {}
            }
        }
        let usage = w
            .store
            .usage(UseScope::Own(w.user.org_id), "2026-11-01", "2026-11-30")
            .await
            .unwrap();
        let mut metered: Vec<_> = usage
            .iter()
            .map(|u| (u.downloads, u.records, u.amount_fen))
            .collect();
        metered.sort();
        assert_eq!(
            metered,
            [(2, 0, 0), (2, 80, 80)],
            "40 rows a download, or none"
        );
    })
    .await;
}

/// `calls` verification calls made at once, half through each of two
/// servers; how many were served, and the refusals.
async fn verify_from_two_servers(
    w: &World,
    other: &Products,
    calls: usize,
) -> (usize, Vec<ProductError>) {
    let user = caller(&w.user);
    let calls = (0..calls).map(|i| {
        let products = if i % 2 == 0 {
            w.products.clone()
        } else {
            other.clone()
        };
        let ledger = Ledger(w.clock.clone());
        tokio::spawn(async move {
            let facts = [(
                "统一社会信用代码".to_owned(),
                format!("91510100MA61R9XX{i:02}"),
            )];
            products
                .verify(&user, &ledger, "registrations-check", &facts)
                .await
        })
    });
    let (mut served, mut refused) = (0, Vec::new());
    for call in calls.collect::<Vec<_>>() {
        match call.await.unwrap() {
            Ok(_) => served += 1,
            Err(e) => refused.push(e),
        }
    }
    (served, refused)
}

#[tokio::test]
async fn a_rate_limit_holds_across_two_servers() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let mut wanted = draft(&w, MASKED);
        wanted.rate_per_minute = Some(5);
        w.products
            .save(&w.operator, &ledger, &wanted, None)
            .await
            .unwrap();
        let other = w.second_server(&db.url).await;
        // Each server alone would let 5 through in the minute.
        let (served, refused) = verify_from_two_servers(&w, &other, 16).await;
        assert_eq!(served, 5, "exactly the rate, across both servers");
        for e in refused {
            assert!(
                matches!(
                    e,
                    ProductError::Refused(Refusal::RateLimited { per_minute: 5 })
                ),
                "{e:?}"
            );
        }
        // The next minute has its own budget.
        w.clock.advance_ms(60_000);
        let (served, _) = verify_from_two_servers(&w, &other, 2).await;
        assert_eq!(served, 2);
    })
    .await;
}

#[tokio::test]
async fn a_quota_holds_under_concurrent_calls_from_two_servers() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let mut wanted = draft(&w, MASKED);
        wanted.daily_call_quota = Some(7);
        w.products
            .save(&w.operator, &ledger, &wanted, None)
            .await
            .unwrap();
        let other = w.second_server(&db.url).await;
        let (served, refused) = verify_from_two_servers(&w, &other, 20).await;
        for e in refused {
            assert!(
                matches!(
                    e,
                    ProductError::Refused(Refusal::QuotaExceeded { quota: 7 })
                ),
                "{e:?}"
            );
        }
        assert_eq!(served, 7, "exactly the quota, across both servers");
        let usage = w
            .store
            .usage(UseScope::Own(w.user.org_id), "2026-11-01", "2026-11-30")
            .await
            .unwrap();
        assert_eq!(usage.iter().map(|u| u.calls).sum::<i64>(), 7);
        let entries = w
            .store
            .ledger_entries(&Default::default(), 1000)
            .await
            .unwrap();
        let verifies = entries
            .iter()
            .filter(|e| e.draft.action == "product.verify")
            .count();
        assert_eq!(verifies, 7, "a refused call leaves no use behind");
    })
    .await;
}

#[tokio::test]
async fn an_authorizations_daily_limit_holds_across_its_products_and_servers() {
    on_every_backend(|db| async move {
        let limited = WorldOptions {
            daily_use_limit: Some(6),
            ..WorldOptions::default()
        };
        let w = world_with(db.store.clone(), limited).await;
        let ledger = Ledger(w.clock.clone());
        w.products
            .save(&w.operator, &ledger, &draft(&w, MASKED), None)
            .await
            .unwrap();
        let mut lookup = draft(&w, MASKED);
        lookup.code = "registrations-lookup".into();
        lookup.modes = vec![ServiceMode::QueryApi];
        w.products
            .save(&w.operator, &ledger, &lookup, None)
            .await
            .unwrap();
        let user = caller(&w.user);
        let query = || async {
            let by_code = [(
                "统一社会信用代码".to_owned(),
                "91510100MA61R9XX00".to_owned(),
            )];
            w.products
                .query(&user, &ledger, "registrations-lookup", &by_code)
                .await
        };
        for _ in 0..2 {
            query().await.unwrap();
        }
        // Neither product has a quota of its own; together they stop at 6.
        let other = w.second_server(&db.url).await;
        let (served, refused) = verify_from_two_servers(&w, &other, 10).await;
        assert_eq!(served, 4, "six a day, both products and servers together");
        for e in refused {
            assert!(
                matches!(
                    e,
                    ProductError::Refused(Refusal::LimitReached { limit: 6, .. })
                ),
                "{e:?}"
            );
        }
        assert!(query().await.is_err());
        // Moved onto another authorization, a product takes none of the
        // day's uses with it: they were made under this one.
        let elsewhere = w.authorize(WorldOptions::default()).await;
        let revision = w
            .products
            .product("registrations-lookup")
            .await
            .unwrap()
            .revision;
        let moved = ProductDraft {
            authorization_id: elsewhere,
            ..lookup.clone()
        };
        w.products
            .save(&w.operator, &ledger, &moved, Some(revision))
            .await
            .unwrap();
        let facts = [(
            "统一社会信用代码".to_owned(),
            "91510100MA61R9XX00".to_owned(),
        )];
        let still = w
            .products
            .verify(&user, &ledger, "registrations-check", &facts)
            .await;
        assert!(
            matches!(
                still,
                Err(ProductError::Refused(Refusal::LimitReached {
                    limit: 6,
                    ..
                }))
            ),
            "{still:?}"
        );
        w.clock.advance_ms(86_400_000);
        query().await.expect("a new day, a new allowance");
    })
    .await;
}

#[tokio::test]
async fn suspension_and_termination_stop_every_call() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        w.products
            .save(&w.operator, &ledger, &draft(&w, MASKED), None)
            .await
            .unwrap();
        let user = caller(&w.user);
        let code = "registrations-check";
        let query = |products: Products| {
            let ledger = Ledger(w.clock.clone());
            async move {
                products
                    .query(
                        &user,
                        &ledger,
                        code,
                        &[("统一社会信用代码".into(), "91510100MA61R9XX01".into())],
                    )
                    .await
            }
        };
        query(w.products.clone()).await.unwrap();
        // A second server on the same database, with its own connections
        // and caches, warmed before the suspension.
        let other = w.second_server(&db.url).await;
        query(other.clone()).await.unwrap();
        let platform = SuspensionScope::new(SuspensionKind::Platform, None).unwrap();
        assert!(matches!(
            w.products
                .suspend(&w.operator, &ledger, platform, "x")
                .await
                .unwrap_err(),
            ProductError::Forbidden(_)
        ));
        // A scope names an organisation of its kind.
        let provider_as_user =
            SuspensionScope::new(SuspensionKind::UserOrg, Some(w.provider.org_id)).unwrap();
        let mismatched = w
            .products
            .suspend(&w.center, &ledger, provider_as_user, "超范围使用")
            .await
            .unwrap_err();
        assert!(
            matches!(
                mismatched,
                ProductError::Invalid {
                    field: "target_id",
                    ..
                }
            ),
            "{mismatched:?}"
        );
        let by_user = SuspensionScope::new(SuspensionKind::UserOrg, Some(w.user.org_id)).unwrap();
        let suspension = w
            .products
            .suspend(&w.center, &ledger, by_user, "超范围使用")
            .await
            .unwrap();
        // Its findings are the user's and the supervisors' alone.
        for (viewer, sees) in [
            (&w.user, 1),
            (&w.center, 1),
            (&w.office, 1),
            (&w.provider, 0),
        ] {
            assert_eq!(
                w.products.suspensions(viewer).await.unwrap().len(),
                sees,
                "{viewer:?}"
            );
        }
        // Twice each: the second refusal comes from the process's cache.
        for products in [
            w.products.clone(),
            w.products.clone(),
            other.clone(),
            other.clone(),
        ] {
            let refused = query(products).await.unwrap_err();
            assert!(
                matches!(refused, ProductError::Refused(Refusal::Suspended { .. })),
                "{refused:?}"
            );
        }
        let refused = w
            .products
            .download(&user, &ledger, code, OutputFormat::Parquet)
            .await
            .unwrap_err();
        assert!(matches!(
            refused,
            ProductError::Refused(Refusal::Suspended { .. })
        ));
        let step = async |resume: bool| {
            let done = if resume {
                w.products.resume(&w.center, &ledger, suspension.id).await
            } else {
                w.products
                    .rectify(&w.operator, &ledger, suspension.id, "已停止超范围使用")
                    .await
            };
            done.map(|_| ()).map_err(|e| match e {
                ProductError::Suspension(refusal) => refusal,
                other => panic!("{other:?}"),
            })
        };
        assert_eq!(step(true).await, Err(SuspensionRefusal::NotRectified));
        step(false).await.unwrap();
        step(true).await.unwrap();
        assert_eq!(step(true).await, Err(SuspensionRefusal::Resumed));
        assert_eq!(step(false).await, Err(SuspensionRefusal::Resumed));
        // The other server's cached refusal gives way to the resumption.
        query(other.clone()).await.unwrap();

        // The provider terminates: every call stops at once, and the
        // product leaves the price list.
        let listed = async || w.products.price_list().await.unwrap().len();
        assert_eq!(listed().await, 1);
        w.workflow
            .clone()
            .terminate(&w.provider, &ledger, w.authorization, "发现数据被转售")
            .await
            .unwrap();
        let refused = query(other).await.unwrap_err();
        assert!(
            matches!(
                refused,
                ProductError::Refused(Refusal::Use(UseRefusal::Terminated))
            ),
            "{refused:?}"
        );
        assert_eq!(listed().await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_withdrawn_product_serves_nothing_in_any_server() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let product = w
            .products
            .save(&w.operator, &ledger, &draft(&w, MASKED), None)
            .await
            .unwrap();
        let code = product.input.code.as_str();
        let user = caller(&w.user);
        let query = async |products: &Products| {
            let parameters = [("统一社会信用代码".into(), "91510100MA61R9XX01".into())];
            products.query(&user, &ledger, code, &parameters).await
        };
        let other = w.second_server(&db.url).await;
        query(&other).await.unwrap();
        let withdraw = async |who, reason| w.products.withdraw(who, &ledger, code, reason).await;
        assert!(matches!(
            withdraw(&w.user, "停止服务").await.unwrap_err(),
            ProductError::Forbidden(_)
        ));
        assert!(matches!(
            withdraw(&w.operator, " ").await.unwrap_err(),
            ProductError::InvalidProduct { field: "reason", .. }
        ));
        let withdrawn = withdraw(&w.operator, "数据源停止更新").await.unwrap();
        assert_eq!(withdrawn.withdrawn.unwrap().reason, "数据源停止更新");
        assert_eq!(withdrawn.revision, product.revision + 1);

        // The other server's cached admission gives way at once.
        let refused = query(&other).await.unwrap_err();
        assert!(
            matches!(&refused, ProductError::Withdrawn { reason, .. } if reason == "数据源停止更新"),
            "{refused:?}"
        );
        let download = w.products.download(&user, &ledger, code, OutputFormat::Csv).await;
        assert!(matches!(download, Err(ProductError::Withdrawn { .. })));
        assert!(w.products.price_list().await.unwrap().is_empty());
        let again = withdraw(&w.operator, "再次注销").await.unwrap_err();
        assert!(matches!(again, ProductError::Withdrawn { .. }), "{again:?}");
        let changed = w
            .products
            .save(&w.operator, &ledger, &draft(&w, MASKED), Some(withdrawn.revision))
            .await
            .unwrap_err();
        assert!(matches!(changed, ProductError::Withdrawn { .. }), "{changed:?}");
        let entries = w.store.ledger_entries(&Default::default(), 1000).await.unwrap();
        let ledgered = entries.iter().find(|e| e.draft.action == "product.withdraw");
        assert_eq!(ledgered.unwrap().draft.reason.as_deref(), Some("数据源停止更新"));
    })
    .await;
}

#[tokio::test]
async fn consulting_orders_carry_sealed_deliverables_and_feedback_is_followed() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        let mut consulting = draft(&w, "");
        consulting.code = "registrations-consulting".into();
        consulting.modes = vec![ServiceMode::Consulting];
        consulting.fields = vec!["企业名称".into()];
        consulting.verify_key_field = None;
        consulting.query_parameters.clear();
        w.products
            .save(&w.operator, &ledger, &consulting, None)
            .await
            .unwrap();
        let code = "registrations-consulting";

        let order = w
            .products
            .open_consulting(
                &w.user,
                &ledger,
                code,
                "区县企业存活率",
                "请提供各区县近三年新设企业存活率",
            )
            .await
            .unwrap();
        assert_eq!(order.status, "open");
        // Nothing a data call rests on changes from here to the feedback.
        let epoch = w.store.refresh_epoch().await.unwrap();
        let report = "district,survival\n锦江区,0.82\n".as_bytes().to_vec();
        let answer = w
            .products
            .reply(
                &w.operator,
                &ledger,
                order.id,
                "见附件",
                Some(Attachment {
                    file_name: "survival.csv".into(),
                    bytes: report.clone(),
                }),
            )
            .await
            .unwrap();
        let (file_name, bytes) = w
            .products
            .deliverable(&w.user, &ledger, answer.id)
            .await
            .unwrap();
        assert_eq!((file_name.as_str(), bytes), ("survival.csv", report));
        assert!(matches!(
            w.products
                .consulting_order(&w.provider, order.id)
                .await
                .unwrap_err(),
            ProductError::Forbidden(_)
        ));
        let (order, messages) = w
            .products
            .consulting_order(&w.user, order.id)
            .await
            .unwrap();
        assert_eq!((order.status.as_str(), messages.len()), ("answered", 2));
        w.products
            .close_consulting(&w.user, &ledger, order.id)
            .await
            .unwrap();
        assert!(matches!(
            w.products
                .reply(&w.user, &ledger, order.id, "还有一个问题", None)
                .await
                .unwrap_err(),
            ProductError::OrderClosed(id) if id == order.id
        ));
        assert!(matches!(
            w.products
                .close_consulting(&w.operator, &ledger, order.id)
                .await
                .unwrap_err(),
            ProductError::OrderClosed(_)
        ));

        // Feedback: overdue 90 days after first use, until filed.
        w.clock.set("2027-03-01");
        let overdue = w.products.overdue_feedback(&w.operator).await.unwrap();
        assert_eq!(overdue.len(), 1);
        assert_eq!(
            (overdue[0].org_id, overdue[0].product_code.as_str()),
            (w.user.org_id, code)
        );
        assert!(matches!(
            w.products
                .file_feedback(&w.user, &ledger, code, feedback("poem", "y"))
                .await
                .unwrap_err(),
            ProductError::Invalid { field: "kind", .. }
        ));
        assert!(matches!(
            w.products
                .file_feedback(
                    &w.provider,
                    &ledger,
                    code,
                    feedback("report", "https://a.cn")
                )
                .await
                .unwrap_err(),
            ProductError::Forbidden(_)
        ));
        for link in ["", "javascript:alert(1)"] {
            assert!(matches!(
                w.products
                    .file_feedback(&w.user, &ledger, code, feedback("report", link))
                    .await
                    .unwrap_err(),
                ProductError::Invalid { field: "link", .. }
            ));
        }
        w.products
            .file_feedback(
                &w.user,
                &ledger,
                code,
                feedback("report", "https://example.cn/report"),
            )
            .await
            .unwrap();
        // The work itself as a file: sealed, read back by its organisation
        // and those who follow feedback, no one else.
        let paper = w
            .products
            .file_feedback(
                &w.user,
                &ledger,
                code,
                FeedbackDraft {
                    file: Some(Attachment {
                        file_name: "论文.pdf".into(),
                        bytes: b"%PDF-1.7 paper".to_vec(),
                    }),
                    ..feedback("paper", "")
                },
            )
            .await
            .unwrap();
        let file = paper.file.as_ref().unwrap();
        assert_eq!((file.file_name.as_str(), file.byte_size), ("论文.pdf", 14));
        assert_eq!(
            w.store.refresh_epoch().await.unwrap(),
            epoch,
            "consulting messages, deliverables and feedback leave the access epoch"
        );
        for (file_name, bytes, field) in [
            ("论文.pdf", &b""[..], "file"),
            ("a\0b.pdf", &b"%PDF"[..], "file_name"),
            ("../../etc/passwd", &b"%PDF"[..], "file_name"),
        ] {
            let draft = FeedbackDraft {
                file: Some(Attachment {
                    file_name: file_name.into(),
                    bytes: bytes.to_vec(),
                }),
                ..feedback("paper", "")
            };
            let refused = w
                .products
                .file_feedback(&w.user, &ledger, code, draft)
                .await;
            assert!(
                matches!(&refused, Err(ProductError::Invalid { field: f, .. }) if *f == field),
                "{file_name:?}: {refused:?}"
            );
        }
        assert!(
            !file.sealed.contains(&hex::encode(b"%PDF")),
            "sealed at rest"
        );
        for reader in [&w.user, &w.operator] {
            let (name, bytes) = w
                .products
                .feedback_file(reader, &ledger, paper.id)
                .await
                .unwrap();
            assert_eq!(
                (name.as_str(), bytes.as_slice()),
                ("论文.pdf", &b"%PDF-1.7 paper"[..])
            );
        }
        assert!(matches!(
            w.products
                .feedback_file(&w.provider, &ledger, paper.id)
                .await
                .unwrap_err(),
            ProductError::Forbidden(_)
        ));
        assert!(
            w.products
                .overdue_feedback(&w.operator)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            w.products.overdue_feedback(&w.user).await.unwrap_err(),
            ProductError::Forbidden(_)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_tampered_version_ends_a_download_with_an_error() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        w.products
            .save(&w.operator, &ledger, &draft(&w, MASKED), None)
            .await
            .unwrap();
        let user = caller(&w.user);
        let download = || {
            w.products
                .download(&user, &ledger, "registrations-check", OutputFormat::Csv)
        };
        // Whole, its records counted for the day.
        let mut whole = download().await.unwrap();
        while let Some(chunk) = whole.chunks.recv().await {
            chunk.unwrap();
        }
        // The one stored object: flip a byte in the middle of it.
        let mut objects = Vec::new();
        let mut dirs = vec![w.dir.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    objects.push(path);
                }
            }
        }
        let object = objects
            .iter()
            .max_by_key(|p| std::fs::metadata(p).unwrap().len())
            .unwrap();
        let mut bytes = std::fs::read(object).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(object, bytes).unwrap();

        let mut cut = download().await.unwrap();
        let mut failed = None;
        while let Some(chunk) = cut.chunks.recv().await {
            if let Err(e) = chunk {
                failed = Some(e);
            }
        }
        assert!(
            failed.is_some(),
            "a cut-off download never passes for a whole one"
        );
        // Counted afresh the next day: refused before a byte leaves.
        w.clock.advance_ms(86_400_000);
        assert!(download().await.is_err());
    })
    .await;
}

#[tokio::test]
async fn a_public_interest_use_is_free_of_charge() {
    on_every_backend(|db| async move {
        let w = world_with(
            db.store.clone(),
            WorldOptions {
                public_interest: true,
                ..WorldOptions::default()
            },
        )
        .await;
        let ledger = Ledger(w.clock.clone());
        w.products
            .save(&w.operator, &ledger, &draft(&w, MASKED), None)
            .await
            .unwrap();
        let facts = [(
            "统一社会信用代码".to_owned(),
            "91510100MA61R9XX01".to_owned(),
        )];
        for _ in 0..3 {
            w.products
                .verify(&caller(&w.user), &ledger, "registrations-check", &facts)
                .await
                .unwrap();
        }
        let statement = w
            .products
            .statement(&w.user, w.user.org_id, "2026-11")
            .await
            .unwrap();
        assert_eq!(statement.lines[0].calls, 3, "metered all the same");
        assert_eq!(
            statement.total_fen, 0,
            "a user, but for the public interest"
        );
    })
    .await;
}

#[tokio::test]
async fn a_product_serves_only_under_its_own_authorization() {
    on_every_backend(|db| async move {
        let w = world(db.store.clone()).await;
        let ledger = Ledger(w.clock.clone());
        // A second authorization of the same resource to the same user,
        // for the public interest, with a product of its own.
        let free = w
            .authorize(WorldOptions {
                public_interest: true,
                ..WorldOptions::default()
            })
            .await;
        let charged = draft(&w, MASKED);
        let free_draft = ProductDraft {
            code: "registrations-check-public".into(),
            authorization_id: free,
            ..draft(&w, MASKED)
        };
        for product in [&charged, &free_draft] {
            w.products
                .save(&w.operator, &ledger, product, None)
                .await
                .unwrap();
        }
        let facts = [(
            "统一社会信用代码".to_owned(),
            "91510100MA61R9XX01".to_owned(),
        )];
        let verify = async |code: &str| {
            w.products
                .verify(&caller(&w.user), &ledger, code, &facts)
                .await
        };
        for code in ["registrations-check", "registrations-check-public"] {
            verify(code).await.unwrap();
        }
        let statement = w
            .products
            .statement(&w.user, w.user.org_id, "2026-11")
            .await
            .unwrap();
        let amount = |code: &str| {
            let line = statement.lines.iter().find(|l| l.product_code == code);
            line.map(|l| (l.calls, l.amount_fen))
        };
        assert_eq!(amount("registrations-check"), Some((1, 50)));
        assert_eq!(amount("registrations-check-public"), Some((1, 0)));

        // A cap lowered below the price holds from the next call.
        w.products
            .set_price_cap(&w.provider, &ledger, "registrations-check", Some(20))
            .await
            .unwrap();
        verify("registrations-check").await.unwrap();
        let statement = w
            .products
            .statement(&w.user, w.user.org_id, "2026-11")
            .await
            .unwrap();
        let line = statement
            .lines
            .iter()
            .find(|l| l.product_code == "registrations-check");
        assert_eq!(line.map(|l| (l.calls, l.amount_fen)), Some((2, 50 + 20)));

        // Its own authorization terminated, a product stops, though
        // another agreement still covers the resource.
        w.workflow
            .clone()
            .terminate(&w.provider, &ledger, w.authorization, "发现数据被转售")
            .await
            .unwrap();
        let refused = verify("registrations-check").await.unwrap_err();
        assert!(
            matches!(
                refused,
                ProductError::Refused(Refusal::Use(UseRefusal::Terminated))
            ),
            "{refused:?}"
        );
        verify("registrations-check-public").await.unwrap();
    })
    .await;
}
