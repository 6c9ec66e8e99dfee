//! Lowering from ruff's AST to `crate::syntax`.

use crate::syntax::*;
use ruff_python_ast as ast;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_text_size::{Ranged, TextRange};

fn span(r: TextRange) -> Span {
    Span::new(r.start().to_u32(), r.end().to_u32())
}

pub fn module(m: &ast::ModModule) -> Module {
    Module { body: stmts(&m.body) }
}

fn stmts(body: &[ast::Stmt]) -> Vec<Stmt> {
    body.iter().map(stmt).collect()
}

fn params(p: &ast::Parameters) -> Vec<Param> {
    let mut out = Vec::new();
    let groups = [
        (&p.posonlyargs, ParamKind::PositionalOnly),
        (&p.args, ParamKind::Normal),
        (&p.kwonlyargs, ParamKind::KeywordOnly),
    ];
    for (list, kind) in groups {
        for pd in list {
            out.push(Param {
                name: pd.parameter.name.id.as_str().into(),
                kind,
                default: pd.default.as_deref().map(expr),
                annotation: pd.parameter.annotation.as_deref().map(expr),
            });
        }
    }
    for (v, kind) in [(&p.vararg, ParamKind::VarPositional), (&p.kwarg, ParamKind::VarKeyword)] {
        if let Some(v) = v {
            out.push(Param {
                name: v.name.id.as_str().into(),
                kind,
                default: None,
                annotation: v.annotation.as_deref().map(expr),
            });
        }
    }
    out
}

fn import_names(names: &[ast::Alias]) -> Vec<ImportName> {
    names
        .iter()
        .map(|a| ImportName {
            span: span(a.range),
            name: a.name.id.as_str().into(),
            name_span: span(a.name.range),
            asname: a.asname.as_ref().map(|n| n.id.as_str().into()),
        })
        .collect()
}

fn stmt(s: &ast::Stmt) -> Stmt {
    let kind = match s {
        ast::Stmt::FunctionDef(f) => StmtKind::FunctionDef(Box::new(FunctionDef {
            name: f.name.id.as_str().into(),
            is_async: f.is_async,
            params: params(&f.parameters),
            decorators: f.decorator_list.iter().map(|d| expr(&d.expression)).collect(),
            returns: f.returns.as_deref().map(expr),
            body: stmts(&f.body),
        })),
        ast::Stmt::ClassDef(c) => {
            let (bases, keywords) = match &c.arguments {
                Some(a) => (a.args.iter().map(expr).collect(), keywords(&a.keywords)),
                None => (vec![], vec![]),
            };
            StmtKind::ClassDef(Box::new(ClassDef {
                name: c.name.id.as_str().into(),
                bases,
                keywords,
                decorators: c.decorator_list.iter().map(|d| expr(&d.expression)).collect(),
                body: stmts(&c.body),
            }))
        }
        ast::Stmt::Return(r) => StmtKind::Return(r.value.as_deref().map(expr)),
        ast::Stmt::Assign(a) => {
            StmtKind::Assign { targets: a.targets.iter().map(expr).collect(), value: expr(&a.value) }
        }
        ast::Stmt::AnnAssign(a) => StmtKind::AnnAssign {
            target: expr(&a.target),
            annotation: expr(&a.annotation),
            value: a.value.as_deref().map(expr),
        },
        ast::Stmt::AugAssign(a) => {
            StmtKind::AugAssign { target: expr(&a.target), op: binop(a.op), value: expr(&a.value) }
        }
        ast::Stmt::For(f) => StmtKind::For {
            is_async: f.is_async,
            target: expr(&f.target),
            iter: expr(&f.iter),
            body: stmts(&f.body),
            orelse: stmts(&f.orelse),
        },
        ast::Stmt::While(w) => StmtKind::While { test: expr(&w.test), body: stmts(&w.body), orelse: stmts(&w.orelse) },
        ast::Stmt::If(i) => {
            // Fold `elif`/`else` clauses from the last one backwards into nested Ifs.
            let mut orelse: Vec<Stmt> = Vec::new();
            for clause in i.elif_else_clauses.iter().rev() {
                match &clause.test {
                    Some(test) => {
                        orelse = vec![Stmt {
                            span: Span::new(clause.range.start().to_u32(), s.range().end().to_u32()),
                            kind: StmtKind::If { test: expr(test), body: stmts(&clause.body), orelse },
                        }]
                    }
                    None => orelse = stmts(&clause.body),
                }
            }
            StmtKind::If { test: expr(&i.test), body: stmts(&i.body), orelse }
        }
        ast::Stmt::With(w) => StmtKind::With {
            is_async: w.is_async,
            items: w.items.iter().map(|it| expr(&it.context_expr)).collect(),
            body: stmts(&w.body),
        },
        ast::Stmt::Try(t) => StmtKind::Try {
            body: stmts(&t.body),
            handlers: t
                .handlers
                .iter()
                .map(|h| {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    Handler {
                        span: span(h.range),
                        type_: h.type_.as_deref().map(expr),
                        name: h.name.as_ref().map(|n| n.id.as_str().into()),
                        body: stmts(&h.body),
                    }
                })
                .collect(),
            orelse: stmts(&t.orelse),
            finalbody: stmts(&t.finalbody),
        },
        ast::Stmt::Raise(r) => StmtKind::Raise { exc: r.exc.as_deref().map(expr) },
        ast::Stmt::Import(i) => StmtKind::Import { names: import_names(&i.names) },
        ast::Stmt::ImportFrom(i) => StmtKind::ImportFrom {
            module: i.module.as_ref().map(|m| m.id.as_str().into()),
            level: i.level,
            names: import_names(&i.names),
        },
        ast::Stmt::Expr(e) => StmtKind::Expr(expr(&e.value)),
        ast::Stmt::Break(_) => StmtKind::Break,
        ast::Stmt::Continue(_) => StmtKind::Continue,
        ast::Stmt::Pass(_) => StmtKind::Pass,
        ast::Stmt::Match(m) => StmtKind::Other {
            body: m.cases.iter().flat_map(|c| c.body.iter().map(stmt)).collect(),
            exprs: vec![expr(&m.subject)],
        },
        other => {
            let mut c = ChildExprs::default();
            visitor::walk_stmt(&mut c, other);
            StmtKind::Other { body: vec![], exprs: c.out }
        }
    };
    Stmt { span: span(s.range()), kind }
}

