//! Per-file facts every rule needs: the import alias table, the index of functions defined in the file
//! (for one-call-away helper indirection), and the module name.

use crate::syntax::*;
// Fx, not SipHash: these maps are built for every parsed file and asked of every name a detector resolves, and
// nothing iterates them in an order that shows.
use rustc_hash::FxHashMap as HashMap;

/// A function or method defined in the file, with its dotted name relative to the module.
pub struct FnInfo<'a> {
    pub qualname: String,
    pub class: Option<&'a str>,
    pub def: &'a FunctionDef,
    /// The `def` statement itself.
    pub stmt: &'a Stmt,
    pub span: Span,
    /// Index (into `FileContext::functions`) of the function this one is nested in.
    pub parent: Option<usize>,
    /// Index of the enclosing class statement's body owner, by name chain (`Outer.Inner`).
    pub class_path: Option<String>,
}

pub struct FileContext<'a> {
    pub path: &'a str,
    pub module: String,
    pub text: &'a str,
    pub ast: &'a Module,
    /// Local name -> fully qualified name (`pause` -> `time.sleep`, `aio` -> `asyncio`).
    pub imports: HashMap<String, String>,
    pub functions: Vec<FnInfo<'a>>,
    /// Function name -> indices into `functions` (several classes may define the same method name).
    by_name: HashMap<&'a str, Vec<usize>>,
}

/// Dotted module name of a display path: `pkg/sub/mod.py` -> `pkg.sub.mod`, `pkg/__init__.py` -> `pkg`.
pub fn module_name(path: &str) -> String {
    let p = path.trim_end_matches(".pyi").trim_end_matches(".py");
    let p = p.strip_suffix("/__init__").unwrap_or(p);
    p.trim_start_matches("./").replace(['/', '\\'], ".")
}

impl<'a> FileContext<'a> {
    pub fn new(path: &'a str, module: &str, text: &'a str, ast: &'a Module) -> Self {
        let mut imports: HashMap<String, String> = HashMap::default();
        // Imports anywhere (module level, inside functions, inside try/except ImportError shims).
        walk_stmts(&ast.body, true, &mut |s| match &s.kind {
            StmtKind::Import { names } => {
                for n in names {
                    match &n.asname {
                        Some(a) => imports.insert(a.to_string(), n.name.to_string()),
                        None => {
                            let top = n.name.split('.').next().unwrap_or(&n.name).to_string();
                            imports.insert(top.clone(), top)
                        }
                    };
                }
            }
            StmtKind::ImportFrom { module, names, .. } => {
                let m = module.clone().unwrap_or_default();
                for n in names {
                    if n.name == "*" {
                        continue;
                    }
                    let local = n.asname.as_ref().unwrap_or(&n.name).to_string();
                    imports.insert(local, crate::syntax::qualify(&m, &n.name));
                }
            }
            _ => {}
        });
        let mut functions = Vec::new();
        collect_functions(&ast.body, "", None, None, None, &mut functions);
        let mut by_name: HashMap<&'a str, Vec<usize>> = HashMap::default();
        for (i, f) in functions.iter().enumerate() {
            by_name.entry(f.def.name.as_str()).or_default().push(i);
        }
        FileContext { path, module: module.to_string(), text, ast, imports, functions, by_name }
    }

    /// Fully qualified name of a name/attribute chain after resolving import aliases:
    /// `aio.sleep` -> `asyncio.sleep`, `pause` -> `time.sleep`. Unresolved names are returned as written.
    pub fn resolve(&self, e: &Expr) -> Option<String> {
        let dotted = e.dotted()?;
        let (head, rest) = match dotted.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (dotted.as_str(), None),
        };
        match (self.imports.get(head), rest) {
            (Some(full), Some(r)) => Some(format!("{full}.{r}")),
            (Some(full), None) => Some(full.clone()),
            (None, _) => Some(dotted),
        }
    }

    /// Does any import bring in a name from one of these top-level packages? (Rules whose every finding needs
    /// such an import skip the file cheaply when none does.)
    pub fn imports_from_any(&self, roots: &[&str]) -> bool {
        self.imports.values().any(|full| roots.contains(&full.split('.').next().unwrap_or(full)))
    }

    /// Does any imported module or name contain one of these segments?
    pub fn imports_mention_any(&self, segments: &[&str]) -> bool {
        self.imports.values().any(|full| full.split('.').any(|seg| segments.contains(&seg)))
    }

    /// Same-file functions a call may reach: `self.m()` / `cls.m()` -> methods named `m` (preferring the caller's
    /// class), `f()` -> module-level functions named `f`.
    pub fn callees(&self, call_func: &Expr, caller_class: Option<&str>) -> Vec<&FnInfo<'a>> {
        let (name, via_self) = match &call_func.kind {
            ExprKind::Name(n) => (n.as_str(), false),
            ExprKind::Attribute { value, attr } => match &value.kind {
                ExprKind::Name(v) if v == "self" || v == "cls" => (attr.as_str(), true),
                _ => return vec![],
            },
            _ => return vec![],
        };
        let Some(idx) = self.by_name.get(name) else { return vec![] };
        let cands: Vec<&FnInfo> = idx.iter().map(|&i| &self.functions[i]).collect();
        if via_self {
            let same: Vec<&FnInfo> =
                cands.iter().copied().filter(|f| f.class.is_some() && f.class == caller_class).collect();
            if !same.is_empty() {
                return same;
            }
            // A mixin or base class in the same file.
            cands.into_iter().filter(|f| f.class.is_some()).collect()
        } else {
            cands.into_iter().filter(|f| f.class.is_none()).collect()
        }
    }

    /// Dotted symbol for a relative qualname (`Class.method` -> `pkg.mod.Class.method`).
    pub fn symbol(&self, qualname: &str) -> String {
        if self.module.is_empty() {
            qualname.to_string()
        } else if qualname.is_empty() {
            self.module.clone()
        } else {
            format!("{}.{qualname}", self.module)
        }
    }
}

fn collect_functions<'a>(
    body: &'a [Stmt],
    prefix: &str,
    class: Option<&'a str>,
    class_path: Option<&str>,
    parent: Option<usize>,
    out: &mut Vec<FnInfo<'a>>,
) {
    for s in body {
        match &s.kind {
            StmtKind::FunctionDef(f) => {
                let qualname = crate::syntax::qualify(prefix, &f.name);
                let idx = out.len();
                out.push(FnInfo {
                    qualname: qualname.clone(),
                    class,
                    def: f,
                    stmt: s,
                    span: s.span,
                    parent,
                    class_path: class_path.map(str::to_string),
                });
                collect_functions(&f.body, &qualname, None, None, Some(idx), out);
            }
            StmtKind::ClassDef(c) => {
                let qualname = crate::syntax::qualify(prefix, &c.name);
                collect_functions(&c.body, &qualname, Some(c.name.as_str()), Some(&qualname), parent, out);
            }
            _ => {
                s.for_each_block(false, |b| collect_functions(b, prefix, class, class_path, parent, out));
            }
        }
    }
}
