//! The scanner's own small Python syntax tree.
//!
//! Detectors never see the parser's types: `parse` lowers the parser's AST into these nodes, so a parser
//! upgrade (its API is unstable) touches one module. Only what detection, classification and the codemods
//! need is kept: statements with bodies, calls, names, literals, arithmetic, comparisons and byte ranges.

/// Identifiers: inline up to 24 bytes, so lowering a tree does not allocate once per name.
pub type Name = compact_str::CompactString;

/// A half-open byte range `[start, end)` into the decoded source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

#[derive(Debug, Default)]
pub struct Module {
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub span: Span,
    pub kind: StmtKind,
}

/// How a parameter binds arguments (what a call site's arguments map onto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// Before `/`.
    PositionalOnly,
    Normal,
    /// After `*` or `*args`.
    KeywordOnly,
    /// `*args`.
    VarPositional,
    /// `**kwargs`.
    VarKeyword,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: Name,
    pub kind: ParamKind,
    pub default: Option<Expr>,
    pub annotation: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub name: Name,
    pub is_async: bool,
    pub params: Vec<Param>,
    pub decorators: Vec<Expr>,
    pub returns: Option<Expr>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct ClassDef {
    pub name: Name,
    pub bases: Vec<Expr>,
    pub keywords: Vec<Keyword>,
    pub decorators: Vec<Expr>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct Handler {
    pub span: Span,
    pub type_: Option<Expr>,
    pub name: Option<Name>,
    pub body: Vec<Stmt>,
}

/// One name of an import statement, with the spans codemods rewrite.
#[derive(Debug, Clone)]
pub struct ImportName {
    pub span: Span,
    pub name: Name,
    pub name_span: Span,
    pub asname: Option<Name>,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    FunctionDef(Box<FunctionDef>),
    ClassDef(Box<ClassDef>),
    Return(Option<Expr>),
    Assign {
        targets: Vec<Expr>,
        value: Expr,
    },
    AnnAssign {
        target: Expr,
        annotation: Expr,
        value: Option<Expr>,
    },
    AugAssign {
        target: Expr,
        op: BinOp,
        value: Expr,
    },
    For {
        is_async: bool,
        target: Expr,
        iter: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    While {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    /// `elif` chains are lowered to a nested `If` in `orelse`.
    If {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    With {
        is_async: bool,
        items: Vec<Expr>,
        body: Vec<Stmt>,
    },
    Try {
        body: Vec<Stmt>,
        handlers: Vec<Handler>,
        orelse: Vec<Stmt>,
        finalbody: Vec<Stmt>,
    },
    Raise {
        exc: Option<Expr>,
    },
    Import {
        names: Vec<ImportName>,
    },
    ImportFrom {
        module: Option<Name>,
        level: u32,
        names: Vec<ImportName>,
    },
    Expr(Expr),
    Break,
    Continue,
    Pass,
    /// Statements we do not model (match, assert, del, global ...): kept as their nested statements and
    /// expressions so walkers still see calls inside them.
    Other {
        body: Vec<Stmt>,
        exprs: Vec<Expr>,
    },
}

#[derive(Debug, Clone)]
pub struct Keyword {
    pub arg: Option<Name>,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mult,
    Div,
    FloorDiv,
    Mod,
    Pow,
    LShift,
    RShift,
    /// `a | b` (set union: `frozenset(...) | set(...)`).
    BitOr,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    Is,
    IsNot,
    In,
    NotIn,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Int(i64),
    /// Integers too large for i64, kept as text.
    BigInt(String),
    Float(f64),
    Str(String),
    Bytes,
    Bool(bool),
    None,
    Ellipsis,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Name(Name),
    Attribute {
        value: Box<Expr>,
        attr: Name,
    },
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        keywords: Vec<Keyword>,
    },
    Constant(Constant),
    BinOp {
        left: Box<Expr>,
        op: BinOp,
        right: Box<Expr>,
    },
    /// `not x` is `negate = false`, `-x` is `negate = true` (other unary ops lower to `Other`).
    UnaryNot(Box<Expr>),
    UnaryMinus(Box<Expr>),
    BoolOp {
        and: bool,
        values: Vec<Expr>,
    },
    Compare {
        left: Box<Expr>,
        ops: Vec<CmpOp>,
        comparators: Vec<Expr>,
    },
    Await(Box<Expr>),
    Lambda {
        params: Vec<Name>,
        body: Box<Expr>,
    },
    IfExp {
        test: Box<Expr>,
        body: Box<Expr>,
        orelse: Box<Expr>,
    },
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Dict {
        keys: Vec<Option<Expr>>,
        values: Vec<Expr>,
    },
    Subscript {
        value: Box<Expr>,
        slice: Box<Expr>,
    },
    Starred(Box<Expr>),
    /// `yield x` / `yield from x` (generators that compute delay sequences).
    Yield(Option<Box<Expr>>),
    /// Anything else (comprehensions, f-strings, yields ...), with its child expressions.
    Other(Vec<Expr>),
}

impl Expr {
    /// The dotted name of a `Name` / `Attribute` chain (`asyncio.sleep`, `self.max_retries`).
    pub fn dotted(&self) -> Option<String> {
        // One allocation of the final length: the walks ask this of most names of a parsed file.
        let mut len = 0;
        let mut e = self;
        loop {
            match &e.kind {
                ExprKind::Name(n) => {
                    len += n.len();
                    break;
                }
                ExprKind::Attribute { value, attr } => {
                    len += attr.len() + 1;
                    e = value;
                }
                _ => return None,
            }
        }
        let mut out = String::with_capacity(len);
        self.push_dotted(&mut out);
        Some(out)
    }

    /// Append the dotted name of a `Name` / `Attribute` chain already known to be one.
    fn push_dotted(&self, out: &mut String) {
        match &self.kind {
            ExprKind::Name(n) => out.push_str(n),
            ExprKind::Attribute { value, attr } => {
                value.push_dotted(out);
                out.push('.');
                out.push_str(attr);
            }
            _ => {}
        }
    }

    /// The last segment of a name or attribute (`sleep` for `asyncio.sleep`), or the callee's for a call.
    pub fn last_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            ExprKind::Attribute { attr, .. } => Some(attr),
            ExprKind::Call { func, .. } => func.last_name(),
            _ => None,
        }
    }

    /// Strip an `await`.
    pub fn unawait(&self) -> &Expr {
        match &self.kind {
            ExprKind::Await(inner) => inner.unawait(),
            _ => self,
        }
    }

    pub fn as_call(&self) -> Option<(&Expr, &[Expr], &[Keyword])> {
        match &self.unawait().kind {
            ExprKind::Call { func, args, keywords } => Some((func, args, keywords)),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match &self.kind {
            ExprKind::Constant(Constant::Int(i)) => Some(*i as f64),
            ExprKind::Constant(Constant::Float(f)) => Some(*f),
            ExprKind::UnaryMinus(inner) => inner.as_number().map(|v| -v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Constant(Constant::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Visit the direct child expressions, in source order, without allocating (this is the hot path of
    /// every walk: generic, so a walk's step into each child is inlined rather than a call through a pointer).
    #[inline]
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        let mut push = |e: &'a Expr| f(e);
        match &self.kind {
            ExprKind::Name(_) | ExprKind::Constant(_) | ExprKind::Yield(None) => {}
            ExprKind::Yield(Some(e)) => push(e),
            ExprKind::Attribute { value, .. } => push(value),
            ExprKind::Call { func, args, keywords } => {
                push(func);
                args.iter().for_each(&mut push);
                keywords.iter().map(|k| &k.value).for_each(&mut push);
            }
            ExprKind::BinOp { left, right, .. } => {
                push(left);
                push(right);
            }
            ExprKind::UnaryNot(e) | ExprKind::UnaryMinus(e) | ExprKind::Await(e) | ExprKind::Starred(e) => push(e),
            ExprKind::BoolOp { values, .. } => values.iter().for_each(&mut push),
            ExprKind::Compare { left, comparators, .. } => {
                push(left);
                comparators.iter().for_each(&mut push);
            }
            ExprKind::Lambda { body, .. } => push(body),
            ExprKind::IfExp { test, body, orelse } => {
                push(test);
                push(body);
                push(orelse);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) | ExprKind::Other(items) => items.iter().for_each(&mut push),
            ExprKind::Dict { keys, values } => {
                keys.iter().flatten().for_each(&mut push);
                values.iter().for_each(&mut push);
            }
            ExprKind::Subscript { value, slice } => {
                push(value);
                push(slice);
            }
        }
    }

    /// Pre-order walk over this expression and all its descendants (generic: a caller's visit is inlined into
    /// the walk rather than called through a pointer at every node).
    pub fn walk<'a, F: FnMut(&'a Expr) + ?Sized>(&'a self, f: &mut F) {
        f(self);
        self.for_each_child(|c| c.walk(f));
    }

    /// True when any sub-expression satisfies `pred`.
    pub fn any<P: Fn(&Expr) -> bool + ?Sized>(&self, pred: &P) -> bool {
        if pred(self) {
            return true;
        }
        let mut found = false;
        self.for_each_child(|c| found = found || c.any(pred));
        found
    }
}

/// The nested blocks of one statement; inline storage, because walks ask for them on every statement.
pub type Blocks<'a> = smallvec::SmallVec<[&'a [Stmt]; 4]>;

/// The expressions one statement owns directly (see `Stmt::exprs`).
pub type Exprs<'a> = smallvec::SmallVec<[&'a Expr; 4]>;

impl Stmt {
    /// Visit the nested statement blocks in the order `blocks` lists them, without building the list: the
    /// statement walks ask this of every statement, and most statements have none.
    #[inline]
    pub fn for_each_block<'a>(&'a self, into_defs: bool, mut f: impl FnMut(&'a [Stmt])) {
        match &self.kind {
            StmtKind::FunctionDef(d) if into_defs => f(&d.body),
            StmtKind::ClassDef(c) if into_defs => f(&c.body),
            StmtKind::For { body, orelse, .. }
            | StmtKind::While { body, orelse, .. }
            | StmtKind::If { body, orelse, .. } => {
                f(body);
                f(orelse);
            }
            StmtKind::With { body, .. } | StmtKind::Other { body, .. } => f(body),
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                f(body);
                handlers.iter().for_each(|h| f(&h.body));
                f(orelse);
                f(finalbody);
            }
            _ => {}
        }
    }

    /// Nested statement blocks (bodies of compound statements), excluding nested function/class bodies
    /// when `into_defs` is false.
    pub fn blocks(&self, into_defs: bool) -> Blocks<'_> {
        let mut v = Blocks::new();
        self.for_each_block(into_defs, |b| v.push(b));
        v
    }

    /// Visit the expressions this statement owns directly (not those of nested statements), in the order
    /// `exprs` lists them, without building the list: every expression walk asks this of every statement.
    #[inline]
    pub fn for_each_expr<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            StmtKind::FunctionDef(d) => {
                d.decorators.iter().for_each(&mut f);
                d.params.iter().filter_map(|p| p.default.as_ref()).for_each(f);
            }
            StmtKind::ClassDef(c) => {
                c.decorators.iter().chain(c.bases.iter()).chain(c.keywords.iter().map(|k| &k.value)).for_each(f)
            }
            StmtKind::Return(Some(e)) | StmtKind::Expr(e) | StmtKind::Raise { exc: Some(e) } => f(e),
            StmtKind::Assign { targets, value } => {
                targets.iter().for_each(&mut f);
                f(value);
            }
            StmtKind::AnnAssign { target, annotation, value } => {
                f(target);
                f(annotation);
                value.iter().for_each(f);
            }
            StmtKind::AugAssign { target, value, .. } => {
                f(target);
                f(value);
            }
            StmtKind::For { target, iter, .. } => {
                f(target);
                f(iter);
            }
            StmtKind::While { test, .. } | StmtKind::If { test, .. } => f(test),
            StmtKind::With { items, .. } => items.iter().for_each(f),
            StmtKind::Try { handlers, .. } => handlers.iter().filter_map(|h| h.type_.as_ref()).for_each(f),
            StmtKind::Other { exprs, .. } => exprs.iter().for_each(f),
            _ => {}
        }
    }

    /// Expressions owned directly by this statement (see `for_each_expr`).
    pub fn exprs(&self) -> Exprs<'_> {
        let mut v = Exprs::new();
        self.for_each_expr(|e| v.push(e));
        v
    }
}

