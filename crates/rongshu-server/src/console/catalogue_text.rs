//! The catalogue pages' words, in Chinese and English.

use super::i18n::T;

pub(crate) const CATALOGUE: T = T("运营清单", "Catalogue");
pub(crate) const OPEN_DATA: T = T("开放数据目录", "Open data");
pub(crate) const OPEN_DATA_INTRO: T = T(
    "以下数据已在市公共数据开放平台发布，适用第十三条的长期授权，无需登录即可查看。",
    "These resources are published on the city's open data platform and fall under the standing authorization of Art. 13; no sign-in needed.",
);
pub(crate) const CATALOGUE_INTRO: T = T(
    "可供运营的公共数据资源，含分级、服务方式和提供单位。",
    "Public data resources available for operation, with their grade, service modes and provider.",
);
pub(crate) const SEARCH: T = T("搜索", "Search");
pub(crate) const KEYWORDS: T = T("关键词", "Keywords");
pub(crate) const THEME: T = T("主题", "Theme");
pub(crate) const GRADE: T = T("分级", "Grade");
pub(crate) const ANY: T = T("全部", "Any");
pub(crate) const ONLY_OPEN: T = T("仅开放数据", "Open data only");
pub(crate) const RESOURCE: T = T("数据资源", "Resource");
pub(crate) const PROVIDER: T = T("提供单位", "Provider");
pub(crate) const MODES: T = T("服务方式", "Service modes");
pub(crate) const ROWS: T = T("记录数", "Rows");
pub(crate) const UPDATED: T = T("最近交付", "Last delivered");
pub(crate) const LATE: T = T("更新滞后", "Update late");
pub(crate) const OPEN: T = T("开放", "Open");
pub(crate) const NONE_FOUND: T = T("没有符合条件的数据资源。", "No resource matches.");
pub(crate) const NEW_RESOURCE: T = T("登记新数据资源", "Describe a new resource");
pub(crate) const CODE: T = T("资源代码", "Code");
pub(crate) const TITLE: T = T("名称", "Title");
pub(crate) const DESCRIPTION: T = T("描述", "Description");
pub(crate) const FREQUENCY: T = T("更新频率", "Update frequency");
pub(crate) const CREATE: T = T("创建", "Create");
pub(crate) const FIELDS: T = T("字段与分类分级", "Fields, classification and grading");
pub(crate) const FIELD: T = T("字段", "Field");
pub(crate) const TYPE: T = T("类型", "Type");
pub(crate) const DETECTED: T = T("识别结果", "Detected");
pub(crate) const SHARE: T = T("匹配比例", "Share");
pub(crate) const SUGGESTED: T = T("建议级别", "Suggested");
pub(crate) const SENSITIVITY: T = T("确定级别", "Level in force");
pub(crate) const NOT_GRADED: T = T(
    "尚未交付，待首次交付后分级。",
    "Not delivered yet: graded after the first delivery.",
);
pub(crate) const CONFIRMED: T = T("已确认", "Confirmed");
pub(crate) const UNCONFIRMED: T = T("待确认（系统建议）", "Awaiting confirmation (suggested)");
pub(crate) const CONFIRM_GRADING: T = T("确认分级", "Confirm grading");
pub(crate) const REASON: T = T(
    "调整理由（偏离建议时必填）",
    "Reason (required when departing from the suggestion)",
);
pub(crate) const REGISTRATION: T = T("资源登记", "Registration");
pub(crate) const REG_STATUS: T = T("登记状态", "Status");
pub(crate) const REG_NONE: T = T("未登记", "Not registered");
pub(crate) const REG_CODE: T = T("登记编码", "Register code");
pub(crate) const DATA_TYPE: T = T("数据类型", "Data type");
pub(crate) const DATA_FORMAT: T = T("数据格式", "Data format");
pub(crate) const STORAGE: T = T("存储方式", "Storage");
pub(crate) const DOCUMENTATION: T = T("说明文档", "Documentation");
pub(crate) const ACTION: T = T("登记操作", "Register step");
pub(crate) const EDIT_ONLY: T = T("仅修改登记信息", "Edit the record only");
pub(crate) const REGISTER: T = T("首次登记", "Register");
pub(crate) const CHANGE: T = T("变更登记", "Record a change");
pub(crate) const CANCEL: T = T("注销登记", "Cancel");
pub(crate) const EXPORT_REGISTRATIONS: T = T("导出登记信息（CSV）", "Export registrations (CSV)");
pub(crate) const VERSIONS: T = T("版本", "Versions");
pub(crate) const VERSION: T = T("版本号", "Version");
pub(crate) const DELIVERED_AT: T = T("交付时间", "Delivered");
pub(crate) const CHANNEL: T = T("交付通道", "Channel");
pub(crate) const SIZE: T = T("大小", "Size");
pub(crate) const DIGEST: T = T("SM3 摘要", "SM3 digest");
pub(crate) const INGESTS: T = T("交付记录", "Ingests");
pub(crate) const FILE: T = T("文件", "File");
pub(crate) const PROGRESS: T = T("进度", "Progress");
pub(crate) const BAD_ROWS: T = T("错误行", "Bad rows");
pub(crate) const ERROR_REPORT: T = T("下载错误报告", "Error report");
pub(crate) const DELIVER: T = T("交付数据", "Deliver data");
pub(crate) const DELIVER_INTRO: T = T(
    "支持 CSV（UTF-8 或 GB18030，任意分隔符）、XLSX、JSON、NDJSON 和 Parquet。文件边上传边入库，全程加密，不落明文。",
    "CSV (UTF-8 or GB18030, any delimiter), XLSX, JSON, NDJSON and Parquet. The file is ingested as it uploads and sealed on the way: no plaintext touches the disk.",
);
pub(crate) const ENCODING: T = T("编码", "Encoding");
pub(crate) const DETECT: T = T("自动识别", "Detect");
pub(crate) const SHEET: T = T("工作表（XLSX）", "Sheet (XLSX)");
pub(crate) const TYPES: T = T(
    "字段类型（可选，如 金额:decimal）",
    "Field types (optional, e.g. amount:decimal)",
);
pub(crate) const UPLOAD: T = T("上传并入库", "Upload and ingest");
pub(crate) const NEEDS_SCRIPT: T = T(
    "上传需要启用浏览器脚本；也可通过前置系统接口交付。",
    "Uploading needs scripts enabled; the front system's API works without.",
);
pub(crate) const INGEST: T = T("交付报告", "Ingest report");
pub(crate) const STATE: T = T("状态", "State");
pub(crate) const STARTED: T = T("开始时间", "Started");
pub(crate) const FINISHED: T = T("结束时间", "Finished");
pub(crate) const REFRESHING: T = T(
    "入库进行中，本页每两秒刷新。",
    "Ingesting; this page refreshes every two seconds.",
);
pub(crate) const SIGN_IN_FOR_MORE: T = T(
    "登录后可查看完整运营清单。",
    "Sign in to see the whole catalogue.",
);
pub(crate) const SIGN_IN: T = T("登录", "Sign in");

