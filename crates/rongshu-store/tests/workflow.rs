//! Demands, authorizations, agreements, disputes and notices on every
//! backend.

use chrono::NaiveDate;
use rongshu_domain::PartyType;
use rongshu_domain::resource::{ServiceMode, UpdateFrequency};
use rongshu_domain::workflow::{
    AgreementKind, AgreementStatus, AssessmentStatus, AuthorizationStatus, DeliveryTaskStatus,
    DemandListStatus, DemandStatus, DisputeStatus,
};
use rongshu_store::testing::on_every_backend;
use rongshu_store::{
    AssessmentDecision, AuthorizationScope, AuthorizedResource, DemandFilter, DemandInput,
    DemandItem, NewAgreement, NewNotification, NewOrganization, Registration, ResourceDescription,
    SigningKeyRecord, Store,
};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

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

fn demand_input(resource_id: i64) -> DemandInput {
    DemandInput {
        title: "小微企业信用评估".into(),
        wanted: String::new(),
        modes: vec![ServiceMode::Download, ServiceMode::Sandbox],
        scenario: "普惠金融授信".into(),
        purpose: "评估经营状况".into(),
        term_months: 12,
        consent: "企业授权书".into(),
        public_interest: false,
        items: vec![DemandItem {
            resource_id,
            fields: vec!["name".into(), "credit_code".into()],
        }],
    }
}

