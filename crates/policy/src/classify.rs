//! Error classification: which exceptions are retried, by Python class hierarchy.
//!
//! The engine never sees Python objects, only dotted class names. A [`Hierarchy`] maps a class to
//! its ancestors so that "subclass match" (isinstance) is exact and testable without Python. The
//! rules are applied in the spec's order and the first match wins:
//!
//! 1. cancellation / KeyboardInterrupt / SystemExit: propagate, never retried nor recorded;
//! 2. circuit-open rejection: stop (decided by the breaker, see [`crate::breaker`]);
//! 3. `non_retryable_exceptions`: stop;
//! 4. the injected `error_classifier`, when given: its answer decides;
//! 5. `retryable_exceptions`: retry;
//! 6. anything else: stop.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::policy::RetryPolicy;

/// Classes whose instances mean "stop everything now", and their subclasses.
const CANCELLATION_ROOTS: &[&str] =
    &["asyncio.CancelledError", "KeyboardInterrupt", "SystemExit", "GeneratorExit", "trio.Cancelled"];

/// Alternative spellings of one class object (Python aliases), normalised before matching.
const ALIASES: &[(&str, &str)] = &[
    ("IOError", "OSError"),
    ("EnvironmentError", "OSError"),
    ("socket.error", "OSError"),
    ("select.error", "OSError"),
    ("socket.timeout", "TimeoutError"),
    ("asyncio.TimeoutError", "TimeoutError"),
    ("asyncio.exceptions.TimeoutError", "TimeoutError"),
    ("concurrent.futures.TimeoutError", "TimeoutError"),
    ("CancelledError", "asyncio.CancelledError"),
    ("asyncio.exceptions.CancelledError", "asyncio.CancelledError"),
    ("requests.RequestException", "requests.exceptions.RequestException"),
    ("requests.ConnectionError", "requests.exceptions.ConnectionError"),
    ("requests.Timeout", "requests.exceptions.Timeout"),
    ("requests.HTTPError", "requests.exceptions.HTTPError"),
];

