//! The sandbox's query set against DuckDB, in one run (issue 6, section 6).
//!
//! Generates companies (N rows) and inspections (N/5 rows), writes them as
//! plain Parquet for DuckDB and as SM4-GCM sealed Parquet for the sandbox,
//! then runs a filtered aggregation, a two-key group-by, a join of the two
//! tables and a top-k:
//! - DuckDB 2 (`pip install duckdb`, `SET threads = 2`) over the tables
//!   loaded into its memory — the baseline;
//! - the sandbox engine (`rongshu-engine`, DataFusion, 2 partitions) over
//!   the workspace's tables in memory (warm), and once from the sealed
//!   files: decrypt, read as the products read versions (text batches),
//!   type, then the first query (cold).
//!
//! Warm times are the median of three runs. Every query's result must equal
//! DuckDB's (numbers within 1e-9 relative), or the run fails.
//!
//! `cargo run --release -p rongshu-engine --example sandbox_queries -- [ROWS] [DIR]`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use rongshu_crypto::seal::{DataKey, Suite, open_all, seal};
use rongshu_engine::{ColumnType, Earlier, Engine, Limits, OutputColumn, Table};
use rongshu_formats::VersionReader;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const DISTRICTS: [&str; 20] = [
    "锦江区",
    "青羊区",
    "金牛区",
    "武侯区",
    "成华区",
    "龙泉驿区",
    "青白江区",
    "新都区",
    "温江区",
    "双流区",
    "郫都区",
    "新津区",
    "简阳市",
    "都江堰市",
    "彭州市",
    "邛崃市",
    "崇州市",
    "金堂县",
    "大邑县",
    "蒲江县",
];
const INDUSTRIES: usize = 40;

const QUERIES: [(&str, &str); 4] = [
    (
        "filtered aggregation",
        "SELECT count(*) AS n, sum(capital) AS capital, avg(capital) AS mean \
         FROM companies WHERE founded >= 2010 AND district = '锦江区'",
    ),
    (
        "group-by (district, industry)",
        "SELECT district, industry, count(*) AS n, avg(capital) AS mean \
         FROM companies GROUP BY district, industry ORDER BY district, industry",
    ),
    (
        "join of two tables",
        "SELECT c.district, count(*) AS n, sum(CASE WHEN i.result = '不合格' THEN 1 ELSE 0 END) AS failed \
         FROM inspections i JOIN companies c ON i.company_id = c.id \
         GROUP BY c.district ORDER BY c.district",
    ),
    (
        "top-k",
        "SELECT id, district, capital FROM companies ORDER BY capital DESC, id LIMIT 10",
    ),
];

/// A small, fast, deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn int(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

/// Batches of 64k rows made by `row`.
fn generate(
    schema: &Arc<Schema>,
    rows: u64,
    mut row: impl FnMut(u64, &mut Vec<Vec<String>>, &mut Vec<Vec<i64>>),
) -> Vec<RecordBatch> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < rows {
        let end = (start + 65_536).min(rows);
        let (mut texts, mut ints) = (Vec::new(), Vec::new());
        for i in start..end {
            row(i, &mut texts, &mut ints);
        }
        let mut t = texts.into_iter();
        let mut n = ints.into_iter();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| -> ArrayRef {
                match f.data_type() {
                    DataType::Utf8 => Arc::new(StringArray::from(t.next().unwrap())),
                    _ => Arc::new(Int64Array::from(n.next().unwrap())),
                }
            })
            .collect();
        batches.push(RecordBatch::try_new(schema.clone(), columns).unwrap());
        start = end;
    }
    batches
}

/// Column-major pushes: `cols[k]` grows by one value per row.
fn push<T>(cols: &mut Vec<Vec<T>>, k: usize, value: T) {
    if cols.len() <= k {
        cols.resize_with(k + 1, Vec::new);
    }
    cols[k].push(value);
}

fn companies(rows: u64) -> (Arc<Schema>, Vec<RecordBatch>) {
    let schema = Arc::new(Schema::new(vec![
        int("id"),
        text("district"),
        text("industry"),
        int("capital"),
        int("founded"),
    ]));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let batches = generate(&schema, rows, |i, texts, ints| {
        push(ints, 0, i as i64);
        push(texts, 0, DISTRICTS[rng.below(20) as usize].to_owned());
        push(texts, 1, format!("行业{:02}", rng.below(INDUSTRIES as u64)));
        push(ints, 1, 10 * (1 + rng.below(50_000)) as i64);
        push(ints, 2, 1990 + rng.below(36) as i64);
    });
    (schema, batches)
}

