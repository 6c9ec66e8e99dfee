//! A dry run of a retry loop against an operation that always fails: how many attempts the loop makes and
//! what it waits after each failure, read from what the code does (the loop bound, `range(start, stop)`,
//! `while attempt < n` or `<=`, where the counter starts and where it moves, the guards that give up, the
//! delay arithmetic and the variables that feed it) rather than from what its names say (`max_retries` is
//! the number of attempts of one loop and of retries of the next).
//!
//! The run is concrete. Numbers come from literals, parameter defaults, module constants and `__init__`
//! assignments. A bound whose value is nowhere visible (`range(self.config.max_retries)`) is read as two
//! probe values in turn: when the count follows one name one for one, the count is that name plus a constant.

use super::context::{FileContext, FnInfo};
use super::loops::{continues, is_control_flow_handler};
use super::{params, sleeps};
use crate::syntax::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeSet;

/// Past this many attempts the loop does not give up on its own, as far as its code shows. A run with probe
/// values goes further, past the largest probe.
const ITERATION_LIMIT: u32 = 200;
const PROBED_ITERATION_LIMIT: u32 = 200;
/// The values a bound nowhere visible is read as: larger than the literal bounds retry loops combine one with
/// (a safety cap of 50), small enough that the probed runs (several per unresolved name, every round executing
/// the loop body) stay a small part of a scan.
const PROBES: [f64; 2] = [60.0, 140.0];
/// Failures run to read the delay arithmetic: enough for the growth to reach a cap it has.
const DELAY_ROUNDS: u32 = 40;

/// How many attempts a loop makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempts {
    Known(u32),
    /// A count that follows a value the code does not show, as its expression (`max_retries + 1`).
    Expr(String),
}

/// What the loop does when every attempt fails.
#[derive(Debug, Default)]
pub struct DryRun {
    pub attempts: Option<Attempts>,
    /// The waits after failed attempts 1, 2, ... while they are numbers (the run goes on past the loop's own
    /// limit, so the arithmetic shows even in a two-attempt loop).
    pub delays: Vec<f64>,
}

/// Run one loop statement of `host` (the function it is in); names are also resolved against `def` (the
/// decorator factory whose parameters a nested wrapper's loop reads).
pub fn run(ctx: &FileContext, host: Option<&FunctionDef>, def: Option<&FunctionDef>, stmt: &Stmt) -> DryRun {
    let machine = |mode| Machine::new(ctx, host, def, stmt, mode);
    let mut explore = machine(Mode::Explore(HashMap::default()));
    explore.run_loop(stmt);
    let delays = explore.delays.iter().map_while(|d| *d).collect();
    DryRun { attempts: count_attempts(&machine, &|m: &mut Machine| m.run_loop(stmt)), delays }
}

/// A knob of a loop's schedule as the code spells it: a number, or a name the caller passes (a parameter, a
/// `self.` attribute), possibly scaled.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Number(f64),
    Name(String),
    Scaled(String, f64),
}

/// A loop's policy in the names of its own scope: what a shim that replaces the loop passes on.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolicRun {
    pub attempts: Option<Attempts>,
    pub base: Option<Term>,
    /// `fixed`, `linear`, `exponential` (`None`: no wait, or not read).
    pub strategy: Option<&'static str>,
    pub multiplier: Option<Term>,
    pub cap: Option<Term>,
    /// The loop waits between attempts at all.
    pub waits: bool,
}

/// `run`, reading parameters and `self.` attributes as the caller's values (by name) rather than their
/// defaults. The delays are read twice with two sets of probe values for the names they follow: a knob that
/// moves with one name one for one is that name (or a multiple of it), one that does not move is a number.
pub fn run_symbolic(
    ctx: &FileContext,
    host: Option<&FunctionDef>,
    def: Option<&FunctionDef>,
    stmt: &Stmt,
) -> SymbolicRun {
    let machine = |mode| {
        let mut m = Machine::empty(ctx, host, def, mode, None);
        m.symbolic = true;
        if let Some(h) = host {
            m.assign_before(&h.body, stmt.span);
        }
        m.delays.clear();
        m
    };
    let attempts = count_attempts(&machine, &|m: &mut Machine| m.run_loop(stmt));
    let mut first = machine(Mode::Explore(HashMap::default()));
    first.run_loop(stmt);
    let waits = !first.delays.is_empty();
    let names: Vec<String> = std::mem::take(&mut first.unresolved).into_iter().collect();
    const SET_A: [f64; 6] = [3.0, 5.0, 7.0, 11.0, 13.0, 17.0];
    const SET_B: [f64; 6] = [19.0, 23.0, 29.0, 31.0, 37.0, 41.0];
    let probe = |set: &[f64; 6]| {
        let values: HashMap<String, f64> = names.iter().cloned().zip(set.iter().copied()).collect();
        let mut m = machine(Mode::Explore(values));
        m.run_loop(stmt);
        let delays: Vec<f64> = m.delays.iter().map_while(|d| *d).collect();
        read_schedule(&delays)
    };
    let mut out = SymbolicRun { attempts, base: None, strategy: None, multiplier: None, cap: None, waits };
    if names.len() > SET_A.len() {
        return out;
    }
    let (Some(a), Some(b)) = (probe(&SET_A), probe(&SET_B)) else { return out };
    if a.strategy != b.strategy {
        return out;
    }
    let term = |x: f64, y: f64| -> Option<Term> {
        if close(x, y) {
            return Some(Term::Number(x));
        }
        names.iter().enumerate().find_map(|(i, n)| {
            let (k1, k2) = (x / SET_A[i], y / SET_B[i]);
            close(k1, k2).then(|| if close(k1, 1.0) { Term::Name(n.clone()) } else { Term::Scaled(n.clone(), k1) })
        })
    };
    out.base = term(a.base, b.base);
    out.strategy = a.strategy;
    out.multiplier = match (a.multiplier, b.multiplier) {
        (Some(x), Some(y)) => term(x, y),
        _ => None,
    };
    out.cap = match (a.cap, b.cap) {
        (Some(x), Some(y)) => term(x, y),
        (None, None) => None,
        _ => return SymbolicRun { base: None, ..out },
    };
    out
}

