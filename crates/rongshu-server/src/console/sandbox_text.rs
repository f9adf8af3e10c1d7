//! The sandbox pages' words, in Chinese and English.

use super::i18n::T;

pub(crate) const SANDBOX: T = T("数据沙箱", "Sandbox");
pub(crate) const SANDBOX_INTRO: T = T(
    "原始数据不出域、数据可用不可见：在数据利用协议授予的工作区内，用 SQL 查询经授权、已脱敏处理的数据；每条语句都记入日志。结果只能通过自动披露检查和运营单位审核员审核后导出（第五条）。",
    "Raw data never leaves; data is usable, not visible: query the authorized, de-identified data with SQL in the workspace your data use agreement grants; every statement is ledgered. Results leave only after the automatic disclosure checks and the operator's output checkers (Art. 5).",
);
pub(crate) const NO_WORKSPACES: T = T(
    "您的单位暂无授予沙箱方式的数据利用协议。",
    "Your organisation has no data use agreement granting the sandbox.",
);
pub(crate) const WORKSPACE: T = T("工作区", "Workspace");
pub(crate) const AGREEMENT: T = T("数据利用协议", "Data use agreement");
pub(crate) const FIELD: T = T("字段", "Field");
pub(crate) const TYPE: T = T("类型", "Type");
pub(crate) const GRADE: T = T("分级", "Grade");
pub(crate) const ROWS: T = T("行数", "Rows");
pub(crate) const SOURCE: T = T("来源", "Source");
pub(crate) const MADE_BY_QUERY: T = T("由查询生成", "Made by query");
pub(crate) const ROUNDED: T = T(
    "导出的计数已取整到最接近的倍数",
    "Released counts rounded to the nearest multiple of",
);
pub(crate) const RESUBMITS: T = T("修改后重新申请，替代导出", "Resubmitted in place of export");
pub(crate) const RESUBMIT: T = T("修改后重新申请", "Change and resubmit");
pub(crate) const DERIVED_FROM: T = T("数据来自", "Data from");
pub(crate) const TRACED_ROWS: T = T(
    "汇总表：每行保留其背后的记录数，导出时按汇总结果检查",
    "Aggregate: each row keeps the records behind it and is checked as such on export",
);
pub(crate) const UPLOADED: T = T("用户上传", "Uploaded");
pub(crate) const DROP: T = T("删除此表", "Drop this table");
pub(crate) const UPLOAD: T = T("上传数据", "Upload data");
pub(crate) const UPLOAD_HINT: T = T(
    "上传本单位自有数据（CSV、XLSX、JSON、NDJSON 或 Parquet）作为工作区内的表，可与授权数据关联查询。文件整体读取，任何一行无法读取则整体拒收；数据加密存放，只在工作区内可见，并记入日志。",
    "Upload your own data (CSV, XLSX, JSON, NDJSON or Parquet) as a table of the workspace, to join with the authorized data. A file is read whole or refused whole if any row does not read; it is kept encrypted, seen only in this workspace, and ledgered.",
);
pub(crate) const TABLE_NAME: T = T(
    "表名（小写字母、数字、下划线）",
    "Table name (lower-case letters, digits, _)",
);
pub(crate) const FILE: T = T("文件", "File");
pub(crate) const EDITOR: T = T("SQL 编辑器", "SQL editor");
pub(crate) const EDITOR_HINT: T = T(
    "每次一条语句：SELECT 查询，或 CREATE TABLE 表名 AS SELECT 在工作区内生成新表。不能读取文件或网址。",
    "One statement at a time: a SELECT, or CREATE TABLE name AS SELECT to keep a result as a table in the workspace. Files and URLs cannot be read.",
);
pub(crate) const RUN: T = T("运行", "Run");
pub(crate) const RUN_ID: T = T("运行编号", "Run id");
pub(crate) const CANCEL: T = T("取消运行中的语句", "Cancel the running statement");
pub(crate) const CANCELLED: T = T("已请求取消该语句。", "The statement was asked to stop.");
pub(crate) const NOTHING_RUNNING: T = T(
    "没有以该编号运行的语句。",
    "No statement of yours runs under that id.",
);
pub(crate) const RESULT: T = T("结果", "Result");
pub(crate) const RESULT_SUMMARY: T = T("行，用时（毫秒）：", "rows, milliseconds: ");
pub(crate) const TRUNCATED: T = T(
    "结果超过返回上限，仅显示前面的行。",
    "The result has more rows than are returned; the first ones are shown.",
);
pub(crate) const MADE_TABLE: T = T("已生成新表：", "Table made: ");
pub(crate) const READ: T = T("读取", "Read");
pub(crate) const PROBLEM: T = T("问题", "Problem");
pub(crate) const HISTORY: T = T("查询历史", "Query history");
pub(crate) const NO_HISTORY: T = T("尚无查询。", "No statements yet.");
pub(crate) const STATEMENT: T = T("语句", "Statement");
pub(crate) const OUTCOME: T = T("结果", "Outcome");
pub(crate) const AT: T = T("时间", "At");
pub(crate) const EXPORT: T = T("申请导出结果", "Ask to export a result");
pub(crate) const EXPORT_HINT: T = T(
    "导出的查询将完整运行并追溯到记录：每个单元格不少于 10 条记录、计数不为 0、合计不由两个主体主导、不含直接标识符、行数不超上限；通过后交由审核员审核。",
    "The query runs whole and is traced to its records: every cell at least 10 records, no zero counts, no total dominated by two contributors, no direct identifiers, within the row cap; what passes goes to the output checkers.",
);
pub(crate) const PURPOSE: T = T("用途", "Purpose");
pub(crate) const REQUEST: T = T("提交申请", "Ask");
pub(crate) const EXPORTS: T = T("导出申请", "Exports");
pub(crate) const NO_EXPORTS: T = T("暂无导出申请。", "No exports.");
pub(crate) const STATUS: T = T("状态", "Status");
pub(crate) const CHECKS: T = T("自动检查", "Automatic checks");
pub(crate) const PASSED: T = T("全部通过", "All passed");
pub(crate) const DOWNLOAD: T = T("下载", "Download");
pub(crate) const LINEAGE: T = T("数据来源", "Lineage");
pub(crate) const CHECKER_QUEUE: T = T("成果审核", "Output checking");
pub(crate) const CHECKER_INTRO: T = T(
    "待审核的沙箱导出申请：核对结果、自动检查和数据来源后作出决定。作者本人不能审核，需要时由两位审核员分别批准。",
    "Sandbox exports awaiting review: look at the result, the automatic checks and the lineage, then decide. Authors never review their own; where two approvals are required, two different checkers give them.",
);
pub(crate) const NO_QUEUE: T = T("暂无待审核的导出。", "Nothing awaits review.");
pub(crate) const DECISION: T = T("决定", "Decision");
pub(crate) const COMMENT: T = T("意见", "Comment");
pub(crate) const SUBMIT: T = T("提交", "Submit");

