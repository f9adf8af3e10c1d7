//! The workflow pages' words, in Chinese and English.

use rongshu_domain::calendar::DueState;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::workflow::{
    AgreementKind, AgreementStatus, AssessmentStatus, AuthorizationStatus, DeliveryTaskStatus,
    DemandListStatus, DemandStatus, DisputeStatus,
};

use super::i18n::{Lang, T};

pub(crate) const DEMANDS: T = T("数据需求", "Demands");
pub(crate) const DEMANDS_INTRO: T = T(
    "需求经运营单位预审、列入需求清单、市网络理政办审核、数据提供单位授权后交付（第十一至十四条）。",
    "A demand is pre-reviewed by the operator, listed, reviewed by the Governance Office, authorized by its providers, then delivered (Art. 11-14).",
);
pub(crate) const NEW_DEMAND: T = T("提出数据需求", "File a demand");
pub(crate) const NO_DEMANDS: T = T("暂无需求。", "No demands yet.");
pub(crate) const DEMAND: T = T("需求", "Demand");
pub(crate) const TITLE: T = T("需求名称", "Title");
pub(crate) const STATUS: T = T("状态", "Status");
pub(crate) const RESOURCES: T = T("所需数据资源", "Resources wanted");
pub(crate) const RESOURCES_HINT: T = T(
    "勾选运营清单中的数据资源；清单中没有的数据请在下方描述。",
    "Tick catalogue resources; describe data the catalogue lacks below.",
);
pub(crate) const PICK_FIELDS: T = T(
    "只需部分字段（不选则为全部字段）",
    "Only some fields (none ticked: every field)",
);
pub(crate) const WANTED: T = T("清单外数据需求描述", "Data not in the catalogue");
pub(crate) const MODES: T = T("使用方式", "Usage modes");
pub(crate) const SCENARIO: T = T(
    "具体应用场景（必填，无场景不授权）",
    "Concrete application scenario (required: no scenario, no authorization)",
);
pub(crate) const PURPOSE: T = T("使用目的", "Purpose");
pub(crate) const TERM_MONTHS: T = T("申请期限（月）", "Requested term (months)");
pub(crate) const CONSENT: T = T(
    "数据主体授权同意情况（如有）",
    "Data subjects' consent, if any",
);
pub(crate) const EVIDENCE: T = T(
    "授权同意证明文件（不超过 2 MiB，加密存储）",
    "Consent evidence file (up to 2 MiB, stored encrypted)",
);
pub(crate) const UPLOAD_EVIDENCE: T = T("上传证明文件", "Upload evidence");
pub(crate) const SAVE_DRAFT: T = T("保存草稿", "Save draft");
pub(crate) const SUBMIT: T = T("提交预审", "Submit for pre-review");
pub(crate) const WITHDRAW: T = T("撤回", "Withdraw");
pub(crate) const NOTE: T = T("意见", "Note");
pub(crate) const REASONS: T = T("理由", "Reasons");
pub(crate) const ACCEPT: T = T("预审通过", "Accept");
pub(crate) const RETURN: T = T("退回修改", "Return for changes");
pub(crate) const REJECT: T = T("不予受理", "Reject");
pub(crate) const REQUEUE: T = T("重新纳入清单", "Requeue");
pub(crate) const PRE_REVIEW: T = T("运营单位预审", "Operator's pre-review");
pub(crate) const OFFICE_REVIEW: T = T("市网络理政办审核", "Governance Office review");
pub(crate) const PASS: T = T("审核通过", "Pass");
pub(crate) const OFFICE_RETURN: T = T("退回", "Return");
pub(crate) const HOLDERS: T = T(
    "清单外数据的提供单位（预审通过时指定）",
    "Providers holding the uncatalogued data (named on acceptance)",
);
pub(crate) const ADD_TO_LIST: T = T("列入需求清单", "Put on a demand list");
pub(crate) const LISTS: T = T("需求清单", "Demand lists");
pub(crate) const LIST: T = T("清单", "List");
pub(crate) const PERIOD: T = T("期次", "Period");
pub(crate) const NEW_LIST: T = T("新建需求清单", "New demand list");
pub(crate) const SUBMIT_LIST: T = T("报送市网络理政办", "Submit to the Office");
pub(crate) const NO_LISTS: T = T("暂无需求清单。", "No demand lists yet.");
pub(crate) const DUE: T = T("办理期限", "Due");
pub(crate) const ASSESSMENTS: T = T("提供单位授权确认", "Providers' answers");
pub(crate) const PROVIDER: T = T("提供单位", "Provider");
pub(crate) const ANSWER: T = T("授权确认", "Answer");
pub(crate) const AUTHORIZE: T = T("同意授权", "Authorize");
pub(crate) const REFUSE: T = T("不予授权", "Refuse");
pub(crate) const GROUNDS: T = T("法律依据与理由", "Legal grounds and reasons");
pub(crate) const CONSENT_REFUSAL: T = T(
    "该需求已取得数据主体授权同意：不予授权须书面说明理由（至少 20 字），并将报市网络理政办。",
    "The data subjects consented: a refusal needs a written justification (20 characters or more) and is flagged to the Governance Office.",
);
pub(crate) const DEIDENTIFICATION: T = T("脱敏要求", "De-identification");
pub(crate) const REIDENTIFICATION: T = T("允许重新识别", "Re-identification allowed");
pub(crate) const QUOTA: T = T("使用额度", "Quota");
pub(crate) const DAILY_USE_LIMIT: T = T(
    "每日调用上限（每个使用单位，全部产品合计）",
    "Daily use limit (per user organisation, all products together)",
);
pub(crate) const NO_DAILY_LIMIT: T = T("不限", "No limit");
pub(crate) const CONDITIONS: T = T("其他条件", "Other conditions");
pub(crate) const TERM_UNTIL: T = T(
    "授权截止日期（空则按申请期限）",
    "Term ends (empty: as requested)",
);
pub(crate) const FLAGGED: T = T("已报市网络理政办", "Flagged to the Office");
pub(crate) const AUTHORIZATION: T = T("授权", "Authorization");
pub(crate) const STANDING: T = T("开放数据整体授权", "Standing authorization of open data");
pub(crate) const SCOPE: T = T("授权范围", "Scope");
pub(crate) const TERM: T = T("期限", "Term");
pub(crate) const TERMINATE: T = T("终止授权", "Terminate");
pub(crate) const TERMINATE_HINT: T = T(
    "终止须说明理由；市网络理政办、市新经济委将收到正式通知，运营单位同时获知，基于本授权的协议与使用立即停止（第十六条）。",
    "Termination needs stated grounds; the Office and the Committee receive formal notice, the operator is informed, and every agreement and use built on it stops at once (Art. 16).",
);
pub(crate) const TERMINATION_GROUNDS: T = T("终止理由", "Grounds");
pub(crate) const DELIVERY_TASK: T = T("数据交付任务", "Delivery task");
pub(crate) const AGREEMENTS: T = T("协议", "Agreements");
pub(crate) const AGREEMENT: T = T("协议", "Agreement");
pub(crate) const SIGNATURES: T = T("签署情况", "Signatures");
pub(crate) const SIGNED: T = T("已签署", "Signed");
pub(crate) const UNSIGNED: T = T("待签署", "Not signed");
pub(crate) const SIGN: T = T(
    "以本单位 SM2 密钥签署",
    "Sign with your organisation's SM2 key",
);
pub(crate) const IN_FORCE: T = T("生效中", "In force");
pub(crate) const NOT_IN_FORCE: T = T("未生效", "Not in force");
pub(crate) const DIGEST: T = T("SM3 摘要", "SM3 digest");
pub(crate) const EXPORT: T = T("导出协议文件（可离线验签）", "Export (verifiable offline)");
pub(crate) const DISPUTES: T = T("争议", "Disputes");
pub(crate) const DISPUTE: T = T("争议", "Dispute");
pub(crate) const RAISE_DISPUTE: T = T("提出争议", "Raise a dispute");
pub(crate) const SUBJECT: T = T("事由", "Subject");
pub(crate) const STATEMENT: T = T("陈述", "Statement");
pub(crate) const EXPERT_OPINION: T = T("专家咨询委员会意见", "Expert committee opinion");
pub(crate) const RESOLUTION: T = T("处理结果", "Resolution");
pub(crate) const TAKE_UP: T = T("受理协调", "Take up");
pub(crate) const REQUEST_OPINION: T = T("提请专家意见", "Request an expert opinion");
pub(crate) const GIVE_OPINION: T = T("提交专家意见", "Give the opinion");
pub(crate) const RESOLVE: T = T("记录处理结果", "Record the resolution");
pub(crate) const INBOX: T = T("消息", "Inbox");
pub(crate) const NO_NOTICES: T = T("暂无消息。", "No notices.");
pub(crate) const MARK_ALL_READ: T = T("全部标为已读", "Mark all read");
pub(crate) const UNREAD: T = T("未读", "Unread");
pub(crate) const QUEUE_EMPTY: T = T("当前没有待办事项。", "Nothing waits for you now.");
pub(crate) const OPEN: T = T("查看", "Open");
pub(crate) const WHAT: T = T("事项", "What");
pub(crate) const CREATED: T = T("提出时间", "Filed");
pub(crate) const USER: T = T("需求单位", "User");
pub(crate) const NONE: T = T("无", "None");
pub(crate) const PROVISIONAL: T = T(
    "（跨入日历未收录年份，按周一至周五估算）",
    " (runs into a year the calendar lacks: Monday to Friday assumed)",
);

