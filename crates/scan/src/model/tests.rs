//! Resolution on small trees of facts built from source.

use super::*;

fn facts(path: &str, src: &str) -> FileFacts {
    let module = crate::parse::parse_module(src).expect("parses");
    let name = crate::detect::context::module_name(path);
    let ctx = crate::detect::context::FileContext::new(path, &name, src, &module);
    let fns = crate::detect::functions::analyse_all(&ctx);
    let classes = crate::detect::classes::analyse_all(&ctx, &fns);
    crate::facts::extract(&ctx, &fns, &classes, path.ends_with("__init__.py"), &[])
}

fn model(files: &[(&str, &str)]) -> Model {
    Model::new(files.iter().map(|(p, s)| facts(p, s)).collect())
}

#[test]
fn re_exports_aliases_and_instances_resolve() {
    let m = model(&[
        ("app/core/__init__.py", "from .engine import Handler as Handler\n__all__ = ['Handler']\n"),
        (
            "app/core/engine.py",
            "class Base:\n    def run(self, op):\n        return op()\n\nclass Handler(Base):\n    pass\n",
        ),
        (
            "app/db.py",
            "from app.core import Handler\n_h = Handler()\nrun_db = _h.run\n\ndef q(op):\n    return _h.run(op)\n",
        ),
    ]);
    let engine = m.module("app.core.engine").unwrap();
    let db = m.module("app.db").unwrap();
    assert_eq!(m.export("app.core", "Handler"), Some(Res::Sym(Sym::Class(engine, 1))));
    // `_h.run` is `Base.run`, found through `Handler`'s base.
    let call = m.file(db).calls.iter().position(|c| c.callee == "_h.run").unwrap() as u32;
    assert_eq!(m.callee(db, call), Some(Res::Sym(Sym::Def(engine, 0))));
    assert_eq!(m.mro(engine, 1), [(engine, 1), (engine, 0)]);
}

#[test]
fn a_package_shadows_a_module_and_type_checking_imports_do_not_bind() {
    let m = model(&[
        ("app/x.py", "A = 1\n"),
        ("app/x/__init__.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.y import B\nC = 2\n"),
        ("app/y.py", "class B:\n    pass\n"),
    ]);
    let pkg = m.module("app.x").unwrap();
    assert!(m.file(pkg).is_package);
    assert_eq!(m.export("app.x", "B"), None, "bound only under TYPE_CHECKING");
    assert!(matches!(m.export("app.x", "C"), Some(Res::Sym(Sym::Assign(f, _))) if f == pkg));
}

#[test]
fn self_attributes_set_in_init_give_the_receivers_class() {
    let m = model(&[
        ("eng.py", "class Retry:\n    def execute(self, op):\n        return op()\n"),
        (
            "svc.py",
            "from eng import Retry\nclass Svc:\n    def __init__(self):\n        self._r = Retry()\n    def go(self, op):\n        return self._r.execute(op)\n",
        ),
    ]);
    let eng = m.module("eng").unwrap();
    let svc = m.module("svc").unwrap();
    let call = m.file(svc).calls.iter().position(|c| c.callee == "self._r.execute").unwrap() as u32;
    assert_eq!(m.callee(svc, call), Some(Res::Sym(Sym::Def(eng, 0))));
}
