//! Resources, ingests and versions on every backend.

use rongshu_classify::{Grade, IdentifierKind};
use rongshu_domain::PartyType;
use rongshu_domain::resource::{
    DeliveryChannel, IngestState, RegistrationStatus, ServiceMode, UpdateFrequency,
};
use rongshu_store::testing::on_every_backend;
use rongshu_store::{
    BadRowRecord, NewIngest, NewOrganization, NewVersion, Registration, ResourceDescription,
    ResourceFilter, Sealed, Store, StoreError, VersionField,
};

fn about(title: &str, open: bool) -> ResourceDescription {
    ResourceDescription {
        title: title.into(),
        description: "按日更新的登记信息".into(),
        theme: "market-regulation".into(),
        update_frequency: UpdateFrequency::Daily,
        open_data: open,
        service_modes: vec![ServiceMode::Download, ServiceMode::Sandbox],
    }
}

async fn provider(store: &Store, code: &str) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let org = tx
        .insert_organization(
            &NewOrganization {
                code: code.into(),
                name: format!("{code} 局"),
                party: PartyType::Provider,
            },
            1,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    org.id
}

fn field(name: &str, kind: Option<IdentifierKind>, level: Grade) -> VersionField {
    VersionField {
        name: name.into(),
        field_type: "text".into(),
        detected_kind: kind,
        share: if kind.is_some() { 0.99 } else { 0.0 },
        confidence: if kind.is_some() { 0.95 } else { 0.0 },
        scanned: 100,
        suggested_level: level,
    }
}

fn new_version(resource_id: i64, ingest_id: i64, fields: Vec<VersionField>) -> NewVersion {
    NewVersion {
        resource_id,
        ingest_id,
        row_count: 100,
        byte_size: 2048,
        sealed_size: 2100,
        digest: "ab".repeat(32),
        object_name: format!("versions/{resource_id}/{ingest_id}.parquet.sealed"),
        suite: "sm4-gcm".into(),
        wrapped_key: "00".repeat(60),
        master_key_id: "k1".into(),
        source_format: "csv".into(),
        source_encoding: Some("gb18030".into()),
        source_bytes: 4096,
        delivered_by: None,
        channel: DeliveryChannel::FrontPush,
        suggested_grade: Grade::General4,
        fields,
        bad_rows: 1,
    }
}

