//! RTY012 legacy_config: a construction of a legacy retry config class that the plan migrates.
//!
//! The plan's `[[config_migrations]]` name legacy config classes (`from = "legacy.mod:RetryPolicy"`) and the
//! canonical config they become (`to = "canonical.mod:RetryConfig"`), with a keyword mapping
//! (`rename = { max_retries = "max_attempts+1", retry_delay = "base_delay" }`). Every call of such a class is
//! reported, whether the class is imported by name (`from legacy.mod import RetryPolicy [as P]`, relative
//! imports resolved against the file's package, function-local imports and `try/except ImportError` shims
//! included) or reached through a module import (`import legacy.mod as m; m.RetryPolicy(...)`).
//!
//! Fix (`config`): `RetryPolicy(max_retries=3, retry_delay=0.5)` -> `RetryConfig(max_attempts=4,
//! base_delay=0.5)`, importing the canonical class and dropping the legacy import once every use of it was
//! rewritten. Unsafe unless the migration says `safety = "safe"`. Not offered (the reason is reported) when
//! an argument is positional or `**kwargs`, a keyword has no mapping, a converted value (`+1`, `*N`) is not a
//! literal, the canonical module does not export the class, or the canonical name is taken in the file.
use super::Needs;
use crate::data::Plan;
use crate::detect::context::FileContext;
use crate::detect::{Cx, RawFinding};
use crate::finding::{Kind, Params, SkippedFix};
use crate::fixes::config::{fixes_for, Binding, Site, KIND};
use crate::fixes::imports::walk_blocks;
use crate::project::{module_eq, resolve_relative};
use crate::syntax::*;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: &[], loop_structure: false, data: Some(super::DataWords::Plan), model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    if cx.data.plan.config_migrations.is_empty() {
        return;
    }
    out.extend(findings(cx.file, &cx.data.plan));
}

fn bindings<'a, 'p>(file: &FileContext<'a>, plan: &'p Plan) -> Vec<Binding<'a, 'p>> {
    let mut out = Vec::new();
    walk_blocks(&file.ast.body, true, "", &mut |block, idx, top, _| match &block[idx].kind {
        StmtKind::ImportFrom { module, level, names } => {
            let Some(base) =
                resolve_relative(&file.module, crate::facts::is_package_path(file.path), module.as_deref(), *level)
            else {
                return;
            };
            for (i, n) in names.iter().enumerate() {
                let hit = plan.config_migrations.iter().find(|m| {
                    let (fm, fname) = m.from_parts();
                    module_eq(&base, fm) && n.name == fname
                });
                if let Some(m) = hit {
                    out.push(Binding {
                        block,
                        idx,
                        top,
                        local: n.asname.as_ref().unwrap_or(&n.name).to_string(),
                        via_module: false,
                        name_index: i,
                        migration: m,
                    });
                }
            }
        }
        StmtKind::Import { names } => {
            for n in names {
                for m in plan.config_migrations.iter().filter(|m| module_eq(&n.name, m.from_parts().0)) {
                    out.push(Binding {
                        block,
                        idx,
                        top,
                        local: n.asname.as_ref().unwrap_or(&n.name).to_string(),
                        via_module: true,
                        name_index: 0,
                        migration: m,
                    });
                }
            }
        }
        _ => {}
    });
    out
}

/// RTY012 findings (with their fixes) for one file.
pub fn findings(file: &FileContext, plan: &Plan) -> Vec<RawFinding> {
    let binds = bindings(file, plan);
    if binds.is_empty() {
        return vec![];
    }
    let mut sites: Vec<Site> = Vec::new();
    walk_exprs(&file.ast.body, true, &mut |e| {
        let ExprKind::Call { func, args, keywords } = &e.kind else { return };
        let Some(dotted) = func.dotted() else { return };
        let found = binds.iter().position(|b| {
            if b.via_module {
                dotted.strip_prefix(&b.local).and_then(|r| r.strip_prefix('.')) == Some(b.migration.from_parts().1)
            } else {
                dotted == b.local
            }
        });
        if let Some(binding) = found {
            sites.push(Site { call: e, func, args, keywords, binding });
        }
    });
    sites.sort_by_key(|s| s.call.span);
    sites.dedup_by_key(|s| s.call.span);
    let mut out = Vec::new();
    for (bi, b) in binds.iter().enumerate() {
        let mine: Vec<&Site> = sites.iter().filter(|s| s.binding == bi).collect();
        if mine.is_empty() {
            continue;
        }
        let results = fixes_for(file, plan, &binds, bi, &mine);
        for (s, r) in mine.iter().zip(results) {
            let (fm, fname) = b.migration.from_parts();
            let mut f = RawFinding {
                rule: "RTY012",
                kind: Kind::LegacyConfig,
                span: s.call.span,
                qualname: scope_of(file, s.call.span),
                params: Params::default(),
                message: format!(
                    "construction of legacy config `{fname}` from `{fm}`; the plan migrates it to `{}`",
                    b.migration.to.replace(':', ".")
                ),
                notes: vec![],
                shape: crate::detect::shape::Fnv::default().hash_str(&format!("config:{}", b.migration.from)),
                operations: vec![],
                fix: None,
                skipped_fix: None,
            };
            match r {
                Ok(fix) => f.fix = Some(fix),
                Err(reason) => f.skipped_fix = Some(SkippedFix { fix_kind: KIND.into(), reason }),
            }
            out.push(f);
        }
    }
    out
}

fn scope_of(file: &FileContext, span: Span) -> String {
    file.functions
        .iter()
        .filter(|f| f.span.contains(span))
        .min_by_key(|f| f.span.end - f.span.start)
        .map(|f| f.qualname.clone())
        .unwrap_or_default()
}
