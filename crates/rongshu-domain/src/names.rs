//! Rules for the names people choose: organisation, resource and product
//! codes, user names, display names, names of uploaded files.

/// Why a chosen name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    #[error("organisation codes have 2 to 32 characters: lower-case letters, digits and hyphens")]
    OrganizationCode,
    #[error(
        "user names have 3 to 32 characters: lower-case letters, digits, '.', '_' and '-', starting with a letter"
    )]
    Username,
    #[error("names have 1 to 100 characters and no control characters")]
    DisplayName,
    #[error(
        "resource codes have 2 to 64 characters: lower-case letters, digits and hyphens, starting with a letter"
    )]
    ResourceCode,
    #[error(
        "product codes have 2 to 64 characters: lower-case letters, digits and hyphens, starting with a letter"
    )]
    ProductCode,
    #[error(
        "file names have 1 to 255 characters, no control characters and no '/' or '\\', and are not '.' or '..'"
    )]
    FileName,
}

pub fn check_organization_code(code: &str) -> Result<(), BadName> {
    let ok = (2..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(BadName::OrganizationCode)
    }
}

/// A resource's code names it in URLs and in the CKAN API (`name`).
pub fn check_resource_code(code: &str) -> Result<(), BadName> {
    is_url_code(code).then_some(()).ok_or(BadName::ResourceCode)
}

/// A product's code names it in URLs and API calls, like a resource's.
pub fn check_product_code(code: &str) -> Result<(), BadName> {
    is_url_code(code).then_some(()).ok_or(BadName::ProductCode)
}

fn is_url_code(code: &str) -> bool {
    (2..=64).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An uploaded file's name is shown in pages and offered again as a
/// download's name: one plain name, never a path, and nothing that shows
/// other than it reads (`a\u{202e}fdp.exe` shows as `aexe.pdf`).
pub fn check_file_name(name: &str) -> Result<(), BadName> {
    let ok = (1..=255).contains(&name.chars().count())
        && !name
            .chars()
            .any(|c| c.is_control() || is_hidden_format(c) || is_separator(c))
        && name != "."
        && name != "..";
    if ok { Ok(()) } else { Err(BadName::FileName) }
}

/// Directional marks and overrides, invisible joiners, and the line and
/// paragraph separators (Unicode's Cf, Zl and Zp characters in names).
fn is_hidden_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Path separators, and their full-width and mathematical look-alikes.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '/' | '\\' | '\u{FF0F}' | '\u{FF3C}' | '\u{2215}' | '\u{29F5}'
    )
}

pub fn check_username(name: &str) -> Result<(), BadName> {
    let ok = (3..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok { Ok(()) } else { Err(BadName::Username) }
}

pub fn check_display_name(name: &str) -> Result<(), BadName> {
    let n = name.trim().chars().count();
    if (1..=100).contains(&n) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(BadName::DisplayName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_codes() {
        for ok in ["sjj", "bdc-2", "ab"] {
            assert_eq!(check_organization_code(ok), Ok(()), "{ok}");
        }
        for bad in ["a", "UPPER", "with space", "市局", &"x".repeat(33)] {
            assert_eq!(
                check_organization_code(bad),
                Err(BadName::OrganizationCode),
                "{bad}"
            );
        }
    }

    #[test]
    fn file_names() {
        for ok in [
            "风控模型说明.pdf",
            "a",
            "report v2 (final).docx",
            &"名".repeat(255),
        ] {
            assert_eq!(check_file_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../../etc/passwd",
            "a\\b",
            "a\0b.txt",
            "a\r\nb",
            "a\u{202e}fdp.exe",
            "a\u{2028}b",
            "\u{ff0f}etc",
            "zero\u{200b}width",
            &"名".repeat(256),
        ] {
            assert_eq!(check_file_name(bad), Err(BadName::FileName), "{bad:?}");
        }
    }

    #[test]
    fn usernames() {
        for ok in ["zhang.san", "op_admin", "a12"] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ab",
            "1abc",
            "Zhang",
            "zhang san",
            "张三abc",
            &"a".repeat(33),
        ] {
            assert_eq!(check_username(bad), Err(BadName::Username), "{bad}");
        }
    }

    #[test]
    fn display_names() {
        assert_eq!(check_display_name("市市场监督管理局"), Ok(()));
        assert_eq!(check_display_name("  "), Err(BadName::DisplayName));
        assert_eq!(check_resource_code("bus-stops-2024"), Ok(()));
        for bad in ["b", "2024-bus", "Bus", "bus_stops", &"a".repeat(65)] {
            assert_eq!(
                check_resource_code(bad),
                Err(BadName::ResourceCode),
                "{bad}"
            );
        }
        assert_eq!(check_display_name("a\u{0}b"), Err(BadName::DisplayName));
        assert_eq!(
            check_display_name(&"长".repeat(101)),
            Err(BadName::DisplayName)
        );
    }
}