#[tokio::test]
async fn the_workflow_round_trips() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let provider = org(store, "P1", PartyType::Provider).await;
        let operator = org(store, "OP", PartyType::Operator).await;
        let user = org(store, "U1", PartyType::User).await;
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
                    service_modes: vec![ServiceMode::Sandbox],
                },
                &Registration::default(),
                1,
            )
            .await
            .unwrap();
        let demand = tx
            .insert_demand(user, None, &demand_input(resource), 2)
            .await
            .unwrap();
        let list = tx.insert_demand_list("2026-11", None, 3).await.unwrap();
        tx.set_demand_list(demand, Some(list)).await.unwrap();
        tx.set_demand_status(
            demand,
            DemandStatus::Draft,
            DemandStatus::OfficeReview,
            Some("合理可行"),
            4,
        )
        .await
        .unwrap();
        tx.set_demand_list_status(
            list,
            DemandListStatus::Draft,
            DemandListStatus::Submitted,
            Some((4, day("2026-12-11"))),
        )
        .await
        .unwrap();
        let assessment = tx
            .insert_assessment(demand, provider, day("2026-12-25"), 5)
            .await
            .unwrap();
        let scope = AuthorizationScope {
            resources: vec![AuthorizedResource {
                resource_id: resource,
                fields: vec!["name".into()],
            }],
            scenario: "普惠金融授信".into(),
            modes: vec![ServiceMode::Sandbox],
            deidentification: "masked".into(),
            reidentification: false,
            quota: "1000 次/日".into(),
            daily_use_limit: Some(1000),
            conditions: "仅限沙箱".into(),
            term_from: day("2026-12-01"),
            term_until: Some(day("2027-11-30")),
        };
        let authorization = tx
            .insert_authorization(provider, operator, false, &scope, None, 6)
            .await
            .unwrap();
        tx.decide_assessment(
            assessment,
            &AssessmentDecision {
                status: AssessmentStatus::Authorized,
                decided_by: None,
                grounds: String::new(),
                flagged: false,
                authorization_id: Some(authorization),
            },
            6,
        )
        .await
        .unwrap();
        let task = tx
            .insert_delivery_task(authorization, provider, day("2027-01-04"), 6)
            .await
            .unwrap();
        assert_eq!(tx.open_delivery_tasks_for(resource).await.unwrap().len(), 1);
        tx.commit().await.unwrap();

        let read = store.demand(demand).await.unwrap();
        assert_eq!(read.about, demand_input(resource));
        assert_eq!(
            (read.status, read.list_id, read.note.as_str()),
            (DemandStatus::OfficeReview, Some(list), "合理可行")
        );
        let mine = DemandFilter {
            user_org_id: Some(user),
            ..DemandFilter::default()
        };
        assert_eq!(
            store.demands(&mine).await.unwrap(),
            std::slice::from_ref(&read)
        );
        let others = DemandFilter {
            user_org_id: Some(provider),
            ..DemandFilter::default()
        };
        assert!(store.demands(&others).await.unwrap().is_empty());
        let listed = DemandFilter {
            list_id: Some(list),
            status: Some(DemandStatus::OfficeReview),
            ..DemandFilter::default()
        };
        assert_eq!(store.demands(&listed).await.unwrap().len(), 1);
        assert_eq!(
            store.demand_list(list).await.unwrap().due_on,
            Some(day("2026-12-11"))
        );
        let answered = store.assessment(assessment).await.unwrap();
        assert_eq!(answered.status, AssessmentStatus::Authorized);
        assert_eq!(answered.authorization_id, Some(authorization));
        assert_eq!(
            store.assessments(None, Some(provider)).await.unwrap(),
            [answered]
        );
        let read = store.authorization(authorization).await.unwrap();
        assert_eq!(
            (read.scope, read.status),
            (scope, AuthorizationStatus::Active)
        );
        assert_eq!(store.standing_authorization(provider).await.unwrap(), None);

        // Termination, the task's cancellation, agreements and signatures.
        let mut tx = store.begin().await.unwrap();
        let agreement = tx
            .insert_agreement(
                &NewAgreement {
                    kind: AgreementKind::DataUse,
                    authorization_id: authorization,
                    demand_id: Some(demand),
                    body: "协议正文".into(),
                    digest: "ab".repeat(32),
                    term_from: day("2026-12-01"),
                    term_until: None,
                    parties: vec![(PartyType::Operator, operator), (PartyType::User, user)],
                },
                7,
            )
            .await
            .unwrap();
        assert!(
            tx.record_signature(agreement, PartyType::User, "04aa", "sig", None, 8)
                .await
                .unwrap()
        );
        assert!(
            !tx.record_signature(agreement, PartyType::User, "04bb", "sig2", None, 9)
                .await
                .unwrap(),
            "a party signs once"
        );
        tx.terminate_authorization(authorization, "法律依据变更", 10)
            .await
            .unwrap();
        tx.close_delivery_task(task, DeliveryTaskStatus::Cancelled, None, 10)
            .await
            .unwrap();
        tx.set_agreement_status(
            agreement,
            AgreementStatus::AwaitingSignatures,
            AgreementStatus::Terminated,
            10,
        )
        .await
        .unwrap();
        let dispute = tx
            .insert_dispute(authorization, operator, "终止理由", "陈述", 11)
            .await
            .unwrap();
        tx.update_dispute(
            dispute,
            DisputeStatus::Open,
            DisputeStatus::AwaitingExpert,
            Some("专家意见"),
            None,
            12,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let read = store.agreement(agreement).await.unwrap();
        assert_eq!(
            (read.status, read.terminated_at_ms),
            (AgreementStatus::Terminated, Some(10))
        );
        assert_eq!(
            read.signatures[0].party,
            PartyType::Operator,
            "regulation order"
        );
        assert_eq!(read.signatures[1].public_key.as_deref(), Some("04aa"));
        assert_eq!(store.agreements(None, Some(user)).await.unwrap().len(), 1);
        assert!(
            store
                .agreements(None, Some(provider))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .authorization(authorization)
                .await
                .unwrap()
                .termination_grounds
                .as_deref(),
            Some("法律依据变更")
        );
        assert_eq!(
            store.delivery_tasks(Some(provider)).await.unwrap()[0].status,
            DeliveryTaskStatus::Cancelled
        );
        let read = store.dispute(dispute).await.unwrap();
        assert_eq!(
            (read.status, read.expert_opinion.as_str()),
            (DisputeStatus::AwaitingExpert, "专家意见")
        );
    })
    .await;
}

