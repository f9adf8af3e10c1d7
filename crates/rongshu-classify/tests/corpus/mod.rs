//! A generated corpus for measuring detection: realistic values of every
//! kind, near misses that must not match, and everyday values that are no
//! identifier at all. Deterministic (seeded), so figures can be rerun.

#![allow(dead_code)]

use rongshu_classify::{IdentifierKind as K, luhn_valid};

/// xorshift64*: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const REGIONS: &[&str] = &[
    "510104", "510105", "510107", "510108", "510112", "510122", "110105", "310101", "440305",
    "500103",
];
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

fn date(rng: &mut Rng, from: u32, to: u32) -> (u32, u32, u32) {
    let y = from + rng.below(u64::from(to - from)) as u32;
    let m = 1 + rng.below(12) as u32;
    let d = 1 + rng.below(28) as u32;
    (y, m, d)
}

pub fn resident_id(rng: &mut Rng) -> String {
    let (y, m, d) = date(rng, 1940, 2010);
    let body = format!("{}{y:04}{m:02}{d:02}{}", rng.pick(REGIONS), rng.digits(3));
    let sum: u32 = body
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", ID_CHECK[(sum % 11) as usize] as char)
}

/// A resident ID with a wrong check character.
pub fn near_miss_id(rng: &mut Rng) -> String {
    let id = resident_id(rng);
    let right = id.as_bytes()[17];
    let wrong = *rng.pick(
        &ID_CHECK
            .iter()
            .copied()
            .filter(|&c| c != right)
            .collect::<Vec<_>>(),
    );
    format!("{}{}", &id[..17], wrong as char)
}

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "159", "166", "170", "173", "176", "177", "180", "181", "182", "186", "187",
    "188", "189", "198", "199",
];

pub fn mobile(rng: &mut Rng) -> String {
    let n = format!("{}{}", rng.pick(MOBILE_PREFIXES), rng.digits(8));
    match rng.below(10) {
        0 => format!("+86 {}", n),
        1 => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
        _ => n,
    }
}

pub fn landline(rng: &mut Rng) -> String {
    let (area, len) = *rng.pick(&[
        ("028", 8),
        ("010", 8),
        ("021", 8),
        ("023", 8),
        ("0816", 7),
        ("0838", 7),
        ("0755", 8),
    ]);
    let local = format!("{}{}", 2 + rng.below(7), rng.digits(len - 1));
    match rng.below(4) {
        0 => format!("({area}){local}"),
        1 => format!("{area}{local}"),
        2 => format!("{area}-{local}-{}", rng.digits(3)),
        _ => format!("{area}-{local}"),
    }
}

fn with_luhn(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|c| luhn_valid(c))
        .expect("one digit fits")
}

pub fn bank_card(rng: &mut Rng) -> String {
    let bin = rng.pick(&[
        "622202", "621700", "622848", "623668", "621483", "622588", "436742", "518710",
    ]);
    // UnionPay cards have 16 or 19 digits; Visa and Mastercard 16.
    let len = if bin.starts_with("62") {
        *rng.pick(&[16usize, 19, 19])
    } else {
        16
    };
    let card = with_luhn(&format!("{bin}{}", rng.digits(len - 7)));
    if rng.chance(20) {
        card.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        card
    }
}

const CREDIT: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

pub fn credit_code(rng: &mut Rng) -> String {
    let kind = rng.pick(&["91", "92", "93", "11", "12", "52", "Y1"]);
    let region = rng.pick(&["510100", "510104", "510107", "510112", "110000", "310000"]);
    let org: String = (0..9).map(|_| *rng.pick(CREDIT) as char).collect();
    let body = format!("{kind}{region}{org}");
    let sum: u32 = body
        .bytes()
        .zip(CREDIT_WEIGHTS)
        .map(|(c, w)| CREDIT.iter().position(|&a| a == c).unwrap() as u32 * w)
        .sum();
    format!("{body}{}", CREDIT[((31 - sum % 31) % 31) as usize] as char)
}

pub fn email(rng: &mut Rng) -> String {
    let user: String = (0..4 + rng.below(6))
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect();
    let domain = rng.pick(&[
        "qq.com",
        "163.com",
        "126.com",
        "gmail.com",
        "cdht.gov.cn",
        "scu.edu.cn",
        "example.com.cn",
    ]);
    format!(
        "{user}{}@{domain}",
        if rng.chance(50) {
            rng.digits(3)
        } else {
            String::new()
        }
    )
}

const PLATE_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn plate(rng: &mut Rng) -> String {
    let city = *rng.pick(&PLATE_LETTERS[..20]) as char;
    let province = rng.pick(&["川", "川", "川", "渝", "京", "粤"]);
    if rng.chance(15) {
        return format!("{province}{city}{}{}", rng.pick(&["D", "F"]), rng.digits(5));
    }
    let body: String = (0..5)
        .map(|i| {
            if i == 0 || rng.chance(70) {
                char::from(b'0' + rng.below(10) as u8)
            } else {
                *rng.pick(PLATE_LETTERS) as char
            }
        })
        .collect();
    format!("{province}{city}{body}")
}

pub fn ip(rng: &mut Rng) -> String {
    if rng.chance(15) {
        format!(
            "2408:{:x}:{:x}::{:x}",
            rng.below(65536),
            rng.below(65536),
            rng.below(65536)
        )
    } else {
        format!(
            "{}.{}.{}.{}",
            1 + rng.below(223),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        )
    }
}

pub fn birth_date(rng: &mut Rng) -> String {
    let (y, m, d) = date(rng, 1940, 2010);
    match rng.below(4) {
        0 => format!("{y}{m:02}{d:02}"),
        1 => format!("{y}年{m}月{d}日"),
        2 => format!("{y}/{m}/{d}"),
        _ => format!("{y}-{m:02}-{d:02}"),
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "罗", "欧阳", "谢",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "子涵", "雨",
];

pub fn person_name(rng: &mut Rng) -> String {
    let mut name = rng.pick(SURNAMES).to_string();
    name.push_str(rng.pick::<&str>(GIVEN));
    if rng.chance(30) {
        name.push_str(rng.pick::<&str>(&["伟", "华", "林", "宇", "欣"]));
    }
    name
}

pub fn address(rng: &mut Rng) -> String {
    let district = rng.pick(&[
        "武侯区",
        "锦江区",
        "青羊区",
        "金牛区",
        "成华区",
        "高新区",
        "双流区",
        "郫都区",
    ]);
    let road = rng.pick(&[
        "人民南路四段",
        "天府大道北段",
        "蜀汉路",
        "春熙路",
        "一环路西一段",
        "府城大道西段",
        "科华北路",
    ]);
    let mut a = format!(
        "{}{district}{road}{}号",
        if rng.chance(50) {
            "四川省成都市"
        } else {
            "成都市"
        },
        1 + rng.below(300)
    );
    if rng.chance(40) {
        a.push_str(&format!(
            "{}栋{}单元{}号",
            1 + rng.below(20),
            1 + rng.below(4),
            101 + rng.below(2000)
        ));
    }
    a
}

/// A value of `kind`.
pub fn value(kind: K, rng: &mut Rng) -> String {
    match kind {
        K::ResidentId => resident_id(rng),
        K::Mobile => mobile(rng),
        K::Landline => landline(rng),
        K::BankCard => bank_card(rng),
        K::CreditCode => credit_code(rng),
        K::Email => email(rng),
        K::LicencePlate => plate(rng),
        K::IpAddress => ip(rng),
        K::BirthDate => birth_date(rng),
        K::PersonName => person_name(rng),
        K::Address => address(rng),
    }
}

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
