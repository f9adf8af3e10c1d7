//! The demo's products (Art. 5): a demand for each demo user carried to
//! signed agreements, one product of each served mode on them (query and
//! verification APIs on business registrations, a download of the food
//! inspections, the researcher's sandbox), an API key for the company
//! user, and ready calls.
//! Idempotent: nothing is seeded once any product exists.

use anyhow::Context;
use rongshu_domain::Actor;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::BillingUnit;
use rongshu_domain::workflow::{AgreementStatus, DemandAction};
use rongshu_products::{Caller, ProductDraft};
use rongshu_server::AppState;
use rongshu_store::Demand;
use rongshu_synth::{Dataset, Rng};
use rongshu_workflow::{Answer, AuthorizationTerms, DemandDraft, ListItemDecision};

use crate::admin::LocalOperator;
use crate::demo_workflow::actor;

/// What the demo prints for calling the products.
#[derive(Debug)]
pub struct DemoCalls {
    pub products: usize,
    pub api_key: String,
    /// The calls as `curl` commands.
    pub query: String,
    pub verify: String,
    /// Their JSON bodies.
    pub query_body: String,
    pub verify_body: String,
}

fn demand(title: &str, code: &str, modes: &[&str], scenario: &str) -> DemandDraft {
    DemandDraft {
        title: title.into(),
        wanted: String::new(),
        modes: modes.iter().map(|m| m.to_string()).collect(),
        scenario: scenario.into(),
        purpose: format!("{title}（演示）"),
        term_months: 12,
        consent: String::new(),
        public_interest: false,
        items: vec![(code.into(), Vec::new())],
    }
}

/// Signs every agreement of a demand by every signatory among `signers`.
async fn sign_all(
    state: &AppState,
    by: &LocalOperator,
    demand: &Demand,
    signers: &[&Actor],
) -> anyhow::Result<()> {
    for agreement in state.store().agreements_of_demand(demand.id).await? {
        for signer in signers {
            let expected = agreement
                .signatures
                .iter()
                .any(|s| s.org_id == signer.org_id && s.party == signer.party);
            if expected && agreement.status == AgreementStatus::AwaitingSignatures {
                state.workflow().sign(signer, by, agreement.id).await?;
            }
        }
    }
    Ok(())
}

/// The authorization that answered a demand.
async fn authorization_of(state: &AppState, demand: &Demand) -> anyhow::Result<i64> {
    state
        .store()
        .assessments(Some(demand.id), None)
        .await?
        .iter()
        .find_map(|a| a.authorization_id)
        .context("the demo demand was authorized")
}

fn product(
    code: &str,
    name: &str,
    resource: &str,
    authorization_id: i64,
    mode: ServiceMode,
    fields: &[&str],
    pipeline: &str,
) -> ProductDraft {
    ProductDraft {
        code: code.into(),
        name: name.into(),
        description: format!("{name}（演示产品）"),
        resource_code: resource.into(),
        authorization_id,
        modes: vec![mode],
        fields: fields.iter().map(|f| f.to_string()).collect(),
        pipeline: pipeline.into(),
        query_parameters: Vec::new(),
        max_rows: 10,
        verify_key_field: None,
        verify_fields: Vec::new(),
        daily_call_quota: Some(10_000),
        rate_per_minute: Some(600),
        billing_unit: BillingUnit::PerCall,
        price_fen: 0,
    }
}

