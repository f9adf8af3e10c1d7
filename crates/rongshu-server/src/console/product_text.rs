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