/// Built-in parent table: (class, direct parent). Python 3.11+ standard library plus the
/// third-party exceptions retry code most often names.
const PARENTS: &[(&str, &str)] = &[
    ("Exception", "BaseException"),
    ("SystemExit", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("GeneratorExit", "BaseException"),
    ("asyncio.CancelledError", "BaseException"),
    ("trio.Cancelled", "BaseException"),
    ("OSError", "Exception"),
    ("ConnectionError", "OSError"),
    ("ConnectionResetError", "ConnectionError"),
    ("ConnectionRefusedError", "ConnectionError"),
    ("ConnectionAbortedError", "ConnectionError"),
    ("BrokenPipeError", "ConnectionError"),
    ("TimeoutError", "OSError"),
    ("FileNotFoundError", "OSError"),
    ("FileExistsError", "OSError"),
    ("PermissionError", "OSError"),
    ("IsADirectoryError", "OSError"),
    ("NotADirectoryError", "OSError"),
    ("InterruptedError", "OSError"),
    ("BlockingIOError", "OSError"),
    ("ChildProcessError", "OSError"),
    ("ProcessLookupError", "OSError"),
    ("socket.gaierror", "OSError"),
    ("socket.herror", "OSError"),
    ("ssl.SSLError", "OSError"),
    ("ValueError", "Exception"),
    ("UnicodeError", "ValueError"),
    ("UnicodeDecodeError", "UnicodeError"),
    ("UnicodeEncodeError", "UnicodeError"),
    ("json.JSONDecodeError", "ValueError"),
    ("TypeError", "Exception"),
    ("LookupError", "Exception"),
    ("KeyError", "LookupError"),
    ("IndexError", "LookupError"),
    ("RuntimeError", "Exception"),
    ("NotImplementedError", "RuntimeError"),
    ("RecursionError", "RuntimeError"),
    ("AttributeError", "Exception"),
    ("NameError", "Exception"),
    ("ArithmeticError", "Exception"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("MemoryError", "Exception"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("StopIteration", "Exception"),
    ("StopAsyncIteration", "Exception"),
    ("EOFError", "Exception"),
    ("asyncio.InvalidStateError", "Exception"),
    ("asyncio.IncompleteReadError", "EOFError"),
    ("requests.exceptions.RequestException", "OSError"),
    ("requests.exceptions.ConnectionError", "requests.exceptions.RequestException"),
    ("requests.exceptions.Timeout", "requests.exceptions.RequestException"),
    ("requests.exceptions.ReadTimeout", "requests.exceptions.Timeout"),
    ("requests.exceptions.ConnectTimeout", "requests.exceptions.ConnectionError"),
    ("requests.exceptions.HTTPError", "requests.exceptions.RequestException"),
    ("httpx.HTTPError", "Exception"),
    ("httpx.RequestError", "httpx.HTTPError"),
    ("httpx.TransportError", "httpx.RequestError"),
    ("httpx.TimeoutException", "httpx.TransportError"),
    ("httpx.ConnectTimeout", "httpx.TimeoutException"),
    ("httpx.ReadTimeout", "httpx.TimeoutException"),
    ("httpx.NetworkError", "httpx.TransportError"),
    ("httpx.ConnectError", "httpx.NetworkError"),
    ("httpx.HTTPStatusError", "httpx.HTTPError"),
    ("aiohttp.ClientError", "Exception"),
    ("aiohttp.ClientConnectionError", "aiohttp.ClientError"),
    ("aiohttp.ClientResponseError", "aiohttp.ClientError"),
    ("aiohttp.ServerTimeoutError", "aiohttp.ClientConnectionError"),
    ("sqlalchemy.exc.SQLAlchemyError", "Exception"),
    ("sqlalchemy.exc.StatementError", "sqlalchemy.exc.SQLAlchemyError"),
    ("sqlalchemy.exc.DBAPIError", "sqlalchemy.exc.StatementError"),
    ("sqlalchemy.exc.OperationalError", "sqlalchemy.exc.DBAPIError"),
    ("sqlalchemy.exc.IntegrityError", "sqlalchemy.exc.DBAPIError"),
    ("psycopg2.Error", "Exception"),
    ("psycopg2.DatabaseError", "psycopg2.Error"),
    ("psycopg2.OperationalError", "psycopg2.DatabaseError"),
    ("asyncpg.PostgresError", "Exception"),
    ("redis.exceptions.RedisError", "Exception"),
    ("redis.exceptions.ConnectionError", "redis.exceptions.RedisError"),
    ("redis.exceptions.TimeoutError", "redis.exceptions.RedisError"),
    ("websockets.exceptions.WebSocketException", "Exception"),
    ("websockets.exceptions.ConnectionClosed", "websockets.exceptions.WebSocketException"),
];

/// Class name -> direct parent, with aliases. Unknown classes are treated as direct subclasses
/// of `Exception`, which is what a user-defined exception almost always is; inject the real
/// parent with [`Hierarchy::insert`] when it is not.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    parents: HashMap<String, String>,
}

impl Default for Hierarchy {
    fn default() -> Self {
        Hierarchy::builtin()
    }
}

/// Strips `builtins.` and resolves aliases so both sides of a match use one spelling.
pub fn normalize(name: &str) -> &str {
    let name = name.trim();
    let name = name.strip_prefix("builtins.").unwrap_or(name);
    ALIASES.iter().find(|(a, _)| *a == name).map_or(name, |(_, canon)| canon)
}

impl Hierarchy {
    /// The built-in table (standard library and common client libraries).
    pub fn builtin() -> Self {
        Hierarchy { parents: PARENTS.iter().map(|(c, p)| (c.to_string(), p.to_string())).collect() }
    }

    /// Declares `class`'s direct parent (overrides the built-in entry).
    pub fn insert(&mut self, class: &str, parent: &str) -> &mut Self {
        self.parents.insert(normalize(class).to_string(), normalize(parent).to_string());
        self
    }

    /// Declares a class by its full ancestor chain, nearest first, e.g.
    /// `["ConnectionResetError", "ConnectionError", "OSError", "Exception"]`.
    pub fn insert_chain(&mut self, chain: &[&str]) -> &mut Self {
        for pair in chain.windows(2) {
            self.insert(pair[0], pair[1]);
        }
        self
    }

    /// `class` and all its ancestors, nearest first, ending at `BaseException`.
    pub fn ancestors(&self, class: &str) -> Vec<String> {
        let mut out = vec![normalize(class).to_string()];
        while let Some(last) = out.last() {
            if last == "BaseException" || out.len() > 64 {
                break;
            }
            let parent = self.parents.get(last.as_str()).cloned().unwrap_or_else(|| {
                if last == "Exception" {
                    "BaseException".to_string()
                } else {
                    "Exception".to_string()
                }
            });
            if out.contains(&parent) {
                break; // a cycle injected by the caller; stop rather than loop
            }
            out.push(parent);
        }
        out
    }

    /// isinstance: is `class` equal to or a subclass of `ancestor`?
    pub fn is_subclass(&self, class: &str, ancestor: &str) -> bool {
        let ancestor = normalize(ancestor);
        self.ancestors(class).iter().any(|a| a == ancestor)
    }
}

/// What the loop does with a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Retry,
    Stop,
    /// Re-raise immediately; the breaker does not see it.
    Propagate,
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Cancellation,
    CircuitOpen,
    NonRetryable,
    Classifier,
    Retryable,
    Unlisted,
    AttemptTimeout,
}

/// A classification: verdict, deciding rule and the listed class that matched (if any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub verdict: Verdict,
    pub rule: Rule,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

/// An `error_classifier`: given the class and its ancestors, `Some(true)` retries,
/// `Some(false)` stops, `None` defers to the lists.
pub type Classifier<'a> = &'a dyn Fn(&str, &[String]) -> Option<bool>;

/// Classifies a raised `class` under `policy` (rules 1, 3-6; rule 2 belongs to the breaker).
pub fn classify(
    policy: &RetryPolicy,
    hierarchy: &Hierarchy,
    class: &str,
    classifier: Option<Classifier<'_>>,
) -> Classification {
    let ancestors = hierarchy.ancestors(class);
    let first_match = |names: &[String]| names.iter().find(|n| ancestors.iter().any(|a| a == normalize(n))).cloned();
    if let Some(root) = CANCELLATION_ROOTS.iter().find(|r| ancestors.iter().any(|a| a == *r)) {
        return Classification {
            verdict: Verdict::Propagate,
            rule: Rule::Cancellation,
            matched: Some(root.to_string()),
        };
    }
    if let Some(m) = first_match(&policy.non_retryable_exceptions) {
        return Classification { verdict: Verdict::Stop, rule: Rule::NonRetryable, matched: Some(m) };
    }
    if let Some(answer) = classifier.and_then(|f| f(&ancestors[0], &ancestors)) {
        let verdict = if answer { Verdict::Retry } else { Verdict::Stop };
        return Classification { verdict, rule: Rule::Classifier, matched: None };
    }
    if let Some(m) = first_match(&policy.retryable_exceptions) {
        return Classification { verdict: Verdict::Retry, rule: Rule::Retryable, matched: Some(m) };
    }
    Classification { verdict: Verdict::Stop, rule: Rule::Unlisted, matched: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retry: &[&str], stop: &[&str]) -> RetryPolicy {
        RetryPolicy::default()
            .with(|s| {
                s.retryable_exceptions = retry.iter().map(|s| s.to_string()).collect();
                s.non_retryable_exceptions = stop.iter().map(|s| s.to_string()).collect();
            })
            .unwrap()
    }

    #[test]
    fn builtin_chain() {
        let h = Hierarchy::builtin();
        assert_eq!(
            h.ancestors("ConnectionResetError"),
            ["ConnectionResetError", "ConnectionError", "OSError", "Exception", "BaseException"]
        );
        assert_eq!(h.ancestors("CancelledError"), ["asyncio.CancelledError", "BaseException"]);
        assert_eq!(h.ancestors("myapp.Boom"), ["myapp.Boom", "Exception", "BaseException"]);
    }

    #[test]
    fn first_match_wins_in_spec_order() {
        let h = Hierarchy::builtin();
        let p = policy(&["ConnectionError"], &["ConnectionResetError"]);
        let c = classify(&p, &h, "ConnectionResetError", None);
        assert_eq!((c.verdict, c.rule), (Verdict::Stop, Rule::NonRetryable));
        let c = classify(&p, &h, "BrokenPipeError", None);
        assert_eq!(
            (c.verdict, c.rule, c.matched.as_deref()),
            (Verdict::Retry, Rule::Retryable, Some("ConnectionError"))
        );
        let c = classify(&p, &h, "ValueError", None);
        assert_eq!((c.verdict, c.rule), (Verdict::Stop, Rule::Unlisted));
    }

    #[test]
    fn cancellation_beats_everything() {
        let h = Hierarchy::builtin();
        let p = policy(&["BaseException"], &[]);
        for class in ["asyncio.CancelledError", "KeyboardInterrupt", "SystemExit"] {
            assert_eq!(classify(&p, &h, class, None).verdict, Verdict::Propagate, "{class}");
        }
    }

    #[test]
    fn classifier_sits_between_the_lists() {
        let h = Hierarchy::builtin();
        let p = policy(&["Exception"], &["ValueError"]);
        let never = |_: &str, _: &[String]| Some(false);
        assert_eq!(classify(&p, &h, "OSError", Some(&never)).rule, Rule::Classifier);
        assert_eq!(classify(&p, &h, "ValueError", Some(&never)).rule, Rule::NonRetryable);
        let defer = |_: &str, _: &[String]| None;
        assert_eq!(classify(&p, &h, "OSError", Some(&defer)).rule, Rule::Retryable);
    }

    #[test]
    fn injected_classes_and_aliases() {
        let mut h = Hierarchy::builtin();
        h.insert_chain(&["app.DbDown", "ConnectionError"]);
        let p = policy(&["IOError"], &[]);
        let c = classify(&p, &h, "app.DbDown", None);
        assert_eq!((c.verdict, c.matched.as_deref()), (Verdict::Retry, Some("IOError")));
        assert!(h.is_subclass("socket.timeout", "OSError"));
    }
}
