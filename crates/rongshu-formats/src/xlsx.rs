//! XLSX written as a stream: the workbook's fixed parts first, then the
//! one worksheet row by row into a streamed ZIP entry, so a download of a
//! million rows holds one batch in memory, not the workbook.
//!
//! Cells are inline strings and numbers (no shared-string table, which
//! would have to be complete before the sheet that refers to it).

use std::io::Write;

use rongshu_deid::Batch;
use zip::ZipWriter;
use zip::write::{SimpleFileOptions, StreamWriter};

use crate::FormatError;
use crate::write::OutputColumn;

/// Rows per sheet in XLSX, the header included.
const MAX_ROWS: u32 = 1_048_576;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// The least style sheet spreadsheet programs accept: one font, fill,
/// border and cell format.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>"#;

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

const SHEET_END: &str = "</sheetData></worksheet>";

pub(crate) struct XlsxOut<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    numeric: Vec<bool>,
    rows: u32,
    /// One row's XML, reused.
    line: String,
}

impl<W: Write> XlsxOut<W> {
    pub(crate) fn new(columns: &[OutputColumn], sink: W) -> Result<XlsxOut<W>, FormatError> {
        let mut zip = ZipWriter::new_stream(sink);
        for (name, body) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", PACKAGE_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ] {
            zip.start_file(name, part())?;
            zip.write_all(body.as_bytes())?;
        }
        zip.start_file("xl/worksheets/sheet1.xml", part().large_file(true))?;
        zip.write_all(SHEET_START.as_bytes())?;
        let mut out = XlsxOut {
            zip,
            numeric: columns.iter().map(|c| c.column_type.is_number()).collect(),
            rows: 0,
            line: String::new(),
        };
        out.row(columns.iter().map(|c| Some(c.name.as_str())), false)?;
        Ok(out)
    }

    pub(crate) fn write(&mut self, batch: &Batch) -> Result<(), FormatError> {
        if u64::from(self.rows) + batch.rows as u64 > u64::from(MAX_ROWS) {
            return Err(FormatError::TooManyRowsForXlsx { max: MAX_ROWS - 1 });
        }
        for r in 0..batch.rows {
            self.row(batch.columns.iter().map(|c| c[r].as_deref()), true)?;
        }
        Ok(())
    }

    fn row<'a>(
        &mut self,
        cells: impl Iterator<Item = Option<&'a str>>,
        typed: bool,
    ) -> Result<(), FormatError> {
        self.line.clear();
        self.line.push_str("<row>");
        for (at, cell) in cells.enumerate() {
            let Some(value) = cell else {
                // An empty cell keeps the next one in its column.
                self.line.push_str("<c/>");
                continue;
            };
            let number = typed && self.numeric.get(at).copied().unwrap_or(false);
            match value.parse::<f64>() {
                Ok(n) if number && n.is_finite() => {
                    self.line.push_str("<c><v>");
                    self.line.push_str(value.trim());
                    self.line.push_str("</v></c>");
                }
                _ => {
                    self.line
                        .push_str(r#"<c t="inlineStr"><is><t xml:space="preserve">"#);
                    escape_into(&mut self.line, value);
                    self.line.push_str("</t></is></c>");
                }
            }
        }
        self.line.push_str("</row>");
        self.zip.write_all(self.line.as_bytes())?;
        self.rows += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<W, FormatError> {
        self.zip.write_all(SHEET_END.as_bytes())?;
        Ok(self.zip.finish()?.into_inner())
    }
}

/// XML text: markup characters escaped; control characters XML 1.0 cannot
/// carry written as SpreadsheetML's `_xHHHH_` escapes, so no cell is lost.
/// A literal `_xHHHH_` in the value has its underscore escaped, or readers
/// would decode it.
fn escape_into(out: &mut String, value: &str) {
    for (at, c) in value.char_indices() {
        match c {
            '_' if looks_escaped(&value[at..]) => out.push_str("_x005F_"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32));
            }
            c => out.push(c),
        }
    }
}

fn looks_escaped(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

fn part() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

#[cfg(test)]
mod tests {
    use super::escape_into;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        let mut out = String::new();
        escape_into(&mut out, "a<b>&c\u{1}\td_x0041_");
        assert_eq!(out, "a&lt;b&gt;&amp;c_x0001_\td_x005F_x0041_");
    }
}
