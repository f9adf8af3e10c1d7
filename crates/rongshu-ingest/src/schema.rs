//! Field types: inference from a sample of text values, and the
//! conversion of one text value to its typed form.

use std::fmt;
use std::str::FromStr;

use arrow_schema::{DataType, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime};

/// The types a delivered field can take. Deliberately few: what government
/// spreadsheets hold, each with one unambiguous text form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Integer,
    Decimal,
    Boolean,
    Date,
    /// A civil date and time, as written, without a zone.
    Timestamp,
}

impl FieldType {
    pub const ALL: [FieldType; 6] = [
        FieldType::Text,
        FieldType::Integer,
        FieldType::Decimal,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Timestamp,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Timestamp => "timestamp",
        }
    }

    pub(crate) fn data_type(self) -> DataType {
        match self {
            FieldType::Text => DataType::Utf8,
            FieldType::Integer => DataType::Int64,
            FieldType::Decimal => DataType::Float64,
            FieldType::Boolean => DataType::Boolean,
            FieldType::Date => DataType::Date32,
            FieldType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
        }
    }

    /// The field type an Arrow column maps to, for files that arrive typed.
    pub(crate) fn of_data_type(data_type: &DataType) -> FieldType {
        match data_type {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => FieldType::Integer,
            DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => FieldType::Decimal,
            DataType::Boolean => FieldType::Boolean,
            DataType::Date32 | DataType::Date64 => FieldType::Date,
            DataType::Timestamp(..) => FieldType::Timestamp,
            _ => FieldType::Text,
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown field type {0:?}; use text, integer, decimal, boolean, date or timestamp")]
pub struct UnknownFieldType(pub String);

impl FromStr for FieldType {
    type Err = UnknownFieldType;
    fn from_str(s: &str) -> Result<Self, UnknownFieldType> {
        FieldType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| UnknownFieldType(s.to_owned()))
    }
}

/// One typed value; `None` in a cell means empty (null).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Integer(i64),
    Decimal(f64),
    Boolean(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since 1970-01-01T00:00:00, civil time.
    Timestamp(i64),
}

const DATE_FORMATS: [&str; 3] = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"];
const TIMESTAMP_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
];

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// Integers as written by people: optional sign, digits, no leading zero
/// (a leading zero marks a code, such as a postcode or account number,
/// whose zeros matter) and at most 15 digits (longer digit strings are
/// identifiers, and would lose precision in spreadsheets anyway).
fn parse_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let plain = !digits.is_empty()
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if plain { s.parse().ok() } else { None }
}

fn parse_decimal(s: &str) -> Option<f64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.len() <= 15
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'));
    if plain { s.parse().ok() } else { None }
}

fn parse_boolean(s: &str) -> Option<bool> {
    match s {
        "true" | "TRUE" | "True" | "是" => Some(true),
        "false" | "FALSE" | "False" | "否" => Some(false),
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<i32> {
    DATE_FORMATS.iter().find_map(|f| {
        let date = NaiveDate::parse_from_str(s, f).ok()?;
        i32::try_from((date - epoch()).num_days()).ok()
    })
}

fn parse_timestamp(s: &str) -> Option<i64> {
    TIMESTAMP_FORMATS.iter().find_map(|f| {
        let at = NaiveDateTime::parse_from_str(s, f).ok()?;
        Some(at.and_utc().timestamp_millis())
    })
}

impl FieldType {
    /// The typed value of a non-empty cell, or `None` when the text is not
    /// of this type.
    pub(crate) fn parse(self, s: &str) -> Option<Value<'_>> {
        match self {
            FieldType::Text => Some(Value::Text(s)),
            FieldType::Integer => parse_integer(s).map(Value::Integer),
            FieldType::Decimal => parse_decimal(s).map(Value::Decimal),
            FieldType::Boolean => parse_boolean(s).map(Value::Boolean),
            FieldType::Date => parse_date(s).map(Value::Date),
            FieldType::Timestamp => parse_timestamp(s).map(Value::Timestamp),
        }
    }
}

/// Infers a field's type from sample values, trying the narrowest type
/// first: the first type that every non-empty value parses as wins, and a
/// field with no values at all is text.
#[derive(Clone, Debug)]
pub(crate) struct TypeGuess {
    candidates: Vec<FieldType>,
    seen: bool,
}

impl Default for TypeGuess {
    fn default() -> Self {
        TypeGuess {
            candidates: vec![
                FieldType::Integer,
                FieldType::Decimal,
                FieldType::Boolean,
                FieldType::Date,
                FieldType::Timestamp,
            ],
            seen: false,
        }
    }
}

impl TypeGuess {
    pub(crate) fn observe(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        self.seen = true;
        self.candidates.retain(|t| t.parse(value).is_some());
    }

    pub(crate) fn guess(&self) -> FieldType {
        match self.candidates.first() {
            Some(&t) if self.seen => t,
            _ => FieldType::Text,
        }
    }
}

/// A delivered file's column names, made usable: blank names become
/// `column_N`, surrounding space is trimmed and repeats get a `_N` suffix,
/// so every field can be addressed by name.
pub(crate) fn field_names<'a>(header: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, raw) in header.into_iter().enumerate() {
        let trimmed = raw.trim();
        let base = if trimmed.is_empty() {
            format!("column_{}", i + 1)
        } else {
            trimmed.to_owned()
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(values: &[&str]) -> FieldType {
        let mut g = TypeGuess::default();
        values.iter().for_each(|v| g.observe(v));
        g.guess()
    }

    #[test]
    fn narrowest_type_that_fits_every_value() {
        assert_eq!(guess(&["1", "-20", "", "300"]), FieldType::Integer);
        assert_eq!(guess(&["1", "2.5"]), FieldType::Decimal);
        assert_eq!(guess(&["是", "否", "true"]), FieldType::Boolean);
        assert_eq!(guess(&["2024-01-31", "2024/02/01"]), FieldType::Date);
        assert_eq!(guess(&["2024-01-31 08:00:00"]), FieldType::Timestamp);
        assert_eq!(guess(&["1", "x"]), FieldType::Text);
        assert_eq!(guess(&["", ""]), FieldType::Text);
    }

    #[test]
    fn codes_with_meaningful_digits_stay_text() {
        // Postcodes and account numbers keep their leading zeros; long digit
        // strings (ID and card numbers) keep every digit.
        assert_eq!(guess(&["010000", "610000"]), FieldType::Text);
        assert_eq!(guess(&["6222021234567890123"]), FieldType::Text);
        assert_eq!(guess(&["0.5", "00.5"]), FieldType::Text);
    }

    #[test]
    fn parsed_values_are_exact() {
        assert_eq!(FieldType::Date.parse("1970-01-02"), Some(Value::Date(1)));
        assert_eq!(FieldType::Date.parse("2024年2月30日"), None);
        assert_eq!(
            FieldType::Timestamp.parse("1970-01-01 00:00:01"),
            Some(Value::Timestamp(1000))
        );
        assert_eq!(FieldType::Integer.parse("+7"), Some(Value::Integer(7)));
        assert_eq!(FieldType::Decimal.parse("1e5"), None);
    }

    #[test]
    fn names_are_unique_and_never_blank() {
        assert_eq!(
            field_names([" 姓名 ", "", "姓名", "姓名"]),
            ["姓名", "column_2", "姓名_2", "姓名_3"]
        );
    }

    #[test]
    fn type_names_round_trip() {
        for t in FieldType::ALL {
            assert_eq!(t.as_str().parse::<FieldType>(), Ok(t));
        }
        assert!("float".parse::<FieldType>().is_err());
    }
}
