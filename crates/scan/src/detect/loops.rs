//! Loop analysis: is this `for`/`while` a retry of one operation, a readiness probe, or a look-alike
//! (periodic monitor, consumer, poll for a state, fallback chain, item loop)?
//!
//! The signals are those of detection-notes.md: a retry re-attempts the same operation after a failure
//! (exception or falsy result), is bounded by an attempt counter or `range(n)` (or a deadline, which makes it a
//! readiness probe), exits on success, and usually waits between attempts. A monitor repeats a job while a
//! running flag holds; a poll waits for a state; a fallback chain iterates over alternatives.

use super::context::FileContext;
use super::names;
use super::sleeps;
use crate::syntax::*;
use rustc_hash::FxHashSet as HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopVerdict {
    Retry,
    ReadinessProbe,
}

#[derive(Debug, Default, Clone)]
pub struct LoopFacts {
    pub verdict: Option<LoopVerdict>,
    pub bounded: bool,
    pub has_sleep: bool,
    pub sleep_via_helper: bool,
    pub failure_driven: bool,
    pub result_driven: bool,
    /// The expression passed to the sleep, when direct.
    pub sleep_arg: Option<Expr>,
    /// `range(n)` argument or the counter's bound expression.
    pub bound_expr: Option<Expr>,
    pub growing_delay: bool,
    /// No wait was found in this file, and the loop is a retry loop exactly when a callee waits: the project
    /// model decides it once callees in other files (or base classes) are resolved.
    pub pending_sleep: bool,
    /// Names the loop's budget is read from: the bound a counter is compared with where the loop gives up
    /// (`if unhealthy >= MAX_UNHEALTHY_SESSIONS: return`, `while attempt < self.max_tries`).
    pub budget: Vec<String>,
    /// The function called in the loop's test whose `except` handler returns the value that keeps the loop
    /// going (`while await self._read_connection(conn) == "reconnect"`): it judges each attempt's failure.
    pub test_attempt: Option<String>,
    /// The exceptions the loop gives up on: an `except` that always leaves the loop (`except
    /// FeedUnavailable: return`), by last name.
    pub gives_up_on: Vec<String>,
}

/// Analyse one loop statement of a function (`class` is the enclosing class, for helper lookup).
pub fn analyse(ctx: &FileContext, stmt: &Stmt, class: Option<&str>) -> LoopFacts {
    let mut f = analyse_loop(ctx, stmt, class);
    if f.verdict == Some(LoopVerdict::Retry) {
        f.budget = budget_names(stmt);
        f.gives_up_on = given_up_exceptions(stmt);
    }
    f
}

/// The exceptions a loop's handlers give up on (see `LoopFacts::gives_up_on`).
fn given_up_exceptions(stmt: &Stmt) -> Vec<String> {
    let (StmtKind::For { body, .. } | StmtKind::While { body, .. }) = &stmt.kind else { return vec![] };
    let mut out: Vec<String> = Vec::new();
    walk_stmts(body, false, &mut |s| {
        let StmtKind::Try { handlers, .. } = &s.kind else { return };
        for h in handlers.iter().filter(|h| !is_control_flow_handler(h) && always_leaves(&h.body)) {
            let types = match h.type_.as_ref().map(|t| &t.kind) {
                Some(ExprKind::Tuple(items)) => items.iter().collect(),
                Some(_) => h.type_.iter().collect(),
                None => vec![],
            };
            out.extend(types.into_iter().filter_map(|t| t.last_name().map(str::to_string)));
        }
    });
    out
}

/// The names a retry loop's budget is read from (see `LoopFacts::budget`): what a counter is compared with in
/// the loop's test or where the loop gives up (a `range(N)` bounds a loop of any kind, retry or not).
fn budget_names(stmt: &Stmt) -> Vec<String> {
    let (body, test) = match &stmt.kind {
        StmtKind::For { body, .. } => (body, None),
        StmtKind::While { test, body, .. } => (body, Some(test)),
        _ => return vec![],
    };
    let counted = counted_up(body);
    let counter = |e: &Expr| names::is_attempt_ref(e) || e.dotted().is_some_and(|d| counted.contains(&d));
    let mut out: Vec<String> = Vec::new();
    let mut bounds = |cmp: &Expr| {
        cmp.walk(&mut |e| {
            if let ExprKind::Compare { left, comparators, .. } = &e.kind {
                let sides: Vec<&Expr> = if counter(left) {
                    comparators.iter().collect()
                } else if comparators.iter().any(counter) {
                    vec![&**left]
                } else {
                    vec![]
                };
                for side in sides {
                    side.walk(&mut |x| {
                        if let Some(d) = x.dotted().filter(|d| !counted.contains(d)) {
                            if !out.contains(&d) {
                                out.push(d);
                            }
                        }
                    });
                }
            }
        });
    };
    if let Some(t) = test {
        bounds(t);
    }
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::If { test, body: then, .. } = &s.kind {
            if then.iter().any(leaves) {
                bounds(test);
            }
        }
    });
    out
}

