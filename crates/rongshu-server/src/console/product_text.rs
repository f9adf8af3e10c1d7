//! The product pages' words, in Chinese and English.

use super::i18n::T;

pub(crate) const PRODUCTS: T = T("数据产品", "Data products");
pub(crate) const PRODUCTS_INTRO: T = T(
    "运营单位在授权范围内加工形成的数据产品和服务；每次调用均核验数据利用协议、授权状态与供应暂停情况，并记入日志（第五、十五、十七条）。",
    "Products the operator builds within authorizations; every call checks the data use agreement, the authorization and any suspension of supply, and is ledgered (Art. 5, 15, 17).",
);
pub(crate) const NO_PRODUCTS: T = T("暂无数据产品。", "No products yet.");
pub(crate) const CODE: T = T("代码", "Code");
pub(crate) const NAME: T = T("名称", "Name");
pub(crate) const MODES: T = T("服务方式", "Modes");
pub(crate) const FIELDS: T = T("输出字段", "Output fields");
pub(crate) const PRICE: T = T("价格（分/单位）", "Price (fen per unit)");
pub(crate) const PRICE_CAP: T = T("授权方限价（分）", "Price cap (fen)");
pub(crate) const NO_CAP: T = T("未设限价", "No cap");
pub(crate) const BILLING_UNIT: T = T("计费单位", "Billing unit");
pub(crate) const PIPELINE: T = T(
    "加工流水线（清洗与脱敏）",
    "Pipeline (cleaning and de-identification)",
);
pub(crate) const REFERENCE: T = T("调用说明", "How to call it");
pub(crate) const REFERENCE_HINT: T = T(
    "设置环境变量 RONGSHU_URL（平台地址）与 RONGSHU_API_KEY（在“设置”中创建的 API 密钥）后运行：",
    "Set RONGSHU_URL (the platform's address) and RONGSHU_API_KEY (an API key made under Settings), then run:",
);
pub(crate) const DOWNLOAD: T = T("下载", "Download");
pub(crate) const DOWNLOAD_HINT: T = T(
    "下载包为 ZIP，内含脱敏后的数据和 metadata.json（数据来源引用、版本与加工报告）。",
    "The package is a ZIP holding the de-identified data and metadata.json (citation line, version and processing report).",
);
pub(crate) const FORMAT: T = T("格式", "Format");
pub(crate) const DOWNLOAD_STARTED: T = T("正在生成下载包…", "Preparing the package…");
pub(crate) const RECEIVED: T = T("已接收", "Received");
pub(crate) const DOWNLOADED: T = T("已下载", "Downloaded");

pub(crate) fn format_name(format: &str) -> T {
    match format {
        "csv" => T("CSV（UTF-8）", "CSV (UTF-8)"),
        "csv-gb18030" => T(
            "CSV（GB18030，适用于中文 Excel）",
            "CSV (GB18030, for Chinese Excel)",
        ),
        "xlsx" => T("Excel（XLSX）", "Excel (XLSX)"),
        "json" => T("JSON", "JSON"),
        _ => T("Parquet", "Parquet"),
    }
}

pub(crate) fn unit_name(unit: &str) -> T {
    match unit {
        "per-call" => T("按次", "per call"),
        "per-record" => T("按条", "per record"),
        "per-download" => T("按下载", "per download"),
        _ => T("按期（月）", "per month"),
    }
}