/// Run a function that retries by calling itself with its attempt counter moved on (`if retries_taken <
/// max_retries: return self._request(..., retries_taken + 1)`): each call is one attempt.
pub fn run_recursion(ctx: &FileContext, f: &FnInfo) -> DryRun {
    let Some(counter) = recursion_counter(ctx, f) else { return DryRun::default() };
    let machine = |mode| Machine::recursing(ctx, f, &counter, mode);
    let mut explore = machine(Mode::Explore(HashMap::default()));
    explore.run_calls(f.def);
    let delays = explore.delays.iter().map_while(|d| *d).collect();
    let attempts = count_attempts(&|mode| machine(mode), &|m: &mut Machine| m.run_calls(f.def));
    DryRun { attempts, delays }
}

/// The parameter a function's call of itself moves on (`retries_taken + 1`, `attempt - 1`).
pub fn recursion_counter(ctx: &FileContext, f: &FnInfo) -> Option<String> {
    let mut found = None;
    walk_exprs(&f.def.body, false, &mut |e| {
        let Some((func, args, kws)) = e.as_call() else { return };
        if found.is_some() || !calls_itself(ctx, f, func) {
            return;
        }
        let skip = usize::from(is_method_call(f, func));
        let positional = args.iter().zip(f.def.params.iter().skip(skip)).map(|(a, p)| (p.name.as_str(), a));
        let named = kws.iter().filter_map(|k| Some((k.arg.as_deref()?, &k.value)));
        found = positional.chain(named).find(|(name, arg)| moves_on(arg, name)).map(|(name, _)| name.to_string());
    });
    found
}

/// `counter + 1` / `counter - 1`.
fn moves_on(arg: &Expr, counter: &str) -> bool {
    matches!(&arg.kind, ExprKind::BinOp { left, op: BinOp::Add | BinOp::Sub, right }
        if left.dotted().as_deref() == Some(counter) && right.as_number().is_some())
}

fn calls_itself(ctx: &FileContext, f: &FnInfo, func: &Expr) -> bool {
    ctx.callees(func, f.class).iter().any(|c| std::ptr::eq(c.def, f.def))
}

/// `self.m(...)` of a method: the call's first argument binds the second parameter.
fn is_method_call(f: &FnInfo, func: &Expr) -> bool {
    f.class.is_some() && matches!(func.kind, ExprKind::Attribute { .. })
}

/// The attempt count: concrete when the loop ends on what the run knows (what it does not know was taken to
/// go on retrying), else the one unseen name the count follows one for one. A count that probe values make
/// without following one of them (a probe read as a flag that ends the loop) is no count.
fn count_attempts<'a>(
    machine: &dyn Fn(Mode) -> Machine<'a>,
    run: &dyn Fn(&mut Machine<'a>) -> Option<u32>,
) -> Option<Attempts> {
    let mut first = machine(Mode::Count(HashMap::default()));
    if let Some(n) = run(&mut first) {
        return Some(Attempts::Known(n));
    }
    let free = std::mem::take(&mut first.unresolved);
    let probed = |raised: Option<&str>| {
        let values = free.iter().map(|n| (n.clone(), if Some(n.as_str()) == raised { PROBES[1] } else { PROBES[0] }));
        run(&mut machine(Mode::Count(values.collect())))
    };
    let low = probed(None)?;
    // Each name raised once: the count of the one that moves it is the answer's too.
    let moving: Vec<(&String, Option<u32>)> =
        free.iter().map(|n| (n, probed(Some(n.as_str())))).filter(|(_, count)| *count != Some(low)).collect();
    match moving.as_slice() {
        [(name, count)] if *count == Some(low + (PROBES[1] - PROBES[0]) as u32) => {
            Some(Attempts::Expr(with_offset(name, i64::from(low) - PROBES[0] as i64)))
        }
        _ => None,
    }
}

/// The dotted name of a name or an attribute chain, borrowed for a plain name: the run looks names up and
/// binds them every round, most of them plain.
fn dotted_name(e: &Expr) -> Option<std::borrow::Cow<'_, str>> {
    match &e.kind {
        ExprKind::Name(n) => Some(std::borrow::Cow::Borrowed(n.as_str())),
        _ => e.dotted().map(std::borrow::Cow::Owned),
    }
}

