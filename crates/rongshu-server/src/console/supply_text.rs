//! The supply pages' words (suspensions, usage), in Chinese and English.

use super::i18n::T;

pub(crate) const SUSPENSIONS: T = T("供应暂停", "Suspensions of supply");
pub(crate) const SUSPENSIONS_INTRO: T = T(
    "大数据中心发现违规时可暂停数据供应（按资源、提供单位、使用单位或全平台），运营单位整改后由大数据中心恢复；暂停在下一次调用时即在所有服务进程生效（第十六、十七条）。",
    "When the Big Data Center finds a breach it suspends supply (per resource, provider, user organisation or platform-wide); the operator rectifies and the Center resumes. A suspension stops the very next call in every server (Art. 16, 17).",
);
pub(crate) const NO_SUSPENSIONS: T = T("没有暂停记录。", "No suspensions.");
pub(crate) const SUSPEND: T = T("暂停供应", "Suspend supply");
pub(crate) const SCOPE: T = T("范围", "Scope");
pub(crate) const PLATFORM: T = T("全平台", "The whole platform");
pub(crate) const RESOURCE: T = T("资源", "Resource");
pub(crate) const PROVIDER: T = T("提供单位", "Provider");
pub(crate) const USER_ORG: T = T("使用单位", "User organisation");
pub(crate) const FINDINGS: T = T("检查发现", "Findings");
pub(crate) const SUSPENDED_AT: T = T("暂停时间", "Suspended");
pub(crate) const RECTIFICATION: T = T("整改情况", "Rectification");
pub(crate) const RECORD_RECTIFICATION: T = T("记录整改", "Record the rectification");
pub(crate) const RESUME: T = T("恢复供应", "Resume supply");
pub(crate) const AWAITING_RECTIFICATION: T = T(
    "待运营单位记录整改情况后方可恢复供应。",
    "Supply can resume once the operator has recorded its rectification.",
);
pub(crate) const STATUS: T = T("状态", "Status");
pub(crate) const IN_FORCE: T = T("暂停中", "In force");
pub(crate) const RESUMED: T = T("已恢复", "Resumed");
pub(crate) const USAGE: T = T("使用统计", "Usage");
pub(crate) const USAGE_INTRO: T = T(
    "按月统计的数据产品使用量与费用：本单位的用量与对账单；运营单位和监管单位可见全部。政府部门使用免费。",
    "Metered use of data products by month: your organisation's use and statement; the operator and supervisors see everyone's. Government users pay nothing.",
);
pub(crate) const MONTH: T = T("月份", "Month");
pub(crate) const SHOW: T = T("查看", "Show");
pub(crate) const BY_PRODUCT: T = T("按产品", "By product");
pub(crate) const BY_ORG: T = T("按使用单位", "By organisation");
pub(crate) const PRODUCT: T = T("产品", "Product");
pub(crate) const ORGANISATION: T = T("单位", "Organisation");
pub(crate) const CALLS: T = T("调用次数", "Calls");
pub(crate) const RECORDS: T = T("记录数", "Records");
pub(crate) const DOWNLOADS: T = T("下载次数", "Downloads");
pub(crate) const AMOUNT: T = T("金额（元）", "Amount (yuan)");
pub(crate) const STATEMENT: T = T("本单位对账单合计", "Your organisation's statement total");
pub(crate) const NO_USAGE: T = T("该月没有使用记录。", "No use that month.");
