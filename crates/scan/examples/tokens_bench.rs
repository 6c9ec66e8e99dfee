//! Time of the token prefilter alone over the files of a tree that pass the byte prefilter (read and decoded
//! first, outside the timing): `cargo run --release -p retry-audit-scan --example tokens_bench -- DIR [ROUNDS]`.
use retry_audit_scan::{prefilter, read, walk, RuleData};
use std::time::Instant;

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).expect("DIR"));
    let rounds: usize = std::env::args().nth(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    let data = RuleData::builtin();
    let pre = prefilter::Prefilter::new(&data);
    let files = walk::walk(&[root], &Default::default()).expect("walk").files;
    let texts: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read(&f.path).ok())
        .filter(|b| pre.may_match(b))
        .filter_map(|b| read::decode(&b).ok().map(|s| s.text))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    for _ in 0..rounds {
        let t = Instant::now();
        let skipped =
            texts.iter().filter(|t| pre.tokens_and_facts(t).0 == retry_audit_scan::parse::TokenVerdict::Skip).count();
        let e = t.elapsed();
        println!(
            "{} files, {bytes} bytes, {skipped} skipped: {e:?} ({:.0} MB/s)",
            texts.len(),
            bytes as f64 / e.as_secs_f64() / 1e6
        );
    }
}
