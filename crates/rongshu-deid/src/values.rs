//! The value functions every step is made of. Each takes one value and
//! gives its replacement, or `None` when the value does not fit the
//! function (the runner turns that into a rejected row).

use chrono::{Datelike, NaiveDate};

use crate::pipeline::{DatePrecision, Mask, RegionLevel};

pub fn trim(value: &str) -> &str {
    value.trim()
}

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space to
/// their half-width forms.
pub fn half_width(value: &str) -> String {
    // Verification normalises every fact a call sends: most are ASCII, and
    // the rest never grow (a full-width character is 3 bytes, its
    // half-width 1), so one allocation serves.
    if value.is_ascii() {
        return value.to_owned();
    }
    let mut half = String::with_capacity(value.len());
    half.extend(value.chars().map(|c| match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        c => c,
    }));
    half
}

/// A date written as `2021-3-1`, `2021/03/01`, `2021.3.1`, `20210301` or
/// `2021年3月1日` (full-width digits after [`half_width`]).
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(value, "%Y%m%d").ok();
    }
    let unified: String = value
        .trim_end_matches('日')
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            c => c,
        })
        .collect();
    // A date and time keeps its date.
    let date = unified.split([' ', 'T']).next()?;
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

pub fn normalize_date(value: &str) -> Option<String> {
    parse_date(value).map(|d| d.format("%Y-%m-%d").to_string())
}

pub fn date_to(value: &str, precision: DatePrecision) -> Option<String> {
    let date = parse_date(value)?;
    Some(match precision {
        DatePrecision::Year => format!("{:04}", date.year()),
        DatePrecision::Month => format!("{:04}-{:02}", date.year(), date.month()),
    })
}

pub fn mask(value: &str, mask: Mask) -> String {
    match mask {
        Mask::Keep { first, last } => keep(value, first, last),
        Mask::Email => match value.split_once('@') {
            Some((local, domain)) => format!("{}@{domain}", keep(local, 1, 0)),
            None => keep(value, 1, 0),
        },
    }
}

/// Stars every character but the first `first` and last `last`; a value
/// too short for both keeps at most its first character, so that masking
/// never returns a short value whole.
fn keep(value: &str, first: usize, last: usize) -> String {
    let n = value.chars().count();
    let (first, last) = if first + last >= n {
        (first.min(n.saturating_sub(1)).min(1), 0)
    } else {
        (first, last)
    };
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < first || i >= n - last { c } else { '*' })
        .collect()
}

/// The birth date inside an 18-character resident ID number.
fn birth_date_of_id(value: &str) -> Option<NaiveDate> {
    if value.len() != 18 || !value.is_ascii() {
        return None;
    }
    NaiveDate::parse_from_str(&value[6..14], "%Y%m%d").ok()
}

/// Age in whole years on `today`, from an age, a date of birth or a
/// resident ID number.
pub fn age(value: &str, today: NaiveDate) -> Option<u32> {
    let value = value.trim();
    if let Ok(age) = value.parse::<u32>() {
        return (age < 150).then_some(age);
    }
    let born = birth_date_of_id(value).or_else(|| parse_date(value))?;
    today.years_since(born)
}

/// `30-39` for an age of 34 in bands of 10.
pub fn age_band(value: &str, width: u32, today: NaiveDate) -> Option<String> {
    let age = age(value, today)?;
    let from = age / width * width;
    Some(format!("{from}-{}", from + width - 1))
}

/// A 6-digit administrative-division code (or a resident ID number's
/// first six digits) cut to a level: `510104` → `510100` (city) →
/// `510000` (province).
pub fn region_code(value: &str, level: RegionLevel) -> Option<String> {
    let code = value.trim().get(..6)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match level {
        RegionLevel::Province => format!("{}0000", &code[..2]),
        RegionLevel::City => format!("{}00", &code[..4]),
        RegionLevel::District => code.to_owned(),
    })
}

/// An address cut after its level's marker: `四川省成都市锦江区春熙路1号`
/// → `四川省成都市锦江区` (district) or `四川省成都市` (city). Markers inside
/// words that are no division (小区, 社区, 园区, 开发区 ...) do not count.
pub fn address_region(value: &str, level: RegionLevel) -> Option<String> {
    let markers: &[char] = match level {
        RegionLevel::Province => &['省', '区'],
        RegionLevel::City => &['市', '州', '盟'],
        RegionLevel::District => &['区', '县', '旗'],
    };
    const NOT_DIVISIONS: [&str; 5] = ["小区", "社区", "园区", "开发区", "景区"];
    let mut end = None;
    for (at, c) in value.char_indices() {
        if !markers.contains(&c) {
            continue;
        }
        let upto = &value[..at + c.len_utf8()];
        if NOT_DIVISIONS.iter().any(|w| upto.ends_with(w)) {
            continue;
        }
        end = Some(upto.len());
        break;
    }
    // A county-level city (e.g. 都江堰市) stands where a district would.
    if end.is_none() && level == RegionLevel::District {
        end = value
            .char_indices()
            .filter(|(_, c)| *c == '市')
            .nth(1)
            .map(|(at, c)| at + c.len_utf8());
    }
    end.map(|end| value[..end].to_owned())
}