/// `max_retries`, `max_retries + 1`, `max_retries - 1`.
fn with_offset(name: &str, offset: i64) -> String {
    match offset {
        0 => name.to_string(),
        o if o > 0 => format!("{name} + {o}"),
        o => format!("{name} - {}", -o),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Count attempts until the loop gives up; unresolved names read as the given probe values.
    Count(HashMap<String, f64>),
    /// Never give up (neither the loop's bound nor a give-up guard is taken), to read the delay arithmetic;
    /// unresolved names read as the given probe values (none: unknown).
    Explore(HashMap<String, f64>),
}

/// What a round of the run leaves that the next round reads: the names assigned, assigned `None`, holding a
/// caught exception.
type State = (HashMap<String, Option<f64>>, HashSet<String>, HashSet<String>);

/// How a block of the loop body ended on the failure path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flow {
    Next,
    Continue,
    /// The loop is left (`raise`, `return`, `break`): the attempt just made was the last.
    Exit,
    /// The function called itself for the next attempt.
    Recurse,
}

/// A function retrying by recursion, and the parameter that counts its attempts.
struct Recursion<'a> {
    f: &'a FnInfo<'a>,
    counter: String,
}

struct Machine<'a> {
    ctx: &'a FileContext<'a>,
    host: Option<&'a FunctionDef>,
    def: Option<&'a FunctionDef>,
    mode: Mode,
    /// Names assigned so far; `None` for a value the run cannot know (a call's result).
    env: HashMap<String, Option<f64>>,
    /// Names assigned Python's `None` (`error_to_retry = None`).
    nones: HashSet<String>,
    /// Names holding the exception a handler caught (never `None`): `except E as err: last_error = err`.
    caught: HashSet<String>,
    /// Names read in arithmetic or comparisons that nothing resolved: the candidates of a symbolic count.
    unresolved: BTreeSet<String>,
    /// The first wait of each failed round that waits (`None`: a wait of unknown length).
    delays: Vec<Option<f64>>,
    waited_this_round: bool,
    recursion: Option<Recursion<'a>>,
    /// Answers of the structural questions (`leaves`, `retries_in`, `recovers`, `attempts_operation`) by the
    /// address of the block asked about: they do not change between rounds, and rounds ask them again.
    memo: std::cell::RefCell<HashMap<(usize, usize, Question), bool>>,
    /// What a name the run did not assign resolves to in the code (a default, a constant, an `__init__` or class
    /// assignment): the same every round, and a module-wide search to find.
    visible: HashMap<String, Option<f64>>,
    /// Parameters and `self.` attributes are what a caller passes, not their defaults: left unresolved, so a
    /// count or delay follows them by name (a shim keeps reading them).
    symbolic: bool,
}

/// A structural question about a block, statement or handler (its answer is the same every round).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Question {
    Leaves,
    Retries,
    Recovers,
    Attempts,
    /// Does the expression call a wait (most expressions a loop body evaluates, every round, do not)?
    Waits,
    /// Is the callee a wait (`time.sleep`, `asyncio.sleep`, an in-tree helper that sleeps)?
    Sleep,
}

impl<'a> Machine<'a> {
    fn new(
        ctx: &'a FileContext<'a>,
        host: Option<&'a FunctionDef>,
        def: Option<&'a FunctionDef>,
        stmt: &Stmt,
        mode: Mode,
    ) -> Self {
        let mut m = Machine::empty(ctx, host, def, mode, None);
        if let Some(h) = host {
            m.assign_before(&h.body, stmt.span);
        }
        // Waits before the loop are not the loop's.
        m.delays.clear();
        m
    }

    /// A machine that has run nothing yet.
    fn empty(
        ctx: &'a FileContext<'a>,
        host: Option<&'a FunctionDef>,
        def: Option<&'a FunctionDef>,
        mode: Mode,
        recursion: Option<Recursion<'a>>,
    ) -> Self {
        Machine {
            ctx,
            host,
            def,
            mode,
            env: HashMap::default(),
            nones: HashSet::default(),
            caught: HashSet::default(),
            unresolved: BTreeSet::new(),
            delays: vec![],
            waited_this_round: false,
            recursion,
            memo: Default::default(),
            visible: HashMap::default(),
            symbolic: false,
        }
    }

    fn recursing(ctx: &'a FileContext<'a>, f: &'a FnInfo<'a>, counter: &str, mode: Mode) -> Self {
        let recursion = Recursion { f, counter: counter.to_string() };
        let mut m = Machine::empty(ctx, Some(f.def), Some(f.def), mode, Some(recursion));
        // The first call: the counter's default (a caller that starts it elsewhere is not seen).
        let start = f.def.params.iter().find(|p| p.name == counter).and_then(|p| p.default.as_ref());
        let start = start.and_then(|d| m.eval(d)).unwrap_or(0.0);
        m.env.insert(counter.to_string(), Some(start));
        m
    }