fn inspections(rows: u64, companies: u64) -> (Arc<Schema>, Vec<RecordBatch>) {
    let schema = Arc::new(Schema::new(vec![
        int("company_id"),
        text("result"),
        int("year"),
    ]));
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let batches = generate(&schema, rows, |_, texts, ints| {
        push(ints, 0, rng.below(companies) as i64);
        push(
            texts,
            0,
            if rng.below(5) == 0 {
                "不合格"
            } else {
                "合格"
            }
            .to_owned(),
        );
        push(ints, 1, 2024 + rng.below(3) as i64);
    });
    (schema, batches)
}

fn parquet(schema: &Arc<Schema>, batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), None).unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.close().unwrap();
    out
}

/// What the products do with a version: decrypt it, read it as text
/// batches, then the workspace types them into a table.
fn open_table(name: &str, key: &DataKey, sealed: &[u8], schema: &Schema) -> Table {
    let plain = Bytes::from(open_all(key, sealed).unwrap());
    let fields: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let reader = VersionReader::open(plain, &fields, 65_536).unwrap();
    let columns: Vec<OutputColumn> = fields
        .iter()
        .zip(reader.types().to_vec())
        .map(|(name, column_type)| OutputColumn {
            name: name.clone(),
            column_type,
        })
        .collect();
    let batches = reader.map(Result::unwrap);
    Table::from_text(name, columns, batches).unwrap()
}

fn rows_of(table: &Table) -> Vec<Vec<Value>> {
    let types: Vec<ColumnType> = table.columns().iter().map(|c| c.column_type).collect();
    let mut rows = Vec::new();
    for batch in table.text() {
        let batch = batch.unwrap();
        for r in 0..batch.rows {
            rows.push(
                batch
                    .columns
                    .iter()
                    .zip(&types)
                    .map(|(c, t)| match (c[r].as_deref(), t) {
                        (None, _) => Value::Null,
                        (Some(v), ColumnType::Integer | ColumnType::Decimal) => {
                            v.parse::<f64>().map_or(Value::from(v), Value::from)
                        }
                        (Some(v), _) => Value::from(v),
                    })
                    .collect(),
            );
        }
    }
    rows
}

fn same(a: &[Vec<Value>], b: &[Vec<Value>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(u, v)| match (u.as_f64(), v.as_f64()) {
                        (Some(u), Some(v)) => (u - v).abs() <= 1e-9 * u.abs().max(v.abs()).max(1.0),
                        _ => u == v,
                    })
        })
}

