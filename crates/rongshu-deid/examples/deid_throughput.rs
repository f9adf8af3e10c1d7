//! De-identification throughput against DuckDB, in one run (issue 5,
//! section 7).
//!
//! Generates a CSV of market-supervision registrations, then runs the same
//! de-identification over it twice, CSV in, CSV out, on this machine's
//! cores: masking of names and mobiles, keyed pseudonyms of ID numbers,
//! dates generalised to the year and addresses to their district.
//! - DuckDB 2 (`pip install duckdb`, `SET threads = 2`) in SQL — the
//!   baseline. DuckDB has no HMAC-SM3: its pseudonym is SHA-256 of a key
//!   prepended to the value, a cheaper and weaker stand-in;
//! - Rongshu's pipeline (`rongshu-deid`), reading and writing with the
//!   `csv` crate, batches fanned out to one worker per core.
//!
//! `cargo run --release -p rongshu-deid --example deid_throughput -- [MB] [DIR] [PIPELINE.json]`
//! (another pipeline for Rongshu's side only, to see what each step costs).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use rongshu_deid::{Batch, Pipeline, ProductKeys, Runner};
use rongshu_synth::Dataset;

/// The server's allocator. Batches are made on one thread and freed on
/// another: glibc's allocator spends a third of the run on that.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const PIPELINE: &str = r#"{"steps":[
    {"op":"mask","field":"法定代表人","preset":"name"},
    {"op":"mask","field":"联系电话","preset":"mobile"},
    {"op":"pseudonym","field":"法定代表人身份证号"},
    {"op":"date-to","field":"成立日期","precision":"year"},
    {"op":"region","field":"住所","level":"district"}]}"#;

const BATCH_ROWS: usize = 16_384;

fn generate(path: &Path, megabytes: u64) {
    if path.metadata().is_ok_and(|m| m.len() >= megabytes << 20) {
        return;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    Dataset::BusinessRegistrations
        .write_sized(42, megabytes << 20, &mut file)
        .unwrap();
    file.flush().unwrap();
}

fn read_batch(reader: &mut csv::Reader<std::fs::File>, width: usize) -> Option<Batch> {
    let mut batch = Batch {
        rows: 0,
        columns: vec![Vec::with_capacity(BATCH_ROWS); width],
    };
    let mut record = csv::StringRecord::new();
    while batch.rows < BATCH_ROWS && reader.read_record(&mut record).unwrap() {
        for (column, value) in batch.columns.iter_mut().zip(record.iter()) {
            column.push((!value.is_empty()).then(|| value.to_owned()));
        }
        batch.rows += 1;
    }
    (batch.rows > 0).then_some(batch)
}

/// Reads, de-identifies on `workers` threads and writes, in order.
fn rongshu(input: &Path, output: &Path, workers: usize, pipeline: &str) -> (f64, u64) {
    let started = Instant::now();
    let mut reader = csv::Reader::from_path(input).unwrap();
    let fields: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let compiled = Pipeline::from_json(pipeline)
        .unwrap()
        .compile(&fields)
        .unwrap();
    let keys = ProductKeys::from_bytes(&[7; 64]).unwrap();
    let today = "2026-11-28".parse().unwrap();
    let mut writer = csv::Writer::from_path(output).unwrap();
    writer.write_record(&fields).unwrap();
    let (jobs, queue) = mpsc::sync_channel::<(usize, Batch)>(workers * 2);
    let queue = Arc::new(Mutex::new(queue));
    let (done, results) = mpsc::sync_channel::<(usize, Batch)>(workers * 2);
    let mut rows = 0u64;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (queue, done, compiled, keys) = (queue.clone(), done.clone(), &compiled, &keys);
            scope.spawn(move || {
                let mut runner = Runner::new(compiled, keys, today);
                loop {
                    let job = queue.lock().unwrap().recv();
                    let Ok((n, batch)) = job else { return };
                    done.send((n, runner.apply(batch))).unwrap();
                }
            });
        }
        drop(done);
        let width = fields.len();
        scope.spawn(move || {
            let mut n = 0;
            while let Some(batch) = read_batch(&mut reader, width) {
                jobs.send((n, batch)).unwrap();
                n += 1;
            }
        });
        let (mut next, mut waiting) = (0, BTreeMap::new());
        for (n, batch) in results {
            waiting.insert(n, batch);
            while let Some(batch) = waiting.remove(&next) {
                for r in 0..batch.rows {
                    writer
                        .write_record(batch.columns.iter().map(|c| c[r].as_deref().unwrap_or("")))
                        .unwrap();
                }
                rows += batch.rows as u64;
                next += 1;
            }
        }
    });
    writer.flush().unwrap();
    (started.elapsed().as_secs_f64(), rows)
}

fn duckdb(input: &Path, output: &Path) -> f64 {
    let sql = format!(
        "COPY (SELECT 企业名称, 统一社会信用代码, 企业类型, \
           CASE WHEN length(法定代表人) > 1 THEN left(法定代表人, 1) || repeat('*', length(法定代表人) - 1) ELSE '*' END AS 法定代表人, \
           left(sha256('product-key' || 法定代表人身份证号), 20) AS 法定代表人身份证号, \
           left(联系电话, 3) || repeat('*', length(联系电话) - 7) || right(联系电话, 4) AS 联系电话, \
           \"注册资本（万元）\", left(成立日期, 4) AS 成立日期, \
           regexp_extract(住所, '^(.*?[区县旗])', 1) AS 住所, 登记机关 \
         FROM read_csv('{}', all_varchar = true)) TO '{}' (HEADER, DELIMITER ',')",
        input.display(),
        output.display()
    );
    let script = format!(
        "import duckdb, time\n\
         con = duckdb.connect()\n\
         con.execute('SET threads = 2')\n\
         con.execute('SET enable_progress_bar = false')\n\
         t = time.time()\n\
         con.execute({sql:?})\n\
         print(time.time() - t)\n"
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
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let megabytes: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let dir = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "/var/tmp/rongshu-bench".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("registrations-{megabytes}mb.csv"));
    generate(&input, megabytes);
    let size = input.metadata().unwrap().len() as f64 / 1e6;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pipeline = args
        .get(2)
        .map_or(PIPELINE.to_owned(), |f| std::fs::read_to_string(f).unwrap());
    let duck = duckdb(&input, &dir.join("duckdb-deid.csv"));
    let (ours, rows) = rongshu(&input, &dir.join("rongshu-deid.csv"), workers, &pipeline);
    println!("input: {size:.0} MB, {rows} rows; {workers} cores");
    println!("| run | seconds | MB/s of CSV | vs DuckDB |");
    println!("|---|---:|---:|---:|");
    println!(
        "| DuckDB 2, SQL (baseline) | {duck:.1} | {:.0} | 1.00 |",
        size / duck
    );
    println!(
        "| Rongshu pipeline, {workers} workers | {ours:.1} | {:.0} | {:.2} |",
        size / ours,
        duck / ours
    );
}
