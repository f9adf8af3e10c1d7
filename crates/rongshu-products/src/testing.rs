//! A world for tests of products and of what builds on them: a real
//! delivery of forty company registrations, and a demand authorized by
//! its provider with both agreements signed, on any backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rongshu_crypto::seal::MasterKey;
use rongshu_delivery::{Deliveries, DeliveryConfig, DeliveryRequest};
use rongshu_domain::calendar::WorkingCalendar;
use rongshu_domain::civil_time::parse_instant;
use rongshu_domain::resource::{DeliveryChannel, ServiceMode, UpdateFrequency};
use rongshu_domain::workflow::DemandAction;
use rongshu_domain::{Actor, PartyType, Role};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_objects::DataFiles;
use rongshu_store::{NewAccount, NewOrganization, Registration, ResourceDescription, Store};
use rongshu_workflow::{
    Answer, AuthorizationTerms, Deadlines, DemandDraft, ListItemDecision, Workflow,
};

use crate::{Caller, Products};

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Ten in the morning, China Standard Time, of `day`.
    pub fn set(&self, day: &str) {
        let at = parse_instant(day).unwrap() + 10 * 3_600_000;
        self.0.store(at, Ordering::SeqCst);
    }
}

/// Ledger attribution at the clock's time, by nobody in particular.
#[derive(Debug)]
pub struct Ledger(pub Clock);

impl Attribution for Ledger {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        EntryDraft {
            object_id,
            ..EntryDraft::new(self.0.now(), action, object_type)
        }
    }
}

/// An organisation of `party` with one staff account.
pub async fn party(store: &Store, code: &str, party: PartyType) -> Actor {
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
    tx.commit().await.unwrap();
    staff(store, org.id, &code.to_lowercase()).await
}

