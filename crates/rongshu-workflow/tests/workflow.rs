//! One demand through every party, on every backend: pre-review, the
//! demand list, the Office, the providers (one under the standing
//! authorization), both agreements' signatures, delivery, the use check,
//! termination and a dispute; deadlines across the 2026 National Day.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rongshu_classify::Grade;
use rongshu_crypto::seal::MasterKey;
use rongshu_domain::calendar::{DueState, WorkingCalendar};
use rongshu_domain::civil_time::parse_instant;
use rongshu_domain::resource::{DeliveryChannel, ServiceMode, UpdateFrequency};
use rongshu_domain::workflow::{
    AgreementStatus, AssessmentStatus, AuthorizationStatus, DeliveryTaskStatus, DemandAction,
    DemandListStatus, DemandStatus, DisputeAction, DisputeStatus, Reason,
};
use rongshu_domain::{Actor, PartyType, Role};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::testing::on_every_backend;
use rongshu_store::{
    NewAccount, NewIngest, NewOrganization, NewVersion, Registration, ResourceDescription, Store,
};
use rongshu_workflow::{
    Answer, AuthorizationTerms, Deadlines, DemandDraft, ListItemDecision, UseBasis, UseRefusal,
    VerifyError, Workflow, WorkflowError, close_delivery_tasks, verify_export,
};

/// Each test's own clock, which it moves from day to day.
#[derive(Clone, Default)]
struct Clock(Arc<AtomicI64>);

impl Clock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// 10:00 China Standard Time on `day`.
    fn set(&self, day: &str) {
        let at = parse_instant(day).unwrap() + 10 * 3_600_000;
        self.0.store(at, Ordering::SeqCst);
    }
}

/// Ledger entries stamped with the test's clock.
struct Ledger(Clock);

impl Attribution for Ledger {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        EntryDraft {
            object_id,
            ..EntryDraft::new(self.0.now(), action, object_type)
        }
    }
}

struct Parties {
    operator: Actor,
    office: Actor,
    committee: Actor,
    center: Actor,
    provider: Actor,
    open_provider: Actor,
    user: Actor,
    expert: Actor,
}

