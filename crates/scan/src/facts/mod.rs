//! Per-file facts: what the project model needs from one file, as plain data (no borrowed syntax, so a
//! content-hash cache can store it later).
//!
//! A parsed file contributes everything below (`extract`); a file the token prefilter skipped contributes its
//! imports and the names it binds at module level (`from_tokens`), which is enough for the module table, for
//! re-exports and for knowing who imports what. Names are kept as written (`self._handler.execute`); the model
//! resolves them.

mod extract;
mod import_text;

pub use extract::extract;
pub use import_text::parse_import_statement;

use crate::syntax::{ParamKind, Span};
use serde::{Deserialize, Serialize};

/// `pkg/__init__.py` (or `.pyi`): the module is a package.
pub fn is_package_path(path: &str) -> bool {
    path.ends_with("__init__.py") || path.ends_with("__init__.pyi")
}

/// Index of a definition inside its file's `defs`.
pub type DefIdx = u32;
/// Index of a class inside its file's `classes`.
pub type ClassIdx = u32;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Display path (root-relative, `/`-separated).
    pub path: String,
    /// Dotted module name (`pkg/__init__.py` -> `pkg`).
    pub module: String,
    pub is_package: bool,
    /// The file was parsed (all fields below are filled); else only `imports` and `bindings` are.
    pub parsed: bool,
    /// The prefilter left definitions out of the parse: top-level ones (their names are in `bindings` as
    /// `Unanalysed`) or methods of a class: a pass that needs them parses the file again.
    pub partial: bool,
    pub imports: Vec<Import>,
    /// Names bound at module level, in source order (later bindings win).
    pub bindings: Vec<Binding>,
    /// `__all__`, when the module spells it as a list or tuple of strings.
    pub all: Option<Vec<String>>,
    /// The module defines `__getattr__` (PEP 562): any name may resolve.
    pub dynamic: bool,
    pub defs: Vec<Def>,
    pub classes: Vec<Class>,
    pub assigns: Vec<Assign>,
    pub calls: Vec<Call>,
    /// Constant-like names (`MAX_RETRIES`, `self._MAX_BACKOFF`) read inside functions (bodies and parameter
    /// defaults) and class bodies: who uses a module's retry numbers.
    pub reads: Vec<Read>,
}

/// A read of a constant-like name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    /// The function it is read in (parameter defaults count for the function).
    pub owner: Option<DefIdx>,
    /// The class body it is read in, when not in a function.
    pub class: Option<ClassIdx>,
    /// As written (`DEFAULT_MAX_RETRIES`, `_constants.DEFAULT_MAX_RETRIES`, `self._MAX_BACKOFF`).
    pub name: String,
    pub line: u32,
}

/// One imported name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// The name bound in the importing scope (`x` for `import a.b as x`, `a` for `import a.b`).
    pub local: String,
    /// Absolute dotted target: a module (`import a.b`) or `module.attr` (`from a.b import c` -> `a.b.c`; the
    /// model decides whether `c` is a submodule or an attribute).
    pub target: String,
    /// `from ... import ...` (the target's last segment may be an attribute).
    pub from: bool,
    /// `from m import *`: `target` is the module.
    pub star: bool,
    /// Inside `if TYPE_CHECKING:`: never bound at run time.
    pub type_only: bool,
    /// Inside a `try` whose handlers catch `ImportError` (or in such a handler): one of alternatives.
    pub fallback: bool,
    /// At module level (not inside a function or class body).
    pub module_level: bool,
    pub line: u32,
}

