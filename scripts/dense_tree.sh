#!/bin/bash
# A dense backend tree for benchmarks: COPIES copies of the labelled backend fixture (fixtures/backend_demo/acme,
# 71 files where nearly every module holds retry machinery, its wrappers or its users), each renamed to its own
# package (acme1, acme2, ...; imports rewritten). 80 copies give 5,680 files, the size of the backend the speed
# target names, at the worst density a real one could have (the standard library holds few retries).
# usage: scripts/dense_tree.sh DEST [COPIES]   (run from the repository root)
set -euo pipefail
dest=${1:?usage: scripts/dense_tree.sh DEST [COPIES]}; copies=${2:-80}
rm -rf "$dest"; mkdir -p "$dest"
for i in $(seq 1 "$copies"); do
  cp -r fixtures/backend_demo/acme "$dest/acme$i"
  find "$dest/acme$i" -name '*.py' -exec sed -i -E "s/\\bacme\\b/acme$i/g" {} +
done
find "$dest" -name '*.py' | wc -l | xargs echo "python files:"
