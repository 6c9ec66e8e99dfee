#!/usr/bin/env python3
"""Score `retry-audit inventory` findings against role labels (see ROLES.md).

usage:
  score_roles.py --labels FILE... --root DIR (--findings JSON | --run BINARY) [--verbose] [--json]
                 [--min-precision X] [--min-recall Y]

A finding matches a label row when the path is the same, the finding's line lies within the row's
statement (its `def`/`class`/statement lines, decorators included) and the roles are equal. A second finding
of the same role inside an already matched row (a decision method of a checker class labelled as a whole) is
neither TP nor FP. Each row takes at
most one finding (the exact line first, then the innermost row). Rows whose note starts with `borderline:`
are don't-care (any findings on them count neither way). Findings with no role (legacy imports and configs,
policy drift) are not scored. FP = a scored finding that matches no positive row: one on a `negative` row is
flagged as a look-alike. Only findings in labelled packages count (the first path segment of a label).
"""
import argparse
import ast
import json
import subprocess
import sys
from collections import Counter, defaultdict

ROLES = "engine wrapper decorator preset config_schema strategy_enum decision calculator breaker library_use".split()


def spans(path, root, cache={}):
    if path not in cache:
        tree = ast.parse(open(f"{root}/{path}", encoding="utf-8", errors="replace").read())
        by_line = defaultdict(list)
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                start = node.lineno
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.decorator_list:
                    start = min(d.lineno for d in node.decorator_list)
                by_line[node.lineno].append((start, node.end_lineno, type(node).__name__))
        cache[path] = by_line
    return cache[path]


def load_labels(files, root):
    rows = []
    for lab in files:
        for n, raw in enumerate(open(lab, encoding="utf-8"), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            head, _, note = line.partition("|")
            parts = head.split()
            path, lineno, role = parts[0], int(parts[1]), parts[2]
            note = note.strip()
            what = parts[3] if len(parts) > 3 else ""
            cands = spans(path, root).get(lineno, [])
            if not cands:
                sys.exit(f"{lab}:{n}: no statement at {path}:{lineno}")
            pick = cands[0]
            for c in cands:
                if what == "@stmt" or (what in ("@fn", "@class") and c[2] in ("FunctionDef", "AsyncFunctionDef", "ClassDef")):
                    pick = c
                    break
            rows.append(
                {
                    "path": path,
                    "line": lineno,
                    "start": pick[0],
                    "end": pick[1],
                    "role": role,
                    "note": note,
                    "borderline": note.startswith("borderline:") or "| borderline:" in line,
                    "src": f"{lab}:{n}",
                }
            )
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", nargs="+", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--findings")
    ap.add_argument("--run")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    a = ap.parse_args()
    rows = load_labels(a.labels, a.root)
    if a.run:
        out = subprocess.run([a.run, "inventory", "--format", "json", "--quiet", a.root], capture_output=True, check=True)
        doc = json.loads(out.stdout)
    else:
        doc = json.load(open(a.findings))
    packages = {r["path"].split("/")[0] for r in rows}
    findings = [f for f in doc["findings"] if f.get("role") and f["path"].split("/")[0] in packages]
    by_path = defaultdict(list)
    for i, r in enumerate(rows):
        by_path[r["path"]].append(i)
    taken = {}
    fp, tp_rows, lookalike = [], set(), []
    absorbed = []
    # Exact-line matches first, then the innermost containing row.
    order = sorted(range(len(findings)), key=lambda i: (findings[i]["path"], findings[i]["line"]))
    pending = []
    for fi in order:
        f = findings[fi]
        cands = [i for i in by_path.get(f["path"], []) if rows[i]["start"] <= f["line"] <= rows[i]["end"]]
        same = [i for i in cands if rows[i]["role"] == f["role"]]
        exact = [i for i in same if rows[i]["line"] == f["line"] and i not in taken]
        pick = exact or sorted((i for i in same if i not in taken), key=lambda i: rows[i]["end"] - rows[i]["start"])
        if pick:
            i = pick[0]
            taken[i] = fi
            if rows[i]["borderline"]:
                absorbed.append((f, rows[i]))
            else:
                tp_rows.add(i)
            continue
        if any(rows[i]["borderline"] for i in cands if rows[i]["role"] == f["role"] or rows[i]["line"] == f["line"]):
            absorbed.append((f, None))
            continue
        # A piece inside a site of the same role (a decision method of a checker class labelled as a whole).
        if same:
            absorbed.append((f, rows[same[0]]))
            continue
        neg = [i for i in cands if rows[i]["role"] == "negative"]
        if neg:
            lookalike.append((f, rows[neg[0]]))
        fp.append((f, cands))
    stats = {r: Counter() for r in ROLES}
    for i, r in enumerate(rows):
        if r["role"] in ROLES and not r["borderline"]:
            stats[r["role"]]["tp" if i in tp_rows else "fn"] += 1
    for f, _ in fp:
        stats[f["role"]]["fp"] += 1
    total = Counter()
    report = {}
    for role in ROLES:
        s = stats[role]
        total.update(s)
        p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else None
        rc = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else None
        report[role] = {"tp": s["tp"], "fp": s["fp"], "fn": s["fn"], "precision": p, "recall": rc}
    P = total["tp"] / (total["tp"] + total["fp"]) if total["tp"] + total["fp"] else 0.0
    R = total["tp"] / (total["tp"] + total["fn"]) if total["tp"] + total["fn"] else 0.0
    negatives = [r for r in rows if r["role"] == "negative" and not r["borderline"]]
    reported_neg = {(lk[1]["path"], lk[1]["line"]) for lk in lookalike}
    if a.json:
        print(json.dumps({"roles": report, "precision": P, "recall": R, "tp": total["tp"], "fp": total["fp"], "fn": total["fn"],
                          "lookalikes": len(negatives), "lookalikes_reported": len(reported_neg)}, indent=2))
    else:
        print(f"{'role':<15} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}")
        for role in ROLES:
            r = report[role]
            if r["tp"] + r["fp"] + r["fn"] == 0:
                continue
            fmt = lambda x: "-" if x is None else f"{x:.2f}"
            print(f"{role:<15} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} {fmt(r['precision']):>9} {fmt(r['recall']):>7}")
        print(f"{'all':<15} {total['tp']:>4} {total['fp']:>4} {total['fn']:>4} {P:>9.2f} {R:>7.2f}")
        print(f"look-alikes reported: {len(reported_neg)} of {len(negatives)}")
        print("\nFN (labelled, not found with that role):")
        for i, r in enumerate(rows):
            if r["role"] in ROLES and not r["borderline"] and i not in tp_rows:
                got = [f"{findings[j]['role']}@{findings[j]['line']}" for j in range(len(findings))
                       if findings[j]["path"] == r["path"] and r["start"] <= findings[j]["line"] <= r["end"]]
                print(f"  {r['path']}:{r['line']} {r['role']} | {r['note'][:70]}  (found: {', '.join(got) or '-'})")
        print("\nFP (found, not labelled with that role):")
        for f, cands in fp:
            lab = ", ".join(f"{rows[i]['role']}@{rows[i]['line']}" for i in cands) or "unlabelled"
            print(f"  {f['path']}:{f['line']} {f['role']}/{f.get('role_detail','')} {f['symbol']}  [{lab}]")
        if a.verbose:
            print("\nabsorbed by borderline rows:")
            for f, r in absorbed:
                print(f"  {f['path']}:{f['line']} {f['role']} {f['symbol']}")
    ok = True
    if a.min_precision is not None and P < a.min_precision:
        ok = False
    if a.min_recall is not None and R < a.min_recall:
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