fn analyse_loop(ctx: &FileContext, stmt: &Stmt, class: Option<&str>) -> LoopFacts {
    let mut f = LoopFacts::default();
    let (body, is_while, test, for_target, for_iter) = match &stmt.kind {
        StmtKind::For { target, iter, body, .. } => (body, false, None, Some(target), Some(iter)),
        StmtKind::While { test, body, .. } => (body, true, Some(test), None, None),
        _ => return f,
    };

    // Bounds.
    let mut range_bound = false;
    let mut written_schedule = false;
    if let Some(iter) = for_iter {
        match iter.as_call() {
            Some((func, args, _)) if func.dotted().as_deref() == Some("range") => {
                // `range(len(items))` walks items by index: an item loop, not attempts.
                if args.iter().any(|a| a.as_call().is_some_and(|(f, _, _)| f.dotted().as_deref() == Some("len"))) {
                    return f;
                }
                range_bound = true;
                // Attempts = stop - start: `range(n)`, `range(1, n + 1)`; a step makes it unknown.
                f.bound_expr = match args {
                    [stop] => Some(stop.clone()),
                    [start, stop] => Some(synthetic(stop.clone(), BinOp::Sub, start.clone())),
                    _ => None,
                };
            }
            // `for delay in (0.1, 0.3, 0.6, None)`: the schedule written out, one wait per attempt (`None` the
            // last, no wait); attempts are its length.
            None if is_written_schedule(iter) => {
                range_bound = true;
                written_schedule = true;
            }
            _ => {
                let iter_name = iter.dotted().unwrap_or_default();
                let resolved = ctx.resolve(iter.as_call().map(|c| c.0).unwrap_or(iter)).unwrap_or_default();
                // `for attempt in self._attempts()` / `itertools.count()` count attempts; anything else is items.
                let counts = resolved == "itertools.count"
                    || names::is_attempt_name(&iter_name)
                    || iter.as_call().and_then(|(func, _, _)| func.last_name()).is_some_and(names::is_attempt_name);
                if !counts {
                    return f;
                }
            }
        }
    }
    let loop_var = for_target.and_then(|t| t.dotted());

    let mut counter_bound = false;
    let mut deadline_bound = false;
    // Names the body counts down by whole steps (`remaining -= 1`): a budget of attempts, whatever they are
    // called (`while remaining > 0` is then a counter, not a time left).
    let counted_down = counted_down(body);
    // A loop under a running flag that re-attempts one operation after failures (a reconnect loop) rather than
    // repeating a job.
    let mut reconnect = false;
    if let Some(test) = test {
        // A running flag makes a monitor, unless the loop gives up after N failures (a reconnect loop with an
        // attempt limit under `while self._running` is still a retry). It reconnects (its handler re-attempts
        // by going on) when it gives up after consecutive failures, stops once the operation succeeds, or waits
        // longer with each attempt it counts and gives up on an error it cannot recover from.
        if is_monitor_condition(test) {
            reconnect = gives_up_after_failures(body)
                || exits_on_success(ctx, body, class)
                || counted_backoff_gives_up(ctx, body, class);
            if !reconnect && !has_counter_guard(body) {
                return f;
            }
        }
        test.walk(&mut |e| {
            if let Some(n) = e.dotted() {
                let counted = counted_down.contains(&n);
                if names::is_attempt_name(&n) || counted {
                    counter_bound = true;
                }
                if !counted
                    && names::has_word(
                        &n,
                        &["deadline", "timeout", "end_time", "until", "expire", "time_left", "remaining"],
                    )
                {
                    deadline_bound = true;
                }
            }
            if let Some((func, _, _)) = e.as_call() {
                let r = ctx.resolve(func).unwrap_or_default();
                if matches!(
                    r.as_str(),
                    "time.time" | "time.monotonic" | "time.perf_counter" | "datetime.datetime.now" | "datetime.now"
                ) || r.ends_with("loop.time")
                    || r.ends_with(".time")
                {
                    deadline_bound = true;
                }
            }
        });
        if counter_bound {
            f.bound_expr = comparator_bound(test);
        }
    }
    // `while True:` / `for n in count():` with `if attempt >= max: raise` inside.
    if !range_bound && !counter_bound && has_counter_guard(body) {
        counter_bound = true;
    }

    // Sleeps, direct or one call away.
    let mut sleep_arg = None;
    let mut via_helper = false;
    walk_loop_body(body, &mut |e| {
        if let Some((func, args, kws)) = e.as_call() {
            if sleeps::is_sleep(ctx, func) {
                if sleep_arg.is_none() {
                    sleep_arg = args.first().cloned().or_else(|| kws.first().map(|k| k.value.clone()));
                }
                f.has_sleep = true;
            } else if !f.has_sleep && sleeps::helper_sleeps(ctx, func, class, 2) {
                via_helper = true;
            }
        }
    });
    if !f.has_sleep && via_helper {
        f.has_sleep = true;
        f.sleep_via_helper = true;
    }
    // `for seq in range(TMP_MAX): name = next(names); try: os.open(name, ...) except FileExistsError: continue`:
    // with no wait, an attempt on a value freshly drawn each time is a walk over alternatives (a free name, a
    // port, a unique code), not the same operation tried again.
    if !f.has_sleep && draws_fresh_candidate(ctx, body) {
        return f;
    }
    // A written-out schedule is one only when its values are the waits (`for _ in (1, 2)` is "try twice",
    // whatever else the loop does).
    if written_schedule
        && !sleep_arg.as_ref().is_some_and(|a| a.any(&|x| x.dotted().is_some() && x.dotted() == loop_var))
    {
        return f;
    }
    f.growing_delay = grows_delay(body, sleep_arg.as_ref(), loop_var.as_deref());
    f.sleep_arg = sleep_arg;

    // `while self._needs_retry(attempts, response, exception):` -- a decision in the loop test re-runs the body
    // (the budget and the wait are the decision's).
    if is_while
        && test.is_some_and(|t| {
            t.any(&|e| e.as_call().and_then(|(func, _, _)| func.last_name()).is_some_and(names::is_decision_name))
        })
    {
        f.verdict = Some(LoopVerdict::Retry);
        f.bounded = true;
        f.failure_driven = true;
        return f;
    }

    // `while isinstance((events := client.get_reload(sha)), int): if (retries := retries + 1) > max_retries:
    // raise ...; time.sleep(2)`: the attempt is in the test, its failing result keeps the loop going, a counter
    // gives up. (A poll tests a state: `while job.status != "done"`, `while not ready()`.)
    if is_while && f.has_sleep && has_counter_guard(body) {
        if let Some(t) = test {
            let attempt_in_test =
                t.any(&|e| e.as_call().is_some_and(|(func, _, _)| func.dotted().as_deref() != Some("len")));
            if attempt_in_test && guard_of(t, &HashSet::default()) == Guard::Result {
                f.verdict = Some(LoopVerdict::Retry);
                f.bounded = true;
                f.result_driven = true;
                return f;
            }
        }
    }
    // `while await self._read_connection(conn) == "reconnect": sleep(d); d = min(d * 2, cap)`: the attempt is in
    // the test, and the value that keeps the loop going is what the attempt returns from its `except` handler
    // (a poll compares a state it reads: `while job.status() == "running"`).
    if let Some(attempt) = test.filter(|_| is_while && f.has_sleep).and_then(|t| attempt_fails_into_test(ctx, t, class))
    {
        f.test_attempt = Some(attempt);
        f.verdict = Some(LoopVerdict::Retry);
        f.bounded = has_counter_guard(body);
        f.failure_driven = true;
        return f;
    }
    // Failure handling and exits. `while retry_active:` ... `retry_active = False` on success is an exit.
    let flag = test.and_then(|t| match &t.kind {
        ExprKind::UnaryNot(inner) => inner.dotted().map(|d| (d, true)),
        _ => t.dotted().map(|d| (d, false)),
    });
    let exits = classify_exits(body, flag.as_ref().map(|(d, v)| (d.as_str(), *v)));
    let has_sleep = f.has_sleep;
    // `decide` reads only what is settled above (not the verdict fields it fills in).
    let decide_with = |f: &LoopFacts, sleeps: bool| {
        decide(
            &exits,
            f,
            sleeps,
            counter_bound,
            range_bound,
            deadline_bound,
            test,
            for_iter,
            is_while,
            body,
            loop_var.as_deref(),
            reconnect,
        )
    };
    match decide_with(&f, has_sleep) {
        Some(d) => {
            f.failure_driven = d.failure_driven;
            f.result_driven = d.result_driven;
            f.bounded = d.bounded;
            f.verdict = d.verdict;
        }
        // A loop that exits on a good result and has no wait of its own is result-driven only once a callee
        // is seen to wait (`outcome = self._try_single_attempt(); if outcome.succeeded: return ...;
        // self._wait_before_retry()`): still pending.
        None if has_sleep => return f,
        None => {}
    }
    // `while True: try: return method() except Exception as exc: if not self._should_recover(exc): raise;
    // self._reopen()`: a handler that asks a retry decision re-attempts without waiting.
    if f.verdict.is_none() && f.failure_driven && handler_decides(body) {
        f.verdict = Some(LoopVerdict::Retry);
        f.bounded = true;
    }
    if f.verdict.is_none() && !has_sleep {
        // Would a wait make it a retry? (The wait may be in a helper: the model looks.)
        let with_sleep = decide_with(&f, true);
        f.pending_sleep = with_sleep.is_some_and(|d| d.verdict == Some(LoopVerdict::Retry));
    }
    f
}

