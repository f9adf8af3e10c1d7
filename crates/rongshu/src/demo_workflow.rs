//! The demo's demands, one in every stage of the workflow, staged days ago
//! so that due dates fall around today and every party finds work in its
//! queue at first login: a draft, one in pre-review, one on a draft list,
//! one with the Office, two with providers (one overdue), one answered by
//! the standing authorization, one authorized awaiting signatures and
//! delivery, one delivered, one terminated and in dispute.
//! Idempotent: nothing is seeded once any demand exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context;
use rongshu_domain::Actor;
use rongshu_domain::workflow::{DemandAction, DisputeAction};
use rongshu_server::AppState;
use rongshu_store::{Demand, DemandFilter};
use rongshu_synth::Dataset;
use rongshu_workflow::{
    Answer, AuthorizationTerms, DemandDraft, ListItemDecision, Workflow, system_clock,
};

use crate::admin::LocalOperator;

const DAY_MS: i64 = 86_400_000;

/// The workflow with a clock the seed winds back.
struct Staged {
    flow: Workflow,
    days_ago: Arc<AtomicI64>,
    by: LocalOperator,
}

impl Staged {
    fn at(&self, days_ago: i64) -> &Workflow {
        self.days_ago.store(days_ago, Ordering::SeqCst);
        &self.flow
    }
}

/// A demo account's actor.
pub(crate) async fn actor(state: &AppState, username: &str) -> anyhow::Result<Actor> {
    Ok(state
        .store()
        .account_by_username(username)
        .await?
        .with_context(|| format!("demo account {username} is missing"))?
        .actor())
}

fn draft(
    title: &str,
    codes: &[&str],
    modes: &[&str],
    scenario: &str,
    consent: &str,
) -> DemandDraft {
    DemandDraft {
        title: title.into(),
        wanted: String::new(),
        modes: modes.iter().map(|m| m.to_string()).collect(),
        scenario: scenario.into(),
        purpose: format!("{title}（演示）"),
        term_months: 12,
        consent: consent.into(),
        public_interest: false,
        items: codes.iter().map(|c| (c.to_string(), Vec::new())).collect(),
    }
}

fn terms(deidentification: &str) -> AuthorizationTerms {
    AuthorizationTerms {
        deidentification: deidentification.into(),
        quota: "每日调用不超过 10000 次".into(),
        conditions: "仅用于协议载明的应用场景；成果注明数据来源".into(),
        ..AuthorizationTerms::default()
    }
}

