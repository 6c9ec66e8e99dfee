#!/bin/bash
# Score every labelled package scanned on its own, the way the real checks run them (a package is a tree of
# its own: a library use of google-api-core in google-cloud-storage stays a library use), then all together.
#
# usage: tests/corpus/score_packages.sh CORPUS_ROOT [RETRY_AUDIT_BINARY]
set -euo pipefail
root=$(cd "$1" && pwd)
bin=$(realpath "${2:-target/release/retry-audit}")
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for lab in "$here"/roles/*.txt; do
  name=$(basename "$lab" .txt)
  dir=$(cd "$root" && ls -d "$name"-[0-9]* | head -1)
  (cd "$root" && "$bin" inventory "$dir" --format json --quiet 2>/dev/null || true) |
    python3 -c "
import json, sys
d = json.load(sys.stdin)
for f in d['findings']:
    f['path'] = '$dir/' + f['path']
json.dump(d, open('$out/$name.json', 'w'))
"
  printf '%-22s ' "$name"
  python3 "$here/score_roles.py" --labels "$lab" --root "$root" --findings "$out/$name.json" | grep '^all'
done
python3 - "$out" <<'PY'
import glob, json, sys
merged = {"findings": []}
for p in glob.glob(f"{sys.argv[1]}/*.json"):
    merged["findings"] += json.load(open(p))["findings"]
json.dump(merged, open(f"{sys.argv[1]}/all.merged", "w"))
PY
python3 "$here/score_roles.py" --labels "$here"/roles/*.txt --root "$root" --findings "$out/all.merged"
