use retry_audit_scan::{prefilter, read, walk, RuleData};
fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let data = RuleData::builtin();
    let pre = prefilter::Prefilter::bytes_only(&data);
    let words: Vec<String> = vec![
        "tenacity".into(),
        "backoff".into(),
        "retrying".into(),
        "stamina".into(),
        "urllib3".into(),
        "requests".into(),
        "google".into(),
        "botocore".into(),
        "boto3".into(),
        "redis".into(),
        "unified_retry_handler".into(),
    ];
    for f in walk::walk(&[root], &Default::default()).unwrap().files {
        let bytes = std::fs::read(&f.path).unwrap();
        if !pre.may_match(&bytes) {
            continue;
        }
        let Ok(src) = read::decode(&bytes) else { continue };
        println!("{}\t{}", f.display, retry_audit_scan::parse::tokens::debug_facts(&src.text, &words));
    }
}
