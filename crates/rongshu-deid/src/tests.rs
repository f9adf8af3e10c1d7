use chrono::NaiveDate;
use rongshu_classify::IdentifierKind as K;

use crate::level::{
    Level, OutputField, Shortfall, is_direct_identifier, is_quasi_identifier, shortfalls,
};
use crate::{Batch, DocError, Pipeline, PipelineError, ProductKeys, RejectReason, Runner};

fn today() -> NaiveDate {
    "2026-11-28".parse().unwrap()
}

fn keys(fill: u8) -> ProductKeys {
    ProductKeys::from_bytes(&[fill; 64]).unwrap()
}

fn fields(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Rows of text, `-` for a missing value.
fn batch(rows: &[&[&str]]) -> Batch {
    let width = rows.first().map_or(0, |r| r.len());
    Batch {
        rows: rows.len(),
        columns: (0..width)
            .map(|c| {
                rows.iter()
                    .map(|r| (r[c] != "-").then(|| r[c].to_owned()))
                    .collect()
            })
            .collect(),
    }
}

fn rows_of(batch: &Batch) -> Vec<Vec<String>> {
    (0..batch.rows)
        .map(|r| {
            batch
                .columns
                .iter()
                .map(|c| c[r].clone().unwrap_or_else(|| "-".into()))
                .collect()
        })
        .collect()
}

const PIPELINE: &str = r#"{ "steps": [
    { "op": "trim" },
    { "op": "half-width" },
    { "op": "blank-to-null" },
    { "op": "date", "fields": ["登记日期"] },
    { "op": "validate", "field": "身份证号", "kind": "resident_id" },
    { "op": "require", "fields": ["身份证号"] },
    { "op": "deduplicate", "fields": ["身份证号"] },
    { "op": "age-band", "field": "年龄段", "width": 10 },
    { "op": "mask", "field": "姓名", "preset": "name" },
    { "op": "mask", "field": "手机", "preset": "mobile" },
    { "op": "region", "field": "地址", "level": "district" },
    { "op": "top-code", "field": "收入", "at": 50000 },
    { "op": "pseudonym", "field": "身份证号" }
] }"#;

fn people() -> (Vec<String>, Batch) {
    let names = fields(&[
        "姓名",
        "身份证号",
        "年龄段",
        "手机",
        "地址",
        "收入",
        "登记日期",
    ]);
    let rows = batch(&[
        &[
            " 张三 ",
            "11010519491231002X",
            "11010519491231002X",
            "13512342210",
            "四川省成都市锦江区春熙路1号",
            "12000",
            "2021年3月1日",
        ],
        &[
            "李四",
            "110105194912310030",
            "-",
            "13600000000",
            "成都市高新区天府大道",
            "90000",
            "2021/3/2",
        ],
        &[
            "王五",
            "11010519491231002X",
            "1990-01-01",
            "13700000000",
            "-",
            "1",
            "2021-03-03",
        ],
        &["赵六", "-", "34", "13800000000", "-", "2", "2021-03-04"],
        &[
            "钱七",
            "510104199001011234",
            "34",
            "１３９００００００００",
            "-",
            "3",
            "someday",
        ],
    ]);
    (names, rows)
}

#[test]
fn a_pipeline_cleans_masks_generalises_and_reports_what_it_rejected() {
    let (names, input) = people();
    let pipeline = Pipeline::from_json(PIPELINE).unwrap();
    let compiled = pipeline.compile(&names).unwrap();
    let keys = keys(1);
    let mut runner = Runner::new(&compiled, &keys, today());
    let out = runner.apply(input);
    let pseudonym = keys.pseudonym("11010519491231002X");
    assert_eq!(pseudonym.len(), 20);
    assert_eq!(
        rows_of(&out),
        vec![vec![
            "张*".to_owned(),
            pseudonym,
            "70-79".into(),
            "135****2210".into(),
            "四川省成都市锦江区".into(),
            "12000".into(),
            "2021-03-01".into(),
        ]]
    );
    let report = runner.into_report();
    assert_eq!((report.rows_in, report.rows_out), (5, 1));
    assert_eq!(report.duplicates, 1, "王五 repeats 张三's ID number");
    let rejected: Vec<(u64, &str, &RejectReason)> = report
        .rejections
        .iter()
        .map(|r| (r.row, r.field.as_str(), &r.reason))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (5, "登记日期", &RejectReason::NotADate),
            (2, "身份证号", &RejectReason::FailsCheck("resident_id")),
            (4, "身份证号", &RejectReason::Missing),
        ]
    );
    assert_eq!(report.rejected, 3);
}