async fn mark(store: &Store, org: i64, account: i64, only: Option<i64>, now: i64) -> u64 {
    let mut tx = store.begin().await.unwrap();
    let marked = tx
        .mark_notifications_read(org, account, only, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    marked
}

#[tokio::test]
async fn keys_are_made_once_and_notices_are_read_per_account() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let office = org(store, "GOV", PartyType::Governance).await;
        let key = |public: &str| SigningKeyRecord {
            org_id: office,
            public_key: public.into(),
            sealed_secret: "sealed".into(),
            master_key_id: "k1".into(),
        };
        let mut tx = store.begin().await.unwrap();
        tx.insert_signing_key(&key("04first"), 1).await.unwrap();
        tx.insert_signing_key(&key("04second"), 2).await.unwrap();
        for subject in 1..=3 {
            tx.notify(
                &NewNotification {
                    org_id: office,
                    kind: "demand-list.submitted".into(),
                    subject_type: "demand-list".into(),
                    subject_id: subject,
                    message: String::new(),
                },
                subject,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(
            store.signing_key(office).await.unwrap().unwrap().public_key,
            "04first"
        );
        assert_eq!(store.signing_key(office + 1).await.unwrap(), None);

        let mut tx = store.begin().await.unwrap();
        let mut ids = Vec::new();
        for name in ["a", "b"] {
            let account = tx
                .insert_account(
                    &rongshu_store::NewAccount {
                        org_id: office,
                        username: name.into(),
                        display_name: name.into(),
                        role: rongshu_domain::Role::Staff,
                        password_hash: "x".into(),
                    },
                    1,
                )
                .await
                .unwrap();
            ids.push(account.id);
        }
        tx.commit().await.unwrap();
        let (a, b) = (ids[0], ids[1]);
        assert_eq!(store.unread_notifications(office, a).await.unwrap(), 3);
        let newest = store.notifications(office, a, 10).await.unwrap();
        assert_eq!(
            newest
                .iter()
                .map(|n| n.notice.subject_id)
                .collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(mark(store, office, a, Some(newest[0].id), 5).await, 1);
        assert_eq!(store.unread_notifications(office, a).await.unwrap(), 2);
        assert_eq!(
            store.unread_notifications(office, b).await.unwrap(),
            3,
            "per account"
        );
        assert_eq!(mark(store, office, a, None, 6).await, 2);
        assert_eq!(mark(store, office, a, None, 7).await, 0);
        assert_eq!(
            store.notifications(office, a, 1).await.unwrap()[0].read_at_ms,
            Some(5)
        );
        assert_eq!(mark(store, office + 1, b, None, 8).await, 0);
    })
    .await;
}

#[tokio::test]
async fn notices_queue_for_webhooks_until_delivered_or_given_up() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let org_a = org(store, "OA", PartyType::Operator).await;
        let org_b = org(store, "OB", PartyType::Operator).await;
        let notice = |org_id| NewNotification {
            org_id,
            kind: "demand.submitted".into(),
            subject_type: "demand".into(),
            subject_id: 1,
            message: "消息".into(),
        };
        let mut tx = store.begin().await.unwrap();
        let hook = tx
            .insert_webhook(org_a, "https://oa.example/hook", "sealed", "k1", None, 1)
            .await
            .unwrap();
        tx.notify(&notice(org_a), 10).await.unwrap();
        tx.notify(&notice(org_b), 10).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            store
                .due_webhook_deliveries(9, 10)
                .await
                .unwrap()
                .is_empty(),
            "not before the notice"
        );
        let due = store.due_webhook_deliveries(10, 10).await.unwrap();
        assert_eq!(due.len(), 1, "only the organisation with a hook");
        assert_eq!(
            (
                due[0].webhook.id,
                due[0].notification.notice.message.as_str()
            ),
            (hook, "消息")
        );
        assert_eq!(due[0].notification.read_at_ms, None);

        store
            .record_webhook_attempt(due[0].id, "503", None, Some(100))
            .await
            .unwrap();
        assert!(
            store
                .due_webhook_deliveries(50, 10)
                .await
                .unwrap()
                .is_empty(),
            "waits for its retry"
        );
        let again = store.due_webhook_deliveries(100, 10).await.unwrap();
        assert_eq!(again[0].attempts, 1);
        store
            .record_webhook_attempt(again[0].id, "204", Some(101), None)
            .await
            .unwrap();
        assert!(
            store
                .due_webhook_deliveries(i64::MAX / 2, 10)
                .await
                .unwrap()
                .is_empty(),
            "delivered"
        );

        let mut tx = store.begin().await.unwrap();
        tx.disable_webhook(org_a, hook).await.unwrap();
        tx.notify(&notice(org_a), 200).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            store
                .due_webhook_deliveries(300, 10)
                .await
                .unwrap()
                .is_empty(),
            "disabled hooks get nothing"
        );
        assert!(store.webhooks(Some(org_a)).await.unwrap().is_empty());
    })
    .await;
}