struct Decision {
    failure_driven: bool,
    result_driven: bool,
    bounded: bool,
    verdict: Option<LoopVerdict>,
}

/// The verdict from the loop's signals, given whether an iteration waits. `None`: not a retry loop of any
/// kind, whatever the wait (a poll for a state, a search over candidates, no failure handling).
#[allow(clippy::too_many_arguments)]
fn decide(
    exits: &Exits,
    f: &LoopFacts,
    has_sleep: bool,
    counter_bound: bool,
    range_bound: bool,
    deadline_bound: bool,
    test: Option<&Expr>,
    for_iter: Option<&Expr>,
    is_while: bool,
    body: &[Stmt],
    loop_var: Option<&str>,
    reconnect: bool,
) -> Option<Decision> {
    let mut failure_driven = exits.continuing_handler && (exits.success_exit || exits.result_exit || reconnect);
    let result_driven = !failure_driven && exits.result_exit && has_sleep;
    if exits.state_exit && !exits.success_exit && !exits.result_exit {
        return None; // poll for a state
    }
    if exits.continuing_handler && f.growing_delay && !failure_driven {
        // `while not self.connected: try: connect() except: sleep(backoff); backoff *= 2`
        // A reconnect loop: failures grow the delay and count towards a limit that ends the loop.
        failure_driven = counter_bound
            || test.is_some_and(|t| {
                t.any(&|e| {
                    e.dotted().is_some_and(|d| names::has_word(&d, &["connected", "success", "acquired", "succeeded"]))
                })
            });
    }
    if !(failure_driven || result_driven) {
        return None;
    }
    // `for i in range(10): try: os.fstat(fd + i)`: each iteration tries a different candidate (a search),
    // unless the variable is an attempt counter handed on for logging or backoff.
    if let Some(var) = loop_var {
        if !names::is_attempt_name(var) && loop_var_feeds_call(body, var) {
            return None;
        }
    }
    let bounded = range_bound || counter_bound;
    let verdict = if deadline_bound && !bounded {
        Some(LoopVerdict::ReadinessProbe)
    } else if bounded {
        if !has_sleep && !failure_driven {
            None
        } else {
            Some(LoopVerdict::Retry)
        }
    } else if has_sleep && (is_while || for_iter.is_some()) {
        Some(LoopVerdict::Retry) // unbounded retry: reported with a note
    } else {
        None
    };
    Some(Decision { failure_driven, result_driven, bounded, verdict })
}

