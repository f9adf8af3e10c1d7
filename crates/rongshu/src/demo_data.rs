//! The demo's data resources: described, registered, delivered through the
//! same ingest path as real deliveries (generated data, GB18030 where
//! government exports use it) and graded, so a newcomer sees a populated
//! catalogue at first login. Idempotent: a resource that exists is left.

use rongshu_classify::Grade;
use rongshu_delivery::DeliveryRequest;
use rongshu_domain::resource::{DeliveryChannel, RegistrationAction};
use rongshu_ingest::Format;
use rongshu_server::AppState;
use rongshu_server::resources::{self, DescriptionInput};
use rongshu_store::Registration;
use rongshu_synth::Dataset;

use crate::admin::LocalOperator;

struct DemoResource {
    provider: &'static str,
    code: &'static str,
    title: &'static str,
    description: &'static str,
    theme: &'static str,
    frequency: &'static str,
    open: bool,
    modes: &'static [&'static str],
    dataset: Dataset,
    rows: u64,
    /// Delivered as GB18030 (as many government exports are) or UTF-8.
    gb18030: bool,
    /// The provider's decision when it departs from the suggestion.
    graded: Option<(Grade, &'static str)>,
    registered: bool,
}

const RESOURCES: &[DemoResource] = &[
    DemoResource {
        provider: "scjgj",
        code: "business-registrations",
        title: "市场主体登记信息",
        description: "全市企业及个体工商户的登记信息，含统一社会信用代码、法定代表人及其证件号码、注册资本和住所。",
        theme: "market-regulation",
        frequency: "daily",
        open: false,
        modes: &["sandbox", "verification-api", "query-api"],
        dataset: Dataset::BusinessRegistrations,
        rows: 3000,
        gb18030: true,
        graded: Some((
            Grade::Important,
            "汇聚全市法定代表人身份信息，按《数据安全法》及本市重要数据目录认定为重要数据",
        )),
        registered: true,
    },
    DemoResource {
        provider: "scjgj",
        code: "food-inspections",
        title: "食品安全监督抽检结果",
        description: "市场监管部门食品安全监督抽检的产品、结果和日期，已在开放平台发布。",
        theme: "market-regulation",
        frequency: "monthly",
        open: true,
        modes: &["download", "query-api", "sandbox"],
        dataset: Dataset::FoodInspections,
        rows: 800,
        gb18030: false,
        graded: None,
        registered: false,
    },
    DemoResource {
        provider: "jtysj",
        code: "transport-licences",
        title: "道路运输经营许可及车辆信息",
        description: "道路运输经营许可证、营运车辆号牌、车型、驾驶员及其联系电话。",
        theme: "transport",
        frequency: "weekly",
        open: false,
        modes: &["query-api", "sandbox"],
        dataset: Dataset::TransportLicences,
        rows: 2000,
        gb18030: true,
        graded: None,
        registered: true,
    },
    DemoResource {
        provider: "jtysj",
        code: "bus-stops",
        title: "公交站点及途经线路",
        description: "中心城区公交站点的位置、途经线路和所属区县，已在开放平台发布。",
        theme: "transport",
        frequency: "quarterly",
        open: true,
        modes: &["download", "query-api"],
        dataset: Dataset::BusStops,
        rows: 600,
        gb18030: false,
        graded: None,
        registered: false,
    },
];

/// Delivers generated data to a resource through the front system's path.
pub async fn deliver(
    state: &AppState,
    resource_id: i64,
    code: &str,
    dataset: Dataset,
    seed: u64,
    rows: u64,
    gb18030: bool,
) -> anyhow::Result<()> {
    let text = dataset.csv(seed, rows);
    let bytes = if gb18030 {
        encoding_rs::GB18030.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    };
    let request = DeliveryRequest {
        resource_id,
        channel: DeliveryChannel::FrontPush,
        file_name: format!("{code}.csv"),
        format: Some(Format::Csv),
        encoding: None,
        delimiter: None,
        sheet: None,
        field_types: Default::default(),
        bytes_total: Some(bytes.len() as u64),
        delivered_by: None,
    };
    state
        .deliveries()
        .deliver(request, &LocalOperator::new(), std::io::Cursor::new(bytes))
        .await?;
    Ok(())
}

/// Seeds the demo's resources; returns how many it created.
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    let by = LocalOperator::new();
    let mut created = 0;
    for (n, d) in RESOURCES.iter().enumerate() {
        if state.store().resource_by_code(d.code).await.is_ok() {
            continue;
        }
        let provider = state
            .store()
            .organization_by_code(d.provider)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo organisation {} is missing", d.provider))?;
        let about = DescriptionInput {
            title: d.title.into(),
            description: d.description.into(),
            theme: d.theme.into(),
            update_frequency: d.frequency.into(),
            open_data: d.open,
            service_modes: d.modes.iter().map(|m| m.to_string()).collect(),
        };
        let registration = Registration {
            data_type: "库表".into(),
            data_format: "CSV".into(),
            storage: "成都市大数据中心共享平台".into(),
            documentation: format!("{}数据说明（演示）", d.title),
            ..Registration::default()
        };
        let resource =
            resources::create_resource(state, &by, provider.id, d.code, &about, &registration)
                .await?;
        deliver(
            state,
            resource.id,
            d.code,
            d.dataset,
            1000 + n as u64,
            d.rows,
            d.gb18030,
        )
        .await?;
        let resource = state.store().resource(resource.id).await?;
        let (grade, reason) = match d.graded {
            Some((grade, reason)) => (grade, reason),
            None => (resource.suggested_grade.unwrap_or(Grade::General1), ""),
        };
        // The provider's own staff confirm the grading.
        let confirmer = state
            .store()
            .accounts(Some(provider.id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("demo organisation {} has no account", d.provider))?;
        resources::decide_grading(state, &by, confirmer.id, &resource, grade, &[], reason).await?;
        if d.registered {
            let resource = state.store().resource(resource.id).await?;
            let fields = Registration {
                code: Some(format!("DJ-510100-2026-{:04}", n + 1)),
                ..resource.registration.clone()
            };
            resources::record_registration(
                state,
                &by,
                &resource,
                Some(RegistrationAction::Register),
                &fields,
            )
            .await?;
        }
        created += 1;
    }
    Ok(created)
}
