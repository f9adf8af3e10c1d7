//! Deliveries in every format, read back from the Parquet they became.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rongshu_classify::IdentifierKind;
use rongshu_ingest::{
    FieldType, Format, IngestError, IngestOptions, IngestReport, TextEncoding, ingest,
};

fn run(
    input: &[u8],
    options: &IngestOptions,
) -> Result<(IngestReport, Vec<RecordBatch>), IngestError> {
    let (report, parquet) = ingest(input, options, Vec::new(), &mut |_| {})?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(parquet))
        .unwrap()
        .build()
        .unwrap();
    Ok((report, reader.map(Result::unwrap).collect()))
}

fn texts(batches: &[RecordBatch], column: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(column).unwrap().as_string::<i32>().clone();
            (0..c.len())
                .map(|i| (!c.is_null(i)).then(|| c.value(i).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn field_type(report: &IngestReport, name: &str) -> FieldType {
    report
        .fields
        .iter()
        .find(|f| f.name == name)
        .unwrap()
        .field_type
}

const REGISTRATIONS: &str = "\u{feff}企业名称,统一社会信用代码,注册资本,成立日期,联系电话,备注\n\
成都蓉城科技有限公司,91510100MA61R9XX4U,100.5,2019-03-01,13812345678,\"含,逗号\"\n\
四川天府物流有限公司,91510104MA6CGCKP8N,2000,2020-11-30,13987654321,\"跨\n行\"\n\
成都锦江餐饮管理有限公司,,,2021-01-15,,\n";

#[test]
fn utf8_csv_with_quotes_types_and_bom() {
    let (report, batches) =
        run(REGISTRATIONS.as_bytes(), &IngestOptions::new(Format::Csv)).unwrap();
    assert_eq!(report.rows, 3);
    assert_eq!(report.bad_rows, 0);
    assert_eq!(report.encoding, Some(TextEncoding::Utf8));
    assert_eq!(
        report.fields[0].name, "企业名称",
        "the byte-order mark is not part of the name"
    );
    assert_eq!(field_type(&report, "注册资本"), FieldType::Decimal);
    assert_eq!(field_type(&report, "成立日期"), FieldType::Date);
    // Phone numbers look like integers but are identifiers.
    assert_eq!(field_type(&report, "联系电话"), FieldType::Text);
    assert_eq!(
        texts(&batches, "备注"),
        [Some("含,逗号".into()), Some("跨\n行".into()), None]
    );
    let capital = batches[0]
        .column_by_name("注册资本")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!(capital.value(1), 2000.0);
    assert!(capital.is_null(2));
    let founded = batches[0]
        .column_by_name("成立日期")
        .unwrap()
        .as_primitive::<Date32Type>();
    assert_eq!(founded.value(0), 17956, "2019-03-01");
    let phone = &report.fields[4].classification;
    assert_eq!(
        phone.detection.as_ref().unwrap().kind,
        IdentifierKind::Mobile
    );
    let code = &report.fields[1].classification;
    assert_eq!(
        code.detection.as_ref().unwrap().kind,
        IdentifierKind::CreditCode
    );
}

#[test]
fn gb18030_tab_separated_is_detected_and_decoded() {
    let text = "姓名\t年龄\t住址\n张伟\t34\t四川省成都市武侯区人民南路四段1号\n李娜\t28\t四川省成都市锦江区红星路三段99号\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let (report, batches) = run(&bytes, &IngestOptions::new(Format::Csv)).unwrap();
    assert_eq!(report.encoding, Some(TextEncoding::Gb18030));
    assert_eq!(report.delimiter, Some(b'\t'));
    assert_eq!(field_type(&report, "年龄"), FieldType::Integer);
    assert_eq!(
        texts(&batches, "姓名"),
        [Some("张伟".into()), Some("李娜".into())]
    );
    let ages = batches[0]
        .column_by_name("年龄")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(ages.values().to_vec(), [34, 28]);
}

#[test]
fn bad_rows_are_left_out_whole_and_listed() {
    let mut csv = String::from("编号,金额\n");
    for i in 1..=200 {
        csv.push_str(&format!("{i},{i}.5\n"));
    }
    csv.push_str("201,很多\n202\n203,1,2\n");
    let options = IngestOptions {
        sample_rows: 50,
        max_bad_share: 0.05,
        ..IngestOptions::new(Format::Csv)
    };
    let (report, batches) = run(csv.as_bytes(), &options).unwrap();
    assert_eq!((report.rows, report.bad_rows), (200, 3));
    let listed: Vec<_> = report.listed_bad_rows.iter().map(|b| b.row).collect();
    assert_eq!(listed, [202, 203, 204], "line numbers count the header");
    assert_eq!(
        report.listed_bad_rows[0].problem.field.as_deref(),
        Some("金额")
    );
    assert!(
        report.listed_bad_rows[1]
            .problem
            .message
            .contains("1 fields")
    );
    assert_eq!(
        batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        200
    );

    let strict = IngestOptions {
        max_bad_share: 0.01,
        ..options
    };
    match run(csv.as_bytes(), &strict) {
        Err(IngestError::TooManyBadRows {
            bad: 3, total: 203, ..
        }) => {}
        other => panic!("expected too many bad rows, got {other:?}"),
    }
}

#[test]
fn field_types_can_be_overridden() {
    let csv = "邮编,人数\n610000,12\n610041,7\n";
    let mut options = IngestOptions::new(Format::Csv);
    options.field_types.insert("邮编".into(), FieldType::Text);
    options.field_types.insert("人数".into(), FieldType::Text);
    let (report, batches) = run(csv.as_bytes(), &options).unwrap();
    assert_eq!(field_type(&report, "人数"), FieldType::Text);
    assert_eq!(
        texts(&batches, "邮编"),
        [Some("610000".into()), Some("610041".into())]
    );

    options
        .field_types
        .insert("不存在".into(), FieldType::Integer);
    assert!(matches!(
        run(csv.as_bytes(), &options),
        Err(IngestError::UnknownField(f)) if f == "不存在"
    ));
}

#[test]
fn ndjson_and_json_arrays() {
    let ndjson = "{\"车牌号\":\"川A12345\",\"核定载客\":5}\n\n{\"车牌号\":\"川A6789D\",\"核定载客\":null}\nnot json\n";
    let options = IngestOptions {
        max_bad_share: 0.5,
        ..IngestOptions::new(Format::Ndjson)
    };
    let (report, batches) = run(ndjson.as_bytes(), &options).unwrap();
    assert_eq!((report.rows, report.bad_rows), (2, 1));
    assert_eq!(report.listed_bad_rows[0].row, 4);
    assert_eq!(field_type(&report, "核定载客"), FieldType::Integer);
    assert_eq!(texts(&batches, "车牌号")[1].as_deref(), Some("川A6789D"));

    let array = r#"[{"a":"x","b":true},{"a":"y","b":false,"c":1}]"#;
    let options = IngestOptions {
        sample_rows: 1,
        max_bad_share: 0.5,
        ..IngestOptions::new(Format::Json)
    };
    let (report, _) = run(array.as_bytes(), &options).unwrap();
    assert_eq!(field_type(&report, "b"), FieldType::Boolean);
    assert_eq!(
        report.bad_rows, 1,
        "a key the header lacks is refused, not dropped"
    );
    assert!(matches!(
        run(b"{\"a\":1}", &IngestOptions::new(Format::Json)),
        Err(IngestError::Malformed(_))
    ));
}

#[test]
fn xlsx_first_or_named_sheet() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let cover = workbook.add_worksheet().set_name("说明").unwrap();
    cover.write(0, 0, "本表为道路运输经营许可").unwrap();
    let sheet = workbook.add_worksheet().set_name("许可").unwrap();
    for (c, h) in ["许可证号", "车牌号", "联系电话", "核发日期"]
        .iter()
        .enumerate()
    {
        sheet.write(2, c as u16, *h).unwrap();
    }
    sheet.write(3, 0, "川交运管许可成字510100001号").unwrap();
    sheet.write(3, 1, "川A12345").unwrap();
    sheet.write(3, 2, 13812345678.0).unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 5, 6).unwrap();
    sheet
        .write_datetime_with_format(
            3,
            3,
            &date,
            &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
        )
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let mut options = IngestOptions::new(Format::Xlsx);
    options.sheet = Some("许可".into());
    let (report, batches) = run(&bytes, &options).unwrap();
    assert_eq!(report.rows, 1);
    assert_eq!(texts(&batches, "联系电话"), [Some("13812345678".into())]);
    assert_eq!(field_type(&report, "核发日期"), FieldType::Date);

    options.sheet = Some("缺失".into());
    assert!(matches!(
        run(&bytes, &options),
        Err(IngestError::NoSuchSheet { .. })
    ));
    options.sheet = None;
    let (first, _) = run(&bytes, &options).unwrap();
    assert_eq!(first.fields[0].name, "本表为道路运输经营许可");
}

#[test]
fn parquet_keeps_its_types_and_is_scanned() {
    let (_, parquet) = ingest(
        REGISTRATIONS.as_bytes(),
        &IngestOptions::new(Format::Csv),
        Vec::new(),
        &mut |_| {},
    )
    .unwrap();
    let (report, batches) = run(&parquet, &IngestOptions::new(Format::Parquet)).unwrap();
    assert_eq!(report.rows, 3);
    assert_eq!(field_type(&report, "成立日期"), FieldType::Date);
    assert_eq!(
        report.fields[1]
            .classification
            .detection
            .as_ref()
            .unwrap()
            .kind,
        IdentifierKind::CreditCode
    );
    assert_eq!(
        texts(&batches, "企业名称")[0].as_deref(),
        Some("成都蓉城科技有限公司")
    );

    let mut options = IngestOptions::new(Format::Parquet);
    options.field_types.insert("备注".into(), FieldType::Text);
    assert!(matches!(
        run(&parquet, &options),
        Err(IngestError::TypedFormat)
    ));
    assert!(matches!(
        run(b"PAR1 not really", &IngestOptions::new(Format::Parquet)),
        Err(IngestError::Malformed(_))
    ));
    let small = IngestOptions {
        max_buffered_bytes: 100,
        ..IngestOptions::new(Format::Parquet)
    };
    assert!(matches!(
        run(&parquet, &small),
        Err(IngestError::TooLargeToBuffer { limit: 100 })
    ));
}

/// The budget bounds what the writer holds: a file many times the budget
/// becomes many row groups, none larger than the budget.
#[test]
fn row_groups_are_cut_by_the_memory_budget() {
    let budget = 1 << 20;
    let mut csv = String::from("序号,说明,数值\n");
    let mut i = 0u64;
    while csv.len() < 12 * budget {
        i += 1;
        csv.push_str(&format!(
            "{i},第{i}条记录的说明文字{},{}\n",
            i * 7919 % 104_729,
            i % 1000
        ));
    }
    let options = IngestOptions {
        memory_budget: budget,
        ..IngestOptions::new(Format::Csv)
    };
    let mut progress_calls = 0;
    let (report, parquet) = ingest(csv.as_bytes(), &options, Vec::new(), &mut |_| {
        progress_calls += 1
    })
    .unwrap();
    assert_eq!(report.rows, i);
    assert!(progress_calls > 10);
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(parquet)).unwrap();
    let groups = reader.metadata().row_groups();
    assert!(groups.len() >= 6, "{} row groups", groups.len());
    for g in groups {
        assert!(
            g.total_byte_size() as usize <= budget,
            "{} bytes",
            g.total_byte_size()
        );
    }
}

#[test]
fn undetectable_encodings_must_be_stated() {
    let bytes = [b'a', b',', b'b', b'\n', 0xFF, 0xFF, 0xFF, b'\n'];
    assert!(matches!(
        run(&bytes, &IngestOptions::new(Format::Csv)),
        Err(IngestError::UnknownEncoding)
    ));
    let options = IngestOptions {
        encoding: Some(TextEncoding::Utf8),
        max_bad_share: 1.0,
        ..IngestOptions::new(Format::Csv)
    };
    let (report, _) = run(&bytes, &options).unwrap();
    assert_eq!(report.bad_rows, 1);
    assert!(report.listed_bad_rows[0].problem.message.contains("UTF-8"));
}