/// `while self._running`, `while not self._stop_event.is_set()`, `while not shutdown`.
fn is_monitor_condition(test: &Expr) -> bool {
    let mut flag = false;
    test.walk(&mut |e| {
        let name = match &e.kind {
            ExprKind::Name(n) => Some(n.as_str()),
            ExprKind::Attribute { attr, .. } => Some(attr.as_str()),
            _ => None,
        };
        if let Some(n) = name {
            if names::is_running_flag(n) && !names::is_attempt_name(n) {
                flag = true;
            }
        }
    });
    flag
}

/// The right-hand side of `attempt < max_attempts`.
/// The number of attempts a counter test allows, as an expression: `attempt < N` -> N, `attempt <= N` -> N + 1
/// (a counter starting at 0). Other comparisons say nothing certain.
fn comparator_bound(test: &Expr) -> Option<Expr> {
    let mut out = None;
    test.walk(&mut |e| {
        if out.is_none() {
            if let ExprKind::Compare { left, ops, comparators } = &e.kind {
                let (Some(op), Some(right)) = (ops.first(), comparators.first()) else { return };
                let (bound, inclusive) = if names::is_attempt_ref(left) {
                    match op {
                        CmpOp::Lt => (right.clone(), false),
                        CmpOp::LtE => (right.clone(), true),
                        _ => return,
                    }
                } else if names::is_attempt_ref(right) {
                    match op {
                        CmpOp::Gt => ((**left).clone(), false),
                        CmpOp::GtE => ((**left).clone(), true),
                        _ => return,
                    }
                } else {
                    return;
                };
                let one = Expr { span: bound.span, kind: ExprKind::Constant(Constant::Int(1)) };
                out = Some(if inclusive { synthetic(bound, BinOp::Add, one) } else { bound });
            }
        }
    });
    out
}

/// `left op right` built by the analysis (spans of `left`), for bound arithmetic.
fn synthetic(left: Expr, op: BinOp, right: Expr) -> Expr {
    Expr { span: left.span, kind: ExprKind::BinOp { left: Box::new(left), op, right: Box::new(right) } }
}

/// An `if` that tests an attempt counter and leaves the loop: `if attempt >= max: raise`. The counter is one by
/// its name, or by what the loop does with it (`gives_up_after_failures`).
fn has_counter_guard(body: &[Stmt]) -> bool {
    counter_guard(body, &names::is_attempt_ref) || gives_up_after_failures(body)
}

/// An `if` that tests a count of consecutive failures and leaves the loop: the loop counts it up by one and
/// starts it again at zero on success (`failures += 1` ... `failures = 0` ... `if failures >= MAX: return`).
fn gives_up_after_failures(body: &[Stmt]) -> bool {
    let consecutive = consecutive_counts(body);
    !consecutive.is_empty()
        && counter_guard(body, &|n| {
            matches!(n.kind, ExprKind::Name(_) | ExprKind::Attribute { .. })
                && n.dotted().is_some_and(|d| consecutive.contains(&d))
        })
}

/// An `if` whose test reads a counter (`is_counter`) and whose branches leave the loop.
fn counter_guard(body: &[Stmt], is_counter: &dyn Fn(&Expr) -> bool) -> bool {
    let mut found = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::If { test, body: then, orelse } = &s.kind {
            let tests_counter = test.any(is_counter);
            let leaves = then
                .iter()
                .chain(orelse.iter())
                .any(|t| matches!(t.kind, StmtKind::Raise { .. } | StmtKind::Return(_) | StmtKind::Break));
            if tests_counter && leaves {
                found = true;
            }
        }
    });
    found
}

/// Names the block counts up by one (`failures += 1`, `self._connection_attempts += 1`).
fn counted_up(body: &[Stmt]) -> HashSet<String> {
    let mut up = HashSet::default();
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::AugAssign { target, op: BinOp::Add, value } = &s.kind {
            if matches!(value.kind, ExprKind::Constant(Constant::Int(1))) {
                up.extend(target.dotted());
            }
        }
    });
    up
}

/// Names the block counts up by one and sets back to zero (`failures += 1`, `failures = 0`).
fn consecutive_counts(body: &[Stmt]) -> HashSet<String> {
    let mut zeroed = HashSet::default();
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Assign { targets, value } = &s.kind {
            if matches!(value.kind, ExprKind::Constant(Constant::Int(0))) {
                zeroed.extend(targets.iter().filter_map(Expr::dotted));
            }
        }
    });
    let mut up = counted_up(body);
    up.retain(|n| zeroed.contains(n));
    up
}

