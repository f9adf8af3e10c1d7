//! CSV dialect sniffing: which delimiter a file uses.

/// How a delimited file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub quote: u8,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            quote: b'"',
        }
    }
}

const CANDIDATES: [u8; 5] = [b',', b'\t', b';', b'|', 0x01];

/// Counts fields on each complete line of `sample`, honouring quotes (a
/// quoted field may hold delimiters and line breaks; `""` is a quote).
fn field_counts(sample: &str, delimiter: u8, quote: u8) -> Vec<usize> {
    let mut counts = Vec::new();
    let mut fields = 1;
    let mut quoted = false;
    let mut bytes = sample.bytes().peekable();
    while let Some(b) = bytes.next() {
        if quoted {
            if b == quote {
                if bytes.peek() == Some(&quote) {
                    bytes.next();
                } else {
                    quoted = false;
                }
            }
        } else if b == quote {
            quoted = true;
        } else if b == delimiter {
            fields += 1;
        } else if b == b'\n' {
            counts.push(fields);
            fields = 1;
        }
    }
    // A last line without its newline may be cut short by the end of the
    // sample, so it is not counted.
    counts
}

/// Picks the delimiter that splits the sample's lines into the same number
/// (more than one) of fields most consistently; ties go to the more usual
/// delimiter. `None` when no candidate splits the lines at all.
pub fn sniff_dialect(sample: &str) -> Option<Dialect> {
    let quote = b'"';
    let mut best: Option<(f64, usize, u8)> = None;
    for delimiter in CANDIDATES {
        let counts = field_counts(sample, delimiter, quote);
        if counts.is_empty() {
            continue;
        }
        let mut freq: Vec<(usize, usize)> = Vec::new();
        for &c in &counts {
            match freq.iter_mut().find(|(n, _)| *n == c) {
                Some(entry) => entry.1 += 1,
                None => freq.push((c, 1)),
            }
        }
        let (fields, hits) = freq
            .into_iter()
            .max_by_key(|&(n, k)| (k, n))
            .expect("non-empty");
        if fields < 2 {
            continue;
        }
        let consistency = hits as f64 / counts.len() as f64;
        if best.is_none_or(|(c, f, _)| consistency > c || (consistency == c && fields > f)) {
            best = Some((consistency, fields, delimiter));
        }
    }
    best.filter(|(c, _, _)| *c >= 0.8)
        .map(|(_, _, delimiter)| Dialect { delimiter, quote })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delimiter(sample: &str) -> Option<char> {
        sniff_dialect(sample).map(|d| d.delimiter as char)
    }

    #[test]
    fn usual_delimiters() {
        assert_eq!(delimiter("a,b,c\n1,2,3\n4,5,6\n"), Some(','));
        assert_eq!(delimiter("a\tb\tc\n1\t2\t3\n"), Some('\t'));
        assert_eq!(
            delimiter("名称;金额\n蓉城;1,5\n锦江;2,0\n"),
            Some(';'),
            "decimal commas inside"
        );
        assert_eq!(delimiter("a|b\n1|2\n"), Some('|'));
    }

    #[test]
    fn quotes_hide_delimiters_and_line_breaks() {
        let sample =
            "名称,地址,备注\n\"成都,蓉城\",\"武侯区\n人民南路\",\"他说\"\"好\"\"\"\nx,y,z\n";
        assert_eq!(delimiter(sample), Some(','));
        assert_eq!(field_counts(sample, b',', b'"'), [3, 3, 3]);
    }

    #[test]
    fn no_delimiter_no_dialect() {
        assert_eq!(delimiter("just one column\nand another line\n"), None);
        assert_eq!(delimiter(""), None);
    }
}