async fn party(store: &Store, code: &str, party: PartyType) -> Actor {
    let mut tx = store.begin().await.unwrap();
    let org = tx
        .insert_organization(
            &NewOrganization {
                code: code.into(),
                name: format!("{code} 单位"),
                party,
            },
            1,
        )
        .await
        .unwrap();
    let account = tx
        .insert_account(
            &NewAccount {
                org_id: org.id,
                username: code.to_lowercase(),
                display_name: code.into(),
                role: Role::Staff,
                password_hash: "unused".into(),
            },
            1,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    account.actor()
}

async fn parties(store: &Store) -> Parties {
    Parties {
        operator: party(store, "OPERATOR", PartyType::Operator).await,
        office: party(store, "OFFICE", PartyType::Governance).await,
        committee: party(store, "COMMITTEE", PartyType::Economy).await,
        center: party(store, "CENTER", PartyType::BigDataCenter).await,
        provider: party(store, "SCJGJ", PartyType::Provider).await,
        open_provider: party(store, "JTYSJ", PartyType::Provider).await,
        user: party(store, "BANK", PartyType::User).await,
        expert: party(store, "EXPERTS", PartyType::Expert).await,
    }
}

fn workflow(store: &Store, clock: &Clock) -> Workflow {
    let clock = clock.clone();
    Workflow::new(
        store.clone(),
        Arc::new(WorkingCalendar::shipped()),
        Deadlines::default(),
        Arc::new(MasterKey::generate()),
    )
    .with_clock(move || clock.now())
}

async fn resource(store: &Store, provider: &Actor, code: &str, open: bool) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_resource(
            provider.org_id,
            code,
            &ResourceDescription {
                title: format!("{code} 数据"),
                description: String::new(),
                theme: "market-regulation".into(),
                update_frequency: UpdateFrequency::Monthly,
                open_data: open,
                service_modes: ServiceMode::ALL.to_vec(),
            },
            &Registration::default(),
            1,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Publishes a version of `resource_id` and closes the tasks it answers,
/// in one transaction, as a delivery does.
async fn publish(store: &Store, clock: &Clock, resource_id: i64) {
    let now = clock.now();
    let mut tx = store.begin().await.unwrap();
    let ingest = tx
        .insert_ingest(
            &NewIngest {
                resource_id,
                channel: DeliveryChannel::FrontPush,
                format: "csv".into(),
                file_name: "data.csv".into(),
                object_name: format!("objects/{resource_id}/{}", now),
                started_by: None,
                bytes_total: None,
            },
            now,
        )
        .await
        .unwrap();
    let version = tx
        .publish_version(
            &NewVersion {
                resource_id,
                ingest_id: ingest,
                row_count: 10,
                byte_size: 100,
                sealed_size: 120,
                digest: "00".repeat(32),
                object_name: format!("objects/{resource_id}/{}", now),
                suite: "sm4-gcm".into(),
                wrapped_key: "00".into(),
                master_key_id: "k".into(),
                source_format: "csv".into(),
                source_encoding: None,
                source_bytes: 100,
                delivered_by: None,
                channel: DeliveryChannel::FrontPush,
                suggested_grade: Grade::General2,
                fields: Vec::new(),
                bad_rows: 0,
            },
            &[],
            now,
        )
        .await
        .unwrap();
    close_delivery_tasks(
        store,
        &mut tx,
        &Ledger(clock.clone()),
        resource_id,
        version.id,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn draft(codes: &[&str], consent: &str) -> DemandDraft {
    DemandDraft {
        title: "小微企业信用评估".into(),
        wanted: String::new(),
        modes: vec!["sandbox".into(), "download".into()],
        scenario: "普惠金融授信前的经营状况评估".into(),
        purpose: "降低小微企业融资成本".into(),
        term_months: 12,
        consent: consent.into(),
        public_interest: false,
        items: codes.iter().map(|c| (c.to_string(), Vec::new())).collect(),
    }
}

fn refused(result: Result<impl std::fmt::Debug, WorkflowError>) -> WorkflowError {
    result.expect_err("the step should be refused")
}

#[tokio::test]
async fn a_demand_goes_through_every_party() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let clock = Clock::default();
        let p = parties(store).await;
        let registrations = resource(store, &p.provider, "registrations", false).await;
        let bus_stops = resource(store, &p.open_provider, "bus-stops", true).await;
        clock.set("2026-09-01");
        publish(store, &clock, bus_stops).await;

        let flow = workflow(store, &clock);
        let ledger = &Ledger(clock.clone());

        // Art. 11: no scenario, no demand; a wrong party cannot file.
        let mut bad = draft(&["registrations"], "");
        bad.scenario = "  ".into();
        assert!(matches!(
            refused(flow.file_demand(&p.user, ledger, None, &bad, true).await),
            WorkflowError::Invalid { field: "scenario", .. }
        ));
        assert!(matches!(
            refused(flow.file_demand(&p.provider, ledger, None, &draft(&["registrations"], ""), true).await),
            WorkflowError::Forbidden(_)
        ));

        clock.set("2026-09-24");
        let epoch = store.refresh_epoch().await.unwrap();
        let demand = flow
            .file_demand(&p.user, ledger, None, &draft(&["registrations", "bus-stops"], "企业书面授权"), true)
            .await
            .unwrap();
        assert_eq!(demand.status, DemandStatus::PreReview);
        assert_eq!(store.refresh_epoch().await.unwrap(), epoch, "no call rests on a new demand");
        // The user cannot accept its own demand.
        let err = refused(flow.demand_step(&p.user, ledger, demand.id, DemandAction::Accept, "", &[]).await);
        assert!(matches!(err, WorkflowError::Illegal(ref e) if e.reason == Reason::WrongParty(PartyType::User)));
        assert!(matches!(
            refused(flow.demand_step(&p.operator, ledger, demand.id, DemandAction::Return, " ", &[]).await),
            WorkflowError::Invalid { field: "reason", .. }
        ));
        let demand = flow
            .demand_step(&p.operator, ledger, demand.id, DemandAction::Accept, "合理可行", &[])
            .await
            .unwrap();
        assert_eq!((demand.status, demand.note.as_str()), (DemandStatus::Accepted, "合理可行"));

        // Art. 12: the list, due in 10 working days across National Day.
        clock.set("2026-09-29");
        let list = flow.create_list(&p.operator, ledger, "2026-09").await.unwrap();
        assert!(matches!(
            refused(flow.submit_list(&p.operator, ledger, list.id).await),
            WorkflowError::Invalid { field: "list", .. }
        ));
        flow.set_listed(&p.operator, ledger, list.id, demand.id, true).await.unwrap();
        let list = flow.submit_list(&p.operator, ledger, list.id).await.unwrap();
        assert_eq!(list.status, DemandListStatus::Submitted);
        assert_eq!(list.due_on, Some("2026-10-19".parse().unwrap()));
        assert_eq!(flow.due(list.due_on.unwrap()).state, DueState::Ahead(10));
        assert_eq!(store.demand(demand.id).await.unwrap().status, DemandStatus::OfficeReview);
        assert!(matches!(
            refused(flow.review_item(&p.operator, ledger, demand.id, ListItemDecision::Pass, "").await),
            WorkflowError::Illegal(_)
        ));

        // The Office passes it on 9 October; providers owe an answer in
        // 10 working days (Saturday 10 October is a make-up workday).
        clock.set("2026-10-09");
        let demand = flow
            .review_item(&p.office, ledger, demand.id, ListItemDecision::Pass, "")
            .await
            .unwrap();
        assert_eq!(demand.status, DemandStatus::WithProviders);
        assert_eq!(store.demand_list(list.id).await.unwrap().status, DemandListStatus::Reviewed);
        let answers = store.assessments(Some(demand.id), None).await.unwrap();
        assert_eq!(answers.len(), 2);
        let asked = answers.iter().find(|a| a.provider_org_id == p.provider.org_id).unwrap();
        assert_eq!((asked.status, asked.due_on), (AssessmentStatus::Pending, "2026-10-22".parse().unwrap()));
        let standing = answers.iter().find(|a| a.provider_org_id == p.open_provider.org_id).unwrap();
        assert_eq!(standing.status, AssessmentStatus::Authorized, "open data: standing authorization");
        let blanket = store.authorization(standing.authorization_id.unwrap()).await.unwrap();
        assert!(blanket.standing);
        // Open data too is used only under a data use agreement.
        let open_use = store.agreements(Some(blanket.id), Some(p.user.org_id)).await.unwrap();
        assert_eq!(open_use.len(), 1);
        assert_eq!(open_use[0].kind, rongshu_domain::workflow::AgreementKind::DataUse);
        assert_eq!(
            open_use[0].term_until,
            open_use[0].term_from.checked_add_months(chrono::Months::new(12)),
            "for the term the demand asked"
        );

        // Art. 13: consent given, so a refusal needs a real justification.
        assert!(matches!(
            refused(flow.answer(&p.provider, ledger, asked.id, &Answer::Refuse { grounds: "不同意".into() }).await),
            WorkflowError::Invalid { field: "grounds", .. }
        ));
        assert!(matches!(
            refused(flow.answer(&p.open_provider, ledger, asked.id, &Answer::Refuse { grounds: "x".into() }).await),
            WorkflowError::Forbidden(_)
        ));
        let terms = AuthorizationTerms {
            modes: vec!["sandbox".into()],
            deidentification: "sandbox-only".into(),
            quota: "每日 1000 次".into(),
            ..AuthorizationTerms::default()
        };
        let mut too_wide = terms.clone();
        too_wide.modes = vec!["query-api".into()];
        assert!(matches!(
            refused(flow.answer(&p.provider, ledger, asked.id, &Answer::Authorize(too_wide)).await),
            WorkflowError::Invalid { field: "modes", .. }
        ));
        clock.set("2026-10-12");
        let demand = flow
            .answer(&p.provider, ledger, asked.id, &Answer::Authorize(terms))
            .await
            .unwrap();
        assert_eq!(demand.status, DemandStatus::Authorized);
        let asked = store.assessment(asked.id).await.unwrap();
        let authorization = asked.authorization_id.unwrap();
        let task = store.delivery_task_of(authorization).await.unwrap().unwrap();
        // 20 working days from Monday 12 October.
        assert_eq!((task.status, task.due_on), (DeliveryTaskStatus::Open, "2026-11-09".parse().unwrap()));
        assert!(matches!(
            refused(flow.answer(&p.provider, ledger, asked.id, &Answer::Refuse { grounds: "晚了".repeat(20) }).await),
            WorkflowError::Illegal(_)
        ));

        // Art. 15, 18: both agreements, signed by every party.
        let agreements = store.agreements(Some(authorization), None).await.unwrap();
        assert_eq!(agreements.len(), 2);
        let data_use = agreements.iter().find(|a| a.signatures.len() == 2).unwrap().id;
        let tripartite = agreements.iter().find(|a| a.signatures.len() == 3).unwrap().id;
        assert_eq!(
            flow.may_use(p.user.org_id, registrations, ServiceMode::Sandbox, UseBasis::AnyAgreement).await.unwrap(),
            Err(UseRefusal::NotSigned)
        );
        assert!(matches!(
            refused(flow.sign(&p.center, ledger, data_use).await),
            WorkflowError::Forbidden(_)
        ));
        for signer in [&p.operator, &p.center, &p.provider] {
            flow.sign(signer, ledger, tripartite).await.unwrap();
        }
        flow.sign(&p.user, ledger, data_use).await.unwrap();
        assert!(matches!(
            refused(flow.sign(&p.user, ledger, data_use).await),
            WorkflowError::Signature(_)
        ));
        let signed = flow.sign(&p.operator, ledger, data_use).await.unwrap();
        assert_eq!(signed.status, AgreementStatus::Signed);

        // The export verifies offline; an edited one does not.
        let export = serde_json::to_string(&flow.export(tripartite).await.unwrap()).unwrap();
        let verified = verify_export(&export).unwrap();
        assert_eq!(verified.signed_by.len(), 3);
        let edited = export.replace("sandbox-only", "de-identified");
        assert!(matches!(verify_export(&edited), Err(VerifyError::Edited { .. })));
        let mut forged: rongshu_workflow::AgreementExport = serde_json::from_str(&export).unwrap();
        forged.signatures[2].signature = forged.signatures[0].signature.clone();
        assert!(matches!(
            verify_export(&serde_json::to_string(&forged).unwrap()),
            Err(VerifyError::BadSignature { .. })
        ));

        // The use check: allowed for the authorized mode only.
        let grant = flow.may_use(p.user.org_id, registrations, ServiceMode::Sandbox, UseBasis::AnyAgreement).await.unwrap();
        assert_eq!(grant.unwrap().agreement_id, data_use);
        assert_eq!(
            flow.may_use(p.user.org_id, registrations, ServiceMode::Download, UseBasis::AnyAgreement).await.unwrap(),
            Err(UseRefusal::ModeNotAllowed("download"))
        );

        // Art. 14: a version arriving closes the task and the demand.
        clock.set("2026-10-20");
        publish(store, &clock, registrations).await;
        let task = store.delivery_task_of(authorization).await.unwrap().unwrap();
        assert_eq!(task.status, DeliveryTaskStatus::Delivered);
        assert_eq!(store.demand(demand.id).await.unwrap().status, DemandStatus::Delivered);

        // Art. 16: only with grounds, only by its provider; everything
        // built on it stops at the access check.
        assert!(matches!(
            refused(flow.terminate(&p.operator, ledger, authorization, "理由").await),
            WorkflowError::Forbidden(_)
        ));
        assert!(matches!(
            refused(flow.terminate(&p.provider, ledger, authorization, "").await),
            WorkflowError::Invalid { field: "grounds", .. }
        ));
        let ended = flow
            .terminate(&p.provider, ledger, authorization, "上位法调整，数据不再共享")
            .await
            .unwrap();
        assert_eq!(ended.status, AuthorizationStatus::Terminated);
        assert_eq!(
            flow.may_use(p.user.org_id, registrations, ServiceMode::Sandbox, UseBasis::AnyAgreement).await.unwrap(),
            Err(UseRefusal::Terminated)
        );
        for agreement in store.agreements(Some(authorization), None).await.unwrap() {
            assert_eq!(agreement.status, AgreementStatus::Terminated);
        }
        for notified in [&p.office, &p.committee, &p.operator, &p.user] {
            let notices = store.notifications(notified.org_id, notified.account_id, 50).await.unwrap();
            assert!(
                notices.iter().any(|n| n.notice.kind == "authorization.terminated"),
                "{} was not told",
                notified.org_id
            );
        }

        // Art. 19: a dispute, an expert opinion, a resolution.
        let dispute = flow
            .raise_dispute(&p.operator, ledger, authorization, "终止理由不充分", "用户已投入建设")
            .await
            .unwrap();
        assert!(matches!(
            refused(flow.dispute_step(&p.expert, ledger, dispute.id, DisputeAction::GiveOpinion, "意见").await),
            WorkflowError::Illegal(_)
        ));
        flow.dispute_step(&p.committee, ledger, dispute.id, DisputeAction::TakeUp, "").await.unwrap();
        flow.dispute_step(&p.office, ledger, dispute.id, DisputeAction::RequestOpinion, "").await.unwrap();
        flow.dispute_step(&p.expert, ledger, dispute.id, DisputeAction::GiveOpinion, "终止符合规定").await.unwrap();
        let resolved = flow
            .dispute_step(&p.office, ledger, dispute.id, DisputeAction::Resolve, "维持终止决定")
            .await
            .unwrap();
        assert_eq!(resolved.status, DisputeStatus::Resolved);
        assert_eq!((resolved.expert_opinion.as_str(), resolved.resolution.as_str()), ("终止符合规定", "维持终止决定"));

        // Every step was ledgered, and the chain still verifies.
        let report = store.verify_ledger().await.unwrap();
        assert_eq!(report.result, Ok(()));
        assert!(report.checked > 30, "{} entries", report.checked);
    })
    .await;
}

#[tokio::test]
async fn a_delivery_task_waits_for_every_authorized_resource() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let clock = Clock::default();
        let p = parties(store).await;
        let first = resource(store, &p.provider, "registrations", false).await;
        let second = resource(store, &p.provider, "licences", false).await;
        clock.set("2026-11-02");
        let flow = workflow(store, &clock);
        let ledger = &Ledger(clock.clone());
        let demand = flow
            .file_demand(
                &p.user,
                ledger,
                None,
                &draft(&["registrations", "licences"], ""),
                true,
            )
            .await
            .unwrap();
        flow.demand_step(
            &p.operator,
            ledger,
            demand.id,
            DemandAction::Accept,
            "",
            &[],
        )
        .await
        .unwrap();
        let list = flow
            .create_list(&p.operator, ledger, "2026-11")
            .await
            .unwrap();
        flow.set_listed(&p.operator, ledger, list.id, demand.id, true)
            .await
            .unwrap();
        flow.submit_list(&p.operator, ledger, list.id)
            .await
            .unwrap();
        flow.review_item(&p.office, ledger, demand.id, ListItemDecision::Pass, "")
            .await
            .unwrap();
        let asked = store
            .assessments(Some(demand.id), None)
            .await
            .unwrap()
            .remove(0);
        let terms = AuthorizationTerms {
            deidentification: "de-identified".into(),
            ..AuthorizationTerms::default()
        };
        flow.answer(&p.provider, ledger, asked.id, &Answer::Authorize(terms))
            .await
            .unwrap();
        let authorization = store
            .assessment(asked.id)
            .await
            .unwrap()
            .authorization_id
            .unwrap();
        clock.set("2026-11-10");
        publish(store, &clock, first).await;
        let task = store
            .delivery_task_of(authorization)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            task.status,
            DeliveryTaskStatus::Open,
            "one of two resources delivered"
        );
        assert_eq!(
            store.demand(demand.id).await.unwrap().status,
            DemandStatus::Authorized
        );
        publish(store, &clock, second).await;
        let task = store
            .delivery_task_of(authorization)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(task.status, DeliveryTaskStatus::Delivered);
        assert_eq!(
            store.demand(demand.id).await.unwrap().status,
            DemandStatus::Delivered
        );
    })
    .await;
}