pub(crate) fn ingest_state(state: &str) -> T {
    match state {
        "running" => T("入库中", "Running"),
        "succeeded" => T("成功", "Succeeded"),
        "failed" => T("失败", "Failed"),
        _ => T("已中止", "Abandoned"),
    }
}

pub(crate) fn mode(m: &str) -> T {
    match m {
        "download" => T("数据下载", "Download"),
        "query-api" => T("查询接口", "Query API"),
        "verification-api" => T("核验接口", "Verification API"),
        "sandbox" => T("数据沙箱", "Sandbox"),
        "joint-computation" => T("联合计算", "Joint computation"),
        _ => T("咨询服务", "Consulting"),
    }
}

pub(crate) fn frequency(f: &str) -> T {
    match f {
        "real-time" => T("实时", "Real time"),
        "daily" => T("每日", "Daily"),
        "weekly" => T("每周", "Weekly"),
        "monthly" => T("每月", "Monthly"),
        "quarterly" => T("每季度", "Quarterly"),
        "yearly" => T("每年", "Yearly"),
        _ => T("不定期", "Irregular"),
    }
}

pub(crate) fn grade(g: &str) -> T {
    match g {
        "general-1" => T("一般数据（1级）", "General, level 1"),
        "general-2" => T("一般数据（2级）", "General, level 2"),
        "general-3" => T("一般数据（3级）", "General, level 3"),
        "general-4" => T("一般数据（4级）", "General, level 4"),
        "important" => T("重要数据", "Important"),
        _ => T("核心数据", "Core"),
    }
}

pub(crate) fn kind(k: &str) -> T {
    match k {
        "resident_id" => T("居民身份证号", "Resident ID number"),
        "mobile" => T("手机号码", "Mobile number"),
        "landline" => T("固定电话", "Landline"),
        "bank_card" => T("银行卡号", "Bank card"),
        "credit_code" => T("统一社会信用代码", "Credit code"),
        "email" => T("电子邮箱", "E-mail"),
        "licence_plate" => T("机动车号牌", "Licence plate"),
        "ip_address" => T("IP 地址", "IP address"),
        "birth_date" => T("出生日期", "Birth date"),
        "person_name" => T("姓名", "Personal name"),
        _ => T("地址", "Address"),
    }
}

pub(crate) fn registration_status(s: &str) -> T {
    match s {
        "first-registered" => T("已首次登记", "Registered"),
        "changed" => T("已变更登记", "Changed"),
        _ => T("已注销", "Cancelled"),
    }
}
