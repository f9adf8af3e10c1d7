//! Console text in Simplified Chinese (the default) and English. Every
//! string is a [`T`], which cannot be built without both languages.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use rongshu_domain::{PartyType, Role};

use crate::auth::{LANG_COOKIE, cookie};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn of_headers(headers: &HeaderMap) -> Lang {
        match cookie(headers, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> (Lang, &'static str, &'static str) {
        match self {
            Lang::Zh => (Lang::En, "en", "English"),
            Lang::En => (Lang::Zh, "zh", "中文"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::of_headers(&parts.headers))
    }
}

/// One piece of text in both languages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct T(pub &'static str, pub &'static str);

impl T {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.0,
            Lang::En => self.1,
        }
    }
}

pub(crate) const PRODUCT: T = T(
    "蓉数 · 公共数据运营服务平台",
    "Rongshu · Public Data Operation Platform",
);
pub(crate) const SIGN_IN: T = T("登录", "Sign in");
pub(crate) const SIGN_OUT: T = T("退出", "Sign out");
pub(crate) const USERNAME: T = T("用户名", "User name");
pub(crate) const PASSWORD: T = T("密码", "Password");
pub(crate) const HOME: T = T("工作台", "Workbench");
pub(crate) const LEDGER: T = T("全流程日志", "Ledger");
pub(crate) const SETTINGS: T = T("账号设置", "Account settings");
pub(crate) const API_DOCS: T = T("接口文档", "API reference");
pub(crate) const SIGN_IN_INTRO: T = T(
    "依据《成都市公共数据运营服务管理办法》，平台上的每一次操作都会被记录并可审计。",
    "Under the Chengdu Public Data Operation Service Measures, every action on this platform is recorded and auditable.",
);
pub(crate) const ORGANIZATION: T = T("所属单位", "Organisation");
pub(crate) const ROLE: T = T("角色", "Role");
pub(crate) const PARTY: T = T("主体类型", "Party");
pub(crate) const ACCOUNTS_IN_ORG: T = T("本单位账号数", "Accounts in your organisation");
pub(crate) const DUTIES: T = T("本单位在平台上的职责", "What your organisation does here");
pub(crate) const WORK_QUEUES: T = T("待办工作", "Work queues");
pub(crate) const CHANGE_PASSWORD: T = T("修改密码", "Change password");
pub(crate) const CURRENT_PASSWORD: T = T("当前密码", "Current password");
pub(crate) const NEW_PASSWORD: T = T("新密码", "New password");
pub(crate) const PASSWORD_RULES: T = T(
    "至少 10 个字符，包含小写字母、大写字母、数字、符号中的至少三类，且不含用户名。修改后需重新登录。",
    "At least 10 characters from three of: lower-case, upper-case, digits, symbols; not containing the user name. You will sign in again afterwards.",
);
pub(crate) const SAVE: T = T("保存", "Save");
pub(crate) const API_KEYS: T = T("接口密钥", "API keys");
pub(crate) const API_KEYS_INTRO: T = T(
    "供程序调用接口使用。密钥只在创建时显示一次，平台只保存其带密钥的哈希值。",
    "For programs calling the API. A key is shown once, when created; the platform keeps only a keyed hash of it.",
);
pub(crate) const KEY_NAME: T = T("名称", "Name");
pub(crate) const KEY_DAYS: T = T("有效天数", "Valid for (days)");
pub(crate) const KEY_SURFACE: T = T("用于", "For");
pub(crate) const PUBLIC_KEY: T = T("公共接口", "Public API");
pub(crate) const FRONT_KEY: T = T("前置系统", "Front system");
pub(crate) const CREATE_KEY: T = T("创建密钥", "Create key");
pub(crate) const KEY_PREFIX: T = T("前缀", "Prefix");
pub(crate) const CREATED_AT: T = T("创建时间", "Created");
pub(crate) const EXPIRES_AT: T = T("到期时间", "Expires");
pub(crate) const STATUS: T = T("状态", "Status");
pub(crate) const ACTIVE: T = T("有效", "Active");
pub(crate) const REVOKED: T = T("已吊销", "Revoked");
pub(crate) const EXPIRED: T = T("已过期", "Expired");
pub(crate) const REVOKE: T = T("吊销", "Revoke");
pub(crate) const NO_KEYS: T = T("尚未创建接口密钥。", "No API keys yet.");
pub(crate) const NEW_KEY_SHOWN_ONCE: T = T(
    "新密钥如下，请立即妥善保存，关闭页面后将无法再次查看：",
    "Your new key is below. Store it now: it cannot be shown again.",
);
pub(crate) const WEBHOOKS: T = T("消息推送（Webhook）", "Webhooks");
pub(crate) const WEBHOOKS_INTRO: T = T(
    "本单位的每条消息都会推送到以下地址，请求头 x-rongshu-signature 为以密钥对“时间戳.正文”计算的 HMAC-SM3。",
    "Every notice of your organisation is posted to these addresses; the x-rongshu-signature header is the HMAC-SM3 of \"timestamp.body\" under the secret.",
);
pub(crate) const ADD_WEBHOOK: T = T("添加推送地址", "Add webhook");
pub(crate) const NEW_WEBHOOK_SHOWN_ONCE: T = T(
    "推送密钥如下，请立即配置到接收系统，关闭页面后将无法再次查看：",
    "The webhook's secret is below. Configure it in the receiving system now: it cannot be shown again.",
);
pub(crate) const KEY_REVOKED: T = T("密钥已吊销。", "The key was revoked.");
pub(crate) const FILTER: T = T("筛选", "Filter");
pub(crate) const ACTOR: T = T("操作人", "Actor");
pub(crate) const ACTION: T = T("操作", "Action");
pub(crate) const OBJECT_TYPE: T = T("对象类型", "Object type");
pub(crate) const OBJECT_ID: T = T("对象标识", "Object id");
pub(crate) const SINCE: T = T("起始时间", "From");
pub(crate) const UNTIL: T = T("截止时间", "Until");
pub(crate) const TIME: T = T("时间", "Time");
pub(crate) const SEQ: T = T("序号", "Seq");
pub(crate) const OUTCOME: T = T("结果", "Outcome");
pub(crate) const REASON: T = T("原因", "Reason");
pub(crate) const SEGMENT: T = T("责任环节", "Segment");
pub(crate) const CLIENT: T = T("来源地址", "Client");
pub(crate) const REQUEST_ID: T = T("请求编号", "Request id");
pub(crate) const FIELD: T = T("字段", "Field");
pub(crate) const OLDER: T = T("更早的记录", "Older entries");
pub(crate) const NO_ENTRIES: T = T("没有符合条件的记录。", "No entries match.");
pub(crate) const LEDGER_INTRO: T = T(
    "每条记录以 SM3 哈希与前一条相连，任何篡改、删除或调换都能被校验发现。",
    "Each entry is chained to the one before by an SM3 hash: any alteration, removal or reordering is detectable.",
);
pub(crate) const LEDGER_SCOPE_ALL: T = T("您可查看全部记录。", "You see every entry.");
pub(crate) const LEDGER_SCOPE_OWN: T = T(
    "您可查看本单位的记录。",
    "You see your organisation's entries.",
);
pub(crate) const SUCCESS: T = T("成功", "Success");
pub(crate) const DENIED: T = T("拒绝", "Denied");
pub(crate) const FAILED: T = T("失败", "Failed");
pub(crate) const ERROR_TITLE: T = T("无法完成请求", "The request could not be completed");
pub(crate) const BACK_HOME: T = T("返回工作台", "Back to the workbench");
pub(crate) const PASSWORD_CHANGED: T = T(
    "密码已修改，请重新登录。",
    "Your password was changed. Please sign in again.",
);
pub(crate) const SIGNED_OUT: T = T("您已安全退出。", "You have signed out.");
pub(crate) const FOOTER: T = T(
    "每一次操作均记录于 SM3 哈希链日志",
    "Every action is recorded in an SM3 hash-chained ledger",
);
pub(crate) const ACCOUNTS: T = T("账号管理", "Accounts");
pub(crate) const SHOW: T = T("查看", "Show");
pub(crate) const DISPLAY_NAME: T = T("姓名", "Name");
pub(crate) const DISABLED: T = T("已停用", "Disabled");
pub(crate) const ENABLE: T = T("启用", "Enable");
pub(crate) const DISABLE: T = T("停用", "Disable");
pub(crate) const RESET_PASSWORD: T = T("重置密码", "Reset password");
pub(crate) const NEW_ACCOUNT: T = T("新建账号", "New account");
pub(crate) const PASSWORD_RULES_SHORT: T = T(
    "用户名 3–32 位小写字母、数字、点、下划线或连字符，以字母开头；密码至少 10 位并包含三类字符。",
    "User names: 3 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter. Passwords: at least 10 characters from three classes.",
);
pub(crate) const CREATE: T = T("创建", "Create");
pub(crate) const ACCOUNT_CREATED: T = T("账号已创建。", "The account was created.");
pub(crate) const ACCOUNT_DISABLED: T = T(
    "账号已停用，其会话已全部结束。",
    "The account was disabled and its sessions ended.",
);
pub(crate) const ACCOUNT_ENABLED: T = T("账号已启用。", "The account was enabled.");
pub(crate) const PASSWORD_RESET: T = T(
    "密码已重置，锁定已解除，其会话已全部结束。",
    "The password was reset, the lock cleared and the sessions ended.",
);
pub(crate) const SKIP_TO_CONTENT: T = T("跳到正文", "Skip to content");