async fn start_ingest(store: &Store, resource_id: i64, at: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_ingest(
            &NewIngest {
                resource_id,
                channel: DeliveryChannel::FrontPush,
                format: "csv".into(),
                file_name: "登记.csv".into(),
                object_name: format!("versions/{resource_id}/{at}.parquet.sealed"),
                started_by: None,
                bytes_total: Some(4096),
            },
            at,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn resources_are_listed_filtered_and_edited() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let scjgj = provider(store, "scjgj").await;
        let jtysj = provider(store, "jtysj").await;
        let registration = Registration {
            data_type: "库表".into(),
            ..Registration::default()
        };
        let mut tx = store.begin().await.unwrap();
        let a = tx
            .insert_resource(
                scjgj,
                "business-registrations",
                &about("企业登记信息", false),
                &registration,
                10,
            )
            .await
            .unwrap();
        tx.insert_resource(
            jtysj,
            "bus-stops",
            &about("公交站点 100%_open", true),
            &registration,
            11,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let dup = tx
            .insert_resource(jtysj, "bus-stops", &about("x", true), &registration, 12)
            .await;
        assert!(matches!(dup, Err(StoreError::Duplicate { .. })));
        drop(tx);

        let all = store.resources(&ResourceFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0].about.service_modes,
            [ServiceMode::Download, ServiceMode::Sandbox]
        );
        let open = store
            .resources(&ResourceFilter {
                open_only: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            open.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
            ["bus-stops"]
        );
        let by_text = |text: &str| {
            let filter = ResourceFilter {
                text: Some(text.into()),
                ..Default::default()
            };
            async move { store.resources(&filter).await.unwrap().len() }
        };
        assert_eq!(by_text("企业").await, 1);
        assert_eq!(by_text("登记").await, 2, "descriptions count");
        assert_eq!(by_text("100%_").await, 1, "LIKE wildcards match literally");
        assert_eq!(by_text("0%o").await, 0);
        assert_eq!(by_text("scjgj").await, 1, "provider names count");
        let mine = store
            .resources(&ResourceFilter {
                provider_id: Some(scjgj),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        let paged = ResourceFilter {
            limit: Some(1),
            offset: 1,
            ..Default::default()
        };
        assert_eq!(store.resources(&paged).await.unwrap()[0].code, "bus-stops");
        assert_eq!(store.count_resources(&paged).await.unwrap(), 2);

        let mut tx = store.begin().await.unwrap();
        let mut changed = about("企业登记信息（含变更）", false);
        changed.update_frequency = UpdateFrequency::Weekly;
        tx.update_resource(a, &changed, 20).await.unwrap();
        let registered = Registration {
            status: Some(RegistrationStatus::FirstRegistered),
            code: Some("DJ-5101-0001".into()),
            ..registration.clone()
        };
        tx.set_registration(a, &registered, 21).await.unwrap();
        tx.commit().await.unwrap();
        let r = store
            .resource_by_code("business-registrations")
            .await
            .unwrap();
        assert_eq!(r.about, changed);
        assert_eq!(r.registration, registered);
        assert!(matches!(
            store.resource(999).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn versions_publish_atomically_and_keep_the_providers_decisions() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let org = provider(store, "scjgj").await;
        let mut tx = store.begin().await.unwrap();
        let r = tx
            .insert_resource(
                org,
                "regs",
                &about("企业登记", false),
                &Registration::default(),
                1,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let first = start_ingest(store, r, 100).await;
        store
            .record_ingest_progress(first, 1000, 50, 1, 150)
            .await
            .unwrap();
        let ingest = store.ingest(first).await.unwrap();
        assert_eq!(
            (ingest.state, ingest.rows_read, ingest.heartbeat_at_ms),
            (IngestState::Running, 50, 150)
        );
        assert!(
            store.versions(r).await.unwrap().is_empty(),
            "nothing visible while running"
        );

        let bad = vec![BadRowRecord {
            row_number: 7,
            field: Some("成立日期".into()),
            message: "不是日期".into(),
        }];
        let fields = vec![
            field(
                "法定代表人身份证号",
                Some(IdentifierKind::ResidentId),
                Grade::General4,
            ),
            field("企业名称", None, Grade::General1),
        ];
        let mut tx = store.begin().await.unwrap();
        let v1 = tx
            .publish_version(&new_version(r, first, fields.clone()), &bad, 200)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(v1.number, 1);
        assert_eq!(
            store.ingest(first).await.unwrap().state,
            IngestState::Succeeded
        );
        assert_eq!(store.ingest_bad_rows(first).await.unwrap(), bad);
        assert_eq!(store.version_fields(v1.id).await.unwrap(), fields);
        let resource = store.resource(r).await.unwrap();
        assert_eq!(
            (resource.latest_version, resource.suggested_grade),
            (Some(1), Some(Grade::General4))
        );

        // The provider lowers one field; a new delivery keeps that decision.
        let mut tx = store.begin().await.unwrap();
        tx.set_field_sensitivity(r, "企业名称", Grade::General2, None, "登记名称")
            .await
            .unwrap();
        assert!(matches!(
            tx.set_field_sensitivity(r, "不存在", Grade::General2, None, "")
                .await,
            Err(StoreError::NotFound { .. })
        ));
        tx.commit().await.unwrap();
        let second = start_ingest(store, r, 300).await;
        let mut tx = store.begin().await.unwrap();
        let mut v2 = new_version(r, second, fields.clone());
        v2.object_name = "versions/regs/2.parquet.sealed".into();
        let v2 = tx.publish_version(&v2, &[], 400).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(v2.number, 2);
        let current = store.resource_fields(r).await.unwrap();
        assert_eq!(current[1].sensitivity, Grade::General2);
        assert_eq!(current[1].description, "登记名称");
        assert_eq!(current[0].personal_kind, Some(IdentifierKind::ResidentId));
        assert_eq!(
            store
                .versions(r)
                .await
                .unwrap()
                .iter()
                .map(|v| v.number)
                .collect::<Vec<_>>(),
            [2, 1]
        );

        // An ingest ends once; a failed one leaves no version.
        let third = start_ingest(store, r, 500).await;
        assert_eq!(store.stale_ingests(501).await.unwrap().len(), 1);
        assert!(store.stale_ingests(500).await.unwrap().is_empty());
        let mut tx = store.begin().await.unwrap();
        assert!(
            tx.end_ingest(
                third,
                IngestState::Failed,
                "too many bad rows",
                &bad,
                9,
                600
            )
            .await
            .unwrap()
        );
        assert!(
            !tx.end_ingest(third, IngestState::Abandoned, "again", &[], 0, 601)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert_eq!(
            store.ingest(third).await.unwrap().error.as_deref(),
            Some("too many bad rows")
        );
        assert_eq!(store.versions(r).await.unwrap().len(), 2);
        assert_eq!(store.ingests(r, 10).await.unwrap().len(), 3);

        let mut tx = store.begin().await.unwrap();
        tx.reseal(Sealed::VersionKey, v1.id, "ff", "k2")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let v1 = store.version(r, 1).await.unwrap();
        assert_eq!(
            (v1.wrapped_key.as_str(), v1.master_key_id.as_str()),
            ("ff", "k2")
        );
        assert_eq!(store.all_versions().await.unwrap().len(), 2);
    })
    .await;
}
