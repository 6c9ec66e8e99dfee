#!/usr/bin/env python3
"""Paired speed ratio against ruff on a noisy machine: run ruff and retry-audit alternately on the same tree
and report the median of the per-pair time ratios (hyperfine runs one command's batch, then the other's, so
drift between batches shows up in its ratio).

usage: scripts/ruff_pair.py TREE [PAIRS] [RETRY_AUDIT_BINARY]
"""
import shutil
import statistics
import subprocess
import sys
import time

tree = sys.argv[1]
pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
binary = sys.argv[3] if len(sys.argv) > 3 else "target/release/retry-audit"
ruff_bin = shutil.which("ruff")
ruff = [ruff_bin, "check", "--no-cache", "--select", "F401", "--silent", "--exit-zero", tree]
ours = [binary, "inventory", "--quiet", "--format", "json", tree]


def wall(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


for _ in range(3):
    wall(ruff)
    wall(ours)
ruff_t, ours_t, ratios = [], [], []
for i in range(pairs):
    # Alternate which command goes first.
    if i % 2 == 0:
        a, b = wall(ruff), wall(ours)
    else:
        b, a = wall(ours), wall(ruff)
    ruff_t.append(a)
    ours_t.append(b)
    ratios.append(b / a)
print(
    f"{tree}: ruff median {statistics.median(ruff_t) * 1000:.0f} ms, retry-audit median "
    f"{statistics.median(ours_t) * 1000:.0f} ms, ratio median {statistics.median(ratios):.3f} "
    f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {pairs} pairs)"
)