/// DuckDB's warm medians and results, from the plain Parquet files.
fn duckdb(dir: &Path) -> Vec<(f64, Vec<Vec<Value>>)> {
    let queries: Vec<&str> = QUERIES.iter().map(|(_, q)| *q).collect();
    let script = format!(
        "import duckdb, json, time, statistics\n\
         con = duckdb.connect()\n\
         con.execute('SET threads = 2')\n\
         con.execute('SET enable_progress_bar = false')\n\
         con.execute(\"CREATE TABLE companies AS SELECT * FROM read_parquet('{c}')\")\n\
         con.execute(\"CREATE TABLE inspections AS SELECT * FROM read_parquet('{i}')\")\n\
         out = []\n\
         for q in json.loads({q:?}):\n\
         \x20   times = []\n\
         \x20   for _ in range(3):\n\
         \x20       t = time.time(); rows = con.execute(q).fetchall(); times.append(time.time() - t)\n\
         \x20   out.append([statistics.median(times), [[float(v) if isinstance(v, (int, float)) or type(v).__name__ == 'Decimal' else v for v in r] for r in rows]])\n\
         print(json.dumps(out, ensure_ascii=False))\n",
        c = dir.join("companies.parquet").display(),
        i = dir.join("inspections.parquet").display(),
        q = serde_json::to_string(&queries).unwrap(),
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .expect("python3 with duckdb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<(f64, Vec<Vec<Value>>)> = serde_json::from_slice(&out.stdout).unwrap();
    parsed
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let dir = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "/var/tmp/rongshu-bench".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();

    let (c_schema, c_batches) = companies(rows);
    let (i_schema, i_batches) = inspections(rows / 5, rows);
    let key = DataKey::generate(Suite::Sm4Gcm);
    let mut sealed = Vec::new();
    for (name, schema, batches) in [
        ("companies", &c_schema, &c_batches),
        ("inspections", &i_schema, &i_batches),
    ] {
        let plain = parquet(schema, batches);
        std::fs::write(dir.join(format!("{name}.parquet")), &plain).unwrap();
        sealed.push(seal(&key, 1 << 20, &plain));
    }
    drop((c_batches, i_batches));
    println!("generated {rows} companies and {} inspections", rows / 5);

    let duck = duckdb(&dir);

    // The limits a workspace runs under, but for time and returned rows.
    let engine = Engine::new(Limits {
        time: Duration::from_secs(3600),
        max_rows: 1_000_000,
        partitions: 2,
        ..Limits::default()
    });
    let cancel = CancellationToken::new();
    let cold = Instant::now();
    let tables = vec![
        Arc::new(open_table("companies", &key, &sealed[0], &c_schema)),
        Arc::new(open_table("inspections", &key, &sealed[1], &i_schema)),
    ];
    let loaded = cold.elapsed().as_secs_f64();
    let first = engine.run(&tables, QUERIES[0].1, &cancel).await.unwrap();
    let cold_total = cold.elapsed().as_secs_f64();
    drop(first);

    println!("| query | DuckDB warm s | sandbox warm s | sandbox / DuckDB | results equal |");
    println!("|---|---:|---:|---:|---|");
    let mut all_equal = true;
    for ((name, sql), (duck_s, duck_rows)) in QUERIES.iter().zip(&duck) {
        let mut times = Vec::new();
        let mut result = None;
        for _ in 0..3 {
            let started = Instant::now();
            let outcome = engine.run(&tables, sql, &cancel).await.unwrap();
            times.push(started.elapsed());
            result = Some(outcome.result);
        }
        let ours = median(times);
        let equal = same(&rows_of(&result.unwrap()), duck_rows);
        all_equal &= equal;
        println!(
            "| {name} | {duck_s:.3} | {ours:.3} | {:.2} | {} |",
            ours / duck_s,
            if equal { "yes" } else { "NO" }
        );
    }
    println!(
        "cold: decrypt + read + type both tables {loaded:.1} s, then the first query: {cold_total:.1} s in all"
    );
    assert!(all_equal, "a result differs from DuckDB's");

    // Asked for release, a query runs traced to its records: the counts
    // and largest contributions behind every cell come with it, under the
    // same limits as the plain query. Compared with an earlier export of
    // the workspace (here the same query), it also counts the table's
    // records by their cell in each.
    println!(
        "| query | sandbox warm s | traced for release s | traced / plain | with one earlier export s | compared |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for (name, sql) in QUERIES {
        let earlier = [Earlier {
            label: "earlier".into(),
            sql: sql.to_owned(),
            tables: Vec::new(),
        }];
        let mut plain = Vec::new();
        let mut traced = Vec::new();
        let mut with_earlier = Vec::new();
        let mut compared = false;
        for _ in 0..3 {
            let started = Instant::now();
            engine.run(&tables, sql, &cancel).await.unwrap();
            plain.push(started.elapsed());
            let started = Instant::now();
            let release = engine
                .run_for_release(&tables, sql, &[], &cancel, 1_000_000)
                .await
                .unwrap();
            traced.push(started.elapsed());
            // Timing a release the checks refuse would time nothing.
            assert!(release.facts.records.is_some(), "{name} is untraceable");
            let started = Instant::now();
            let release = engine
                .run_for_release(&tables, sql, &earlier, &cancel, 1_000_000)
                .await
                .unwrap();
            with_earlier.push(started.elapsed());
            compared = !release.facts.earlier.is_empty();
        }
        let (plain, traced, with_earlier) = (median(plain), median(traced), median(with_earlier));
        println!(
            "| {name} | {plain:.3} | {traced:.3} | {:.2} | {with_earlier:.3} | {} |",
            traced / plain,
            if compared {
                "yes"
            } else {
                "no (not of one table)"
            }
        );
    }
}
