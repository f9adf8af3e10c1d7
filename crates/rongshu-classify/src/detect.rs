//! Recognising one value.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::IdentifierKind as K;
use crate::checksum::{
    birth_date_plausible, credit_code_shaped, credit_code_valid, day_exists, luhn_valid,
    resident_id_valid,
};
use crate::names::{PLATE_PROVINCES, address_markers, is_han, looks_like_person_name};

/// How strongly a value matches a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    /// Fits the form but proves little alone: a date, a name-like string,
    /// an address-like string, a credit code failing its check (some real
    /// ones do, per REFERENCE: a weaker signal, not a reject).
    Weak,
    /// Fits the form and its check digit, or an unmistakable form.
    Strong,
}

/// Kinds in the order a value is tried: the most specific first, so an
/// 18-digit resident ID is not taken for a bank card, nor a card that
/// happens to fit the credit-code check for a credit code.
const PRIORITY: [K; 11] = [
    K::ResidentId,
    K::BankCard,
    K::CreditCode,
    K::Mobile,
    K::Landline,
    K::Email,
    K::IpAddress,
    K::LicencePlate,
    K::BirthDate,
    K::PersonName,
    K::Address,
];

/// The most specific kind `value` matches, preferring strong matches.
pub fn detect(value: &str) -> Option<(K, Match)> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let found = PRIORITY
        .iter()
        .filter_map(|&k| matches(k, value).map(|m| (k, m)));
    let mut weak = None;
    for (k, m) in found {
        if m == Match::Strong {
            return Some((k, m));
        }
        weak.get_or_insert((k, m));
    }
    weak
}

/// Whether `value` matches `kind`, and how strongly.
pub fn matches(kind: K, value: &str) -> Option<Match> {
    let v = value.trim();
    let strong = |ok: bool| ok.then_some(Match::Strong);
    match kind {
        K::ResidentId => strong(resident_id_valid(v)),
        K::CreditCode => {
            let upper = v.to_ascii_uppercase();
            if credit_code_valid(&upper) {
                Some(Match::Strong)
            } else {
                // Shape alone, with a letter somewhere so plain numbers do not count.
                (credit_code_shaped(&upper) && upper.bytes().any(|b| b.is_ascii_alphabetic()))
                    .then_some(Match::Weak)
            }
        }
        K::BankCard => bank_card(v),
        K::Mobile => strong(is_mobile(&compact(v))),
        K::Landline => strong(is_landline(v)),
        K::Email => strong(is_email(v)),
        K::IpAddress => strong(
            v.parse::<Ipv4Addr>().is_ok() || (v.contains(':') && v.parse::<Ipv6Addr>().is_ok()),
        ),
        K::LicencePlate => strong(is_plate(v)),
        K::BirthDate => is_date(v).then_some(Match::Weak),
        K::PersonName => looks_like_person_name(v).then_some(Match::Weak),
        K::Address => match address_markers(v) {
            0 | 1 => None,
            2 => Some(Match::Weak),
            _ => Some(Match::Strong),
        },
    }
}

/// Drops the spaces and hyphens people type into numbers.
fn compact(v: &str) -> String {
    v.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// 16 to 19 digits passing Luhn. A random number passes one time in ten,
/// so only issuer prefixes with their card lengths make it strong:
/// UnionPay 62 (16-19), Visa 4 (16, 19), Mastercard 51-55 and 2221-2720
/// (16), JCB 35 (16-19). An 18-digit number shaped like a resident ID
/// (a real birth date in place) stays weak: regions 51 (Sichuan) and 62
/// (Gansu) would otherwise look like cards.
fn bank_card(v: &str) -> Option<Match> {
    let d = compact(v);
    if !(16..=19).contains(&d.len()) || !luhn_valid(&d) {
        return None;
    }
    let n = |len: usize| d[..len].parse::<u32>().unwrap_or(0);
    let len = d.len();
    let known_issuer = d.starts_with("62")
        || (d.starts_with('4') && (len == 16 || len == 19))
        || (len == 16 && ((51..=55).contains(&n(2)) || (2221..=2720).contains(&n(4))))
        || n(2) == 35;
    let id_shaped = len == 18 && birth_date_plausible(&d[6..14]);
    Some(if known_issuer && !id_shaped {
        Match::Strong
    } else {
        Match::Weak
    })
}

/// `1[3-9]` and nine more digits, with or without +86.
fn is_mobile(d: &str) -> bool {
    let d = d
        .strip_prefix("+86")
        .or_else(|| d.strip_prefix("86").filter(|r| r.len() == 11))
        .unwrap_or(d);
    d.len() == 11 && all_digits(d) && d.starts_with('1') && (b'3'..=b'9').contains(&d.as_bytes()[1])
}

/// An area code (0 and two or three digits) and a 7- or 8-digit local
/// number not starting with 0 or 1, with an optional extension:
/// `028-85551234`, `(028)85551234`, `028 8555 1234-801`.
fn is_landline(v: &str) -> bool {
    let v = v.trim();
    let (main, _extension) = match v.rsplit_once(['-', '转']) {
        Some((m, e)) if (1..=5).contains(&e.len()) && all_digits(e) && m.len() > 8 => (m, Some(e)),
        _ => (v, None),
    };
    let d: String = main
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）'))
        .collect();
    if !all_digits(&d) || !d.starts_with('0') || d.as_bytes().get(1) == Some(&b'0') {
        return false;
    }
    // Area codes: 010 and 02x have three digits, the rest four.
    let area = if d.starts_with("01") || d.starts_with("02") {
        3
    } else {
        4
    };
    let local = &d[area.min(d.len())..];
    (7..=8).contains(&local.len()) && !local.starts_with(['0', '1'])
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// A province character, a letter, then five characters (six for new
/// energy vehicles), optionally ending in 挂/学/警/港/澳; letters I and O
/// are never used.
fn is_plate(v: &str) -> bool {
    let chars: Vec<char> = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '·' | '•' | '-'))
        .collect();
    let Some((&first, rest)) = chars.split_first() else {
        return false;
    };
    if !PLATE_PROVINCES.contains(first) {
        return false;
    }
    let plate_letter = |c: char| c.is_ascii_uppercase() && c != 'I' && c != 'O';
    let Some((&city, tail)) = rest.split_first() else {
        return false;
    };
    if !plate_letter(city) {
        return false;
    }
    let (body, suffix) = match tail.split_last() {
        Some((&last, body)) if "挂学警港澳".contains(last) => (body, true),
        _ => (tail, false),
    };
    let body_ok = body.iter().all(|&c| c.is_ascii_digit() || plate_letter(c));
    body_ok
        && (body.len() == 5 || (!suffix && body.len() == 6))
        && body.iter().any(|c| c.is_ascii_digit())
}