pub(crate) fn party_name(p: PartyType) -> T {
    match p {
        PartyType::Operator => T("公共数据运营服务单位", "Operator"),
        PartyType::Governance => T("市网络理政办", "Governance Office"),
        PartyType::Economy => T("市新经济委", "New Economy Committee"),
        PartyType::BigDataCenter => T("市大数据中心", "Big Data Center"),
        PartyType::Provider => T("数据提供单位", "Data provider"),
        PartyType::User => T("数据使用单位", "Data user"),
        PartyType::Expert => T("公共数据专家咨询委员会", "Expert committee"),
    }
}

pub(crate) fn role_name(r: Role) -> T {
    match r {
        Role::Admin => T("管理员", "Administrator"),
        Role::Staff => T("经办人员", "Staff"),
        Role::Auditor => T("审计员（只读）", "Auditor (read-only)"),
    }
}

/// What each party does on the platform, from the Measures.
pub(crate) fn duties(p: PartyType) -> &'static [T] {
    match p {
        PartyType::Operator => &[
            T(
                "定期收集数据使用需求，预审其合理性与可行性，形成需求清单（第十一条）",
                "Collect data demands regularly, pre-review them and form demand lists (Art. 11)",
            ),
            T(
                "与数据使用单位签订数据利用协议，对数据清洗、脱敏后提供服务（第十五条）",
                "Sign data use agreements with users; clean and de-identify data before use (Art. 15)",
            ),
            T(
                "审核沙箱产出，对运营平台到用户环节的数据安全负责（第十八条）",
                "Check sandbox outputs; answer for the operation-platform-to-user segment (Art. 18)",
            ),
            T(
                "定期报告运营、数据交换与使用情况（第十七条）",
                "Report operation, exchange and usage regularly (Art. 17)",
            ),
        ],
        PartyType::Governance => &[
            T(
                "在 10 个工作日内复审需求清单并征求数据提供单位意见（第十二条）",
                "Re-review demand lists within 10 working days and consult providers (Art. 12)",
            ),
            T(
                "接收授权结果、终止授权通知与运营报告（第十三、十六、十七条）",
                "Receive authorisation results, termination notices and reports (Art. 13, 16, 17)",
            ),
            T(
                "会同市新经济委协调争议（第十九条）",
                "Coordinate disputes with the New Economy Committee (Art. 19)",
            ),
        ],
        PartyType::Economy => &[
            T(
                "指导新经济企业的数据需求收集（第十一条）",
                "Guide demand collection for new-economy firms (Art. 11)",
            ),
            T(
                "接收终止授权通知与运营报告（第十六、十七条）",
                "Receive termination notices and reports (Art. 16, 17)",
            ),
            T(
                "会同市网络理政办协调争议（第十九条）",
                "Co-coordinate disputes (Art. 19)",
            ),
        ],
        PartyType::BigDataCenter => &[
            T(
                "通过共享平台按授权交付数据（第十四条）",
                "Deliver data through the sharing platform per authorisation (Art. 14)",
            ),
            T(
                "随时检查使用日志与安全状况，发现风险可暂停数据供给（第十七条）",
                "Inspect usage logs and security at any time; suspend supply on risk (Art. 17)",
            ),
            T(
                "对共享平台到运营平台环节的数据安全负责（第十八条）",
                "Answer for the sharing-platform-to-operation-platform segment (Art. 18)",
            ),
        ],
        PartyType::Provider => &[
            T(
                "在 10 个工作日内评估需求并决定授权或不授权（第十三条）",
                "Assess demands and authorise or refuse within 10 working days (Art. 13)",
            ),
            T(
                "授权后 20 个工作日内交付数据并持续更新（第十四条）",
                "Deliver data within 20 working days of authorising and keep it updated (Art. 14)",
            ),
            T(
                "有正当理由时可终止授权，并书面通知相关部门（第十六条）",
                "End an authorisation with stated grounds, notifying the offices (Art. 16)",
            ),
        ],
        PartyType::User => &[
            T(
                "提出数据需求：数据内容、使用方式和具体应用场景（第十一条）",
                "State demands: data, usage mode and a concrete scenario (Art. 11)",
            ),
            T(
                "签订数据利用协议，通过下载、接口、沙箱或咨询服务使用数据（第五、十五条）",
                "Sign a data use agreement; use data by download, API, sandbox or consulting (Art. 5, 15)",
            ),
            T(
                "成果注明数据来源，并向运营单位反馈使用情况（第十五条）",
                "Cite the data source in outputs and report usage back (Art. 15)",
            ),
        ],
        PartyType::Expert => &[T(
            "在争议协调中提供评估意见（第十九条）",
            "Give evaluation opinions in disputes (Art. 19)",
        )],
    }
}

