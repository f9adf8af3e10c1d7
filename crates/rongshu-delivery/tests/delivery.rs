//! Deliveries end to end on every backend: versions, grading, sealing,
//! refusals, recovery and key rotation.

use std::path::Path;

use rongshu_classify::{Grade, IdentifierKind};
use rongshu_crypto::seal::{MasterKey, Suite};
use rongshu_delivery::{Deliveries, DeliveryConfig, DeliveryError, DeliveryRequest, Platform};
use rongshu_domain::PartyType;
use rongshu_domain::resource::{DeliveryChannel, IngestState, ServiceMode, UpdateFrequency};
use rongshu_ingest::IngestError;
use rongshu_objects::DataFiles;
use rongshu_store::testing::on_every_backend;
use rongshu_store::{LedgerFilter, NewOrganization, Registration, ResourceDescription, Store};

const ID_NUMBER: &str = "11010519491231002X";

fn registrations_csv() -> Vec<u8> {
    let mut text =
        String::from("企业名称,统一社会信用代码,法定代表人,法定代表人身份证号,注册资本\n");
    for i in 0..50 {
        text.push_str(&format!(
            "成都第{i}科技有限公司,91510100MA61R9XX4U,张伟,{ID_NUMBER},{}\n",
            100 + i
        ));
    }
    encoding_rs::GB18030.encode(&text).0.into_owned()
}

