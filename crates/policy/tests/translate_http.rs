//! urllib3 1.26 vs 2.x, and what botocore's `Config` refuses. Typed in from urllib3 1.26.20 / 2.6.3 and botocore
//! 1.37.38 (the differential, `tests/differential`, runs the same configurations through them).

use retry_audit_policy::translate::{translate_str_as, translate_str_in, Translation, Versions};

fn urllib3(pins: &str, src: &str) -> Translation {
    let versions = Versions::from_pins(pins).unwrap();
    translate_str_in("urllib3", src, &versions).unwrap().translation
}

/// The reasons of an inexact translation that offers no policy (the library raises).
fn refused(t: Translation) -> Vec<String> {
    match t {
        Translation::Inexact { closest: None, reasons } => reasons,
        other => panic!("expected no policy, got {other:?}"),
    }
}

#[test]
fn keywords_a_version_lacks_build_no_policy() {
    let r = refused(urllib3("urllib3==1.26.20", "Retry(total=5, backoff_factor=1, backoff_max=10)"));
    assert_eq!(r, ["`backoff_max` is an argument of urllib3 >= 2.0 only: urllib3 1.26's Retry() raises TypeError"]);
    let r = refused(urllib3("urllib3==2.5.0", "Retry(total=5, retry_after_max=10)"));
    assert_eq!(r, ["`retry_after_max` is an argument of urllib3 >= 2.6 only: urllib3 2.5's Retry() raises TypeError"]);
    let r = refused(urllib3("urllib3==2.6.3", "Retry(total=3, method_whitelist=['GET'])"));
    assert_eq!(r, ["`method_whitelist` is an argument of urllib3 < 2.0 only: urllib3 2.6's Retry() raises TypeError"]);
    let r = refused(urllib3("urllib3==1.26.20", "Retry(total=3, method_whitelist=['GET'], allowed_methods=['GET'])"));
    assert_eq!(r, ["method_whitelist and allowed_methods together: urllib3 1.26's Retry() raises ValueError"]);
    let r = refused(urllib3("", "Retry(total=3, backof_factor=1)"));
    assert_eq!(r, ["`backof_factor` is not an argument of urllib3's Retry: Retry() raises TypeError"]);
}

#[test]
fn an_unknown_version_names_the_keywords_of_one_version() {
    let t = urllib3("", "Retry(total=3, backoff_factor=1, method_whitelist=['GET'])");
    assert_eq!(t.policy().map(|p| p.max_attempts), Some(4));
    assert!(t
        .reasons()
        .iter()
        .any(|r| r == "`method_whitelist` is an argument of urllib3 < 2.0 only (the others raise TypeError)"));
    let t = urllib3("urllib3==1.26.20", "Retry(total=3, backoff_factor=1, method_whitelist=['GET'])");
    assert!(!t.reasons().iter().any(|r| r.contains("method_whitelist")), "{:?}", t.reasons());
}

#[test]
fn the_retry_after_bound_follows_the_version() {
    let bound = |pins: &str, src: &str| {
        urllib3(pins, src).reasons().iter().find(|r| r.contains("Retry-After")).cloned().expect("a Retry-After reason")
    };
    assert!(bound("urllib3==1.26.20", "Retry(total=4, status_forcelist=[503])")
        .contains("Retry-After without an upper bound (urllib3 1.26)"));
    assert!(bound("urllib3==2.6.3", "Retry(total=4, status_forcelist=[503], retry_after_max=10)")
        .contains("Retry-After up to 10 s (retry_after_max)"));
    assert!(bound("", "Retry(total=4, status_forcelist=[503])")
        .contains("up to 21600 s in urllib3 >= 2.6 (retry_after_max), without an upper bound before"));
}

#[test]
fn requests_carries_the_urllib3_version() {
    let v = Versions::from_pins("urllib3==2.6.3").unwrap();
    let t = translate_str_in("requests", "HTTPAdapter(max_retries=Retry(total=2, method_whitelist=['GET']))", &v);
    assert_eq!(t.unwrap().translation.policy(), None);
    assert_eq!(Versions::from_pins("urllib3==1.26.20").unwrap().urllib3, Some((1, 26)));
    assert!(Versions::from_pins("tenacity==9.2.1").is_err());
    assert!(Versions::from_pins("urllib3").is_err());
}

#[test]
fn botocore_refusals_build_no_policy() {
    let boto = |src: &str| translate_str_as("botocore", src).unwrap().translation;
    let r = refused(boto("Config(retries={'mode': 'standard', 'retry_quota': 10})"));
    assert_eq!(
        r,
        [r#"botocore's Config raises: "retry_quota" is not a retries key (mode, max_attempts, total_max_attempts)"#]
    );
    refused(boto("Config(retries={'mode': 'turbo'})"));
    refused(boto("Config(retries={'max_attempts': -1})"));
    refused(boto("Config(retries={'total_max_attempts': 0})"));
}

#[test]
fn botocore_fractional_counts_round_up() {
    let boto = |src: &str| translate_str_as("botocore", src).unwrap().translation.policy().unwrap().max_attempts;
    // standard: attempt < 3.5 retries attempts 1-3; legacy: attempt >= 3.5 stops at 4.
    assert_eq!(boto("Config(retries={'mode': 'standard', 'max_attempts': 2.5})"), 4);
    assert_eq!(boto("Config(retries={'mode': 'legacy', 'total_max_attempts': 3.5})"), 4);
    // No retries=: legacy's default of 5 attempts (with AWS_* unset).
    assert_eq!(boto("Config()"), 5);
}
