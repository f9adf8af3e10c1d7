//! Whole records of the datasets the demo and benchmarks deliver.

use crate::{Rng, address, credit_code, date, mobile, person_name, plate, resident_id};

/// A dataset shape: its header and a row generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// 市场主体登记信息 (market supervision): credit codes and the legal
    /// representatives' ID numbers and mobiles.
    BusinessRegistrations,
    /// 道路运输经营许可 (transport): plates, drivers and their mobiles.
    TransportLicences,
    /// 公交站点 (transport, open data): no personal information.
    BusStops,
    /// 食品安全抽检结果 (market supervision, open data).
    FoodInspections,
}

const TRADES: &[&str] = &[
    "科技",
    "贸易",
    "餐饮管理",
    "物流",
    "文化传媒",
    "建筑工程",
    "医药",
    "电子商务",
    "农业开发",
    "旅游",
];
const ENTERPRISE_TYPES: &[&str] = &[
    "有限责任公司",
    "股份有限公司",
    "个人独资企业",
    "合伙企业",
    "个体工商户",
];
const DISTRICTS: &[&str] = &[
    "锦江区",
    "青羊区",
    "金牛区",
    "武侯区",
    "成华区",
    "龙泉驿区",
    "新都区",
    "温江区",
    "双流区",
    "郫都区",
];
const VEHICLE_TYPES: &[&str] = &[
    "大型普通客车",
    "中型普通客车",
    "重型普通货车",
    "轻型厢式货车",
    "小型普通客车",
];
const LINES: &[&str] = &[
    "1路", "2路", "6路", "16路", "27路", "45路", "64路", "78路", "98路", "115路", "G51路",
];
const STOP_WORDS: &[&str] = &[
    "天府广场",
    "春熙路",
    "骡马市",
    "宽窄巷子",
    "人民公园",
    "火车北站",
    "高升桥",
    "红牌楼",
    "双楠",
    "九眼桥",
    "水碾河",
    "驷马桥",
];
const FOODS: &[&str] = &[
    "大米",
    "食用植物油",
    "挂面",
    "酱油",
    "速冻饺子",
    "豆瓣酱",
    "白酒",
    "乳制品",
    "糕点",
    "饮料",
];

