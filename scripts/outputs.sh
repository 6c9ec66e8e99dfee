#!/bin/bash
# Every output a speed change must leave byte-identical, written to OUTDIR: inventory JSON of the bench tree,
# the corpora, every fixture tree, and a migrate dry run. Compare two builds with `diff -r OUT_A OUT_B`.
# usage: scripts/outputs.sh BINARY OUTDIR   (run from the repository root; trees: /work/bench, /work/corpus,
# /work/corpus2, see tests/corpus/README.md)
set -u
BIN=$(realpath "$1"); OUT=$(realpath -m "$2"); mkdir -p "$OUT"; : > "$OUT/rc.txt"
$BIN inventory --quiet --format json /work/bench > "$OUT/bench.json" 2>"$OUT/bench.err"; echo "bench rc $?" >> "$OUT/rc.txt"
$BIN inventory --quiet --format json /work/corpus > "$OUT/corpus.json" 2>/dev/null; echo "corpus rc $?" >> "$OUT/rc.txt"
for d in /work/corpus2/*/; do
  n=$(basename "$d")
  (cd /work/corpus2 && $BIN inventory --quiet --format json "$n" > "$OUT/c2_$n.json" 2>/dev/null; echo "c2 $n rc $?" >> "$OUT/rc.txt")
done
for d in fixtures/*/; do
  n=$(basename "$d")
  $BIN inventory --quiet --format json "fixtures/$n" > "$OUT/fx_$n.json" 2>/dev/null; echo "fx $n rc $?" >> "$OUT/rc.txt"
done
$BIN migrate fixtures/netra_demo > "$OUT/migrate_netra.txt" 2>&1; echo "migrate rc $?" >> "$OUT/rc.txt"
$BIN migrate fixtures/backend_demo > "$OUT/migrate_backend.txt" 2>&1; echo "migrate backend rc $?" >> "$OUT/rc.txt"