pub(crate) fn demand_status(s: DemandStatus) -> T {
    use DemandStatus as S;
    match s {
        S::Draft => T("草稿", "Draft"),
        S::PreReview => T("待预审", "Pre-review"),
        S::Returned => T("已退回修改", "Returned"),
        S::Rejected => T("不予受理", "Rejected"),
        S::Withdrawn => T("已撤回", "Withdrawn"),
        S::Accepted => T("预审通过", "Accepted"),
        S::Listed => T("已列入清单", "On a list"),
        S::OfficeReview => T("理政办审核中", "With the Office"),
        S::OfficeReturned => T("理政办退回", "Returned by the Office"),
        S::WithProviders => T("提供单位确认中", "With providers"),
        S::Authorized => T("已授权待交付", "Authorized, awaiting delivery"),
        S::Refused => T("未获授权", "Refused"),
        S::Delivered => T("已交付", "Delivered"),
    }
}

pub(crate) fn list_status(s: DemandListStatus) -> T {
    match s {
        DemandListStatus::Draft => T("编制中", "Draft"),
        DemandListStatus::Submitted => T("审核中", "With the Office"),
        DemandListStatus::Reviewed => T("已审核", "Reviewed"),
    }
}

pub(crate) fn assessment_status(s: AssessmentStatus) -> T {
    match s {
        AssessmentStatus::Pending => T("待确认", "Pending"),
        AssessmentStatus::Authorized => T("已授权", "Authorized"),
        AssessmentStatus::Refused => T("不予授权", "Refused"),
    }
}