    /// Run the calls of a function retrying by recursion: the attempts made before one does not call again.
    fn run_calls(&mut self, def: &FunctionDef) -> Option<u32> {
        let limit = self.round_limit();
        for attempt in 1..=limit {
            self.waited_this_round = false;
            if self.exec_block(&def.body) != Flow::Recurse {
                return Some(attempt);
            }
        }
        None
    }

    /// The statement calls the function itself: move the counter on to the argument it passes.
    fn recurse(&mut self, e: &Expr) -> Option<Flow> {
        let r = self.recursion.as_ref()?;
        let (f, counter) = (r.f, r.counter.clone());
        let mut call = None;
        e.walk(&mut |x| {
            if let Some((func, args, kws)) = x.as_call() {
                if call.is_none() && calls_itself(self.ctx, f, func) {
                    call = Some((func, args, kws));
                }
            }
        });
        let (func, args, kws) = call?;
        let skip = usize::from(is_method_call(f, func));
        let position = f.def.params.iter().skip(skip).position(|p| p.name == counter);
        let arg = kws.iter().find(|k| k.arg.as_deref() == Some(counter.as_str())).map(|k| &k.value);
        let arg = arg.or_else(|| args.get(position?));
        let next = arg.and_then(|a| self.eval(a));
        self.env.insert(counter, next);
        Some(Flow::Recurse)
    }

    fn round_limit(&self) -> u32 {
        match &self.mode {
            Mode::Explore(_) => DELAY_ROUNDS,
            Mode::Count(probes) if probes.is_empty() => ITERATION_LIMIT,
            Mode::Count(_) => PROBED_ITERATION_LIMIT,
        }
    }

    fn exploring(&self) -> bool {
        matches!(self.mode, Mode::Explore(_))
    }

    /// The assignments the function makes before the loop starts (`attempt = 0`, `delay = self.base_delay`).
    /// One made on only some paths (in an `if`, a handler, another loop) leaves its name unknown.
    fn assign_before(&mut self, block: &[Stmt], loop_span: Span) {
        for s in block {
            if s.span.start >= loop_span.start {
                return;
            }
            let around_loop = s.span.contains(loop_span);
            match &s.kind {
                StmtKind::Assign { .. } | StmtKind::AnnAssign { .. } | StmtKind::AugAssign { .. } => {
                    self.exec(s);
                }
                StmtKind::With { body, .. } => self.assign_before(body, loop_span),
                StmtKind::Try { body, .. } if !around_loop => {
                    self.assign_before(body, loop_span);
                    self.forget_assigned(std::slice::from_ref(s));
                }
                _ if around_loop => {
                    if let Some(b) = s.blocks(false).iter().find(|b| b.iter().any(|x| x.span.contains(loop_span))) {
                        self.assign_before(b, loop_span);
                    }
                }
                _ => self.forget_assigned(std::slice::from_ref(s)),
            }
        }
    }

    /// The names a block may assign become unknown (the values it assigns are not certain).
    fn forget_assigned(&mut self, block: &[Stmt]) {
        walk_stmts(block, false, &mut |s| {
            let targets: Vec<&Expr> = match &s.kind {
                StmtKind::Assign { targets, .. } => targets.iter().collect(),
                StmtKind::AnnAssign { target, .. } | StmtKind::AugAssign { target, .. } => vec![target],
                StmtKind::For { target, .. } => vec![target],
                _ => vec![],
            };
            for t in targets {
                self.bind(t, None);
            }
        });
    }

    /// Run the loop: the attempts it makes before it gives up (`None`: not within the limit, or a bound the
    /// run cannot read).
    fn run_loop(&mut self, stmt: &Stmt) -> Option<u32> {
        let limit = self.round_limit();
        let (body, target, mut values) = match &stmt.kind {
            StmtKind::For { target, iter, body, .. } => (body, Some(target), Some(self.loop_values(iter, limit)?)),
            StmtKind::While { body, .. } => (body, None, None),
            _ => return None,
        };
        // Counting a `while` loop, a round that leaves the names as the round before left them runs again as
        // it did, and so on to the limit: the loop does not give up on its own (`while True` with no counter
        // ran its body the whole limit, in every probed run). Exploring reads every round's wait: no stop.
        let counting = matches!(self.mode, Mode::Count(_)) && values.is_none();
        let mut last_state: Option<State> = None;
        for attempt in 1..=limit {
            match (&stmt.kind, values.as_mut()) {
                (StmtKind::While { test, .. }, _) if !self.exploring() && self.truth(test) == Some(false) => {
                    return Some(attempt - 1);
                }
                (_, Some(values)) => match (values.next(), target) {
                    (Some(v), Some(t)) => self.bind(t, v),
                    _ => return Some(attempt - 1),
                },
                _ => {}
            }
            self.waited_this_round = false;
            if self.exec_block(body) == Flow::Exit {
                return Some(attempt);
            }
            if counting {
                let state = (self.env.clone(), self.nones.clone(), self.caught.clone());
                if last_state.as_ref() == Some(&state) {
                    return None;
                }
                last_state = Some(state);
            }
        }
        None
    }