/// A problem code in words, for pages.
pub(crate) fn problem_text(code: &str) -> T {
    match code {
        "auth.sign-in-required" => T("请先登录。", "Please sign in."),
        "consulting.closed" => T("该咨询工单已关闭。", "This consulting order is closed."),
        "suspension.resumed" => T(
            "该暂停已恢复供给，不能再处理。",
            "Supply was already resumed under this suspension.",
        ),
        "suspension.not-rectified" => T(
            "运营单位记录整改情况后方可恢复供给。",
            "Supply resumes only after the operator has recorded its rectification.",
        ),
        "auth.key-unknown" => T("接口密钥无效。", "No API key has this value."),
        "auth.key-other-listener" => T(
            "该接口密钥只能用于另一个入口（公共接口或前置系统）。",
            "This API key is for the other listener (public API or front system).",
        ),
        "auth.key-revoked" => T("接口密钥已被撤销。", "This API key was revoked."),
        "auth.api-key-required" => T(
            "数据调用须使用接口密钥，不能使用登录会话。",
            "Data calls take an API key, not a signed-in session.",
        ),
        "auth.key-account-disabled" => T(
            "接口密钥所属账号已停用。",
            "The account this API key belongs to is disabled.",
        ),
        "auth.key-expired" => T(
            "接口密钥已过期，请重新创建。",
            "This API key has expired; create a new one.",
        ),
        "access.wrong-party" => T(
            "您所在单位的主体类型无权访问此页面。",
            "Your organisation's party type may not open this page.",
        ),
        "access.wrong-role" => T("您的角色无权执行此操作。", "Your role may not do this."),
        "access.session-required" => T(
            "此操作需要登录会话，不能使用接口密钥。",
            "This needs a signed-in session, not an API key.",
        ),
        "access.other-organization" => T(
            "该记录属于其他单位。",
            "This record belongs to another organisation.",
        ),
        "auth.invalid-credentials" => {
            T("用户名或密码错误。", "The user name or password is wrong.")
        }
        "auth.account-locked" => T(
            "连续登录失败次数过多，账号已临时锁定，请稍后再试。",
            "Too many failed sign-ins: the account is locked for a while.",
        ),
        "auth.wrong-current-password" => T("当前密码不正确。", "The current password is wrong."),
        "auth.csrf-mismatch" => T(
            "表单已过期或来源不明，请刷新页面后重试。",
            "The form is stale or forged: reload the page and try again.",
        ),
        "validation.weak-password" => T(
            "新密码不符合复杂度要求。",
            "The new password does not meet the rules.",
        ),
        "validation.invalid-field" | "validation.bad-name" | "validation.unknown-name" => T(
            "填写的内容不符合要求。",
            "A field's value is not acceptable.",
        ),
        "validation.self-disable" => T(
            "不能停用自己的账号。",
            "You cannot disable your own account.",
        ),
        "request.malformed-body" | "request.malformed-parameter" => {
            T("请求格式不正确。", "The request is malformed.")
        }
        "resource.not-found" | "request.no-route" => {
            T("找不到所请求的内容。", "Nothing was found here.")
        }
        "resource.duplicate" => T("该名称已被使用。", "That name is already taken."),
        "request.method-not-allowed" => T("不支持此操作方式。", "This method is not allowed here."),
        "request.too-large" => T("提交的内容过大。", "The request is too large."),
        "registration.not-allowed" => T(
            "该登记操作不符合登记状态（如未登记不能变更、已注销不能再登记）。",
            "That register step does not fit the registration's state.",
        ),
        "delivery.too-many-bad-rows" => T(
            "错误行超过允许比例，本次交付未入库；请下载错误报告修正后重新交付。",
            "Too many bad rows: nothing was stored. Download the error report, fix the file and deliver again.",
        ),
        "delivery.unknown-encoding" => T(
            "无法识别文件编码，请指定 UTF-8 或 GB18030。",
            "The file's encoding could not be detected: choose UTF-8 or GB18030.",
        ),
        "delivery.registration-cancelled" => T(
            "该资源已注销登记，不再接收交付。",
            "The resource's registration was cancelled: it takes no more deliveries.",
        ),
        "access.not-a-party" => T(
            "您所在单位不是该事项的当事方。",
            "Your organisation is not a party to this.",
        ),
        "workflow.signature-refused" => T(
            "该协议不能由您签署（已签署、非当事方或协议已终止）。",
            "You cannot sign this agreement (already signed, not a party, or ended).",
        ),
        "workflow.missing-party" => T(
            "平台尚未登记该环节所需的单位。",
            "A party this step needs is not registered on the platform.",
        ),
        "resource.changed" => T(
            "该事项已被他人处理，请刷新后重试。",
            "Someone else changed this meanwhile: reload and try again.",
        ),
        "product.invalid" => T(
            "产品设置不符合要求。",
            "A setting of the product is not acceptable.",
        ),
        "product.invalid-pipeline" => T(
            "加工流水线无法读取，或与产品字段不符。",
            "The pipeline does not read, or does not fit the product's fields.",
        ),
        "product.exceeds-authorization" => T(
            "产品输出超出授权范围（字段、服务方式或脱敏要求）。",
            "The product's output exceeds its authorization (fields, modes or de-identification).",
        ),
        "product.no-version" => T(
            "该资源尚无交付版本。",
            "The resource has no delivered version yet.",
        ),
        "pricing.above-cap" => T(
            "价格高于授权方设定的限价。",
            "The price is above the authorizing side's cap.",
        ),
        "pricing.negative" => T("价格不能为负数。", "A price cannot be negative."),
        "pricing.above-maximum" => T(
            "单价超过平台上限（1 亿元），请核对金额（单位为分）。",
            "The price is above the platform's highest unit price (100 million yuan): check the amount, in fen.",
        ),
        "product.withdrawn" => T(
            "该产品已注销，不再提供服务。",
            "The product was withdrawn from service.",
        ),
        "product.mode-not-offered" => T(
            "该产品不提供此服务方式。",
            "The product does not offer this mode of service.",
        ),
        "sandbox.not-allowed" => T(
            "沙箱每次只运行一条 SELECT 查询或 CREATE TABLE … AS SELECT，不能读写文件或网址。",
            "The sandbox runs one SELECT, or CREATE TABLE … AS SELECT, at a time; no files or URLs.",
        ),
        "sandbox.sql" => T(
            "语句有误，未能运行。",
            "The statement has a mistake and did not run.",
        ),
        "sandbox.memory-limit" => T(
            "查询超出内存上限，已停止。",
            "The query needed more than its memory limit and was stopped.",
        ),
        "sandbox.time-limit" => T(
            "查询超出时间上限，已停止。",
            "The query ran past its time limit and was stopped.",
        ),
        "sandbox.cancelled" => T("查询已取消。", "The query was cancelled."),
        "sandbox.not-releasable" => T(
            "只有查询的结果可以申请导出。",
            "Only a query's result can be exported.",
        ),
        "sandbox.no-workspace" => T(
            "您的单位在该协议下没有沙箱工作区。",
            "Your organisation has no sandbox workspace under that agreement.",
        ),
        "sandbox.busy" => T(
            "您已有查询在运行，请等待其结束或取消后再试。",
            "A query of yours is running; wait for it or cancel it first.",
        ),
        "sandbox.invalid" => T("请求的内容不符合要求。", "The request cannot be accepted."),
        "sandbox.own-output" => T(
            "不能审核自己提交的成果。",
            "You cannot review your own output.",
        ),
        "sandbox.already-reviewed" => T(
            "您已审核过该成果，需由另一位审核员审核。",
            "You have reviewed this output; another checker must.",
        ),
        "sandbox.export-state" => T(
            "该导出申请当前状态下不能审核。",
            "This export takes no review in its current state.",
        ),
        "sandbox.not-released" => T(
            "该导出尚未获批准，不能下载。",
            "This export is not approved and cannot be downloaded.",
        ),
        "sandbox.withheld" => T(
            "该表由工作区当前不能读取的数据生成，暂不可用。",
            "This table was made from data the workspace cannot read now.",
        ),
        "sandbox.export-withheld" => T(
            "该导出结果来自工作区当前不能读取的数据，暂不可下载或查看。",
            "This export came from data the workspace cannot read now; it cannot be downloaded or shown.",
        ),
        "sandbox.read-by-export" => T(
            "已有读取该表的导出申请（已导出或待审核），该表须保留以便与之后的导出比对。",
            "An export that read this table has left or may yet: the table is kept so that later exports are compared with it.",
        ),
        "sandbox.table-gone" => T(
            "导出运行期间，其读取的表被删除或重建，之后的导出无法与之比对：请重新申请导出。",
            "A table the export read was dropped or made again while it ran, so later exports could not be compared with it: ask for the export again.",
        ),
        "sandbox.filed-meanwhile" => T(
            "本单位的另一项导出申请在其运行期间提交，二者未能相互比对：请重新申请导出。",
            "Another export of your organisation was filed while this one ran, so they were not compared: ask for the export again.",
        ),
        "sandbox.upload-refused" => T(
            "上传的文件无法完整读取，未保存任何内容。",
            "The uploaded file could not be read whole: nothing was kept.",
        ),
        "use.suspended" => T(
            "市大数据中心已暂停该数据的供给。",
            "The Big Data Center has suspended this supply.",
        ),
        "use.quota-exceeded" => T(
            "今日调用次数已达该产品的上限，请明日再试。",
            "Today's quota of uses of this product is spent: try again tomorrow.",
        ),
        "use.authorization-limit-reached" => T(
            "今日调用次数已达数据提供方授权的每日上限（该授权下全部产品合计），请明日再试。",
            "Today's uses have reached the daily limit the data provider authorized (all products under the authorization together): try again tomorrow.",
        ),
        "use.rate-limited" => T(
            "调用过于频繁，请稍后再试。",
            "Too many uses this minute: try again shortly.",
        ),
        "use.retry" => T(
            "调用期间平台的授权或供给状态发生变化，请重试。",
            "The platform's grants or supply changed while the call ran: try again.",
        ),
        "use.authorization-terminated" => T(
            "该数据的授权已终止，不能再使用。",
            "The authorization of this data was terminated: it can no longer be used.",
        ),
        "use.outside-term" => T(
            "数据利用协议不在有效期内。",
            "The data use agreement is not in its term.",
        ),
        "use.agreement-not-signed" => T(
            "数据利用协议尚未经各方签署生效。",
            "The data use agreement is not yet signed by every party.",
        ),
        "use.mode-not-authorized" => T(
            "授权不包括此服务方式。",
            "The authorization does not cover this mode of service.",
        ),
        "internal.recording" => T(
            "本次使用未能记入台账，未提供数据，请稍后重试。",
            "The use could not be recorded in the ledger, so no data was served: try again later.",
        ),
        code if code.starts_with("workflow.") => T(
            "该事项当前状态下不能进行此操作。",
            "This step does not fit the record's current state.",
        ),
        code if code.starts_with("use.") => T(
            "没有生效的数据利用协议和授权支持此项使用。",
            "No agreement and authorization in force covers this use.",
        ),
        code if code.starts_with("delivery.") => T(
            "文件无法读取，本次交付未入库。",
            "The file could not be read: nothing was stored.",
        ),
        _ => T(
            "服务暂时不可用，请稍后重试。",
            "The service is unavailable; please try again later.",
        ),
    }
}
