//! Prints detection precision and recall per kind, as the Markdown tables
//! in BENCHMARKS.md:
//! `cargo run --release -p rongshu-classify --example detection_quality`
//! for the generated corpus, and with `-- corpus.tsv` for a corpus made by
//! an independent generator (`scripts/faker_corpus.py`).

#[path = "../tests/corpus/mod.rs"]
mod corpus;

fn table(title: &str, rows: &[(rongshu_classify::IdentifierKind, corpus::Tally)]) {
    println!("{title}\n");
    println!("| kind | precision | recall | TP | FP | FN |");
    println!("|---|---|---|---|---|---|");
    for (kind, t) in rows.iter().filter(|(_, t)| t.tp + t.fp + t.fn_ > 0) {
        if t.tp + t.fn_ == 0 {
            // No values of this kind in the corpus: only the false alarms mean anything.
            println!("| {kind} | – | – | 0 | {} | 0 |", t.fp);
        } else {
            println!(
                "| {kind} | {:.4} | {:.4} | {} | {} | {} |",
                t.precision(),
                t.recall(),
                t.tp,
                t.fp,
                t.fn_
            );
        }
    }
    println!();
}

fn main() {
    let seed = 2026;
    let (values, columns, source) = match std::env::args().nth(1) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).expect("readable corpus file");
            let (v, c) = corpus::from_tsv(&text, 200, seed);
            (v, c, format!("corpus file {path}"))
        }
        None => {
            let (v, c) = corpus::generated(seed, 20_000, 200, 200);
            (v, c, format!("generated corpus, seed {seed}"))
        }
    };
    let q = corpus::score(&values, &columns);
    let decoys = values.iter().filter(|(k, _)| k.is_none()).count();
    println!(
        "{source}: {} values ({decoys} decoys), {} columns of 200 values.\n",
        q.value_count, q.column_count
    );
    table(
        "Value by value (strong matches of the kinds recognisable alone):",
        &q.values,
    );
    table("Column by column (values and column names):", &q.columns);
}
