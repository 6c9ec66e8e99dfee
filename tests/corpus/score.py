#!/usr/bin/env python3
"""Score `retry-audit inventory --format json` findings against the hand-labelled corpus truth.

Usage:
  python3 tests/corpus/score.py --truth tests/corpus/truth.tsv --findings findings.json [--corpus /work/corpus]
  python3 tests/corpus/score.py --truth tests/corpus/truth.tsv --run target/release/retry-audit [--corpus /work/corpus]
Options:
  --json                 machine-readable report on stdout
  --strict               count "borderline:" rows as required positives (default: don't-care)
  --min-precision X      exit 1 if overall precision < X
  --min-recall Y         exit 1 if overall recall < Y
  --verbose              also list TPs and findings absorbed by borderline rows

Matching rules
  * A finding matches a positive truth row when it has the same path, its `line` lies within
    [start_line, end_line] of the row, and its kind is compatible with the row's kind.
    Compatible groups: {retry_function, sleep_loop, retry_decorator_def}, {retry_class},
    {retry_config, retry_class}, {backoff_calc}, {circuit_breaker}, {library_retry}.
  * Every truth row is matched at most once. Candidates are preferred by: exact kind, then the
    innermost (shortest) span, then the nearest start line. Exact-kind pairs are assigned first.
  * Findings of kind legacy_import / policy_drift are ignored.
  * Rows whose note starts with "borderline" are don't-care: a finding that matches one (any number
    of findings per row) is neither TP nor FP, and an unmatched one is not an FN. With --strict they
    are ordinary positive rows.
  * A finding that matches no positive row is an FP; it is flagged when it lands inside a row labelled
    `negative` (a known look-alike).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
from collections import defaultdict

IGNORED = {"legacy_import", "policy_drift"}
GROUPS = [
    {"retry_function", "sleep_loop", "retry_decorator_def"},
    {"retry_class"},
    {"retry_config", "retry_class"},
    {"backoff_calc"},
    {"circuit_breaker"},
    {"library_retry"},
]
POSITIVE_KINDS = set().union(*GROUPS)


def compatible(a, b):
    return a == b or any(a in g and b in g for g in GROUPS)


def load_truth(path):
    rows = []
    with open(path, newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh, delimiter="\t"), 2):
            kind = r["kind"].strip()
            if kind != "negative" and kind not in POSITIVE_KINDS:
                sys.exit(f"{path}:{i}: unknown kind {kind!r}")
            rows.append({
                "id": i,
                "path": r["path"].strip(),
                "start": int(r["start_line"]),
                "end": int(r["end_line"]),
                "kind": kind,
                "symbol": r.get("symbol", "") or "",
                "note": (r.get("note", "") or "").strip(),
            })
    return rows


def norm_path(p, corpus):
    p = p.replace("\\", "/")
    if corpus and os.path.isabs(p):
        c = os.path.abspath(corpus).replace("\\", "/").rstrip("/") + "/"
        if p.startswith(c):
            p = p[len(c):]
    while p.startswith("./"):
        p = p[2:]
    return p


def load_findings(data, corpus):
    out = []
    for f in data.get("findings", []):
        kind = f.get("kind")
        if kind in IGNORED:
            continue
        line = int(f.get("line", 0))
        out.append({
            "kind": kind,
            "path": norm_path(f.get("path", ""), corpus),
            "line": line,
            "end_line": int(f.get("end_line") or line),
            "symbol": f.get("symbol", ""),
            "rule": f.get("rule", ""),
        })
    return out


def run_binary(binary, corpus):
    cmd = [binary, "inventory", "--format", "json", "--quiet", corpus]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"score.py: {' '.join(cmd)} exited {proc.returncode}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        sys.stderr.write(proc.stderr[-2000:])
        sys.exit(f"score.py: {' '.join(cmd)} did not print JSON on stdout ({e}); "
                 f"first bytes: {proc.stdout[:200]!r}")


def score(truth, findings, strict=False):
    def is_border(r):
        return (not strict) and r["note"].lower().startswith("borderline")

    positives = [r for r in truth if r["kind"] != "negative"]
    required = [r for r in positives if not is_border(r)]
    border = [r for r in positives if is_border(r)]
    negatives = [r for r in truth if r["kind"] == "negative"]
    by_path = defaultdict(list)
    for r in required:
        by_path[r["path"]].append(r)

    # candidate pairs (finding index, row) with a preference key
    pairs = []
    for fi, f in enumerate(findings):
        for r in by_path.get(f["path"], ()):
            if r["start"] <= f["line"] <= r["end"] and compatible(f["kind"], r["kind"]):
                exact = f["kind"] == r["kind"]
                pairs.append(((0 if exact else 1, r["end"] - r["start"], abs(f["line"] - r["start"]), fi, r["id"]), fi, r))
    pairs.sort(key=lambda x: x[0])
    matched_f, matched_r = {}, {}
    for _, fi, r in pairs:
        if fi in matched_f or r["id"] in matched_r:
            continue
        matched_f[fi] = r
        matched_r[r["id"]] = fi

    tps, fps, absorbed = [], [], []
    for fi, f in enumerate(findings):
        if fi in matched_f:
            tps.append((f, matched_f[fi]))
            continue
        b = [r for r in border if r["path"] == f["path"] and r["start"] <= f["line"] <= r["end"]
             and compatible(f["kind"], r["kind"])]
        if b:
            absorbed.append((f, min(b, key=lambda r: r["end"] - r["start"])))
            continue
        neg = [r for r in negatives if r["path"] == f["path"] and r["start"] <= f["line"] <= r["end"]]
        inside = [r for r in positives if r["path"] == f["path"] and r["start"] <= f["line"] <= r["end"]]
        fps.append((f, min(neg, key=lambda r: r["end"] - r["start"]) if neg else None,
                    min(inside, key=lambda r: r["end"] - r["start"]) if inside else None))
    fns = [r for r in required if r["id"] not in matched_r]

    kinds = sorted(POSITIVE_KINDS)
    per = {}
    for k in kinds:
        tp = sum(1 for f, r in tps if r["kind"] == k)
        fn = sum(1 for r in fns if r["kind"] == k)
        fp = sum(1 for f, _, _ in fps if f["kind"] == k)
        per[k] = {"tp": tp, "fp": fp, "fn": fn, "truth": tp + fn,
                  "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}
    # per-kind TP counts are by truth-row kind, FP by finding kind (a compatible cross-kind match
    # counts as a TP of the row's kind)
    tp, fp, fn = len(tps), len(fps), len(fns)
    overall = {"tp": tp, "fp": fp, "fn": fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
               "f1": _ratio(2 * tp, 2 * tp + fp + fn), "findings": len(findings),
               "borderline_absorbed": len(absorbed), "fp_on_negatives": sum(1 for _, n, _ in fps if n)}
    per_pkg = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for f, r in tps:
        per_pkg[r["path"].split("/")[0]]["tp"] += 1
    for f, _, _ in fps:
        per_pkg[f["path"].split("/")[0]]["fp"] += 1
    for r in fns:
        per_pkg[r["path"].split("/")[0]]["fn"] += 1
    return {
        "overall": overall, "per_kind": per, "per_package": dict(sorted(per_pkg.items())),
        "strict": strict,
        "truth": {"positives_required": len(required), "borderline": len(border), "negatives": len(negatives)},
        "false_positives": [
            {**_f(f), "on_negative": (_r(n) if n else None), "inside_positive": (_r(p) if p else None)}
            for f, n, p in fps],
        "false_negatives": [_r(r) for r in fns],
        "true_positives": [{**_f(f), "row": _r(r)} for f, r in tps],
        "borderline_absorbed": [{**_f(f), "row": _r(r)} for f, r in absorbed],
    }


def _ratio(a, b):
    return round(a / b, 4) if b else None


def _f(f):
    return {"path": f["path"], "line": f["line"], "end_line": f["end_line"], "kind": f["kind"], "symbol": f["symbol"],
            "rule": f["rule"]}


def _r(r):
    return {"path": r["path"], "start_line": r["start"], "end_line": r["end"], "kind": r["kind"],
            "symbol": r["symbol"], "note": r["note"]}


def fmt(x):
    return "  n/a " if x is None else f"{x:6.3f}"


def print_report(rep, verbose=False):
    o = rep["overall"]
    t = rep["truth"]
    mode = "scored" if rep["strict"] else "don't-care"
    print(f"truth: {t['positives_required']} positive rows scored, {t['borderline']} borderline "
          f"({mode}), {t['negatives']} negatives")
    print(f"findings scored: {o['findings']}  (absorbed by borderline rows: {o['borderline_absorbed']})\n")
    print(f"{'kind':22} {'truth':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}")
    for k, v in rep["per_kind"].items():
        if v["truth"] or v["fp"]:
            print(f"{k:22} {v['truth']:5} {v['tp']:4} {v['fp']:4} {v['fn']:4} {fmt(v['precision'])} {fmt(v['recall'])}")
    print(f"{'OVERALL':22} {o['tp'] + o['fn']:5} {o['tp']:4} {o['fp']:4} {o['fn']:4} {fmt(o['precision'])} "
          f"{fmt(o['recall'])}   F1 {fmt(o['f1'])}")
    print("\nper package:")
    for p, v in rep["per_package"].items():
        print(f"  {p:22} TP {v['tp']:3}  FP {v['fp']:3}  FN {v['fn']:3}")
    if rep["false_positives"]:
        print(f"\nFALSE POSITIVES ({len(rep['false_positives'])}; {o['fp_on_negatives']} on labelled look-alikes):")
        for f in rep["false_positives"]:
            tag = ""
            if f["on_negative"]:
                tag = f"  <-- LOOK-ALIKE [{f['on_negative']['note']}]"
            elif f["inside_positive"]:
                ip = f["inside_positive"]
                tag = f"  (inside {ip['kind']} {ip['symbol']} {ip['start_line']}-{ip['end_line']}: duplicate or wrong kind)"
            print(f"  {f['path']}:{f['line']} {f['kind']} {f['symbol']}{tag}")
    if rep["false_negatives"]:
        print(f"\nFALSE NEGATIVES ({len(rep['false_negatives'])}):")
        for r in rep["false_negatives"]:
            print(f"  {r['path']}:{r['start_line']}-{r['end_line']} {r['kind']} {r['symbol']}"
                  + (f"  [{r['note']}]" if r["note"] else ""))
    if verbose:
        print(f"\nTRUE POSITIVES ({len(rep['true_positives'])}):")
        for f in rep["true_positives"]:
            print(f"  {f['path']}:{f['line']} {f['kind']} -> {f['row']['kind']} {f['row']['symbol']}")
        print(f"\nABSORBED BY BORDERLINE ROWS ({len(rep['borderline_absorbed'])}):")
        for f in rep["borderline_absorbed"]:
            print(f"  {f['path']}:{f['line']} {f['kind']} -> {f['row']['symbol']} [{f['row']['note']}]")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--truth", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "truth.tsv"))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--findings", help="output of `retry-audit inventory --format json CORPUS`")
    src.add_argument("--run", metavar="BIN", help="run `BIN inventory --format json --quiet CORPUS` and score it")
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    a = ap.parse_args(argv)

    truth = load_truth(a.truth)
    if a.run:
        data = run_binary(a.run, a.corpus)
    else:
        with open(a.findings) as fh:
            data = json.load(fh)
    findings = load_findings(data, a.corpus)
    rep = score(truth, findings, strict=a.strict)
    if a.json:
        json.dump(rep, sys.stdout, indent=2)
        print()
    else:
        print_report(rep, a.verbose)
    o = rep["overall"]
    bad = []
    if a.min_precision is not None and (o["precision"] or 0.0) < a.min_precision:
        bad.append(f"precision {o['precision']} < {a.min_precision}")
    if a.min_recall is not None and (o["recall"] or 0.0) < a.min_recall:
        bad.append(f"recall {o['recall']} < {a.min_recall}")
    if bad:
        print("score.py: FAIL: " + "; ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
