//! What each module-level name of a module *is*: class, Enum, function or constant, with the signatures a
//! caller binds to (a function's parameters and async-ness; a class's constructor and methods), whether it is
//! bound only under `if TYPE_CHECKING:`, and where an imported name comes from. A redirect is checked against
//! these, never against a plan's claims: a same-spelled name of another kind, or one whose signature does not
//! accept the calls a file makes, is not a target.

use crate::syntax::{Expr, ExprKind, FunctionDef, ParamKind, Stmt, StmtKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a module-level name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefKind {
    Class,
    Enum,
    Function,
    Constant,
    /// Bound by an import (a re-export: its kind is the imported object's, see `Definition::imported`).
    Import,
}

impl DefKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DefKind::Class => "class",
            DefKind::Enum => "enum",
            DefKind::Function => "function",
            DefKind::Constant => "constant",
            DefKind::Import => "import",
        }
    }

    /// `a class`, `an enum`.
    pub fn with_article(self) -> String {
        let article = if self == DefKind::Enum || self == DefKind::Import { "an" } else { "a" };
        format!("{article} {}", self.as_str())
    }
}

/// One parameter as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamShape {
    pub name: String,
    pub kind: ParamShapeKind,
    pub has_default: bool,
    /// The default when it is a literal (`3`, `1.0`, `None`, `True`, `'x'`); `None`: none, or not a literal.
    pub default: Option<DefaultValue>,
}

/// A literal default value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DefaultValue {
    Number(f64),
    Text(String),
    Bool(bool),
    None,
}

impl Eq for DefaultValue {}

impl DefaultValue {
    pub fn of(e: &Expr) -> Option<DefaultValue> {
        use crate::syntax::Constant;
        match &e.kind {
            ExprKind::Constant(Constant::Int(i)) => Some(DefaultValue::Number(*i as f64)),
            ExprKind::Constant(Constant::Float(x)) => Some(DefaultValue::Number(*x)),
            ExprKind::Constant(Constant::Str(t)) => Some(DefaultValue::Text(t.clone())),
            ExprKind::Constant(Constant::Bool(b)) => Some(DefaultValue::Bool(*b)),
            ExprKind::Constant(Constant::None) => Some(DefaultValue::None),
            ExprKind::UnaryMinus(x) => match DefaultValue::of(x)? {
                DefaultValue::Number(n) => Some(DefaultValue::Number(-n)),
                _ => None,
            },
            _ => None,
        }
    }