pub fn number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A number written back: whole numbers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

pub fn round_to(n: f64, base: f64) -> f64 {
    (n / base).round() * base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn masks_follow_the_conventions() {
        let check = |preset: &str, value: &str, expect: &str| {
            assert_eq!(
                mask(value, Mask::preset(preset).unwrap()),
                expect,
                "{preset}"
            );
        };
        check("name", "李四", "李*");
        check("name", "欧阳娜娜", "欧***");
        check("resident_id", "11010519491231002X", "1***************2X");
        check("mobile", "13512342210", "135****2210");
        check("landline", "02887654321", "0288*****21");
        check("bank_card", "6222021234567890123", "6222***********0123");
        check("plate", "苏D45670", "苏D4***0");
        check("email", "zhangsan@example.cn", "z*******@example.cn");
        // Too short for the mask: never returned whole.
        check("mobile", "12345", "1****");
        check("name", "李", "*");
    }

    #[test]
    fn dates_are_read_in_common_forms() {
        for written in [
            "2021-03-01",
            "2021-3-1",
            "2021/03/01",
            "2021.3.1",
            "20210301",
            "2021年3月1日",
            "2021-03-01 08:30:00",
        ] {
            assert_eq!(
                normalize_date(written).as_deref(),
                Some("2021-03-01"),
                "{written}"
            );
        }
        for bad in ["2021-02-30", "21-3-1", "yesterday", "2021-03", ""] {
            assert_eq!(normalize_date(bad), None, "{bad}");
        }
        assert_eq!(
            date_to("2021-03-01", DatePrecision::Month).as_deref(),
            Some("2021-03")
        );
        assert_eq!(
            date_to("2021-03-01", DatePrecision::Year).as_deref(),
            Some("2021")
        );
    }

    #[test]
    fn ages_come_from_ages_dates_and_id_numbers() {
        let today = day("2026-11-28");
        assert_eq!(age_band("34", 10, today).as_deref(), Some("30-39"));
        assert_eq!(
            age_band("11010519491231002X", 10, today).as_deref(),
            Some("70-79")
        );
        assert_eq!(age_band("1990-11-29", 5, today).as_deref(), Some("35-39"));
        assert_eq!(age_band("1990-11-28", 5, today).as_deref(), Some("35-39"));
        assert_eq!(age("1990-11-29", today), Some(35));
        assert_eq!(age_band("unknown", 10, today), None);
        assert_eq!(age("2030-01-01", today), None, "born in the future");
    }

    #[test]
    fn regions_are_cut_to_their_level() {
        assert_eq!(
            region_code("510104", RegionLevel::City).as_deref(),
            Some("510100")
        );
        assert_eq!(
            region_code("11010519491231002X", RegionLevel::Province).as_deref(),
            Some("110000")
        );
        assert_eq!(region_code("5101", RegionLevel::District), None);
        let addr = "四川省成都市锦江区春熙路1号阳光小区3栋";
        assert_eq!(
            address_region(addr, RegionLevel::District).as_deref(),
            Some("四川省成都市锦江区")
        );
        assert_eq!(
            address_region(addr, RegionLevel::City).as_deref(),
            Some("四川省成都市")
        );
        assert_eq!(
            address_region("成都市高新区天府大道", RegionLevel::District).as_deref(),
            Some("成都市高新区")
        );
        assert_eq!(
            address_region("四川省成都市都江堰市幸福路2号", RegionLevel::District).as_deref(),
            Some("四川省成都市都江堰市")
        );
        assert_eq!(
            address_region("天府软件园小区8号", RegionLevel::District),
            None,
            "a 小区 is no district"
        );
    }

    #[test]
    fn cleaning_helpers() {
        assert_eq!(half_width("ＡＢＣ１２３，　ｘ"), "ABC123, x");
        assert_eq!(half_width("张三 ＡＢ-12"), "张三 AB-12");
        assert_eq!(half_width("plain ascii"), "plain ascii");
        assert_eq!(trim("\u{3000} 张三 \t"), "张三");
        assert_eq!(format_number(10.0), "10");
        assert_eq!(format_number(10.25), "10.25");
        assert_eq!(round_to(1234.0, 5.0), 1235.0);
        assert_eq!(number(" 12.5 "), Some(12.5));
        assert_eq!(number("NaN"), None);
    }
}
