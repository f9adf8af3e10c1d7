//! The sandbox engine over real DataFusion: what a query may read, and
//! the limits that stop it.

use std::sync::Arc;
use std::time::Duration;

use rongshu_domain::output::{CheckCode, DisclosureRules, ResultFacts, check};
use rongshu_engine::{
    Batch, ColumnType, Earlier, Engine, EngineError, Limits, OutputColumn, Statement, Table,
    tables_named,
};
use tokio_util::sync::CancellationToken;

fn column(name: &str, column_type: ColumnType) -> OutputColumn {
    OutputColumn {
        name: name.into(),
        column_type,
    }
}

/// `rows` companies in four districts, capital 10 × row number (from 1),
/// revenue the same but 企业39's, a thousandfold: one company dominates
/// its district's (武侯区) revenue.
fn companies(rows: usize) -> Arc<Table> {
    let districts = ["锦江区", "青羊区", "金牛区", "武侯区"];
    let capital = |i: usize| i * 10 + 10;
    let batch = Batch {
        rows,
        columns: vec![
            (0..rows).map(|i| Some(format!("企业{i}"))).collect(),
            (0..rows)
                .map(|i| Some(districts[i % 4].to_owned()))
                .collect(),
            (0..rows).map(|i| Some(capital(i).to_string())).collect(),
            (0..rows)
                .map(|i| Some((capital(i) * if i == 39 { 1000 } else { 1 }).to_string()))
                .collect(),
        ],
    };
    let columns = vec![
        column("企业名称", ColumnType::Text),
        column("区县", ColumnType::Text),
        column("注册资本", ColumnType::Integer),
        column("营业收入", ColumnType::Integer),
    ];
    Arc::new(Table::from_text("companies", columns, [batch]).unwrap())
}

fn inspections() -> Arc<Table> {
    let batch = Batch {
        rows: 3,
        columns: vec![
            vec![
                Some("企业0".into()),
                Some("企业1".into()),
                Some("企业1".into()),
            ],
            vec![
                Some("合格".into()),
                Some("不合格".into()),
                Some("合格".into()),
            ],
        ],
    };
    let columns = vec![
        column("企业名称", ColumnType::Text),
        column("结果", ColumnType::Text),
    ];
    Arc::new(Table::from_text("inspections", columns, [batch]).unwrap())
}

fn engine() -> Engine {
    Engine::new(Limits {
        max_rows: 100,
        ..Limits::default()
    })
}

async fn run(
    engine: &Engine,
    tables: &[Arc<Table>],
    sql: &str,
) -> Result<rongshu_engine::Outcome, EngineError> {
    engine.run(tables, sql, &CancellationToken::new()).await
}

