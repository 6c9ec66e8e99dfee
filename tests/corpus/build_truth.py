#!/usr/bin/env python3
"""Build tests/corpus/truth.tsv from the compact hand labels in labels.txt.

labels.txt lines:  PATH  LINE  KIND  [@fn|@class]  [| NOTE]
  PATH  relative to the corpus root (e.g. tenacity-9.1.2/tenacity/__init__.py)
  LINE  the line of the labelled `def`/`class`/`for`/`while` keyword, or of a call
        (library_retry: the span is the whole statement that starts on LINE)
  @fn / @class  label the innermost function / class enclosing the node at LINE instead
  NOTE  free text after `|`
The spans (end_line) and dotted symbols are computed with `ast`, so they are exact, and every
label is checked: the node must exist at that line, otherwise the build fails.
Usage: python3 tests/corpus/build_truth.py [--corpus /work/corpus]
"""
import argparse
import ast
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"retry_class", "retry_function", "sleep_loop", "retry_decorator_def", "library_retry",
         "retry_config", "circuit_breaker", "backoff_calc", "negative"}


def module_of(path):
    # "pkg-1.2.3/a/b/__init__.py" -> "a.b"; "retrying-1.3.4/retrying.py" -> "retrying"
    parts = path.split("/")[1:]
    parts[-1] = parts[-1][:-3]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def index(tree):
    """Yield (node, qualname_parts, stack_of_enclosing_def_nodes)."""
    out = []

    def walk(node, names, stack):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.append((child, names + [child.name], stack))
                walk(child, names + [child.name], stack + [child])
            else:
                if isinstance(child, (ast.For, ast.AsyncFor, ast.While, ast.stmt)):
                    out.append((child, names, stack))
                walk(child, names, stack)

    walk(tree, [], [])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--labels", default=os.path.join(HERE, "labels.txt"))
    ap.add_argument("--out", default=os.path.join(HERE, "truth.tsv"))
    a = ap.parse_args()
    cache = {}
    rows = []
    errors = 0
    for ln, raw in enumerate(open(a.labels), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, _, note = line.partition("|")
        f = spec.split()
        path, lno, kind = f[0], int(f[1]), f[2]
        mod = f[3] if len(f) > 3 else ""
        note = note.strip()
        if kind not in KINDS:
            print(f"labels.txt:{ln}: bad kind {kind}", file=sys.stderr); errors += 1; continue
        if path not in cache:
            src = open(os.path.join(a.corpus, path), encoding="utf-8").read()
            cache[path] = index(ast.parse(src))
        nodes = cache[path]
        # prefer def/class/loop nodes starting at that line, then any statement
        cands = [n for n in nodes if n[0].lineno == lno]
        if kind in ("library_retry", "retry_config") and not any(
                isinstance(n[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in cands):
            # innermost statement whose span contains LINE (e.g. a keyword argument line)
            inner = [n for n in nodes if not isinstance(n[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n[0].lineno <= lno <= n[0].end_lineno]
            inner.sort(key=lambda n: n[0].end_lineno - n[0].lineno)
            cands = inner[:1]
        pref = [n for n in cands if isinstance(n[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                        ast.For, ast.AsyncFor, ast.While))]
        if kind == "library_retry":
            pref = [n for n in cands if not isinstance(n[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        elif kind == "retry_config" and not pref:
            pref = cands
        pick = (pref or cands)
        if not pick:
            print(f"labels.txt:{ln}: no node at {path}:{lno}", file=sys.stderr); errors += 1; continue
        node, names, stack = pick[0]
        if mod in ("@fn", "@class"):
            want = (ast.FunctionDef, ast.AsyncFunctionDef) if mod == "@fn" else (ast.ClassDef,)
            chain = stack + ([node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else [])
            encl = [s for s in chain if isinstance(s, want)]
            if not encl:
                print(f"labels.txt:{ln}: no enclosing {mod}", file=sys.stderr); errors += 1; continue
            node = encl[-1]
            names = [s.name for s in chain[: chain.index(node) + 1]]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            pass
        else:
            # loop / statement: symbol is the enclosing function (or module)
            names = [s.name for s in stack]
        symbol = ".".join([module_of(path)] + names)
        rows.append((path, node.lineno, node.end_lineno, kind, symbol, note))
    if errors:
        sys.exit(f"{errors} label error(s)")
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    seen = set()
    for r in rows:
        k = (r[0], r[1], r[2], r[3])
        if k in seen:
            sys.exit(f"duplicate label {k}")
        seen.add(k)
    with open(a.out, "w") as fh:
        fh.write("path\tstart_line\tend_line\tkind\tsymbol\tnote\n")
        for r in rows:
            fh.write("\t".join(str(x) for x in r) + "\n")
    print(f"wrote {len(rows)} rows to {a.out}")


if __name__ == "__main__":
    main()
