//! Reading versions and writing every output format, each read back by
//! an independent reader.

use std::io::{Cursor, Read};
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use rongshu_formats::{
    Batch, ColumnType, FormatError, OutputColumn, OutputFormat, Package, TableWriter, VersionReader,
};

/// A version with (名称 text, 人数 integer, 成立日期 date), three rows.
fn version() -> Bytes {
    let schema = Arc::new(Schema::new(vec![
        Field::new("名称", DataType::Utf8, true),
        Field::new("人数", DataType::Int64, true),
        Field::new("成立日期", DataType::Date32, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![
            Some("甲公司"),
            Some("乙,\"公司\""),
            None,
        ])),
        Arc::new(Int64Array::from(vec![Some(12), None, Some(3)])),
        Arc::new(Date32Array::from(vec![Some(18687), Some(0), None])),
    ];
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), None).unwrap();
    writer
        .write(&RecordBatch::try_new(schema, columns).unwrap())
        .unwrap();
    writer.close().unwrap();
    Bytes::from(out)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn read(fields: &[&str], batch_rows: usize) -> (Vec<ColumnType>, Vec<Batch>) {
    let reader = VersionReader::open(version(), &names(fields), batch_rows).unwrap();
    let types = reader.types().to_vec();
    (types, reader.map(Result::unwrap).collect())
}

fn output() -> (Vec<OutputColumn>, Batch) {
    let (types, batches) = read(&["名称", "人数", "成立日期"], 10);
    let columns = names(&["名称", "人数", "成立日期"])
        .into_iter()
        .zip(types)
        .map(|(name, column_type)| OutputColumn { name, column_type })
        .collect();
    (columns, batches.into_iter().next().unwrap())
}

#[test]
fn versions_read_as_text_in_the_order_asked() {
    let (types, batches) = read(&["成立日期", "名称"], 2);
    assert_eq!(types, vec![ColumnType::Date, ColumnType::Text]);
    assert_eq!(batches.len(), 2, "batches of two rows");
    assert_eq!(
        batches[0].columns,
        vec![
            vec![Some("2021-03-01".to_owned()), Some("1970-01-01".to_owned())],
            vec![Some("甲公司".to_owned()), Some("乙,\"公司\"".to_owned())],
        ]
    );
    assert_eq!(batches[1].columns, vec![vec![None], vec![None]]);
    let missing = VersionReader::open(version(), &names(&["法人"]), 10).unwrap_err();
    assert!(matches!(missing, FormatError::MissingField(f) if f == "法人"));
}

fn written(format: OutputFormat) -> Vec<u8> {
    let (columns, batch) = output();
    let mut writer = TableWriter::new(format, columns, Vec::new()).unwrap();
    writer.write(&batch).unwrap();
    writer.finish().unwrap()
}

#[test]
fn csv_comes_in_utf8_and_gb18030() {
    let utf8 = String::from_utf8(written(OutputFormat::Csv)).unwrap();
    assert_eq!(
        utf8,
        "名称,人数,成立日期\n甲公司,12,2021-03-01\n\"乙,\"\"公司\"\"\",,1970-01-01\n,3,\n"
    );
    let gb = written(OutputFormat::CsvGb18030);
    assert!(std::str::from_utf8(&gb).is_err(), "not UTF-8");
    let (decoded, _, malformed) = encoding_rs::GB18030.decode(&gb);
    assert!(!malformed);
    assert_eq!(decoded, utf8);
}

#[test]
fn the_spreadsheet_csv_guards_text_that_would_run_as_a_formula() {
    let column = |name: &str, column_type| OutputColumn {
        name: name.into(),
        column_type,
    };
    let columns = vec![
        column("=名称", ColumnType::Text),
        column("差额", ColumnType::Integer),
    ];
    let cells = |values: &[&str]| values.iter().map(|v| Some(v.to_string())).collect();
    let batch = Batch {
        rows: 6,
        columns: vec![
            cells(&["=1+2", "@SUM(A1)", "+86", "-x", "\tcmd", "甲=乙"]),
            cells(&["-5", "+5", "0", "1", "2", "3"]),
        ],
    };
    let written = |format| {
        let mut writer = TableWriter::new(format, columns.clone(), Vec::new()).unwrap();
        writer.write(&batch).unwrap();
        writer.finish().unwrap()
    };
    let gb = written(OutputFormat::CsvGb18030);
    let (spreadsheet, _, _) = encoding_rs::GB18030.decode(&gb);
    assert_eq!(
        spreadsheet,
        "'=名称,差额\n'=1+2,-5\n'@SUM(A1),+5\n'+86,0\n'-x,1\n'\tcmd,2\n甲=乙,3\n"
    );
    let exact = String::from_utf8(written(OutputFormat::Csv)).unwrap();
    assert!(exact.starts_with("=名称,差额\n=1+2,-5\n"), "{exact}");
}