    /// The values a `for` loop's variable takes: `range(...)`, `itertools.count(...)`, a written-out tuple of
    /// delays, or unknown values without end (an attempts generator). Exploring, a range does not stop.
    fn loop_values(&mut self, iter: &Expr, limit: u32) -> Option<std::vec::IntoIter<Option<f64>>> {
        let endless = |start: f64, step: f64| -> Vec<Option<f64>> {
            (0..=limit).map(|i| Some(start + step * f64::from(i))).collect()
        };
        let values: Vec<Option<f64>> = match (&iter.kind, iter.as_call()) {
            (ExprKind::Tuple(items) | ExprKind::List(items), _) => items.iter().map(|e| e.as_number()).collect(),
            (_, Some((func, args, _))) if func.dotted().as_deref() == Some("range") => {
                let nums: Vec<Option<f64>> = args.iter().map(|a| self.eval(a)).collect();
                let (start, stop, step) = match nums.as_slice() {
                    [stop] => (0.0, *stop, 1.0),
                    [start, stop] => ((*start)?, *stop, 1.0),
                    [start, stop, step] => ((*start)?, *stop, (*step)?),
                    _ => return None,
                };
                if self.exploring() {
                    endless(start, step)
                } else {
                    let stop = stop?;
                    let before_stop = |v: &f64| if step > 0.0 { *v < stop } else { *v > stop };
                    (0..=limit).map(|i| start + step * f64::from(i)).take_while(before_stop).map(Some).collect()
                }
            }
            (_, Some((func, args, _))) if self.ctx.resolve(func).as_deref() == Some("itertools.count") => {
                let start = args.first().map_or(Some(0.0), |a| self.eval(a))?;
                endless(start, args.get(1).map_or(Some(1.0), |a| self.eval(a))?)
            }
            _ => vec![None; limit as usize + 1],
        };
        Some(values.into_iter())
    }

    fn exec_block(&mut self, block: &[Stmt]) -> Flow {
        for s in block {
            let flow = self.exec(s);
            if flow != Flow::Next {
                return flow;
            }
        }
        Flow::Next
    }

    /// One statement on the failure path.
    fn exec(&mut self, s: &Stmt) -> Flow {
        let called = match &s.kind {
            StmtKind::Return(Some(e)) | StmtKind::Expr(e) | StmtKind::Assign { value: e, .. } => Some(e),
            _ => None,
        };
        if let Some(flow) = called.and_then(|e| self.recurse(e)) {
            return flow;
        }
        match &s.kind {
            StmtKind::Assign { targets, value } => {
                self.note_waits(value);
                targets.iter().for_each(|t| self.assign(t, value));
            }
            StmtKind::AnnAssign { target, value: Some(value), .. } => self.assign(target, value),
            StmtKind::AugAssign { target, op, value } => {
                let v = self.eval(target).zip(self.eval(value)).and_then(|(a, b)| arith(a, *op, b));
                self.bind(target, v);
            }
            StmtKind::Expr(e) => self.note_waits(e),
            StmtKind::If { test, body, orelse } => {
                let branch = self.choose(test, body, orelse);
                return self.exec_block(branch);
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                return self.exec_try(body, handlers, orelse, finalbody)
            }
            StmtKind::With { body, .. } => return self.exec_block(body),
            StmtKind::Raise { .. } | StmtKind::Return(_) | StmtKind::Break => return Flow::Exit,
            StmtKind::Continue => return Flow::Continue,
            _ => {}
        }
        Flow::Next
    }

    /// A `try` whose operation fails: the statements before the operation run, then the first handler that
    /// recovers from failures (not `StopIteration` and the like, not one that re-raises), then `finally`.
    /// A `try` without a handler that recovers (`except StopIteration: raise e`) guards something else than
    /// the attempt, and its body runs through.
    fn exec_try(&mut self, body: &[Stmt], handlers: &[Handler], orelse: &[Stmt], finalbody: &[Stmt]) -> Flow {
        let fails_here = handlers.iter().any(|h| self.recovers(h));
        let failing = body.iter().position(|s| self.attempts_operation(s)).filter(|_| fails_here);
        let Some(at) = failing else {
            let flow = self.exec_block(body);
            let flow = if flow == Flow::Next { self.exec_block(orelse) } else { flow };
            return self.then_finally(flow, finalbody);
        };
        let before = self.exec_block(&body[..at]);
        if before != Flow::Next {
            return self.then_finally(before, finalbody);
        }
        let Some(handler) = handlers.iter().find(|h| self.recovers(h)) else {
            return self.then_finally(Flow::Exit, finalbody);
        };
        if let Some(name) = &handler.name {
            self.bind(&Expr { span: handler.span, kind: ExprKind::Name(name.clone()) }, None);
            self.caught.insert(name.to_string());
        }
        let flow = self.exec_block(&handler.body);
        self.then_finally(flow, finalbody)
    }

    fn then_finally(&mut self, flow: Flow, finalbody: &[Stmt]) -> Flow {
        match self.exec_block(finalbody) {
            Flow::Next => flow,
            other => other,
        }
    }