fn keywords(k: &[ast::Keyword]) -> Vec<Keyword> {
    k.iter().map(|k| Keyword { arg: k.arg.as_ref().map(|a| a.id.as_str().into()), value: expr(&k.value) }).collect()
}

fn binop(op: ast::Operator) -> BinOp {
    match op {
        ast::Operator::Add => BinOp::Add,
        ast::Operator::Sub => BinOp::Sub,
        ast::Operator::Mult => BinOp::Mult,
        ast::Operator::Div => BinOp::Div,
        ast::Operator::FloorDiv => BinOp::FloorDiv,
        ast::Operator::Mod => BinOp::Mod,
        ast::Operator::Pow => BinOp::Pow,
        ast::Operator::LShift => BinOp::LShift,
        ast::Operator::RShift => BinOp::RShift,
        ast::Operator::BitOr => BinOp::BitOr,
        _ => BinOp::Other,
    }
}

fn cmpop(op: ast::CmpOp) -> CmpOp {
    match op {
        ast::CmpOp::Eq => CmpOp::Eq,
        ast::CmpOp::NotEq => CmpOp::NotEq,
        ast::CmpOp::Lt => CmpOp::Lt,
        ast::CmpOp::LtE => CmpOp::LtE,
        ast::CmpOp::Gt => CmpOp::Gt,
        ast::CmpOp::GtE => CmpOp::GtE,
        ast::CmpOp::Is => CmpOp::Is,
        ast::CmpOp::IsNot => CmpOp::IsNot,
        ast::CmpOp::In => CmpOp::In,
        ast::CmpOp::NotIn => CmpOp::NotIn,
    }
}

/// Collects the lowered direct child expressions of a node we do not model.
#[derive(Default)]
struct ChildExprs {
    out: Vec<Expr>,
}

