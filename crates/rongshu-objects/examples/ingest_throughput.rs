//! Ingest throughput against DuckDB, in one run (issue 3, section 9).
//!
//! Generates a CSV of market-supervision registrations (credit codes,
//! ID numbers, mobiles, names, addresses), then times, each in a fresh
//! process so peak memory is its own:
//! - DuckDB 2 (`pip install duckdb`) converting it to Snappy Parquet;
//! - Rongshu's ingest path (decode, type inference, per-row checks,
//!   identifier scanning, Parquet, SM3, sealing into object storage) with
//!   AES-256-GCM and with SM4-GCM;
//! - sealing alone, to show each cipher's own ceiling on this machine.
//!
//! `cargo run --release -p rongshu-objects --example ingest_throughput -- [MB] [DIR]`

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rongshu_crypto::seal::{DataKey, Sealer, Suite};
use rongshu_ingest::{Format, IngestOptions, ingest};
use rongshu_objects::DataFiles;
use rongshu_synth::Dataset;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

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

/// One measured run in this (child) process; prints `seconds peak_mb`.
fn measure(what: &str, input: &Path, dir: &Path) {
    let started = Instant::now();
    match what {
        "aes-256-gcm" | "sm4-gcm" => {
            let suite: Suite = what.parse().unwrap();
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let files = DataFiles::local(&dir.join("objects")).unwrap();
            runtime.block_on(async {
                let input = input.to_owned();
                tokio::task::spawn_blocking(move || {
                    let key = DataKey::generate(suite);
                    let writer = files
                        .create(&format!("bench/{}.sealed", suite.as_str()), &key)
                        .unwrap();
                    let options = IngestOptions::new(Format::Csv);
                    let file = std::io::BufReader::with_capacity(
                        1 << 20,
                        std::fs::File::open(input).unwrap(),
                    );
                    let (report, writer) = ingest(file, &options, writer, &mut |_| {}).unwrap();
                    let object = writer.finish().unwrap();
                    eprintln!(
                        "{} rows, {} bad, parquet {} bytes",
                        report.rows, report.bad_rows, object.plaintext_len
                    );
                })
                .await
                .unwrap();
            });
        }
        seal if seal.starts_with("seal-") => {
            let suite: Suite = seal["seal-".len()..].parse().unwrap();
            let data = vec![0x5au8; 512 << 20];
            let started = Instant::now();
            let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut s = Sealer::new(&DataKey::generate(suite), 64 * 1024, std::io::sink())
                .unwrap()
                .with_workers(workers);
            s.write_all(&data).unwrap();
            s.finish().unwrap();
            println!(
                "{} {}",
                started.elapsed().as_secs_f64(),
                data.len() as f64 / 1e6
            );
            return;
        }
        other => panic!("unknown measurement {other}"),
    }
    println!("{} {}", started.elapsed().as_secs_f64(), peak_rss_mb());
}

fn child(what: &str, input: &Path, dir: &Path) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--measure", what])
        .arg(input)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{what}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

fn duckdb(input: &Path, dir: &Path) -> (f64, f64) {
    let script = format!(
        "import duckdb, time, resource\n\
         con = duckdb.connect()\n\
         con.execute('SET threads = 2')\n\
         con.execute('SET enable_progress_bar = false')\n\
         t = time.time()\n\
         con.execute(\"COPY (SELECT * FROM read_csv('{}')) TO '{}' (FORMAT parquet, COMPRESSION snappy)\")\n\
         print(time.time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n",
        input.display(),
        dir.join("duckdb.parquet").display()
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
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        measure(&args[1], Path::new(&args[2]), Path::new(&args[3]));
        return;
    }
    let megabytes: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let dir = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "/tmp/rongshu-bench".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("registrations-{megabytes}mb.csv"));
    generate(&input, megabytes);
    let size_mb = input.metadata().unwrap().len() as f64 / 1e6;
    println!(
        "input: {size_mb:.0} MB of CSV, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let (duck_s, duck_mb) = duckdb(&input, &dir);
    let duck = size_mb / duck_s;
    println!();
    println!("| run | seconds | MB/s | vs DuckDB | peak memory |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| DuckDB 2, CSV → Parquet (baseline) | {duck_s:.1} | {duck:.0} | 1.00 | {duck_mb:.0} MB |"
    );
    let mut rates: Vec<f64> = Vec::new();
    for suite in ["aes-256-gcm", "sm4-gcm"] {
        let (s, mb) = child(suite, &input, &dir);
        let rate = size_mb / s;
        rates.push(rate);
        println!(
            "| Rongshu ingest, {suite} | {s:.1} | {rate:.0} | {:.2} | {mb:.0} MB |",
            rate / duck
        );
    }
    println!();
    println!("| cipher alone, all cores | MB/s |");
    println!("|---|---:|");
    for (suite, rate) in ["aes-256-gcm", "sm4-gcm"].iter().zip(&rates) {
        let (s, mb) = child(&format!("seal-{suite}"), &input, &dir);
        let ceiling = mb / s;
        println!(
            "| {suite} | {ceiling:.0} (ingest reaches {:.0}% of it, counting CSV bytes) |",
            100.0 * rate / ceiling
        );
    }
}