/// The loop stops once its operation succeeds: a `try` whose body ends the loop (`break`, `return value`) and
/// whose handler goes on to the next round, and a wait between rounds. A monitor's job never ends the loop.
fn exits_on_success(ctx: &FileContext, body: &[Stmt], class: Option<&str>) -> bool {
    fn ends_loop(block: &[Stmt]) -> bool {
        block.iter().any(|s| match &s.kind {
            StmtKind::Break => true,
            StmtKind::Return(Some(v)) => !matches!(v.kind, ExprKind::Constant(Constant::None | Constant::Bool(false))),
            StmtKind::With { body, .. } => ends_loop(body),
            _ => false,
        })
    }
    let mut found = false;
    let mut waits = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Try { body: tbody, handlers, .. } = &s.kind {
            let continuing = handlers.iter().any(|h| !is_control_flow_handler(h) && !always_leaves(&h.body));
            if continuing && ends_loop(tbody) {
                found = true;
            }
        }
    });
    if found {
        walk_exprs(body, false, &mut |e| {
            if let Some((func, _, _)) = e.as_call() {
                waits = waits || sleeps::is_sleep(ctx, func) || sleeps::helper_sleeps(ctx, func, class, 2);
            }
        });
    }
    found && waits
}

/// The loop counts its attempts (`self._connection_attempts += 1`), waits a delay that grows with that count
/// (`2 ** self._connection_attempts`, in the wait or in the helper that waits), and an `except` handler gives up
/// on some path (`raise` after `if recoverable: wait; continue`).
fn counted_backoff_gives_up(ctx: &FileContext, body: &[Stmt], class: Option<&str>) -> bool {
    let counted = counted_up(body);
    if counted.is_empty() {
        return false;
    }
    let grows_with_count = |e: &Expr| {
        e.any(&|x| match &x.kind {
            ExprKind::BinOp { op: BinOp::Pow | BinOp::Mult | BinOp::LShift, left, right } => {
                [left, right].iter().any(|o| o.any(&|y| y.dotted().is_some_and(|d| counted.contains(&d))))
            }
            _ => false,
        })
    };
    let mut gives_up = false;
    let mut backs_off = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Try { handlers, .. } = &s.kind {
            for h in handlers.iter().filter(|h| !is_control_flow_handler(h)) {
                let mut leaves_somewhere = false;
                walk_stmts(&h.body, false, &mut |x| {
                    leaves_somewhere =
                        leaves_somewhere || matches!(x.kind, StmtKind::Raise { .. } | StmtKind::Return(_));
                });
                gives_up = gives_up || (leaves_somewhere && !always_leaves(&h.body));
                walk_exprs(&h.body, false, &mut |e| {
                    let Some((func, args, kws)) = e.as_call() else { return };
                    if sleeps::is_sleep(ctx, func) {
                        backs_off = backs_off || args.iter().chain(kws.iter().map(|k| &k.value)).any(grows_with_count);
                    } else {
                        backs_off = backs_off
                            || ctx.callees(func, class).iter().any(|c| {
                                let mut sleeps_there = false;
                                let mut grows = false;
                                walk_exprs(&c.def.body, false, &mut |x| {
                                    sleeps_there =
                                        sleeps_there || x.as_call().is_some_and(|(g, _, _)| sleeps::is_sleep(ctx, g));
                                    grows = grows || grows_with_count(x);
                                });
                                sleeps_there && grows
                            });
                    }
                });
            }
        }
    });
    gives_up && backs_off
}

/// `await self._read_connection(conn) == "reconnect"` where an `except` handler of `_read_connection` returns
/// `"reconnect"`: the attempt's failure keeps the loop going. The attempt's name.
fn attempt_fails_into_test(ctx: &FileContext, test: &Expr, class: Option<&str>) -> Option<String> {
    let ExprKind::Compare { left, ops, comparators } = &test.unawait().kind else { return None };
    let (Some(CmpOp::Eq), [value]) = (ops.first(), comparators.as_slice()) else { return None };
    let ExprKind::Constant(wanted) = &value.kind else { return None };
    let (func, _, _) = left.as_call()?;
    let answers = ctx.callees(func, class).iter().any(|c| {
        let mut found = false;
        walk_stmts(&c.def.body, false, &mut |s| {
            if let StmtKind::Try { handlers, .. } = &s.kind {
                for h in handlers.iter().filter(|h| !is_control_flow_handler(h)) {
                    walk_stmts(&h.body, false, &mut |x| {
                        if let StmtKind::Return(Some(v)) = &x.kind {
                            found = found || matches!(&v.kind, ExprKind::Constant(c) if c == wanted);
                        }
                    });
                }
            }
        });
        found
    });
    answers.then(|| func.last_name().unwrap_or_default().to_string())
}

/// Names the block decrements by an integer constant (`remaining -= 1`, `tries_left -= 1`).
fn counted_down(body: &[Stmt]) -> HashSet<String> {
    let mut out = HashSet::default();
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::AugAssign { target, op: BinOp::Sub, value } = &s.kind {
            if matches!(value.kind, ExprKind::Constant(Constant::Int(_))) {
                if let Some(d) = target.dotted() {
                    out.insert(d);
                }
            }
        }
    });
    out
}