impl Import {
    /// A plain module-level import (not type-only, not a fallback) on `line`.
    pub fn module_level(local: &str, target: String, from: bool, star: bool, line: u32) -> Import {
        Import {
            local: local.to_string(),
            target,
            from,
            star,
            type_only: false,
            fallback: false,
            module_level: true,
            line,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingKind {
    Def(DefIdx),
    Class(ClassIdx),
    /// Index into `assigns`.
    Assign(u32),
    /// Index into `imports`.
    Import(u32),
    /// Bound by code the prefilter did not parse (a def, class or assignment of an unparsed piece).
    Unanalysed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub name: String,
    pub kind: BindingKind,
    pub line: u32,
    /// Bound only under `if TYPE_CHECKING:`.
    pub type_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamFact {
    pub name: String,
    pub kind: ParamKind,
    pub has_default: bool,
    /// The default is a number (`max_retries: int = 5`): a signature that carries retry numbers.
    pub numeric_default: bool,
    /// The default is a name (`retry_impl=retry.Retry`): the class or function used unless one is handed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_name: Option<String>,
}

/// A function or method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Def {
    /// Dotted name relative to the module (`Class.method`, `outer.inner`).
    pub qualname: String,
    pub name: String,
    /// The class this is a method of (directly in its body).
    pub class: Option<ClassIdx>,
    /// The function this one is nested in.
    pub parent: Option<DefIdx>,
    pub is_async: bool,
    pub params: Vec<ParamFact>,
    /// Decorators as written (`functools.wraps(fn)` -> callee `functools.wraps`, `property`).
    pub decorators: Vec<Decorator>,
    pub span: Span,
    pub line: u32,
    pub end_line: u32,
    pub column: u32,
    /// Statements in the body (a docstring and `pass` do not count): how much else it does.
    pub statements: u32,
    /// It returns (or yields) one of its nested functions (a decorator or decorator factory).
    pub returns_nested_def: bool,
    pub is_generator: bool,
    pub evidence: DefEvidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decorator {
    /// Dotted callee (`retry_builder` for `@retry_builder(tries=6)`, `staticmethod`).
    pub name: String,
    /// Written as a call (`@x(...)`), with these keyword arguments.
    pub called: bool,
    pub keywords: Vec<Kwarg>,
    pub line: u32,
}

/// What the function's own body does (nested defs excluded), read locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefEvidence {
    /// Line of a direct sleep call (`time.sleep`, `asyncio.sleep`, an aliased or stop-event wait).
    pub sleeps: Option<u32>,
    /// Line of a `try` with a handler that is not control flow (`StopIteration`, `KeyError` ...).
    pub catches: Option<u32>,
    /// A handler returns a value (a sentinel, `False`, `None`, a result object).
    pub catch_returns: bool,
    /// The body is one wait for what it is handed (`def _sleep(self, delay): self._stop_event.wait(delay)`):
    /// it computes no delay.
    #[serde(default)]
    pub waits_as_handed: bool,
    /// Names the body counts up by one (`self._failures += 1`), as written.
    #[serde(default)]
    pub counts_up: Vec<String>,
    /// The body raises (a retry budget that raises when exhausted).
    pub raises: bool,
    /// Sets a decision-named variable to a boolean (`should_retry = False` in an error handler's branches).
    #[serde(default)]
    pub verdict: bool,
    /// It writes a retry setting into a configuration by key (`retries['total_max_attempts'] = value + 1`).
    #[serde(default)]
    pub sets_retry_setting: bool,
    /// It returns `True`/`False`, a comparison or a boolean operator (a decision).
    pub returns_bool: bool,
    /// It returns a value and computes delay arithmetic (`base * 2 ** attempt`, `random.uniform`).
    pub delay_math: bool,
    /// It returns a value (`return x`).
    pub returns_value: bool,
    /// The names a `return [a, b]` (list, tuple or set display) hands back, as written, when every item is a
    /// name or attribute, or a construction without arguments spelled `Callee()` (`return
    /// [connect_error_retry_handler, RateLimitHandler()]`): a list of presets.
    #[serde(default)]
    pub returns_items: Vec<String>,
    /// It has a `for` or `while` loop (a poll or an engine the local analysis turned down, not a mere
    /// signature).
    pub loops: bool,
    /// Retry loops of the local analysis (verdict `Retry`), by line.
    pub retry_loops: Vec<u32>,
    /// Names those loops read their budget from (`loops::LoopFacts::budget`), as written.
    #[serde(default)]
    pub budget_names: Vec<String>,
    /// Functions those loops call in their test to make an attempt that answers whether to go on
    /// (`loops::LoopFacts::test_attempt`), by name.
    #[serde(default)]
    pub test_attempts: Vec<String>,
    /// Exceptions those loops give up on (`loops::LoopFacts::gives_up_on`), by last name.
    #[serde(default)]
    pub gives_up_on: Vec<String>,
    /// `if status in UNFOLLOWABLE: raise FeedUnavailable(...)`: the collection tested (as written) and the
    /// exception raised when the test holds (last name).
    #[serde(default)]
    pub raises_when_in: Vec<(String, String)>,
    /// Loops that would be retry loops if a callee waits (local analysis found no sleep), with what the
    /// verdict needs: the model decides them once callees in other files are resolved.
    pub pending_loops: Vec<PendingLoop>,
    /// Retries by recursion (local analysis).
    pub recursion: bool,
    /// The helper a mutual recursion goes through (`_retry_request`).
    pub recursion_via: Option<String>,
    /// Local role of the function analysis (`retry_function`, `decorator_def`, ...), if any.
    pub local_role: Option<String>,
}

/// A loop that is a retry loop exactly when one of `calls` (indices into the file's `calls`) reaches a sleep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLoop {
    pub line: u32,
    pub calls: Vec<u32>,
    pub bounded: bool,
}

/// A class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub qualname: String,
    pub name: String,
    /// Bases as written (`Base`, `mod.Base`, `Generic[T]` -> `Generic`).
    pub bases: Vec<String>,
    pub decorators: Vec<Decorator>,
    /// Methods (indices into `defs`).
    pub methods: Vec<DefIdx>,
    /// Field names: class-level assignments and annotations, and `self.x` assigned in `__init__`.
    pub fields: Vec<String>,
    pub span: Span,
    pub line: u32,
    pub end_line: u32,
    pub column: u32,
    /// The class this one is nested in.
    pub parent: Option<ClassIdx>,
    /// Local classification (`retry_class`, `retry_config`, `strategy_enum`, `circuit_breaker`,
    /// `backoff_calc`), if any.
    pub local_role: Option<String>,
    /// An exception class (a record, never machinery).
    pub is_exception: bool,
    pub is_enum: bool,
}

/// Who owns an assignment target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Module,
    Class(ClassIdx),
    /// `self.x = ...` inside a method of the class (the def is the method).
    Instance {
        class: ClassIdx,
        def: DefIdx,
    },
    /// A local variable of a function.
    Local(DefIdx),
}