pub(crate) fn authorization_status(s: AuthorizationStatus) -> T {
    match s {
        AuthorizationStatus::Active => T("有效", "Active"),
        AuthorizationStatus::Terminated => T("已终止", "Terminated"),
    }
}

pub(crate) fn task_status(s: DeliveryTaskStatus) -> T {
    match s {
        DeliveryTaskStatus::Open => T("待交付", "Open"),
        DeliveryTaskStatus::Delivered => T("已交付", "Delivered"),
        DeliveryTaskStatus::Cancelled => T("已取消", "Cancelled"),
    }
}

pub(crate) fn agreement_kind(k: AgreementKind) -> T {
    match k {
        AgreementKind::Tripartite => T("三方协议", "Tripartite agreement"),
        AgreementKind::DataUse => T("数据利用协议", "Data use agreement"),
    }
}

pub(crate) fn agreement_status(s: AgreementStatus) -> T {
    match s {
        AgreementStatus::AwaitingSignatures => T("待签署", "Awaiting signatures"),
        AgreementStatus::Signed => T("已签署", "Signed"),
        AgreementStatus::Terminated => T("已终止", "Terminated"),
    }
}

pub(crate) fn dispute_status(s: DisputeStatus) -> T {
    match s {
        DisputeStatus::Open => T("待受理", "Open"),
        DisputeStatus::Coordinating => T("协调中", "Coordinating"),
        DisputeStatus::AwaitingExpert => T("待专家意见", "Awaiting the experts"),
        DisputeStatus::Resolved => T("已处理", "Resolved"),
        DisputeStatus::Withdrawn => T("已撤回", "Withdrawn"),
    }
}

pub(crate) fn mode(m: ServiceMode) -> T {
    match m {
        ServiceMode::Download => T("数据下载", "Download"),
        ServiceMode::QueryApi => T("查询接口", "Query API"),
        ServiceMode::VerificationApi => T("核验接口", "Verification API"),
        ServiceMode::Sandbox => T("数据沙箱", "Sandbox"),
        ServiceMode::JointComputation => T("联合建模计算", "Joint computation"),
        ServiceMode::Consulting => T("数据咨询", "Consulting"),
    }
}