impl<'a> Visitor<'a> for ChildExprs {
    fn visit_expr(&mut self, e: &'a ast::Expr) {
        self.out.push(expr(e));
    }
    fn visit_stmt(&mut self, _s: &'a ast::Stmt) {}
}

fn boxed(e: &ast::Expr) -> Box<Expr> {
    Box::new(expr(e))
}

fn expr(e: &ast::Expr) -> Expr {
    let kind = match e {
        ast::Expr::Name(n) => ExprKind::Name(n.id.as_str().into()),
        ast::Expr::Attribute(a) => ExprKind::Attribute { value: boxed(&a.value), attr: a.attr.id.as_str().into() },
        ast::Expr::Call(c) => ExprKind::Call {
            func: boxed(&c.func),
            args: c.arguments.args.iter().map(expr).collect(),
            keywords: keywords(&c.arguments.keywords),
        },
        ast::Expr::NumberLiteral(n) => ExprKind::Constant(match &n.value {
            ast::Number::Int(i) => match i.as_i64() {
                Some(v) => Constant::Int(v),
                None => Constant::BigInt(i.to_string()),
            },
            ast::Number::Float(f) => Constant::Float(*f),
            ast::Number::Complex { .. } => Constant::Float(f64::NAN),
        }),
        ast::Expr::StringLiteral(s) => ExprKind::Constant(Constant::Str(s.value.to_str().to_string())),
        ast::Expr::BytesLiteral(_) => ExprKind::Constant(Constant::Bytes),
        ast::Expr::BooleanLiteral(b) => ExprKind::Constant(Constant::Bool(b.value)),
        ast::Expr::NoneLiteral(_) => ExprKind::Constant(Constant::None),
        ast::Expr::EllipsisLiteral(_) => ExprKind::Constant(Constant::Ellipsis),
        ast::Expr::BinOp(b) => ExprKind::BinOp { left: boxed(&b.left), op: binop(b.op), right: boxed(&b.right) },
        ast::Expr::UnaryOp(u) => match u.op {
            ast::UnaryOp::Not => ExprKind::UnaryNot(boxed(&u.operand)),
            ast::UnaryOp::USub => ExprKind::UnaryMinus(boxed(&u.operand)),
            _ => ExprKind::Other(vec![expr(&u.operand)]),
        },
        ast::Expr::BoolOp(b) => {
            ExprKind::BoolOp { and: matches!(b.op, ast::BoolOp::And), values: b.values.iter().map(expr).collect() }
        }
        ast::Expr::Compare(c) => ExprKind::Compare {
            left: boxed(&c.left),
            ops: c.ops.iter().map(|o| cmpop(*o)).collect(),
            comparators: c.comparators.iter().map(expr).collect(),
        },
        ast::Expr::Await(a) => ExprKind::Await(boxed(&a.value)),
        ast::Expr::Lambda(l) => ExprKind::Lambda {
            params: l
                .parameters
                .as_deref()
                .map(|p| params(p).into_iter().map(|p| p.name).collect())
                .unwrap_or_default(),
            body: boxed(&l.body),
        },
        ast::Expr::If(i) => ExprKind::IfExp { test: boxed(&i.test), body: boxed(&i.body), orelse: boxed(&i.orelse) },
        ast::Expr::Tuple(t) => ExprKind::Tuple(t.elts.iter().map(expr).collect()),
        ast::Expr::List(l) => ExprKind::List(l.elts.iter().map(expr).collect()),
        // A set display is a collection like a list for every reader here (`RETRYABLE = {429, 503}`).
        ast::Expr::Set(l) => ExprKind::List(l.elts.iter().map(expr).collect()),
        ast::Expr::Dict(d) => ExprKind::Dict {
            keys: d.items.iter().map(|i| i.key.as_ref().map(expr)).collect(),
            values: d.items.iter().map(|i| expr(&i.value)).collect(),
        },
        ast::Expr::Subscript(s) => ExprKind::Subscript { value: boxed(&s.value), slice: boxed(&s.slice) },
        ast::Expr::Starred(s) => ExprKind::Starred(boxed(&s.value)),
        ast::Expr::Yield(y) => ExprKind::Yield(y.value.as_deref().map(boxed)),
        ast::Expr::YieldFrom(y) => ExprKind::Yield(Some(boxed(&y.value))),
        other => {
            let mut c = ChildExprs::default();
            visitor::walk_expr(&mut c, other);
            ExprKind::Other(c.out)
        }
    };
    Expr { span: span(e.range()), kind }
}
