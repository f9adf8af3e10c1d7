//! The demo's sandbox (Art. 5): the researcher's demand for business
//! registrations and food inspections in the sandbox only, authorized by
//! market supervision without the legal representatives' identities, a
//! sandbox product on each resource under the one agreement (so both are
//! tables of one workspace), the researcher's own upload, a saved example
//! query over all three and an export awaiting the output checkers.

use rongshu_domain::Actor;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::BillingUnit;
use rongshu_products::{Caller, ProductDraft};
use rongshu_sandbox::Upload;
use rongshu_server::AppState;
use rongshu_store::Demand;
use rongshu_workflow::{Answer, AuthorizationTerms, DemandDraft};

use crate::admin::LocalOperator;

/// The researcher's sandbox demand.
pub fn demand() -> DemandDraft {
    DemandDraft {
        title: "企业结构与食品安全抽检关联研究".into(),
        wanted: String::new(),
        modes: vec!["sandbox".into()],
        scenario: "学术研究：各区县市场主体结构与食品安全抽检不合格率的关系，仅在沙箱内分析".into(),
        purpose: "论文实证分析（演示）".into(),
        term_months: 12,
        consent: String::new(),
        public_interest: true,
        items: vec![
            ("business-registrations".into(), Vec::new()),
            ("food-inspections".into(), Vec::new()),
        ],
    }
}

/// Market supervision's answer: both resources, the registrations without
/// the legal representatives and their identity numbers and phones.
pub fn terms() -> AuthorizationTerms {
    AuthorizationTerms {
        resources: vec![
            (
                "business-registrations".into(),
                [
                    "企业名称",
                    "企业类型",
                    "注册资本（万元）",
                    "成立日期",
                    "登记机关",
                ]
                .map(String::from)
                .to_vec(),
            ),
            ("food-inspections".into(), Vec::new()),
        ],
        deidentification: "sandbox-only".into(),
        quota: "沙箱内使用，结果经审核后导出".into(),
        conditions: "原始数据不出域；成果注明数据来源".into(),
        ..AuthorizationTerms::default()
    }
}

fn lab(
    code: &str,
    name: &str,
    resource: &str,
    authorization_id: i64,
    fields: &[&str],
) -> ProductDraft {
    ProductDraft {
        code: code.into(),
        name: name.into(),
        description: format!("{name}（演示沙箱）"),
        resource_code: resource.into(),
        authorization_id,
        modes: vec![ServiceMode::Sandbox],
        fields: fields.iter().map(|f| f.to_string()).collect(),
        pipeline: r#"{"steps":[{"op":"trim"}]}"#.into(),
        query_parameters: Vec::new(),
        max_rows: 10,
        verify_key_field: None,
        verify_fields: Vec::new(),
        daily_call_quota: None,
        rate_per_minute: None,
        billing_unit: BillingUnit::PerPeriod,
        price_fen: 0,
    }
}

/// The researcher's own data, uploaded into the workspace: resident
/// population by district (illustrative figures, not official statistics).
pub const POPULATION_CSV: &str = "区县,常住人口_万人
锦江区,90.3
青羊区,97.4
金牛区,126.6
武侯区,122.0
成华区,138.2
龙泉驿区,134.6
新都区,157.8
温江区,98.6
双流区,155.6
郫都区,141.6
";

/// The query the researcher saved: inspections, companies and residents
/// by district (both authorized resources and the upload).
pub const EXAMPLE: &str = "SELECT i.区县, count(*) AS 抽检批次, \
sum(CASE WHEN i.抽检结果 = '不合格' THEN 1 ELSE 0 END) AS 不合格批次, max(r.n) AS 市场主体数, \
max(p.常住人口_万人) AS 常住人口_万人 \
FROM food_inspections_lab i JOIN \
(SELECT replace(replace(登记机关, '成都市', ''), '市场监督管理局', '') AS 区县, count(*) AS n \
 FROM registrations_lab GROUP BY 1) r ON r.区县 = i.区县 \
LEFT JOIN district_population p ON p.区县 = i.区县 \
GROUP BY i.区县 ORDER BY i.区县";

/// The aggregate awaiting the checkers.
const EXPORT: &str = "SELECT 区县, count(*) AS 抽检批次, \
sum(CASE WHEN 抽检结果 = '不合格' THEN 1 ELSE 0 END) AS 不合格批次 \
FROM food_inspections_lab GROUP BY 区县 ORDER BY 区县";

/// The sandbox products, the researcher's example query and one export.
pub async fn seed(
    state: &AppState,
    by: &LocalOperator,
    demand: &Demand,
    authorization_id: i64,
    operator: &Actor,
    scholar: &Actor,
) -> anyhow::Result<()> {
    let registrations = lab(
        "registrations-lab",
        "市场主体登记沙箱",
        "business-registrations",
        authorization_id,
        &[
            "企业名称",
            "企业类型",
            "注册资本（万元）",
            "成立日期",
            "登记机关",
        ],
    );
    let inspections = lab(
        "food-inspections-lab",
        "食品安全抽检沙箱",
        "food-inspections",
        authorization_id,
        &[
            "抽检编号",
            "被抽检单位",
            "食品名称",
            "抽检结果",
            "抽检日期",
            "区县",
        ],
    );
    for draft in [&registrations, &inspections] {
        state.products().save(operator, by, draft, None).await?;
    }
    let researcher = Caller::of(scholar);
    let sandbox = state.sandbox();
    let agreement = state
        .store()
        .agreements_of_demand(demand.id)
        .await?
        .into_iter()
        .find(|a| a.kind == rongshu_domain::workflow::AgreementKind::DataUse)
        .map(|a| a.id)
        .ok_or_else(|| anyhow::anyhow!("the sandbox demand has a data use agreement"))?;
    let population = Upload {
        name: "district_population".into(),
        file_name: "区县常住人口.csv".into(),
    };
    sandbox
        .upload(
            &researcher,
            by,
            agreement,
            population,
            std::io::Cursor::new(POPULATION_CSV.as_bytes()),
        )
        .await?;
    sandbox
        .run(&researcher, by, agreement, EXAMPLE, None)
        .await?;
    sandbox
        .request_export(
            &researcher,
            by,
            agreement,
            EXPORT,
            "论文表 1：各区县抽检批次与不合格批次",
            None,
        )
        .await?;
    Ok(())
}

/// The answer market supervision gives the sandbox demand.
pub fn answer() -> Answer {
    Answer::Authorize(terms())
}