    /// The memoised answer to `question` about the `len` things at `at`.
    fn remember<T>(&self, at: *const T, len: usize, question: Question, answer: impl FnOnce() -> bool) -> bool {
        let key = (at as usize, len, question);
        if let Some(&known) = self.memo.borrow().get(&key) {
            return known;
        }
        let known = answer();
        self.memo.borrow_mut().insert(key, known);
        known
    }

    /// Does the statement call something that may fail (not a wait, a log line, a clock or a conversion)?
    fn attempts_operation(&self, s: &Stmt) -> bool {
        self.remember(s, 1, Question::Attempts, || self.attempts_operation_uncached(s))
    }

    fn attempts_operation_uncached(&self, s: &Stmt) -> bool {
        let mut found = false;
        walk_exprs(std::slice::from_ref(s), false, &mut |e| {
            if let Some((func, _, _)) = e.as_call() {
                found = found || !(self.is_sleep(func) || is_bookkeeping_call(self.ctx, func));
            }
        });
        found
    }

    /// The branch of an `if` the failure path takes. A test the run cannot decide (`if is_retryable(e)`)
    /// takes the branch that goes on retrying; exploring, so does every test (the waits past the loop's own
    /// limit show its arithmetic).
    fn choose<'s>(&mut self, test: &Expr, then: &'s [Stmt], orelse: &'s [Stmt]) -> &'s [Stmt] {
        let goes_on = match ((self.leaves(then), self.leaves(orelse)), (self.retries_in(then), self.retries_in(orelse)))
        {
            ((true, false), _) | ((false, false), (false, true)) => Some(orelse),
            ((false, true), _) | ((false, false), (true, false)) => Some(then),
            _ => None,
        };
        // Exploring, a budget test (`if attempt < max_attempts - 1: sleep(...)`) does not end the waits.
        if self.exploring() && is_budget_test(test) {
            if let Some(branch) = goes_on {
                return branch;
            }
        }
        match self.truth(test) {
            Some(true) => then,
            Some(false) => orelse,
            None => goes_on.unwrap_or(orelse),
        }
    }

    /// A handler that goes on to another attempt on some path (not `except ValueError: raise`).
    fn recovers(&self, h: &Handler) -> bool {
        self.remember(h, 1, Question::Recovers, || self.recovers_uncached(h))
    }

    fn recovers_uncached(&self, h: &Handler) -> bool {
        let mut calls_again = false;
        walk_exprs(&h.body, false, &mut |e| calls_again = calls_again || self.calls_itself_in(e));
        !is_control_flow_handler(h) && (!self.leaves(&h.body) || continues(&h.body) || calls_again)
    }

    /// A block that gives up whatever happens before it (`raise`, `return`, `break` at its top level; not the
    /// `return self._request(..., retries_taken + 1)` of a function retrying by recursion).
    fn leaves(&self, block: &[Stmt]) -> bool {
        self.remember(block.as_ptr(), block.len(), Question::Leaves, || self.leaves_uncached(block))
    }

    fn leaves_uncached(&self, block: &[Stmt]) -> bool {
        block.iter().any(|s| match &s.kind {
            StmtKind::Raise { .. } | StmtKind::Break => true,
            StmtKind::Return(v) => !v.as_ref().is_some_and(|e| self.calls_itself_in(e)),
            _ => false,
        })
    }

    fn calls_itself_in(&self, e: &Expr) -> bool {
        let Some(r) = &self.recursion else { return false };
        e.any(&|x| x.as_call().is_some_and(|(func, _, _)| calls_itself(self.ctx, r.f, func)))
    }

    /// Does the block go on to the next attempt: wait, `continue`, or call the function again?
    fn retries_in(&self, block: &[Stmt]) -> bool {
        self.remember(block.as_ptr(), block.len(), Question::Retries, || self.retries_in_uncached(block))
    }

    fn retries_in_uncached(&self, block: &[Stmt]) -> bool {
        let mut found = false;
        walk_exprs(block, false, &mut |e| found = found || self.calls_itself_in(e));
        found || continues(block) || self.waits_in(block)
    }

    fn waits_in(&self, block: &[Stmt]) -> bool {
        let mut found = false;
        walk_exprs(block, false, &mut |e| {
            found = found || self.calls_sleep(e);
        });
        found
    }

    /// Record the round's first wait (`time.sleep(delay)`, `await asyncio.sleep(seconds=d)`).
    fn note_waits(&mut self, e: &Expr) {
        if self.waited_this_round || !self.remember(e, 1, Question::Waits, || e.any(&|x| self.calls_sleep(x))) {
            return;
        }
        let mut first: Option<Option<&Expr>> = None;
        e.walk(&mut |x| {
            if let Some((func, args, kws)) = x.as_call() {
                if first.is_none() && self.is_sleep(func) {
                    first = Some(args.first().or(kws.first().map(|k| &k.value)));
                }
            }
        });
        if let Some(arg) = first {
            self.waited_this_round = true;
            let seconds = arg.and_then(|a| self.eval(a));
            self.delays.push(seconds);
        }
    }

    /// `sleeps::is_sleep`, memoised: the run asks about the same callees every round.
    fn is_sleep(&self, func: &Expr) -> bool {
        self.remember(func, 1, Question::Sleep, || sleeps::is_sleep(self.ctx, func))
    }

