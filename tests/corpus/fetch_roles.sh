#!/usr/bin/env bash
# Downloads the pinned SDK/client packages whose retry systems `roles/*.txt` label by role, and unpacks their
# `.py` files: DEST/<name>-<version>/... (idempotent: what is there is skipped).
# Usage: tests/corpus/fetch_roles.sh DEST
set -euo pipefail
dest=${1:?usage: fetch_roles.sh DEST}
mkdir -p "$dest"
pkgs=(
  google-api-core==2.44.0 google-cloud-storage==3.17.1 botocore==1.44.8 azure-core==1.41.0
  openai==3.57.0 stripe==16.1.0 slack-sdk==3.48.0 elastic-transport==9.4.2
  anthropic==2.17.0 huggingface_hub==2.4.0 azure-storage-blob==12.31.1 google-cloud-bigquery==3.47.0
)
for spec in "${pkgs[@]}"; do
  name=${spec%%==*}; ver=${spec##*==}
  out="$dest/$name-$ver"
  [ -d "$out" ] && continue
  tmp=$(mktemp -d)
  if python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 -d "$tmp" "$spec"; then
    for f in "$tmp"/*.whl; do
      python3 - "$f" "$out" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for m in z.namelist():
    if m.endswith(".py"):
        z.extract(m, sys.argv[2])
PY
    done
  else
    echo "fetch_roles.sh: could not download $spec" >&2
  fi
  rm -rf "$tmp"
done
find "$dest" -name '*.py' | wc -l | xargs echo "python files:"