/// The loop body binds a name, at its own level, to a value drawn fresh each time (`next(names)`, a random or
/// unique token), and a `try` of the body reads that name: each attempt is on a different value.
fn draws_fresh_candidate(ctx: &FileContext, body: &[Stmt]) -> bool {
    let fresh = |value: &Expr| {
        value.any(&|e| {
            e.as_call().is_some_and(|(func, _, _)| {
                let resolved = ctx.resolve(func).unwrap_or_default();
                resolved == "next"
                    || resolved == "os.urandom"
                    || ["random.", "uuid.", "secrets."].iter().any(|m| resolved.starts_with(m))
            })
        })
    };
    // What is computed from a drawn value is drawn too (`file = os.path.join(dir, pre + name + suf)`).
    let mut drawn: Vec<String> = Vec::new();
    for s in body {
        if let StmtKind::Assign { targets, value } = &s.kind {
            if fresh(value) || value.any(&|e| e.dotted().is_some_and(|d| drawn.contains(&d))) {
                drawn.extend(targets.iter().filter_map(Expr::dotted));
            }
        }
    }
    if drawn.is_empty() {
        return false;
    }
    let mut reads = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Try { body: attempt, .. } = &s.kind {
            walk_exprs(attempt, false, &mut |e| reads |= e.dotted().is_some_and(|d| drawn.contains(&d)));
        }
    });
    reads
}

/// Walk expressions of a loop body without entering nested defs.
fn walk_loop_body<'a>(body: &'a [Stmt], f: &mut dyn FnMut(&'a Expr)) {
    walk_exprs(body, false, f);
}

/// The delay grows: `delay *= 2`, `delay = min(delay * 2, cap)`, `sleep(base * 2 ** attempt)`.
fn grows_delay(body: &[Stmt], sleep_arg: Option<&Expr>, loop_var: Option<&str>) -> bool {
    let arith = |e: &Expr| {
        e.any(&|x| matches!(x.kind, ExprKind::BinOp { op: BinOp::Pow | BinOp::Mult | BinOp::LShift, .. }))
            || e.any(&|x| x.as_call().and_then(|(f, _, _)| f.last_name()).is_some_and(|n| n == "pow"))
    };
    if let Some(arg) = sleep_arg {
        if arith(arg) {
            return true;
        }
        if let Some(var) = loop_var {
            if arg.any(&|x| x.dotted().as_deref() == Some(var)) {
                return true;
            }
        }
        if let Some(name) = arg.dotted() {
            let mut grows = false;
            walk_stmts(body, false, &mut |s| match &s.kind {
                StmtKind::AugAssign { target, op: BinOp::Mult | BinOp::Add | BinOp::Pow, .. }
                    if target.dotted().as_deref() == Some(&name) =>
                {
                    grows = true
                }
                StmtKind::Assign { targets, value }
                    if targets.iter().any(|t| t.dotted().as_deref() == Some(&name))
                        && (arith(value) || value.as_call().is_some()) =>
                {
                    grows = true
                }
                _ => {}
            });
            return grows;
        }
        // `sleep(self._backoff(attempt))`: a computed delay.
        if arg.as_call().is_some() {
            return true;
        }
    }
    false
}

#[derive(Default, Debug)]
struct Exits {
    /// An except handler that does not unconditionally leave the loop.
    continuing_handler: bool,
    /// return/break on the success path not guarded by any test.
    success_exit: bool,
    /// return/break guarded by a positive truthiness test of a result (`if ok:`, `if conn is not None:`).
    result_exit: bool,
    /// return/break guarded by a comparison with a state (`if status == "done":`).
    state_exit: bool,
}

/// Does an except handler of the body ask a retry decision (`should_recover(exc)`, `is_retryable(e)`)?
fn handler_decides(body: &[Stmt]) -> bool {
    let mut found = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Try { handlers, .. } = &s.kind {
            for h in handlers {
                walk_exprs(&h.body, false, &mut |e| {
                    if let Some(n) = e.as_call().and_then(|(func, _, _)| func.last_name()) {
                        let n = n.trim_start_matches('_');
                        if names::is_decision_name(n) || n.starts_with("should_recover") || n.starts_with("can_recover")
                        {
                            found = true;
                        }
                    }
                });
            }
        }
    });
    found
}

fn classify_exits(body: &[Stmt], flag: Option<(&str, bool)>) -> Exits {
    let mut ex = Exits::default();
    // Names the loop assigns from a call: `ok = await self.connect()`, `conn = pool.acquire()`.
    let mut results = HashSet::default();
    walk_stmts(body, false, &mut |s| {
        let (targets, value): (Vec<&Expr>, &Expr) = match &s.kind {
            StmtKind::Assign { targets, value } => (targets.iter().collect(), value),
            StmtKind::AnnAssign { target, value: Some(value), .. } => (vec![target], value),
            _ => return,
        };
        if value.any(&|e| matches!(e.kind, ExprKind::Call { .. })) {
            for t in targets {
                let mut add = |e: &Expr| {
                    if let Some(d) = e.dotted() {
                        results.insert(d);
                    }
                };
                match &t.kind {
                    ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().for_each(&mut add),
                    _ => add(t),
                }
            }
        }
    });
    // `try: send(); return None` / `except E as e: ...; return e`: the caller gets the error, so `None` is success.
    let mut error_returned = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Try { handlers, .. } = &s.kind {
            for h in handlers {
                let bound = h.name.as_deref();
                walk_stmts(&h.body, false, &mut |x| {
                    if let StmtKind::Return(Some(v)) = &x.kind {
                        if bound.is_some() && v.dotted().as_deref() == bound {
                            error_returned = true;
                        }
                    }
                });
            }
        }
    });
    scan_block(body, &mut ex, Guard::None, false, &Scope { results: &results, flag, none_is_success: error_returned });
    ex
}

/// What the exit scan knows of the loop: names assigned from calls, and the loop's flag with the value that
/// stops it.
struct Scope<'a> {
    results: &'a HashSet<String>,
    flag: Option<(&'a str, bool)>,
    /// Handlers return the error they caught, so `return None` on the success path is success.
    none_is_success: bool,
}