async fn resource(store: &Store) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let org = tx
        .insert_organization(
            &NewOrganization {
                code: "scjgj".into(),
                name: "市市场监督管理局".into(),
                party: PartyType::Provider,
            },
            1,
        )
        .await
        .unwrap();
    let id = tx
        .insert_resource(
            org.id,
            "business-registrations",
            &ResourceDescription {
                title: "企业登记信息".into(),
                description: String::new(),
                theme: "market-regulation".into(),
                update_frequency: UpdateFrequency::Daily,
                open_data: false,
                service_modes: vec![ServiceMode::Sandbox],
            },
            &Registration::default(),
            1,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn request(resource_id: i64, file_name: &str) -> DeliveryRequest {
    DeliveryRequest {
        resource_id,
        channel: DeliveryChannel::FrontPush,
        file_name: file_name.into(),
        format: None,
        encoding: None,
        delimiter: None,
        sheet: None,
        field_types: Default::default(),
        bytes_total: None,
        delivered_by: None,
    }
}

fn contains_anywhere(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            contains_anywhere(&p, needle)
        } else {
            std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
        }
    })
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    count_files(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_becomes_a_sealed_graded_version() {
    on_every_backend(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let files = DataFiles::local(dir.path()).unwrap();
        let deliveries = Deliveries::new(
            db.store.clone(),
            files,
            MasterKey::generate(),
            DeliveryConfig::default(),
        );
        let id = resource(&db.store).await;

        let delivered = deliveries
            .deliver(
                request(id, "登记.csv"),
                &Platform,
                std::io::Cursor::new(registrations_csv()),
            )
            .await
            .unwrap();
        assert_eq!(delivered.version.number, 1);
        assert_eq!(delivered.version.row_count, 50);
        assert_eq!(
            delivered.version.source_encoding.as_deref(),
            Some("gb18030")
        );
        assert_eq!(delivered.ingest.state, IngestState::Succeeded);
        assert_eq!(
            delivered.version.suggested_grade,
            Grade::General4,
            "the ID numbers decide"
        );
        let fields = db.store.resource_fields(id).await.unwrap();
        let id_field = fields
            .iter()
            .find(|f| f.name == "法定代表人身份证号")
            .unwrap();
        assert_eq!(id_field.detected_kind, Some(IdentifierKind::ResidentId));
        assert_eq!(id_field.sensitivity, Grade::General4);

        // Plaintext never reaches the disk, in UTF-8 or as delivered.
        assert!(!contains_anywhere(dir.path(), ID_NUMBER.as_bytes()));
        assert!(!contains_anywhere(dir.path(), "成都第1科技".as_bytes()));
        let parquet = deliveries
            .read_version("business-registrations", &delivered.version)
            .await
            .unwrap();
        assert!(
            parquet
                .windows(ID_NUMBER.len())
                .any(|w| w == ID_NUMBER.as_bytes())
        );

        // Both segments are in the ledger.
        let entries = db
            .store
            .ledger_entries(&LedgerFilter::default(), 100)
            .await
            .unwrap();
        let actions: Vec<_> = entries.iter().map(|e| e.draft.action.as_str()).collect();
        for action in ["delivery.start", "delivery.submit", "delivery.receive"] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }

        // A tampered chunk is named by resource and version.
        let object = dir.path().join(&delivered.version.object_name);
        let mut sealed = std::fs::read(&object).unwrap();
        let middle = sealed.len() / 2;
        sealed[middle] ^= 0x40;
        std::fs::write(&object, sealed).unwrap();
        match deliveries
            .read_version("business-registrations", &delivered.version)
            .await
        {
            Err(DeliveryError::Integrity {
                resource,
                version: 1,
                detail,
            }) => {
                assert_eq!(resource, "business-registrations");
                assert!(detail.contains("integrity"), "{detail}");
            }
            other => panic!("expected an integrity error, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_delivery_keeps_its_report_and_nothing_else() {
    on_every_backend(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let files = DataFiles::local(dir.path()).unwrap();
        let deliveries = Deliveries::new(
            db.store.clone(),
            files,
            MasterKey::generate(),
            DeliveryConfig::default(),
        );
        let id = resource(&db.store).await;
        let mut csv = String::from("编号,金额\n");
        for i in 1..=20 {
            csv.push_str(&format!(
                "{i},{}\n",
                if i % 5 == 0 { "缺失" } else { "12.5" }
            ));
        }
        // The provider says the amounts are decimals; a fifth of them are not.
        let mut typed = request(id, "bad.csv");
        typed
            .field_types
            .insert("金额".into(), rongshu_ingest::FieldType::Decimal);
        let err = deliveries
            .deliver(typed, &Platform, std::io::Cursor::new(csv.into_bytes()))
            .await
            .unwrap_err();
        let DeliveryError::Rejected {
            ingest_id,
            source: IngestError::TooManyBadRows { bad: 4, .. },
        } = err
        else {
            panic!("expected a refusal, got {err:?}");
        };
        let ingest = db.store.ingest(ingest_id).await.unwrap();
        assert_eq!(ingest.state, IngestState::Failed);
        assert_eq!(db.store.ingest_bad_rows(ingest_id).await.unwrap().len(), 4);
        assert!(db.store.versions(id).await.unwrap().is_empty());
        assert_eq!(count_files(dir.path()), 0);

        let unknown = deliveries
            .deliver(
                request(id, "no-extension"),
                &Platform,
                std::io::Cursor::new(Vec::new()),
            )
            .await;
        assert!(matches!(unknown, Err(DeliveryError::UnknownFormat(_))));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_removes_abandoned_ingests_and_orphans() {
    on_every_backend(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let files = DataFiles::local(dir.path()).unwrap();
        let config = DeliveryConfig {
            stale_after_ms: 0,
            ..DeliveryConfig::default()
        };
        let deliveries = Deliveries::new(db.store.clone(), files, MasterKey::generate(), config);
        let id = resource(&db.store).await;
        let kept = deliveries
            .deliver(
                request(id, "a.csv"),
                &Platform,
                std::io::Cursor::new(registrations_csv()),
            )
            .await
            .unwrap();

        // A process that died mid-ingest: a running ingest and its staged upload.
        let mut tx = db.store.begin().await.unwrap();
        let dead = tx
            .insert_ingest(
                &rongshu_store::NewIngest {
                    resource_id: id,
                    channel: DeliveryChannel::FrontPush,
                    format: "csv".into(),
                    file_name: "b.csv".into(),
                    object_name: format!("versions/{id}/dead.parquet.sealed"),
                    started_by: None,
                    bytes_total: None,
                },
                1,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let version_dir = dir.path().join(format!("versions/{id}"));
        std::fs::write(version_dir.join("dead.parquet.sealed#1"), b"partial").unwrap();
        std::fs::write(version_dir.join("stray.parquet.sealed"), b"orphan").unwrap();

        let recovered = deliveries.recover().await.unwrap();
        assert_eq!(
            (recovered.abandoned_ingests, recovered.orphaned_objects),
            (1, 1)
        );
        assert_eq!(
            db.store.ingest(dead).await.unwrap().state,
            IngestState::Abandoned
        );
        assert_eq!(
            count_files(dir.path()),
            1,
            "only the published version remains"
        );
        assert!(
            deliveries
                .read_version("business-registrations", &kept.version)
                .await
                .is_ok()
        );
        assert_eq!(deliveries.recover().await.unwrap(), Default::default());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_rewraps_keys_without_touching_data() {
    on_every_backend(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let old = MasterKey::generate();
        let config = DeliveryConfig {
            suite: Suite::Aes256Gcm,
            ..DeliveryConfig::default()
        };
        let files = DataFiles::local(dir.path()).unwrap();
        let before = Deliveries::new(
            db.store.clone(),
            files.clone(),
            MasterKey::from_bytes(&hex::decode(old.to_hex()).unwrap()).unwrap(),
            config.clone(),
        );
        let id = resource(&db.store).await;
        before
            .deliver(
                request(id, "a.csv"),
                &Platform,
                std::io::Cursor::new(registrations_csv()),
            )
            .await
            .unwrap();
        let sealed_before = std::fs::read(
            dir.path()
                .join(&db.store.version(id, 1).await.unwrap().object_name),
        )
        .unwrap();

        let new = MasterKey::generate();
        let new_copy = MasterKey::from_bytes(&hex::decode(new.to_hex()).unwrap()).unwrap();
        assert_eq!(
            rongshu_delivery::rewrap_all(&db.store, &old, &new, &Platform)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            rongshu_delivery::rewrap_all(&db.store, &old, &new, &Platform)
                .await
                .unwrap(),
            0,
            "idempotent"
        );
        let version = db.store.version(id, 1).await.unwrap();
        assert_eq!(version.master_key_id, new.id());
        assert_eq!(
            std::fs::read(dir.path().join(&version.object_name)).unwrap(),
            sealed_before
        );
        let after = Deliveries::new(db.store.clone(), files.clone(), new_copy, config.clone());
        assert!(after.read_version("r", &version).await.is_ok());
        assert!(matches!(
            before.read_version("r", &version).await,
            Err(DeliveryError::Key(_))
        ));
    })
    .await;
}