/// A calendar date from 1900 on: `2001-02-03`, `2001/2/3`, `20010203`,
/// `2001年2月3日`.
fn is_date(v: &str) -> bool {
    if v.len() == 8 && all_digits(v) {
        return birth_date_plausible(v);
    }
    let parts: Vec<&str> = v
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3
        || v.chars()
            .any(|c| !(c.is_ascii_digit() || "-/.年月日".contains(c)))
        || v.contains(is_han_digit)
    {
        return false;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    match (num(parts[0]), num(parts[1]), num(parts[2])) {
        (Some(y), Some(m), Some(d)) if parts[0].len() == 4 => {
            (1900..2100).contains(&y) && day_exists(y, m, d)
        }
        _ => false,
    }
}

fn is_han_digit(c: char) -> bool {
    is_han(c) && "〇一二三四五六七八九十".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str, expect: Option<(K, Match)>) {
        assert_eq!(detect(value), expect, "{value:?}");
    }

    #[test]
    fn values() {
        use Match::*;
        check("11010519491231002X", Some((K::ResidentId, Strong)));
        check("13812345678", Some((K::Mobile, Strong)));
        check("+86 138 1234 5678", Some((K::Mobile, Strong)));
        check("12812345678", None);
        check("028-85551234", Some((K::Landline, Strong)));
        check("(028)85551234-801", Some((K::Landline, Strong)));
        check("010 6512 3456", Some((K::Landline, Strong)));
        check("6222 0212 3456 7899", detect("6222021234567899"));
        check("zhang.san@example.com.cn", Some((K::Email, Strong)));
        check("zhang@@example.com", None);
        check("192.168.10.1", Some((K::IpAddress, Strong)));
        check("2001:db8::1", Some((K::IpAddress, Strong)));
        check("川A12345", Some((K::LicencePlate, Strong)));
        check("川A·D12345", Some((K::LicencePlate, Strong)));
        check("川AI2345", None);
        check("1990-05-17", Some((K::BirthDate, Weak)));
        check("1990年5月17日", Some((K::BirthDate, Weak)));
        check("1990-02-30", None);
        check("张伟", Some((K::PersonName, Weak)));
        check(
            "四川省成都市武侯区人民南路四段1号",
            Some((K::Address, Strong)),
        );
        check("", None);
        check("hello", None);
    }

    #[test]
    fn bank_cards_need_luhn_and_a_known_issuer() {
        let luhn_ok = "6222021234567890124";
        let body = &luhn_ok[..18];
        let with_check = (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|c| luhn_valid(c))
            .unwrap();
        assert_eq!(matches(K::BankCard, &with_check), Some(Match::Strong));
        let unknown_issuer = (0..10)
            .map(|d| format!("99000000000000{d}0"))
            .find(|c| luhn_valid(c))
            .unwrap();
        assert_eq!(matches(K::BankCard, &unknown_issuer), Some(Match::Weak));
    }

    #[test]
    fn credit_codes_failing_their_check_are_weak() {
        let base = "91510100MA61R6XK3";
        let all: Vec<_> = "0123456789ABCDEFGHJKLMNPQRTUWXY"
            .chars()
            .map(|c| format!("{base}{c}"))
            .collect();
        let strong = all
            .iter()
            .filter(|c| matches(K::CreditCode, c) == Some(Match::Strong))
            .count();
        let weak = all
            .iter()
            .filter(|c| matches(K::CreditCode, c) == Some(Match::Weak))
            .count();
        assert_eq!((strong, weak), (1, 30));
        let digits = (0..10)
            .map(|d| format!("12345678901234567{d}"))
            .find(|c| !credit_code_valid(c))
            .unwrap();
        assert_eq!(
            matches(K::CreditCode, &digits),
            None,
            "digits alone failing the check are not a code"
        );
    }
}