/// Pre-order walk over statements; `into_defs` decides whether nested function and class bodies are entered.
/// Generic, as `Expr::walk`: a caller's visit is inlined into the walk.
pub fn walk_stmts<'a, F: FnMut(&'a Stmt) + ?Sized>(stmts: &'a [Stmt], into_defs: bool, f: &mut F) {
    for s in stmts {
        f(s);
        s.for_each_block(into_defs, |block| walk_stmts(block, into_defs, f));
    }
}

/// Every expression (recursively) in a statement list, not entering nested defs unless `into_defs`.
pub fn walk_exprs<'a, F: FnMut(&'a Expr) + ?Sized>(stmts: &'a [Stmt], into_defs: bool, f: &mut F) {
    walk_stmts(stmts, into_defs, &mut |s| s.for_each_expr(|e| e.walk(f)));
}

/// Callback of [`walk_blocks`]: (block, index in block, block is the module body, scope).
pub type BlockVisitor<'v, 'a> = dyn FnMut(&'a [Stmt], usize, bool, &str) + 'v;

/// Pre-order walk over every statement with its block, its index in the block, whether the block is the
/// module body, and the dotted scope ("" at module level).
pub fn walk_blocks<'a>(body: &'a [Stmt], top: bool, scope: &str, f: &mut BlockVisitor<'_, 'a>) {
    for (i, s) in body.iter().enumerate() {
        f(body, i, top, scope);
        let inner = match &s.kind {
            StmtKind::FunctionDef(d) => Some(&d.name),
            StmtKind::ClassDef(c) => Some(&c.name),
            _ => None,
        };
        match inner {
            Some(name) => {
                let q = qualify(scope, name);
                s.for_each_block(true, |b| walk_blocks(b, false, &q, f));
            }
            None => s.for_each_block(false, |b| walk_blocks(b, false, scope, f)),
        }
    }
}

/// `prefix.name` (or `name` when `prefix` is empty) in one allocation of the exact size: qualified names are
/// built for every definition, class and import of every file, and `format!` allocates twice as often.
pub fn qualify(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        return name.to_string();
    }
    join_dot(prefix, name)
}

/// `a.b`, even when `a` is empty (see `qualify`).
pub fn join_dot(a: &str, b: &str) -> String {
    let mut q = String::with_capacity(a.len() + 1 + b.len());
    q.push_str(a);
    q.push('.');
    q.push_str(b);
    q
}