pub async fn seed(state: &AppState, base_url: &str) -> anyhow::Result<Option<DemoCalls>> {
    if !state.store().products().await?.is_empty() {
        return Ok(None);
    }
    let by = &LocalOperator::new();
    let flow = state.workflow();
    let corp = actor(state, "corp-staff").await?;
    let scholar = actor(state, "scu-researcher").await?;
    let operator = actor(state, "op-staff").await?;
    let office = actor(state, "gov-staff").await?;
    let center = actor(state, "bdc-staff").await?;
    let market = actor(state, "scjgj-staff").await?;

    // A demand for each demo user, through the Office to signed agreements.
    let filed = [
        (
            &corp,
            demand(
                "供应链金融企业信息查询与核验",
                "business-registrations",
                &["query-api", "verification-api"],
                "供应链金融授信前核验核心企业上下游企业身份与登记状态",
            ),
        ),
        (
            &scholar,
            DemandDraft {
                // Non-commercial research: free of charge once passed.
                public_interest: true,
                ..demand(
                    "食品安全抽检结果研究",
                    "food-inspections",
                    &["download", "consulting"],
                    "学术研究：各区县食品安全抽检合格率的时间变化",
                )
            },
        ),
        (&scholar, crate::demo_sandbox::demand()),
    ];
    let mut demands = Vec::new();
    for (user, draft) in filed {
        let d = flow.file_demand(user, by, None, &draft, true).await?;
        let d = flow
            .demand_step(
                &operator,
                by,
                d.id,
                DemandAction::Accept,
                "需求合理可行",
                &[],
            )
            .await?;
        demands.push(d);
    }
    let list = flow.create_list(&operator, by, "演示产品批次").await?;
    for d in &demands {
        flow.set_listed(&operator, by, list.id, d.id, true).await?;
    }
    flow.submit_list(&operator, by, list.id).await?;
    for d in &demands {
        flow.review_item(&office, by, d.id, ListItemDecision::Pass, "")
            .await?;
    }
    let [registrations, inspections, lab] = demands.as_slice() else {
        unreachable!("three demands were filed");
    };
    let asked = state
        .store()
        .assessments(Some(registrations.id), Some(market.org_id))
        .await?;
    let terms = AuthorizationTerms {
        deidentification: "de-identified".into(),
        quota: "每日调用不超过 10000 次".into(),
        conditions: "仅用于协议载明的应用场景；成果注明数据来源".into(),
        ..AuthorizationTerms::default()
    };
    flow.answer(
        &market,
        by,
        asked.first().context("the provider was asked")?.id,
        &Answer::Authorize(terms),
    )
    .await?;
    sign_all(
        state,
        by,
        registrations,
        &[&operator, &center, &market, &corp],
    )
    .await?;
    sign_all(state, by, inspections, &[&operator, &scholar]).await?;
    let asked = state
        .store()
        .assessments(Some(lab.id), Some(market.org_id))
        .await?;
    flow.answer(
        &market,
        by,
        asked.first().context("the provider was asked")?.id,
        &crate::demo_sandbox::answer(),
    )
    .await?;
    sign_all(state, by, lab, &[&operator, &center, &market, &scholar]).await?;

    // One product of each served mode.
    let on_registrations = authorization_of(state, registrations).await?;
    let on_inspections = authorization_of(state, inspections).await?;
    let mut query = product(
        "registrations-query",
        "企业登记信息查询",
        "business-registrations",
        on_registrations,
        ServiceMode::QueryApi,
        &[
            "企业名称",
            "统一社会信用代码",
            "企业类型",
            "法定代表人",
            "成立日期",
            "登记机关",
        ],
        r#"{"steps":[{"op":"trim"},{"op":"mask","field":"法定代表人","preset":"name"}]}"#,
    );
    query.query_parameters = vec!["统一社会信用代码".into()];
    query.price_fen = 10;
    let mut verify = product(
        "registrations-verify",
        "企业身份核验",
        "business-registrations",
        on_registrations,
        ServiceMode::VerificationApi,
        &["统一社会信用代码"],
        "",
    );
    verify.verify_key_field = Some("统一社会信用代码".into());
    verify.verify_fields = vec!["企业名称".into(), "法定代表人".into()];
    verify.price_fen = 5;
    let mut download = product(
        "food-inspections-download",
        "食品安全抽检结果下载",
        "food-inspections",
        on_inspections,
        ServiceMode::Download,
        &[
            "抽检编号",
            "被抽检单位",
            "食品名称",
            "抽检结果",
            "抽检日期",
            "区县",
        ],
        r#"{"steps":[{"op":"trim"},{"op":"date","fields":["抽检日期"]}]}"#,
    );
    download.billing_unit = BillingUnit::PerDownload;
    let mut consulting = product(
        "food-inspections-consulting",
        "食品安全抽检数据咨询",
        "food-inspections",
        on_inspections,
        ServiceMode::Consulting,
        &["抽检结果", "抽检日期", "区县"],
        "",
    );
    consulting.billing_unit = BillingUnit::PerPeriod;
    consulting.price_fen = 0;
    for draft in [&query, &verify, &download, &consulting] {
        state.products().save(&operator, by, draft, None).await?;
    }
    let on_lab = authorization_of(state, lab).await?;
    crate::demo_sandbox::seed(state, by, lab, on_lab, &operator, &scholar).await?;
    state
        .products()
        .open_consulting(
            &scholar,
            by,
            "food-inspections-consulting",
            "各区县抽检合格率的口径",
            "请说明“抽检结果”字段中“不合格”是否包含复检后改判的样本，以及各区县样本量的统计口径。",
        )
        .await?;

    // The company's first record, as the demo generated it.
    let first = Dataset::BusinessRegistrations.row(&mut Rng::new(1000), 0);
    let (company, credit_code, person) = (&first[0], &first[1], &first[3]);
    let caller = Caller::of(&corp);
    let facts = vec![
        ("统一社会信用代码".to_owned(), credit_code.clone()),
        ("企业名称".to_owned(), company.clone()),
        ("法定代表人".to_owned(), person.clone()),
    ];
    state
        .products()
        .verify(&caller, by, "registrations-verify", &facts)
        .await?;
    let account = state
        .store()
        .account_by_username("corp-staff")
        .await?
        .context("demo account corp-staff is missing")?;
    let (_, secret) =
        rongshu_server::admin::create_api_key(state, by, &account, "演示数据调用", 90).await?;
    let key = secret.secret.expose().to_owned();
    let call = |path: &str, body: &str| {
        format!(
            "curl -sS -X POST '{base_url}/api/v1/products/{path}' -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{body}'"
        )
    };
    let query_body = format!(r#"{{"parameters":{{"统一社会信用代码":"{credit_code}"}}}}"#);
    let verify_body = format!(
        r#"{{"facts":{{"统一社会信用代码":"{credit_code}","企业名称":"{company}","法定代表人":"{person}"}}}}"#
    );
    Ok(Some(DemoCalls {
        products: state.store().products().await?.len(),
        query: call("registrations-query/query", &query_body),
        verify: call("registrations-verify/verify", &verify_body),
        api_key: key,
        query_body,
        verify_body,
    }))
}