pub(crate) fn outcome(code: &str) -> T {
    match code {
        "done" => T("完成", "Done"),
        "refused" => T("被拒绝", "Refused"),
        "cancelled" => T("已取消", "Cancelled"),
        "time-limit" => T("超时停止", "Stopped at the time limit"),
        "memory-limit" => T("超内存停止", "Stopped at the memory limit"),
        _ => T("出错", "Failed"),
    }
}

pub(crate) fn export_status(code: &str) -> T {
    match code {
        "failed-checks" => T("未通过自动检查", "Failed the checks"),
        "awaiting-review" => T("待审核", "Awaiting review"),
        "changes-requested" => T("需修改后重新申请", "Changes requested"),
        "approved" => T("已批准", "Approved"),
        "resubmitted" => T("已修改后重新申请", "Resubmitted"),
        _ => T("已驳回", "Rejected"),
    }
}

pub(crate) fn check(code: &str) -> T {
    match code {
        "small-cell" => T("单元格记录数过少", "Too few records behind a cell"),
        "zero" => T("计数为零", "A zero count"),
        "dominance" => T(
            "合计由少数主体主导",
            "A total dominated by its largest contributors",
        ),
        "direct-identifier" => T("含直接标识符", "Holds direct identifiers"),
        "row-cap" => T("行数超过上限", "More rows than may leave"),
        "small-complement" => T(
            "筛选条件（或计数、均值略去的空值，乘积中为零或为空的因子）排除的记录过少，可经差值推算",
            "A filter (or the nulls a count or mean skips, or a product's zero or null factors) \
             leaves out too few records, shown by difference",
        ),
        "unrounded-count" => T(
            "计数经计算后发布，无法取整",
            "A count computed on escapes rounding",
        ),
        "small-difference" => T(
            "与共享记录的另一单元格相差的记录过少，可经差值推算",
            "Differs from a cell sharing its records by too few, shown by difference",
        ),
        "small-split" => T(
            "各度量的筛选条件（或乘积的因子）把单元格的记录分出过少的一组，可经差值推算",
            "Measures' filters (or a product's factors) split off too few of a cell's records, \
             shown by difference",
        ),
        "dropped-cell" => T(
            "按度量（记录数以外）筛选单元格或按其排序取前若干行时，被筛掉的单元格未通过检查：筛掉与否即透露其记录",
            "A filter on a measure other than the record count (or a limit on an order by one) \
             dropped a cell that fails a check: being dropped tells of its records",
        ),
        "earlier-release" => T(
            "与此前申请导出的结果中共享记录的单元格相差的记录过少（或单元格过多无法比较），两次结果相减即可推算",
            "Differs from a cell of an earlier export sharing its records by too few (or has \
             too many cells to compare), shown by subtracting the two",
        ),
        "uncompared-release" => T(
            "本单位在另一工作区由另一数据产品对同一数据申请导出的结果无法与此结果比较，两者相减可能推算出个别记录",
            "An earlier export of your organisation over the same data, made in another workspace \
             from another product's table, cannot be compared with this one: their difference \
             could show single records",
        ),
        "weak-suppression" => T(
            "按记录数筛掉单元格的下限低于单元格最少记录数：被筛掉单元格的记录数只剩少数几种可能",
            "A filter drops cells by their record counts from a bound under the cell threshold: \
             the dropped cells' counts narrow to the few under it",
        ),
        "exact-mean" => T(
            "计数取整时，均值显示过细，可据以反推其分母（记录数）：请取整后发布，如 ROUND(avg(x), 1)",
            "Counts are rounded, but a mean is shown finely enough to tell the count it divides \
             by: round it, e.g. ROUND(avg(x), 1)",
        ),
        _ => T(
            "结果无法追溯到记录",
            "The result cannot be traced to its records",
        ),
    }
}

pub(crate) fn decision(code: &str) -> T {
    match code {
        "approve" => T("批准", "Approve"),
        "reject" => T("驳回", "Reject"),
        _ => T("修改后批准", "Approve subject to changes"),
    }
}
