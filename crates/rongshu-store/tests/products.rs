//! Products, suspensions and metered use on every backend.

use chrono::NaiveDate;
use rongshu_domain::PartyType;
use rongshu_domain::resource::{ServiceMode, UpdateFrequency};
use rongshu_domain::supply::{BillingUnit, SuspensionKind, SuspensionScope};
use rongshu_ledger::{EntryDraft, Outcome};
use rongshu_store::testing::on_every_backend;
use rongshu_store::{
    AuthorizationDay, AuthorizationScope, AuthorizedResource, NewOrganization, ProductInput,
    Registration, ResourceDescription, Sealed, Store, StoreError, Usage, UseAt, UseCounts,
    UseReads, UseScope, UseWrites,
};

async fn org(store: &Store, code: &str, party: PartyType) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let org = tx
        .insert_organization(
            &NewOrganization {
                code: code.into(),
                name: code.into(),
                party,
            },
            1,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    org.id
}

/// A provider's resource and an authorization of it: (resource, authorization).
async fn authorized(store: &Store, provider: i64, operator: i64) -> (i64, i64) {
    let mut tx = store.begin().await.unwrap();
    let resource = tx
        .insert_resource(
            provider,
            "registrations",
            &ResourceDescription {
                title: "登记".into(),
                description: String::new(),
                theme: "market-regulation".into(),
                update_frequency: UpdateFrequency::Daily,
                open_data: false,
                service_modes: vec![ServiceMode::QueryApi],
            },
            &Registration::default(),
            1,
        )
        .await
        .unwrap();
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let scope = AuthorizationScope {
        resources: vec![AuthorizedResource {
            resource_id: resource,
            fields: vec!["企业名称".into()],
        }],
        scenario: "授信".into(),
        modes: vec![ServiceMode::QueryApi],
        deidentification: "de-identified".into(),
        reidentification: false,
        quota: String::new(),
        daily_use_limit: None,
        conditions: String::new(),
        term_from: day("2026-01-01"),
        term_until: Some(day("2027-12-31")),
    };
    let authorization = tx
        .insert_authorization(provider, operator, false, &scope, None, 2)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (resource, authorization)
}

/// A product on an authorized resource and an organisation to use it:
/// (product, user, operator).
async fn product_and_user(store: &Store) -> (i64, i64, i64) {
    let provider = org(store, "P", PartyType::Provider).await;
    let operator = org(store, "O", PartyType::Operator).await;
    let user = org(store, "U", PartyType::User).await;
    let (resource, authorization) = authorized(store, provider, operator).await;
    let mut tx = store.begin().await.unwrap();
    let product = tx
        .insert_product(&input(resource, authorization), "w", "mk", None, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (product, user, operator)
}

fn input(resource_id: i64, authorization_id: i64) -> ProductInput {
    ProductInput {
        code: "registrations-query".into(),
        name: "企业登记查询".into(),
        description: "按信用代码查询".into(),
        resource_id,
        authorization_id,
        modes: vec![ServiceMode::QueryApi, ServiceMode::VerificationApi],
        fields: vec!["企业名称".into(), "统一社会信用代码".into()],
        pipeline: r#"{"steps":[{"op":"trim"}]}"#.into(),
        query_parameters: vec!["统一社会信用代码".into()],
        max_rows: 10,
        verify_key_field: Some("统一社会信用代码".into()),
        verify_fields: vec!["企业名称".into()],
        daily_call_quota: Some(1000),
        rate_per_minute: None,
        billing_unit: BillingUnit::PerCall,
        price_fen: 5,
    }
}

#[tokio::test]
async fn products_round_trip_and_change_by_revision() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let provider = org(store, "P", PartyType::Provider).await;
        let operator = org(store, "O", PartyType::Operator).await;
        let (resource, authorization) = authorized(store, provider, operator).await;
        let wanted = input(resource, authorization);
        let mut tx = store.begin().await.unwrap();
        let id = tx
            .insert_product(&wanted, "wrapped", "mk1", None, 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let stored = store.product_by_code("registrations-query").await.unwrap();
        assert_eq!(stored.id, id);
        assert_eq!(stored.input, wanted);
        assert_eq!((stored.revision, stored.price_cap_fen), (1, None));
        assert!(
            !format!("{stored:?}").contains("wrapped"),
            "Debug hides the key"
        );

        let mut changed = wanted.clone();
        changed.max_rows = 20;
        changed.verify_key_field = None;
        changed.verify_fields.clear();
        let mut tx = store.begin().await.unwrap();
        tx.update_product(id, 1, &changed, 11).await.unwrap();
        let stale = tx.update_product(id, 1, &changed, 12).await.unwrap_err();
        assert!(
            matches!(
                stale,
                StoreError::Changed {
                    what: "product",
                    ..
                }
            ),
            "{stale:?}"
        );
        tx.set_price_cap(id, Some(4), 13).await.unwrap();
        tx.reseal(Sealed::ProductKeys, id, "rewrapped", "mk2")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let stored = store.product(id).await.unwrap();
        assert_eq!(stored.input, changed);
        assert_eq!((stored.revision, stored.price_cap_fen), (3, Some(4)));
        assert_eq!(
            (stored.wrapped_key.as_str(), stored.master_key_id.as_str()),
            ("rewrapped", "mk2")
        );
        assert_eq!(store.products().await.unwrap().len(), 1);
        assert!(matches!(
            store.product_by_code("nothing").await.unwrap_err(),
            StoreError::NotFound {
                what: "product",
                ..
            }
        ));
    })
    .await;
}

