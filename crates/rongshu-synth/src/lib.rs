//! Synthetic data with the shape of real government records: resident ID
//! numbers and credit codes with valid check characters, mobiles,
//! landlines, Luhn-valid bank cards, plates, e-mail, IP addresses, birth
//! dates, Chinese names and Chengdu addresses. Deterministic (seeded), so
//! tests, the demo and benchmarks can be rerun exactly. Pure code.

mod records;

use rongshu_classify::{IdentifierKind as K, luhn_valid};

pub use records::Dataset;

/// xorshift64*: small, fast, deterministic.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
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

/// A day between the years `from` and `to` (the 28th at most, so every
/// month has it).
pub fn date(rng: &mut Rng, from: u32, to: u32) -> (u32, u32, u32) {
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