fn ymd(rng: &mut Rng, from: u32, to: u32) -> String {
    let (y, m, d) = date(rng, from, to);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A mobile number as registries hold it: eleven digits, no formatting.
fn plain_mobile(rng: &mut Rng) -> String {
    let digits: String = mobile(rng).chars().filter(char::is_ascii_digit).collect();
    // "+86 138…" carries the country code first.
    digits[digits.len() - 11..].to_owned()
}

impl Dataset {
    pub fn header(self) -> &'static [&'static str] {
        match self {
            Dataset::BusinessRegistrations => &[
                "企业名称",
                "统一社会信用代码",
                "企业类型",
                "法定代表人",
                "法定代表人身份证号",
                "联系电话",
                "注册资本（万元）",
                "成立日期",
                "住所",
                "登记机关",
            ],
            Dataset::TransportLicences => &[
                "许可证号",
                "经营者名称",
                "车牌号",
                "车辆类型",
                "核定载客",
                "驾驶员",
                "驾驶员手机",
                "发证日期",
                "有效期至",
            ],
            Dataset::BusStops => &["站点编号", "站点名称", "途经线路", "区县", "经度", "纬度"],
            Dataset::FoodInspections => &[
                "抽检编号",
                "被抽检单位",
                "食品名称",
                "抽检结果",
                "抽检日期",
                "区县",
            ],
        }
    }

    /// Row `i` of the dataset (ids count from `i`, the rest from `rng`).
    pub fn row(self, rng: &mut Rng, i: u64) -> Vec<String> {
        match self {
            Dataset::BusinessRegistrations => {
                let district = rng.pick(DISTRICTS).to_string();
                vec![
                    format!(
                        "成都{}{}{}有限公司",
                        rng.pick(&["蓉", "锦", "天府", "金沙", "芙蓉", "青城"]),
                        i,
                        rng.pick(TRADES)
                    ),
                    credit_code(rng),
                    rng.pick(ENTERPRISE_TYPES).to_string(),
                    person_name(rng),
                    resident_id(rng),
                    plain_mobile(rng),
                    format!("{}", 10 * (1 + rng.below(5000))),
                    ymd(rng, 1995, 2026),
                    address(rng),
                    format!("成都市{district}市场监督管理局"),
                ]
            }
            Dataset::TransportLicences => {
                let (y, m, d) = date(rng, 2018, 2026);
                vec![
                    format!("川交运管许可成字510100{i:06}号"),
                    format!(
                        "成都{}运输有限公司",
                        rng.pick(&["顺达", "通达", "蓉运", "锦程", "天翼"])
                    ),
                    plate(rng),
                    rng.pick(VEHICLE_TYPES).to_string(),
                    format!("{}", [5, 7, 19, 35, 45][rng.below(5) as usize]),
                    person_name(rng),
                    plain_mobile(rng),
                    format!("{y:04}-{m:02}-{d:02}"),
                    format!("{:04}-{m:02}-{d:02}", y + 4),
                ]
            }
            Dataset::BusStops => vec![
                format!("ST{i:06}"),
                format!(
                    "{}{}",
                    rng.pick(STOP_WORDS),
                    rng.pick(&["站", "东站", "西站", "北口", "南口"])
                ),
                format!("{};{}", rng.pick(LINES), rng.pick(LINES)),
                rng.pick(DISTRICTS).to_string(),
                format!("104.{:06}", rng.below(1_000_000)),
                format!("30.{:06}", rng.below(1_000_000)),
            ],
            Dataset::FoodInspections => vec![
                format!("SC{}{i:07}", 2024 + rng.below(3)),
                format!(
                    "成都{}{}店",
                    rng.pick(&["红旗", "舞东风", "互惠", "家乐"]),
                    i % 500
                ),
                rng.pick(FOODS).to_string(),
                rng.pick(&["合格", "合格", "合格", "合格", "不合格"])
                    .to_string(),
                ymd(rng, 2024, 2026),
                rng.pick(DISTRICTS).to_string(),
            ],
        }
    }

    /// `rows` rows as CSV text (UTF-8, comma, quoted where needed).
    pub fn csv(self, seed: u64, rows: u64) -> String {
        let mut out = String::new();
        self.write_csv(seed, rows, &mut out);
        out
    }

    /// Appends `rows` rows with a header to `out`.
    pub fn write_csv(self, seed: u64, rows: u64, out: &mut String) {
        out.push_str(&self.header().join(","));
        out.push('\n');
        let mut rng = Rng::new(seed);
        for i in 0..rows {
            self.push_row(&mut rng, i, out);
        }
    }

    /// At least `bytes` of CSV with a header into `out`, rows seeded by
    /// `seed` (benchmarks' inputs).
    pub fn write_sized(
        self,
        seed: u64,
        bytes: u64,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        let mut rng = Rng::new(seed);
        let mut text = self.header().join(",");
        text.push('\n');
        let (mut written, mut i) = (0u64, 0u64);
        while written < bytes {
            self.push_row(&mut rng, i, &mut text);
            i += 1;
            if text.len() > 1 << 20 {
                out.write_all(text.as_bytes())?;
                written += text.len() as u64;
                text.clear();
            }
        }
        out.write_all(text.as_bytes())
    }

    /// Appends row `i` as a CSV line.
    pub fn push_row(self, rng: &mut Rng, i: u64, out: &mut String) {
        for (n, cell) in self.row(rng, i).iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            if cell.contains([',', '"', '\n']) {
                out.push('"');
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_headers_and_carry_valid_identifiers() {
        for d in [
            Dataset::BusinessRegistrations,
            Dataset::TransportLicences,
            Dataset::BusStops,
            Dataset::FoodInspections,
        ] {
            let mut rng = Rng::new(7);
            for i in 0..200 {
                assert_eq!(d.row(&mut rng, i).len(), d.header().len(), "{d:?}");
            }
        }
        let mut rng = Rng::new(1);
        let row = Dataset::BusinessRegistrations.row(&mut rng, 0);
        assert!(rongshu_classify::credit_code_valid(&row[1]), "{}", row[1]);
        assert!(rongshu_classify::resident_id_valid(&row[4]), "{}", row[4]);
        assert_eq!(row[5].len(), 11);
        assert_eq!(
            Dataset::BusStops.csv(3, 2),
            Dataset::BusStops.csv(3, 2),
            "seeded"
        );
    }
}