#[tokio::test]
async fn suspensions_cover_their_scope_until_resumed() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let scope = |kind, target| SuspensionScope::new(kind, target).unwrap();
        let mut tx = store.begin().await.unwrap();
        let by_resource = tx
            .insert_suspension(
                scope(SuspensionKind::Resource, Some(7)),
                "越权使用",
                None,
                1,
            )
            .await
            .unwrap();
        let by_user = tx
            .insert_suspension(
                scope(SuspensionKind::UserOrg, Some(9)),
                "未按约定使用",
                None,
                2,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let covering = |r, p, u| async move {
            store
                .suspension_covering(r, p, u)
                .await
                .unwrap()
                .map(|s| s.id)
        };
        assert_eq!(covering(7, 1, 2).await, Some(by_resource));
        assert_eq!(covering(1, 1, 9).await, Some(by_user));
        assert_eq!(
            covering(1, 7, 2).await,
            None,
            "a provider id is not a resource id"
        );

        let mut tx = store.begin().await.unwrap();
        tx.record_rectification(by_resource, "已整改", None, 3)
            .await
            .unwrap();
        tx.resume_supply(by_resource, None, 4).await.unwrap();
        assert!(matches!(
            tx.resume_supply(by_resource, None, 5).await.unwrap_err(),
            StoreError::Changed { .. }
        ));
        let platform = tx
            .insert_suspension(scope(SuspensionKind::Platform, None), "安全事件", None, 6)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(covering(7, 1, 2).await, Some(platform));
        let resumed = store.suspension(by_resource).await.unwrap();
        assert_eq!(resumed.rectification.as_deref(), Some("已整改"));
        assert_eq!(
            (resumed.rectified_at_ms, resumed.resumed_at_ms),
            (Some(3), Some(4))
        );
        assert_eq!(store.suspensions(false).await.unwrap().len(), 2);
        assert_eq!(store.suspensions(true).await.unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn use_is_metered_per_day() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let (product, user, operator) = product_and_user(store).await;
        let mut tx = store.begin().await.unwrap();
        let used = |day: &str, records| Usage {
            product_id: product,
            org_id: user,
            day: day.into(),
            calls: 1,
            records,
            downloads: 0,
            amount_fen: 5,
        };
        tx.meter(&used("2026-11-27", 3)).await.unwrap();
        tx.meter(&used("2026-11-28", 4)).await.unwrap();
        tx.meter(&used("2026-11-28", 5)).await.unwrap();
        tx.commit().await.unwrap();
        let (mut tx, _) = store.begin_uses().await.unwrap();
        assert_eq!(tx.calls_on(product, user, "2026-11-28").await.unwrap(), 2);
        assert_eq!(
            tx.calls_on(product, operator, "2026-11-28").await.unwrap(),
            0
        );
        assert!(tx.used_since(product, user, "2026-11-28").await.unwrap());
        assert!(!tx.used_since(product, user, "2026-11-29").await.unwrap());
        drop(tx);
        let november = store
            .usage(UseScope::Own(user), "2026-11-01", "2026-11-30")
            .await
            .unwrap();
        assert_eq!(november.len(), 2);
        assert_eq!(
            (
                november[1].calls,
                november[1].records,
                november[1].amount_fen
            ),
            (2, 9, 10)
        );
        assert!(
            store
                .usage(UseScope::All, "2026-12-01", "2026-12-31")
                .await
                .unwrap()
                .is_empty()
        );
        let resource_id = store.product(product).await.unwrap().input.resource_id;
        let provider = store.resource(resource_id).await.unwrap().provider_id;
        let november_of = async |scope| {
            let used = store.usage(scope, "2026-11-01", "2026-11-30").await;
            used.unwrap().len()
        };
        assert_eq!(november_of(UseScope::Overseen(provider)).await, 2);
        assert_eq!(november_of(UseScope::Own(provider)).await, 0);
        assert_eq!(november_of(UseScope::Overseen(operator)).await, 0);
        let first = store.first_uses(None).await.unwrap();
        let first: Vec<_> = first
            .iter()
            .map(|f| (f.org_id, f.product_id, f.day.as_str()))
            .collect();
        assert_eq!(first, [(user, product, "2026-11-27")]);
        assert!(store.first_uses(Some(operator)).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_writer_of_uses_reads_under_the_lock_and_chains_what_it_writes() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let (product, user, _) = product_and_user(store).await;
        let epoch = store.refresh_epoch().await.unwrap();
        let head = store.ledger_head().await.unwrap();
        fn at<T>(product_id: i64, org_id: i64, at: T) -> UseAt<T> {
            UseAt {
                product_id,
                org_id,
                at,
            }
        }
        let minute = |m| at(product, user, m);
        let day = || at(product, user, "2026-12-01".to_owned());
        let reads = UseReads {
            day_calls: [day()].into(),
            minute_calls: [minute(100)].into(),
            used_since: [day()].into(),
            ..UseReads::default()
        };
        let used = |day: &str, calls| Usage {
            product_id: product,
            org_id: user,
            day: day.to_owned(),
            calls,
            records: 2 * calls,
            downloads: 0,
            amount_fen: 5 * calls,
        };
        // Two meters and two minutes a batch.
        let batch = |calls: i64, at_minute: i64| UseWrites {
            entries: (0..calls)
                .map(|n| EntryDraft::new(n, "product.query", "product"))
                .collect(),
            usage: vec![used(&day().at, calls), used("2026-11-30", 1)],
            minutes: vec![(minute(at_minute), calls), (minute(at_minute - 1), 1)],
            authorization_uses: Vec::new(),
        };
        let mut writer = store.use_writer().unwrap();
        let read = |counts: &UseCounts| {
            (
                counts.epoch,
                counts.day_calls[&day()],
                counts.minute_calls[&minute(100)],
                counts.used_since.contains(&day()),
            )
        };
        let first = writer
            .record(&reads, |counts| (batch(3, 100), read(counts)))
            .await
            .unwrap();
        assert_eq!(first, (epoch, 0, 0, false));
        let second = writer
            .record(&reads, |counts| (batch(2, 102), read(counts)))
            .await
            .unwrap();
        assert_eq!(second, (epoch, 3, 3, true), "the first batch, committed");
        let third = writer
            .record(&reads, |counts| (UseWrites::default(), read(counts)))
            .await
            .unwrap();
        assert_eq!(
            third.2, 0,
            "minutes before the one preceding the newest are forgotten"
        );
        assert_eq!(store.seen_epoch(), epoch, "recording uses leaves the epoch");

        let report = store.verify_ledger().await.unwrap();
        assert_eq!(report.result, Ok(()));
        assert_eq!(report.head.seq, head.seq + 5);
        let metered = store
            .usage(UseScope::Own(user), "2026-11-30", "2026-12-01")
            .await
            .unwrap();
        let metered: Vec<_> = metered.iter().map(|u| (u.calls, u.records)).collect();
        assert_eq!(metered, [(2, 4), (5, 10)]);

        // Another process's writer reads what this one committed.
        let other = Store::connect(&db.url).await.unwrap();
        let (_, calls, _, _) = other
            .use_writer()
            .unwrap()
            .record(&reads, |counts| (UseWrites::default(), read(counts)))
            .await
            .unwrap();
        assert_eq!(calls, 5);

        // An authorization's uses on a day, added up as they are written.
        let authorization = store.products().await.unwrap()[0].input.authorization_id;
        let under = |authorization_id| AuthorizationDay {
            authorization_id,
            org_id: user,
            day: day().at,
        };
        let reads = UseReads {
            authorization_days: [under(authorization), under(authorization + 1)].into(),
            ..UseReads::default()
        };
        let uses = |counts: &UseCounts| {
            let of = |a| counts.authorization_days[&under(a)];
            (of(authorization), of(authorization + 1))
        };
        let adding = |n| UseWrites {
            authorization_uses: vec![(under(authorization), n)],
            ..UseWrites::default()
        };
        let mut seen = Vec::new();
        for n in [2, 5, 0] {
            let before = writer
                .record(&reads, |counts| (adding(n), uses(counts)))
                .await
                .unwrap();
            seen.push(before);
        }
        assert_eq!(seen, [(0, 0), (2, 0), (7, 0)]);
    })
    .await;
}