fn text(table: &Table) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for batch in table.text() {
        let batch = batch.unwrap();
        for r in 0..batch.rows {
            rows.push(batch.columns.iter().map(|c| c[r].clone()).collect());
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_and_joins_answer_with_the_tables_they_read() {
    let tables = [companies(40), inspections()];
    let outcome = run(
        &engine(),
        &tables,
        "SELECT 区县, count(*) AS n, sum(注册资本) AS capital FROM companies GROUP BY 区县 ORDER BY 区县",
    )
    .await
    .unwrap();
    assert_eq!(outcome.read, vec!["companies"]);
    assert_eq!(outcome.result.rows(), 4);
    assert_eq!(
        outcome
            .result
            .columns()
            .iter()
            .map(|c| c.column_type)
            .collect::<Vec<_>>(),
        vec![ColumnType::Text, ColumnType::Integer, ColumnType::Integer]
    );
    let rows = text(&outcome.result);
    assert_eq!(
        rows[0],
        vec![
            Some("武侯区".into()),
            Some("10".into()),
            Some("2200".into())
        ]
    );

    let joined = run(
        &engine(),
        &tables,
        "SELECT c.区县, i.结果, count(*) AS n FROM companies c JOIN inspections i ON c.企业名称 = i.企业名称 \
         GROUP BY c.区县, i.结果 ORDER BY n DESC, i.结果",
    )
    .await
    .unwrap();
    assert_eq!(joined.read, vec!["companies", "inspections"]);
    assert_eq!(
        text(&joined.result),
        vec![
            vec![
                Some("青羊区".into()),
                Some("不合格".into()),
                Some("1".into())
            ],
            vec![Some("青羊区".into()), Some("合格".into()), Some("1".into())],
            vec![Some("锦江区".into()), Some("合格".into()), Some("1".into())],
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_stop_at_the_row_cap() {
    let outcome = run(&engine(), &[companies(1000)], "SELECT * FROM companies")
        .await
        .unwrap();
    assert_eq!(outcome.result.rows(), 100);
    assert!(outcome.truncated);
    let all = run(&engine(), &[companies(100)], "SELECT * FROM companies")
        .await
        .unwrap();
    assert!(!all.truncated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_table_lacks_cannot_be_read() {
    let err = run(&engine(), &[companies(4)], "SELECT 身份证号 FROM companies")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::Sql(m) if m.contains("身份证号")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_outside_the_workspace_is_reachable() {
    let tables = [companies(4)];
    let target = std::env::temp_dir().join(format!("rongshu-copy-{}", std::process::id()));
    let statements = [
        "SELECT * FROM '/etc/passwd'".to_owned(),
        "SELECT * FROM 'file:///etc/passwd'".to_owned(),
        "SELECT * FROM 'https://example.com/data.parquet'".to_owned(),
        "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'".to_owned(),
        format!("COPY companies TO '{}' STORED AS CSV", target.display()),
        format!("COPY (SELECT 1) TO '{}'", target.display()),
        "INSERT INTO companies VALUES ('x', 'y', 1)".to_owned(),
        "DROP TABLE companies".to_owned(),
        "SET datafusion.execution.target_partitions = 64".to_owned(),
        "CREATE VIEW v AS SELECT * FROM companies".to_owned(),
        "SELECT 1; SELECT 2".to_owned(),
        "SHOW TABLES".to_owned(),
        "SELECT * FROM information_schema.tables".to_owned(),
        "CREATE TABLE t (a INT)".to_owned(),
    ];
    for sql in &statements {
        let err = run(&engine(), &tables, sql).await.unwrap_err();
        assert!(
            matches!(err, EngineError::NotAllowed(_) | EngineError::Sql(_)),
            "{sql}: {err}"
        );
    }
    assert!(!target.exists(), "COPY wrote a file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_made_from_a_query_joins_the_workspace() {
    let tables = vec![companies(40)];
    let made = run(
        &engine(),
        &tables,
        "CREATE TABLE 大企业 AS SELECT 企业名称, 注册资本 FROM companies WHERE 注册资本 >= 310",
    )
    .await
    .unwrap();
    assert_eq!(
        made.statement,
        Statement::CreateTable {
            name: "大企业".into(),
            sql: "SELECT 企业名称, 注册资本 FROM companies WHERE 注册资本 >= 310".into()
        }
    );
    assert_eq!(made.result.name(), "大企业");
    assert_eq!(made.result.rows(), 10);
    assert!(!made.result.is_traced(), "rows stand for themselves");
    // Kept as Parquet and read back, it is the same table.
    let kept = Table::from_parquet("大企业", made.result.parquet().unwrap()).unwrap();
    assert_eq!(kept.columns(), made.result.columns());
    assert_eq!(text(&kept), text(&made.result));
    let mut tables = tables;
    tables.push(Arc::new(kept));
    let counted = run(&engine(), &tables, "SELECT count(*) FROM 大企业")
        .await
        .unwrap();
    assert_eq!(text(&counted.result), vec![vec![Some("10".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_past_its_memory_is_stopped() {
    let small = Engine::new(Limits {
        memory_bytes: 2 << 20,
        ..Limits::default()
    });
    let err = run(
        &small,
        &[companies(200_000)],
        "SELECT 企业名称, count(*) FROM companies GROUP BY 企业名称 ORDER BY 企业名称",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, EngineError::MemoryLimit { limit_mb: 2 }),
        "{err}"
    );
}

/// Sums over a cross join of 20,000 rows with itself twice: eight
/// trillion rows, which no limit lets finish (a bare count would be
/// answered from the tables' statistics).
const RUNAWAY: &str =
    "SELECT sum(a.注册资本 + b.注册资本 + c.注册资本) FROM companies a, companies b, companies c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_query_is_stopped_at_its_time_limit() {
    let quick = Engine::new(Limits {
        time: Duration::from_millis(500),
        ..Limits::default()
    });
    let err = run(&quick, &[companies(20_000)], RUNAWAY)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::TimeLimit { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_query_stops() {
    let cancel = CancellationToken::new();
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        later.cancel();
    });
    let err = engine()
        .run(&[companies(20_000)], RUNAWAY, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Cancelled), "{err}");
}

async fn released(sql: &str, max_rows: usize) -> (Vec<Vec<Option<String>>>, ResultFacts) {
    let release = engine()
        .run_for_release(
            &[companies(40), inspections()],
            sql,
            &[],
            &CancellationToken::new(),
            max_rows,
        )
        .await
        .unwrap();
    (text(&release.outcome.result), release.facts)
}

/// The rows of each failure of `code`, under the default rules.
fn failing_rows(facts: &ResultFacts, code: CheckCode) -> Vec<Vec<usize>> {
    check(facts, &DisclosureRules::default())
        .into_iter()
        .filter(|f| f.code == code)
        .map(|f| f.rows)
        .collect()
}

fn failed(facts: &ResultFacts) -> Vec<CheckCode> {
    check(facts, &DisclosureRules::default())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_aggregates_carry_the_records_behind_each_cell() {
    let (rows, facts) = released(
        "SELECT 区县, count(*) AS n, sum(注册资本) AS capital FROM companies GROUP BY 区县 ORDER BY 区县",
        100,
    )
    .await;
    // The user's columns only; the facts travel apart.
    assert_eq!(
        rows[0],
        vec![
            Some("武侯区".into()),
            Some("10".into()),
            Some("2200".into())
        ]
    );
    assert_eq!(facts.rows, 4);
    assert_eq!(facts.records, Some(vec![10, 10, 10, 10]));
    assert_eq!(facts.counts.len(), 1);
    assert_eq!(
        facts.count_columns,
        vec![1],
        "n shows a count, capital does not"
    );
    assert_eq!(facts.totals.len(), 1);
    // 武侯区: 40, 80, …, 400; the two largest are 400 + 360.
    let first = facts.totals[0].1[0].unwrap();
    assert_eq!((first.value, first.top_two), (2200.0, 760.0));
    assert!(failed(&facts).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_passes_through_aliases_filters_sorts_and_limits() {
    let (rows, facts) = released(
        "SELECT * FROM (SELECT 区县 AS d, count(*) AS n FROM companies GROUP BY 区县 HAVING count(*) >= 10) x \
         WHERE n >= 10 ORDER BY d DESC LIMIT 3",
        100,
    )
    .await;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0].as_deref(), Some("青羊区"));
    assert_eq!(facts.records, Some(vec![10, 10, 10]));
    assert_eq!(facts.count_columns, vec![1], "n, through the subquery");

    // A column computed from a count is not the count.
    let (_, facts) = released(
        "SELECT 区县, count(*) * 2 AS twice, count(*) AS n FROM companies GROUP BY 区县",
        100,
    )
    .await;
    assert_eq!(facts.count_columns, vec![2]);
}

/// Rows shown of `sql` released over `table`, and whether the checks
/// failed it for cells a filter dropped alone.
async fn shown_and_dropped(table: Arc<Table>, sql: &str) -> (usize, bool) {
    let release = engine()
        .run_for_release(&[table], sql, &[], &CancellationToken::new(), 100)
        .await
        .unwrap();
    let failed = failed(&release.facts);
    let dropped = failed.iter().all(|c| *c == CheckCode::DroppedCell);
    assert!(dropped, "{sql}: {failed:?}");
    (release.outcome.result.rows(), !failed.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_a_filter_on_a_measure_dropped_are_checked_as_if_shown() {
    // Fifty companies a district, one of each with a capital over 1,960:
    // four cells of 49 and four of one.
    let by = "SELECT 区县, count(*) AS n FROM companies GROUP BY 区县, 注册资本 > 1960";
    for (having, fails) in [
        // Kept or dropped, a cell of one tells of its company's capital.
        ("HAVING sum(注册资本) > 5000", true),
        ("HAVING sum(注册资本) > 5000 OR count(*) >= 10", true),
        ("HAVING sum(注册资本) > 5000 ORDER BY n LIMIT 2", true),
        // So does a limit on an order by its capitals: each dropped cell's
        // sum is at most the last shown.
        ("ORDER BY sum(注册资本) DESC LIMIT 2", true),
        ("ORDER BY avg(注册资本), n LIMIT 2 OFFSET 1", true),
        // Suppressing small cells by their counts tells they are small.
        ("HAVING count(*) >= 10", false),
        ("HAVING count(*) > 9 AND 10 <= count(*)", false),
        ("HAVING count(*) BETWEEN 10 AND 100", false),
        // Any other filter on a count tells more of the cells it drops:
        // that each holds exactly one company.
        ("HAVING count(*) <> 1", true),
        ("HAVING count(*) = 49", true),
        ("HAVING count(*) % 7 = 0", true),
        ("HAVING count(*) >= 10 OR 区县 = '龙泉驿区'", true),
        ("HAVING count(*) >= 10 AND sum(注册资本) > 5000", false),
        // An order by counts or keys tells nothing more of them.
        ("ORDER BY n DESC LIMIT 2", false),
        ("HAVING count(*) >= 10 ORDER BY 区县 LIMIT 2", false),
        ("HAVING count(*) >= 10 ORDER BY sum(注册资本) DESC", false),
    ] {
        let sql = format!("{by} {having}");
        let rows = if having.contains("LIMIT") { 2 } else { 4 };
        let shown = shown_and_dropped(companies(200), &sql).await;
        assert_eq!(shown, (rows, fails), "{sql}");
    }
    let outer = "SELECT d, n FROM (SELECT 区县 AS d, count(*) AS n, sum(注册资本) AS s \
                 FROM companies GROUP BY 区县, 注册资本 > 1960) x WHERE s > 5000";
    assert_eq!(shown_and_dropped(companies(200), outer).await, (4, true));
    let top = "SELECT d, n FROM (SELECT 区县 AS d, count(*) AS n, sum(注册资本) AS s \
               FROM companies GROUP BY 区县, 注册资本 > 1960 ORDER BY s DESC LIMIT 2) x";
    assert_eq!(shown_and_dropped(companies(200), top).await, (2, true));
    // Shown, 锦江区 would fail: its filtered sum leaves 企业0 out. Dropped
    // for it, it told whether 企业0's capital is zero.
    let left_out = "SELECT 区县, count(*) AS n FROM companies GROUP BY 区县 \
                    HAVING sum(注册资本) FILTER (WHERE 企业名称 <> '企业0') = sum(注册资本)";
    assert_eq!(shown_and_dropped(companies(40), left_out).await, (3, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_kept_in_a_table_and_filtered_by_a_measure_are_checked_as_if_shown() {
    let made = |having: &str| {
        format!(
            "CREATE TABLE cells AS SELECT 区县, count(*) AS n, sum(注册资本) AS s \
             FROM companies GROUP BY 区县, 注册资本 > 1960 {having}"
        )
    };
    let release = |made: String, sql: &'static str| async move {
        let tables = [companies(200), Arc::new(kept_over(200, &made).await)];
        let release = engine()
            .run_for_release(&tables, sql, &[], &CancellationToken::new(), 100)
            .await
            .unwrap();
        (release.outcome.result.rows(), failed(&release.facts))
    };
    let dropped = |(rows, failed): (usize, Vec<CheckCode>)| {
        rows == 4 && !failed.is_empty() && failed.iter().all(|c| *c == CheckCode::DroppedCell)
    };
    // The kept cells' rows, filtered by a measure they keep.
    assert!(dropped(
        release(made(""), "SELECT 区县, n FROM cells WHERE s > 5000").await
    ));
    // Suppressed by their record counts, or the largest shown, they tell
    // of the cells dropped only that they are small, as `HAVING count(*)
    // >= 10` does when the aggregation is in sight.
    for suppressed in [
        "SELECT 区县, n FROM cells WHERE n >= 10",
        "SELECT 区县, n FROM cells WHERE n >= 10 AND s > 0 ORDER BY n DESC",
        "SELECT 区县, n FROM cells ORDER BY n DESC LIMIT 4",
    ] {
        assert_eq!(
            release(made(""), suppressed).await,
            (4, Vec::new()),
            "{suppressed}"
        );
    }
    // Bounded otherwise than from below, a count judges the rows dropped:
    // all but the cells of one tells those hold one company each.
    assert!(dropped(
        release(made(""), "SELECT 区县, n FROM cells WHERE n <> 1").await
    ));
    // A count with a filter of its own is a measure: `big` tells which
    // cells hold a company over 1,960 (the cells of one), which are then
    // checked as if shown (and the zeros it shows fail besides).
    let filtered_count = "CREATE TABLE cells AS SELECT 区县, count(*) AS n, \
                          count(*) FILTER (WHERE 注册资本 > 1960) AS big, sum(注册资本) AS s \
                          FROM companies GROUP BY 区县, 注册资本 > 1960";
    let (rows, failed) = release(
        filtered_count.to_owned(),
        "SELECT 区县, n FROM cells WHERE big = 0",
    )
    .await;
    assert_eq!(rows, 4);
    assert!(failed.contains(&CheckCode::DroppedCell), "{failed:?}");
    // So is a count computed on as the table was made.
    assert!(dropped(
        release(
            made("").replace("count(*) AS n", "count(*) + 0 AS n"),
            "SELECT 区县, n FROM cells WHERE n >= 10"
        )
        .await
    ));
    assert!(dropped(
        release(
            made(""),
            "SELECT 区县, n FROM cells ORDER BY s DESC LIMIT 4"
        )
        .await
    ));
    let suppressed = release(made("HAVING count(*) >= 10"), "SELECT 区县, n FROM cells").await;
    assert_eq!(suppressed, (4, Vec::new()));
    // A table made through such a filter keeps no trace: its rows stand
    // for themselves.
    let (rows, failed) = release(
        made("HAVING sum(注册资本) > 5000"),
        "SELECT 区县, n FROM cells",
    )
    .await;
    assert_eq!(rows, 4);
    assert!(
        !failed.is_empty() && !failed.contains(&CheckCode::DroppedCell),
        "{failed:?}"
    );
}

/// Fifty companies a district, one of each with a capital over 1,960:
/// four cells of 49 and four of one, kept.
const CELLS: &str = "CREATE TABLE cells AS SELECT 区县, count(*) AS n, sum(注册资本) AS s \
    FROM companies GROUP BY 区县, 注册资本 > 1960";

/// `sql` released over 200 companies and the table `made` of them, with
/// `earlier` releases; its rows and facts.
async fn released_over_cells(made: &str, sql: &str, earlier: &[Earlier]) -> (usize, ResultFacts) {
    let tables = [companies(200), Arc::new(kept_over(200, made).await)];
    let release = engine()
        .run_for_release(&tables, sql, earlier, &CancellationToken::new(), 100)
        .await
        .unwrap();
    (release.outcome.result.rows(), release.facts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_kept_rows_counts_cells_each_by_its_records() {
    // Nine cells a district, and one more where 企业39 is rich: its
    // district's rows number ten. Counted, or filtered by their number,
    // they tell of one company.
    let made = "CREATE TABLE g AS SELECT 区县, 注册资本 % 9 AS r, \
                (企业名称 = '企业39' AND 营业收入 > 100000) AS hit, count(*) AS n \
                FROM companies GROUP BY 1, 2, 3";
    let (_, facts) = released_over_cells(
        made,
        "SELECT 区县, count(*) AS parts FROM g GROUP BY 区县",
        &[],
    )
    .await;
    assert!(
        failed(&facts).contains(&CheckCode::SmallCell),
        "{:?}",
        failed(&facts)
    );
    let filtered = "SELECT 区县, sum(n) AS n FROM g GROUP BY 区县 HAVING count(*) >= 10";
    let (_, facts) = released_over_cells(made, filtered, &[]).await;
    assert!(
        failed(&facts).contains(&CheckCode::DroppedCell),
        "{:?}",
        failed(&facts)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppression_from_under_the_cell_threshold_fails() {
    // Shown, each cell passes; dropped, the cells of one are known to
    // hold fewer than two companies: exactly one.
    let by = "SELECT 区县, count(*) AS n FROM companies GROUP BY 区县, 注册资本 > 1960";
    for having in [
        "HAVING count(*) >= 2",
        "HAVING count(*) > 1",
        "HAVING count(*) BETWEEN 2 AND 100",
        "HAVING count(*) >= 10 AND count(*) >= 2",
    ] {
        let (rows, facts) = released_over_cells(CELLS, &format!("{by} {having}"), &[]).await;
        assert_eq!(rows, 4, "{having}");
        assert_eq!(facts.suppressed_below, Some(2), "{having}");
        assert_eq!(failed(&facts), vec![CheckCode::WeakSuppression], "{having}");
    }
    for having in [
        "HAVING count(*) >= 10",
        "HAVING count(*) >= CAST(10 AS BIGINT)",
    ] {
        let (_, facts) = released_over_cells(CELLS, &format!("{by} {having}"), &[]).await;
        assert_eq!(facts.suppressed_below, Some(10), "{having}");
        assert!(failed(&facts).is_empty(), "{having}");
    }
    // Over kept rows the sum of their record counts counts records.
    let parts = "CREATE TABLE parts AS SELECT 区县, 注册资本 > 1960 AS rich, \
                 企业名称 < '企业5' AS early, count(*) AS n FROM companies GROUP BY 1, 2, 3";
    let by = "SELECT 区县, rich, sum(n) AS n FROM parts GROUP BY 区县, rich";
    let (rows, facts) = released_over_cells(parts, &format!("{by} HAVING sum(n) >= 10"), &[]).await;
    assert_eq!((rows, facts.suppressed_below), (4, Some(10)));
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
    let (_, facts) = released_over_cells(parts, &format!("{by} HAVING sum(n) >= 2"), &[]).await;
    assert_eq!(failed(&facts), vec![CheckCode::WeakSuppression]);
    // Nor may a kept table's rows be suppressed so, as it was made or as
    // they are released.
    let (_, facts) = released_over_cells(
        &format!("{CELLS} HAVING count(*) >= 2"),
        "SELECT 区县, n FROM cells",
        &[],
    )
    .await;
    assert_eq!(failed(&facts), vec![CheckCode::WeakSuppression]);
    let (_, facts) = released_over_cells(CELLS, "SELECT 区县, n FROM cells WHERE n > 1", &[]).await;
    assert_eq!(failed(&facts), vec![CheckCode::WeakSuppression]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_cells_suppressed_by_their_counts_add_up() {
    let per_district = |filter: &str| {
        format!("SELECT 区县, sum(n) AS n, sum(s) AS s FROM cells {filter} GROUP BY 区县")
    };
    // The large cells' records, as `HAVING count(*) >= 10` kept them.
    let (rows, facts) = released_over_cells(CELLS, &per_district("WHERE n >= 10"), &[]).await;
    assert_eq!(rows, 4);
    assert_eq!(facts.records, Some(vec![49; 4]));
    assert_eq!(facts.suppressed_below, Some(10));
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
    let (_, kept_first) = released_over_cells(
        &format!("{CELLS} HAVING count(*) >= 10"),
        &per_district(""),
        &[],
    )
    .await;
    assert_eq!(kept_first.records, facts.records);
    assert!(failed(&kept_first).is_empty());
    // From a bound under the threshold, or by any other filter on the
    // counts, the sums would tell the dropped cells' counts.
    let (_, facts) = released_over_cells(CELLS, &per_district("WHERE n >= 2"), &[]).await;
    assert_eq!(failed(&facts), vec![CheckCode::WeakSuppression]);
    for filter in [
        "WHERE n <> 1",
        "WHERE n = 49",
        "WHERE n >= 10 OR 区县 = '锦江区'",
    ] {
        let (_, facts) = released_over_cells(CELLS, &per_district(filter), &[]).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{filter}");
    }
    // Rounded counts are not to be filtered exactly.
    let (_, facts) = released_over_cells(CELLS, &per_district("WHERE n >= 10"), &[]).await;
    let rounding = DisclosureRules {
        round_counts_to: 5,
        ..DisclosureRules::default()
    };
    // Shown as they were kept, too.
    let (_, kept_rows) = released_over_cells(
        &format!("{CELLS} HAVING count(*) >= 10"),
        "SELECT 区县, n FROM cells",
        &[],
    )
    .await;
    for facts in [&facts, &kept_first, &kept_rows] {
        let codes: Vec<CheckCode> = check(facts, &rounding)
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, vec![CheckCode::UnroundedCount]);
    }
    // Beside the districts' whole counts, released before, the difference
    // is each district's company of one.
    let earlier = [Earlier {
        label: "export 1".into(),
        sql: per_district(""),
        tables: Vec::new(),
    }];
    let (_, facts) = released_over_cells(CELLS, &per_district("WHERE n >= 10"), &earlier).await;
    assert_eq!(failed(&facts), vec![CheckCode::EarlierRelease]);
    assert_eq!(facts.earlier, vec![("export 1".to_owned(), Some(1))]);
    // Added up from a table made through a bound under the threshold,
    // the bound goes with it.
    let (_, facts) = released_over_cells(
        &format!("{CELLS} HAVING count(*) >= 2"),
        "SELECT sum(n) FROM cells",
        &[],
    )
    .await;
    assert_eq!(failed(&facts), vec![CheckCode::WeakSuppression]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_differing_from_an_earlier_one_by_few_records_fails() {
    // Twenty companies a district, a table made of all but one, and one
    // of the districts' counts.
    let some = kept_over(
        80,
        "CREATE TABLE some AS SELECT * FROM companies WHERE 企业名称 <> '企业5'",
    )
    .await;
    let cells = kept_over(
        80,
        "CREATE TABLE cells AS SELECT 区县, count(*) AS n FROM companies GROUP BY 区县",
    )
    .await;
    // Kept aggregations of all but one, and of one apart from the rest.
    let cells_some = kept_over(
        80,
        "CREATE TABLE cells_some AS SELECT 区县, count(*) AS n FROM companies \
         WHERE 企业名称 <> '企业5' GROUP BY 区县",
    )
    .await;
    let split = kept_over(
        80,
        "CREATE TABLE split AS SELECT 区县, 企业名称 = '企业5' AS rare, count(*) AS n \
         FROM companies GROUP BY 1, 2",
    )
    .await;
    let split = Arc::new(split);
    // And a table kept of the split's rows, all but the one.
    let c2 = run(
        &engine(),
        &[companies(80), split.clone()],
        "CREATE TABLE c2 AS SELECT 区县, sum(n) AS n FROM split WHERE NOT rare GROUP BY 区县",
    )
    .await
    .unwrap()
    .result;
    let c2 = Table::from_parquet("c2", c2.parquet().unwrap()).unwrap();
    let tables = &[
        companies(80),
        inspections(),
        Arc::new(some),
        Arc::new(cells),
        Arc::new(cells_some),
        split,
        Arc::new(c2),
    ];
    let compared = |sql: &'static str, earlier: &'static str| async move {
        let earlier = [Earlier {
            label: "export 1".into(),
            sql: earlier.into(),
            tables: Vec::new(),
        }];
        let release = engine()
            .run_for_release(tables, sql, &earlier, &CancellationToken::new(), 100)
            .await
            .unwrap();
        let failed = failed(&release.facts);
        let earlier_only = failed.iter().all(|c| *c == CheckCode::EarlierRelease);
        assert!(earlier_only, "{sql}: {failed:?}");
        release.facts.earlier
    };
    let all = "SELECT count(*) AS n, sum(注册资本) AS s FROM companies";
    let by_district = "SELECT 区县, sum(注册资本) AS s FROM companies GROUP BY 区县";
    let fewest = |n: u64| vec![("export 1".to_owned(), Some(n))];
    for (sql, earlier, differing) in [
        // The difference of the two is 企业0's capital.
        (
            "SELECT sum(注册资本) FROM companies WHERE 企业名称 <> '企业0'",
            all,
            1,
        ),
        (
            "SELECT c.区县, sum(c.注册资本) FROM companies c WHERE c.企业名称 <> '企业0' GROUP BY c.区县",
            by_district,
            1,
        ),
        (
            by_district,
            "SELECT 区县, count(*) FROM companies WHERE 注册资本 < 760 OR 区县 <> '武侯区' GROUP BY 区县",
            2,
        ),
        // Through a subquery, or a table made of some of the records.
        (
            "SELECT s FROM (SELECT sum(x) AS s FROM \
             (SELECT 注册资本 AS x, 企业名称 AS name FROM companies) WHERE name <> '企业0')",
            all,
            1,
        ),
        ("SELECT count(*) FROM some", all, 1),
        // Through a subquery choosing the records (企业1 failed one),
        // correlated to the table under another name or not.
        (
            "SELECT sum(注册资本) FROM companies WHERE 企业名称 NOT IN \
             (SELECT 企业名称 FROM inspections WHERE 结果 = '不合格')",
            all,
            1,
        ),
        (
            "SELECT sum(c.注册资本) FROM companies c WHERE NOT EXISTS (SELECT 1 \
             FROM inspections i WHERE i.企业名称 = c.企业名称 AND i.结果 = '不合格')",
            all,
            1,
        ),
        (
            "SELECT 区县, sum(注册资本) AS s FROM some GROUP BY 区县",
            by_district,
            1,
        ),
        // Cells apart by three districts, or by a quarter of the companies.
        (by_district, all, 60),
        (
            "SELECT sum(注册资本) FROM companies WHERE 注册资本 > 200",
            all,
            20,
        ),
        // A kept aggregation's rows weigh the records they stand for.
        (
            "SELECT sum(n) FROM cells",
            "SELECT sum(n) FROM cells WHERE 区县 <> '武侯区'",
            20,
        ),
        // A kept aggregation's rows, or cells of them, are the cells of
        // the records they kept: beside the table's, all but one show
        // that one, whichever was released first.
        ("SELECT 区县, n FROM cells_some", by_district, 1),
        (by_district, "SELECT 区县, n FROM cells_some", 1),
        ("SELECT sum(n) FROM cells_some WHERE n >= 10", all, 1),
        ("SELECT 区县, n FROM split WHERE n >= 10", by_district, 1),
        (
            "SELECT 区县, sum(n) AS n FROM split WHERE NOT rare GROUP BY 区县",
            "SELECT count(*) FROM companies WHERE 区县 = '青羊区'",
            1,
        ),
        ("SELECT 区县, n FROM cells", by_district, 0),
        // Rows not shown are not compared; rows kept of kept rows are.
        (
            "SELECT 区县, n FROM cells_some WHERE 区县 = '锦江区'",
            by_district,
            0,
        ),
        ("SELECT 区县, n FROM c2", by_district, 1),
        ("SELECT sum(n) FROM c2", all, 1),
        // Joins are compared table read by table read (each side of a
        // self-join apart), with a table's own releases or each other.
        (
            "SELECT count(*) FROM companies a JOIN companies b ON a.区县 = b.区县 \
             WHERE a.企业名称 <> '企业0'",
            "SELECT count(*) FROM companies a JOIN companies b ON a.区县 = b.区县",
            1,
        ),
        // Beside the table's own count, every record is copied otherwise.
        (
            "SELECT count(*) FROM companies a JOIN companies b ON a.区县 = b.区县",
            all,
            80,
        ),
        (
            "SELECT a.区县, count(*) FROM companies a JOIN companies b ON a.区县 = b.区县 \
             WHERE b.企业名称 <> '企业0' GROUP BY a.区县",
            "SELECT a.区县, count(*) FROM companies a JOIN companies b ON a.区县 = b.区县 \
             GROUP BY a.区县",
            1,
        ),
        (
            by_district,
            "SELECT c.区县, count(*) FROM companies c LEFT JOIN inspections i \
             ON c.企业名称 = i.企业名称 WHERE c.企业名称 <> '企业0' GROUP BY c.区县",
            1,
        ),
        (
            by_district,
            "SELECT i.结果, count(*) FROM companies c JOIN inspections i \
             ON c.企业名称 = i.企业名称 GROUP BY i.结果",
            19,
        ),
        // A record copied once more counts as one record more (企业39's
        // revenue decides it), and a kept aggregation's rows are compared
        // with a join's cells.
        (
            "SELECT count(*) AS n FROM companies a JOIN companies b \
             ON a.企业名称 = b.企业名称 OR (a.企业名称 = '企业39' AND b.企业名称 = '企业3' \
             AND a.营业收入 > 100000)",
            all,
            1,
        ),
        (
            "SELECT 区县, n FROM cells_some",
            "SELECT a.区县, count(*) AS n FROM companies a JOIN companies b \
             ON a.企业名称 = b.企业名称 GROUP BY a.区县",
            1,
        ),
        // The same cells again differ by none.
        (by_district, by_district, 0),
    ] {
        assert_eq!(compared(sql, earlier).await, fewest(differing), "{sql}");
    }
    let (_, facts) = released(
        "SELECT sum(注册资本) FROM companies WHERE 企业名称 <> '企业0'",
        100,
    )
    .await;
    assert!(facts.earlier.is_empty(), "nothing earlier");
    assert_eq!(
        failing_rows_of(
            compared(
                "SELECT sum(注册资本) FROM companies WHERE 企业名称 <> '企业0'",
                all
            )
            .await
        ),
        vec![CheckCode::EarlierRelease]
    );
    // Another product's table shares no records, joined or not; other
    // shapes and queries that no longer plan are not compared.
    let self_joined = "SELECT a.区县, count(*) FROM companies a \
                       JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县";
    let other = "SELECT 结果, count(*) FROM inspections GROUP BY 结果";
    assert_eq!(compared(self_joined, other).await, Vec::new());
    // A table kept through measures' filters (their splits joined above
    // the aggregation) keeps its records' ids too.
    let filtered = kept_over(
        80,
        "CREATE TABLE f AS SELECT 区县, count(*) FILTER (WHERE 注册资本 > 100) AS a, \
         count(*) FILTER (WHERE 注册资本 > 500) AS b FROM companies GROUP BY 区县",
    )
    .await;
    let earlier = [Earlier {
        label: "export 1".into(),
        sql: "SELECT 区县, count(*) FROM companies WHERE 企业名称 <> '企业5' GROUP BY 区县".into(),
        tables: Vec::new(),
    }];
    let release = engine()
        .run_for_release(
            &[companies(80), Arc::new(filtered)],
            "SELECT 区县, a FROM f",
            &earlier,
            &CancellationToken::new(),
            100,
        )
        .await
        .unwrap();
    assert_eq!(release.facts.earlier, fewest(1));
    // An export of another workspace over a table it made of the same
    // product is compared with that table present for it alone; one whose
    // table is named as a table here cannot be compared.
    let most = Arc::new(
        kept_over(
            80,
            "CREATE TABLE most AS SELECT * FROM companies WHERE 企业名称 <> '企业5'",
        )
        .await,
    );
    let elsewhere = [Earlier {
        label: "export 1".into(),
        sql: "SELECT count(*) FROM most".into(),
        tables: vec![most.clone()],
    }];
    let over = |tables: Vec<Arc<Table>>| {
        let elsewhere = elsewhere.clone();
        async move {
            let release = engine()
                .run_for_release(
                    &tables,
                    "SELECT count(*) FROM companies",
                    &elsewhere,
                    &CancellationToken::new(),
                    100,
                )
                .await
                .unwrap();
            release.facts.earlier
        }
    };
    assert_eq!(over(vec![companies(80)]).await, fewest(1));
    let named_alike = kept_over(80, "CREATE TABLE most AS SELECT * FROM companies").await;
    assert_eq!(
        over(vec![companies(80), Arc::new(named_alike)]).await,
        vec![("export 1".to_owned(), None)]
    );
    // Nor are cells keyed by the time, which each run reads anew.
    let timed = "SELECT CAST(now() AS VARCHAR) AS t, count(*) FROM companies a \
                 JOIN companies b ON a.区县 = b.区县 GROUP BY 1";
    assert_eq!(compared(by_district, timed).await, Vec::new());
    for earlier in [
        "SELECT 结果, count(*) FROM inspections GROUP BY 结果",
        "SELECT 区县, count(*) FROM companies GROUP BY ROLLUP (区县)",
        "SELECT count(*) FROM dropped",
    ] {
        assert_eq!(
            compared(by_district, earlier).await,
            Vec::new(),
            "{earlier}"
        );
    }
}

/// The checks failed by a result with these comparisons alone.
fn failing_rows_of(earlier: Vec<(String, Option<u64>)>) -> Vec<CheckCode> {
    let facts = ResultFacts {
        rows: 1,
        records: Some(vec![40]),
        earlier,
        ..ResultFacts::default()
    };
    failed(&facts)
}

/// Releases `sql` over 300,000 companies within `memory_bytes`: four
/// districts of 75,000, each passing the checks.
async fn released_within(memory_bytes: usize, sql: &str) {
    let engine = Engine::new(Limits {
        memory_bytes,
        partitions: 2,
        ..Limits::default()
    });
    let release = engine
        .run_for_release(
            &[companies(300_000)],
            sql,
            &[],
            &CancellationToken::new(),
            100,
        )
        .await
        .unwrap();
    assert_eq!(release.facts.records, Some(vec![75_000; 4]));
    assert!(failed(&release.facts).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_aggregation_is_traced_within_a_small_memory_cap() {
    // Tracing streams: it does not sort the 300,000 rows (a few MB) that
    // the aggregation itself never holds.
    released_within(
        1 << 20,
        "SELECT 区县, count(*) AS n, sum(注册资本) AS capital FROM companies GROUP BY 区县 ORDER BY 区县",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_join_is_traced_within_a_small_memory_cap() {
    // Each table's records are aggregated by cell and record, a part at
    // a time: side by side in one plan the parts needed more than 64 MB
    // here, where the plain join needs under 16; a part at a time 44 to
    // 52, as batches interleave.
    released_within(
        60 << 20,
        "SELECT a.区县, count(*) AS n FROM companies a \
         JOIN companies b ON a.企业名称 = b.企业名称 GROUP BY a.区县 ORDER BY a.区县",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_one_company_dominates_fails() {
    let (_, facts) = released(
        "SELECT 区县, sum(营业收入) AS capital \
         FROM companies GROUP BY 区县 ORDER BY 区县",
        100,
    )
    .await;
    let failures = check(&facts, &DisclosureRules::default());
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].code, CheckCode::Dominance);
    assert_eq!(failures[0].rows, vec![0], "武侯区 holds 企业39");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_groups_row_level_results_and_untraceable_shapes_fail() {
    let (_, by_company) = released(
        "SELECT 企业名称, count(*) AS n FROM companies GROUP BY 企业名称",
        100,
    )
    .await;
    assert_eq!(failed(&by_company), vec![CheckCode::SmallCell]);

    let (_, rows) = released("SELECT 企业名称 FROM companies WHERE 注册资本 > 100", 100).await;
    assert_eq!(rows.records, Some(vec![1; 30]));
    assert_eq!(failed(&rows), vec![CheckCode::SmallCell]);

    for sql in [
        "SELECT a.企业名称, b.n FROM companies a JOIN \
         (SELECT 区县, count(*) AS n FROM companies GROUP BY 区县) b ON a.区县 = b.区县",
        "SELECT DISTINCT 区县 FROM companies",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_past_the_row_cap_fails_it_and_tables_are_not_released() {
    let (rows, facts) = released("SELECT 区县, count(*) FROM companies GROUP BY 区县", 2).await;
    assert_eq!(rows.len(), 3, "one row past the cap, to know it was passed");
    let rules = DisclosureRules {
        max_rows: 2,
        ..DisclosureRules::default()
    };
    let codes: Vec<CheckCode> = check(&facts, &rules).into_iter().map(|f| f.code).collect();
    assert_eq!(codes, vec![CheckCode::RowCap]);

    let err = engine()
        .run_for_release(
            &[companies(4)],
            "CREATE TABLE t AS SELECT * FROM companies",
            &[],
            &CancellationToken::new(),
            10,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::NotReleasable(_)), "{err}");
}

/// Per district: companies, and revenue, which one company (企业39, in
/// 武侯区) dominates.
const BY_DISTRICT: &str = "SELECT 区县, count(*) AS n, \
    sum(营业收入) AS capital \
    FROM companies GROUP BY 区县";

/// `sql` made a table, kept as Parquet and read back.
async fn kept(sql: &str) -> Table {
    kept_over(40, sql).await
}

/// `sql` made a table over `rows` companies, kept as Parquet and read back.
async fn kept_over(rows: usize, sql: &str) -> Table {
    let made = run(&engine(), &[companies(rows)], sql).await.unwrap();
    Table::from_parquet(made.result.name(), made.result.parquet().unwrap()).unwrap()
}

async fn release_from(table: Table, sql: &str) -> (Vec<Vec<Option<String>>>, ResultFacts) {
    let release = engine()
        .run_for_release(
            &[companies(40), Arc::new(table)],
            sql,
            &[],
            &CancellationToken::new(),
            100,
        )
        .await
        .unwrap();
    (text(&release.outcome.result), release.facts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_a_kept_aggregation_stand_for_their_records() {
    let table = kept(&format!("CREATE TABLE by_district AS {BY_DISTRICT}")).await;
    assert!(table.is_traced(), "the trace is kept with the table");
    let names: Vec<&str> = table.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["区县", "n", "capital"], "and never shown");

    // Released, its rows are checked as the aggregation itself would be.
    let ordered = " ORDER BY 区县";
    let (direct_rows, direct) = released(&format!("{BY_DISTRICT}{ordered}"), 100).await;
    let (rows, facts) = release_from(table, &format!("SELECT * FROM by_district{ordered}")).await;
    assert_eq!(rows, direct_rows, "only the table's own columns go out");
    assert_eq!(facts, direct);
    assert_eq!(facts.records, Some(vec![10; 4]));
    assert_eq!(facts.count_columns, vec![1]);
    let failures = check(&facts, &DisclosureRules::default());
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].code, CheckCode::Dominance);
    assert_eq!(failures[0].rows, vec![0], "武侯区 holds 企业39");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_trace_goes_through_filters_aliases_and_the_tables_made_from_it() {
    let by_district = format!("CREATE TABLE by_district AS {BY_DISTRICT}");
    let (rows, facts) = release_from(
        kept(&by_district).await,
        "SELECT d.n AS companies, d.区县 FROM by_district d WHERE d.n >= 10 ORDER BY d.区县 DESC LIMIT 2",
    )
    .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(facts.records, Some(vec![10, 10]));
    assert_eq!(facts.count_columns, vec![0], "companies shows n");

    // A table made from the kept one's rows keeps their trace (not
    // through a filter on a measure, which drops cells unseen).
    let made = run(
        &engine(),
        &[companies(40), Arc::new(kept(&by_district).await)],
        "CREATE TABLE counted AS SELECT 区县, n FROM by_district WHERE 区县 <> '锦江区'",
    )
    .await
    .unwrap();
    assert!(made.result.is_traced());
    let again = Table::from_parquet("counted", made.result.parquet().unwrap()).unwrap();
    let (_, facts) = release_from(again, "SELECT * FROM counted").await;
    assert_eq!(facts.records, Some(vec![10; 3]));
    assert_eq!(facts.totals.len(), 1, "capital's contributions still count");

    // An aggregation over kept rows adds up the records they stand for.
    let (_, facts) =
        release_from(kept(&by_district).await, "SELECT count(*) FROM by_district").await;
    assert_eq!(facts.records, Some(vec![40]));
}

/// Two rows a district: companies below 200 and from 200 up.
const BY_SIZE: &str = "CREATE TABLE by_size AS SELECT 区县, 注册资本 >= 200 AS large, count(*) AS n, \
    sum(营业收入) AS capital \
    FROM companies GROUP BY 1, 2";

/// `BY_SIZE`'s rows added up per district.
const PER_DISTRICT: &str = "SELECT s.区县, sum(s.n) AS n, sum(s.capital) AS capital, \
    count(*) AS parts FROM by_size s WHERE s.large IS NOT NULL GROUP BY s.区县";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregations_over_kept_rows_add_up_their_records_and_contributions() {
    let (rows, facts) = release_from(
        kept(BY_SIZE).await,
        &format!("{PER_DISTRICT} ORDER BY s.区县"),
    )
    .await;
    assert_eq!(rows[0][3].as_deref(), Some("2"), "two kept rows a district");

    // The same cells, records and contributions as straight from the companies.
    let (direct_rows, direct) = released(&format!("{BY_DISTRICT} ORDER BY 区县"), 100).await;
    let cells: Vec<_> = rows.iter().map(|r| r[..3].to_vec()).collect();
    assert_eq!(cells, direct_rows);
    assert_eq!(facts.records, direct.records);
    let capital = facts
        .totals
        .iter()
        .find(|(label, _)| label.contains("capital"));
    assert_eq!(capital.map(|(_, cells)| cells), Some(&direct.totals[0].1));
    assert_eq!(
        facts.count_columns,
        vec![1, 3],
        "a sum of counts is a count"
    );
    let failures = check(&facts, &DisclosureRules::default());
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert_eq!(failures[1].code, CheckCode::Dominance);
    assert_eq!(failures[1].rows, vec![0], "武侯区 holds 企业39");
    // Counting the kept rows counts cells, each there by its records: a
    // cell of five companies a district is what `parts` rests on.
    assert_eq!(failures[0].code, CheckCode::SmallCell);
    assert_eq!(failures[0].column.as_deref(), Some("count(Int64(1))"));
    assert_eq!(failures[0].rows, vec![0, 1, 2, 3]);

    // Kept in turn, the re-aggregation's rows still stand for all that.
    let made = run(
        &engine(),
        &[companies(40), Arc::new(kept(BY_SIZE).await)],
        &format!("CREATE TABLE by_district AS {PER_DISTRICT}"),
    )
    .await
    .unwrap();
    let again = Table::from_parquet("by_district", made.result.parquet().unwrap()).unwrap();
    let (_, again) = release_from(again, "SELECT * FROM by_district ORDER BY 区县").await;
    assert_eq!(again, facts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_measures_are_only_added_up() {
    // Grouped by, compared, computed with or taken the least or most of,
    // a kept count or sum would show what its own checks withheld.
    for sql in [
        "SELECT 区县, capital, count(*) FROM by_size GROUP BY 区县, capital",
        "SELECT 区县, min(n), max(n) FROM by_size GROUP BY 区县",
        "SELECT 区县, count(*) FROM by_size WHERE n = 5 GROUP BY 区县",
        "SELECT 区县, sum(n * 2) FROM by_size GROUP BY 区县",
        "SELECT 区县, sum(capital) FILTER (WHERE n > 4) FROM by_size GROUP BY 区县",
        "SELECT 区县, sum(m) FROM (SELECT 区县, n AS m FROM by_size ORDER BY n LIMIT 6) GROUP BY 区县",
    ] {
        let (_, facts) = release_from(kept(BY_SIZE).await, sql).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    // A mean does not add up: a sum of means is not a sum of records.
    let means = kept(
        "CREATE TABLE means AS SELECT 区县, 企业名称 = '企业39' AS one, avg(注册资本) AS m \
         FROM companies GROUP BY 1, 2",
    )
    .await;
    let (_, facts) = release_from(means, "SELECT 区县, sum(m) FROM means GROUP BY 区县").await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_subqueries_read_is_untraceable() {
    // In the released query itself: a count of one company beside the cells.
    let (_, facts) = released(
        "SELECT 区县, count(*) AS n, (SELECT count(*) FROM companies WHERE 注册资本 = 400) AS one \
         FROM companies GROUP BY 区县",
        100,
    )
    .await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
    // Or reading a kept measure through an outer reference.
    for sql in [
        "SELECT 区县, k, count(*) FROM (SELECT 区县, \
         (SELECT max(b.capital) FROM by_size b WHERE b.capital = s.capital) AS k FROM by_size s) x \
         GROUP BY 区县, k",
        "SELECT 区县, count(*) FROM by_size s \
         WHERE EXISTS (SELECT 1 FROM (VALUES (5)) v(k) WHERE v.k = s.n) GROUP BY 区县",
    ] {
        let (_, facts) = release_from(kept(BY_SIZE).await, sql).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_statistics_and_sums_of_distinct_values_are_untraceable() {
    // A minimum, maximum or median is one company's value; a sum of
    // distinct values is no sum of the companies' contributions.
    for measure in [
        "min(注册资本)",
        "max(注册资本)",
        "median(注册资本)",
        "first_value(注册资本)",
        "sum(DISTINCT 注册资本)",
        "avg(DISTINCT 注册资本)",
        // A count of a condition's values tells the condition.
        "count(DISTINCT 企业名称 = '企业39' AND 注册资本 > 300)",
    ] {
        let sql =
            format!("SELECT 区县, count(*) AS n, {measure} AS m FROM companies GROUP BY 区县");
        let (_, facts) = released(&sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    // A count of distinct values draws on every company it reads.
    let (_, facts) = released(
        "SELECT 区县, count(DISTINCT 区县) AS kinds, stddev(注册资本) AS s \
         FROM companies GROUP BY 区县",
        100,
    )
    .await;
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
}

/// The small-cell failures of a release, by column (`None`: the cell's).
fn small_cells(facts: &ResultFacts) -> Vec<(Option<String>, Vec<usize>)> {
    check(facts, &DisclosureRules::default())
        .into_iter()
        .filter(|f| f.code == CheckCode::SmallCell)
        .map(|f| (f.column, f.rows))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_measure_drawn_from_few_companies_fails_though_its_cell_is_large() {
    // Companies of capital up to 50: two in 锦江区, one in each other
    // district; every district has ten companies.
    for measure in [
        "count(*) FILTER (WHERE 注册资本 <= 50)",
        "count(CASE WHEN 注册资本 <= 50 THEN 1 END)",
        "sum(CASE WHEN 注册资本 <= 50 THEN 1 ELSE 0 END)",
        "sum(注册资本) FILTER (WHERE 注册资本 <= 50)",
        "avg(CASE WHEN 注册资本 <= 50 THEN 注册资本 END)",
    ] {
        let sql = format!(
            "SELECT 区县, count(*) AS n, {measure} AS few FROM companies GROUP BY 区县 ORDER BY 区县"
        );
        let (_, facts) = released(&sql, 100).await;
        assert_eq!(facts.records, Some(vec![10; 4]), "{sql}");
        let drawn = facts.contributors.last().map(|(_, values)| values.clone());
        let expected = [1.0, 1.0, 2.0, 1.0].map(Some).to_vec();
        assert_eq!(drawn, Some(expected), "{sql}");
        let cells = small_cells(&facts);
        assert_eq!(cells.len(), 1, "{sql}: {cells:?}");
        assert_eq!(cells[0].1, vec![0, 1, 2, 3], "{sql}");
        assert!(cells[0].0.is_some(), "names the measure");
    }
    // A measure none of a cell's records has a value for draws on none;
    // a sum of ones is a count, and a zero count is a zero.
    let (_, facts) = released(
        "SELECT 区县, count(*) AS n, sum(注册资本) FILTER (WHERE 注册资本 < 0) AS none, \
         sum(CASE WHEN 注册资本 < 0 THEN 1 ELSE 0 END) AS zero FROM companies GROUP BY 区县",
        100,
    )
    .await;
    assert_eq!(facts.count_columns, vec![1, 3]);
    let failures = check(&facts, &DisclosureRules::default());
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].code, CheckCode::Zero);
    assert!(
        failures[0]
            .column
            .as_ref()
            .is_some_and(|c| c.contains("CASE"))
    );

    // A count of ones no record was chosen for is a zero, not a null.
    let (_, facts) = released(
        "SELECT 区县, count(*) AS n, sum(1) FILTER (WHERE 区县 = '武侯区') AS here \
         FROM companies GROUP BY 区县 ORDER BY 区县",
        100,
    )
    .await;
    assert_eq!(failing_rows(&facts, CheckCode::Zero), vec![vec![1, 2, 3]]);

    // Kept, the measure still says how few it drew on, and so does its sum.
    const FEW: &str = "CREATE TABLE few AS SELECT 区县, count(*) AS n, \
        sum(CASE WHEN 注册资本 <= 50 THEN 1 ELSE 0 END) AS small FROM companies GROUP BY 区县";
    let (_, facts) = release_from(kept(FEW).await, "SELECT * FROM few").await;
    assert_eq!(small_cells(&facts).len(), 1, "{:?}", small_cells(&facts));
    let (rows, facts) = release_from(
        kept(FEW).await,
        "SELECT sum(n) AS n, sum(small) AS small FROM few",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("40".into()), Some("5".into())]]);
    assert_eq!(
        small_cells(&facts),
        vec![(Some("sum(few.small)".into()), vec![0])]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_leaves_out_one_company_fails() {
    // Beside its district's total, a total without 企业39 shows 企业39's
    // by difference, however the filter is written.
    let complement = |facts: &ResultFacts| failing_rows(facts, CheckCode::SmallComplement);
    for measure in [
        "sum(注册资本) FILTER (WHERE 企业名称 <> '企业39')",
        "sum(CASE WHEN 企业名称 <> '企业39' THEN 注册资本 ELSE 0 END)",
        "count(CASE 企业名称 WHEN '企业39' THEN NULL ELSE 1 END)",
        // A mean keeps a zero, yet it stands in for the company's value.
        "avg(CASE WHEN 企业名称 <> '企业39' THEN 注册资本 ELSE 0 END)",
        // A count counts a zero.
        "count(CASE WHEN 营业收入 < 100000 THEN 0 END)",
    ] {
        let sql = format!(
            "SELECT 区县, count(*) AS n, sum(注册资本) AS all_of_it, {measure} AS but_one \
             FROM companies GROUP BY 区县 ORDER BY 区县"
        );
        let (_, facts) = released(&sql, 100).await;
        assert_eq!(facts.chosen.len(), 1, "only the filtered measure: {sql}");
        assert_eq!(
            complement(&facts),
            vec![vec![0]],
            "武侯区 holds 企业39: {sql}"
        );
    }

    // Chosen below a measure's top, where the checks could not see it.
    for sql in [
        "SELECT 区县, count(*), sum(注册资本), sum(注册资本 * CASE WHEN 企业名称 <> '企业39' THEN 1 END) \
         FROM companies GROUP BY 区县",
        "SELECT 区县, count(*), sum(注册资本), \
         sum(coalesce(CASE WHEN 企业名称 = '企业39' THEN 0 END, 注册资本)) FROM companies GROUP BY 区县",
        "SELECT 区县, count(*), sum(注册资本), \
         sum(注册资本 + CASE WHEN 企业名称 <> '企业39' THEN 0 END) FROM companies GROUP BY 区县",
        "SELECT 区县, count(*), sum(try_cast(注册资本 AS TINYINT)) AS t \
         FROM companies GROUP BY 区县",
        "SELECT 区县, count(*), sum(注册资本), \
         sum(CASE WHEN 企业名称 <> '企业39' THEN 注册资本 ELSE 0 * 注册资本 END) AS b \
         FROM companies GROUP BY 区县",
        "SELECT 区县, count(*), count(nullif(企业名称, '企业39')) FROM companies GROUP BY 区县",
        "SELECT 区县, count(*), count(v) FROM (SELECT 区县, \
         CASE WHEN 企业名称 <> '企业39' THEN 1 END AS v FROM companies) GROUP BY 区县",
        // Or by an inner aggregation's filter.
        "SELECT 区县, count(*), sum(a), sum(b) FROM (SELECT 区县, 企业名称, sum(注册资本) AS a, \
         sum(注册资本) FILTER (WHERE 企业名称 <> '企业39') AS b FROM companies GROUP BY 1, 2) \
         GROUP BY 区县",
        "SELECT 区县, count(*), sum(注册资本), sum(a) FROM (SELECT 区县, 注册资本, \
         CASE WHEN 企业名称 <> '企业39' THEN 注册资本 END AS a FROM companies) GROUP BY 区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    let made = kept(
        "CREATE TABLE t AS SELECT 区县, 注册资本, \
         CASE WHEN 企业名称 <> '企业39' THEN 注册资本 END AS a FROM companies",
    )
    .await;
    let (_, facts) = release_from(
        made,
        "SELECT 区县, sum(注册资本), sum(a) FROM t GROUP BY 区县",
    )
    .await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);

    // Kept, the filter's choice stays with the measure, and adds up.
    const BUT_ONE: &str = "CREATE TABLE but_one AS SELECT 区县, count(*) AS n, \
        sum(注册资本) FILTER (WHERE 企业名称 <> '企业39') AS s FROM companies GROUP BY 区县";
    let (_, facts) = release_from(kept(BUT_ONE).await, "SELECT * FROM but_one ORDER BY 区县").await;
    assert_eq!(complement(&facts), vec![vec![0]]);
    let (_, facts) = release_from(kept(BUT_ONE).await, "SELECT sum(n), sum(s) FROM but_one").await;
    assert_eq!(facts.chosen[0].1, vec![Some(39.0)]);
    assert_eq!(complement(&facts), vec![vec![0]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_splitting_off_few_records_fail() {
    let splits = |facts: &ResultFacts| failing_rows(facts, CheckCode::SmallSplit);
    // Each filter leaves out twenty of the forty, yet they differ by
    // 企业39 alone; or, beside the whole, two filters overlap in it only.
    for measures in [
        "sum(注册资本) FILTER (WHERE 注册资本 > 200), \
         sum(注册资本) FILTER (WHERE 注册资本 > 200 AND 企业名称 <> '企业39')",
        "count(*), count(*) FILTER (WHERE 注册资本 > 200), \
         count(*) FILTER (WHERE 注册资本 <= 200 OR 企业名称 = '企业39')",
        "sum(CASE WHEN 注册资本 > 200 THEN 注册资本 ELSE 0 END), \
         sum(注册资本) FILTER (WHERE 注册资本 > 200 AND 企业名称 <> '企业39')",
    ] {
        let (_, facts) = released(&format!("SELECT {measures} FROM companies"), 100).await;
        assert_eq!(facts.splits, vec![Some(1.0)], "{measures}");
        assert_eq!(splits(&facts), vec![vec![0]], "{measures}");
        let complements = check(&facts, &DisclosureRules::default());
        assert!(
            complements.iter().all(|f| f.code == CheckCode::SmallSplit),
            "each filter alone passes: {complements:?}"
        );
    }
    // Filters splitting the records into groups of ten or more pass, cell
    // by cell; a filter repeated is one filter.
    let (_, facts) = released(
        "SELECT count(*) FILTER (WHERE 注册资本 > 200), count(*) FILTER (WHERE 注册资本 > 100), \
         sum(注册资本) FILTER (WHERE 注册资本 > 200) FROM companies",
        100,
    )
    .await;
    assert_eq!(facts.splits, vec![Some(10.0)]);
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
    let (rows, facts) = released(
        "SELECT 区县, count(*) FILTER (WHERE 注册资本 > 200), count(*) FILTER (WHERE 注册资本 > 100) \
         FROM companies GROUP BY 区县 ORDER BY 区县",
        100,
    )
    .await;
    assert_eq!(facts.splits.len(), rows.len());
    // 锦江区 (10, 50, …, 370): three at most 100, two to 200, five above.
    let jinjiang = rows.iter().position(|r| r[0].as_deref() == Some("锦江区"));
    assert_eq!(facts.splits[jinjiang.unwrap()], Some(2.0));

    // Where the groups cannot be counted, two filters are untraceable:
    // grouping sets, and filters a kept table applied.
    // Nor where the input, run again to count them, may give other rows.
    for sql in [
        "SELECT 区县, count(*) FILTER (WHERE 注册资本 > 200), count(*) FILTER (WHERE 注册资本 > 100) \
         FROM companies GROUP BY ROLLUP (区县)",
        "SELECT count(*) FILTER (WHERE 注册资本 > 200), count(*) FILTER (WHERE 注册资本 > 100) \
         FROM (SELECT * FROM companies LIMIT 30)",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    // Over copies, records alike in every filter's rows: 企业39 alone.
    let (_, facts) = released(
        "SELECT count(*) FILTER (WHERE a.注册资本 > 200), \
         count(*) FILTER (WHERE a.注册资本 > 200 AND b.企业名称 <> '企业39') \
         FROM companies a JOIN companies b ON a.企业名称 = b.企业名称",
        100,
    )
    .await;
    assert_eq!(splits(&facts), vec![vec![0]], "{facts:?}");
    // Each of b's records copied ten times, all or none chosen: 锦江区's
    // two of capital 110 to 200 are a group.
    let (rows, facts) = released(
        "SELECT a.区县, count(*) FILTER (WHERE b.注册资本 > 200), \
         count(*) FILTER (WHERE b.注册资本 > 100) \
         FROM companies a JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县",
        100,
    )
    .await;
    let jinjiang = rows.iter().position(|r| r[0].as_deref() == Some("锦江区"));
    assert_eq!(facts.splits[jinjiang.unwrap()], Some(2.0), "{facts:?}");

    const TWO: &str = "CREATE TABLE two AS SELECT 区县, count(*) FILTER (WHERE 注册资本 > 200) AS a, \
        count(*) FILTER (WHERE 注册资本 > 100) AS b FROM companies GROUP BY 区县";
    let (_, facts) = release_from(kept(TWO).await, "SELECT * FROM two").await;
    assert_eq!(facts.splits.len(), 4, "the kept cells keep their splits");
    let (_, facts) = release_from(kept(TWO).await, "SELECT sum(a), sum(b) FROM two").await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
}

/// Forty companies: 企业7 has no phone and a flag of 0 (1 for the
/// others), 企业3 no known capital (10 × row number from 1 for the others),
/// 企业11 two sites (the others one).
fn forty() -> Arc<Table> {
    let rows = 40;
    let batch = Batch {
        rows,
        columns: vec![
            (0..rows).map(|i| Some(format!("企业{i}"))).collect(),
            (0..rows)
                .map(|i| (i != 7).then(|| format!("138{i:08}")))
                .collect(),
            (0..rows)
                .map(|i| (i != 3).then(|| (i * 10 + 10).to_string()))
                .collect(),
            (0..rows)
                .map(|i| Some(if i == 7 { "0" } else { "1" }.to_owned()))
                .collect(),
            (0..rows)
                .map(|i| Some(if i == 11 { "2" } else { "1" }.to_owned()))
                .collect(),
        ],
    };
    let columns = vec![
        column("企业名称", ColumnType::Text),
        column("电话", ColumnType::Text),
        column("资本", ColumnType::Integer),
        column("标记", ColumnType::Integer),
        column("场所数", ColumnType::Integer),
    ];
    Arc::new(Table::from_text("flagged", columns, [batch]).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_of_a_column_leaving_out_few_fails() {
    // `count(*)` less `count(电话)` counts 企业7, a cell of one.
    let facts = release_of_flagged("SELECT count(*), count(电话) FROM flagged").await;
    assert_eq!(failed(&facts), vec![CheckCode::SmallComplement]);
    let facts = release_of_flagged("SELECT count(*), count(企业名称) FROM flagged").await;
    assert!(failed(&facts).is_empty(), "none left out");
}

async fn release_of_flagged(sql: &str) -> ResultFacts {
    engine()
        .run_for_release(&[forty()], sql, &[], &CancellationToken::new(), 100)
        .await
        .unwrap()
        .facts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_of_values_leaving_out_few_fails() {
    // 企业7's flag of 0 takes its capital out of the product's sum: the
    // plain sum less it is 企业7's capital, in this release or another.
    for sql in [
        "SELECT sum(资本), sum(资本 * 标记) FROM flagged",
        "SELECT sum(资本 * 标记) FROM flagged",
        "SELECT avg(资本 * 标记 * 2) FROM flagged",
        "SELECT sum(CASE WHEN 资本 > 0 THEN 资本 * 标记 END) FROM flagged",
        "SELECT sum(coalesce(标记 * 资本, 0)) FROM flagged",
    ] {
        let facts = release_of_flagged(sql).await;
        assert!(
            failed(&facts).contains(&CheckCode::SmallComplement),
            "{sql}: {:?}",
            failed(&facts)
        );
    }
    // 企业11's two sites weight its capital apart: the product less the
    // plain sum is its capital.
    for sql in [
        "SELECT sum(资本), sum(资本 * 场所数) FROM flagged WHERE 资本 IS NOT NULL",
        "SELECT sum(资本 * 场所数) FILTER (WHERE 资本 <= 300) FROM flagged WHERE 资本 > 0",
    ] {
        let facts = release_of_flagged(sql).await;
        assert_eq!(failed(&facts), vec![CheckCode::SmallSplit], "{sql}");
    }
    // Multiplied below the measure, the factors are out of sight; kept,
    // one column cannot say what each factor left out of every row.
    let facts =
        release_of_flagged("SELECT sum(p) FROM (SELECT 资本 * 标记 AS p FROM flagged)").await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
    const KEPT: &str = "CREATE TABLE products AS SELECT sum(注册资本 * 营业收入) AS s \
        FROM companies WHERE 企业名称 <> '企业39'";
    let (_, facts) = release_from(kept(KEPT).await, "SELECT sum(s) FROM products").await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
    // No factor zero or null but together: the product adds up (企业39's
    // thousandfold revenue left out, which would dominate).
    let (_, facts) = released(
        "SELECT sum(注册资本 * 营业收入), avg(注册资本 * 营业收入 / 100.0) \
         FROM companies WHERE 企业名称 <> '企业39'",
        100,
    )
    .await;
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
    let (_, facts) = release_from(kept(KEPT).await, "SELECT * FROM products").await;
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mean_beside_a_sum_leaving_out_few_fails() {
    // The sum over the mean counts the capitals known: beside `count(*)`,
    // 企业3's unknown one.
    let facts = release_of_flagged("SELECT count(*), sum(资本), avg(资本) FROM flagged").await;
    assert_eq!(failed(&facts), vec![CheckCode::SmallComplement]);
    let facts = release_of_flagged("SELECT count(*), avg(标记) FROM flagged").await;
    assert!(
        failed(&facts).is_empty(),
        "none unknown: {:?}",
        failed(&facts)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouping_sets_are_traced_only_where_their_cells_nest_and_all_show() {
    // Subtotals of whole cells, every cell shown and checked.
    for sql in [
        "SELECT 区县, count(*) FROM companies GROUP BY ROLLUP (区县)",
        "SELECT 区县, count(*) FROM companies GROUP BY GROUPING SETS ((区县), ())",
        "SELECT 区县, count(*) FROM companies GROUP BY CUBE (区县) ORDER BY 2",
    ] {
        let (rows, facts) = released(sql, 100).await;
        assert_eq!(rows.len(), 5, "{sql}");
        assert!(failed(&facts).is_empty(), "{sql}: {:?}", failed(&facts));
    }
    // A cell hidden shows as its subtotal less the cells shown; cells of
    // sets that do not nest may differ by one record (锦江区 and a cell of
    // capital above some amount that holds all of 锦江区's but one).
    for sql in [
        "SELECT 区县, count(*) FROM companies GROUP BY ROLLUP (区县) HAVING count(*) >= 10",
        "SELECT 区县, count(*) FROM companies GROUP BY ROLLUP (区县) ORDER BY 2 LIMIT 4",
        "SELECT * FROM (SELECT 区县, count(*) AS n FROM companies GROUP BY ROLLUP (区县)) \
         WHERE 区县 IS NULL OR 区县 <> '锦江区'",
        "SELECT 区县, 注册资本 > 100, count(*) FROM companies \
         GROUP BY GROUPING SETS ((区县), (注册资本 > 100))",
        "SELECT 区县, 注册资本 > 200, count(*) FROM companies GROUP BY CUBE (区县, 注册资本 > 200)",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_shifted_or_weighted_by_known_numbers_is_untraceable() {
    // Beside count(*), sum(x + c) gives Σx with no contribution dominant;
    // weights the researcher picks put one company's value, or whether it
    // is in a filter, in the low digits.
    let refused = [
        "sum(注册资本 + 1000000000)",
        "avg(注册资本 - 1)",
        "sum(coalesce(注册资本, 1000000000))",
        "sum(CASE WHEN 企业名称 = '企业39' THEN 注册资本 ELSE 1000000000 END)",
        "sum(注册资本 * CASE WHEN 企业名称 = '企业39' THEN 1 ELSE 1000000 END)",
        "sum(CASE WHEN 企业名称 = '企业39' THEN 注册资本 ELSE 注册资本 * 1000000 END)",
        "sum(CASE WHEN 企业名称 = '企业39' AND 注册资本 > 300 THEN 1 ELSE 1000 END)",
        "sum(CASE WHEN 注册资本 > 0 AND 企业名称 = '企业39' THEN 注册资本 \
         ELSE 1000000000 * 注册资本 / 注册资本 END)",
        // Steps of a value are filters the checks do not see: zero up to
        // a capital of 210 and one above, or one up to 205 and two above.
        "sum(营业收入 * (注册资本 / 211))",
        "sum(营业收入 * ceil(注册资本 / 205.0))",
        "sum(营业收入 * CAST(注册资本 / 205.0 AS INT))",
        "avg(round(注册资本 / 10))",
        // Null where revenue is: a sum of the capital of some.
        "sum(注册资本 + 0 * 营业收入)",
        // Drawn again by every fact that reads it.
        "count(*) FILTER (WHERE random() < 0.5)",
    ];
    for measure in refused {
        let sql = format!("SELECT 区县, count(*), {measure} FROM companies GROUP BY 区县");
        let (_, facts) = released(&sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    // The same made below: in a subquery, a CTE, a joined constant, or an
    // inner aggregation (a count is known; a maximum is one company's).
    for sql in [
        "SELECT 区县, count(*), sum(y) FROM \
         (SELECT 区县, 注册资本 + 1000000000 AS y FROM companies) GROUP BY 区县",
        "WITH s AS (SELECT 区县, 注册资本 * 1 + 1000000000 AS y FROM companies) \
         SELECT 区县, count(*), sum(y) FROM s GROUP BY 区县",
        "SELECT 区县, count(*), sum(CASE WHEN 企业名称 = '企业39' THEN 注册资本 ELSE big END) \
         FROM companies CROSS JOIN (VALUES (1000000000)) v(big) GROUP BY 区县",
        "SELECT 区县, count(*), sum(CASE WHEN 企业名称 = '企业39' THEN 注册资本 ELSE t.big END) \
         FROM companies CROSS JOIN (SELECT max(1000000000) AS big) t GROUP BY 区县",
        "SELECT 区县, count(*), avg(t.m) FROM companies CROSS JOIN \
         (SELECT max(注册资本) AS m FROM companies WHERE 区县 = '武侯区') t GROUP BY 区县",
        "SELECT c.区县, count(*), sum(c.注册资本 * t.n) FROM companies c JOIN \
         (SELECT 区县, count(*) AS n FROM companies GROUP BY 区县) t ON t.区县 = c.区县 \
         GROUP BY c.区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    // Scaled, filtered, multiplied or summed first, values add up.
    for sql in [
        "SELECT 区县, sum(注册资本 * 2) AS a, avg(注册资本 / 10.0) AS b, \
         sum(CASE WHEN 营业收入 >= 注册资本 THEN 注册资本 * 2 END) AS c, \
         sum(coalesce(注册资本, 0)) AS d, sum(注册资本 * 注册资本) AS f \
         FROM companies GROUP BY 区县",
        "SELECT 区县, sum(y) FROM (SELECT 区县, -注册资本 * 2 AS y FROM companies) GROUP BY 区县",
        "SELECT 区县, sum(total), avg(total) FROM (SELECT 企业名称, 区县, sum(注册资本) AS total \
         FROM companies GROUP BY 1, 2) GROUP BY 区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert!(failed(&facts).is_empty(), "{sql}: {:?}", failed(&facts));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_tables_and_uploads_say_what_their_columns_hold() {
    // A table made of shifted values or of constants says so, kept and
    // read back; a plain column stays the companies' values.
    let weighted = "SELECT 区县, count(*), \
        sum(CASE WHEN 企业名称 = '企业39' THEN 注册资本 ELSE big END) FROM t GROUP BY 区县";
    for (made, sql) in [
        (
            "CREATE TABLE t AS SELECT 区县, 注册资本 + 1000000000 AS y FROM companies",
            "SELECT 区县, count(*), sum(y) FROM t GROUP BY 区县",
        ),
        (
            "CREATE TABLE t AS SELECT DISTINCT 企业名称, 区县, 注册资本, 1000000000 AS big \
             FROM companies",
            weighted,
        ),
    ] {
        let table = kept(made).await;
        let again = Table::from_parquet("t", table.parquet().unwrap()).unwrap();
        let (_, facts) = release_from(again, sql).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    let plain = kept("CREATE TABLE t AS SELECT 区县, 注册资本 AS y FROM companies").await;
    let (_, facts) =
        release_from(plain, "SELECT 区县, count(*), sum(y) FROM t GROUP BY 区县").await;
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));

    // The researcher's own upload holds numbers they know: no weights.
    const WEIGHTS: &str =
        "CREATE TABLE t AS SELECT 区县, 注册资本 AS y, 注册资本 AS w FROM companies";
    let weighted = "SELECT 区县, count(*), sum(y * w) FROM t GROUP BY 区县";
    let (_, facts) = release_from(kept(WEIGHTS).await, weighted).await;
    assert!(failed(&facts).is_empty(), "the companies' own values");
    let upload = kept(WEIGHTS).await.into_upload().unwrap();
    let (_, facts) = release_from(upload, weighted).await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
}

/// The checks a result fails with counts rounded to 5.
fn rounded_codes(facts: &ResultFacts) -> Vec<CheckCode> {
    let rounding = DisclosureRules {
        round_counts_to: 5,
        ..DisclosureRules::default()
    };
    check(facts, &rounding)
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_computed_on_fails_when_counts_are_rounded() {
    for sql in [
        "SELECT 区县, count(*) + 0 AS n FROM companies GROUP BY 区县",
        "SELECT 区县, sum(注册资本) AS s, sum(注册资本) / count(*) AS mean \
         FROM companies GROUP BY 区县",
        "SELECT d, n * 1 FROM (SELECT 区县 AS d, count(*) AS n FROM companies GROUP BY 区县)",
        // A filter on a count shows it exactly, row by row.
        "SELECT 区县, count(*) AS n FROM companies GROUP BY 区县 HAVING count(*) % 5 = 0",
        // Five a company is five times the count, a multiple of five.
        "SELECT 区县, sum(5) AS n FROM companies GROUP BY 区县",
        // A mean beside the sum of the same values is the count between
        // them; a mean of ones and zeros a share of two counts.
        "SELECT 区县, sum(注册资本) AS s, avg(注册资本) AS m FROM companies GROUP BY 区县",
        "SELECT 区县, avg(CASE WHEN 注册资本 > 0 THEN 1 ELSE 0 END) AS share \
         FROM companies GROUP BY 区县",
        // The same values by another name, or a filter choosing them all;
        // the variance of ones and zeros, k (n - k) / n².
        "SELECT d, sum(x) AS s, avg(y) AS m FROM \
         (SELECT 区县 AS d, 注册资本 AS x, 注册资本 AS y FROM companies) GROUP BY d",
        "SELECT 区县, sum(注册资本) AS s, \
         avg(注册资本) FILTER (WHERE 注册资本 IS NOT NULL) AS m FROM companies GROUP BY 区县",
        "SELECT 区县, var_pop(CASE WHEN 注册资本 > 500 THEN 1 ELSE 0 END) AS v \
         FROM companies GROUP BY 区县",
        // Beside the sum, a rounded mean gives the count as well, as does
        // a mean of the values the sum adds scaled or cast.
        "SELECT 区县, count(*) AS n, round(avg(注册资本)) AS m, sum(注册资本) AS s \
         FROM companies GROUP BY 区县",
        "SELECT 区县, round(avg(注册资本), 1) AS m, sum(注册资本 * 2) AS s \
         FROM companies GROUP BY 区县",
        "SELECT 区县, avg(注册资本) AS m, sum(CAST(注册资本 AS DOUBLE)) AS s \
         FROM companies GROUP BY 区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert!(facts.counts_computed_on, "{sql}");
        assert_eq!(
            rounded_codes(&facts),
            vec![CheckCode::UnroundedCount],
            "{sql}"
        );
        assert!(failed(&facts).is_empty(), "exact counts pass: {sql}");
    }
    let (_, facts) = released(
        "SELECT 区县, count(*) AS n, round(avg(注册资本), -1) AS mean FROM companies \
         GROUP BY 区县 ORDER BY n",
        100,
    )
    .await;
    assert!(
        rounded_codes(&facts).is_empty(),
        "{:?}",
        rounded_codes(&facts)
    );
    // Sums and means of other values (or under other filters) stand apart.
    let (_, facts) = released(
        "SELECT 区县, sum(注册资本) AS s, avg(营业收入) AS m, \
         avg(注册资本) FILTER (WHERE 注册资本 > 100) AS big FROM companies GROUP BY 区县",
        100,
    )
    .await;
    assert!(!facts.counts_computed_on, "{:?}", rounded_codes(&facts));
    // Computed from a kept count, when kept or on the way out.
    for (made, sql) in [
        (BY_DISTRICT, "SELECT 区县, n + 0 FROM by_district"),
        (
            BY_DISTRICT,
            "SELECT 区县, n FROM by_district WHERE n % 5 = 0",
        ),
        (
            "SELECT 区县, count(*) * 3 AS n3 FROM companies GROUP BY 区县",
            "SELECT 区县, n3 FROM by_district",
        ),
    ] {
        let table = kept(&format!("CREATE TABLE by_district AS {made}")).await;
        let (_, facts) = release_from(table, sql).await;
        assert!(facts.counts_computed_on, "{sql}");
    }
    // A filter reading a count otherwise than as a lower bound judges the
    // cells it drops: a table made through it keeps no trace at all.
    let table = kept(
        "CREATE TABLE by_district AS SELECT 区县, count(*) AS n FROM companies \
         GROUP BY 区县 HAVING count(*) % 5 = 0",
    )
    .await;
    assert!(!table.is_traced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mean_shown_finely_fails_when_counts_are_rounded() {
    // A mean of whole numbers on a step, exact, computed on or shown finer
    // than a tenth of the step, fits one count alone; coarser, every count
    // of ten or more.
    for (mean, exact) in [
        ("avg(注册资本)", true),
        ("round(avg(注册资本), 2)", true),
        ("avg(注册资本) * 1", true),
        // A district's capitals lie on steps of forty: to units they tell
        // the count, to tens not.
        ("round(avg(注册资本), 1)", true),
        ("round(avg(注册资本))", true),
        ("round(avg(注册资本), -1)", false),
        ("round(avg(CAST(注册资本 AS DOUBLE)), -1)", false),
        ("round(avg(注册资本 / 3.0), 1)", true),
        // Values scaled have no step known; spreads tell the count too.
        ("round(avg(注册资本 * 1000), 1)", true),
        ("var(注册资本)", true),
        ("stddev(注册资本)", true),
        ("round(var_pop(注册资本), -1)", true),
        ("round(var_pop(注册资本), -3)", false),
    ] {
        let sql = format!("SELECT 区县, count(*) AS n, {mean} AS m FROM companies GROUP BY 区县");
        let (_, facts) = released(&sql, 100).await;
        assert!(failed(&facts).is_empty(), "exact counts pass: {sql}");
        let expected = if exact {
            vec![CheckCode::ExactMean]
        } else {
            Vec::new()
        };
        assert_eq!(rounded_codes(&facts), expected, "{sql}");
    }
    // So kept, and rounded on the way out.
    let made = "CREATE TABLE means AS SELECT 区县, avg(注册资本) AS m FROM companies GROUP BY 区县";
    for (sql, exact) in [
        ("SELECT 区县, m FROM means", true),
        ("SELECT 区县, round(m) AS m FROM means", true),
        ("SELECT 区县, round(m, -1) AS m FROM means", false),
    ] {
        let (_, facts) = release_from(kept(made).await, sql).await;
        let expected = if exact {
            vec![CheckCode::ExactMean]
        } else {
            Vec::new()
        };
        assert_eq!(rounded_codes(&facts), expected, "{sql}");
    }
    let rounded = made.replace("avg(注册资本)", "round(avg(注册资本), -1)");
    let (_, facts) = release_from(kept(&rounded).await, "SELECT 区县, m FROM means").await;
    assert!(
        rounded_codes(&facts).is_empty(),
        "{:?}",
        rounded_codes(&facts)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_cases_are_read_once() {
    // Reading what a column holds visits each branch once: 2^40 visits
    // would never end.
    let mut value = "注册资本".to_owned();
    for _ in 0..40 {
        value = format!("CASE WHEN 区县 = '武侯区' THEN {value} END");
    }
    let made = run(
        &engine(),
        &[companies(4)],
        &format!("CREATE TABLE t AS SELECT {value} AS a FROM companies"),
    )
    .await
    .unwrap();
    assert_eq!(made.result.rows(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_scaled_count_is_not_added_up() {
    let fives =
        kept("CREATE TABLE fives AS SELECT 区县, sum(5) AS n5 FROM companies GROUP BY 区县").await;
    let (_, facts) = release_from(fives, "SELECT sum(n5) FROM fives").await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_read_twice_a_level_is_read_once() {
    // v * v at each of 45 levels: 2^45 reads unless each is read once.
    let mut sql = "CREATE TABLE t AS WITH l0 AS (SELECT 注册资本 AS v FROM companies)".to_owned();
    for level in 1..=45 {
        sql.push_str(&format!(
            ", l{level} AS (SELECT v * v AS v FROM l{})",
            level - 1
        ));
    }
    sql.push_str(" SELECT v FROM l45");
    let made = run(&engine(), &[companies(4)], &sql).await.unwrap();
    assert_eq!(made.result.rows(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_function_is_not_the_kept_table_of_its_name() {
    let series = kept(
        "CREATE TABLE generate_series AS SELECT 区县, sum(注册资本) AS value FROM companies GROUP BY 区县",
    )
    .await;
    assert!(series.is_traced());
    let release = engine()
        .run_for_release(
            &[companies(40), Arc::new(series)],
            "SELECT value, count(*) AS n FROM LATERAL generate_series(1, 2) GROUP BY value",
            &[],
            &CancellationToken::new(),
            100,
        )
        .await
        .unwrap();
    // The series' own two rows, one record each, not the kept table's.
    assert_eq!(release.facts.records, Some(vec![1, 1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_engine_marks_a_trace() {
    // The function that sets field metadata is not there to call.
    let err = run(
        &engine(),
        &[companies(4)],
        "CREATE TABLE forged AS SELECT 企业名称, \
         with_metadata(1000, 'rongshu.trace', 'records') AS __rongshu_records FROM companies",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, EngineError::Sql(_)), "{err}");

    // A record behind several rows (grouping sets) is not kept as a trace;
    // nor is a table grouped by a kept measure, which is not traceable.
    let rolled = kept(
        "CREATE TABLE rolled AS SELECT 区县, count(*) AS n FROM companies GROUP BY ROLLUP (区县)",
    )
    .await;
    assert!(!rolled.is_traced());
    let made = run(
        &engine(),
        &[companies(40), Arc::new(kept(BY_SIZE).await)],
        "CREATE TABLE by_count AS SELECT n, count(*) AS groups FROM by_size GROUP BY n",
    )
    .await
    .unwrap();
    assert!(!made.result.is_traced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_is_neither_read_by_queries_nor_kept_without_its_maker() {
    let table = Arc::new(kept(&format!("CREATE TABLE by_district AS {BY_DISTRICT}")).await);
    let tables = [companies(40), table.clone()];
    let all = run(&engine(), &tables, "SELECT * FROM by_district")
        .await
        .unwrap();
    assert_eq!(all.result.columns().len(), 3);
    let err = run(
        &engine(),
        &tables,
        "SELECT __rongshu_records FROM by_district",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, EngineError::Sql(_)), "{err}");

    // Without its trace (an upload's file), each row is one record.
    let bare = kept(&format!("CREATE TABLE by_district AS {BY_DISTRICT}"))
        .await
        .into_upload()
        .unwrap();
    assert!(!bare.is_traced());
    let (_, facts) = release_from(bare, "SELECT * FROM by_district").await;
    assert_eq!(facts.records, Some(vec![1; 4]));
    assert_eq!(failed(&facts), vec![CheckCode::SmallCell]);
}

#[test]
fn a_kept_table_is_named_as_sql_reads_it() {
    for good in ["survey", "调查_2026", "_t1"] {
        assert!(Table::check_name(good).is_ok(), "{good}");
    }
    for bad in ["", "Survey", "1st", "a-b", "a b", "a\"b", &"t".repeat(64)] {
        assert!(Table::check_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_damaged_parquet_file_is_an_error() {
    assert!(matches!(
        Table::from_parquet("t", b"PAR1 not really".to_vec()),
        Err(EngineError::Kept(_))
    ));
}

#[test]
fn a_statement_names_its_tables_not_its_ctes_nor_lookalikes() {
    let named =
        tables_named("WITH t AS (SELECT * FROM a) SELECT * FROM t JOIN Big_B ON t.x = Big_B.x");
    assert_eq!(named, vec!["a".to_owned(), "big_b".to_owned()]);
    assert_eq!(
        tables_named("SELECT * FROM registrations_lab2"),
        vec!["registrations_lab2".to_owned()]
    );
    assert!(tables_named("SELECT 1").is_empty());
    assert!(tables_named("not a statement").is_empty());
}

#[test]
fn create_table_names_follow_the_kept_tables_rule() {
    for bad in [
        "CREATE TABLE \"Big\" AS SELECT 1",
        "CREATE TABLE \"1x\" AS SELECT 1",
    ] {
        assert!(
            matches!(Statement::parse(bad, 4096), Err(EngineError::NotAllowed(_))),
            "{bad}"
        );
    }
    assert!(Statement::parse("CREATE TABLE 大户 AS SELECT 1", 4096).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_copied_by_joins_and_unions_count_once() {
    // One or two companies copied into ten rows: each is still one record.
    let unions = vec![
        format!("SELECT 区县 FROM companies WHERE 企业名称 IN ('企业0', '企业4')");
        5
    ];
    for sql in [
        "SELECT a.区县, count(*) FROM companies a JOIN companies b ON a.区县 = b.区县 \
         WHERE a.企业名称 = '企业0' GROUP BY a.区县"
            .to_owned(),
        format!(
            "SELECT 区县, count(*) FROM ({}) GROUP BY 区县",
            unions.join(" UNION ALL ")
        ),
    ] {
        let (rows, facts) = released(&sql, 100).await;
        assert_eq!(rows.len(), 1, "{sql}");
        assert!(facts.records.as_ref().unwrap()[0] <= 2, "{sql}: {facts:?}");
        // And the one or two records hold every row of the count.
        let codes = [CheckCode::SmallCell, CheckCode::Dominance];
        assert_eq!(failed(&facts), codes, "{sql}");
    }

    // A measure drawn from one company's copies draws on one record, also
    // where an outer join left the other side out.
    for sql in [
        "SELECT a.区县, count(*), count(*) FILTER (WHERE a.企业名称 = '企业1') \
         FROM companies a JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县",
        "SELECT a.区县, count(*) FILTER (WHERE b.企业名称 IS NULL OR a.区县 <> '锦江区') \
         FROM companies a LEFT JOIN companies b ON a.区县 = b.区县 AND a.企业名称 <> '企业20' \
         GROUP BY a.区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(facts.records, Some(vec![10; 4]), "{facts:?}");
        assert!(failed(&facts).contains(&CheckCode::SmallCell), "{sql}");
    }

    // What a filter leaves out is counted table by table: one of twenty
    // companies on one side, though none of ten on the other.
    let (_, facts) = released(
        "SELECT a.区县, count(*), count(*) FILTER (WHERE b.企业名称 <> '企业0') \
         FROM companies a JOIN companies b ON b.区县 IN ('锦江区', '青羊区') GROUP BY a.区县",
        100,
    )
    .await;
    assert_eq!(facts.records, Some(vec![10; 4]), "{facts:?}");
    assert_eq!(failed(&facts), vec![CheckCode::SmallComplement]);

    // Dropping one copy of one record changes what it adds, though every
    // record is still chosen: 企业5's rows by difference.
    let (rows, facts) = released(
        "SELECT a.区县, count(*), \
         count(*) FILTER (WHERE NOT (a.企业名称 = '企业5' AND b.企业名称 = '企业9')) \
         FROM companies a JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县 ORDER BY a.区县",
        100,
    )
    .await;
    let failures = check(&facts, &DisclosureRules::default());
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].code, CheckCode::SmallComplement);
    assert_eq!(rows[failures[0].rows[0]][0].as_deref(), Some("青羊区"));

    // A record's copies are one contribution to a count: 企业39 with all
    // forty companies on both sides holds nearly all its cell's rows.
    let (rows, facts) = released(
        "SELECT a.区县, count(*) FROM companies a \
         JOIN companies b ON a.企业名称 = '企业39' OR a.企业名称 = b.企业名称 \
         JOIN companies c ON a.企业名称 = '企业39' OR a.企业名称 = c.企业名称 \
         GROUP BY a.区县 ORDER BY a.区县",
        100,
    )
    .await;
    let failures = check(&facts, &DisclosureRules::default());
    assert_eq!(codes_of(&failures), vec![CheckCode::Dominance], "{facts:?}");
    assert_eq!(rows[failures[0].rows[0]][0].as_deref(), Some("武侯区"));

    // Sums and means of values over copies weight each record by its
    // copies, which join conditions choose: untraceable.
    for sql in [
        "SELECT a.区县, count(*), sum(a.营业收入) FROM companies a JOIN companies b \
         ON a.区县 = b.区县 GROUP BY a.区县",
        "SELECT a.区县, avg(a.注册资本) FROM companies a JOIN companies b \
         ON a.企业名称 = b.企业名称 GROUP BY a.区县",
        "SELECT sum(a.注册资本 * b.注册资本) FROM companies a CROSS JOIN companies b",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }
    for sql in [
        "SELECT a.区县, count(*), count(b.注册资本) FILTER (WHERE a.注册资本 > 0) \
         FROM companies a JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县",
        "SELECT 区县, count(*) FROM (SELECT 区县, 注册资本 FROM companies \
         UNION ALL SELECT 区县, 注册资本 FROM companies) GROUP BY 区县",
        "SELECT a.区县, count(b.注册资本), sum(CASE WHEN b.注册资本 > 0 THEN 1 ELSE 0 END) \
         FROM companies a JOIN companies b ON a.企业名称 = b.企业名称 GROUP BY a.区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(facts.records, Some(vec![10; 4]), "{sql}: {facts:?}");
        assert!(failed(&facts).is_empty(), "{sql}: {:?}", failed(&facts));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_by_rows_of_no_records_are_untraceable() {
    // Joined to `VALUES`, a table function or an upload, a record is
    // copied as often as the researcher likes: weighted, or put into two
    // cells that differ by one company.
    let per_company = "CREATE TABLE t AS SELECT 企业名称, 区县 FROM companies \
                       WHERE 企业名称 IN ('企业0', '企业4')";
    let per_district = "CREATE TABLE t AS SELECT DISTINCT 区县 FROM companies";
    for (upload, sql) in [
        (
            per_company,
            "SELECT 区县, count(*) FROM companies CROSS JOIN \
             (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) v(k) \
             WHERE 企业名称 = '企业0' GROUP BY 区县",
        ),
        (
            per_company,
            "SELECT c.区县, count(*) FROM companies c LEFT JOIN generate_series(1, 500000) g \
             ON c.企业名称 = '企业39' AND g.value <= c.营业收入 GROUP BY c.区县",
        ),
        (
            per_company,
            "SELECT v.k, sum(c.营业收入) FROM companies c JOIN (VALUES (1), (2)) v(k) \
             ON v.k = 1 OR c.企业名称 <> '企业5' GROUP BY v.k",
        ),
        (
            per_company,
            "SELECT c.区县, count(*) FROM companies c JOIN t ON t.企业名称 = c.企业名称 GROUP BY c.区县",
        ),
        (
            per_district,
            "SELECT c.区县, count(*) FROM companies c JOIN t ON t.区县 = c.区县 GROUP BY c.区县",
        ),
    ] {
        let upload = kept(upload).await.into_upload().unwrap();
        let (_, facts) = release_from(upload, sql).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }

    // A union with rows of no records could pad a cell.
    let (_, facts) = released(
        "SELECT 区县, count(*) FROM (SELECT 区县 FROM companies UNION ALL SELECT '武侯区') GROUP BY 区县",
        100,
    )
    .await;
    assert_eq!(failed(&facts), vec![CheckCode::Untraceable]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_made_of_rows_keeps_their_records() {
    // Five companies read from the table and from a copy of it made in
    // the workspace are five records, not ten.
    let five = "企业名称 IN ('企业0', '企业4', '企业8', '企业12', '企业16')";
    let copy = kept("CREATE TABLE t AS SELECT * FROM companies").await;
    assert!(!copy.is_traced(), "rows, not an aggregation's");
    let (_, facts) = release_from(
        copy,
        &format!(
            "SELECT 区县, count(*) FROM (SELECT 区县 FROM companies WHERE {five} \
             UNION ALL SELECT 区县 FROM t WHERE {five}) GROUP BY 区县"
        ),
    )
    .await;
    assert_eq!(facts.records, Some(vec![5]), "{facts:?}");
    assert_eq!(failed(&facts), vec![CheckCode::SmallCell]);

    // Copies made in a table stay copies when it is read alone: counted
    // once where their ids were kept, untraceable where they could not be.
    let copies = kept(
        "CREATE TABLE t AS SELECT a.区县, a.注册资本 FROM companies a JOIN companies b \
         ON a.区县 = b.区县 WHERE a.企业名称 = '企业0'",
    )
    .await;
    let (rows, facts) = release_from(copies, "SELECT 区县, count(*) FROM t GROUP BY 区县").await;
    assert_eq!(rows, vec![vec![Some("锦江区".into()), Some("10".into())]]);
    assert_eq!(facts.records, Some(vec![1]), "{facts:?}");
    assert!(failed(&facts).contains(&CheckCode::SmallCell));
    for made in [
        "CREATE TABLE t AS SELECT 区县, 注册资本 FROM companies, generate_series(1, 10)",
        "CREATE TABLE t AS SELECT c.区县, c.注册资本 FROM companies c \
         CROSS JOIN (SELECT DISTINCT value FROM generate_series(1, 10)) g",
    ] {
        let (_, facts) = release_from(
            kept(made).await,
            "SELECT 区县, count(*) FROM t GROUP BY 区县",
        )
        .await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{made}");
    }

    // A table made of all the companies' rows is still every company, and
    // one of constants made of one company's row is that one company.
    let (_, facts) = release_from(
        kept("CREATE TABLE t AS SELECT 区县, 注册资本 FROM companies WHERE 注册资本 > 0").await,
        "SELECT 区县, count(*) FROM t GROUP BY 区县",
    )
    .await;
    assert_eq!(facts.records, Some(vec![10; 4]), "{facts:?}");
    assert!(failed(&facts).is_empty(), "{:?}", failed(&facts));
    let (_, facts) = release_from(
        kept("CREATE TABLE t AS SELECT 1 AS one FROM companies WHERE 企业名称 = '企业39'").await,
        "SELECT t.one, count(*) FROM t JOIN companies c ON c.区县 = '武侯区' GROUP BY t.one",
    )
    .await;
    assert_eq!(facts.records, Some(vec![1]), "{facts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engines_own_names_are_reserved() {
    for sql in [
        "SELECT 区县, 1 AS __rongshu_record_1 FROM companies",
        "SELECT a.区县, count(*) FROM (SELECT 区县, 企业名称 AS __rongshu_x FROM companies) a \
         JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县",
    ] {
        let err = run(&engine(), &[companies(40)], sql).await.unwrap_err();
        assert!(err.to_string().contains("reserved"), "{sql}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_sharing_records_must_differ_by_many() {
    // Every company behind both cells but 企业5, or with fewer rows in one:
    // the cells' difference is 企业5's.
    for sql in [
        "SELECT b.区县, count(*) FROM companies a JOIN companies b \
         ON b.区县 = '锦江区' OR (b.区县 = '青羊区' AND a.企业名称 <> '企业5') GROUP BY b.区县",
        "SELECT b.区县, count(*) FROM companies a JOIN companies b \
         ON b.区县 = '锦江区' OR (b.区县 = '青羊区' AND (a.企业名称 <> '企业5' OR b.企业名称 <> '企业1')) \
         GROUP BY b.区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(facts.records, Some(vec![10, 10]), "{sql}: {facts:?}");
        assert_eq!(facts.differences.len(), 2, "{facts:?}");
        let failures = check(&facts, &DisclosureRules::default());
        assert_eq!(
            codes_of(&failures),
            vec![CheckCode::SmallDifference],
            "{sql}"
        );
        assert_eq!(failures[0].rows, vec![0, 1], "{sql}");
    }

    // Cells sharing twenty companies and differing by twenty pass; cells
    // of a join that share none have nothing to differ by.
    for sql in [
        "SELECT b.区县, count(*) FROM companies a JOIN companies b ON a.区县 <> b.区县 GROUP BY b.区县",
        "SELECT a.区县, count(*) FROM companies a JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert!(failed(&facts).is_empty(), "{sql}: {:?}", failed(&facts));
    }
    let (_, facts) = released(
        "SELECT a.区县, count(*) FROM companies a JOIN companies b ON a.区县 = b.区县 GROUP BY a.区县",
        100,
    )
    .await;
    assert_eq!(facts.differences, vec![Some(0.0); 4], "none shared");
}

fn codes_of(failures: &[rongshu_domain::output::CheckFailure]) -> Vec<CheckCode> {
    failures.iter().map(|f| f.code).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_made_otherwise_are_untraceable() {
    // A recursive query or inner grouping sets copy one company's row.
    for sql in [
        "WITH RECURSIVE r(n, v) AS (SELECT 1, 注册资本 FROM companies WHERE 企业名称 = '企业5' \
         UNION ALL SELECT n + 1, v FROM r WHERE n < 10) SELECT v, count(*) FROM r GROUP BY v",
        "SELECT v, count(*) FROM (SELECT 注册资本 AS v FROM companies WHERE 企业名称 = '企业5' \
         GROUP BY GROUPING SETS ((注册资本), (注册资本, 区县), (注册资本, 企业名称))) GROUP BY v",
    ] {
        let (_, facts) = released(sql, 100).await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{sql}");
    }

    // A made table that kept no ids is not its sources' records: beside
    // them, its rows would count one company twice.
    for made in [
        "CREATE TABLE t AS SELECT 区县, sum(注册资本) AS v FROM companies GROUP BY 区县",
        "CREATE TABLE t AS SELECT DISTINCT 区县, 注册资本 AS v FROM companies",
    ] {
        let (_, facts) = release_from(
            kept(made).await,
            "SELECT 区县, count(*) FROM (SELECT 区县 FROM companies UNION ALL SELECT 区县 FROM t) \
             GROUP BY 区县",
        )
        .await;
        assert_eq!(failed(&facts), vec![CheckCode::Untraceable], "{made}");
    }
}