/// Another staff account of an organisation.
pub async fn staff(store: &Store, org_id: i64, username: &str) -> Actor {
    let mut tx = store.begin().await.unwrap();
    let account = tx
        .insert_account(
            &NewAccount {
                org_id,
                username: username.into(),
                display_name: username.into(),
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

pub fn caller(actor: &Actor) -> Caller {
    Caller::of(actor)
}

/// The fields the default authorization covers.
pub const FIELDS: [&str; 4] = [
    "企业名称",
    "统一社会信用代码",
    "法定代表人",
    "法定代表人身份证号",
];

/// Forty registrations with 注册资本 100 to 139.
pub fn registrations_csv() -> Vec<u8> {
    let mut text =
        String::from("企业名称,统一社会信用代码,法定代表人,法定代表人身份证号,注册资本\n");
    for i in 0..40 {
        text.push_str(&format!(
            "成都第{i}科技有限公司,91510100MA61R9XX{i:02},张伟{i},11010519491231002X,{}\n",
            100 + i
        ));
    }
    text.into_bytes()
}

#[derive(Debug)]
pub struct World {
    pub store: Store,
    pub clock: Clock,
    pub products: Products,
    pub workflow: Workflow,
    pub deliveries: Deliveries,
    pub operator: Actor,
    pub office: Actor,
    pub center: Actor,
    pub provider: Actor,
    pub user: Actor,
    pub authorization: i64,
    /// Where the data files are; removed with the world.
    pub dir: tempfile::TempDir,
}

/// A delivered resource, and a demand authorized by its provider with
/// both agreements signed.
pub async fn world(store: Store) -> World {
    world_with(store, WorldOptions::default()).await
}

/// How a world differs from the default one.
#[derive(Clone, Debug)]
pub struct WorldOptions {
    /// The demand claims the public interest.
    pub public_interest: bool,
    /// The modes the demand asks for.
    pub modes: Vec<String>,
    /// The fields the authorization covers.
    pub fields: Vec<String>,
    /// The authorization's de-identification level.
    pub deidentification: String,
    /// The authorization's cap on uses a day across its products.
    pub daily_use_limit: Option<i64>,
}

impl Default for WorldOptions {
    fn default() -> WorldOptions {
        WorldOptions {
            public_interest: false,
            modes: ["download", "query-api", "verification-api", "consulting"]
                .map(String::from)
                .to_vec(),
            fields: FIELDS.map(String::from).to_vec(),
            deidentification: "de-identified".into(),
            daily_use_limit: None,
        }
    }
}

/// The world as `options` say.
pub async fn world_with(store: Store, options: WorldOptions) -> World {
    let clock = Clock::default();
    clock.set("2026-11-02");
    let ledger = Ledger(clock.clone());
    let operator = party(&store, "OPERATOR", PartyType::Operator).await;
    let office = party(&store, "OFFICE", PartyType::Governance).await;
    let center = party(&store, "CENTER", PartyType::BigDataCenter).await;
    let provider = party(&store, "SCJGJ", PartyType::Provider).await;
    let user = party(&store, "BANK", PartyType::User).await;
    let dir = tempfile::tempdir().unwrap();
    let master = Arc::new(MasterKey::generate());
    let deliveries = Deliveries::new(
        store.clone(),
        DataFiles::local(dir.path()).unwrap(),
        master.clone(),
        DeliveryConfig::default(),
    );
    let flow_clock = clock.clone();
    let workflow = Workflow::new(
        store.clone(),
        Arc::new(WorkingCalendar::shipped()),
        Deadlines::default(),
        master,
    )
    .with_clock(move || flow_clock.now());

    let mut tx = store.begin().await.unwrap();
    let resource = tx
        .insert_resource(
            provider.org_id,
            "registrations",
            &ResourceDescription {
                title: "企业登记信息".into(),
                description: String::new(),
                theme: "market-regulation".into(),
                update_frequency: UpdateFrequency::Daily,
                open_data: false,
                service_modes: ServiceMode::ALL.to_vec(),
            },
            &Registration::default(),
            1,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    deliveries
        .deliver(
            DeliveryRequest {
                resource_id: resource,
                channel: DeliveryChannel::FrontPush,
                file_name: "registrations.csv".into(),
                format: None,
                encoding: None,
                delimiter: None,
                sheet: None,
                field_types: Default::default(),
                bytes_total: None,
                delivered_by: None,
            },
            &ledger,
            std::io::Cursor::new(registrations_csv()),
        )
        .await
        .unwrap();

    let mut world = World {
        products: Products::new(store.clone(), workflow.clone(), deliveries.clone()),
        workflow,
        deliveries,
        store,
        clock,
        operator,
        office,
        center,
        provider,
        user,
        authorization: 0,
        dir,
    };
    world.authorization = world.authorize(options).await;
    world
}

impl World {
    /// Another demand of the user for the registrations, listed, passed
    /// and authorized on `options`' terms, both agreements signed: its
    /// authorization.
    pub async fn authorize(&self, options: WorldOptions) -> i64 {
        let WorldOptions {
            public_interest,
            modes,
            fields,
            deidentification,
            daily_use_limit,
        } = options;
        let (store, workflow) = (&self.store, &self.workflow);
        let (operator, office, center, provider, user) = (
            &self.operator,
            &self.office,
            &self.center,
            &self.provider,
            &self.user,
        );
        let ledger = Ledger(self.clock.clone());
        let period = workflow.today().format("%Y-%m").to_string();
        let demand = workflow
            .file_demand(
                user,
                &ledger,
                None,
                &DemandDraft {
                    title: "授信前核验".into(),
                    wanted: String::new(),
                    modes,
                    scenario: "小微企业授信前核验企业身份".into(),
                    purpose: "防范冒名贷款".into(),
                    term_months: 12,
                    consent: String::new(),
                    public_interest,
                    items: vec![("registrations".into(), Vec::new())],
                },
                true,
            )
            .await
            .unwrap();
        workflow
            .demand_step(
                operator,
                &ledger,
                demand.id,
                DemandAction::Accept,
                "可行",
                &[],
            )
            .await
            .unwrap();
        let list = workflow
            .create_list(operator, &ledger, &period)
            .await
            .unwrap();
        workflow
            .set_listed(operator, &ledger, list.id, demand.id, true)
            .await
            .unwrap();
        workflow
            .submit_list(operator, &ledger, list.id)
            .await
            .unwrap();
        workflow
            .review_item(office, &ledger, demand.id, ListItemDecision::Pass, "")
            .await
            .unwrap();
        let assessment = store.assessments(Some(demand.id), None).await.unwrap()[0].id;
        let terms = AuthorizationTerms {
            resources: vec![("registrations".into(), fields)],
            modes: vec![],
            deidentification,
            reidentification: false,
            quota: "每日 1000 次".into(),
            daily_use_limit,
            conditions: String::new(),
            term_from: None,
            term_until: None,
        };
        workflow
            .answer(provider, &ledger, assessment, &Answer::Authorize(terms))
            .await
            .unwrap();
        let agreements = store.agreements_of_demand(demand.id).await.unwrap();
        for agreement in &agreements {
            for signer in [operator, center, provider, user] {
                let _ = workflow.sign(signer, &ledger, agreement.id).await;
            }
        }
        agreements[0].authorization_id
    }

    /// Products served by another process on the same database: its own
    /// pool, its own seen epoch, its own caches.
    pub async fn second_server(&self, url: &str) -> Products {
        let store = Store::connect(url).await.unwrap();
        let clock = self.clock.clone();
        let workflow = Workflow::new(
            store.clone(),
            Arc::new(WorkingCalendar::shipped()),
            Deadlines::default(),
            self.deliveries.master(),
        )
        .with_clock(move || clock.now());
        let deliveries = Deliveries::new(
            store.clone(),
            DataFiles::local(self.dir.path()).unwrap(),
            self.deliveries.master(),
            DeliveryConfig::default(),
        );
        Products::new(store, workflow, deliveries)
    }
}