pub(crate) fn deidentification(level: &str) -> T {
    match level {
        "de-identified" => T("去标识化", "De-identified"),
        "anonymised" => T("匿名化", "Anonymised"),
        "aggregated" => T("仅统计结果", "Aggregated results only"),
        "sandbox-only" => T("仅限沙箱内使用", "Sandbox only"),
        _ => T("开放数据", "Open data"),
    }
}

/// Working days left, in words.
pub(crate) fn due_words(lang: Lang, state: DueState) -> String {
    match (lang, state) {
        (Lang::Zh, DueState::Ahead(n)) => format!("剩余 {n} 个工作日"),
        (Lang::Zh, DueState::DueToday) => "今日到期".to_owned(),
        (Lang::Zh, DueState::Overdue(n)) => format!("已逾期 {n} 个工作日"),
        (Lang::En, state) => state.to_string(),
    }
}

/// A notice's kind, in words.
pub(crate) fn notice(kind: &str) -> T {
    match kind {
        "demand.submitted" => T("有新的需求待预审", "A demand awaits pre-review"),
        "demand.withdrawn" => T("需求已撤回", "A demand was withdrawn"),
        "demand.accepted" => T("需求已通过预审", "Your demand was accepted"),
        "demand.returned" => T("需求被退回修改", "Your demand was returned for changes"),
        "demand.rejected" => T("需求不予受理", "Your demand was rejected"),
        "demand.requeued" => T("需求已重新纳入清单", "Your demand was requeued"),
        "demand.office-returned" => T("需求被市网络理政办退回", "The Office returned a demand"),
        "demand.authorized" => T("需求已获授权", "A demand was authorized"),
        "demand.refused" => T("需求未获授权", "A demand was refused"),
        "demand.delivered" => T("需求数据已交付", "A demand's data was delivered"),
        "demand-list.submitted" => T("有需求清单待审核", "A demand list awaits review"),
        "demand-list.reviewed" => T("需求清单已审核完毕", "A demand list was reviewed"),
        "assessment.due" => T("有需求待授权确认", "A demand awaits your answer"),
        "assessment.authorized" => T("提供单位已同意授权", "A provider authorized a demand"),
        "assessment.refused" => T("提供单位不予授权", "A provider refused a demand"),
        "assessment.refused-despite-consent" => T(
            "提供单位对已获数据主体同意的需求不予授权",
            "A provider refused a demand the data subjects consented to",
        ),
        "agreement.to-sign" => T("有协议待签署", "An agreement awaits your signature"),
        "agreement.signed" => T(
            "协议已全部签署生效",
            "An agreement is signed by every party",
        ),
        "authorization.terminated" => T(
            "授权已终止（正式通知）",
            "An authorization was terminated (formal notice)",
        ),
        "delivery-task.delivered" => T("数据已交付", "Data was delivered"),
        "product.created" => T(
            "基于您的数据新建了产品，请设定限价",
            "A product was built on your data: set its price cap",
        ),
        "product.withdrawn" => T(
            "基于您的数据的产品已注销",
            "A product built on your data was withdrawn",
        ),
        "demand-list.overdue" => T("需求清单审核已逾期", "A demand list's review is overdue"),
        "assessment.overdue" => T("授权确认已逾期", "A provider's answer is overdue"),
        "delivery-task.overdue" => T("数据交付已逾期", "A delivery is overdue"),
        "dispute.raised" => T("有新的争议", "A dispute was raised"),
        "dispute.take-up" => T("争议已受理", "A dispute was taken up"),
        "dispute.request-opinion" => T("争议待专家意见", "A dispute awaits the experts' opinion"),
        "dispute.give-opinion" => T("专家意见已提交", "The experts gave their opinion"),
        "dispute.resolve" => T("争议已处理", "A dispute was resolved"),
        "dispute.withdraw" => T("争议已撤回", "A dispute was withdrawn"),
        "supply.suspended" => T(
            "市大数据中心暂停了数据供给",
            "The Big Data Center suspended supply",
        ),
        "supply.rectified" => T(
            "运营单位已报告整改",
            "The operator reported its rectification",
        ),
        "supply.resumed" => T("数据供给已恢复", "Supply was resumed"),
        "consulting.opened" => T("有新的咨询服务工单", "A consulting order was opened"),
        "consulting.message" => T(
            "咨询服务工单有新消息",
            "A consulting order has a new message",
        ),
        _ => T("平台通知", "Platform notice"),
    }
}

pub(crate) const PUBLIC_INTEREST: T = T(
    "用于公共治理、公益事业或非商业学术研究（经审核通过后免费使用）",
    "For public governance, public welfare or non-commercial research (free of charge once the review passes)",
);
