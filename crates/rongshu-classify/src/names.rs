//! Evidence from column names and from Chinese naming conventions.

use crate::IdentifierKind as K;

/// Keywords in column names, lower-cased, and the kinds they suggest.
const HINTS: &[(&str, &[K])] = &[
    ("身份证", &[K::ResidentId]),
    ("证件号", &[K::ResidentId]),
    ("公民身份号码", &[K::ResidentId]),
    ("idcard", &[K::ResidentId]),
    ("id_card", &[K::ResidentId]),
    ("sfzh", &[K::ResidentId]),
    ("手机", &[K::Mobile]),
    ("移动电话", &[K::Mobile]),
    ("mobile", &[K::Mobile]),
    ("cellphone", &[K::Mobile]),
    ("sjhm", &[K::Mobile]),
    ("固定电话", &[K::Landline]),
    ("固话", &[K::Landline]),
    ("座机", &[K::Landline]),
    ("办公电话", &[K::Landline]),
    ("landline", &[K::Landline]),
    ("电话", &[K::Mobile, K::Landline]),
    ("phone", &[K::Mobile, K::Landline]),
    ("tel", &[K::Mobile, K::Landline]),
    ("银行卡", &[K::BankCard]),
    ("卡号", &[K::BankCard]),
    ("银行账号", &[K::BankCard]),
    ("bank_card", &[K::BankCard]),
    ("card_no", &[K::BankCard]),
    ("信用代码", &[K::CreditCode]),
    ("uscc", &[K::CreditCode]),
    ("credit_code", &[K::CreditCode]),
    ("tyshxydm", &[K::CreditCode]),
    ("邮箱", &[K::Email]),
    ("电子邮件", &[K::Email]),
    ("email", &[K::Email]),
    ("e-mail", &[K::Email]),
    ("车牌", &[K::LicencePlate]),
    ("号牌", &[K::LicencePlate]),
    ("plate", &[K::LicencePlate]),
    ("hphm", &[K::LicencePlate]),
    ("ip地址", &[K::IpAddress]),
    ("ip_addr", &[K::IpAddress]),
    ("出生", &[K::BirthDate]),
    ("生日", &[K::BirthDate]),
    ("birth", &[K::BirthDate]),
    ("dob", &[K::BirthDate]),
    ("csrq", &[K::BirthDate]),
    ("姓名", &[K::PersonName]),
    ("法定代表人", &[K::PersonName]),
    ("法人代表", &[K::PersonName]),
    ("联系人", &[K::PersonName]),
    ("负责人", &[K::PersonName]),
    ("驾驶员", &[K::PersonName]),
    ("person_name", &[K::PersonName]),
    ("地址", &[K::Address]),
    ("住址", &[K::Address]),
    ("住所", &[K::Address]),
    ("address", &[K::Address]),
    ("addr", &[K::Address]),
];

/// Whole column names that are too short to search inside.
const EXACT: &[(&str, &[K])] = &[
    ("ip", &[K::IpAddress]),
    ("name", &[K::PersonName]),
    ("xm", &[K::PersonName]),
];

/// The kinds a column's name points at.
pub(crate) fn hinted(column: &str) -> Vec<K> {
    let name = column.trim().to_lowercase();
    let mut kinds: Vec<K> = EXACT
        .iter()
        .filter(|(k, _)| name == *k)
        .flat_map(|(_, ks)| ks.iter().copied())
        .collect();
    for (keyword, ks) in HINTS {
        if name.contains(keyword) {
            kinds.extend(ks.iter().copied());
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Compound surnames, checked before the single ones.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木",
];

/// The most common single-character surnames, covering the great majority
/// of the population.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈\
姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔\
伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕\
屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎\
甄丛仲虞敖巩明佘池查麻苑迟邝";

pub(crate) fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// 2 to 4 Han characters starting with a common surname, or a name of a
/// minority nationality written with a middle dot (阿卜杜·热合曼).
pub(crate) fn looks_like_person_name(value: &str) -> bool {
    if let Some((given, family)) = value.split_once('·') {
        return [given, family]
            .iter()
            .all(|p| (1..=6).contains(&p.chars().count()) && p.chars().all(is_han));
    }
    let n = value.chars().count();
    if !(2..=4).contains(&n) || !value.chars().all(is_han) {
        return false;
    }
    // Places and bodies end in words that given names do not.
    const NOT_NAME_ENDINGS: &str = "省市区县镇乡村街路号局委办厅院所站队部处科司室园场店厂";
    if value
        .chars()
        .last()
        .is_some_and(|c| NOT_NAME_ENDINGS.contains(c))
    {
        return false;
    }
    if COMPOUND_SURNAMES.iter().any(|s| value.starts_with(s)) {
        return n >= 3;
    }
    value.chars().next().is_some_and(|c| SURNAMES.contains(c))
}

/// Words that mark the parts of a Chinese postal address.
const ADDRESS_MARKERS: &[&str] = &[
    "省", "市", "区", "县", "镇", "乡", "村", "街道", "路", "街", "巷", "号", "栋", "幢", "单元",
    "室", "小区", "大道",
];

/// How many distinct address markers a Han-script value carries.
pub(crate) fn address_markers(value: &str) -> usize {
    if value.chars().filter(|&c| is_han(c)).count() < 5 {
        return 0;
    }
    ADDRESS_MARKERS
        .iter()
        .filter(|m| value.contains(*m))
        .count()
}

/// Province-level abbreviations that begin a licence plate, and the
/// prefixes of embassy and consulate plates.
pub(crate) const PLATE_PROVINCES: &str =
    "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names() {
        assert_eq!(hinted("法定代表人身份证号"), [K::ResidentId, K::PersonName]);
        assert_eq!(hinted("联系电话"), [K::Mobile, K::Landline]);
        assert_eq!(hinted("IP"), [K::IpAddress]);
        assert_eq!(hinted("企业名称"), []);
        assert_eq!(hinted("Email"), [K::Email]);
    }

    #[test]
    fn person_names() {
        for name in ["张伟", "王秀英", "欧阳修文", "李", "阿卜杜·热合曼"] {
            assert_eq!(looks_like_person_name(name), name != "李", "{name}");
        }
        for not in ["成都市", "有限公司", "Zhang Wei", "张伟伟伟伟"] {
            assert!(!looks_like_person_name(not), "{not}");
        }
    }

    #[test]
    fn addresses() {
        assert!(address_markers("四川省成都市武侯区人民南路四段1号") >= 3);
        assert_eq!(address_markers("成都市"), 0);
    }
}