    /// As Python spells it.
    pub fn python(&self) -> String {
        match self {
            DefaultValue::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
            DefaultValue::Number(x) => format!("{x}"),
            DefaultValue::Text(t) => format!("{t:?}"),
            DefaultValue::Bool(b) => if *b { "True" } else { "False" }.into(),
            DefaultValue::None => "None".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamShapeKind {
    PositionalOnly,
    Normal,
    KeywordOnly,
    VarPositional,
    VarKeyword,
}

/// A callable's signature, `self`/`cls` left out for methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Signature {
    pub params: Vec<ParamShape>,
    pub is_async: bool,
    /// The last name of the return annotation (`RetryResult`, `Any`), when there is one.
    pub returns: Option<String>,
}

/// A module-level name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Definition {
    pub kind: DefKind,
    pub type_checking_only: bool,
    /// A function's signature; a class's constructor (`__init__`, else a dataclass's fields, else none known).
    pub signature: Option<Signature>,
    /// A class's methods (inherited ones from bases in the same module included).
    pub methods: BTreeMap<String, Signature>,
    /// An import's source: (absolute module or `None` when relative and unresolvable, name or `None` for a
    /// module import). Filled by `project::module_info`, which knows the file's package.
    pub imported: Option<(String, Option<String>)>,
    /// 1-based line of the binding.
    pub line: u32,
    /// An Enum's members (`FIXED`, `EXPONENTIAL`).
    pub members: Vec<String>,
}

/// The module-level names of a parsed module, in order (a later binding of a name replaces an earlier one).
/// `line_of` maps an offset to its 1-based line.
pub fn of_module(body: &[Stmt], line_of: &dyn Fn(u32) -> u32) -> Vec<(String, Definition)> {
    let mut out = Vec::new();
    collect(body, false, line_of, &mut out);
    // Methods a class inherits from a base defined in the same module (mixins beside it).
    let classes: BTreeMap<String, BTreeMap<String, Signature>> =
        out.iter().filter(|(_, d)| d.kind == DefKind::Class).map(|(n, d)| (n.clone(), d.methods.clone())).collect();
    let bases = class_bases(body);
    for (name, def) in out.iter_mut().filter(|(_, d)| d.kind == DefKind::Class) {
        for base in bases.get(name.as_str()).into_iter().flatten() {
            if let Some(inherited) = classes.get(base) {
                for (m, sig) in inherited {
                    def.methods.entry(m.clone()).or_insert_with(|| sig.clone());
                }
            }
        }
        if def.signature.is_none() {
            if let Some(init) = def.methods.get("__init__") {
                def.signature = Some(init.clone());
            }
        }
    }
    out
}

fn class_bases(body: &[Stmt]) -> BTreeMap<&str, Vec<String>> {
    body.iter()
        .filter_map(|s| match &s.kind {
            StmtKind::ClassDef(c) => Some((c.name.as_str(), c.bases.iter().filter_map(Expr::dotted).collect())),
            _ => None,
        })
        .collect()
}

fn collect(body: &[Stmt], type_checking: bool, line_of: &dyn Fn(u32) -> u32, out: &mut Vec<(String, Definition)>) {
    for s in body {
        let line = line_of(s.span.start);
        let def = |kind: DefKind| Definition {
            kind,
            type_checking_only: type_checking,
            signature: None,
            methods: BTreeMap::new(),
            imported: None,
            line,
            members: Vec::new(),
        };
        match &s.kind {
            StmtKind::ClassDef(c) => {
                let is_enum =
                    c.bases.iter().any(|b| b.dotted().is_some_and(|d| d.ends_with("Enum") || d.ends_with("Flag")));
                let mut d = def(if is_enum { DefKind::Enum } else { DefKind::Class });
                let mut fields: Vec<ParamShape> = Vec::new();
                for m in &c.body {
                    match &m.kind {
                        StmtKind::FunctionDef(f) => {
                            let is_static = f.decorators.iter().any(|d| d.last_name() == Some("staticmethod"));
                            d.methods.insert(f.name.to_string(), signature(f, !is_static));
                        }
                        StmtKind::Assign { targets, .. } => {
                            d.members.extend(targets.iter().filter_map(|t| match &t.kind {
                                ExprKind::Name(n) => Some(n.to_string()),
                                _ => None,
                            }));
                        }
                        StmtKind::AnnAssign { target, value, .. } => {
                            if let ExprKind::Name(n) = &target.kind {
                                fields.push(ParamShape {
                                    name: n.to_string(),
                                    kind: ParamShapeKind::Normal,
                                    has_default: value.is_some(),
                                    default: value.as_ref().and_then(DefaultValue::of),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                let dataclass = c.decorators.iter().any(|d| {
                    let callee = match &d.kind {
                        ExprKind::Call { func, .. } => func.as_ref(),
                        _ => d,
                    };
                    callee.last_name() == Some("dataclass")
                });
                d.signature = match d.methods.get("__init__") {
                    Some(init) => Some(init.clone()),
                    None if dataclass => Some(Signature { params: fields, is_async: false, returns: None }),
                    None => None,
                };
                out.push((c.name.to_string(), d));
            }
            StmtKind::FunctionDef(f) => {
                let mut d = def(DefKind::Function);
                d.signature = Some(signature(f, false));
                out.push((f.name.to_string(), d));
            }
            StmtKind::Assign { targets, .. } => {
                for t in targets {
                    if let ExprKind::Name(n) = &t.kind {
                        out.push((n.to_string(), def(DefKind::Constant)));
                    }
                }
            }
            StmtKind::AnnAssign { target, value: Some(_), .. } => {
                if let ExprKind::Name(n) = &target.kind {
                    out.push((n.to_string(), def(DefKind::Constant)));
                }
            }
            StmtKind::Import { names } | StmtKind::ImportFrom { names, .. } => {
                for a in names.iter().filter(|a| a.name != "*") {
                    let bound = a.asname.as_deref().unwrap_or_else(|| a.name.split('.').next().unwrap_or(&a.name));
                    out.push((bound.to_string(), def(DefKind::Import)));
                }
            }
            StmtKind::If { test, body, orelse } => {
                let guard = test.dotted().is_some_and(|d| d == "TYPE_CHECKING" || d.ends_with(".TYPE_CHECKING"));
                collect(body, type_checking || guard, line_of, out);
                collect(orelse, type_checking, line_of, out);
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                collect(body, type_checking, line_of, out);
                for h in handlers {
                    collect(&h.body, type_checking, line_of, out);
                }
                collect(orelse, type_checking, line_of, out);
                collect(finalbody, type_checking, line_of, out);
            }
            _ => {}
        }
    }
}

/// A function's signature; `method`: its first parameter (`self`/`cls`) is bound by the call.
pub fn signature(f: &FunctionDef, method: bool) -> Signature {
    let skip = usize::from(
        method && f.params.first().is_some_and(|p| matches!(p.kind, ParamKind::PositionalOnly | ParamKind::Normal)),
    );
    let params = f.params[skip..]
        .iter()
        .map(|p| ParamShape {
            name: p.name.to_string(),
            kind: match p.kind {
                ParamKind::PositionalOnly => ParamShapeKind::PositionalOnly,
                ParamKind::Normal => ParamShapeKind::Normal,
                ParamKind::KeywordOnly => ParamShapeKind::KeywordOnly,
                ParamKind::VarPositional => ParamShapeKind::VarPositional,
                ParamKind::VarKeyword => ParamShapeKind::VarKeyword,
            },
            has_default: p.default.is_some(),
            default: p.default.as_ref().and_then(DefaultValue::of),
        })
        .collect();
    Signature {
        params,
        is_async: f.is_async,
        returns: f.returns.as_ref().and_then(|r| r.last_name()).map(str::to_string),
    }
}

/// How a call passes its arguments: `positional` plain positional arguments, `keywords` named ones, and
/// whether it unpacks (`*xs`, `**kw`: what it passes is not known).
#[derive(Debug, Clone, Default)]
pub struct CallShape {
    pub positional: usize,
    pub keywords: Vec<String>,
    pub unpacks: bool,
}

impl CallShape {
    pub fn of(args: &[Expr], keywords: &[crate::syntax::Keyword]) -> CallShape {
        CallShape {
            positional: args.iter().filter(|a| !matches!(a.kind, ExprKind::Starred(_))).count(),
            keywords: keywords.iter().filter_map(|k| k.arg.as_ref().map(|a| a.to_string())).collect(),
            unpacks: args.iter().any(|a| matches!(a.kind, ExprKind::Starred(_)))
                || keywords.iter().any(|k| k.arg.is_none()),
        }
    }
}

impl Signature {
    /// The parameter names a call binds its arguments to, in order (`None`: the call does not bind: too
    /// many or too few arguments, an unknown or repeated keyword). A `*args`/`**kwargs` parameter takes what
    /// is left under its own name.
    pub fn bind(&self, call: &CallShape) -> Result<Vec<String>, String> {
        let mut bound: Vec<String> = Vec::new();
        let positional: Vec<&ParamShape> = self
            .params
            .iter()
            .filter(|p| matches!(p.kind, ParamShapeKind::PositionalOnly | ParamShapeKind::Normal))
            .collect();
        let var_positional = self.params.iter().find(|p| p.kind == ParamShapeKind::VarPositional);
        let var_keyword = self.params.iter().find(|p| p.kind == ParamShapeKind::VarKeyword);
        for i in 0..call.positional {
            match positional.get(i) {
                Some(p) => bound.push(p.name.clone()),
                None => match var_positional {
                    Some(v) => bound.push(format!("*{}", v.name)),
                    None => {
                        return Err(format!(
                            "takes {} positional arguments, the call passes {}",
                            positional.len(),
                            call.positional
                        ))
                    }
                },
            }
        }
        for k in &call.keywords {
            let by_name = self
                .params
                .iter()
                .find(|p| p.name == *k && matches!(p.kind, ParamShapeKind::Normal | ParamShapeKind::KeywordOnly));
            match (by_name, var_keyword) {
                (Some(p), _) if bound.contains(&p.name) => return Err(format!("gets `{k}` twice")),
                (Some(p), _) => bound.push(p.name.clone()),
                (None, Some(v)) => bound.push(format!("**{}", v.name)),
                (None, None) => return Err(format!("has no parameter `{k}`")),
            }
        }
        if !call.unpacks {
            if let Some(missing) = self.params.iter().find(|p| {
                !p.has_default
                    && matches!(
                        p.kind,
                        ParamShapeKind::PositionalOnly | ParamShapeKind::Normal | ParamShapeKind::KeywordOnly
                    )
                    && !bound.contains(&p.name)
            }) {
                return Err(format!("requires `{}`, which the call does not pass", missing.name));
            }
        }
        Ok(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(src: &str) -> BTreeMap<String, Definition> {
        let m = crate::parse::parse_module(src).expect("parses");
        of_module(&m.body, &|_| 1).into_iter().collect()
    }

    #[test]
    fn kinds_signatures_and_type_checking() {
        let d = defs(
            "from enum import Enum\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from x import Hidden\n\
             class RetryStrategy(Enum):\n    FIXED = 1\n\
             class Base:\n    def should_retry(self, e): ...\n\
             class RetryManager(Base):\n    def __init__(self, max_retries=3, base_delay=1.0): ...\n    async def execute(self, func, *args, **kw): ...\n\
             async def retry_call(fn, *, attempts): ...\nLIMIT = 3\n",
        );
        assert_eq!(d["RetryStrategy"].kind, DefKind::Enum);
        assert_eq!(d["Hidden"].kind, DefKind::Import);
        assert!(d["Hidden"].type_checking_only);
        let m = &d["RetryManager"];
        assert_eq!(m.kind, DefKind::Class);
        assert_eq!(
            m.signature.as_ref().unwrap().params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["max_retries", "base_delay"]
        );
        assert!(m.methods["execute"].is_async);
        assert!(m.methods.contains_key("should_retry"), "inherited from a base beside it");
        assert!(d["retry_call"].signature.as_ref().unwrap().is_async);
        assert_eq!(d["LIMIT"].kind, DefKind::Constant);
    }

    #[test]
    fn dataclass_fields_are_the_constructor() {
        let d = defs(
            "from dataclasses import dataclass\n@dataclass(frozen=True)\nclass C:\n    a: int\n    b: float = 1.0\n",
        );
        let sig = d["C"].signature.clone().unwrap();
        assert_eq!(
            sig.bind(&CallShape { positional: 1, keywords: vec!["b".into()], unpacks: false }).unwrap(),
            ["a", "b"]
        );
        assert!(sig
            .bind(&CallShape { positional: 0, keywords: vec![], unpacks: false })
            .unwrap_err()
            .contains("requires `a`"));
    }

    #[test]
    fn binding_names_what_fails() {
        let m = crate::parse::parse_module("def f(service_name, *, retries=3): ...\n").unwrap();
        let StmtKind::FunctionDef(f) = &m.body[0].kind else { panic!() };
        let sig = signature(f, false);
        assert_eq!(sig.bind(&CallShape { positional: 1, keywords: vec![], unpacks: false }).unwrap(), ["service_name"]);
        assert!(sig
            .bind(&CallShape { positional: 2, keywords: vec![], unpacks: false })
            .unwrap_err()
            .contains("takes 1 positional"));
        assert!(sig
            .bind(&CallShape { positional: 1, keywords: vec!["max_retries".into()], unpacks: false })
            .unwrap_err()
            .contains("no parameter `max_retries`"));
    }
}
