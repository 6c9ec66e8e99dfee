//! Where the time goes: decode, token prefilter, blanking, parse (+ lowering), detect, for every file of a tree, on one thread.
//! `cargo run --release -p retry-audit-scan --example phases -- DIR`
use retry_audit_scan::{detect, parse, prefilter, read, walk, RuleData};
use std::time::{Duration, Instant};

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).expect("DIR"));
    let data = RuleData::builtin();
    let pre = prefilter::Prefilter::new(&data);
    let mut t_tokens = Duration::ZERO;
    let (mut byte_passed, mut token_passed) = (0, 0);
    let files = walk::walk(&[root], &Default::default()).unwrap().files;
    let (mut t_read, mut t_parse) = (Duration::ZERO, Duration::ZERO);
    let (mut parsed, mut with_findings) = (0, 0);
    let (mut t_ruff, mut t_blank, mut t_depth) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut bytes_total, mut bytes_blanked) = (0usize, 0usize);
    let (mut t_ctx, mut t_fns, mut t_classes) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut t_rules = vec![Duration::ZERO; detect::rules::REGISTRY.len()];
    for f in &files {
        let t = Instant::now();
        let bytes = std::fs::read(&f.path).unwrap();
        let pass = pre.may_match(&bytes);
        let src = read::decode(&bytes);
        t_read += t.elapsed();
        let (Ok(src), true) = (src, pass) else { continue };
        byte_passed += 1;
        let t = Instant::now();
        let verdict = pre.tokens(&src.text);
        t_tokens += t.elapsed();
        let parse::TokenVerdict::Parse(skipped) = verdict else { continue };
        token_passed += 1;
        let t = Instant::now();
        let blanked = parse::blank(&src.text, &skipped);
        t_blank += t.elapsed();
        bytes_total += src.text.len();
        bytes_blanked += skipped.iter().map(|r| r.len()).sum::<usize>();
        let t = Instant::now();
        let _ = parse::depth::check(&blanked);
        t_depth += t.elapsed();
        let t = Instant::now();
        let _ = parse::parses(&blanked);
        t_ruff += t.elapsed();
        let t = Instant::now();
        let module = parse::parse_module(&blanked);
        t_parse += t.elapsed();
        let Ok(module) = module else { continue };
        parsed += 1;
        let t = Instant::now();
        let ctx = detect::context::FileContext::new(&f.display, &f.module, &src.text, &module);
        t_ctx += t.elapsed();
        let t = Instant::now();
        let fns = detect::functions::analyse_all(&ctx);
        t_fns += t.elapsed();
        let t = Instant::now();
        let classes = detect::classes::analyse_all(&ctx, &fns);
        t_classes += t.elapsed();
        let cx = detect::Cx { file: &ctx, functions: &fns, classes: &classes, data: &data };
        let mut out = Vec::new();
        for (i, rule) in detect::rules::REGISTRY.iter().enumerate() {
            let t = Instant::now();
            (rule.check)(&cx, &mut out);
            t_rules[i] += t.elapsed();
        }
        let n = out.len();
        with_findings += (n > 0) as usize;
    }
    println!(
        "files {} byte prefilter passed {byte_passed} token prefilter passed {token_passed} parsed {parsed} \
         with findings {with_findings}",
        files.len()
    );
    println!("parsed files: {bytes_total} bytes, {bytes_blanked} of them blanked ({t_blank:?})");
    println!(
        "read+decode+bytes {t_read:?}  tokens {t_tokens:?}  depth bound {t_depth:?}  ruff parse only {t_ruff:?}  \
         parse+lower {t_parse:?}"
    );
    println!("context {t_ctx:?}  functions {t_fns:?}  classes {t_classes:?}");
    for (r, t) in detect::rules::REGISTRY.iter().zip(&t_rules) {
        println!("  {} {:<20} {t:?}", r.code, r.kind.as_str());
    }
}
