//! Check digits of the national identifier standards.

/// GB 11643-1999: 17 digits and a check character (ISO 7064 MOD 11-2),
/// with a real birth date in positions 7-14.
pub fn resident_id_valid(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u8; 11] = *b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b[17].to_ascii_uppercase();
    check == CHECK[(sum % 11) as usize] && region_plausible(id) && birth_date_plausible(&id[6..14])
}

/// The province-level codes that begin every administrative division code
/// (GB/T 2260), and 10 for bodies registered centrally.
pub(crate) fn region_plausible(code: &str) -> bool {
    const PROVINCES: [&str; 35] = [
        "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63",
        "64", "65", "71", "81", "82",
    ];
    code.len() >= 2 && code.is_char_boundary(2) && PROVINCES.contains(&&code[..2])
}

/// `YYYYMMDD` naming a real day between 1900 and 2099.
pub(crate) fn birth_date_plausible(yyyymmdd: &str) -> bool {
    let n = |r: std::ops::Range<usize>| yyyymmdd.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (n(0..4), n(4..6), n(6..8)) else {
        return false;
    };
    (1900..2100).contains(&y) && day_exists(y, m, d)
}

pub(crate) fn day_exists(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// The 31 characters of GB 32100-2015, valued 0..30 in this order.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Whether 18 characters are all from the credit-code alphabet, with a
/// real province in the region code (positions 3-8).
pub(crate) fn credit_code_shaped(code: &str) -> bool {
    code.len() == 18
        && code.bytes().all(|c| CREDIT_ALPHABET.contains(&c))
        && region_plausible(&code[2..])
}

/// GB 32100-2015: weights 3^(i-1) mod 31; check value 31 - (sum mod 31),
/// with 31 written as 0.
pub fn credit_code_valid(code: &str) -> bool {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if !credit_code_shaped(code) {
        return false;
    }
    let value = |c: u8| {
        CREDIT_ALPHABET
            .iter()
            .position(|&a| a == c)
            .map(|v| v as u32)
    };
    let b = code.as_bytes();
    let mut sum = 0;
    for (c, w) in b[..17].iter().zip(WEIGHTS) {
        let Some(v) = value(*c) else { return false };
        sum += v * w;
    }
    let check = (31 - sum % 31) % 31;
    value(b[17]) == Some(check)
}

/// The Luhn (mod 10) check of card numbers.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_ids() {
        assert!(
            resident_id_valid("11010519491231002X"),
            "the standard's example"
        );
        assert!(resident_id_valid("11010519491231002x"), "lower-case x");
        assert!(
            !resident_id_valid("110105194912310021"),
            "wrong check character"
        );
        assert!(!resident_id_valid("11010519491331002X"), "month 13");
        assert!(!resident_id_valid("1101051949123100"), "too short");
        assert!(
            !region_plausible("99") && region_plausible("510104") && region_plausible("100000")
        );
    }

    #[test]
    fn credit_codes() {
        let base = "91510100MA61R6XK3";
        let valid: Vec<String> = CREDIT_ALPHABET
            .iter()
            .map(|&c| format!("{base}{}", c as char))
            .filter(|c| credit_code_valid(c))
            .collect();
        assert_eq!(valid.len(), 1, "exactly one check character fits");
        assert!(
            !credit_code_valid("91510100MA61R6XKIB"),
            "I is not in the alphabet"
        );
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("79927398713"), "the classic example");
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("41111x1111111111"));
    }

    #[test]
    fn calendar() {
        assert!(day_exists(2024, 2, 29));
        assert!(!day_exists(2023, 2, 29));
        assert!(!day_exists(1900, 2, 29));
        assert!(day_exists(2000, 2, 29));
    }
}