#[tokio::test]
async fn every_change_but_a_batch_of_uses_or_a_lone_entry_moves_the_access_epoch() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let (tx, before) = store.begin_uses().await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.seen_epoch(), before);
        org(store, "P", PartyType::Provider).await;
        let (tx, after) = store.begin_uses().await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(after, before + 1, "one change, one step");
        let (tx, again) = store.begin_uses().await.unwrap();
        drop(tx);
        assert_eq!(again, after, "batches of uses leave it");
        let rolled_back = store.begin().await.unwrap();
        drop(rolled_back);
        let (tx, still) = store.begin_uses().await.unwrap();
        drop(tx);
        assert_eq!(still, after, "a change rolled back is no change");
        let denial = EntryDraft {
            outcome: Outcome::Denied,
            ..EntryDraft::new(0, "product.query", "product")
        };
        store.append(denial).await.unwrap();
        let (tx, denied) = store.begin_uses().await.unwrap();
        drop(tx);
        assert_eq!(denied, after, "an entry appended alone changes no access");
        store.begin_aside().await.unwrap().commit().await.unwrap();
        let (tx, aside) = store.begin_uses().await.unwrap();
        drop(tx);
        assert_eq!(aside, after, "nor does a change set aside");

        // Another process sees the epoch only through the database.
        let other = Store::connect(&db.url).await.unwrap();
        assert_eq!(other.seen_epoch(), 0);
        let (tx, seen) = other.begin_uses().await.unwrap();
        drop(tx);
        assert_eq!((seen, other.seen_epoch()), (after, after));
    })
    .await;
}
