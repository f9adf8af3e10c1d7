//! A generated corpus for measuring detection: realistic values of every
//! kind, near misses that must not match, and everyday values that are no
//! identifier at all. Deterministic (seeded), so figures can be rerun.

#![allow(dead_code)]

use rongshu_classify::IdentifierKind as K;

pub use rongshu_synth::*;

/// Everyday values that are no identifier, and near misses.
pub fn decoy(rng: &mut Rng) -> String {
    let which = rng.below(10);
    decoy_variant(rng, which)
}

fn decoy_variant(rng: &mut Rng, which: u64) -> String {
    match which {
        0 => near_miss_id(rng),
        1 => format!("1{}{}", rng.below(3), rng.digits(9)),
        2 => {
            let len = 12 + rng.below(4) as usize;
            format!("2026{}", rng.digits(len))
        }
        3 => format!("{}.{:02}", rng.below(1_000_000), rng.below(100)),
        4 => rng
            .pick(&[
                "成都蓉城智行科技有限公司",
                "四川省交通投资集团有限责任公司",
                "成都市市场监督管理局",
                "天府软件园",
                "锦江宾馆",
            ])
            .to_string(),
        5 => format!("JT-2026-{}", rng.digits(6)),
        6 => rng
            .pick(&["已核准", "正常", "注销", "吊销", "存续", "个体工商户"])
            .to_string(),
        7 => format!("https://data.chengdu.gov.cn/res/{}", rng.digits(5)),
        8 => rng.digits(6),
        _ => format!("{}", rng.below(5000)),
    }
}

/// Realistic column names per kind, and neutral ones.
pub fn column_name(kind: K, rng: &mut Rng) -> &'static str {
    let named: &[&'static str] = match kind {
        K::ResidentId => &["身份证号", "法定代表人身份证号", "公民身份号码", "sfzh"],
        K::Mobile => &["手机号码", "联系电话", "mobile"],
        K::Landline => &["固定电话", "办公电话", "联系电话"],
        K::BankCard => &["银行卡号", "收款卡号"],
        K::CreditCode => &["统一社会信用代码", "信用代码", "tyshxydm"],
        K::Email => &["电子邮箱", "email"],
        K::LicencePlate => &["车牌号码", "号牌号码", "hphm"],
        K::IpAddress => &["IP地址", "ip"],
        K::BirthDate => &["出生日期", "生日", "csrq"],
        K::PersonName => &["姓名", "法定代表人", "联系人"],
        K::Address => &["住所", "经营地址", "家庭住址"],
    };
    // Kinds that are not self-evident are found only in named columns (a
    // bare date is not a birth date), so only the others get neutral names.
    if kind.self_evident() && rng.chance(20) {
        rng.pick::<&str>(&["字段1", "col_7", "备注", "value"])
    } else {
        rng.pick::<&str>(named)
    }
}

/// Columns that hold no identifier, with the names they usually carry.
pub fn decoy_column(rng: &mut Rng, rows: usize) -> (&'static str, Vec<String>) {
    match rng.below(6) {
        0 => (
            "登记日期",
            (0..rows)
                .map(|_| {
                    let (y, m, d) = date(rng, 1995, 2026);
                    format!("{y}-{m:02}-{d:02}")
                })
                .collect(),
        ),
        1 => (
            "企业名称",
            (0..rows).map(|_| decoy_variant(rng, 4)).collect(),
        ),
        2 => (
            "注册资本",
            (0..rows).map(|_| decoy_variant(rng, 3)).collect(),
        ),
        3 => (
            "许可证编号",
            (0..rows).map(|_| decoy_variant(rng, 5)).collect(),
        ),
        4 => (
            "登记状态",
            (0..rows).map(|_| decoy_variant(rng, 6)).collect(),
        ),
        _ => ("订单号", (0..rows).map(|_| decoy_variant(rng, 2)).collect()),
    }
}

/// Detections counted against the truth.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Tally {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// Per kind: value-level tallies (the self-evident kinds) and column-level
/// tallies (every kind).
pub struct Quality {
    pub values: Vec<(K, Tally)>,
    pub columns: Vec<(K, Tally)>,
    pub value_count: usize,
    pub column_count: usize,
}

/// A value or a column and its true kind (`None`: no identifier).
pub type Labelled<T> = (Option<K>, T);

/// A column: its name and values.
pub type Column = (String, Vec<String>);

