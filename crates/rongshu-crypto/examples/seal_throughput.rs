//! Sealing throughput, as reported in BENCHMARKS.md:
//! `cargo run --release -p rongshu-crypto --example seal_throughput`.
//! Each suite is timed with one worker and with every core, on the same
//! buffer in the same run; a plain copy through the same writer path is
//! the no-encryption baseline. Best of three runs each.

use std::io::Write;
use std::time::Instant;

use rongshu_crypto::seal::{DataKey, Sealer, Suite};

const MIB: usize = 1024 * 1024;
const CHUNK: u32 = 64 * 1024;

fn best_of_three(mut run: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let size = 256 * MIB;
    let plain: Vec<u8> = (0..size)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mb = size as f64 / 1e6;

    let copy = best_of_three(|| {
        let mut out = Vec::with_capacity(size + size / 64);
        for piece in plain.chunks(CHUNK as usize) {
            out.write_all(piece).unwrap();
        }
        std::hint::black_box(out);
    });
    println!(
        "{} MiB in {} KiB chunks, {cores} cores\n",
        size / MIB,
        CHUNK / 1024
    );
    println!("| pipeline | workers | MB/s | vs copy | vs 1 worker |");
    println!("|---|---|---|---|---|");
    println!(
        "| plain copy (baseline) | 1 | {:.0} | 1.00 | – |",
        mb / copy
    );
    for suite in [Suite::Aes256Gcm, Suite::Sm4Gcm] {
        let key = DataKey::generate(suite);
        let mut single = 0.0;
        for workers in [1, cores] {
            let secs = best_of_three(|| {
                let mut s = Sealer::new(&key, CHUNK, Vec::with_capacity(size + size / 64))
                    .unwrap()
                    .with_workers(workers);
                for piece in plain.chunks(CHUNK as usize) {
                    s.write_all(piece).unwrap();
                }
                std::hint::black_box(s.finish().unwrap());
            });
            if workers == 1 {
                single = secs;
            }
            println!(
                "| {} | {workers} | {:.0} | {:.3} | {:.2} |",
                suite.as_str(),
                mb / secs,
                copy / secs,
                single / secs
            );
        }
    }
}