/// Seeds the demands; returns how many it created.
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    if !state
        .store()
        .demands(&DemandFilter::default())
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let days_ago = Arc::new(AtomicI64::new(0));
    let shift = Arc::clone(&days_ago);
    let staged = Staged {
        flow: state
            .workflow()
            .clone()
            .with_clock(move || system_clock() - shift.load(Ordering::SeqCst) * DAY_MS),
        days_ago,
        by: LocalOperator::new(),
    };
    let corp = actor(state, "corp-staff").await?;
    let scholar = actor(state, "scu-researcher").await?;
    let operator = actor(state, "op-staff").await?;
    let office = actor(state, "gov-staff").await?;
    let center = actor(state, "bdc-staff").await?;
    let market = actor(state, "scjgj-staff").await?;
    let transport = actor(state, "jtysj-staff").await?;
    let by = &staged.by;

    let file = |who: Actor, d: DemandDraft, submit: bool, days: i64| {
        let staged = &staged;
        async move {
            staged
                .at(days)
                .file_demand(&who, &staged.by, None, &d, submit)
                .await
        }
    };
    let accept = |d: Demand, days: i64| {
        let staged = &staged;
        let operator = operator.clone();
        async move {
            staged
                .at(days)
                .demand_step(
                    &operator,
                    &staged.by,
                    d.id,
                    DemandAction::Accept,
                    "需求合理，具备可行性",
                    &[],
                )
                .await
        }
    };

    // Draft and pre-review.
    file(
        corp.clone(),
        draft(
            "网约车运力调度优化",
            &["transport-licences"],
            &["sandbox"],
            "高峰时段网约车运力与道路运输许可匹配分析",
            "",
        ),
        false,
        1,
    )
    .await?;
    file(
        scholar.clone(),
        draft(
            "城市公交站点可达性评估",
            &["bus-stops"],
            &["download"],
            "学术研究：公交站点500米覆盖率与社区分布",
            "",
        ),
        true,
        1,
    )
    .await?;

    // On a draft list for next month.
    let listed = accept(
        file(
            corp.clone(),
            draft(
                "企业经营异常预警模型",
                &["business-registrations"],
                &["sandbox"],
                "面向金融机构的企业经营异常预警",
                "",
            ),
            true,
            9,
        )
        .await?,
        8,
    )
    .await?;
    let next = staged.at(2).create_list(&operator, by, &period(1)).await?;
    staged
        .at(2)
        .set_listed(&operator, by, next.id, listed.id, true)
        .await?;

    // With the Office: submitted twelve days ago.
    let reviewing = accept(
        file(
            corp.clone(),
            draft(
                "餐饮门店选址分析",
                &["food-inspections", "business-registrations"],
                &["sandbox", "query-api"],
                "连锁餐饮门店选址的食品安全与商户密度分析",
                "",
            ),
            true,
            16,
        )
        .await?,
        14,
    )
    .await?;
    let this_month = staged.at(13).create_list(&operator, by, &period(0)).await?;
    staged
        .at(13)
        .set_listed(&operator, by, this_month.id, reviewing.id, true)
        .await?;
    staged
        .at(12)
        .submit_list(&operator, by, this_month.id)
        .await?;

    // An earlier list, through the Office to the providers.
    let mut earlier = Vec::new();
    for (user, d) in [
        (
            corp.clone(),
            draft(
                "道路运输企业信用画像",
                &["transport-licences"],
                &["sandbox"],
                "物流平台承运商准入的信用评估",
                "",
            ),
        ),
        (
            scholar.clone(),
            draft(
                "小微企业融资可得性研究",
                &["business-registrations"],
                &["sandbox"],
                "学术研究：小微企业注册资本与融资可得性",
                "研究对象企业书面授权书（演示）",
            ),
        ),
        (
            scholar.clone(),
            draft(
                "公交线网优化",
                &["bus-stops"],
                &["download"],
                "公交线网与站点布局优化研究",
                "",
            ),
        ),
        (
            scholar.clone(),
            draft(
                "市场主体活跃度研究",
                &["business-registrations"],
                &["sandbox"],
                "区县营商环境评估中的市场主体活跃度",
                "",
            ),
        ),
        (
            corp.clone(),
            draft(
                "运输车辆合规核验",
                &["transport-licences"],
                &["verification-api"],
                "网约车平台接入车辆的运输许可核验",
                "",
            ),
        ),
        (
            corp.clone(),
            draft(
                "企业登记信息核验服务",
                &["business-registrations"],
                &["verification-api"],
                "供应链金融中的企业身份核验",
                "",
            ),
        ),
    ] {
        let d = accept(file(user, d, true, 30).await?, 29).await?;
        earlier.push(d);
    }
    let october = staged
        .at(28)
        .create_list(&operator, by, &period(-1))
        .await?;
    for d in &earlier {
        staged
            .at(28)
            .set_listed(&operator, by, october.id, d.id, true)
            .await?;
    }
    staged.at(27).submit_list(&operator, by, october.id).await?;
    let [
        overdue,
        consented,
        standing,
        awaiting,
        delivered,
        terminated,
    ] = earlier.as_slice()
    else {
        unreachable!("six demands were filed");
    };
    for (d, days) in [
        (overdue, 26),
        (standing, 22),
        (awaiting, 22),
        (delivered, 24),
        (terminated, 24),
        (consented, 5),
    ] {
        staged
            .at(days)
            .review_item(&office, by, d.id, ListItemDecision::Pass, "")
            .await?;
    }

    // Answers: the delivered and terminated ones long ago, one recently.
    let answer = |who: Actor, d: &Demand, days: i64, level: &str| {
        let staged = &staged;
        let id = d.id;
        let level = level.to_owned();
        async move {
            let flow = staged.at(days);
            let asked = flow.store().assessments(Some(id), Some(who.org_id)).await?;
            let assessment = asked.first().context("the provider was asked")?;
            anyhow::Ok(
                flow.answer(
                    &who,
                    &staged.by,
                    assessment.id,
                    &Answer::Authorize(terms(&level)),
                )
                .await?,
            )
        }
    };
    answer(transport.clone(), delivered, 20, "de-identified").await?;
    answer(market.clone(), terminated, 21, "de-identified").await?;
    answer(market.clone(), awaiting, 6, "sandbox-only").await?;

    // Signatures: all for the delivered and the terminated ones; only the
    // operator's so far on the awaiting one's tripartite agreement.
    for (d, provider, user) in [(delivered, &transport, &corp), (terminated, &market, &corp)] {
        for agreement in staged.flow.store().agreements_of_demand(d.id).await? {
            for signer in [&operator, &center, provider, user] {
                if agreement
                    .signatures
                    .iter()
                    .any(|s| s.org_id == signer.org_id && s.party == signer.party)
                {
                    staged.at(15).sign(signer, by, agreement.id).await?;
                }
            }
        }
    }
    for agreement in staged
        .flow
        .store()
        .agreements_of_demand(awaiting.id)
        .await?
    {
        if agreement.kind == rongshu_domain::workflow::AgreementKind::Tripartite {
            staged.at(4).sign(&operator, by, agreement.id).await?;
        }
    }

    // Delivery through the front system closes the delivered one's task.
    let licences = state.store().resource_by_code("transport-licences").await?;
    crate::demo_data::deliver(
        state,
        licences.id,
        "transport-licences",
        Dataset::TransportLicences,
        77,
        500,
        false,
    )
    .await?;

    // Termination with grounds, and the operator's dispute about it.
    let authorization = state
        .store()
        .assessments(Some(terminated.id), Some(market.org_id))
        .await?
        .first()
        .and_then(|a| a.authorization_id)
        .context("the terminated demand was authorized")?;
    staged
        .at(3)
        .terminate(
            &market,
            by,
            authorization,
            "依据上级部门通知，企业登记信息核验改由省级平台统一提供，本授权终止",
        )
        .await?;
    let dispute = staged
        .at(2)
        .raise_dispute(
            &operator,
            by,
            authorization,
            "终止授权影响已上线的核验服务",
            "使用单位已按协议完成系统对接，请求给予过渡期",
        )
        .await?;
    staged
        .at(1)
        .dispute_step(
            &office,
            by,
            dispute.id,
            DisputeAction::TakeUp,
            "已受理，协调双方意见",
        )
        .await?;
    state.workflow().notify_overdue(by).await?;
    Ok(state.store().demands(&DemandFilter::default()).await?.len())
}

/// A list period: this month moved by `months`, as `YYYY-MM`.
fn period(months: i32) -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now()
        .with_timezone(&rongshu_domain::civil_time::china_standard_time())
        .date_naive();
    let index = today.year() * 12 + today.month0() as i32 + months;
    format!("{}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}
