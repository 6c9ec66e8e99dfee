//! Structural hashes for fingerprints and duplicate groups. Names, literals and positions are erased so that
//! the same backoff loop written in seven files with different variable names hashes the same, and moving or
//! reformatting code does not change a fingerprint.

use crate::syntax::*;
use std::hash::{Hash, Hasher};

/// FNV-1a: stable across runs and platforms (std's `DefaultHasher` is not guaranteed to be).
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
}

impl Fnv {
    /// Hash one string (used for findings whose identity is a name, like legacy imports).
    pub fn hash_str(mut self, s: &str) -> u64 {
        self.write(s.as_bytes());
        self.finish()
    }
}

pub fn stmt_shape(s: &Stmt) -> u64 {
    let mut h = Fnv::default();
    hash_stmt(s, &mut h, true);
    h.finish()
}

pub fn expr_shape(e: &Expr) -> u64 {
    let mut h = Fnv::default();
    hash_expr(e, &mut h);
    h.finish()
}

fn tag(h: &mut Fnv, t: &str) {
    t.hash(h);
}

fn hash_block(b: &[Stmt], h: &mut Fnv, exprs: bool) {
    (b.len() as u32).hash(h);
    for s in b {
        hash_stmt(s, h, exprs);
    }
}

fn hash_stmt(s: &Stmt, h: &mut Fnv, exprs: bool) {
    let name = match &s.kind {
        StmtKind::FunctionDef(f) => {
            if f.is_async {
                "async def"
            } else {
                "def"
            }
        }
        StmtKind::ClassDef(_) => "class",
        StmtKind::Return(_) => "return",
        StmtKind::Assign { .. } => "=",
        StmtKind::AnnAssign { .. } => ":=",
        StmtKind::AugAssign { .. } => "+=",
        StmtKind::For { .. } => "for",
        StmtKind::While { .. } => "while",
        StmtKind::If { .. } => "if",
        StmtKind::With { .. } => "with",
        StmtKind::Try { .. } => "try",
        StmtKind::Raise { .. } => "raise",
        StmtKind::Import { .. } | StmtKind::ImportFrom { .. } => "import",
        StmtKind::Expr(e) if e.as_str().is_some() => return, // docstrings do not change structure
        StmtKind::Expr(_) => "expr",
        StmtKind::Break => "break",
        StmtKind::Continue => "continue",
        StmtKind::Pass => "pass",
        StmtKind::Other { .. } => "other",
    };
    tag(h, name);
    if exprs {
        for e in s.exprs() {
            hash_expr(e, h);
        }
    }
    if let StmtKind::Try { handlers, .. } = &s.kind {
        (handlers.len() as u32).hash(h);
    }
    s.for_each_block(true, |b| hash_block(b, h, exprs));
}

fn hash_expr(e: &Expr, h: &mut Fnv) {
    let t = match &e.kind {
        ExprKind::Name(_) => "n",
        ExprKind::Attribute { .. } => ".",
        ExprKind::Call { .. } => "()",
        ExprKind::Constant(_) => "k",
        ExprKind::BinOp { op, .. } => match op {
            BinOp::Pow => "**",
            BinOp::Mult => "*",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Div | BinOp::FloorDiv => "/",
            _ => "op",
        },
        ExprKind::UnaryNot(_) => "not",
        ExprKind::UnaryMinus(_) => "neg",
        ExprKind::BoolOp { .. } => "bool",
        ExprKind::Compare { .. } => "cmp",
        ExprKind::Await(_) => "await",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::IfExp { .. } => "ifexp",
        ExprKind::Tuple(_) | ExprKind::List(_) => "seq",
        ExprKind::Dict { .. } => "dict",
        ExprKind::Subscript { .. } => "[]",
        ExprKind::Starred(_) => "*",
        ExprKind::Yield(_) => "yield",
        ExprKind::Other(_) => "?",
    };
    tag(h, t);
    e.for_each_child(&mut |c| hash_expr(c, h));
}