#[test]
fn pseudonyms_are_stable_within_a_product_and_unlinkable_across() {
    let a = keys(1);
    assert_eq!(a.pseudonym("x"), a.pseudonym("x"));
    assert_ne!(a.pseudonym("x"), keys(2).pseudonym("x"));
    assert!(ProductKeys::from_bytes(&[0; 63]).is_none());
    let token = a.tokenizer().tokenize("张三");
    assert_eq!(a.tokenizer().detokenize(&token).unwrap(), "张三");
}

#[test]
fn numbers_keep_their_kind_and_bad_numbers_reject_their_row() {
    let names = fields(&["v"]);
    let run = |json: &str, rows: &[&[&str]]| {
        let compiled = Pipeline::from_json(json).unwrap().compile(&names).unwrap();
        let keys = keys(1);
        let mut runner = Runner::new(&compiled, &keys, today());
        let out = runner.apply(batch(rows));
        (rows_of(&out), runner.into_report().rejected)
    };
    let (out, rejected) = run(
        r#"{"steps":[{"op":"bottom-code","field":"v","at":10},{"op":"round","field":"v","base":5}]}"#,
        &[&["3"], &["12.4"], &["x"], &["-"]],
    );
    assert_eq!(out, vec![vec!["10"], vec!["10"], vec!["-"]]);
    assert_eq!(rejected, 1);
    let (out, _) = run(
        r#"{"steps":[{"op":"noise","field":"v","amplitude":2}]}"#,
        &[&["100"], &["100"], &["100"], &["100"]],
    );
    for row in out {
        let n: i64 = row[0].parse().expect("a whole number stays whole");
        assert!((98..=102).contains(&n), "{n}");
    }
    let (out, _) = run(
        r#"{"steps":[{"op":"suppress","field":"v"}]}"#,
        &[&["secret"]],
    );
    assert_eq!(out, vec![vec!["-"]]);
}

/// Groups of (age band, district): 3 × A, 2 × B, 1 × C.
fn grouped(k: u32) -> (crate::Compiled, Batch) {
    let names = fields(&["age", "district"]);
    let json = format!(
        r#"{{"steps":[{{"op":"age-band","field":"age","width":10}}],
            "k_anonymity":{{"quasi_identifiers":["age","district"],"k":{k}}}}}"#
    );
    let compiled = Pipeline::from_json(&json).unwrap().compile(&names).unwrap();
    let rows = batch(&[
        &["31", "A"],
        &["35", "A"],
        &["39", "A"],
        &["41", "B"],
        &["45", "B"],
        &["51", "C"],
    ]);
    (compiled, rows)
}

fn run_twice(compiled: &crate::Compiled, input: Batch) -> (Vec<Vec<String>>, crate::KReport) {
    let keys = keys(1);
    let mut runner = Runner::new(compiled, &keys, today());
    assert!(compiled.needs_count());
    // Two batches, to check counting spans batches.
    let (first, second) = split(input, 2);
    runner.count(first.clone());
    runner.count(second.clone());
    let mut rows = rows_of(&runner.apply(first));
    rows.extend(rows_of(&runner.apply(second)));
    (rows, runner.into_report().k_anonymity.unwrap())
}

fn split(b: Batch, at: usize) -> (Batch, Batch) {
    let head = Batch {
        rows: at,
        columns: b.columns.iter().map(|c| c[..at].to_vec()).collect(),
    };
    let tail = Batch {
        rows: b.rows - at,
        columns: b.columns.iter().map(|c| c[at..].to_vec()).collect(),
    };
    (head, tail)
}

#[test]
fn k_anonymity_suppresses_small_groups_locally() {
    let (compiled, input) = grouped(3);
    let (rows, report) = run_twice(&compiled, input);
    assert_eq!(
        rows,
        vec![
            vec!["30-39", "A"],
            vec!["30-39", "A"],
            vec!["30-39", "A"],
            vec!["-", "-"],
            vec!["-", "-"],
            vec!["-", "-"],
        ]
    );
    assert_eq!(report.achieved, Some(3));
    assert_eq!((report.suppressed_rows, report.dropped_rows), (3, 0));
    assert!((report.information_loss - 0.5).abs() < 1e-9);
}

#[test]
fn k_anonymity_drops_suppressed_rows_still_too_few() {
    let (compiled, input) = grouped(2);
    let (rows, report) = run_twice(&compiled, input);
    // C alone is suppressed and, alone, cannot form a group of 2.
    assert_eq!(rows.len(), 5);
    assert!(!rows.iter().any(|r| r[1] == "C" || r[1] == "-"));
    assert_eq!(report.achieved, Some(2));
    assert_eq!((report.suppressed_rows, report.dropped_rows), (1, 1));
}