#[test]
fn json_keeps_numbers_as_numbers() {
    let json: serde_json::Value = serde_json::from_slice(&written(OutputFormat::Json)).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"名称": "甲公司", "人数": 12, "成立日期": "2021-03-01"},
            {"名称": "乙,\"公司\"", "人数": null, "成立日期": "1970-01-01"},
            {"名称": null, "人数": 3, "成立日期": null},
        ])
    );
    let text = String::from_utf8(written(OutputFormat::Json)).unwrap();
    assert!(
        text.contains(r#"{"名称":"甲公司","人数":12,"成立日期":"2021-03-01"}"#),
        "fields in the product's order: {text}"
    );
}

#[test]
fn parquet_keeps_its_types_and_refuses_values_that_do_not_fit() {
    let parquet = Bytes::from(written(OutputFormat::Parquet));
    let reader = VersionReader::open(parquet, &names(&["名称", "人数", "成立日期"]), 10).unwrap();
    assert_eq!(
        reader.types(),
        &[ColumnType::Text, ColumnType::Integer, ColumnType::Date]
    );
    let (_, original) = output();
    let batches: Vec<Batch> = reader.map(Result::unwrap).collect();
    assert_eq!(batches, vec![original]);

    let columns = vec![OutputColumn {
        name: "人数".into(),
        column_type: ColumnType::Integer,
    }];
    let mut writer = TableWriter::new(OutputFormat::Parquet, columns, Vec::new()).unwrap();
    let bad = Batch {
        rows: 1,
        columns: vec![vec![Some("十二".into())]],
    };
    let err = writer.write(&bad).unwrap_err().to_string();
    assert_eq!(
        err,
        "the field 人数 holds \"十二\", which is no whole number"
    );
}

#[test]
fn xlsx_reads_back_in_a_spreadsheet_reader() {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(written(OutputFormat::Xlsx))).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][0], Data::String("名称".into()));
    assert_eq!(rows[1][1], Data::Float(12.0));
    assert_eq!(rows[2][0], Data::String("乙,\"公司\"".into()));
    // The missing 人数 leaves its cell empty and 成立日期 in its column.
    assert_eq!(rows[2][1], Data::Empty);
    assert_eq!(rows[2][2], Data::String("1970-01-01".into()));
    assert_eq!(rows.len(), 4);
}

#[test]
fn xlsx_keeps_markup_characters_as_text() {
    use calamine::{Data, Reader, Xlsx};
    let columns = vec![OutputColumn {
        name: "备注<&>".into(),
        column_type: ColumnType::Text,
    }];
    let mut writer = TableWriter::new(OutputFormat::Xlsx, columns, Vec::new()).unwrap();
    let batch = Batch {
        rows: 1,
        columns: vec![vec![Some(" <b>甲&乙</b> ".into())]],
    };
    writer.write(&batch).unwrap();
    let bytes = writer.finish().unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][0], Data::String("备注<&>".into()));
    assert_eq!(rows[1][0], Data::String(" <b>甲&乙</b> ".into()));
}

/// Counts what reaches it, so a test can see bytes leave before the end.
#[derive(Clone, Default)]
struct Counting(Arc<std::sync::atomic::AtomicUsize>);

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .fetch_add(buf.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_format_streams_before_it_finishes() {
    let (columns, _) = output();
    // Long names of pseudo-random letters, so that no encoding or
    // compression shrinks 300,000 rows to a few megabytes.
    let rows = 60_000;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut letter = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        char::from(b'A' + (state % 58) as u8)
    };
    let big = Batch {
        rows,
        columns: vec![
            (0..rows)
                .map(|_| Some((0..100).map(|_| letter()).collect()))
                .collect(),
            (0..rows).map(|i| Some(i.to_string())).collect(),
            vec![Some("2021-03-01".to_owned()); rows],
        ],
    };
    for format in OutputFormat::ALL {
        let sink = Counting::default();
        let mut writer = TableWriter::new(format, columns.clone(), sink.clone()).unwrap();
        for _ in 0..5 {
            writer.write(&big).unwrap();
        }
        let before_end = sink.0.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            before_end > 0,
            "{format:?} held all 300,000 rows until the end"
        );
        writer.finish().unwrap();
    }
}

#[test]
fn packages_hold_the_data_and_then_the_metadata() {
    let (columns, batch) = output();
    let mut package = Package::start(OutputFormat::Csv, columns, Vec::new()).unwrap();
    package.write(&batch).unwrap();
    let zipped = package.finish(r#"{"citation":"蓉数"}"#).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(zipped)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["data.csv", "metadata.json"]);
    let mut data = String::new();
    archive
        .by_name("data.csv")
        .unwrap()
        .read_to_string(&mut data)
        .unwrap();
    assert!(data.starts_with("名称,人数,成立日期\n甲公司,12,2021-03-01\n"));
    let mut meta = String::new();
    archive
        .by_name("metadata.json")
        .unwrap()
        .read_to_string(&mut meta)
        .unwrap();
    assert_eq!(meta, r#"{"citation":"蓉数"}"#);
}
