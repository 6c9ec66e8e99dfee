//! The adaptive strategy's two explicit state machines: a retry token bucket (gRPC A6
//! throttling) and server Retry-After hints. Both are plain values the caller owns, so there is
//! no hidden process-wide history.

use serde::{Deserialize, Serialize};

use crate::policy::RetryPolicy;

/// gRPC A6 retry throttling: each retryable failure costs 1 token, each success returns
/// `token_ratio`; retries are allowed only while `tokens > max_tokens / 2`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenBucket {
    pub max_tokens: f64,
    pub token_ratio: f64,
    pub tokens: f64,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(max_tokens: f64, token_ratio: f64) -> Self {
        TokenBucket { max_tokens, token_ratio, tokens: max_tokens }
    }

    /// A full bucket with the policy's knobs.
    pub fn for_policy(p: &RetryPolicy) -> Self {
        TokenBucket::new(p.max_tokens, p.token_ratio)
    }

    pub fn record_failure(&mut self) {
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    pub fn record_success(&mut self) {
        self.tokens = (self.tokens + self.token_ratio).min(self.max_tokens);
    }

    pub fn retry_allowed(&self) -> bool {
        self.tokens > self.max_tokens / 2.0
    }
}

/// What a Retry-After hint does to the next sleep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HintDecision {
    /// Sleep this long instead of the computed delay.
    Sleep(f64),
    /// The (capped) hint does not fit in what is left of `total_timeout`: stop now.
    Stop,
}

/// `min(h, retry_after_max)`, or stop when that does not fit in what is left of `total_timeout`.
///
/// "Fits" uses the same test as a computed delay (`elapsed + d >= total_timeout` stops), so a hint
/// can never make an attempt start at the deadline.
pub fn retry_after(policy: &RetryPolicy, hint: f64, elapsed: f64) -> HintDecision {
    let d = hint.max(0.0).min(policy.retry_after_cap());
    match policy.total_timeout {
        Some(total) if elapsed + d >= total => HintDecision::Stop,
        _ => HintDecision::Sleep(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_throttles_below_half() {
        let mut b = TokenBucket::new(4.0, 0.5);
        b.record_failure();
        assert!(b.retry_allowed()); // 3 > 2
        b.record_failure();
        assert!(!b.retry_allowed()); // 2 is not > 2
        b.record_success();
        assert!(b.retry_allowed());
        for _ in 0..10 {
            b.record_success();
        }
        assert_eq!(b.tokens, 4.0);
    }

    #[test]
    fn hint_is_capped_and_respects_the_deadline() {
        let p = RetryPolicy::default()
            .with(|s| {
                s.retry_after_max = Some(5.0);
                s.total_timeout = Some(20.0);
            })
            .unwrap();
        assert_eq!(retry_after(&p, 3.0, 0.0), HintDecision::Sleep(3.0));
        assert_eq!(retry_after(&p, 300.0, 0.0), HintDecision::Sleep(5.0));
        assert_eq!(retry_after(&p, 300.0, 16.0), HintDecision::Stop);
        assert_eq!(retry_after(&p, 5.0, 15.0), HintDecision::Stop);
        assert_eq!(retry_after(&p, 5.0, 14.9), HintDecision::Sleep(5.0));
        let no_cap = RetryPolicy::default();
        assert_eq!(retry_after(&no_cap, 300.0, 0.0), HintDecision::Sleep(60.0));
    }
}