/// The stronger of two nested guards: a state test anywhere on the path makes the exit a poll's, and a result
/// test under ordinary branching (`if stream: ... if not _should_retry(response): return`) is still a result's.
fn combine(outer: Guard, inner: Guard) -> Guard {
    let rank = |g: Guard| match g {
        Guard::None => 0,
        Guard::Other => 1,
        Guard::Result => 2,
        Guard::State => 3,
    };
    if rank(inner) > rank(outer) {
        inner
    } else {
        outer
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Guard {
    None,
    Result,
    State,
    Other,
}

fn guard_of(test: &Expr, results: &HashSet<String>) -> Guard {
    match &test.kind {
        // A name tested for truth is a result only when the loop assigned it from a call (`ok = connect()`);
        // a flag set elsewhere (`if instance.flag: return`) is a state being polled.
        ExprKind::Name(n) => {
            if names::is_state_name(n) {
                Guard::State
            } else if results.contains(n.as_str()) {
                Guard::Result
            } else {
                Guard::Other
            }
        }
        ExprKind::Attribute { attr, value } => {
            if names::is_state_name(attr) || names::is_running_flag(attr) {
                Guard::State
            } else if test.dotted().is_some_and(|d| results.contains(&d))
                || value.dotted().is_some_and(|d| results.contains(&d))
            {
                Guard::Result
            } else {
                Guard::Other
            }
        }
        ExprKind::Await(_) | ExprKind::Call { .. } => {
            let name = test.unawait().last_name().unwrap_or("");
            if names::has_word(
                name,
                &["is_", "has_", "done", "ready", "status", "state", "running", "alive", "set", "complete", "exists"],
            ) {
                Guard::State
            } else {
                Guard::Result
            }
        }
        ExprKind::Compare { ops, comparators, left } => {
            let against_state = comparators.iter().chain(std::iter::once(&**left)).any(|c| {
                c.as_str().is_some()
                    || c.dotted().is_some_and(|d| {
                        names::is_state_name(&d) || d.chars().last().is_some_and(|ch| ch.is_ascii_uppercase())
                    })
            });
            let tested_result =
                left.dotted().is_some_and(|d| results.contains(&d)) || left.unawait().as_call().is_some();
            // `response.status_code == 200` on a response the loop just got: its outcome, not a state polled for
            // (a poll compares a status with a name: `job.state == "DONE"`).
            let status_number = left.dotted().is_some_and(|d| {
                names::has_word(&d, &["status_code", "status"])
                    && d.rsplit_once('.').is_some_and(|(recv, _)| results.contains(recv))
            }) && comparators.iter().all(|c| match &c.kind {
                ExprKind::Constant(Constant::Int(_)) => true,
                ExprKind::Tuple(items) | ExprKind::List(items) => {
                    items.iter().all(|i| matches!(i.kind, ExprKind::Constant(Constant::Int(_))))
                }
                _ => false,
            });
            if status_number {
                return Guard::Result;
            }
            match ops.first() {
                Some(CmpOp::IsNot)
                    if comparators.first().is_some_and(|c| matches!(c.kind, ExprKind::Constant(Constant::None))) =>
                {
                    if tested_result {
                        Guard::Result
                    } else {
                        Guard::Other
                    }
                }
                Some(CmpOp::Eq | CmpOp::In | CmpOp::NotEq | CmpOp::NotIn) if against_state => Guard::State,
                Some(CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE)
                    if left.dotted().is_some_and(|d| names::has_word(&d, &["status_code", "status"])) =>
                {
                    Guard::Result
                }
                _ => Guard::Other,
            }
        }
        // `if not self.should_reject(attempt): return attempt.get()`
        ExprKind::UnaryNot(inner) if inner.unawait().as_call().is_some() => {
            let name = inner.unawait().last_name().unwrap_or("");
            if names::is_state_name(name) || names::is_running_flag(name) {
                Guard::State
            } else {
                Guard::Result
            }
        }
        ExprKind::BoolOp { values, .. } => {
            let gs: Vec<Guard> = values.iter().map(|v| guard_of(v, results)).collect();
            if gs.contains(&Guard::State) {
                Guard::State
            } else if gs.iter().all(|g| *g == Guard::Result) {
                Guard::Result
            } else {
                Guard::Other
            }
        }
        _ => Guard::Other,
    }
}

fn leaves(s: &Stmt) -> bool {
    matches!(s.kind, StmtKind::Return(_) | StmtKind::Break | StmtKind::Raise { .. })
}

fn record_exit(ex: &mut Exits, guard: Guard) {
    match guard {
        Guard::None => ex.success_exit = true,
        Guard::Result => ex.result_exit = true,
        Guard::State => ex.state_exit = true,
        Guard::Other => {}
    }
}

/// Walk a block of the loop body (not nested loops' bodies for exits, not nested defs).
fn scan_block(body: &[Stmt], ex: &mut Exits, guard: Guard, in_handler: bool, sc: &Scope) {
    let results = sc.results;
    for s in body {
        match &s.kind {
            StmtKind::Return(v) if !in_handler => {
                // `return None`/`return False` is not success.
                let failure = v.as_ref().is_none_or(|e| match e.kind {
                    ExprKind::Constant(Constant::Bool(false)) => true,
                    ExprKind::Constant(Constant::None) => !sc.none_is_success,
                    _ => false,
                });
                if !failure {
                    // Returning a value under ordinary branching (`if len(nodes) == 1: return ret`) is still the
                    // success path; only state tests make it a poll.
                    record_exit(ex, if guard == Guard::Other { Guard::None } else { guard })
                } else if v.is_none() {
                    record_exit(ex, guard)
                }
            }
            StmtKind::Break if !in_handler => record_exit(ex, guard),
            // The loop's own flag set to its stopping value on the success path (`retry_active = False`).
            StmtKind::Assign { targets, value } if !in_handler => {
                if let (Some((flag, stop)), ExprKind::Constant(Constant::Bool(b))) = (sc.flag, &value.kind) {
                    if *b == stop && targets.iter().any(|t| t.dotted().as_deref() == Some(flag)) {
                        record_exit(ex, guard);
                    }
                }
            }
            StmtKind::If { test, body: then, orelse } => {
                let g = combine(guard, guard_of(test, results));
                scan_block(then, ex, g, in_handler, sc);
                // `if not ok: sleep; continue` then falls through to success: the else-path is unguarded.
                // The else-path of a result test is still decided by the result (`if predicate(ret): ...
                // sleep; continue else: break`); of anything else it is ordinary branching.
                let else_guard = match &test.kind {
                    ExprKind::UnaryNot(inner) => combine(guard, guard_of(inner, results)),
                    // ... but only for a predicate call: `if data: ... else: break` exits on a *falsy* result
                    // (end of stream), which is a read loop, not a retry.
                    ExprKind::Call { .. } | ExprKind::Await(_) => match guard_of(test, results) {
                        g @ (Guard::Result | Guard::State) => combine(guard, g),
                        _ => combine(guard, Guard::Other),
                    },
                    _ => combine(guard, Guard::Other),
                };
                scan_block(orelse, ex, else_guard, in_handler, sc);
            }
            StmtKind::Try { body: tbody, handlers, orelse, finalbody } => {
                scan_block(tbody, ex, guard, in_handler, sc);
                for h in handlers {
                    if is_control_flow_handler(h) {
                        continue;
                    }
                    // `except E: if budget_left(): sleep(); continue` then `raise`: it re-attempts on one path.
                    if !always_leaves(&h.body) {
                        ex.continuing_handler = true;
                    }
                    scan_block(&h.body, ex, guard, true, sc);
                }
                scan_block(orelse, ex, guard, in_handler, sc);
                scan_block(finalbody, ex, guard, in_handler, sc);
            }
            StmtKind::With { body: b, .. } => scan_block(b, ex, guard, in_handler, sc),
            // Exits of nested loops leave only those loops.
            StmtKind::For { .. } | StmtKind::While { .. } | StmtKind::FunctionDef(_) | StmtKind::ClassDef(_) => {}
            StmtKind::Other { body: b, .. } => scan_block(b, ex, guard, in_handler, sc),
            _ => {}
        }
    }
}

/// A handler body that leaves the loop whatever happens (`raise` at its top, no `continue` on another path).
fn always_leaves(body: &[Stmt]) -> bool {
    body.iter().any(leaves) && !continues(body)
}

/// A `continue` of the enclosing loop somewhere in the block (not in a nested loop or definition).
pub(crate) fn continues(body: &[Stmt]) -> bool {
    body.iter().any(|s| match &s.kind {
        StmtKind::Continue => true,
        StmtKind::For { .. } | StmtKind::While { .. } | StmtKind::FunctionDef(_) | StmtKind::ClassDef(_) => false,
        _ => s.blocks(false).iter().any(|b| continues(b)),
    })
}

/// Handlers for `StopIteration`, `StopAsyncIteration`, `KeyError` ... are control flow, not failure recovery.
pub(crate) fn is_control_flow_handler(h: &Handler) -> bool {
    let is_cf = |e: &Expr| {
        e.last_name().is_some_and(|n| {
            // "No data yet" errors make a loop a poll for data, not a retry of a failed operation.
            n.contains("Empty") || names::CONTROL_FLOW_EXCEPTIONS.contains(&n)
        })
    };
    match h.type_.as_ref().map(|t| &t.kind) {
        Some(ExprKind::Tuple(items)) => !items.is_empty() && items.iter().all(is_cf),
        Some(_) => h.type_.as_ref().is_some_and(is_cf),
        None => false,
    }
}

/// A tuple or list of two or more numbers (a `None` allowed for "no more waits"): a delay schedule.
fn is_written_schedule(iter: &Expr) -> bool {
    let (ExprKind::Tuple(items) | ExprKind::List(items)) = &iter.kind else { return false };
    let number = |e: &Expr| matches!(e.kind, ExprKind::Constant(Constant::Int(_) | Constant::Float(_)));
    items.iter().filter(|e| number(e)).count() >= 2
        && items.iter().all(|e| number(e) || matches!(e.kind, ExprKind::Constant(Constant::None)))
}

/// Does the loop variable feed a call attempted inside a `try` (`try: os.fstat(fd + i)`)?
fn loop_var_feeds_call(body: &[Stmt], var: &str) -> bool {
    let mut found = false;
    walk_stmts(body, false, &mut |s| {
        if let StmtKind::Try { body: tbody, .. } = &s.kind {
            walk_exprs(tbody, false, &mut |e| {
                if let ExprKind::Call { args, keywords, .. } = &e.kind {
                    let uses = |a: &Expr| a.any(&|x| x.dotted().as_deref() == Some(var));
                    if args.iter().any(uses) || keywords.iter().any(|k| k.arg.is_none() && uses(&k.value)) {
                        found = true;
                    }
                }
            });
        }
    });
    found
}