fn tally(kind: K, outcomes: impl Iterator<Item = (Option<K>, Option<K>)>) -> Tally {
    let mut t = Tally::default();
    for (actual, found) in outcomes {
        match (actual == Some(kind), found == Some(kind)) {
            (true, true) => t.tp += 1,
            (true, false) => t.fn_ += 1,
            (false, true) => t.fp += 1,
            (false, false) => {}
        }
    }
    t
}

/// Scores value-level detection (strong matches of the self-evident
/// kinds) and column-level detection (every kind).
pub fn score(values: &[Labelled<String>], columns: &[Labelled<Column>]) -> Quality {
    use rongshu_classify::{Match, detect, scan_column};
    // Alone, only a strong match names a value's kind.
    let found: Vec<(Option<K>, Option<K>)> = values
        .iter()
        .map(|(actual, v)| {
            (
                *actual,
                detect(v)
                    .filter(|(_, m)| *m == Match::Strong)
                    .map(|(k, _)| k),
            )
        })
        .collect();
    let value_tallies = K::ALL
        .into_iter()
        .filter(|k| k.self_evident())
        .map(|k| (k, tally(k, found.iter().copied())))
        .collect();
    let found: Vec<(Option<K>, Option<K>)> = columns
        .iter()
        .map(|(actual, (name, vals))| {
            (
                *actual,
                scan_column(name, vals.iter().map(String::as_str))
                    .detection
                    .map(|d| d.kind),
            )
        })
        .collect();
    let column_tallies = K::ALL
        .into_iter()
        .map(|k| (k, tally(k, found.iter().copied())))
        .collect();
    Quality {
        values: value_tallies,
        columns: column_tallies,
        value_count: values.len(),
        column_count: columns.len(),
    }
}

/// The generated corpus: `per_kind` values of each kind plus twice as many
/// decoys, and `columns_per_kind` columns of `rows` values per kind plus
/// three times as many decoy columns.
pub fn generated(
    seed: u64,
    per_kind: usize,
    columns_per_kind: usize,
    rows: usize,
) -> (Vec<Labelled<String>>, Vec<Labelled<Column>>) {
    let mut rng = Rng::new(seed);
    let mut values = Vec::new();
    for kind in K::ALL {
        for _ in 0..per_kind {
            values.push((Some(kind), value(kind, &mut rng)));
        }
    }
    for _ in 0..per_kind * 2 {
        values.push((None, decoy(&mut rng)));
    }
    let mut columns = Vec::new();
    for kind in K::ALL {
        for _ in 0..columns_per_kind {
            let name = column_name(kind, &mut rng).to_owned();
            columns.push((
                Some(kind),
                (name, (0..rows).map(|_| value(kind, &mut rng)).collect()),
            ));
        }
    }
    for _ in 0..columns_per_kind * 3 {
        let (name, vals) = decoy_column(&mut rng, rows);
        columns.push((None, (name.to_owned(), vals)));
    }
    (values, columns)
}

/// Reads `kind<TAB>value` lines (kind `none` for decoys), as written by
/// `scripts/faker_corpus.py`; columns are cut from each kind's values in
/// runs of `rows`, named as real columns of that kind are.
pub fn from_tsv(
    text: &str,
    rows: usize,
    seed: u64,
) -> (Vec<Labelled<String>>, Vec<Labelled<Column>>) {
    let mut rng = Rng::new(seed);
    let mut values: Vec<Labelled<String>> = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (kind, value) = line.split_once('\t').expect("kind<TAB>value");
        let kind = K::ALL.into_iter().find(|k| k.as_str() == kind);
        values.push((kind, value.to_owned()));
    }
    let mut columns = Vec::new();
    for kind in K::ALL {
        let of_kind: Vec<String> = values
            .iter()
            .filter(|(k, _)| *k == Some(kind))
            .map(|(_, v)| v.clone())
            .collect();
        for chunk in of_kind.chunks(rows).filter(|c| c.len() == rows) {
            columns.push((
                Some(kind),
                (column_name(kind, &mut rng).to_owned(), chunk.to_vec()),
            ));
        }
    }
    let decoys: Vec<String> = values
        .iter()
        .filter(|(k, _)| k.is_none())
        .map(|(_, v)| v.clone())
        .collect();
    for chunk in decoys.chunks(rows).filter(|c| c.len() == rows) {
        columns.push((None, ("备注".to_owned(), chunk.to_vec())));
    }
    (values, columns)
}