pub(crate) const NEW_PRODUCT: T = T("新建数据产品", "New product");
pub(crate) const EDIT_PRODUCT: T = T("修改数据产品", "Change the product");
pub(crate) const DESCRIPTION: T = T("说明", "Description");
pub(crate) const BUILT_ON: T = T("授权与资源", "Authorization and resource");
pub(crate) const AUTHORIZATION: T = T("授权", "Authorization");
pub(crate) const ALL_FIELDS: T = T("全部字段", "all fields");
pub(crate) const LIST_HINT: T = T(
    "多个字段用逗号、顿号或换行分隔。",
    "Separate several fields with commas or new lines.",
);
pub(crate) const PIPELINE_HINT: T = T(
    "JSON 或 TOML 文档，例如 {\"steps\":[{\"op\":\"mask\",\"field\":\"姓名\",\"preset\":\"name\"}]}；保存和调用时均核验不超出授权的字段与脱敏要求。",
    "A JSON or TOML document, e.g. {\"steps\":[{\"op\":\"mask\",\"field\":\"姓名\",\"preset\":\"name\"}]}; checked against the authorization's fields and de-identification when saved and when it runs.",
);
pub(crate) const QUERY_PARAMETERS: T = T("查询参数（查询接口）", "Query parameters (query API)");
pub(crate) const MAX_ROWS: T = T("每次最多返回行数", "Most rows per call");
pub(crate) const VERIFY_KEY: T = T("核验定位字段（核验接口）", "Verification key field");
pub(crate) const VERIFY_FIELDS: T = T("核验比对字段", "Fields a verification compares");
pub(crate) const DAILY_QUOTA: T = T("每日调用限额", "Daily call quota");
pub(crate) const RATE: T = T("每分钟调用上限", "Calls per minute");
pub(crate) const NO_LIMIT: T = T("留空表示不限", "Empty: no limit");
pub(crate) const PREVIEW: T = T("预览前若干行", "Preview the first rows");
pub(crate) const SAVE: T = T("保存", "Save");
pub(crate) const CHANGE: T = T("修改", "Change");
pub(crate) const BEFORE: T = T("加工前（交付数据）", "Before (as delivered)");
pub(crate) const AFTER: T = T("加工后（对外提供）", "After (as served)");
pub(crate) const PREVIEW_FIGURES: T = T(
    "读取行数 / 输出行数 / 清洗拒绝 / 去重",
    "Rows read / put out / rejected by cleaning / duplicates dropped",
);
pub(crate) const K_FIGURES: T = T(
    "k-匿名（全量统计）：要求 k / 实际最小组 / 抑制行 / 剔除行 / 信息损失",
    "k-anonymity (over every row): k / smallest group / rows suppressed / dropped / information lost",
);
pub(crate) const ONE_OFF_KEYS: T = T(
    "产品尚未保存：预览中的假名和令牌使用一次性密钥，与保存后的结果不同。",
    "Not saved yet: pseudonyms and tokens in this preview use one-off keys and will differ once saved.",
);
pub(crate) const DETAILS: T = T("详细说明", "Details");
pub(crate) const NOTHING_TO_BUILD_ON: T = T(
    "尚无生效的授权，不能新建数据产品。",
    "No authorization is in force: there is nothing to build on yet.",
);

pub(crate) const WITHDRAW: T = T("注销产品", "Withdraw the product");
pub(crate) const WITHDRAW_HINT: T = T(
    "注销后该产品不再提供任何服务（各服务器下一次调用即拒绝），从价格公示中移除，且不可恢复；请写明理由，理由将记入台账并通知数据提供方。",
    "Once withdrawn the product serves nothing more (the next call is refused on every server) and leaves the price list, for good; state the reason: it is ledgered and the data's provider is told.",
);
pub(crate) const WITHDRAWAL_REASON: T = T("注销理由", "Reason");
pub(crate) const WITHDRAWN: T = T("已注销", "Withdrawn");
pub(crate) const WITHDRAWN_ON: T = T(
    "该产品已注销，不再提供服务。注销时间：",
    "This product was withdrawn from service on ",
);
pub(crate) const SET_CAP: T = T("设定限价", "Set the price cap");
pub(crate) const CAP_HINT: T = T(
    "作为数据提供方，为该产品设定价格上限（分/单位）；留空表示取消限价。运营单位定价不得高于限价。",
    "As the data's provider, cap this product's price (fen per unit); empty removes the cap. The operator may not price above it.",
);
pub(crate) const FEEDBACK: T = T("使用反馈", "Usage feedback");
pub(crate) const FEEDBACK_INTRO: T = T(
    "使用单位应反馈利用公共数据形成的成果（产品、报告、论文、应用）；首次使用满 90 天仍未反馈的列为逾期（第十五条）。",
    "Users report what they made with public data (product, report, paper, application); no report 90 days after first use is overdue (Art. 15).",
);
pub(crate) const FEEDBACK_HINT: T = T(
    "给出成果的链接，或上传成果文件（报告、论文等，加密保存，仅本单位和运营、监管方可下载），或两者都给。",
    "Give a link to the work, or upload it as a file (a report, a paper: kept encrypted, downloadable by your organisation and those who follow feedback only), or both.",
);
pub(crate) const FILE: T = T("文件", "File");
pub(crate) const FILE_FEEDBACK: T = T("提交反馈", "File feedback");
pub(crate) const KIND: T = T("成果类型", "Kind");
pub(crate) const TITLE: T = T("标题", "Title");
pub(crate) const LINK: T = T("链接", "Link");
pub(crate) const FILED: T = T("提交时间", "Filed");
pub(crate) const NO_FEEDBACK: T = T("暂无反馈。", "No feedback yet.");
pub(crate) const OVERDUE: T = T("逾期未反馈", "Overdue feedback");
pub(crate) const FIRST_USED: T = T("首次使用", "First used");
pub(crate) const DUE: T = T("应反馈日期", "Due");
pub(crate) const NONE_OVERDUE: T = T("没有逾期未反馈的单位。", "Nobody is overdue.");

pub(crate) fn feedback_kind(kind: &str) -> T {
    match kind {
        "product" => T("产品", "Product"),
        "report" => T("报告", "Report"),
        "paper" => T("论文", "Paper"),
        _ => T("应用", "Application"),
    }
}