/// `target = value` (and `target: T = value`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assign {
    /// The bound name (`X`, or `x` for `self.x`).
    pub target: String,
    pub owner: Owner,
    pub value: Value,
    pub span: Span,
    pub line: u32,
    pub end_line: u32,
    pub column: u32,
}

/// A keyword argument with its value when it is a literal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kwarg {
    pub name: String,
    pub value: Literal,
}

impl Eq for Kwarg {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Literal {
    Number(f64),
    Str(String),
    Bool(bool),
    None,
    /// A name or attribute (`DEFAULT_DELAY`, `settings.max_retries`).
    Name(String),
    Other,
}

/// The shape of an assigned value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// `Callee(args..., k=v, **splat)`.
    Call {
        callee: String,
        args: u32,
        keywords: Vec<Kwarg>,
        splat: Option<String>,
    },
    /// Another name or attribute (`exponential_backoff = retry_with_exponential_backoff`).
    Alias(String),
    /// A dict literal: its string keys, and for each value that is a call, the callee (else "").
    Dict {
        keys: Vec<String>,
        calls: Vec<String>,
    },
    /// A number (`MAX_RETRIES = 3`, `BACKOFF_MAX = 120`).
    Number(f64),
    /// A tuple, list or set display, or `frozenset(...)`/`set(...)`/`tuple(...)` (`RETRYABLE_STATUS = (429,
    /// 503)`).
    Collection,
    Other,
}

/// A call site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The innermost function the call is in (module or class level: `None`).
    pub owner: Option<DefIdx>,
    /// The callee as written (`self._handler.execute_with_retry`, `retry_database_operation`,
    /// `super().__init__` -> `super.__init__`); calls on other expressions are not recorded.
    pub callee: String,
    /// Names passed as arguments (a callable handed on: `op`, `self._do_query`, `functools.partial(f)` -> `f`).
    pub arg_names: Vec<String>,
    /// Keyword arguments with their literal values (`max_retries=0`, `retry_on_errors=True`).
    pub keywords: Vec<Kwarg>,
    pub args: u32,
    pub awaited: bool,
    /// Inside a loop of the owner.
    pub in_loop: bool,
    /// Inside an `except` handler of the owner.
    pub in_handler: bool,
    /// The call is the value the owner returns (`return handler.execute(op)`).
    pub returned: bool,
    pub line: u32,
    /// The call expression.
    pub span: Span,
}

