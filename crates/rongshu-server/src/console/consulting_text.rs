//! The consulting pages' words, in Chinese and English.

use super::i18n::T;

pub(crate) const CONSULTING: T = T("数据咨询", "Consulting");
pub(crate) const CONSULTING_INTRO: T = T(
    "基于已授权数据的咨询服务工单：使用单位提问，运营单位答复并交付成果文件（文件加密存放）；每个工单都在数据利用协议下开立并记入日志（第五条）。",
    "Consulting work orders on authorized data: the user asks, the operator answers and delivers files (sealed at rest); each order is opened under a data use agreement and ledgered (Art. 5).",
);
pub(crate) const NO_ORDERS: T = T("暂无咨询工单。", "No consulting orders.");
pub(crate) const OPEN_ORDER: T = T("提交咨询", "Open an order");
pub(crate) const PRODUCT: T = T("咨询服务", "Consulting product");
pub(crate) const SUBJECT: T = T("主题", "Subject");
pub(crate) const QUESTION: T = T("问题", "Question");
pub(crate) const STATUS: T = T("状态", "Status");
pub(crate) const UPDATED: T = T("更新时间", "Updated");
pub(crate) const MESSAGES: T = T("往来消息", "Messages");
pub(crate) const REPLY: T = T("回复", "Reply");
pub(crate) const SEND: T = T("发送", "Send");
pub(crate) const DELIVER_FILE: T = T("交付成果文件", "Deliver a file");
pub(crate) const FILE: T = T("文件", "File");
pub(crate) const NOTE: T = T("说明", "Note");
pub(crate) const UPLOAD: T = T("上传", "Upload");
pub(crate) const CLOSE: T = T("关闭工单", "Close the order");
pub(crate) const FROM_OPERATOR: T = T("运营单位", "Operator");
pub(crate) const FROM_USER: T = T("使用单位", "User");

pub(crate) fn status(s: &str) -> T {
    match s {
        "open" => T("待答复", "Awaiting an answer"),
        "answered" => T("已答复", "Answered"),
        _ => T("已关闭", "Closed"),
    }
}