    fn calls_sleep(&self, e: &Expr) -> bool {
        e.as_call().is_some_and(|(func, _, _)| self.is_sleep(func))
    }

    fn assign(&mut self, target: &Expr, value: &Expr) {
        let v = self.eval(value);
        self.bind(target, v);
        let is_none = matches!(value.kind, ExprKind::Constant(Constant::None));
        let caught = !is_none && dotted_name(value).is_some_and(|v| self.caught.contains(v.as_ref()));
        if !(is_none || caught) {
            return;
        }
        let Some(name) = target.dotted() else { return };
        if is_none {
            self.nones.insert(name);
        } else {
            self.caught.insert(name);
        }
    }

    fn bind(&mut self, target: &Expr, v: Option<f64>) {
        match &target.kind {
            ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().for_each(|t| self.bind(t, None)),
            _ => {
                if let Some(name) = dotted_name(target) {
                    self.nones.remove(name.as_ref());
                    self.caught.remove(name.as_ref());
                    // Every round binds the same names again: the key is copied only the first time.
                    match self.env.get_mut(name.as_ref()) {
                        Some(slot) => *slot = v,
                        None => {
                            self.env.insert(name.into_owned(), v);
                        }
                    }
                }
            }
        }
    }

    /// `x is None` / `x is not None` of a name the run assigned (`error_to_retry = None` before the loop).
    fn is_none(&mut self, left: &Expr, ops: &[CmpOp], comparators: &[Expr]) -> Option<bool> {
        let (op @ (CmpOp::Is | CmpOp::IsNot), [none]) = (ops.first()?, comparators) else { return None };
        if !matches!(none.kind, ExprKind::Constant(Constant::None)) || ops.len() != 1 {
            return None;
        }
        let name = left.dotted()?;
        let none_now = if self.nones.contains(&name) {
            true
        } else if self.caught.contains(&name) {
            false
        } else {
            self.lookup(left, false).map(|_| false)?
        };
        Some(none_now == (*op == CmpOp::Is))
    }

    /// A name's number: assigned in the run, else a parameter default, a module constant or an `__init__`
    /// assignment; else (counting) a probe value.
    fn lookup(&mut self, e: &Expr, probe: bool) -> Option<f64> {
        let name = dotted_name(e)?;
        if let Some(v) = self.env.get(name.as_ref()) {
            return *v;
        }
        let visible = match self.visible.get(name.as_ref()) {
            Some(v) => *v,
            None if self.symbolic && self.passed_in(&name) => {
                self.visible.insert(name.to_string(), None);
                None
            }
            None => {
                let v = [self.host, self.def]
                    .into_iter()
                    .flatten()
                    .find_map(|d| params::resolve_number(self.ctx, Some(d), e))
                    .or_else(|| params::resolve_number(self.ctx, None, e));
                self.visible.insert(name.to_string(), v);
                v
            }
        };
        if visible.is_some() || !probe {
            return visible;
        }
        let value = match &self.mode {
            Mode::Count(probes) | Mode::Explore(probes) => probes.get(name.as_ref()).copied(),
        };
        self.unresolved.insert(name.into_owned());
        value
    }

    /// A parameter of the host or the factory, or an attribute of `self`/`cls`.
    fn passed_in(&self, name: &str) -> bool {
        let head = name.split('.').next().unwrap_or(name);
        if name.contains('.') && (head == "self" || head == "cls") {
            return true;
        }
        [self.host, self.def].into_iter().flatten().any(|d| d.params.iter().any(|p| p.name == head))
    }

    fn eval(&mut self, e: &Expr) -> Option<f64> {
        match &e.kind {
            ExprKind::Constant(c) => constant_number(c),
            ExprKind::Name(_) | ExprKind::Attribute { .. } => self.lookup(e, true),
            ExprKind::BinOp { left, op, right } => {
                let (l, r) = (self.eval(left), self.eval(right));
                arith(l?, *op, r?)
            }
            ExprKind::UnaryMinus(x) => self.eval(x).map(|v| -v),
            ExprKind::UnaryNot(x) => self.truth(x).map(|b| f64::from(u8::from(!b))),
            ExprKind::Await(x) => self.eval(x),
            ExprKind::IfExp { test, body, orelse } => match self.truth(test)? {
                true => self.eval(body),
                false => self.eval(orelse),
            },
            ExprKind::Compare { left, ops, comparators } => {
                self.compare(left, ops, comparators).map(|b| f64::from(u8::from(b)))
            }
            ExprKind::Call { func, args, .. } => self.call(func, args),
            _ => None,
        }
    }

    /// The builtins delay arithmetic uses; any other call's result is unknown (random jitter included).
    fn call(&mut self, func: &Expr, args: &[Expr]) -> Option<f64> {
        let name = self.ctx.resolve(func)?;
        let values: Option<Vec<f64>> = args.iter().map(|a| self.eval(a)).collect();
        let values = values?;
        match (name.as_str(), values.as_slice()) {
            ("min", [_, ..]) => values.iter().copied().reduce(f64::min),
            ("max", [_, ..]) => values.iter().copied().reduce(f64::max),
            ("float", [v]) => Some(*v),
            ("abs", [v]) => Some(v.abs()),
            ("int", [v]) => Some(v.trunc()),
            ("round", [v]) => Some(v.round()),
            ("pow" | "math.pow", [b, x]) => Some(b.powf(*x)),
            _ => None,
        }
    }