impl FileFacts {
    /// A file with no facts but its place in the module table (nothing in it was read as code).
    pub fn empty(path: &str, module: &str) -> FileFacts {
        FileFacts {
            path: path.to_string(),
            module: module.to_string(),
            is_package: is_package_path(path),
            ..Default::default()
        }
    }

    /// The facts of a file the token prefilter skipped: its imports (read from their statements) and the
    /// names its top-level definitions bind.
    pub fn from_skipped(path: &str, module: &str, text: &str, skipped: &crate::parse::SkippedFacts) -> FileFacts {
        let mut f = FileFacts::empty(path, module);
        let mut line = 1u32;
        let mut at = 0usize;
        for r in &skipped.imports {
            line += memchr::memchr_iter(b'\n', &text.as_bytes()[at..r.start]).count() as u32;
            at = r.start;
            let Some(stmt) = text.get(r.clone()) else { continue };
            for imp in parse_import_statement(stmt, &f.module, f.is_package, line) {
                if !imp.star {
                    f.bindings.push(Binding {
                        name: imp.local.clone(),
                        kind: BindingKind::Import(f.imports.len() as u32),
                        line,
                        type_only: false,
                    });
                }
                f.imports.push(imp);
            }
        }
        for name in &skipped.top_names {
            f.bindings.push(Binding { name: name.clone(), kind: BindingKind::Unanalysed, line: 0, type_only: false });
        }
        f.shrink_to_fit();
        f
    }

    /// Gives back what the vectors grew beyond their lengths. The facts of every file live for the whole run,
    /// and a vector grown by pushes holds up to twice its length (four slots for one argument name): on a dense
    /// tree a third of the facts' memory was spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.imports.shrink_to_fit();
        self.bindings.shrink_to_fit();
        self.defs.shrink_to_fit();
        for d in &mut self.defs {
            d.params.shrink_to_fit();
            d.decorators.shrink_to_fit();
        }
        self.classes.shrink_to_fit();
        for c in &mut self.classes {
            c.bases.shrink_to_fit();
            c.methods.shrink_to_fit();
            c.fields.shrink_to_fit();
        }
        self.assigns.shrink_to_fit();
        for a in &mut self.assigns {
            if let Value::Call { keywords, .. } = &mut a.value {
                keywords.shrink_to_fit();
            }
        }
        self.calls.shrink_to_fit();
        for c in &mut self.calls {
            c.arg_names.shrink_to_fit();
            c.keywords.shrink_to_fit();
        }
        self.reads.shrink_to_fit();
    }

    /// The def with this qualname.
    pub fn def_by_qualname(&self, qualname: &str) -> Option<DefIdx> {
        self.defs.iter().position(|d| d.qualname == qualname).map(|i| i as DefIdx)
    }
    /// The function with this qualname that holds `line` (an `@overload` stub shares the real def's name),
    /// else the last one (the binding that wins at run time).
    pub fn def_by_qualname_at(&self, qualname: &str, line: u32) -> Option<DefIdx> {
        let mut last = None;
        for (i, d) in self.defs.iter().enumerate().filter(|(_, d)| d.qualname == qualname) {
            if d.line <= line && line <= d.end_line {
                return Some(i as DefIdx);
            }
            last = Some(i as DefIdx);
        }
        last
    }
    /// The class with this qualname.
    pub fn class_by_qualname(&self, qualname: &str) -> Option<ClassIdx> {
        self.classes.iter().position(|c| c.qualname == qualname).map(|i| i as ClassIdx)
    }
    /// The last module-level binding of `name` (runtime bindings win over type-only ones).
    pub fn binding(&self, name: &str) -> Option<&Binding> {
        let mut best: Option<&Binding> = None;
        for b in self.bindings.iter().filter(|b| b.name == name) {
            if best.is_none_or(|x| x.type_only || !b.type_only) {
                best = Some(b);
            }
        }
        best
    }
}