#[test]
fn documents_round_trip_through_json_and_toml() {
    let pipeline = Pipeline::from_json(PIPELINE).unwrap();
    assert_eq!(Pipeline::from_json(&pipeline.to_json()).unwrap(), pipeline);
    assert_eq!(Pipeline::from_toml(&pipeline.to_toml()).unwrap(), pipeline);
    let toml = "[[steps]]\nop = \"mask\"\nfield = \"姓名\"\npreset = \"name\"\n\n[k_anonymity]\nquasi_identifiers = [\"姓名\"]\nk = 5\n";
    let from_toml = Pipeline::from_toml(toml).unwrap();
    assert_eq!(from_toml.k_anonymity.unwrap().k, 5);
}

#[test]
fn document_mistakes_are_named_by_step() {
    let err = |json: &str| Pipeline::from_json(json).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"steps":[{"op":"trim"},{"op":"mask","field":"x"}]}"#),
        "step 2 (mask): needs either `preset` or `keep_first`/`keep_last`"
    );
    assert_eq!(
        err(r#"{"steps":[{"op":"age-band","field":"x"}]}"#),
        "step 1 (age-band): needs `width`"
    );
    assert!(
        err(r#"{"steps":[{"op":"shred"}]}"#)
            .starts_with("step 1 (shred): unknown operation shred; one of trim")
    );
    assert!(err(r#"{"steps":[{"op":"mask","preset":"pet"}]}"#).contains("unknown preset pet"));
    assert!(err(r#"{"steps":[{"op":"trim","colour":1}]}"#).contains("unknown field `colour`"));
    // A key another operation reads is no less a mistake: `date` with a
    // `field` would otherwise date-parse every field.
    assert_eq!(
        err(r#"{"steps":[{"op":"date","field":"抽检日期"}]}"#),
        "step 1 (date): takes no `field`: it names its fields in `fields`, a list (none: every field)"
    );
    assert_eq!(
        err(r#"{"steps":[{"op":"mask","field":"x","preset":"name","width":3}]}"#),
        "step 1 (mask): takes no `width`"
    );
    assert_eq!(
        err(r#"{"steps":[{"op":"pseudonym","fields":["x"]}]}"#),
        "step 1 (pseudonym): takes no `fields`"
    );
    assert!(matches!(
        Pipeline::from_toml("steps = 3").unwrap_err(),
        DocError::Syntax { format: "TOML", .. }
    ));
}

#[test]
fn compiling_checks_names_and_parameters() {
    let names = fields(&["a", "b"]);
    let compile = |json: &str| {
        Pipeline::from_json(json)
            .unwrap()
            .compile(&names)
            .unwrap_err()
    };
    assert_eq!(
        compile(r#"{"steps":[{"op":"trim"},{"op":"suppress","field":"c"}]}"#),
        PipelineError::UnknownField {
            step: 2,
            field: "c".into()
        }
    );
    assert_eq!(
        compile(r#"{"steps":[{"op":"round","field":"a","base":0}]}"#),
        PipelineError::BadParameter {
            step: 1,
            problem: "rounding needs a positive base"
        }
    );
    assert_eq!(
        compile(r#"{"steps":[{"op":"noise","field":"a","amplitude":1e308}]}"#),
        PipelineError::BadParameter {
            step: 1,
            problem: "noise needs a positive amplitude of at most 10^15"
        },
        "a range past the finite numbers is refused, not drawn from"
    );
    assert_eq!(
        compile(r#"{"k_anonymity":{"quasi_identifiers":["a"],"k":1}}"#),
        PipelineError::BadK
    );
    assert_eq!(
        compile(
            r#"{"steps":[{"op":"noise","field":"a","amplitude":1}],"k_anonymity":{"quasi_identifiers":["a"],"k":2}}"#
        ),
        PipelineError::NoisyQuasiIdentifier { field: "a".into() }
    );
}

#[test]
fn levels_are_checked_field_by_field() {
    let fields = [
        OutputField {
            name: "姓名",
            kind: Some(K::PersonName),
        },
        OutputField {
            name: "身份证号",
            kind: Some(K::ResidentId),
        },
        OutputField {
            name: "出生日期",
            kind: Some(K::BirthDate),
        },
        OutputField {
            name: "企业名称",
            kind: None,
        },
    ];
    let check = |json: &str, level, reid| {
        shortfalls(&Pipeline::from_json(json).unwrap(), &fields, level, reid)
    };
    let exposed = |field: &str, kind: &'static str| Shortfall::Exposed {
        field: field.into(),
        kind,
    };

    assert_eq!(
        check("{}", Level::DeIdentified, false),
        vec![
            exposed("姓名", "person_name"),
            exposed("身份证号", "resident_id")
        ]
    );
    let deidentified = r#"{"steps":[
        {"op":"mask","field":"姓名","preset":"name"},
        {"op":"token","field":"身份证号"}]}"#;
    assert_eq!(check(deidentified, Level::DeIdentified, true), vec![]);
    assert_eq!(
        check(deidentified, Level::DeIdentified, false),
        vec![Shortfall::ReversibleWithoutConsent {
            field: "身份证号".into()
        }]
    );
    assert_eq!(
        check(deidentified, Level::Anonymised, true),
        vec![
            Shortfall::Linkable {
                field: "身份证号".into(),
                how: "tokenised"
            },
            exposed("出生日期", "birth_date"),
            Shortfall::NeedsKAnonymity { min: 5 },
        ]
    );
    let anonymised = r#"{"steps":[
        {"op":"mask","field":"姓名","preset":"name"},
        {"op":"suppress","field":"身份证号"},
        {"op":"date-to","field":"出生日期","precision":"year"}],
        "k_anonymity":{"quasi_identifiers":["出生日期"],"k":5}}"#;
    assert_eq!(check(anonymised, Level::Anonymised, false), vec![]);
    for level in [Level::Aggregated, Level::SandboxOnly] {
        assert_eq!(
            check(anonymised, level, true),
            vec![Shortfall::RowLevelForbidden {
                level: level.as_str()
            }]
        );
    }
    assert_eq!(check("{}", Level::OpenData, false), vec![]);
    assert_eq!("anonymised".parse::<Level>().ok(), Some(Level::Anonymised));
    assert!("masked".parse::<Level>().is_err());
}

#[test]
fn a_mask_protects_only_if_it_keeps_no_more_than_its_kind_allows() {
    use crate::level::mask_keeps_at_most;
    use crate::pipeline::{Mask, Step, Transform};

    let masked = |mask: Mask, then: Option<Transform>| Pipeline {
        steps: std::iter::once(Transform::Mask(mask))
            .chain(then)
            .map(|op| Step::Transform {
                field: "f".into(),
                op,
            })
            .collect(),
        ..Pipeline::default()
    };
    // The field's hiding shortfalls at the level that must hide its kind.
    let hiding = |kind: K, pipeline: &Pipeline| -> Vec<Shortfall> {
        let level = if is_direct_identifier(kind) {
            Level::DeIdentified
        } else {
            Level::Anonymised
        };
        let field = OutputField {
            name: "f",
            kind: Some(kind),
        };
        shortfalls(pipeline, &[field], level, false)
            .into_iter()
            .filter(|s| matches!(s, Shortfall::WeakMask { .. } | Shortfall::Exposed { .. }))
            .collect()
    };
    let keep = |first, last| Mask::Keep { first, last };
    for kind in K::ALL {
        let Some((most_first, most_last)) = mask_keeps_at_most(kind) else {
            assert!(
                !is_direct_identifier(kind) && !is_quasi_identifier(kind),
                "{kind:?}"
            );
            continue;
        };
        assert_eq!(hiding(kind, &masked(keep(0, 0), None)), vec![]);
        assert_eq!(
            hiding(kind, &masked(keep(most_first, most_last), None)),
            vec![]
        );
        for (first, last) in [(most_first + 1, most_last), (most_first, most_last + 1)] {
            let weak = Shortfall::WeakMask {
                field: "f".into(),
                kind: kind.as_str(),
                first,
                last,
                most_first,
                most_last,
            };
            assert_eq!(hiding(kind, &masked(keep(first, last), None)), vec![weak]);
            // Another transform that hides the value still protects it.
            let then = Some(Transform::Suppress);
            assert_eq!(hiding(kind, &masked(keep(first, last), then)), vec![]);
        }
    }
    // Every preset meets the kind it is named for.
    for (preset, kind) in Mask::PRESETS.into_iter().zip([
        K::PersonName,
        K::ResidentId,
        K::Mobile,
        K::Landline,
        K::BankCard,
        K::LicencePlate,
        K::Email,
    ]) {
        let mask = Mask::preset(preset).unwrap();
        assert_eq!(hiding(kind, &masked(mask, None)), vec![], "{preset}");
    }
    // An ID number keeping all but its birth date's last digit says so.
    let said = hiding(K::ResidentId, &masked(keep(6, 11), None))[0].to_string();
    assert_eq!(
        said,
        "the field f holds resident_id values, of which a mask may keep at most the first 6 \
         and the last 4 characters; this one keeps 6 and 11"
    );
}