    fn compare(&mut self, left: &Expr, ops: &[CmpOp], comparators: &[Expr]) -> Option<bool> {
        if matches!(ops.first(), Some(CmpOp::Is | CmpOp::IsNot)) {
            return self.is_none(left, ops, comparators);
        }
        let mut l = self.eval(left)?;
        let mut all = true;
        for (op, c) in ops.iter().zip(comparators) {
            let r = self.eval(c)?;
            all &= match op {
                CmpOp::Lt => l < r,
                CmpOp::LtE => l <= r,
                CmpOp::Gt => l > r,
                CmpOp::GtE => l >= r,
                CmpOp::Eq => l == r,
                CmpOp::NotEq => l != r,
                _ => return None,
            };
            l = r;
        }
        Some(all)
    }

    /// Truth of a test. A bare name the run does not know is not probed: it is a flag or a result, not a bound.
    fn truth(&mut self, e: &Expr) -> Option<bool> {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } => self.lookup(e, false).map(|v| v != 0.0),
            ExprKind::UnaryNot(x) => self.truth(x).map(|b| !b),
            ExprKind::Constant(Constant::None) => Some(false),
            ExprKind::BoolOp { and, values } => {
                let truths: Vec<Option<bool>> = values.iter().map(|v| self.truth(v)).collect();
                let decisive = !*and;
                if truths.contains(&Some(decisive)) {
                    Some(decisive)
                } else if truths.iter().all(Option::is_some) {
                    Some(!decisive)
                } else {
                    None
                }
            }
            _ => self.eval(e).map(|v| v != 0.0),
        }
    }
}

fn constant_number(c: &Constant) -> Option<f64> {
    match c {
        Constant::Int(i) => Some(*i as f64),
        Constant::Float(f) => Some(*f),
        Constant::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn arith(a: f64, op: BinOp, b: f64) -> Option<f64> {
    let v = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mult => a * b,
        BinOp::Div if b != 0.0 => a / b,
        BinOp::FloorDiv if b != 0.0 => (a / b).floor(),
        BinOp::Mod if b != 0.0 => a.rem_euclid(b),
        BinOp::Pow => a.powf(b),
        BinOp::LShift => a * 2f64.powf(b),
        BinOp::RShift => (a / 2f64.powf(b)).floor(),
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// A test that compares numbers (a counter with its bound, a time with a deadline), not a state or a result.
fn is_budget_test(test: &Expr) -> bool {
    test.any(&|e| match &e.kind {
        ExprKind::Compare { ops, .. } => ops
            .iter()
            .all(|op| matches!(op, CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE | CmpOp::Eq | CmpOp::NotEq)),
        _ => false,
    })
}

/// Calls around an attempt that are not the attempt: log lines, clocks, conversions.
fn is_bookkeeping_call(ctx: &FileContext, func: &Expr) -> bool {
    const LOGGING: &[&str] = &["debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"];
    const BUILTINS: &[&str] = &["len", "min", "max", "float", "int", "str", "isinstance", "range", "repr"];
    let last = func.last_name().unwrap_or("");
    if LOGGING.contains(&last) {
        return true;
    }
    let resolved = ctx.resolve(func).unwrap_or_default();
    BUILTINS.contains(&resolved.as_str()) || ["time.", "datetime.", "logging."].iter().any(|m| resolved.starts_with(m))
}

/// The shape of a run's waits: delay 1 is the base for every strategy; a cap is where growth stops.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub base: f64,
    pub strategy: Option<&'static str>,
    pub multiplier: Option<f64>,
    pub cap: Option<f64>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Read base, growth and cap off the waits after failures 1, 2, ...
pub fn read_schedule(delays: &[f64]) -> Option<Schedule> {
    let (&base, _) = delays.split_first()?;
    let last = *delays.last()?;
    // Growth that stops: the last waits are equal and longer than the first.
    let capped = delays.len() >= 3 && last > base && delays[delays.len() - 3..].iter().all(|d| close(*d, last));
    let growing: Vec<f64> =
        if capped { delays.iter().copied().take_while(|d| *d < last).collect() } else { delays.to_vec() };
    let steady = |step: &dyn Fn(f64, f64) -> f64| {
        let first = step(growing[0], *growing.get(1)?);
        growing.windows(2).all(|w| close(step(w[0], w[1]), first)).then_some(first)
    };
    let (strategy, multiplier) = if growing.len() < 3 {
        (None, None)
    } else if growing.iter().all(|d| close(*d, base)) {
        (Some("fixed"), None)
    } else if let Some(ratio) = steady(&|a, b| b / a).filter(|_| base > 0.0) {
        (Some("exponential"), Some(ratio))
    } else if steady(&|a, b| b - a).is_some_and(|step| close(step, base)) {
        (Some("linear"), None)
    } else {
        (None, None)
    };
    Some(Schedule { base, strategy, multiplier, cap: capped.then_some(last) })
}
